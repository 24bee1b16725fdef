build-f1/obj/daemon/sim/sim_fault.o: daemon/sim/sim_fault.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
