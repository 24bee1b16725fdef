build-f1/obj/api/auth.o: api/auth.c api/auth.h api/api.h daemon/err.h \
 daemon/log.h
api/auth.h:
api/api.h:
daemon/err.h:
daemon/log.h:
