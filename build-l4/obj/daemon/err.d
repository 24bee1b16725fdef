build-l4/obj/daemon/err.o: daemon/err.c daemon/err.h
daemon/err.h:
