build-f1/obj/daemon/sim/sim_stm32h7.o: daemon/sim/sim_stm32h7.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
