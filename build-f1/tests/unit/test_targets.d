build-f1/tests/unit/test_targets: tests/unit/test_targets.c tests/check.h \
 daemon/targets/target.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h
tests/check.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
