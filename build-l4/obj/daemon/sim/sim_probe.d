build-l4/obj/daemon/sim/sim_probe.o: daemon/sim/sim_probe.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
