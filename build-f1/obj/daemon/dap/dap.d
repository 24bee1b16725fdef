build-f1/obj/daemon/dap/dap.o: daemon/dap/dap.c daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h daemon/err.h \
 daemon/log.h
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/err.h:
daemon/log.h:
