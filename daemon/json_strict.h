/*
 * json_strict.h - a strict RFC 8259 check of JSON text, run before json-c.
 *
 * json-c 0.16 in JSON_TOKENER_STRICT mode still accepts duplicate member
 * names (the last wins), "\u0000" inside strings, unpaired surrogate escapes,
 * integers past 64 bits (clamped) and some ill-formed UTF-8. A body that two
 * readers could understand differently must not start a mass erase, so text
 * from outside passes this check first.
 */
#ifndef RDPD_JSON_STRICT_H
#define RDPD_JSON_STRICT_H

#include <stddef.h>

#define JSON_STRICT_MAX_DEPTH 8

/*
 * Check that BUF (LEN bytes, no NUL needed) is exactly one JSON value
 * (RFC 8259 section 2) with optional whitespace around it, and also:
 * well-formed UTF-8 throughout (RFC 3629); no raw control byte < 0x20 in a
 * string; no \u0000 and no unpaired \uD800-\uDFFF escape (section 8.2); no
 * member name twice in one object (section 4 leaves the meaning undefined);
 * integers within a signed 64-bit integer and other numbers finite as a
 * double (section 6); at most JSON_STRICT_MAX_DEPTH nested arrays and
 * objects. Returns 0, or -ERR_JSON_INVALID with a detail naming what is
 * wrong, at which byte offset, and in which member.
 */
int json_strict_check(const char *buf, size_t len);

#endif
