/*
 * test_utf8.c - strict UTF-8 decoding (RFC 3629) and the visible escaping
 * of outside bytes that log lines, DAP_Info strings and JSON answers use.
 */
#include "check.h"
#include "utf8.h"

struct decode_case {
	const char *bytes;
	size_t len;
	size_t want_n; /* 0: ill-formed */
	uint32_t want_cp;
};

static const struct decode_case decode_cases[] = {
	/* bytes                 len  n  code point */
	{"A",                    1,   1, 0x41},
	{"\x7f",                 1,   1, 0x7f},
	{"\xc2\x80",             2,   2, 0x80},
	{"\xdf\xbf",             2,   2, 0x7ff},
	{"\xe0\xa0\x80",         3,   3, 0x800},
	{"\xed\x9f\xbf",         3,   3, 0xd7ff},
	{"\xee\x80\x80",         3,   3, 0xe000},
	{"\xef\xbf\xbd",         3,   3, 0xfffd},
	{"\xf0\x90\x80\x80",     4,   4, 0x10000},
	{"\xf4\x8f\xbf\xbf",     4,   4, 0x10ffff},
	{"\x80",                 1,   0, 0},       /* lone continuation */
	{"\xc0\xaf",             2,   0, 0},       /* overlong '/' */
	{"\xc1\xbf",             2,   0, 0},
	{"\xe0\x9f\xbf",         3,   0, 0},       /* overlong 3-byte */
	{"\xf0\x8f\xbf\xbf",     4,   0, 0},       /* overlong 4-byte */
	{"\xed\xa0\x80",         3,   0, 0},       /* U+D800 */
	{"\xed\xbf\xbf",         3,   0, 0},       /* U+DFFF */
	{"\xf4\x90\x80\x80",     4,   0, 0},       /* U+110000 */
	{"\xf5\x80\x80\x80",     4,   0, 0},
	{"\xf8\x88\x80\x80\x80", 5,   0, 0},       /* 5-byte form */
	{"\xff",                 1,   0, 0},
	{"\xe2\x82",             2,   0, 0},       /* cut short */
	{"\xe2\x28\xa1",         3,   0, 0},       /* bad continuation */
};

TEST(decode_table)
{
	for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *c = &decode_cases[i];
		uint32_t cp = 0;
		size_t n = utf8_decode((const uint8_t *)c->bytes, c->len, &cp);

		if (n != c->want_n || (n && cp != c->want_cp)) {
			fprintf(stderr, "  case %zu: n %zu cp 0x%x\n", i, n, cp);
			CHECK(false);
		}
	}
	CHECK(utf8_valid((const uint8_t *)"caf\xc3\xa9", 5));
	CHECK(!utf8_valid((const uint8_t *)"caf\xc3", 4));
}

struct escape_case {
	const char *in;
	size_t len;
	size_t cap;
	const char *want;
};

static const struct escape_case escape_cases[] = {
	/* in                              len  cap  escaped */
	{"plain text",                     10,  64, "plain text"},
	{"caf\xc3\xa9",                     5,  64, "caf\xc3\xa9"},
	{"a\nb\rc\td",                      7,  64, "a\\nb\\rc\\td"},
	{"x\naudit: job 1 unlock",         21,  64, "x\\naudit: job 1 unlock"},
	{"\n<0>emergency",                 13,  64, "\\n<0>emergency"},
	{"\x1b[2J\x7f",                     5,  64, "\\x1b[2J\\x7f"},
	{"a\0b",                            3,  64, "a\\x00b"},
	{"\xc0\xafSER\xff",                 6,  64, "\\xc0\\xafSER\\xff"},
	{"\xed\xa0\x80",                    3,  64, "\\xed\\xa0\\x80"},
	{"abcdef",                          6,   4, "abc"},
	{"ab\ncd",                          5,   4, "ab"},     /* never half an escape */
	{"a\xc3\xa9",                       3,   3, "a"},      /* never half a character */
	{"",                                0,   1, ""},
};

TEST(escape_table)
{
	for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		const struct escape_case *c = &escape_cases[i];
		char out[64];
		size_t n = utf8_escape((const uint8_t *)c->in, c->len, out, c->cap);

		CHECK_STR(out, c->want);
		CHECK_EQ_U(n, strlen(c->want));
		CHECK(utf8_valid((const uint8_t *)out, n));
	}
}

TEST(escape_inplace)
{
	char s[16] = "S\xc0\xaf\n12345";

	utf8_escape_inplace(s, sizeof(s));
	CHECK_STR(s, "S\\xc0\\xaf\\n1234");
}

int main(void)
{
	RUN(decode_table);
	RUN(escape_table);
	RUN(escape_inplace);
	return check_summary();
}
