build-f1/tests/unit/test_journal: tests/unit/test_journal.c tests/check.h \
 daemon/err.h daemon/jobs/journal.h daemon/log.h
tests/check.h:
daemon/err.h:
daemon/jobs/journal.h:
daemon/log.h:
