build-f1/tests/sim/test_stack_h7: tests/sim/test_stack_h7.c tests/check.h \
 tests/sim/stack_util.h daemon/err.h daemon/jobs/unlock_job.h \
 daemon/targets/target.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/probes/probe_link.h daemon/sim/sim.h \
 daemon/transport/sim_access.h
tests/check.h:
tests/sim/stack_util.h:
daemon/err.h:
daemon/jobs/unlock_job.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/probes/probe_link.h:
daemon/sim/sim.h:
daemon/transport/sim_access.h:
