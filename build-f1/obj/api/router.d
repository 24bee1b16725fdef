build-f1/obj/api/router.o: api/router.c api/api.h daemon/err.h
api/api.h:
daemon/err.h:
