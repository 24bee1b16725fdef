build-f1/obj/daemon/jobs/journal.o: daemon/jobs/journal.c \
 daemon/jobs/journal.h daemon/err.h daemon/log.h
daemon/jobs/journal.h:
daemon/err.h:
daemon/log.h:
