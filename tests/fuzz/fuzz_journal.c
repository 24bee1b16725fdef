/*
 * Arbitrary bytes as a journal file, replayed into the job store as rdpd
 * starts: replay must never crash, must replay every intact record there is
 * (a plain in-memory search is the reference), count every byte (intact
 * records, damaged spans kept aside, a torn tail), and once the store has rewritten
 * the journal the next start must find no damage, the same jobs, and a next
 * job id no lower than before. The corpus (tests/fuzz/corpus/journal) holds
 * a real journal and damaged copies of it: flipped bytes in the middle, a
 * flipped length in the last record, a torn tail, garbage between records,
 * and a rewrite with its high-water mark.
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

/* The reference: intact records found by trying every offset, in memory,
 * skipping over each one found. Replay must find exactly these. */
static unsigned fuzz_intact_records(const uint8_t *d, size_t size)
{
	unsigned n = 0;

	for (size_t off = 0; off + JOURNAL_HEADER_BYTES <= size;) {
		uint32_t len = (uint32_t)d[off + 4] | (uint32_t)d[off + 5] << 8 | (uint32_t)d[off + 6] << 16 |
			       (uint32_t)d[off + 7] << 24;
		uint32_t crc = (uint32_t)d[off + 8] | (uint32_t)d[off + 9] << 8 | (uint32_t)d[off + 10] << 16 |
			       (uint32_t)d[off + 11] << 24;

		if (memcmp(d + off, "RDJ\x01", 4) == 0 && len <= JOURNAL_RECORD_MAX &&
		    len <= size - off - JOURNAL_HEADER_BYTES &&
		    journal_crc32(journal_crc32(0, d + off + 4, 4), d + off + JOURNAL_HEADER_BYTES, len) == crc) {
			n++;
			off += JOURNAL_HEADER_BYTES + len;
		} else {
			off++;
		}
	}
	return n;
}

/* Replays DIR into a fresh store; returns the journal (NULL on failure). */
static struct journal *fuzz_start(struct journal_replay_report *rep)
{
	struct journal *j = NULL;

	job_store_shutdown();
	job_store_init(NULL);
	if (journal_open(fuzz_dir, job_store_replay_record, NULL, &j, rep) != 0)
		return NULL;
	job_store_init(j);
	job_store_finish_replay(rep);
	return j;
}

/* Jobs kept, and the id the next job gets (journaled, so it counts as a
 * job for the next start: compare with it included). */
static void fuzz_census(size_t *jobs, uint64_t *next)
{
	uint64_t more = 0;
	struct job *list = NULL;

	*jobs = 0;
	job_list(-1, -1, 100000, 0, &list, jobs, &more);
	job_list_free(list, *jobs);
	*next = 0;
	if (job_create(JOB_KIND_UNLOCK, 0, "F", "sim:stm32f401re-rdp1", "fuzz", NULL, NULL, 0, 0, NULL, next) == 0)
		++*jobs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_replay_report rep, rep2;
	size_t jobs = 0, jobs2 = 0;
	uint64_t next = 0, next2 = 0;
	struct journal *j;
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
	j = fuzz_start(&rep);
	if (j) {
		/* Every intact record replayed; every byte an intact record,
		 * damage, or the torn tail. */
		if (rep.records != fuzz_intact_records(data, size) || rep.dropped_bytes > size || rep.damaged_bytes > size || rep.torn_bytes > rep.dropped_bytes ||
		    (rep.damaged_spans == 0) != (rep.damaged_bytes == 0) ||
		    rep.records * (uint64_t)JOURNAL_HEADER_BYTES + rep.damaged_bytes + rep.torn_bytes > size)
			abort();
		fuzz_census(&jobs, &next);
		journal_close(j);
		j = fuzz_start(&rep2);
		if (!j)
			abort(); /* what survived one start must start again */
		fuzz_census(&jobs2, &next2);
		if (rep2.damaged_spans || rep2.torn_bytes || (next && next2 <= next) ||
		    (jobs2 != jobs + 1 && jobs < JOB_HISTORY_MAX))
			abort(); /* the rewrite left damage, lost a job, or reused an id */
		journal_close(j);
	}
	job_store_shutdown();
	/* Damaged records are kept aside as journal.corrupt.N: clear them. */
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s/journal.corrupt.%d", fuzz_dir, i);
		unlink(path);
	}
	return 0;
}
