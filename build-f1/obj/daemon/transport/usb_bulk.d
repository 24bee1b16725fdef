build-f1/obj/daemon/transport/usb_bulk.o: daemon/transport/usb_bulk.c \
 daemon/transport/transport.h /usr/include/libusb-1.0/libusb.h \
 daemon/err.h daemon/log.h
daemon/transport/transport.h:
/usr/include/libusb-1.0/libusb.h:
daemon/err.h:
daemon/log.h:
