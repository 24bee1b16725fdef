build-f1/obj/daemon/transport/tcp.o: daemon/transport/tcp.c \
 daemon/transport/transport.h daemon/err.h
daemon/transport/transport.h:
daemon/err.h:
