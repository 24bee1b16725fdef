build-l4/obj/daemon/sim/sim_profiles.o: daemon/sim/sim_profiles.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
