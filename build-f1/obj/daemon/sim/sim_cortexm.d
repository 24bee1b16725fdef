build-f1/obj/daemon/sim/sim_cortexm.o: daemon/sim/sim_cortexm.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
