build-f1/obj/daemon/notify.o: daemon/notify.c daemon/notify.h
daemon/notify.h:
