build-f1/obj/api/reply.o: api/reply.c api/api.h daemon/err.h \
 daemon/json_util.h
api/api.h:
daemon/err.h:
daemon/json_util.h:
