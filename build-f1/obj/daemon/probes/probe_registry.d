build-f1/obj/daemon/probes/probe_registry.o: \
 daemon/probes/probe_registry.c daemon/probes/probe_registry.h \
 daemon/dap/dap.h daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/err.h daemon/json_util.h daemon/log.h
daemon/probes/probe_registry.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/err.h:
daemon/json_util.h:
daemon/log.h:
