build-l4/obj/daemon/main.o: daemon/main.c daemon/cli/cli.h daemon/serve.h
daemon/cli/cli.h:
daemon/serve.h:
