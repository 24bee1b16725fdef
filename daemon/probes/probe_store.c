/*
 * probe_store.c - STATE_DIR/probes.json (docs/probes.md):
 *
 *   {"version": 2,
 *    "added": ["tcp:10.0.0.7:4441", ...],
 *    "probes": [{"index": 0, "uri": "usb:0d28:0204@1-2", "serial": "...",
 *                "location": "0d28:0204@1-2", "seen": 7}, ...]}
 *
 * Durability as for the job journal (SERVICE.md): a temp file, fsync,
 * rename over the old one, fsync of the directory, so a crash leaves the old
 * list or the new one. A damaged file never stops rdpd: it is moved aside
 * for the operator and rdpd starts with an empty memory.
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

#define PROBE_STORE_FILE "probes.json"
#define PROBE_STORE_VERSION 2
#define PROBE_STORE_MAX_BYTES (1u << 20)
#define PROBE_STORE_ASIDE_MAX 1000

/* Well-formed UTF-8 (RFC 3629 §4): no overlong form, no surrogate, nothing
 * above U+10FFFF. json-c's own check lets overlong forms through. */
static bool store_utf8_ok(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
					 : (c & 0xF8) == 0xF0 ? 3 : 4;
		uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
		static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};

		if (n == 4 || i + n >= len)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* A string member that fits CAP and holds no control byte (what rdpd
 * writes; anything else is damage). */
static int store_string(json_object *v, const char *what, char *out, size_t cap, bool need)
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
	if (!store_utf8_ok((const unsigned char *)s, len))
		return err_setf(ERR_INVALID_ARGUMENT, "%s is not well-formed UTF-8", what);
	memcpy(out, s, len + 1);
	return 0;
}

static int store_added(json_object *arr, struct probe_store *s)
{
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > PROBE_STORE_MAX)
		return err_setf(ERR_INVALID_ARGUMENT, "\"added\" is not a list of at most %d URIs",
				PROBE_STORE_MAX);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		char *uri = s->added[s->n_added];
		int rc = store_string(json_object_array_get_idx(arr, i), "an added URI", uri,
				      TRANSPORT_URI_MAX, true);

		if (rc < 0)
			return rc;
		for (size_t k = 0; k < s->n_added; k++)
			if (strcmp(s->added[k], uri) == 0)
				return err_setf(ERR_INVALID_ARGUMENT, "added URI %s is listed twice", uri);
		s->n_added++;
	}
	return 0;
}

static int store_known_one(json_object *o, struct probe_store_known *k)
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
	if ((rc = store_string(json_object_object_get(o, "uri"), "a URI", k->uri, sizeof(k->uri), true)) < 0 ||
	    (rc = store_string(json_object_object_get(o, "serial"), "a serial", k->serial,
			       sizeof(k->serial), false)) < 0 ||
	    (rc = store_string(json_object_object_get(o, "location"), "a location", k->location,
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

static int store_known(json_object *arr, struct probe_store *s)
{
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > PROBE_STORE_MAX)
		return err_setf(ERR_INVALID_ARGUMENT, "\"probes\" is not a list of at most %d probes",
				PROBE_STORE_MAX);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct probe_store_known *k = &s->known[s->n_known];
		int rc = store_known_one(json_object_array_get_idx(arr, i), k);

		if (rc < 0)
			return rc;
		for (size_t j = 0; j < s->n_known; j++)
			if (s->known[j].index == k->index || strcmp(s->known[j].uri, k->uri) == 0)
				return err_setf(ERR_INVALID_ARGUMENT, "index %d or URI %s is listed twice",
						k->index, k->uri);
		s->n_known++;
	}
	return 0;
}

/* Exactly the shape probe_store_save writes, or version 1's list of URIs. */
static int store_parse(const char *text, size_t len, struct probe_store *s)
{
	json_object *o = json_parse_strict(text, len), *v;
	int rc = 0;

	if (!o)
		return -ERR_INVALID_ARGUMENT; /* detail: where the JSON broke */
	if (json_object_is_type(o, json_type_array)) {
		rc = store_added(o, s);
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
	if (!json_object_object_get_ex(o, "added", &v) || (rc = store_added(v, s)) < 0 ||
	    !json_object_object_get_ex(o, "probes", &v) || (rc = store_known(v, s)) < 0)
		rc = rc < 0 ? rc : err_setf(ERR_INVALID_ARGUMENT, "\"added\" or \"probes\" is missing");
out:
	json_object_put(o);
	return rc;
}

static int store_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fsync(fd);

	if (fd >= 0)
		close(fd);
	return rc;
}

/* Rename PATH to PATH.corrupt.N, the first N free, and make it stick. */
static int store_set_aside(const char *dir, const char *path, char *aside, size_t cap)
{
	struct stat st;

	for (int n = 1; n <= PROBE_STORE_ASIDE_MAX; n++) {
		snprintf(aside, cap, "%s.corrupt.%d", path, n);
		if (lstat(aside, &st) == 0)
			continue;
		if (rename(path, aside) < 0)
			break;
		store_fsync_dir(dir);
		return 0;
	}
	return err_setf(ERR_IO, "cannot move the damaged %s aside (%s): fix or remove it by hand",
			path, strerror(errno));
}

static int store_read(const char *path, char **text, size_t *len)
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
	char path[300], aside[320];
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/%s", dir, PROBE_STORE_FILE);
	if (access(path, F_OK) != 0)
		return 0;
	rc = store_read(path, &text, &len);
	if (rc == 0)
		rc = store_parse(text, len, s);
	free(text);
	if (rc == 0)
		return 0;
	{
		char why[256];

		snprintf(why, sizeof(why), "%s", err_detail());
		memset(s, 0, sizeof(*s));
		if ((rc = store_set_aside(dir, path, aside, sizeof(aside))) < 0)
			return rc;
		log_warn("%s is damaged (%s) and was set aside as %s. rdpd starts without it: the "
			 "probes it listed as added through the API (POST /probes) are not served, "
			 "add them again; every probe gets its index afresh.", path, why, aside);
	}
	return 0;
}

static json_object *store_json(const struct probe_store *s)
{
	json_object *o = json_object_new_object(), *added = json_object_new_array();
	json_object *probes = json_object_new_array();

	json_object_object_add(o, "version", json_object_new_int(PROBE_STORE_VERSION));
	for (size_t i = 0; i < s->n_added; i++)
		json_object_array_add(added, json_object_new_string(s->added[i]));
	for (size_t i = 0; i < s->n_known; i++) {
		const struct probe_store_known *k = &s->known[i];
		json_object *p = json_object_new_object();

		json_object_object_add(p, "index", json_object_new_int(k->index));
		json_object_object_add(p, "uri", json_object_new_string(k->uri));
		json_object_object_add(p, "serial", json_object_new_string(k->serial));
		if (k->location[0])
			json_object_object_add(p, "location", json_object_new_string(k->location));
		json_object_object_add(p, "seen", json_object_new_int64((int64_t)k->seen));
		json_object_array_add(probes, p);
	}
	json_object_object_add(o, "added", added);
	json_object_object_add(o, "probes", probes);
	return o;
}

int probe_store_save(const char *dir, const struct probe_store *s)
{
	char path[300], tmp[310];
	json_object *o = store_json(s);
	const char *text = json_text(o, 1);
	size_t len = strlen(text);
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, PROBE_STORE_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		rc = err_setf(ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, path) < 0 || store_fsync_dir(dir) < 0) {
		rc = err_setf(ERR_IO, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	json_object_put(o);
	return rc;
}
