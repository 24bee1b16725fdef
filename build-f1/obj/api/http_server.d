build-f1/obj/api/http_server.o: api/http_server.c api/api.h api/auth.h \
 daemon/err.h daemon/log.h
api/api.h:
api/auth.h:
daemon/err.h:
daemon/log.h:
