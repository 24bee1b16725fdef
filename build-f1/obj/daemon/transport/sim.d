build-f1/obj/daemon/transport/sim.o: daemon/transport/sim.c \
 daemon/transport/transport.h daemon/err.h daemon/sim/sim.h \
 daemon/transport/sim_access.h
daemon/transport/transport.h:
daemon/err.h:
daemon/sim/sim.h:
daemon/transport/sim_access.h:
