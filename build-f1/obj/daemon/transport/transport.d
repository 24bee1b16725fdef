build-f1/obj/daemon/transport/transport.o: daemon/transport/transport.c \
 daemon/transport/transport.h daemon/err.h
daemon/transport/transport.h:
daemon/err.h:
