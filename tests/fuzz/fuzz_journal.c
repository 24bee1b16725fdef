/*
 * Arbitrary bytes as a journal file: replay must never crash, and what it
 * keeps must open again cleanly.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_targets.h"
#include "jobs/job.h"
#include "jobs/journal.h"

static char fuzz_dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal *j = NULL;
	char path[96];
	int fd;

	if (!fuzz_dir[0]) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/rdpd-fuzz-journal-XXXXXX");
		if (!mkdtemp(fuzz_dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/journal", fuzz_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	job_store_init(NULL);
	if (journal_open(fuzz_dir, job_store_replay_record, NULL, &j, NULL) == 0) {
		journal_close(j);
		if (journal_open(fuzz_dir, job_store_replay_record, NULL, &j, NULL) != 0)
			abort(); /* what survived one replay must replay again */
		journal_close(j);
	}
	job_store_shutdown();
	/* Corrupt tails are kept aside as journal.corrupt.N: clear them. */
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s/journal.corrupt.%d", fuzz_dir, i);
		unlink(path);
	}
	return 0;
}
