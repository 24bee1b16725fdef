/*
 * journal.c - the append-only record log behind job durability.
 *
 * File format (DIR/journal): records back to back, nothing else (an empty
 * file is an empty journal). Each record is
 *
 *   offset  size  field
 *   0       4     magic/version: 'R' 'D' 'J' 0x01
 *   4       4     payload length N, u32 little-endian, N <= 1 MiB
 *   8       4     CRC-32 (IEEE, zlib polynomial) of bytes 4..7 and the
 *                 payload, u32 little-endian
 *   12      N     payload (opaque to this file)
 *
 * Replay reads records from offset 0. A record is intact when its magic is
 * right, its length is at most 1 MiB and fits in the file, and its CRC
 * matches; the CRC covers the length, so a flipped length is caught too.
 * Past a record that is not intact, replay resynchronises: the next offset
 * holding an intact record (found by its magic, then length and CRC) is
 * where it resumes, and the bytes in between are one damaged span. One
 * damaged record costs that record only, never the ones behind it. (A false
 * resync point would need the magic and a matching CRC-32 inside damaged
 * bytes; job records are JSON text, which never holds the magic's 0x01.)
 *
 * Every damaged span is copied, back to back in file order, to
 * DIR/journal.corrupt.N (N = 1, 2, ...) and logged with its offset and
 * length; the journal keeps them until the caller rewrites it with
 * journal_compact() (the job store does at once, together with the bound on
 * the job ids the damage may have held: see job.c). Damage that runs to the
 * end of the file is copied and then cut. An incomplete last record (torn:
 * a prefix of a header, or a good header whose payload runs past the end,
 * with no record magic after it) is an append that never returned and is
 * dropped without a copy, unless the bytes there are a whole record under
 * the only length that fits: then its length field was hit, and it is
 * damage like any other.
 *
 * Why no high-water mark of ids here: the journal knows bytes, not jobs.
 * What it reports (damaged and torn byte counts) is enough for the job store
 * to bound the ids the damage could have held, since every record is at
 * least 12 header bytes plus the shortest job snapshot and each job's first
 * record is its creation; the store then writes one mark record when it
 * rewrites the journal without the damage (job.c). A mark kept up to date
 * here would cost a write per job for a case that needs one record.
 *
 * Why appends use pwritev at the known end of the intact records instead of
 * O_APPEND: if a failed append cannot even be truncated away (the storage is
 * failing), the next append overwrites the debris instead of landing behind
 * it, where replay would take it for a damaged span.
 *
 * Why the lock is a flock() on the directory: it outlives the file
 * descriptor swaps of compaction and read-only reopen, and it stops a second
 * daemon from interleaving records into the same file.
 */
#include "jobs/journal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

#define JOURNAL_FILE "journal"
#define JOURNAL_NEW_FILE "journal.new"
#define JOURNAL_HDR_BYTES JOURNAL_HEADER_BYTES
#define JOURNAL_CORRUPT_MAX 1000 /* journal.corrupt.1 .. .999 */
/* Payload bytes CRC-checked while looking for the next intact record past
 * damage, per open: far above any real journal (compaction keeps it near
 * 4 MiB), low enough that crafted magics cannot stall start-up. */
#define JOURNAL_RESYNC_BUDGET (256ull << 20)

static const uint8_t journal_magic[4] = {'R', 'D', 'J', 0x01};

/* A damaged span found by replay, still to be copied aside. */
struct journal_span {
	size_t off, len;
};

struct journal {
	pthread_mutex_t lock;
	char *dir;
	char *path;          /* DIR/journal, for messages */
	int dir_fd;          /* -1 while DIR does not exist; holds the flock */
	int fd;              /* -1 while the file does not exist */
	bool fd_rw;          /* fd was opened for writing */
	bool tail_dirty;     /* bytes past `size` may remain (cut or rollback not done) */
	struct journal_span *spans; /* damaged spans found at open, not yet kept aside */
	size_t n_spans;
	bool spans_failed;   /* copying them failed once: compaction tries again */
	atomic_size_t size;  /* bytes of intact records */
	atomic_bool writable;
};

/* ---- CRC-32 ---------------------------------------------------------- */

static uint32_t journal_crc_table[256];
static pthread_once_t journal_crc_once = PTHREAD_ONCE_INIT;

static void journal_crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		journal_crc_table[i] = c;
	}
}

uint32_t journal_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&journal_crc_once, journal_crc_init);
	crc = ~crc;
	while (len--)
		crc = journal_crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

/* ---- small helpers --------------------------------------------------- */

static void journal_put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t journal_get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *journal_strerror(int e, char *buf, size_t cap)
{
	return strerror_r(e, buf, cap); /* GNU variant: returns the text */
}

static void journal_header(uint8_t hdr[JOURNAL_HDR_BYTES], const uint8_t *rec, size_t len)
{
	memcpy(hdr, journal_magic, 4);
	journal_put_u32le(hdr + 4, (uint32_t)len);
	journal_put_u32le(hdr + 8, journal_crc32(journal_crc32(0, hdr + 4, 4), rec, len));
}

/* Reads up to N bytes at OFF; returns the count (short only at end of file)
 * or -1 with errno set. */
static ssize_t journal_pread_all(int fd, void *buf, size_t n, off_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Writes one record at OFF with one pwritev(2); a short write (the disk
 * filled up mid-record) continues so errno names the real cause. */
static int journal_pwrite_record(int fd, off_t off, const uint8_t *rec, size_t len)
{
	uint8_t hdr[JOURNAL_HDR_BYTES];
	size_t total = JOURNAL_HDR_BYTES + len, done = 0;

	journal_header(hdr, rec, len);
	while (done < total) {
		struct iovec iov[2];
		int n = 0;
		ssize_t w;

		if (done < JOURNAL_HDR_BYTES)
			iov[n++] = (struct iovec){hdr + done, JOURNAL_HDR_BYTES - done};
		if (len) {
			size_t skip = done > JOURNAL_HDR_BYTES ? done - JOURNAL_HDR_BYTES : 0;

			iov[n++] = (struct iovec){(void *)(rec + skip), len - skip};
		}
		w = pwritev(fd, iov, n, off + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

/* Errors after which the stored records can still be read. */
static bool journal_errno_unwritable(int e)
{
	return e == EACCES || e == EPERM || e == EROFS || e == ENOSPC || e == EDQUOT || e == EIO;
}

/* Best effort: make the entry of a just-created directory durable. */
static void journal_fsync_parent(const char *path)
{
	char *parent = strdup(path), *slash;
	int fd;

	if (!parent)
		return;
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(parent);
}

/* mkdir -p DIR with mode 0750 for what it creates; 0 or an errno value. */
static int journal_mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	int e = 0;

	if (!p)
		return ENOMEM;
	for (char *s = p + 1;; s++) {
		bool last = *s == '\0';

		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, 0750) == 0) {
			journal_fsync_parent(p);
		} else if (errno != EEXIST) {
			e = errno;
			break;
		}
		if (last)
			break;
		*s = '/';
		while (s[1] == '/')
			s++;
	}
	free(p);
	return e;
}

/* ---- opening --------------------------------------------------------- */

/* Opens (creating when CREATE) and locks DIR into j->dir_fd. On failure
 * *DEGRADABLE says, with CREATE, whether a read-only open may still work and,
 * without, that DIR does not exist (so nothing is stored). */
static int journal_open_dir(struct journal *j, bool create, bool *degradable)
{
	char eb[128];
	int fd, e;

	*degradable = false;
	if (j->dir_fd >= 0)
		return 0;
	if (create && (e = journal_mkdir_p(j->dir)) != 0) {
		*degradable = journal_errno_unwritable(e);
		return err_setf(ERR_IO, "cannot create the state directory %s: %s; create it (mode 0750) "
				"owned by the user rdpd runs as, or check StateDirectory=", j->dir,
				journal_strerror(e, eb, sizeof(eb)));
	}
	fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		*degradable = create ? journal_errno_unwritable(e) : e == ENOENT;
		return err_setf(ERR_IO, "cannot open the state directory %s: %s; check that it is a "
				"directory rdpd may read", j->dir, journal_strerror(e, eb, sizeof(eb)));
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return err_setf(ERR_IO, "%s is in use by another rdpd process; stop it or give "
					"this one its own state directory", j->dir);
		return err_setf(ERR_IO, "cannot lock the state directory %s: %s", j->dir,
				journal_strerror(e, eb, sizeof(eb)));
	}
	j->dir_fd = fd;
	return 0;
}

/* Opens DIR/journal for writing (creating DIR and the file as needed) into
 * *FD_OUT. On failure *DEGRADABLE says whether a read-only open may work. */
static int journal_open_rw(struct journal *j, int *fd_out, bool *degradable)
{
	char eb[128];
	struct stat st;
	int rc, fd, e;

	rc = journal_open_dir(j, true, degradable);
	if (rc < 0)
		return rc;
	fd = openat(j->dir_fd, JOURNAL_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		e = errno;
		*degradable = journal_errno_unwritable(e);
		return err_setf(ERR_IO, "cannot open %s for writing: %s; check free space and that the "
				"state directory is writable by rdpd and mounted read-write", j->path,
				journal_strerror(e, eb, sizeof(eb)));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_setf(ERR_IO, "%s is not a regular file; move it out of the way", j->path);
	}
	/* The file may be new: its directory entry must be durable before any
	 * record in it is reported durable. */
	if (fsync(j->dir_fd) < 0) {
		e = errno;
		close(fd);
		*degradable = journal_errno_unwritable(e);
		return err_setf(ERR_IO, "cannot sync the state directory %s: %s; check the storage "
				"(dmesg)", j->dir, journal_strerror(e, eb, sizeof(eb)));
	}
	*fd_out = fd;
	return 0;
}

/* Read-only fallback: replay what is there; a missing file is empty. */
static int journal_open_ro(struct journal *j)
{
	char eb[128];
	bool degradable;
	struct stat st;
	int rc, e;

	rc = journal_open_dir(j, false, &degradable);
	if (rc < 0)
		return degradable ? 0 : rc; /* no directory: nothing stored */
	j->fd = openat(j->dir_fd, JOURNAL_FILE, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0) {
		e = errno;
		if (e == ENOENT)
			return 0;
		return err_setf(ERR_IO, "cannot read %s: %s; check its owner and mode (0640, rdpd's user)",
				j->path, journal_strerror(e, eb, sizeof(eb)));
	}
	if (fstat(j->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return err_setf(ERR_IO, "%s is not a regular file; move it out of the way", j->path);
	return 0;
}

/* ---- replay ---------------------------------------------------------- */

struct journal_scan {
	size_t good;            /* end of the last intact record */
	size_t file_size;
	unsigned records;
	unsigned spans;         /* damaged spans, the tail included */
	unsigned long long damaged_bytes;
	const char *tail_why;   /* why the tail was cut; NULL when nothing was */
	bool torn;              /* the cut tail is an unfinished last record */
	unsigned long long resync_bytes; /* payload bytes checked while resynchronising */
};

/* Reads the header at OFF into HDR; *WHOLE is false when fewer than 12
 * bytes are there. */
static int journal_read_header(struct journal *j, size_t off, size_t end, uint8_t hdr[JOURNAL_HDR_BYTES],
			       bool *whole)
{
	char eb[128];
	ssize_t got;

	*whole = false;
	if (end - off < JOURNAL_HDR_BYTES)
		return 0;
	got = journal_pread_all(j->fd, hdr, JOURNAL_HDR_BYTES, (off_t)off);
	if (got < 0)
		return err_setf(ERR_IO, "cannot read %s at byte %zu: %s; check the storage (dmesg)", j->path,
				off, journal_strerror(errno, eb, sizeof(eb)));
	*whole = (size_t)got == JOURNAL_HDR_BYTES;
	return 0;
}

/* Reads LEN payload bytes at OFF into *BUF (grown as needed) and says
 * whether they and the length field give the CRC of HDR. */
static int journal_payload_crc_ok(struct journal *j, size_t off, uint32_t len, const uint8_t hdr[JOURNAL_HDR_BYTES],
				  uint8_t **buf, size_t *cap, bool *ok)
{
	uint8_t lenle[4];
	char eb[128];
	ssize_t got;

	*ok = false;
	if (len > *cap) {
		uint8_t *nb = realloc(*buf, len);

		if (!nb)
			return err_setf(ERR_NO_MEMORY, "no memory for a %u-byte journal record", len);
		*buf = nb;
		*cap = len;
	}
	got = journal_pread_all(j->fd, *buf, len, (off_t)off);
	if (got < 0)
		return err_setf(ERR_IO, "cannot read %s at byte %zu: %s; check the storage (dmesg)", j->path,
				off, journal_strerror(errno, eb, sizeof(eb)));
	if ((size_t)got < len)
		return 0; /* shrank under us */
	journal_put_u32le(lenle, len);
	*ok = journal_crc32(journal_crc32(0, lenle, 4), *buf, len) == journal_get_u32le(hdr + 8);
	return 0;
}

/* Checks the record at OFF: *INTACT with its payload in *BUF and length in
 * *LEN, or *WHY says what is wrong with it. */
static int journal_record_at(struct journal *j, size_t off, size_t end, uint8_t **buf, size_t *cap,
			     uint32_t *len, bool *intact, const char **why)
{
	uint8_t hdr[JOURNAL_HDR_BYTES];
	bool whole, ok;
	int rc;

	*intact = false;
	rc = journal_read_header(j, off, end, hdr, &whole);
	if (rc < 0)
		return rc;
	if (!whole) {
		*why = "unfinished record header";
		return 0;
	}
	*len = journal_get_u32le(hdr + 4);
	if (memcmp(hdr, journal_magic, 4) != 0) {
		*why = "bad record magic";
		return 0;
	}
	if (*len > JOURNAL_RECORD_MAX) {
		*why = "record length over the 1 MiB cap";
		return 0;
	}
	if (*len > end - off - JOURNAL_HDR_BYTES) {
		*why = "record runs past the end of the file";
		return 0;
	}
	rc = journal_payload_crc_ok(j, off + JOURNAL_HDR_BYTES, *len, hdr, buf, cap, &ok);
	if (rc < 0)
		return rc;
	if (!ok)
		*why = "record checksum mismatch";
	*intact = ok;
	return 0;
}

/* The offset of the first intact record after FROM (S->file_size when there
 * is none): every record magic is a candidate, and only one whose length
 * fits and whose CRC matches counts. A file of crafted magics could make
 * this quadratic; past JOURNAL_RESYNC_BUDGET checked bytes the rest of the
 * file is taken as damaged (and kept aside), never silently dropped. */
static int journal_next_intact(struct journal *j, struct journal_scan *s, size_t from, uint8_t **buf,
			       size_t *cap, size_t *next)
{
	uint8_t chunk[16384];
	char eb[128];

	*next = s->file_size;
	for (size_t pos = from; pos + JOURNAL_HDR_BYTES <= s->file_size;) {
		size_t n = s->file_size - pos < sizeof(chunk) ? s->file_size - pos : sizeof(chunk);
		ssize_t got = journal_pread_all(j->fd, chunk, n, (off_t)pos);
		const uint8_t *p = chunk;

		if (got < 0)
			return err_setf(ERR_IO, "cannot read %s at byte %zu: %s; check the storage (dmesg)",
					j->path, pos, journal_strerror(errno, eb, sizeof(eb)));
		if ((size_t)got < sizeof(journal_magic))
			break;
		while ((p = memmem(p, (size_t)got - (size_t)(p - chunk), journal_magic, sizeof(journal_magic)))) {
			size_t cand = pos + (size_t)(p - chunk);
			const char *why;
			uint32_t len = 0;
			bool intact;
			int rc;

			if (s->resync_bytes > JOURNAL_RESYNC_BUDGET || cand + JOURNAL_HDR_BYTES > s->file_size)
				return 0;
			rc = journal_record_at(j, cand, s->file_size, buf, cap, &len, &intact, &why);
			if (rc < 0)
				return rc;
			if (intact) {
				*next = cand;
				return 0;
			}
			if (len <= s->file_size - cand - JOURNAL_HDR_BYTES)
				s->resync_bytes += len; /* its payload was read for the CRC */
			p++;
		}
		/* A magic may straddle the chunk boundary: overlap by 3 bytes. */
		pos += (size_t)got > 3 ? (size_t)got - 3 : (size_t)got;
	}
	return 0;
}

/* Whether the bytes from OFF to the end, with no intact record among them,
 * are an append cut short (header first, as journal_pwrite_record writes
 * it): a prefix of the magic, or a good header whose payload runs past the
 * end. Not torn: any later magic (records behind a flipped length), or a
 * length field hit by a flip while the bytes present are a whole record
 * (its CRC matches the only length that fits). */
static int journal_tail_torn(struct journal *j, struct journal_scan *s, size_t off, uint8_t **buf,
			     size_t *cap, bool *torn)
{
	size_t left = s->file_size - off, n = left < 4 ? left : 4;
	uint8_t hdr[JOURNAL_HDR_BYTES];
	bool whole, ok;
	uint32_t len;
	int rc;

	*torn = false;
	if (journal_pread_all(j->fd, hdr, n, (off_t)off) != (ssize_t)n || memcmp(hdr, journal_magic, n) != 0)
		return 0;
	if (left < JOURNAL_HDR_BYTES) {
		*torn = true;
		return 0;
	}
	rc = journal_read_header(j, off, s->file_size, hdr, &whole);
	if (rc < 0 || !whole)
		return rc;
	len = journal_get_u32le(hdr + 4);
	if (len > JOURNAL_RECORD_MAX || len <= left - JOURNAL_HDR_BYTES ||
	    memmem(hdr + 1, JOURNAL_HDR_BYTES - 1, journal_magic, sizeof(journal_magic)))
		return 0;
	journal_put_u32le(hdr + 4, (uint32_t)(left - JOURNAL_HDR_BYTES));
	rc = journal_payload_crc_ok(j, off + JOURNAL_HDR_BYTES, (uint32_t)(left - JOURNAL_HDR_BYTES), hdr,
				    buf, cap, &ok);
	if (rc < 0 || ok)
		return rc;
	/* *BUF now holds every byte after the header (none: NULL). */
	*torn = left == JOURNAL_HDR_BYTES ||
		memmem(*buf, left - JOURNAL_HDR_BYTES, journal_magic, sizeof(journal_magic)) == NULL;
	return 0;
}

/* Notes the damaged span [OFF, OFF+LEN) for journal_save_spans(). */
static int journal_add_span(struct journal *j, struct journal_scan *s, size_t off, size_t len, const char *why)
{
	struct journal_span *ns = realloc(j->spans, (j->n_spans + 1) * sizeof(*ns));

	if (!ns)
		return err_setf(ERR_NO_MEMORY, "no memory to note a damaged span of %s", j->path);
	j->spans = ns;
	j->spans[j->n_spans++] = (struct journal_span){off, len};
	s->spans++;
	s->damaged_bytes += len;
	return 0;
}

/* Walks the records, handing each intact one to FN; past a damaged record
 * it resumes at the next intact one. */
static int journal_replay(struct journal *j, int (*fn)(void *, const uint8_t *, size_t), void *ctx,
			  struct journal_scan *s)
{
	uint8_t *buf = NULL;
	size_t cap = 0, off = 0;
	struct stat st;
	char eb[128];
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (j->fd < 0)
		return 0;
	if (fstat(j->fd, &st) < 0)
		return err_setf(ERR_IO, "cannot stat %s: %s", j->path, journal_strerror(errno, eb, sizeof(eb)));
	s->file_size = (size_t)st.st_size;
	while (off < s->file_size) {
		const char *why = NULL;
		size_t next;
		uint32_t len;
		bool intact;

		rc = journal_record_at(j, off, s->file_size, &buf, &cap, &len, &intact, &why);
		if (rc < 0)
			goto out;
		if (intact) {
			if (fn && (rc = fn(ctx, len ? buf : (const uint8_t *)"", len)) != 0)
				goto out;
			s->records++;
			off += JOURNAL_HDR_BYTES + len;
			s->good = off;
			continue;
		}
		rc = journal_next_intact(j, s, off + 1, &buf, &cap, &next);
		if (rc < 0)
			goto out;
		if (next < s->file_size) {
			if ((rc = journal_add_span(j, s, off, next - off, why)) < 0)
				goto out;
			log_warn("%s: %s at byte %zu: %zu damaged bytes skipped, replay resumes at byte %zu",
				 j->path, why, off, next - off, next);
			off = next;
			continue;
		}
		/* Nothing intact from here to the end: cut it. */
		rc = journal_tail_torn(j, s, off, &buf, &cap, &s->torn);
		if (rc < 0)
			goto out;
		s->tail_why = s->torn ? "unfinished last record" : why;
		if (!s->torn && (rc = journal_add_span(j, s, off, s->file_size - off, why)) < 0)
			goto out;
		break;
	}
out:
	free(buf);
	return rc;
}

/* Copies LEN bytes at OFF of the journal to FD. */
static int journal_copy_range(struct journal *j, int fd, size_t off, size_t len)
{
	uint8_t buf[16384];

	while (len) {
		ssize_t got = journal_pread_all(j->fd, buf, len < sizeof(buf) ? len : sizeof(buf), (off_t)off);

		if (got <= 0) {
			if (got == 0)
				errno = EIO; /* the file shrank under us */
			return -1;
		}
		for (ssize_t done = 0; done < got;) {
			ssize_t w = write(fd, buf + done, (size_t)(got - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			done += w;
		}
		off += (size_t)got;
		len -= (size_t)got;
	}
	return 0;
}

/* Copies every damaged span noted by replay, back to back in file order, to
 * a new DIR/journal.corrupt.N, synced, and forgets them. Nothing is
 * destroyed unseen: compaction and the tail cut call this first. */
static int journal_save_spans(struct journal *j)
{
	char name[32], eb[128];
	size_t at = 0;
	int fd = -1, e;

	if (!j->n_spans)
		return 0;
	for (int n = 1; n < JOURNAL_CORRUPT_MAX && fd < 0; n++) {
		snprintf(name, sizeof(name), JOURNAL_FILE ".corrupt.%d", n);
		fd = openat(j->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return err_setf(ERR_IO, "cannot create %s/%s to keep the damaged records of %s: %s", j->dir,
				name, j->path, journal_strerror(errno, eb, sizeof(eb)));
	for (size_t i = 0; i < j->n_spans; i++) {
		if (journal_copy_range(j, fd, j->spans[i].off, j->spans[i].len) < 0)
			goto fail;
		at += j->spans[i].len;
	}
	if (fsync(fd) < 0 || fsync(j->dir_fd) < 0)
		goto fail;
	close(fd);
	at = 0;
	for (size_t i = 0; i < j->n_spans; i++) {
		log_warn("%s: the %zu damaged bytes from byte %zu are kept in %s/%s at byte %zu", j->path,
			 j->spans[i].len, j->spans[i].off, j->dir, name, at);
		at += j->spans[i].len;
	}
	free(j->spans);
	j->spans = NULL;
	j->n_spans = 0;
	return 0;
fail:
	e = errno;
	close(fd);
	unlinkat(j->dir_fd, name, 0);
	return err_setf(ERR_IO, "cannot copy the damaged records of %s to %s/%s: %s", j->path, j->dir, name,
			journal_strerror(e, eb, sizeof(eb)));
}

/* Saves the damaged spans and cuts bytes past j->size. Needs a writable fd.
 * A span that cannot be saved is reported once, and the tail cut anyway so
 * new records can be stored (spans in the middle stay in the file, and
 * compaction tries to copy them again before it drops them). On a
 * failed cut the tail stays marked dirty; appends still land at j->size, so
 * the journal stays consistent. */
static int journal_settle(struct journal *j)
{
	size_t size = atomic_load(&j->size), kept = 0;
	char eb[128];

	if (j->n_spans && !j->spans_failed && journal_save_spans(j) < 0) {
		log_err("%s; %s", err_detail(), j->tail_dirty ? "cutting the damaged tail anyway so new "
			"records can be stored" : "they stay in the journal until it is compacted");
		for (size_t i = 0; i < j->n_spans; i++)
			if (j->spans[i].off < size)
				j->spans[kept++] = j->spans[i];
		j->n_spans = kept;
		j->spans_failed = true;
	}
	if (!j->tail_dirty)
		return 0;
	if (ftruncate(j->fd, (off_t)size) < 0 || fdatasync(j->fd) < 0)
		return err_setf(ERR_IO, "cannot truncate %s to its last intact record: %s; check the "
				"storage (dmesg)", j->path, journal_strerror(errno, eb, sizeof(eb)));
	j->tail_dirty = false;
	return 0;
}

int journal_open(const char *dir, int (*fn)(void *ctx, const uint8_t *rec, size_t len), void *ctx,
		 struct journal **out, struct journal_replay_report *report)
{
	struct journal_scan scan;
	struct journal *j;
	bool degradable;
	int rc, fd;

	if (report)
		memset(report, 0, sizeof(*report));
	if (!out || !dir || !*dir)
		return err_setf(ERR_INVALID_ARGUMENT, "journal_open needs a state directory");
	*out = NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return err_setf(ERR_NO_MEMORY, "no memory for the journal");
	pthread_mutex_init(&j->lock, NULL);
	j->dir_fd = -1;
	j->fd = -1;
	j->dir = strdup(dir);
	if (!j->dir || asprintf(&j->path, "%s/" JOURNAL_FILE, dir) < 0) {
		j->path = NULL;
		rc = err_setf(ERR_NO_MEMORY, "no memory for the journal");
		goto fail;
	}

	rc = journal_open_rw(j, &fd, &degradable);
	if (rc == 0) {
		j->fd = fd;
		j->fd_rw = true;
	} else if (degradable) {
		log_warn("%s; serving the stored jobs read-only, new records will be retried",
			 err_detail());
		if ((rc = journal_open_ro(j)) < 0)
			goto fail;
	} else {
		goto fail;
	}

	rc = journal_replay(j, fn, ctx, &scan);
	if (rc != 0)
		goto fail;
	atomic_store(&j->size, scan.good);
	if (scan.tail_why) {
		log_warn("%s: %s at byte %zu; dropping the %zu bytes after the last intact record", j->path,
			 scan.tail_why, scan.good, scan.file_size - scan.good);
		j->tail_dirty = true;
	}
	if (scan.spans)
		log_warn("%s: %u intact records replayed, %u damaged spans (%llu bytes) skipped", j->path,
			 scan.records, scan.spans, scan.damaged_bytes);
	/* On failure appends retry; writing at j->size stays safe. */
	if (j->fd_rw && (j->n_spans || j->tail_dirty) && journal_settle(j) < 0)
		log_err("%s", err_detail());
	atomic_store(&j->writable, j->fd_rw && !j->tail_dirty);
	if (report) {
		report->records = scan.records;
		report->damaged_spans = scan.spans;
		report->damaged_bytes = scan.damaged_bytes;
		report->dropped_bytes = scan.file_size - scan.good;
		report->torn_bytes = scan.torn ? report->dropped_bytes : 0;
	}
	*out = j;
	return 0;
fail:
	journal_close(j);
	return rc;
}

/* ---- appending ------------------------------------------------------- */

/* Gets a writable fd (reopening after a read-only start) with nothing past
 * j->size that could matter. Caller holds j->lock. */
static int journal_prepare_write(struct journal *j)
{
	bool degradable;
	struct stat st;
	int rc, fd;

	if (!j->fd_rw) {
		rc = journal_open_rw(j, &fd, &degradable);
		if (rc < 0)
			return rc;
		if (fstat(fd, &st) < 0 || (size_t)st.st_size < atomic_load(&j->size)) {
			close(fd);
			return err_setf(ERR_IO, "%s shrank while rdpd was running; another program changed "
					"it, restart rdpd to replay it again", j->path);
		}
		if (j->fd >= 0)
			close(j->fd);
		j->fd = fd;
		j->fd_rw = true;
		if ((size_t)st.st_size > atomic_load(&j->size))
			j->tail_dirty = true;
	}
	if (journal_settle(j) < 0)
		log_warn("%s; the next record overwrites the tail instead", err_detail());
	return 0;
}

int journal_append(struct journal *j, const uint8_t *rec, size_t len)
{
	char eb[128];
	size_t off;
	int rc, e;

	if (!j || (!rec && len))
		return err_setf(ERR_INVALID_ARGUMENT, "journal_append needs a journal and a record");
	if (len > JOURNAL_RECORD_MAX)
		return err_setf(ERR_INVALID_ARGUMENT, "a journal record of %zu bytes is over the %u-byte cap",
				len, JOURNAL_RECORD_MAX);
	pthread_mutex_lock(&j->lock);
	rc = journal_prepare_write(j);
	if (rc < 0)
		goto fail;
	off = atomic_load(&j->size);
	if (journal_pwrite_record(j->fd, (off_t)off, rec ? rec : (const uint8_t *)"", len) < 0) {
		e = errno;
		rc = err_setf(ERR_IO, "cannot append a %zu-byte record to %s: %s; check free space (df) "
			      "and that the file system is mounted read-write", len, j->path,
			      journal_strerror(e, eb, sizeof(eb)));
		goto rollback;
	}
	if (fdatasync(j->fd) < 0) {
		e = errno;
		rc = err_setf(ERR_IO, "cannot sync %s: %s; the storage failed to write, check dmesg "
			      "and free space", j->path, journal_strerror(e, eb, sizeof(eb)));
		goto rollback;
	}
	atomic_store(&j->size, off + JOURNAL_HDR_BYTES + len);
	atomic_store(&j->writable, true);
	pthread_mutex_unlock(&j->lock);
	return 0;
rollback:
	/* The partial record must not stay behind the intact ones. If even the
	 * truncate fails, the next append overwrites it from j->size. */
	if (ftruncate(j->fd, (off_t)off) < 0 || fdatasync(j->fd) < 0)
		j->tail_dirty = true;
fail:
	atomic_store(&j->writable, false);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

/* ---- compaction ------------------------------------------------------ */

int journal_compact(struct journal *j, int (*iter)(void *ctx, size_t i, const uint8_t **rec, size_t *len),
		    void *ctx, size_t count)
{
	char eb[128];
	bool degradable, io_failed = false;
	size_t off = 0;
	int rc, fd = -1, e;

	if (!j || (!iter && count))
		return err_setf(ERR_INVALID_ARGUMENT, "journal_compact needs a journal and an iterator");
	pthread_mutex_lock(&j->lock);
	rc = journal_open_dir(j, true, &degradable);
	if (rc < 0) {
		io_failed = true;
		goto out;
	}
	fd = openat(j->dir_fd, JOURNAL_NEW_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		e = errno;
		io_failed = true;
		rc = err_setf(ERR_IO, "cannot create %s/" JOURNAL_NEW_FILE ": %s; check free space and that "
			      "the state directory is writable", j->dir, journal_strerror(e, eb, sizeof(eb)));
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		const uint8_t *rec = NULL;
		size_t len = 0;

		rc = iter(ctx, i, &rec, &len);
		if (rc != 0)
			goto discard;
		if (len > JOURNAL_RECORD_MAX || (!rec && len)) {
			rc = err_setf(ERR_INVALID_ARGUMENT, "compaction record %zu has %zu bytes, over the "
				      "%u-byte cap", i, len, JOURNAL_RECORD_MAX);
			goto discard;
		}
		if (journal_pwrite_record(fd, (off_t)off, rec ? rec : (const uint8_t *)"", len) < 0)
			goto io_error;
		off += JOURNAL_HDR_BYTES + len;
	}
	if (fsync(fd) < 0)
		goto io_error;
	/* Damaged records found at open and not kept aside yet: last chance. */
	if (j->n_spans && journal_save_spans(j) < 0)
		log_err("%s; compacting anyway", err_detail());
	if (renameat(j->dir_fd, JOURNAL_NEW_FILE, j->dir_fd, JOURNAL_FILE) < 0)
		goto io_error;
	/* From here DIR/journal is the new file, whatever happens next. */
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	j->fd_rw = true;
	j->tail_dirty = false;
	free(j->spans);
	j->spans = NULL;
	j->n_spans = 0;
	atomic_store(&j->size, off);
	fd = -1;
	if (fsync(j->dir_fd) < 0) {
		e = errno;
		io_failed = true;
		rc = err_setf(ERR_IO, "renamed the compacted %s but cannot sync %s: %s; after a crash "
			      "the old journal may come back, check the storage (dmesg)", j->path, j->dir,
			      journal_strerror(e, eb, sizeof(eb)));
		goto out;
	}
	atomic_store(&j->writable, true);
	goto out;
io_error:
	e = errno;
	io_failed = true;
	rc = err_setf(ERR_IO, "cannot write the compacted journal %s/" JOURNAL_NEW_FILE ": %s; the old "
		      "journal is unchanged, check free space (df)", j->dir, journal_strerror(e, eb, sizeof(eb)));
discard:
	close(fd);
	fd = -1;
	unlinkat(j->dir_fd, JOURNAL_NEW_FILE, 0);
out:
	if (io_failed)
		atomic_store(&j->writable, false);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

/* ---- the rest -------------------------------------------------------- */

size_t journal_size_bytes(const struct journal *j)
{
	return j ? atomic_load(&j->size) : 0;
}

bool journal_writable(const struct journal *j)
{
	return j && atomic_load(&j->writable);
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd); /* releases the flock */
	pthread_mutex_destroy(&j->lock);
	free(j->spans);
	free(j->path);
	free(j->dir);
	free(j);
}
