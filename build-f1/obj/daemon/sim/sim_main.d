build-f1/obj/daemon/sim/sim_main.o: daemon/sim/sim_main.c \
 daemon/sim/sim.h
daemon/sim/sim.h:
