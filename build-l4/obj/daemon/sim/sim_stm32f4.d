build-l4/obj/daemon/sim/sim_stm32f4.o: daemon/sim/sim_stm32f4.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
