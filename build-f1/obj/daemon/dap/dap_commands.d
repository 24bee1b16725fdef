build-f1/obj/daemon/dap/dap_commands.o: daemon/dap/dap_commands.c \
 daemon/dap/dap_commands.h daemon/err.h
daemon/dap/dap_commands.h:
daemon/err.h:
