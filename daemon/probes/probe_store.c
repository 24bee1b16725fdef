/*
 * probe_store.c - STATE_DIR/probes.json (docs/probes.md):
 *
 *   {"version": 2,
 *    "added": ["tcp:10.0.0.7:4441", ...],
 *    "probes": [{"index": 0, "uri": "usb:0d28:0204@1-2", "serial": "...",
 *                "location": "0d28:0204@1-2", "seen": 7}, ...]}
 *
 * Durability as for the job journal (docs/service.md, "Jobs and the journal"): a temp file, fsync,
 * rename over the old one, fsync of the directory, so a crash leaves the old
 * list or the new one. A damaged file never stops rdpd: it is moved aside
 * for the operator, and rdpd keeps every entry of it that is intact on its
 * own (probe_store_salvage: one entry per line).
 */
#include "probes/probe_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "json_util.h"
#include "log.h"
#include "utf8.h"

#define PROBE_STORE_FILE "probes.json"
#define PROBE_STORE_VERSION 2
#define PROBE_STORE_MAX_BYTES (1u << 20)
#define PROBE_STORE_ASIDE_MAX 1000

/* A string member that fits CAP and holds no control byte (what rdpd
 * writes; anything else is damage). */
static int probe_store_string(json_object *v, const char *what, char *out, size_t cap, bool need)
{
	const char *s;
	size_t len;

	if (!v && !need) {
		out[0] = '\0';
		return 0;
	}
	if (!v || !json_object_is_type(v, json_type_string))
		return err_setf(ERR_INVALID_ARGUMENT, "%s is not a string", what);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len >= cap || (need && len == 0) || strlen(s) != len)
		return err_setf(ERR_INVALID_ARGUMENT, "%s is empty or too long", what);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return err_setf(ERR_INVALID_ARGUMENT, "%s holds a control byte", what);
	if (!utf8_valid((const uint8_t *)s, len))
		return err_setf(ERR_INVALID_ARGUMENT, "%s is not well-formed UTF-8", what);
	memcpy(out, s, len + 1);
	return 0;
}

/* One added URI into *S, refused when damaged or listed already. */
static int probe_store_added_push(json_object *v, struct probe_store *s)
{
	char *uri = s->added[s->n_added];
	int rc;

	if (s->n_added == PROBE_STORE_MAX)
		return err_setf(ERR_INVALID_ARGUMENT, "more than %d added URIs", PROBE_STORE_MAX);
	if ((rc = probe_store_string(v, "an added URI", uri, TRANSPORT_URI_MAX, true)) < 0)
		return rc;
	for (size_t k = 0; k < s->n_added; k++)
		if (strcmp(s->added[k], uri) == 0)
			return err_setf(ERR_INVALID_ARGUMENT, "added URI %s is listed twice", uri);
	s->n_added++;
	return 0;
}

static int probe_store_added(json_object *arr, struct probe_store *s)
{
	if (!json_object_is_type(arr, json_type_array))
		return err_setf(ERR_INVALID_ARGUMENT, "\"added\" is not a list of URIs");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		int rc = probe_store_added_push(json_object_array_get_idx(arr, i), s);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int probe_store_known_one(json_object *o, struct probe_store_known *k)
{
	json_object *v;
	int64_t n;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return err_setf(ERR_INVALID_ARGUMENT, "a \"probes\" entry is not an object");
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (strcmp(key, "index") && strcmp(key, "uri") && strcmp(key, "serial") &&
		    strcmp(key, "location") && strcmp(key, "seen"))
			return err_setf(ERR_INVALID_ARGUMENT, "unknown member \"%.32s\"", key);
	}
	if (!json_object_object_get_ex(o, "index", &v) || !json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < 0 || n >= PROBE_STORE_MAX)
		return err_setf(ERR_INVALID_ARGUMENT, "an index is not a number from 0 to %d",
				PROBE_STORE_MAX - 1);
	k->index = (int)n;
	if ((rc = probe_store_string(json_object_object_get(o, "uri"), "a URI", k->uri, sizeof(k->uri), true)) < 0 ||
	    (rc = probe_store_string(json_object_object_get(o, "serial"), "a serial", k->serial,
			       sizeof(k->serial), false)) < 0 ||
	    (rc = probe_store_string(json_object_object_get(o, "location"), "a location", k->location,
			       sizeof(k->location), false)) < 0)
		return rc;
	k->seen = 0;
	if (json_object_object_get_ex(o, "seen", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
			return err_setf(ERR_INVALID_ARGUMENT, "a \"seen\" is not a count");
		k->seen = (uint64_t)json_object_get_int64(v);
	}
	return 0;
}

/* One remembered probe into *S, refused when damaged or its index or URI
 * is listed already. */
static int probe_store_known_push(json_object *o, struct probe_store *s)
{
	struct probe_store_known *k = &s->known[s->n_known];
	int rc;

	if (s->n_known == PROBE_STORE_MAX)
		return err_setf(ERR_INVALID_ARGUMENT, "more than %d probes", PROBE_STORE_MAX);
	if ((rc = probe_store_known_one(o, k)) < 0)
		return rc;
	for (size_t j = 0; j < s->n_known; j++)
		if (s->known[j].index == k->index || strcmp(s->known[j].uri, k->uri) == 0)
			return err_setf(ERR_INVALID_ARGUMENT, "index %d or URI %s is listed twice",
					k->index, k->uri);
	s->n_known++;
	return 0;
}

static int probe_store_parse_known(json_object *arr, struct probe_store *s)
{
	if (!json_object_is_type(arr, json_type_array))
		return err_setf(ERR_INVALID_ARGUMENT, "\"probes\" is not a list of probes");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		int rc = probe_store_known_push(json_object_array_get_idx(arr, i), s);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Exactly the shape probe_store_save writes, or version 1's list of URIs. */
static int probe_store_parse(const char *text, size_t len, struct probe_store *s)
{
	json_object *o = json_util_parse_strict(text, len), *v;
	int rc = 0;

	if (!o)
		return -ERR_INVALID_ARGUMENT; /* detail: where the JSON broke */
	if (json_object_is_type(o, json_type_array)) {
		rc = probe_store_added(o, s);
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		rc = err_setf(ERR_INVALID_ARGUMENT, "it is not a JSON object");
		goto out;
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (strcmp(key, "version") && strcmp(key, "added") && strcmp(key, "probes")) {
			rc = err_setf(ERR_INVALID_ARGUMENT, "unknown member \"%.32s\"", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(o, "version", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != PROBE_STORE_VERSION) {
		rc = err_setf(ERR_INVALID_ARGUMENT, "it is not version %d", PROBE_STORE_VERSION);
		goto out;
	}
	if (!json_object_object_get_ex(o, "added", &v) || (rc = probe_store_added(v, s)) < 0 ||
	    !json_object_object_get_ex(o, "probes", &v) || (rc = probe_store_parse_known(v, s)) < 0)
		rc = rc < 0 ? rc : err_setf(ERR_INVALID_ARGUMENT, "\"added\" or \"probes\" is missing");
out:
	json_object_put(o);
	return rc;
}

/*
 * What is intact in a file that does not parse as a whole (docs/service.md, bad
 * input row 22: everything intact before and after the damage is kept).
 * probe_store_save writes one entry per line (an added URI string, or a
 * remembered probe as an object) and version 1 files are lists of URI
 * strings, so an entry is a string outside any object that is not a member
 * name, or an object that opens and closes on one line. JSON strings hold
 * no raw newline and rdpd writes no entry across lines: whatever is still
 * open at the end of a line is damage, and reading starts afresh on the
 * next. Each entry is then checked on its own, as a whole file is.
 */
struct store_salvage {
	const char *path, *text;
	struct probe_store *s;
	unsigned kept, lost;
};

static void probe_store_salvage_entry(struct store_salvage *sv, const char *p, size_t n)
{
	json_object *o = json_util_parse_strict(p, n);
	int rc = -ERR_INVALID_ARGUMENT;

	if (o && json_object_is_type(o, json_type_string))
		rc = probe_store_added_push(o, sv->s);
	else if (o && json_object_is_type(o, json_type_object))
		rc = probe_store_known_push(o, sv->s);
	else if (o)
		rc = err_setf(ERR_INVALID_ARGUMENT, "neither an added URI nor a probe");
	json_object_put(o);
	if (rc == 0) {
		sv->kept++;
		return;
	}
	sv->lost++;
	/* The log sink escapes the entry's bytes (log.c). */
	log_warn("%s: the entry at byte %zu is damaged (%s) and is dropped: %.*s", sv->path,
		 (size_t)(p - sv->text), err_detail(), (int)(n < 200 ? n : 200), p);
}

/* The string closing at END is a member name: a ':' follows it. */
static bool probe_store_is_name(const char *t, size_t end, size_t len)
{
	while (end < len && (t[end] == ' ' || t[end] == '\t' || t[end] == '\r'))
		end++;
	return end < len && t[end] == ':';
}

static void probe_store_salvage(const char *t, size_t len, struct store_salvage *sv)
{
	size_t tok = 0, obj = 0;
	unsigned depth = 0; /* braces open since OBJ, on this line */
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = t[i];

		if (c == '\n') {
			in_str = esc = false;
			depth = 0;
		} else if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"' && (in_str = false, depth == 0) && !probe_store_is_name(t, i + 1, len))
				probe_store_salvage_entry(sv, t + tok, i + 1 - tok);
		} else if (c == '"') {
			in_str = true;
			tok = i;
		} else if (c == '{') {
			if (depth++ == 0)
				obj = i;
		} else if (c == '}' && depth && --depth == 0) {
			probe_store_salvage_entry(sv, t + obj, i + 1 - obj);
		}
	}
}

static int probe_store_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fsync(fd);

	if (fd >= 0)
		close(fd);
	return rc;
}

/* Rename PATH to PATH.corrupt.N, the first N free, and make it stick. */
static int probe_store_set_aside(const char *dir, const char *path, char *aside, size_t cap)
{
	struct stat st;

	for (int n = 1; n <= PROBE_STORE_ASIDE_MAX; n++) {
		snprintf(aside, cap, "%s.corrupt.%d", path, n);
		if (lstat(aside, &st) == 0)
			continue;
		if (rename(path, aside) < 0)
			break;
		probe_store_fsync_dir(dir);
		return 0;
	}
	return err_setf(ERR_IO, "cannot move the damaged %s aside (%s): fix or remove it by hand",
			path, strerror(errno));
}

static int probe_store_read(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return err_setf(ERR_IO, "cannot read %s: %s", path, strerror(errno));
	buf = malloc(PROBE_STORE_MAX_BYTES + 1);
	n = buf ? fread(buf, 1, PROBE_STORE_MAX_BYTES + 1, f) : 0;
	fclose(f);
	if (!buf)
		return err_setf(ERR_NO_MEMORY, "out of memory reading %s", path);
	*text = buf;
	*len = n;
	if (n > PROBE_STORE_MAX_BYTES)
		return err_setf(ERR_INVALID_ARGUMENT, "it is larger than %u bytes", PROBE_STORE_MAX_BYTES);
	return 0;
}

int probe_store_load(const char *dir, struct probe_store *s)
{
	struct store_salvage sv = {.s = s};
	char path[300], aside[320], why[256];
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/%s", dir, PROBE_STORE_FILE);
	if (access(path, F_OK) != 0)
		return 0;
	rc = probe_store_read(path, &text, &len);
	if (rc == 0 && (rc = probe_store_parse(text, len, s)) == 0) {
		free(text);
		return 0;
	}
	snprintf(why, sizeof(why), "%s", err_detail());
	memset(s, 0, sizeof(*s));
	sv.path = path;
	sv.text = text;
	if (text)
		probe_store_salvage(text, len, &sv);
	free(text);
	if ((rc = probe_store_set_aside(dir, path, aside, sizeof(aside))) < 0)
		return rc;
	log_warn("%s is damaged (%s) and was set aside as %s. rdpd keeps the %u entries of it "
		 "that are intact (added probes and remembered indexes) and drops %u damaged ones; "
		 "an added probe that was lost must be added again (POST /probes), and a probe "
		 "whose index was lost gets a new one.", path, why, aside, sv.kept, sv.lost);
	return 0;
}

/* One entry per line (probe_store_salvage relies on it), plain JSON each. */
static int probe_store_put(char **buf, size_t *len, size_t *cap, const char *text)
{
	size_t n = strlen(text);

	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return err_setf(ERR_NO_MEMORY, "out of memory writing probes.json");
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, text, n + 1);
	*len += n;
	return 0;
}

static json_object *probe_store_known_json(const struct probe_store_known *k)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "index", json_object_new_int(k->index));
	json_object_object_add(p, "uri", json_object_new_string(k->uri));
	json_object_object_add(p, "serial", json_object_new_string(k->serial));
	if (k->location[0])
		json_object_object_add(p, "location", json_object_new_string(k->location));
	json_object_object_add(p, "seen", json_object_new_int64((int64_t)k->seen));
	return p;
}

static char *probe_store_text(const struct probe_store *s, size_t *len)
{
	char *buf = NULL, head[32];
	size_t cap = 0;
	int rc;

	*len = 0;
	snprintf(head, sizeof(head), "{\"version\": %d,\n \"added\": [", PROBE_STORE_VERSION);
	rc = probe_store_put(&buf, len, &cap, head);
	for (size_t i = 0; rc == 0 && i < s->n_added; i++) {
		json_object *u = json_object_new_string(s->added[i]);

		rc = probe_store_put(&buf, len, &cap, i ? ",\n  " : "\n  ");
		if (rc == 0)
			rc = probe_store_put(&buf, len, &cap, json_util_text(u, 0));
		json_object_put(u);
	}
	if (rc == 0)
		rc = probe_store_put(&buf, len, &cap, "\n ],\n \"probes\": [");
	for (size_t i = 0; rc == 0 && i < s->n_known; i++) {
		json_object *p = probe_store_known_json(&s->known[i]);

		rc = probe_store_put(&buf, len, &cap, i ? ",\n  " : "\n  ");
		if (rc == 0)
			rc = probe_store_put(&buf, len, &cap, json_util_text(p, 0));
		json_object_put(p);
	}
	if (rc == 0)
		rc = probe_store_put(&buf, len, &cap, "\n ]}\n");
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int probe_store_save(const char *dir, const struct probe_store *s)
{
	char path[300], tmp[310];
	size_t len;
	char *text = probe_store_text(s, &len);
	int fd, rc = 0;

	if (!text)
		return -ERR_NO_MEMORY;
	snprintf(path, sizeof(path), "%s/%s", dir, PROBE_STORE_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		rc = err_setf(ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, path) < 0 || probe_store_fsync_dir(dir) < 0) {
		rc = err_setf(ERR_IO, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(text);
	return rc;
}
