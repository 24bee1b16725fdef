/* The job journal: records survive close and reopen, torn tails are cut off
 * cleanly, a damaged record costs only itself (replay resumes behind it and
 * the damage is kept aside), garbage never crashes, compaction keeps exactly
 * what it is given, a full disk fails appends without losing anything; and
 * the job store on top never reuses an id the damage may have held and keeps
 * its history bound across a restart. */
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "jobs/job.h"
#include "jobs/journal.h"
#include "log.h"

/* ---- helpers --------------------------------------------------------- */

static char tmp_root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *path)
{
	chmod(path, 0700);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh empty directory under tmp_root; the journal dir is DIR/state so
 * journal_open also has to create it. */
static void fresh_dir(char *dir, size_t cap, const char *name)
{
	char base[128];

	snprintf(base, sizeof(base), "%s/%s", tmp_root, name);
	rm_rf(base);
	mkdir(base, 0700);
	snprintf(dir, cap, "%s/state", base);
}

static void path_in(char *out, size_t cap, const char *dir, const char *file)
{
	snprintf(out, cap, "%s/%s", dir, file);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

static void write_all(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return;
	fwrite(buf, 1, len, f);
	fclose(f);
}

/* Record i: a length that varies (0 included) and bytes derived from i. */
static size_t rec_make(unsigned i, uint8_t *buf)
{
	size_t len = (i * 37u + 11u) % 300u;

	if (i % 7 == 3)
		len = 0;
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 7u + k * 13u);
	return len;
}

/* Replay collector: checks that record n equals rec_make(expect[n]) (or
 * rec_make(n) without EXPECT). */
struct seen {
	const unsigned *expect;
	unsigned n;
	unsigned bad;
	size_t max_len;
};

static int seen_cb(void *ctx, const uint8_t *rec, size_t len)
{
	struct seen *s = ctx;
	uint8_t want[512];
	size_t wl = rec_make(s->expect ? s->expect[s->n] : s->n, want);

	if (wl != len || (len && memcmp(want, rec, len) != 0))
		s->bad++;
	if (len > s->max_len)
		s->max_len = len;
	s->n++;
	return 0;
}

static int count_cb(void *ctx, const uint8_t *rec, size_t len)
{
	struct seen *s = ctx;

	if (len > JOURNAL_RECORD_MAX || (len && !rec))
		s->bad++;
	s->n++;
	return 0;
}

static int append_made(struct journal *j, unsigned i)
{
	uint8_t buf[512];
	size_t len = rec_make(i, buf);

	return journal_append(j, buf, len);
}

/* Builds DIR/journal with records 0..N-1; returns the byte offset where
 * record K starts in *START_K (when given). */
static void build_journal(const char *dir, unsigned n, unsigned k, size_t *start_k)
{
	struct journal *j = NULL;

	CHECK_EQ_I(journal_open(dir, NULL, NULL, &j, NULL), 0);
	if (!j)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (i == k && start_k)
			*start_k = journal_size_bytes(j);
		CHECK_EQ_I(append_made(j, i), 0);
	}
	journal_close(j);
}

static unsigned count_corrupt_copies(const char *dir)
{
	char p[320];
	unsigned n = 0;

	for (int i = 1; i < 10; i++) {
		snprintf(p, sizeof(p), "%s/journal.corrupt.%d", dir, i);
		n += file_exists(p);
	}
	return n;
}

/* ---- tests ----------------------------------------------------------- */

TEST(crc32_known_vectors)
{
	CHECK_EQ_U(journal_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_EQ_U(journal_crc32(0, "", 0), 0);
	/* Chaining equals one pass. */
	CHECK_EQ_U(journal_crc32(journal_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

TEST(record_format_byte_for_byte)
{
	static const uint8_t want[] = {'R', 'D', 'J', 0x01, 0x02, 0, 0, 0, 0xFB, 0x38, 0x40, 0x65, 'h', 'i'};
	char dir[256], path[300];
	struct journal *j = NULL;
	uint8_t *got;
	size_t len = 0;
	struct stat st;

	fresh_dir(dir, sizeof(dir), "format");
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &j, NULL), 0);
	CHECK_EQ_I(journal_append(j, (const uint8_t *)"hi", 2), 0);
	CHECK_EQ_U(journal_size_bytes(j), sizeof(want));
	journal_close(j);
	path_in(path, sizeof(path), dir, "journal");
	got = read_all(path, &len);
	CHECK_EQ_U(len, sizeof(want));
	CHECK(got && len == sizeof(want) && memcmp(got, want, len) == 0);
	free(got);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0750);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
}

TEST(append_close_reopen_in_order)
{
	struct journal_replay_report rep;
	struct journal *j = NULL;
	struct seen s = {0};
	char dir[256];
	size_t size;

	fresh_dir(dir, sizeof(dir), "reopen");
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(rep.records, 0);
	CHECK(journal_writable(j));
	for (unsigned i = 0; i < 100; i++)
		CHECK_EQ_I(append_made(j, i), 0);
	size = journal_size_bytes(j);
	journal_close(j);

	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(s.n, 100);
	CHECK_EQ_U(s.bad, 0);
	CHECK_EQ_U(rep.records, 100);
	CHECK_EQ_U(rep.dropped_bytes, 0);
	CHECK_EQ_U(journal_size_bytes(j), size);
	/* And appending continues behind them. */
	CHECK_EQ_I(append_made(j, 100), 0);
	journal_close(j);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(s.n, 101);
	CHECK_EQ_U(s.bad, 0);
	journal_close(j);
}

TEST(record_size_cap)
{
	struct journal *j = NULL;
	struct seen s = {0};
	char dir[256];
	uint8_t *big = calloc(1, JOURNAL_RECORD_MAX + 1);

	fresh_dir(dir, sizeof(dir), "cap");
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &j, NULL), 0);
	CHECK_EQ_I(journal_append(j, big, JOURNAL_RECORD_MAX + 1), -ERR_INVALID_ARGUMENT);
	CHECK(strstr(err_detail(), "cap") != NULL);
	CHECK(journal_writable(j)); /* the caller's mistake, not the disk's */
	CHECK_EQ_U(journal_size_bytes(j), 0);
	big[JOURNAL_RECORD_MAX - 1] = 0x5A;
	CHECK_EQ_I(journal_append(j, big, JOURNAL_RECORD_MAX), 0);
	journal_close(j);
	CHECK_EQ_I(journal_open(dir, count_cb, &s, &j, NULL), 0);
	CHECK_EQ_U(s.n, 1);
	CHECK_EQ_U(s.bad, 0);
	journal_close(j);

	/* On disk, a record one byte over the cap is corruption even when it is
	 * complete and its CRC matches. */
	{
		struct journal_replay_report rep;
		size_t n = JOURNAL_RECORD_MAX + 1, flen = 12 + n;
		uint8_t *file = calloc(1, flen);
		char path[300];
		uint32_t c;

		memcpy(file, "RDJ\x01", 4);
		for (int q = 0; q < 4; q++)
			file[4 + q] = (uint8_t)(n >> (8 * q));
		c = journal_crc32(journal_crc32(0, file + 4, 4), file + 12, n);
		for (int q = 0; q < 4; q++)
			file[8 + q] = (uint8_t)(c >> (8 * q));
		path_in(path, sizeof(path), dir, "journal");
		write_all(path, file, flen);
		memset(&s, 0, sizeof(s));
		CHECK_EQ_I(journal_open(dir, count_cb, &s, &j, &rep), 0);
		CHECK_EQ_U(s.n, 0);
		CHECK_EQ_U(rep.dropped_bytes, flen);
		CHECK_EQ_U(journal_size_bytes(j), 0);
		journal_close(j);
		free(file);
	}
	free(big);
}

TEST(torn_tail_at_every_offset)
{
	char dir[256], path[300];
	size_t start = 0, len = 0;
	uint8_t *orig;
	const unsigned n = 6; /* record 5 is 196 bytes of payload */

	fresh_dir(dir, sizeof(dir), "torn");
	build_journal(dir, n, n - 1, &start);
	path_in(path, sizeof(path), dir, "journal");
	orig = read_all(path, &len);
	CHECK(orig && len > start + 100);
	for (size_t cut = start; orig && cut < len; cut++) {
		struct journal_replay_report rep;
		struct journal *j = NULL;
		struct seen s = {0};

		write_all(path, orig, cut);
		CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
		CHECK_EQ_U(rep.records, n - 1);
		CHECK_EQ_U(s.bad, 0);
		CHECK_EQ_U(rep.dropped_bytes, cut - start);
		CHECK_EQ_U(journal_size_bytes(j), start);
		CHECK_EQ_I(file_size(path), (long long)start);
		CHECK(journal_writable(j));
		CHECK_EQ_U(count_corrupt_copies(dir), 0); /* an unfinished append is not kept */
		CHECK_EQ_I(append_made(j, n - 1), 0);
		journal_close(j);
		memset(&s, 0, sizeof(s));
		CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
		CHECK_EQ_U(rep.records, n);
		CHECK_EQ_U(rep.dropped_bytes, 0);
		CHECK_EQ_U(s.bad, 0);
		journal_close(j);
		if (check_current_failed) {
			fprintf(stderr, "  (cut at byte %zu)\n", cut);
			break;
		}
	}
	free(orig);
}

TEST(random_garbage_never_crashes)
{
	char dir[256], path[300];
	uint8_t buf[4096], rec[512];
	unsigned seed = 12345;

	fresh_dir(dir, sizeof(dir), "garbage");
	mkdir(dir, 0750);
	path_in(path, sizeof(path), dir, "journal");
	for (unsigned iter = 0; iter < 3000; iter++) {
		struct journal_replay_report rep, rep2;
		struct journal *j = NULL;
		struct seen s = {0}, s2 = {0};
		size_t len = (size_t)rand_r(&seed) % sizeof(buf), pos = 0;
		int mode = rand_r(&seed) % 4;

		/* Mode 1: valid records then garbage; mode 2: valid magic with a
		 * random length and CRC; mode 3: sparse bit flips of valid records. */
		if (mode == 1 || mode == 3) {
			for (unsigned i = 0; pos + 12 + 300 < len; i++) {
				size_t rl = rec_make(i, rec);

				memcpy(buf + pos, "RDJ\x01", 4);
				buf[pos + 4] = (uint8_t)rl;
				buf[pos + 5] = (uint8_t)(rl >> 8);
				buf[pos + 6] = buf[pos + 7] = 0;
				{
					uint32_t c = journal_crc32(journal_crc32(0, buf + pos + 4, 4), rec, rl);

					for (int q = 0; q < 4; q++)
						buf[pos + 8 + q] = (uint8_t)(c >> (8 * q));
				}
				memcpy(buf + pos + 12, rec, rl);
				pos += 12 + rl;
			}
		}
		for (size_t i = mode == 1 ? pos : mode == 3 ? len : 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		if (mode == 2 && len >= 12)
			memcpy(buf, "RDJ\x01", 4);
		if (mode == 3 && len)
			for (int f = 0; f < 3; f++)
				buf[(size_t)rand_r(&seed) % len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		write_all(path, buf, len);
		CHECK_EQ_I(journal_open(dir, count_cb, &s, &j, &rep), 0);
		CHECK_EQ_U(s.bad, 0);
		CHECK_EQ_U(rep.records, s.n);
		CHECK_EQ_U(journal_size_bytes(j) + rep.dropped_bytes, len);
		journal_close(j);
		/* What survived the cut is clean. */
		CHECK_EQ_I(journal_open(dir, count_cb, &s2, &j, &rep2), 0);
		CHECK_EQ_U(rep2.records, s.n);
		CHECK_EQ_U(rep2.dropped_bytes, 0);
		journal_close(j);
		for (int i = 1; i < 4; i++) {
			char p[320];

			snprintf(p, sizeof(p), "%s/journal.corrupt.%d", dir, i);
			unlink(p);
		}
		if (check_current_failed) {
			fprintf(stderr, "  (iteration %u, mode %d, %zu bytes)\n", iter, mode, len);
			break;
		}
	}
}

struct keep {
	const unsigned *idx;
	uint8_t buf[512];
	size_t fail_at; /* return an error at this index; (size_t)-1 never */
};

static int keep_iter(void *ctx, size_t i, const uint8_t **rec, size_t *len)
{
	struct keep *k = ctx;

	if (i == k->fail_at)
		return err_setf(ERR_INTERNAL, "iterator gave up at %zu", i);
	*len = rec_make(k->idx[i], k->buf);
	*rec = k->buf;
	return 0;
}

TEST(compaction_keeps_exactly_what_it_is_given)
{
	unsigned kept[64], nk = 0;
	struct keep k = {.idx = kept, .fail_at = (size_t)-1};
	char dir[256], path[300], newp[300];
	struct journal_replay_report rep;
	struct journal *j = NULL;
	struct seen s = {0};
	uint8_t *before, *after;
	size_t blen = 0, alen = 0, want_size = 0;
	uint8_t tmp[512];

	fresh_dir(dir, sizeof(dir), "compact");
	path_in(path, sizeof(path), dir, "journal");
	path_in(newp, sizeof(newp), dir, "journal.new");
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &j, NULL), 0);
	for (unsigned i = 0; i < 40; i++)
		CHECK_EQ_I(append_made(j, i), 0);
	for (unsigned i = 0; i < 40; i += 3) {
		kept[nk++] = i;
		want_size += 12 + rec_make(i, tmp);
	}

	/* An iterator that fails leaves everything as it was. */
	before = read_all(path, &blen);
	k.fail_at = 5;
	CHECK_EQ_I(journal_compact(j, keep_iter, &k, nk), -ERR_INTERNAL);
	CHECK(!file_exists(newp));
	after = read_all(path, &alen);
	CHECK(before && after && blen == alen && memcmp(before, after, blen) == 0);
	CHECK_EQ_U(journal_size_bytes(j), blen);
	free(before);
	free(after);

	k.fail_at = (size_t)-1;
	CHECK_EQ_I(journal_compact(j, keep_iter, &k, nk), 0);
	CHECK(!file_exists(newp));
	CHECK_EQ_U(journal_size_bytes(j), want_size);
	CHECK_EQ_I(file_size(path), (long long)want_size);
	CHECK(journal_writable(j));
	/* Appends go to the new file. */
	kept[nk++] = 40;
	CHECK_EQ_I(append_made(j, 40), 0);
	kept[nk++] = 41;
	CHECK_EQ_I(append_made(j, 41), 0);
	journal_close(j);

	s.expect = kept;
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(s.n, nk);
	CHECK_EQ_U(s.bad, 0);
	CHECK_EQ_U(rep.dropped_bytes, 0);

	/* Compacting to nothing leaves an empty, usable journal. */
	CHECK_EQ_I(journal_compact(j, keep_iter, &k, 0), 0);
	CHECK_EQ_U(journal_size_bytes(j), 0);
	CHECK_EQ_I(file_size(path), 0);
	CHECK_EQ_I(append_made(j, 0), 0);
	journal_close(j);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(s.n, 1);
	CHECK_EQ_U(s.bad, 0);
	journal_close(j);
}

/* Offset of record K in a journal of rec_make(0..) records. */
static size_t rec_start(unsigned k)
{
	uint8_t tmp[512];
	size_t off = 0;

	for (unsigned i = 0; i < k; i++)
		off += 12 + rec_make(i, tmp);
	return off;
}

/* Where a case flips bytes of its record: from the start (>= 0) or from the
 * end (-1 is the last byte). */
#define FLIP_NONE 0x7fff

static const struct flip_case {
	const char *what;
	unsigned n, k;      /* record k of n (rec_make lengths) */
	int at[3];          /* record-relative offsets, FLIP_NONE when unused */
	uint8_t mask;
} flip_cases[] = {
	/* what                       n   k   bytes flipped                  mask */
	{"magic, first byte",        9,  2, {0, FLIP_NONE, FLIP_NONE},     0x01},
	{"magic, version byte",      9,  5, {3, FLIP_NONE, FLIP_NONE},     0x80},
	{"length, low byte",         9,  1, {4, FLIP_NONE, FLIP_NONE},     0x04},
	{"length, low bit down",     9,  2, {4, FLIP_NONE, FLIP_NONE},     0x01},
	{"length, over the cap",     9,  4, {7, FLIP_NONE, FLIP_NONE},     0x10},
	{"length, past the end",     9,  1, {6, FLIP_NONE, FLIP_NONE},     0x01},
	{"crc",                      9,  6, {9, FLIP_NONE, FLIP_NONE},     0x40},
	{"payload, first byte",      9,  2, {12, FLIP_NONE, FLIP_NONE},    0x20},
	{"payload, last byte",       9,  2, {-1, FLIP_NONE, FLIP_NONE},    0x02},
	{"first record",             9,  0, {14, FLIP_NONE, FLIP_NONE},    0xff},
	{"empty record's crc",      11, 10, {8, FLIP_NONE, FLIP_NONE},     0x08},
	{"last record, payload",     9,  8, {14, FLIP_NONE, FLIP_NONE},    0x11},
	{"last record, length up",   9,  8, {5, FLIP_NONE, FLIP_NONE},     0x02},
	{"last record, length down", 9,  8, {4, FLIP_NONE, FLIP_NONE},     0x01},
	{"3 bytes, a third in",     48, 15, {2, 30, -5},                   0x5a},
	{"3 bytes, header and body",48, 18, {5, 8, 40},                    0x81},
};

/* Applies case C to ORIG (in place; again to undo). */
static void flip_apply(const struct flip_case *c, uint8_t *orig, size_t start, size_t rec_len)
{
	for (int i = 0; i < 3; i++) {
		int at = c->at[i];

		if (at == FLIP_NONE)
			continue;
		CHECK(at < (int)rec_len && -at <= (int)rec_len);
		if (at < (int)rec_len && -at <= (int)rec_len)
			orig[at >= 0 ? start + (size_t)at : start + rec_len - (size_t)-at] ^= c->mask;
	}
}

/* Every record but k replays, in order; record k's bytes (as damaged) are
 * in journal.corrupt.1, reported as one span; the tail is cut only when k
 * is the last; after a compaction the damage is gone and appends work. */
TEST(damage_in_one_record_costs_only_that_record)
{
	for (size_t ci = 0; ci < sizeof(flip_cases) / sizeof(flip_cases[0]); ci++) {
		const struct flip_case *c = &flip_cases[ci];
		char dir[256], path[300], copy[300];
		unsigned expect[64], ne = 0;
		uint8_t rec[512], *orig, *saved;
		size_t start, rec_len, len = 0, saved_len = 0;
		struct journal_replay_report rep;
		struct keep kp = {.idx = expect, .fail_at = (size_t)-1};
		struct journal *j = NULL;
		struct seen s = {0};
		bool last = c->k == c->n - 1;

		fresh_dir(dir, sizeof(dir), "damage");
		build_journal(dir, c->n, 0, NULL);
		path_in(path, sizeof(path), dir, "journal");
		path_in(copy, sizeof(copy), dir, "journal.corrupt.1");
		orig = read_all(path, &len);
		start = rec_start(c->k);
		rec_len = 12 + rec_make(c->k, rec);
		if (!orig)
			continue;
		flip_apply(c, orig, start, rec_len);
		write_all(path, orig, len);
		for (unsigned i = 0; i < c->n; i++)
			if (i != c->k)
				expect[ne++] = i;

		s.expect = expect;
		CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
		CHECK_EQ_U(s.n, c->n - 1);
		CHECK_EQ_U(s.bad, 0);
		CHECK_EQ_U(rep.records, c->n - 1);
		CHECK_EQ_U(rep.damaged_spans, 1);
		CHECK_EQ_U(rep.damaged_bytes, rec_len);
		CHECK_EQ_U(rep.torn_bytes, 0);
		CHECK_EQ_U(rep.dropped_bytes, last ? rec_len : 0);
		CHECK_EQ_I(file_size(path), (long long)(last ? start : len));
		CHECK(journal_writable(j));
		saved = read_all(copy, &saved_len);
		CHECK(saved && saved_len == rec_len && memcmp(saved, orig + start, rec_len) == 0);
		free(saved);
		CHECK_EQ_U(count_corrupt_copies(dir), 1);

		/* The caller rewrites it with what it keeps: the damage is gone. */
		CHECK_EQ_I(journal_compact(j, keep_iter, &kp, ne), 0);
		expect[ne++] = c->n;
		CHECK_EQ_I(append_made(j, c->n), 0);
		journal_close(j);
		memset(&s, 0, sizeof(s));
		s.expect = expect;
		CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
		CHECK_EQ_U(s.n, c->n);
		CHECK_EQ_U(s.bad, 0);
		CHECK_EQ_U(rep.damaged_spans, 0);
		CHECK_EQ_U(rep.dropped_bytes, 0);
		CHECK_EQ_U(count_corrupt_copies(dir), 1);
		journal_close(j);
		free(orig);
		if (check_current_failed) {
			fprintf(stderr, "  (case \"%s\": record %u of %u)\n", c->what, c->k, c->n);
			return;
		}
	}
}

/* Every bit of every byte of one record with a payload, and of the empty
 * record after it: only that record is lost. */
TEST(flipped_bit_anywhere_skips_only_that_record)
{
	static const unsigned ks[] = {2, 3}; /* 85 bytes of payload; none */
	char dir[256], path[300], copy[300];
	size_t len = 0;
	uint8_t *orig, rec[512];
	const unsigned n = 7;

	fresh_dir(dir, sizeof(dir), "flip");
	build_journal(dir, n, 0, NULL);
	path_in(path, sizeof(path), dir, "journal");
	path_in(copy, sizeof(copy), dir, "journal.corrupt.1");
	orig = read_all(path, &len);
	for (size_t ki = 0; orig && ki < 2; ki++) {
		unsigned k = ks[ki], expect[8], ne = 0;
		size_t start = rec_start(k), end = start + 12 + rec_make(k, rec);

		for (unsigned i = 0; i < n; i++)
			if (i != k)
				expect[ne++] = i;
		for (size_t b = start; b < end; b++) {
			for (unsigned bit = 0; bit < 8; bit++) {
				struct journal_replay_report rep;
				struct journal *j = NULL;
				struct seen s = {.expect = expect};

				orig[b] ^= (uint8_t)(1u << bit);
				write_all(path, orig, len);
				unlink(copy);
				CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
				CHECK_EQ_U(rep.records, n - 1);
				CHECK_EQ_U(s.bad, 0);
				CHECK_EQ_U(rep.damaged_spans, 1);
				CHECK_EQ_U(rep.damaged_bytes, end - start);
				CHECK_EQ_U(file_size(copy), end - start);
				journal_close(j);
				orig[b] ^= (uint8_t)(1u << bit);
				if (check_current_failed) {
					fprintf(stderr, "  (record %u, byte %zu bit %u)\n", k, b - start, bit);
					free(orig);
					return;
				}
			}
		}
	}
	free(orig);
}

/* Several damaged places: adjacent damaged records make one span, each
 * span is logged and kept, back to back, in one journal.corrupt.N, and a
 * garbage tail after them is damage too (kept, then cut). */
TEST(several_damaged_spans_kept_in_order)
{
	static const unsigned expect[] = {0, 1, 4, 5, 6, 8, 9};
	char dir[256], path[300], copy[300];
	struct journal_replay_report rep;
	struct journal *j = NULL;
	struct seen s = {.expect = expect};
	size_t len = 0, saved_len = 0, a, b, c, d, e;
	uint8_t *orig, *saved, want[2048];
	static const uint8_t junk[] = "RDJ\x01 not a record at all, just junk";

	fresh_dir(dir, sizeof(dir), "spans");
	build_journal(dir, 10, 0, NULL);
	path_in(path, sizeof(path), dir, "journal");
	path_in(copy, sizeof(copy), dir, "journal.corrupt.1");
	orig = read_all(path, &len);
	orig = realloc(orig, len + sizeof(junk));
	memcpy(orig + len, junk, sizeof(junk));
	a = rec_start(2), b = rec_start(4), c = rec_start(7), d = rec_start(8), e = len;
	orig[a + 13] ^= 1;  /* record 2's payload */
	orig[b - 1] ^= 1;   /* record 3's last byte */
	orig[c] = 'X';      /* record 7's magic */
	len += sizeof(junk);
	write_all(path, orig, len);
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(s.n, 7);
	CHECK_EQ_U(s.bad, 0);
	CHECK_EQ_U(rep.damaged_spans, 3);
	CHECK_EQ_U(rep.damaged_bytes, (b - a) + (d - c) + sizeof(junk));
	CHECK_EQ_U(rep.dropped_bytes, sizeof(junk));
	CHECK_EQ_U(rep.torn_bytes, 0);
	CHECK_EQ_I(file_size(path), (long long)e);
	memcpy(want, orig + a, b - a);
	memcpy(want + (b - a), orig + c, d - c);
	memcpy(want + (b - a) + (d - c), orig + e, sizeof(junk));
	saved = read_all(copy, &saved_len);
	CHECK(saved && saved_len == rep.damaged_bytes && memcmp(saved, want, saved_len) == 0);
	CHECK_EQ_U(count_corrupt_copies(dir), 1);
	free(saved);
	free(orig);
	journal_close(j);
}

/* ---- the job store on a damaged journal -------------------------------- */

/* Appends one record with PAYLOAD to F, as journal_append would. */
static void put_record(FILE *f, const char *payload)
{
	size_t len = strlen(payload);
	uint8_t hdr[12];
	uint32_t c;

	memcpy(hdr, "RDJ\x01", 4);
	for (int q = 0; q < 4; q++)
		hdr[4 + q] = (uint8_t)(len >> (8 * q));
	c = journal_crc32(journal_crc32(0, hdr + 4, 4), payload, len);
	for (int q = 0; q < 4; q++)
		hdr[8 + q] = (uint8_t)(c >> (8 * q));
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(payload, 1, len, f);
}

/* A job snapshot: SHORT is the shortest one replay accepts (the tightest
 * case for the id bound), else the members the store writes. */
static void put_job(FILE *f, unsigned id, const char *state, bool shortest)
{
	char buf[512];

	if (shortest)
		snprintf(buf, sizeof(buf), "{\"id\":\"%u\",\"state\":\"%s\",\"_j\":{}}", id, state);
	else
		snprintf(buf, sizeof(buf),
			 "{\"id\":\"%u\",\"kind\":\"unlock\",\"probe\":{\"index\":0,\"serial\":\"S%u\",\"uri\":"
			 "\"sim:stm32f401re-rdp1\"},\"chip\":null,\"state\":\"%s\",\"progress_pct\":0,"
			 "\"requested_by\":\"test\",\"log\":[],\"result\":null,\"error\":null,\"_j\":{"
			 "\"idempotency_key\":\"\",\"created\":1700000000,\"started\":0,\"finished\":0,"
			 "\"error_rc\":0,\"clock_hz\":0,\"connect_mode\":0}}", id, id, state);
	put_record(f, buf);
}

/* The store replayed from DIR as serve.c does it. */
static struct journal *store_open(const char *dir, struct journal_replay_report *rep)
{
	struct journal *j = NULL;

	job_store_shutdown();
	job_store_init(NULL);
	CHECK_EQ_I(journal_open(dir, job_store_replay_record, NULL, &j, rep), 0);
	job_store_init(j);
	job_store_finish_replay(rep);
	return j;
}

static void store_close(struct journal *j)
{
	job_store_shutdown();
	journal_close(j);
}

static uint64_t store_new_job(void)
{
	uint64_t id = 0;

	CHECK_EQ_I(job_create(JOB_KIND_UNLOCK, 0, "S", "sim:stm32f401re-rdp1", "test", NULL, NULL, 0, 0, NULL, &id), 0);
	return id;
}

static const char *store_state(uint64_t id)
{
	enum job_state st;

	return job_state_of(id, &st, NULL) == 0 ? job_state_name(st) : "(none)";
}

/* Job records in the order written: id and state, and which get damaged. */
struct job_rec {
	unsigned id;
	const char *state;
	bool damaged;
};

static const struct id_case {
	const char *what;
	bool shortest;            /* shortest snapshots: the bound is tight */
	unsigned lost_max;        /* the highest id whose records are all damaged */
	unsigned n;
	struct job_rec recs[10];
} id_cases[] = {
	{"newest five lost at the end", true, 9, 9,
	 {{1, "failed"}, {2, "failed"}, {3, "failed"}, {4, "failed"}, {5, "failed", true},
	  {6, "failed", true}, {7, "failed", true}, {8, "failed", true}, {9, "failed", true}}},
	{"newest lost in the middle, older ones end after it", false, 3, 5,
	 {{1, "queued"}, {2, "queued"}, {3, "queued", true}, {1, "succeeded"}, {2, "failed"}}},
	{"newest two lost, the tail intact", false, 4, 6,
	 {{1, "queued"}, {2, "queued"}, {3, "queued", true}, {4, "queued", true}, {1, "succeeded"},
	  {2, "succeeded"}}},
};

/* The damage may have held the only records of the newest jobs: their ids
 * are never handed out again, not after this start, not after the next one
 * (the damage is gone from the file by then), not with one copy of the
 * high-water mark damaged too. And the cost stays small. */
TEST(ids_of_jobs_lost_with_damage_never_reused)
{
	for (size_t ci = 0; ci < sizeof(id_cases) / sizeof(id_cases[0]); ci++) {
		const struct id_case *c = &id_cases[ci];
		struct journal_replay_report rep;
		char dir[256], path[300];
		struct journal *j;
		uint8_t *file;
		size_t len = 0;
		long offs[10];
		uint64_t id;
		FILE *f;

		fresh_dir(dir, sizeof(dir), "ids");
		mkdir(dir, 0750);
		path_in(path, sizeof(path), dir, "journal");
		f = fopen(path, "wb");
		if (!f)
			continue;
		for (unsigned i = 0; i < c->n; i++) {
			offs[i] = ftell(f);
			put_job(f, c->recs[i].id, c->recs[i].state, c->shortest);
		}
		fclose(f);
		file = read_all(path, &len);
		for (unsigned i = 0; file && i < c->n; i++)
			if (c->recs[i].damaged)
				file[offs[i] + 20] ^= 0x04; /* a payload byte */
		write_all(path, file, len);
		free(file);

		j = store_open(dir, &rep);
		CHECK(rep.damaged_spans >= 1);
		for (unsigned i = 0; i < c->n; i++) /* the intact jobs keep their last state */
			if (!c->recs[i].damaged && strcmp(c->recs[i].state, "queued") != 0)
				CHECK_STR(store_state(c->recs[i].id), c->recs[i].state);
		id = store_new_job();
		CHECK(id > c->lost_max);
		CHECK(id < c->lost_max + 100); /* cheap: a few ids, not millions */
		store_close(j);

		/* Restarted twice more without a new job in between: the mark
		 * written with the rewrite keeps the bound. */
		j = store_open(dir, &rep);
		CHECK_EQ_U(rep.damaged_spans, 0);
		CHECK(store_new_job() > id);
		store_close(j);
		/* One copy of the mark (the first record) damaged as well. */
		file = read_all(path, &len);
		if (file && len > 20)
			file[14] ^= 0x01;
		write_all(path, file, len);
		free(file);
		j = store_open(dir, &rep);
		CHECK_EQ_U(rep.damaged_spans, 1);
		CHECK(store_new_job() > id + 1);
		store_close(j);
		if (check_current_failed) {
			fprintf(stderr, "  (case \"%s\")\n", c->what);
			return;
		}
	}
}

/* 1,050 finished jobs in the journal (the history holds 1,000) plus a job
 * still running and one queued: after replay the oldest 50 finished go and
 * the two that were not finished stay (interrupted now), and the journal is
 * rewritten to match. Those two are finished from then on: the next start
 * keeps the newest 1,000, as run time would, and the one after changes
 * nothing. */
TEST(history_bound_holds_after_replay)
{
	static const struct {
		unsigned replayed, kept, oldest;
	} rounds[] = {{1052, 1002, 52}, {1002, 1000, 53}, {1000, 1000, 53}};
	struct journal_replay_report rep;
	char dir[256], path[300];
	struct journal *j;
	uint64_t next = 0;
	struct job *list;
	size_t kept;
	FILE *f;

	fresh_dir(dir, sizeof(dir), "history");
	mkdir(dir, 0750);
	path_in(path, sizeof(path), dir, "journal");
	f = fopen(path, "wb");
	if (!f)
		return;
	put_job(f, 1, "running", false);
	for (unsigned id = 2; id <= 1051; id++)
		put_job(f, id, "succeeded", false);
	put_job(f, 1052, "queued", false);
	fclose(f);

	for (size_t r = 0; r < 3; r++) {
		j = store_open(dir, &rep);
		CHECK_EQ_U(rep.records, rounds[r].replayed);
		CHECK_EQ_I(job_list(-1, -1, 5000, 0, &list, &kept, &next), 0);
		CHECK_EQ_U(kept, rounds[r].kept);
		job_list_free(list, kept);
		CHECK_STR(store_state(1), r == 0 ? "interrupted" : "(none)");
		CHECK_STR(store_state(1052), "interrupted");
		CHECK(!job_exists(rounds[r].oldest - 1));
		CHECK_STR(store_state(rounds[r].oldest), "succeeded");
		CHECK_STR(store_state(1051), "succeeded");
		store_close(j);
		if (check_current_failed) {
			fprintf(stderr, "  (start %zu)\n", r + 1);
			return;
		}
	}
}

static int fail_at_third(void *ctx, const uint8_t *rec, size_t len)
{
	unsigned *n = ctx;

	return ++*n == 3 ? err_setf(ERR_INTERNAL, "bad snapshot") : 0;
}

TEST(replay_callback_error_stops_open)
{
	struct journal *j = (struct journal *)1;
	char dir[256], path[300];
	unsigned n = 0;

	fresh_dir(dir, sizeof(dir), "cberr");
	build_journal(dir, 5, 0, NULL);
	path_in(path, sizeof(path), dir, "journal");
	long long size = file_size(path);
	CHECK_EQ_I(journal_open(dir, fail_at_third, &n, &j, NULL), -ERR_INTERNAL);
	CHECK(j == NULL);
	CHECK_EQ_I(file_size(path), size); /* nothing cut */
}

TEST(second_opener_is_refused)
{
	struct journal *a = NULL, *b = NULL;
	char dir[256];

	fresh_dir(dir, sizeof(dir), "lock");
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &a, NULL), 0);
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &b, NULL), -ERR_IO);
	CHECK(b == NULL);
	CHECK(strstr(err_detail(), "another rdpd") != NULL);
	journal_close(a);
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &b, NULL), 0);
	journal_close(b);
}

struct writer {
	struct journal *j;
	unsigned id;
	int failures;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t rec[8];

	for (unsigned i = 0; i < 50; i++) {
		rec[0] = (uint8_t)w->id;
		memcpy(rec + 1, &i, sizeof(i));
		memset(rec + 5, 0xA0 + (int)w->id, 3);
		if (journal_append(w->j, rec, sizeof(rec)) != 0)
			w->failures++;
	}
	return NULL;
}

struct per_thread {
	unsigned next[4];
	unsigned bad;
	unsigned n;
};

static int per_thread_cb(void *ctx, const uint8_t *rec, size_t len)
{
	struct per_thread *p = ctx;
	unsigned seq;

	p->n++;
	if (len != 8 || rec[0] >= 4) {
		p->bad++;
		return 0;
	}
	memcpy(&seq, rec + 1, sizeof(seq));
	if (seq != p->next[rec[0]]++ || rec[5] != 0xA0 + rec[0] || rec[7] != 0xA0 + rec[0])
		p->bad++;
	return 0;
}

TEST(concurrent_appends_are_whole_and_ordered)
{
	struct writer w[4];
	pthread_t t[4];
	struct per_thread p = {.n = 0};
	struct journal *j = NULL;
	char dir[256];

	fresh_dir(dir, sizeof(dir), "threads");
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &j, NULL), 0);
	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct writer){.j = j, .id = i};
		pthread_create(&t[i], NULL, writer_main, &w[i]);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ_I(w[i].failures, 0);
	}
	CHECK_EQ_U(journal_size_bytes(j), 200 * 20);
	journal_close(j);
	CHECK_EQ_I(journal_open(dir, per_thread_cb, &p, &j, NULL), 0);
	CHECK_EQ_U(p.n, 200);
	CHECK_EQ_U(p.bad, 0);
	journal_close(j);
}

/* Disk full, simulated with a file size limit (root ignores chmod): every
 * possible partial write of one record. */
TEST(full_disk_fails_append_and_loses_nothing)
{
	struct journal_replay_report rep;
	struct rlimit old, lim;
	struct journal *j = NULL;
	struct seen s = {0};
	char dir[256], path[300];
	uint8_t rec[512];
	size_t stored, rl = rec_make(3, rec);

	fresh_dir(dir, sizeof(dir), "full");
	path_in(path, sizeof(path), dir, "journal");
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &j, NULL), 0);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ_I(append_made(j, i), 0);
	stored = journal_size_bytes(j);

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	for (size_t limit = stored; limit < stored + 12 + rl; limit++) {
		lim = old;
		lim.rlim_cur = limit;
		CHECK_EQ_I(setrlimit(RLIMIT_FSIZE, &lim), 0);
		err_clear();
		CHECK_EQ_I(journal_append(j, rec, rl), -ERR_IO);
		setrlimit(RLIMIT_FSIZE, &old);
		CHECK(strstr(err_detail(), path) != NULL);
		CHECK(strstr(err_detail(), "File too large") != NULL);
		CHECK(!journal_writable(j));
		CHECK_EQ_U(journal_size_bytes(j), stored);
		CHECK_EQ_I(file_size(path), (long long)stored);
		if (check_current_failed) {
			fprintf(stderr, "  (limit %zu: %s)\n", limit, err_detail());
			break;
		}
	}
	/* Space comes back: the next append works and readiness returns. */
	CHECK_EQ_I(journal_append(j, rec, rl), 0);
	CHECK(journal_writable(j));
	journal_close(j);
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(rep.records, 4);
	CHECK_EQ_U(rep.dropped_bytes, 0);
	CHECK_EQ_U(s.bad, 0);
	journal_close(j);
}

/* A job whose record the disk cannot take is refused as the client sees
 * it (state_not_writable, 503: the state directory is what to fix), with
 * the journal's sentence, and is not listed. */
TEST(full_disk_refuses_a_new_job_as_state_not_writable)
{
	struct journal_replay_report rep;
	struct rlimit old, lim;
	struct journal *j;
	char dir[256];
	uint64_t id = 0;
	int rc;

	fresh_dir(dir, sizeof(dir), "fulljob");
	j = store_open(dir, &rep);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)journal_size_bytes(j);
	CHECK_EQ_I(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = job_create(JOB_KIND_UNLOCK, 0, "S", "sim:stm32f401re-rdp1", "test", NULL, NULL, 0, 0, NULL, &id);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_EQ_I(rc, -ERR_STATE_UNWRITABLE);
	CHECK(strstr(err_detail(), "File too large") != NULL);
	CHECK(strstr(err_detail(), "state directory") != NULL);
	CHECK(!job_exists(1));
	store_close(j);
}

/* A full disk while compacting leaves the old journal as it was. */
TEST(full_disk_during_compaction_keeps_old_journal)
{
	unsigned kept[20];
	struct keep k = {.idx = kept, .fail_at = (size_t)-1};
	struct rlimit old, lim;
	struct journal *j = NULL;
	struct seen s = {0};
	char dir[256], path[300], newp[300];
	size_t stored;

	fresh_dir(dir, sizeof(dir), "fullcompact");
	path_in(path, sizeof(path), dir, "journal");
	path_in(newp, sizeof(newp), dir, "journal.new");
	CHECK_EQ_I(journal_open(dir, NULL, NULL, &j, NULL), 0);
	for (unsigned i = 0; i < 20; i++) {
		kept[i] = i;
		CHECK_EQ_I(append_made(j, i), 0);
	}
	stored = journal_size_bytes(j);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = stored / 2;
	setrlimit(RLIMIT_FSIZE, &lim);
	CHECK_EQ_I(journal_compact(j, keep_iter, &k, 20), -ERR_IO);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(strstr(err_detail(), "unchanged") != NULL);
	CHECK(!journal_writable(j));
	CHECK(!file_exists(newp));
	CHECK_EQ_I(file_size(path), (long long)stored);
	CHECK_EQ_I(append_made(j, 20), 0);
	CHECK(journal_writable(j));
	journal_close(j);
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, NULL), 0);
	CHECK_EQ_U(s.n, 21);
	CHECK_EQ_U(s.bad, 0);
	journal_close(j);
}

/* A read-only start replays past a damaged record; the copy is made once
 * the directory can be written (by the next append). */
static void readonly_damage_scenario(const char *state)
{
	char dir[300], path[320], copy[320];
	struct journal *j = NULL;
	struct seen s = {0};
	size_t len = 0, start = rec_start(1);
	uint8_t *orig;

	snprintf(dir, sizeof(dir), "%s-damage", state);
	build_journal(dir, 4, 0, NULL);
	path_in(path, sizeof(path), dir, "journal");
	path_in(copy, sizeof(copy), dir, "journal.corrupt.1");
	orig = read_all(path, &len);
	if (!orig || len < start + 20)
		return;
	orig[start + 15] ^= 0x10;
	write_all(path, orig, len);
	free(orig);
	chmod(path, 0440);
	chmod(dir, 0550);
	CHECK_EQ_I(journal_open(dir, count_cb, &s, &j, NULL), 0);
	CHECK_EQ_U(s.n, 3);
	CHECK(!file_exists(copy));
	chmod(dir, 0750);
	chmod(path, 0640);
	CHECK_EQ_I(append_made(j, 4), 0);
	CHECK(file_exists(copy));
	CHECK_EQ_I(file_size(copy), 12 + 48); /* record 1: 48 bytes of payload */
	journal_close(j);
}

/* Read-only state directory at start-up: the stored records are served,
 * appends fail with a sentence, and work again once the directory is
 * writable. Root ignores directory modes, so as root this part runs in a
 * child that drops to nobody. */
static void readonly_scenario(const char *dir)
{
	struct journal_replay_report rep;
	struct journal *j = NULL;
	struct seen s = {0};
	char path[300];
	uint8_t *before, *after;
	size_t blen = 0, alen = 0, start = 0;

	path_in(path, sizeof(path), dir, "journal");
	build_journal(dir, 4, 3, &start);
	before = read_all(path, &blen);
	/* A torn tail too: it must not be cut while read-only. */
	if (before) {
		write_all(path, before, blen - 5);
		blen -= 5;
	}
	chmod(path, 0440);
	chmod(dir, 0550);
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(rep.records, 3);
	CHECK_EQ_U(s.bad, 0);
	CHECK_EQ_U(rep.dropped_bytes, blen - start);
	CHECK(j && !journal_writable(j));
	CHECK_EQ_I(append_made(j, 3), -ERR_IO);
	CHECK(strstr(err_detail(), path) != NULL);
	CHECK(strstr(err_detail(), "Permission denied") != NULL);
	CHECK(!journal_writable(j));
	after = read_all(path, &alen);
	CHECK(before && after && alen == blen && memcmp(before, after, alen) == 0);
	free(after);
	free(before);

	chmod(dir, 0750);
	chmod(path, 0640);
	CHECK_EQ_I(append_made(j, 3), 0);
	CHECK(journal_writable(j));
	journal_close(j);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
	CHECK_EQ_U(rep.records, 4);
	CHECK_EQ_U(rep.dropped_bytes, 0);
	CHECK_EQ_U(s.bad, 0);
	journal_close(j);

	/* A state directory that cannot even be created: nothing to replay,
	 * not writable, and still no crash. */
	{
		char sub[300];

		chmod(dir, 0550);
		snprintf(sub, sizeof(sub), "%s/sub/state", dir);
		CHECK_EQ_I(journal_open(sub, seen_cb, &s, &j, &rep), 0);
		CHECK(j && !journal_writable(j));
		CHECK_EQ_U(rep.records, 0);
		CHECK_EQ_I(journal_append(j, (const uint8_t *)"x", 1), -ERR_IO);
		CHECK(strstr(err_detail(), "cannot create the state directory") != NULL);
		chmod(dir, 0750);
		CHECK_EQ_I(journal_append(j, (const uint8_t *)"x", 1), 0);
		CHECK(journal_writable(j));
		journal_close(j);
	}
	readonly_damage_scenario(dir);
}

TEST(readonly_state_directory)
{
	char dir[256];
	pid_t pid;
	int status = -1;

	fresh_dir(dir, sizeof(dir), "readonly");
	if (geteuid() != 0) {
		readonly_scenario(dir);
		return;
	}
	/* As root: hand the directory's parent to nobody and run there. */
	{
		char base[256];

		snprintf(base, sizeof(base), "%s", dir);
		*strrchr(base, '/') = '\0';
		if (chown(base, 65534, 65534) != 0 || chmod(tmp_root, 0711) != 0) {
			CHECK(!"cannot hand the test directory to nobody");
			return;
		}
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		readonly_scenario(dir);
		fflush(NULL);
		_exit(check_current_failed ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ_I(WEXITSTATUS(status), 0);
}

int main(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/rdpd-journal-XXXXXX");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);
	log_set_level(LOG_LVL_ERR); /* every cut logs a warning; hundreds here */
	RUN(crc32_known_vectors);
	RUN(record_format_byte_for_byte);
	RUN(append_close_reopen_in_order);
	RUN(record_size_cap);
	RUN(torn_tail_at_every_offset);
	RUN(random_garbage_never_crashes);
	RUN(compaction_keeps_exactly_what_it_is_given);
	RUN(damage_in_one_record_costs_only_that_record);
	RUN(flipped_bit_anywhere_skips_only_that_record);
	RUN(several_damaged_spans_kept_in_order);
	RUN(ids_of_jobs_lost_with_damage_never_reused);
	RUN(history_bound_holds_after_replay);
	RUN(replay_callback_error_stops_open);
	RUN(second_opener_is_refused);
	RUN(concurrent_appends_are_whole_and_ordered);
	RUN(full_disk_fails_append_and_loses_nothing);
	RUN(full_disk_refuses_a_new_job_as_state_not_writable);
	RUN(full_disk_during_compaction_keeps_old_journal);
	RUN(readonly_state_directory);
	rm_rf(tmp_root);
	return check_summary();
}
