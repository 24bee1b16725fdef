build-f1/obj/daemon/err.o: daemon/err.c daemon/err.h
daemon/err.h:
