build-f1/obj/daemon/adiv5/dp.o: daemon/adiv5/dp.c daemon/adiv5/adiv5.h \
 daemon/dap/dap.h daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/err.h daemon/log.h
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/err.h:
daemon/log.h:
