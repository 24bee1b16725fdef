/*
 * utf8.c - strict UTF-8 decoding (RFC 3629 section 4 syntax) and the
 * visible escaping of bytes rdpd did not write itself.
 */
#include "utf8.h"

#include <stdio.h>
#include <string.h>

size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint32_t c, min;
	size_t n;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/* RFC 3629 section 4: C0, C1 and F5-FF never appear; the lead byte
	 * says how many continuation bytes follow. */
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF are
	 * ill-formed even when the bit pattern fits (section 3). */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

bool utf8_valid(const uint8_t *s, size_t len)
{
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return false;
	return true;
}

size_t utf8_escape(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t used = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(in + i, len - i, &cp);
		char esc[5];
		const char *piece = esc;
		size_t plen;

		if (n > 0 && cp >= 0x20 && cp != 0x7f) {
			piece = (const char *)in + i;
			plen = n;
		} else {
			n = 1;
			if (in[i] == '\n' || in[i] == '\r' || in[i] == '\t') {
				esc[0] = '\\';
				esc[1] = in[i] == '\n' ? 'n' : in[i] == '\r' ? 'r' : 't';
				plen = 2;
			} else {
				snprintf(esc, sizeof(esc), "\\x%02x", in[i]);
				plen = 4;
			}
		}
		if (used + plen >= cap)
			break;
		memcpy(out + used, piece, plen);
		used += plen;
		i += n;
	}
	out[used] = '\0';
	return used;
}

void utf8_escape_inplace(char *s, size_t cap)
{
	char in[1024];
	size_t len = strnlen(s, cap < sizeof(in) ? cap : sizeof(in) - 1);

	memcpy(in, s, len);
	utf8_escape((const uint8_t *)in, len, s, cap);
}
