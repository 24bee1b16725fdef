build-f1/obj/daemon/transport/usb_hid.o: daemon/transport/usb_hid.c \
 daemon/transport/transport.h daemon/err.h daemon/log.h
daemon/transport/transport.h:
daemon/err.h:
daemon/log.h:
