build-f1/obj/daemon/config.o: daemon/config.c daemon/config.h \
 daemon/err.h daemon/log.h daemon/serve.h
daemon/config.h:
daemon/err.h:
daemon/log.h:
daemon/serve.h:
