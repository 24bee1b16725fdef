/* The job journal: records survive close and reopen, torn tails and flipped
 * bits are cut off cleanly, garbage never crashes, compaction keeps exactly
 * what it is given, and a full disk fails appends without losing anything. */
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

TEST(flipped_bit_stops_replay_there)
{
	char dir[256], path[300], copy[300];
	size_t start = 0, end, len = 0;
	uint8_t *orig, rec[512];
	const unsigned n = 7, k = 3;

	fresh_dir(dir, sizeof(dir), "flip");
	build_journal(dir, n, k, &start);
	path_in(path, sizeof(path), dir, "journal");
	path_in(copy, sizeof(copy), dir, "journal.corrupt.1");
	orig = read_all(path, &len);
	end = start + 12 + rec_make(k, rec);
	CHECK(orig && end < len);
	for (size_t b = start; orig && b < end; b++) {
		for (unsigned bit = 0; bit < 8; bit += (b < start + 12 ? 1 : 3)) {
			struct journal_replay_report rep;
			struct journal *j = NULL;
			struct seen s = {0};
			uint8_t *saved;
			size_t saved_len = 0;

			orig[b] ^= (uint8_t)(1u << bit);
			write_all(path, orig, len);
			unlink(copy);
			CHECK_EQ_I(journal_open(dir, seen_cb, &s, &j, &rep), 0);
			CHECK_EQ_U(rep.records, k);
			CHECK_EQ_U(s.bad, 0);
			CHECK_EQ_U(rep.dropped_bytes, len - start);
			CHECK_EQ_I(file_size(path), (long long)start);
			/* The records behind the bad one are kept aside, byte for byte. */
			saved = read_all(copy, &saved_len);
			CHECK(saved && saved_len == len - start && memcmp(saved, orig + start, saved_len) == 0);
			CHECK_EQ_U(count_corrupt_copies(dir), 1);
			free(saved);
			CHECK_EQ_I(append_made(j, k), 0);
			journal_close(j);
			orig[b] ^= (uint8_t)(1u << bit);
			if (check_current_failed) {
				fprintf(stderr, "  (byte %zu bit %u)\n", b, bit);
				free(orig);
				return;
			}
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
	RUN(flipped_bit_stops_replay_there);
	RUN(random_garbage_never_crashes);
	RUN(compaction_keeps_exactly_what_it_is_given);
	RUN(replay_callback_error_stops_open);
	RUN(second_opener_is_refused);
	RUN(concurrent_appends_are_whole_and_ordered);
	RUN(full_disk_fails_append_and_loses_nothing);
	RUN(full_disk_during_compaction_keeps_old_journal);
	RUN(readonly_state_directory);
	rm_rf(tmp_root);
	return check_summary();
}
