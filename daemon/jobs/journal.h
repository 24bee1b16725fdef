/*
 * journal.h - an append-only, crash-safe log of opaque records (DIR/journal).
 *
 * The daemon stores one JSON snapshot of a job per state change; which
 * snapshot wins on replay is the caller's business. This file knows nothing
 * of jobs. The on-disk format is described at the top of journal.c.
 *
 * Locking: every function takes the journal's own mutex, so probe workers may
 * append concurrently. That mutex is a leaf lock: the callbacks given to
 * journal_open() and journal_compact() run with it held (compact) or before
 * the journal exists (open) and must not call back into the journal.
 */
#ifndef RDPD_JOURNAL_H
#define RDPD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest payload one record may carry (1 MiB). */
#define JOURNAL_RECORD_MAX (1024u * 1024u)
/* Bytes of a record before its payload (magic, length, CRC). */
#define JOURNAL_HEADER_BYTES 12u

struct journal;

struct journal_replay_report {
	unsigned records;                 /* intact records handed to the callback */
	unsigned damaged_spans;           /* runs of damaged bytes skipped (the tail included) */
	unsigned long long damaged_bytes; /* their bytes, kept in DIR/journal.corrupt.N */
	unsigned long long torn_bytes;    /* an unfinished last append, dropped */
	unsigned long long dropped_bytes; /* bytes cut off after the last intact record */
};

/*
 * Open DIR/journal, creating DIR (mode 0750, parents too) and the file (0640)
 * when missing, and hand every intact record to FN in the order written. REC
 * is valid only during the call. A non-zero return from FN stops the open and
 * is returned as is.
 *
 * A record that is not intact (bad magic, length over the cap or past the
 * end, CRC mismatch) does not stop the replay: it resumes at the next intact
 * record, and each damaged span between is copied to DIR/journal.corrupt.N
 * (one file per open, spans back to back) and logged with its offset and
 * length. Spans in the middle stay in DIR/journal until journal_compact()
 * rewrites it (the caller decides what to keep); damage at the end is
 * copied and cut. A torn tail (power lost mid-append) is cut without a copy.
 * REPORT (may be NULL) counts the intact records, the damaged spans and
 * bytes, and the bytes cut off the end. A copy that fails is logged (and
 * tried again by the first append after a read-only start, and by
 * compaction, which proceeds anyway).
 *
 * A directory that cannot be written (read-only file system, permissions,
 * disk full) is not fatal: the stored records are still replayed, the journal
 * comes back with journal_writable() false, a warning is logged, and every
 * later append retries. Returns 0, or -ERR_IO when the journal cannot be read
 * or another process holds it, -ERR_NO_MEMORY, -ERR_INVALID_ARGUMENT, or FN's
 * error; the detail names the path and what to check.
 */
int journal_open(const char *dir, int (*fn)(void *ctx, const uint8_t *rec, size_t len), void *ctx,
		 struct journal **out, struct journal_replay_report *report);

/*
 * Append one record durably: header and payload go out in one pwritev(2) at
 * the end of the last intact record, then fdatasync. Returns 0 once the
 * record is on disk; -ERR_INVALID_ARGUMENT when LEN exceeds
 * JOURNAL_RECORD_MAX; -ERR_IO (disk full, read-only, I/O error) with a
 * sentence naming the path and the errno text. After an error the partial
 * record is truncated away, journal_writable() turns false, and the records
 * stored before are untouched; the next successful append turns it true.
 */
int journal_append(struct journal *j, const uint8_t *rec, size_t len);

/*
 * Rewrite the journal with only the records the caller still wants: ITER is
 * called for i = 0 .. COUNT-1 and points *REC and *LEN at record i (valid until
 * the next call). They go to DIR/journal.new, which is synced, renamed over
 * DIR/journal, and the directory synced; appends then continue there. On any
 * failure before the rename the old journal stays exactly as it was and
 * DIR/journal.new is removed. Returns 0, ITER's non-zero return, or -ERR_IO /
 * -ERR_INVALID_ARGUMENT (a record over JOURNAL_RECORD_MAX) with a detail.
 * Appends wait while the rewrite runs.
 */
int journal_compact(struct journal *j, int (*iter)(void *ctx, size_t i, const uint8_t **rec, size_t *len),
		    void *ctx, size_t count);

/* Bytes of intact records in the journal file (headers included). */
size_t journal_size_bytes(const struct journal *j);

/* False while the journal cannot take appends (the last append or compaction
 * failed, or it was opened read-only); /readyz reports it. */
bool journal_writable(const struct journal *j);

/* Close the file and free J (NULL is fine). Every successful append is
 * already on disk, so there is nothing to flush. */
void journal_close(struct journal *j);

/* CRC-32 (IEEE 802.3, the zlib polynomial, reflected), chainable like zlib's
 * crc32(): start with CRC = 0. Public for tests and tools that read journals. */
uint32_t journal_crc32(uint32_t crc, const void *buf, size_t len);

#endif
