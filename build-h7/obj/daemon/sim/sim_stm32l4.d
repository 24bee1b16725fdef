build-h7/obj/daemon/sim/sim_stm32l4.o: daemon/sim/sim_stm32l4.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
