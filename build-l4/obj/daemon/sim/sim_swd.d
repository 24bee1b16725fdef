build-l4/obj/daemon/sim/sim_swd.o: daemon/sim/sim_swd.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
