/*
 * utf8.h - text hygiene every layer may use (like err and log): decoding
 * UTF-8 strictly (RFC 3629 section 3: no overlong forms, no surrogates
 * U+D800-U+DFFF, nothing above U+10FFFF) and turning bytes from outside
 * (probes, clients, files) into text that is valid UTF-8 and holds no
 * control byte, so it can go into JSON answers and log lines unchanged.
 */
#ifndef RDPD_UTF8_H
#define RDPD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode the character at S (LEN bytes available). Returns its length in
 * bytes (1-4) and sets *CP, or 0 when the bytes there are not well-formed
 * UTF-8 (a lone continuation byte, an overlong form, a surrogate, a value
 * above U+10FFFF, a sequence cut short). */
size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);
/* True when all LEN bytes are well-formed UTF-8. */
bool utf8_valid(const uint8_t *s, size_t len);
/* Copy LEN bytes of IN to OUT (CAP bytes, always NUL-terminated) as visible
 * text: well-formed printable UTF-8 is kept, \n \r \t become those two
 * characters, every other control byte (< 0x20, 0x7f), every byte that is not
 * well-formed UTF-8 and a NUL become \xNN. Stops at the last whole character
 * or escape that fits. Returns the length written. */
size_t utf8_escape(const uint8_t *in, size_t len, char *out, size_t cap);
/* utf8_escape of the NUL-terminated S, in place (S holds CAP bytes). */
void utf8_escape_inplace(char *s, size_t cap);

#endif
