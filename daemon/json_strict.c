/*
 * json_strict.c - recursive descent over RFC 8259's grammar (section 2-7),
 * depth-bounded, that only says yes or no (and where); json-c then builds
 * the objects from text known to mean one thing.
 */
#include "json_strict.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

/* A member name seen in an object still open: its decoded bytes and where. */
struct js_key {
	const char *s;
	size_t len;
	size_t at;
};

struct js {
	const uint8_t *p;
	size_t len, pos;
	int depth;
	char *arena;            /* decoded member names of the open objects */
	size_t arena_used;
	struct js_key *keys;    /* stack: the open objects' names, innermost last */
	size_t n_keys, cap_keys;
	char member[48];        /* the innermost member being read, for messages */
};

static int json_strict_value(struct js *j);

/* A detail naming the member the error is in, when there is one. */
static int json_strict_fail(struct js *j, size_t at, const char *what)
{
	if (j->member[0])
		return err_setf(ERR_JSON_INVALID, "the body is not strict JSON: %s at byte %zu (in member \"%s\")",
				what, at, j->member);
	return err_setf(ERR_JSON_INVALID, "the body is not strict JSON: %s at byte %zu", what, at);
}

static int json_strict_unexpected(struct js *j)
{
	char what[96];

	if (j->pos >= j->len)
		return json_strict_fail(j, j->pos, "unexpected end of the body");
	if (j->p[j->pos] == 'N' || j->p[j->pos] == 'I' ||
	    (j->p[j->pos] == '-' && j->pos + 1 < j->len && j->p[j->pos + 1] == 'I'))
		return json_strict_fail(j, j->pos, "NaN and Infinity are not JSON numbers: unexpected byte");
	if (j->p[j->pos] > 0x20 && j->p[j->pos] < 0x7f)
		snprintf(what, sizeof(what), "unexpected byte '%c'", j->p[j->pos]);
	else
		snprintf(what, sizeof(what), "unexpected byte 0x%02x", j->p[j->pos]);
	return json_strict_fail(j, j->pos, what);
}

static void json_strict_ws(struct js *j)
{
	while (j->pos < j->len && (j->p[j->pos] == ' ' || j->p[j->pos] == '\t' || j->p[j->pos] == '\n' ||
				   j->p[j->pos] == '\r'))
		j->pos++;
}

static int json_strict_hex4(struct js *j, size_t at, uint32_t *v)
{
	*v = 0;
	if (j->len - j->pos < 4)
		return json_strict_fail(j, at, "a \\u escape needs four hex digits");
	for (int i = 0; i < 4; i++) {
		uint8_t c = j->p[j->pos++];
		uint32_t d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			   : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;

		if (d == 16)
			return json_strict_fail(j, at, "a \\u escape needs four hex digits");
		*v = *v << 4 | d;
	}
	return 0;
}

/* Append code point CP as UTF-8 to OUT (a member name being decoded). */
static void json_strict_put_cp(char *out, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | cp >> 18);
		out[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* The escape after a backslash (section 7); its code point into OUT. */
static int json_strict_escape(struct js *j, size_t at, char *out, size_t *n)
{
	static const char simple[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";
	const char *k = j->pos < j->len ? memchr(simple, j->p[j->pos], sizeof(simple) - 1) : NULL;
	uint32_t cp, lo;

	if (k) {
		j->pos++;
		if (out)
			out[(*n)++] = value[k - simple];
		return 0;
	}
	if (j->pos >= j->len || j->p[j->pos] != 'u')
		return json_strict_fail(j, at, "invalid escape (JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
	j->pos++;
	if (json_strict_hex4(j, at, &cp) < 0)
		return -ERR_JSON_INVALID;
	if (cp == 0)
		return json_strict_fail(j, at, "\\u0000 (NUL) inside a string");
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return json_strict_fail(j, at, "unpaired surrogate escape (a low half without a high one)");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		/* Section 7: a character outside the BMP is a high and a low
		 * surrogate escape, in that order, and nothing else. */
		if (j->len - j->pos < 2 || j->p[j->pos] != '\\' || j->p[j->pos + 1] != 'u')
			return json_strict_fail(j, at, "unpaired surrogate escape (a high half without a low one)");
		j->pos += 2;
		if (json_strict_hex4(j, at, &lo) < 0)
			return -ERR_JSON_INVALID;
		if (lo < 0xdc00 || lo > 0xdfff)
			return json_strict_fail(j, at, "unpaired surrogate escape (a high half without a low one)");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (out)
		json_strict_put_cp(out, n, cp);
	return 0;
}

/* A string at j->pos (the opening quote). OUT, when given, receives the
 * decoded bytes (at most as many as the text has) and *N their count. */
static int json_strict_string(struct js *j, char *out, size_t *n)
{
	if (n)
		*n = 0;
	j->pos++;
	for (;;) {
		size_t at = j->pos;
		uint8_t c;

		if (j->pos >= j->len)
			return json_strict_fail(j, at, "unexpected end of the body inside a string");
		c = j->p[j->pos];
		if (c == '"') {
			j->pos++;
			return 0;
		}
		if (c < 0x20) {
			char what[80];

			snprintf(what, sizeof(what), "raw control byte 0x%02x inside a string (escape it, e.g. \\n)", c);
			return json_strict_fail(j, at, what);
		}
		if (c == '\\') {
			j->pos++;
			if (json_strict_escape(j, at, out, n) < 0)
				return -ERR_JSON_INVALID;
			continue;
		}
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = utf8_decode(j->p + j->pos, j->len - j->pos, &cp);

			if (k == 0)
				return json_strict_fail(j, at,
							"invalid UTF-8 (RFC 3629: overlong, surrogate, above U+10FFFF or cut short)");
			if (out)
				memcpy(out + *n, j->p + j->pos, k), *n += k;
			j->pos += k;
			continue;
		}
		if (out)
			out[(*n)++] = (char)c;
		j->pos++;
	}
}

static bool json_strict_digit(struct js *j)
{
	return j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9';
}

/* Section 6; integers must fit int64_t, other numbers a finite double. */
static int json_strict_number(struct js *j)
{
	size_t start = j->pos, int_start, int_len;
	bool neg = false, is_int = true;

	if (j->p[j->pos] == '-')
		neg = true, j->pos++;
	int_start = j->pos;
	if (!json_strict_digit(j)) {
		if (neg && j->pos < j->len && j->p[j->pos] == 'I')
			j->pos = start; /* "-Infinity": name it from its sign */
		return json_strict_unexpected(j);
	}
	if (j->p[j->pos] == '0') {
		j->pos++;
		if (json_strict_digit(j))
			return json_strict_fail(j, start, "invalid number (a leading zero)");
	} else {
		while (json_strict_digit(j))
			j->pos++;
	}
	int_len = j->pos - int_start;
	if (j->pos < j->len && j->p[j->pos] == '.') {
		is_int = false;
		j->pos++;
		if (!json_strict_digit(j))
			return json_strict_fail(j, start, "invalid number (digits must follow the '.')");
		while (json_strict_digit(j))
			j->pos++;
	}
	if (j->pos < j->len && (j->p[j->pos] == 'e' || j->p[j->pos] == 'E')) {
		is_int = false;
		j->pos++;
		if (j->pos < j->len && (j->p[j->pos] == '+' || j->p[j->pos] == '-'))
			j->pos++;
		if (!json_strict_digit(j))
			return json_strict_fail(j, start, "invalid number (digits must follow the exponent's 'e')");
		while (json_strict_digit(j))
			j->pos++;
	}
	if (is_int) {
		const char *max = neg ? "9223372036854775808" : "9223372036854775807";

		if (int_len > 19 || (int_len == 19 && memcmp(j->p + int_start, max, 19) > 0))
			return json_strict_fail(j, start, "the integer does not fit a signed 64-bit integer");
	} else {
		size_t nlen = j->pos - start;
		char *copy = malloc(nlen + 1);
		double d;

		if (!copy)
			return err_setf(ERR_NO_MEMORY, "out of memory checking JSON");
		memcpy(copy, j->p + start, nlen);
		copy[nlen] = '\0';
		d = strtod(copy, NULL);
		free(copy);
		if (!isfinite(d))
			return json_strict_fail(j, start, "the number is out of range (it overflows a double)");
	}
	return 0;
}

static int json_strict_literal(struct js *j, const char *word)
{
	size_t n = strlen(word);

	if (j->len - j->pos < n || memcmp(j->p + j->pos, word, n) != 0)
		return json_strict_unexpected(j);
	j->pos += n;
	return 0;
}

static int json_strict_key_cmp(const void *a, const void *b)
{
	const struct js_key *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

/* The object whose names are keys[first..]: no name twice (sorted, then
 * neighbours compared: n log n, as a 64 KiB body can hold 10,000 names). */
static int json_strict_no_duplicates(struct js *j, size_t first)
{
	struct js_key *k = j->keys + first;
	size_t n = j->n_keys - first;

	qsort(k, n, sizeof(*k), json_strict_key_cmp);
	for (size_t i = 1; i < n; i++)
		if (json_strict_key_cmp(&k[i - 1], &k[i]) == 0) {
			size_t at = k[i].at > k[i - 1].at ? k[i].at : k[i - 1].at;

			utf8_escape((const uint8_t *)k[i].s, k[i].len, j->member, sizeof(j->member));
			return err_setf(ERR_JSON_INVALID,
					"the body is not strict JSON: duplicate member \"%s\" at byte %zu (which one "
					"counts is undefined, RFC 8259 section 4); send each member once",
					j->member, at);
		}
	return 0;
}

static int json_strict_member_name(struct js *j)
{
	struct js_key *k;
	char *out = j->arena + j->arena_used;
	size_t at = j->pos, n;

	if (j->pos >= j->len || j->p[j->pos] != '"')
		return json_strict_unexpected(j);
	if (json_strict_string(j, out, &n) < 0)
		return -ERR_JSON_INVALID;
	if (j->n_keys == j->cap_keys) {
		size_t cap = j->cap_keys ? j->cap_keys * 2 : 16;
		struct js_key *nk = realloc(j->keys, cap * sizeof(*nk));

		if (!nk)
			return err_setf(ERR_NO_MEMORY, "out of memory checking JSON");
		j->keys = nk;
		j->cap_keys = cap;
	}
	k = &j->keys[j->n_keys++];
	k->s = out;
	k->len = n;
	k->at = at;
	j->arena_used += n;
	utf8_escape((const uint8_t *)out, n, j->member, sizeof(j->member));
	return 0;
}

static int json_strict_object(struct js *j)
{
	size_t first = j->n_keys, arena_mark = j->arena_used;
	int rc;

	j->pos++;
	json_strict_ws(j);
	if (j->pos < j->len && j->p[j->pos] == '}') {
		j->pos++;
		return 0;
	}
	for (;;) {
		json_strict_ws(j);
		if ((rc = json_strict_member_name(j)) < 0)
			return rc;
		json_strict_ws(j);
		if (j->pos >= j->len || j->p[j->pos] != ':')
			return json_strict_unexpected(j);
		j->pos++;
		if ((rc = json_strict_value(j)) < 0)
			return rc;
		json_strict_ws(j);
		if (j->pos < j->len && j->p[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->p[j->pos] == '}')
			break;
		return json_strict_unexpected(j);
	}
	j->pos++;
	j->member[0] = '\0';
	rc = json_strict_no_duplicates(j, first);
	j->n_keys = first; /* the object is closed: its names are done with */
	j->arena_used = arena_mark;
	return rc;
}

static int json_strict_array(struct js *j)
{
	int rc;

	j->pos++;
	json_strict_ws(j);
	if (j->pos < j->len && j->p[j->pos] == ']') {
		j->pos++;
		return 0;
	}
	for (;;) {
		if ((rc = json_strict_value(j)) < 0)
			return rc;
		json_strict_ws(j);
		if (j->pos < j->len && j->p[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->p[j->pos] == ']') {
			j->pos++;
			return 0;
		}
		return json_strict_unexpected(j);
	}
}

static int json_strict_value(struct js *j)
{
	int rc;

	json_strict_ws(j);
	if (j->pos >= j->len)
		return json_strict_unexpected(j);
	switch (j->p[j->pos]) {
	case '{':
	case '[':
		if (j->depth == JSON_STRICT_MAX_DEPTH) {
			char what[64];

			snprintf(what, sizeof(what), "nested too deep (more than %d levels)", JSON_STRICT_MAX_DEPTH);
			return json_strict_fail(j, j->pos, what);
		}
		j->depth++;
		rc = j->p[j->pos] == '{' ? json_strict_object(j) : json_strict_array(j);
		j->depth--;
		return rc;
	case '"':
		return json_strict_string(j, NULL, NULL);
	case 't':
		return json_strict_literal(j, "true");
	case 'f':
		return json_strict_literal(j, "false");
	case 'n':
		return json_strict_literal(j, "null");
	default:
		if (j->p[j->pos] == '-' || (j->p[j->pos] >= '0' && j->p[j->pos] <= '9'))
			return json_strict_number(j);
		return json_strict_unexpected(j);
	}
}

int json_strict_check(const char *buf, size_t len)
{
	struct js j = {.p = (const uint8_t *)buf, .len = len};
	int rc;

	/* Decoded names are never longer than their text: one buffer the
	 * size of the body holds every name of the open objects. */
	j.arena = malloc(len + 1);
	if (!j.arena)
		return err_setf(ERR_NO_MEMORY, "out of memory checking JSON");
	rc = json_strict_value(&j);
	if (rc == 0) {
		json_strict_ws(&j);
		j.member[0] = '\0';
		if (j.pos != len)
			rc = json_strict_fail(&j, j.pos, "bytes after the JSON value");
	}
	free(j.arena);
	free(j.keys);
	return rc;
}
