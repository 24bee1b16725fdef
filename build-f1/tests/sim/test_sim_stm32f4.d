build-f1/tests/sim/test_sim_stm32f4: tests/sim/test_sim_stm32f4.c \
 tests/sim/test_sim_util.h tests/check.h daemon/sim/sim.h
tests/sim/test_sim_util.h:
tests/check.h:
daemon/sim/sim.h:
