build-f1/tests/unit/test_err: tests/unit/test_err.c tests/check.h \
 daemon/err.h
tests/check.h:
daemon/err.h:
