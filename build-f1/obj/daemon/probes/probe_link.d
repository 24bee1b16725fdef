build-f1/obj/daemon/probes/probe_link.o: daemon/probes/probe_link.c \
 daemon/probes/probe_link.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h daemon/err.h
daemon/probes/probe_link.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/err.h:
