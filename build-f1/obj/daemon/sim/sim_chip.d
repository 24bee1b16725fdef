build-f1/obj/daemon/sim/sim_chip.o: daemon/sim/sim_chip.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
