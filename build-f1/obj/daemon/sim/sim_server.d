build-f1/obj/daemon/sim/sim_server.o: daemon/sim/sim_server.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
