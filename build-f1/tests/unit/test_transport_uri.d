build-f1/tests/unit/test_transport_uri: tests/unit/test_transport_uri.c \
 tests/check.h daemon/err.h daemon/transport/transport.h
tests/check.h:
daemon/err.h:
daemon/transport/transport.h:
