build-h7/obj/daemon/transport/tcp.o: daemon/transport/tcp.c \
 daemon/transport/transport.h daemon/err.h
daemon/transport/transport.h:
daemon/err.h:
