build-f1/tests/sim/test_sim_server: tests/sim/test_sim_server.c \
 tests/sim/test_sim_util.h tests/check.h daemon/sim/sim.h
tests/sim/test_sim_util.h:
tests/check.h:
daemon/sim/sim.h:
