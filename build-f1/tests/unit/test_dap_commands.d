build-f1/tests/unit/test_dap_commands: tests/unit/test_dap_commands.c \
 tests/check.h daemon/dap/dap_commands.h daemon/err.h
tests/check.h:
daemon/dap/dap_commands.h:
daemon/err.h:
