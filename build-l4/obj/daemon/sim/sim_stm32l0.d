build-l4/obj/daemon/sim/sim_stm32l0.o: daemon/sim/sim_stm32l0.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
