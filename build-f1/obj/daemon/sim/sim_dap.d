build-f1/obj/daemon/sim/sim_dap.o: daemon/sim/sim_dap.c \
 daemon/sim/sim_internal.h daemon/sim/sim.h
daemon/sim/sim_internal.h:
daemon/sim/sim.h:
