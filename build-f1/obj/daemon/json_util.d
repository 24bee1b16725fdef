build-f1/obj/daemon/json_util.o: daemon/json_util.c daemon/json_util.h \
 daemon/err.h
daemon/json_util.h:
daemon/err.h:
