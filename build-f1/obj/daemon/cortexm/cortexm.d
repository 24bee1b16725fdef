build-f1/obj/daemon/cortexm/cortexm.o: daemon/cortexm/cortexm.c \
 daemon/cortexm/cortexm.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h daemon/err.h \
 daemon/log.h
daemon/cortexm/cortexm.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/err.h:
daemon/log.h:
