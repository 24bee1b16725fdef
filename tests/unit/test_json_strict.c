/*
 * test_json_strict.c - the strict RFC 8259 check (json_strict.c), the body
 * schemas (json_util_check_members) and the canonical form used to bind an
 * Idempotency-Key to its body, table-driven.
 */
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "json_strict.h"
#include "json_util.h"

/* A body (LEN 0: strlen), whether it is strict JSON, and for a refusal a
 * word of the sentence and the byte offset it must name. */
struct strict_case {
	const char *text;
	size_t len;
	bool ok;
	const char *needle;
	const char *at;
};

static const struct strict_case strict_cases[] = {
	/* text                                  len ok     needle              at */
	{"{}",                                    0, true,  NULL,               NULL},
	{" {\"a\" : [1, -0, 0.5, 1e3, 2E-7, true, false, null]} ", 0, true, NULL, NULL},
	{"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", 0, true, NULL,       NULL},
	{"\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\"", 0, true, NULL,             NULL},
	{"9223372036854775807",                   0, true,  NULL,               NULL},
	{"-9223372036854775808",                  0, true,  NULL,               NULL},
	{"1e-999",                                0, true,  NULL,               NULL},
	{"[[[[[[[[1]]]]]]]]",                     0, true,  NULL,               NULL},
	{"{\"a\":{\"a\":1},\"b\":{\"a\":2}}",     0, true,  NULL,               NULL},
	{"{\"a\":1,\"A\":2,\"a \":3}",            0, true,  NULL,               NULL},
	/* UTF-8 (RFC 3629) */
	{"\"\xc0\xaf\"",                          0, false, "UTF-8",            "byte 1"},
	{"\"\xc1\xbf\"",                          0, false, "UTF-8",            "byte 1"},
	{"\"\xe0\x80\xaf\"",                      0, false, "UTF-8",            "byte 1"},
	{"\"\xf0\x80\x80\xaf\"",                  0, false, "UTF-8",            "byte 1"},
	{"\"\xed\xa0\x80\"",                      0, false, "UTF-8",            "byte 1"},
	{"\"\xed\xbf\xbf\"",                      0, false, "UTF-8",            "byte 1"},
	{"\"\xf4\x90\x80\x80\"",                  0, false, "UTF-8",            "byte 1"},
	{"\"\xf5\x80\x80\x80\"",                  0, false, "UTF-8",            "byte 1"},
	{"\"ab\x80\"",                            0, false, "UTF-8",            "byte 3"},
	{"\"\xe2\x82\"",                          0, false, "UTF-8",            "byte 1"},
	{"\"\xe2\x82",                            0, false, "UTF-8",            "byte 1"},
	{"\"\xff\"",                              0, false, "UTF-8",            "byte 1"},
	{"{\"\xc0\xaf\":1}",                      0, false, "UTF-8",            "byte 2"},
	/* control bytes, escapes */
	{"\"a\nb\"",                              0, false, "control byte 0x0a", "byte 2"},
	{"\"\t\"",                                0, false, "control byte 0x09", "byte 1"},
	{"\"a\0b\"",                              5, false, "control byte 0x00", "byte 2"},
	{"\"\x7f\"",                              0, true,  NULL,               NULL},
	{"\"\\u0000\"",                           0, false, "\\u0000",          "byte 1"},
	{"{\"\\u0000\":1}",                       0, false, "\\u0000",          "byte 2"},
	{"\"\\ud800\"",                           0, false, "surrogate",        "byte 1"},
	{"\"\\udbff\\u0041\"",                    0, false, "surrogate",        "byte 1"},
	{"\"\\udc00\"",                           0, false, "surrogate",        "byte 1"},
	{"\"\\ud800\\ud800\"",                    0, false, "surrogate",        "byte 1"},
	{"\"\\x41\"",                             0, false, "escape",           "byte 1"},
	{"\"\\u12\"",                             0, false, "four hex",         "byte 1"},
	{"\"\\u12g4\"",                           0, false, "four hex",         "byte 1"},
	{"\"\\'\"",                               0, false, "escape",           "byte 1"},
	/* numbers (section 6) */
	{"NaN",                                   0, false, "NaN",              "byte 0"},
	{"{\"level\":Infinity}",                  0, false, "NaN and Infinity", "byte 9"},
	{"-Infinity",                             0, false, "NaN and Infinity", "byte 0"},
	{"01",                                    0, false, "leading zero",     "byte 0"},
	{"-01",                                   0, false, "leading zero",     "byte 0"},
	{"+1",                                    0, false, "'+'",              "byte 0"},
	{".5",                                    0, false, "'.'",              "byte 0"},
	{"1.",                                    0, false, "'.'",              "byte 0"},
	{"1e",                                    0, false, "exponent",         "byte 0"},
	{"1e+",                                   0, false, "exponent",         "byte 0"},
	{"-",                                     0, false, "end",              "byte 1"},
	{"0x10",                                  0, false, "after",            "byte 1"},
	{"9223372036854775808",                   0, false, "64-bit",           "byte 0"},
	{"-9223372036854775809",                  0, false, "64-bit",           "byte 0"},
	{"123456789012345678901234567890",        0, false, "64-bit",           "byte 0"},
	{"1e999",                                 0, false, "out of range",     "byte 0"},
	{"-1.5e400",                              0, false, "out of range",     "byte 0"},
	/* duplicates, in any spelling, at any depth */
	{"{\"level\":2,\"level\":1}",             0, false, "duplicate member \"level\"", "byte 11"},
	{"{\"a\":1,\"\\u0061\":2}",               0, false, "duplicate member \"a\"", "byte 7"},
	{"{\"x\":{\"uid\":\"a\",\"uid\":\"b\"}}", 0, false, "duplicate member \"uid\"", "byte 16"},
	{"[{\"a\":1},{\"a\":1,\"b\":2,\"a\":3}]", 0, false, "duplicate member \"a\"", "byte 22"},
	{"{\"\xc3\xa9\":1,\"\\u00e9\":2}",        0, false, "duplicate member \"\xc3\xa9\"", "byte 8"},
	/* structure */
	{"",                                      0, false, "end",              "byte 0"},
	{"   ",                                   0, false, "end",              "byte 3"},
	{"{} {}",                                 0, false, "after",            "byte 3"},
	{"{}x",                                   0, false, "after",            "byte 2"},
	{"{\"a\":1,}",                            0, false, "'}'",              "byte 7"},
	{"[1,]",                                  0, false, "']'",              "byte 3"},
	{"{'a':1}",                               0, false, "'''",              "byte 1"},
	{"{a:1}",                                 0, false, "'a'",              "byte 1"},
	{"{/**/}",                                0, false, "'/'",              "byte 1"},
	{"\xef\xbb\xbf{}",                        0, false, "0xef",             "byte 0"},
	{"{\"a\" 1}",                             0, false, "'1'",              "byte 5"},
	{"{\"a\":",                               0, false, "end",              "byte 5"},
	{"\"abc",                                 0, false, "end",              "byte 4"},
	{"tru",                                   0, false, "'t'",              "byte 0"},
	{"nul",                                   0, false, "'n'",              "byte 0"},
	{"[[[[[[[[[1]]]]]]]]]",                   0, false, "too deep",         "byte 8"},
	{"{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}}", 0, false, "too deep", "byte 40"},
	/* the member a failure is in */
	{"{\"connect\":\"x\xff\"}",               0, false, "in member \"connect\"", "byte 13"},
};

TEST(strict_table)
{
	for (size_t i = 0; i < sizeof(strict_cases) / sizeof(strict_cases[0]); i++) {
		const struct strict_case *c = &strict_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		int rc;

		err_clear();
		rc = json_strict_check(c->text, len);
		if ((rc == 0) != c->ok || (!c->ok && rc != -ERR_JSON_INVALID) ||
		    (c->needle && !strstr(err_detail(), c->needle)) ||
		    (c->at && !strstr(err_detail(), c->at))) {
			fprintf(stderr, "  case %zu '%s': rc %d, detail '%s' (want %s, '%s', '%s')\n", i, c->text,
				rc, err_detail(), c->ok ? "ok" : "refused", c->needle ? c->needle : "",
				c->at ? c->at : "");
			CHECK(false);
		}
	}
}

/* json_util_parse_strict refuses whatever the check refuses, even where json-c
 * alone would build an object (the last of two "level"s, a clamped int). */
TEST(parse_refuses_what_json_c_accepts)
{
	static const char *const bodies[] = {
		"{\"level\":2,\"level\":1}", "{\"clock_hz\":99999999999999999999}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\u0000\"}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		json_object *o = json_util_parse_strict(bodies[i], strlen(bodies[i]));

		CHECK(o == NULL);
		CHECK(strstr(err_detail(), "strict JSON") != NULL);
		json_object_put(o);
	}
}

/* Eight levels are ours and json-c's limit alike: json-c never refuses
 * what the check let through. */
TEST(parse_takes_eight_levels)
{
	const char *eight = "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[1]}}}}}}}";
	json_object *o = json_util_parse_strict(eight, strlen(eight));

	CHECK(o != NULL);
	json_object_put(o);
}

/* A bare number or literal is a whole JSON text too (json-c needs to be
 * told where it ends); null is refused with a sentence of its own. */
TEST(parse_bare_values)
{
	static const char *const values[] = {"1", " -0.5 ", "true", "\"x\"", "[]"};
	json_object *o;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		o = json_util_parse_strict(values[i], strlen(values[i]));
		CHECK(o != NULL);
		json_object_put(o);
	}
	o = json_util_parse_strict("1", 1);
	CHECK_EQ_I(json_object_get_int(o), 1);
	json_object_put(o);
	CHECK(json_util_parse_strict("null", 4) == NULL);
	CHECK(strstr(err_detail(), "null, not a JSON object") != NULL);
}

/* A long body of distinct names is fine and quick; one repeat is found. */
TEST(many_members)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap);
	unsigned i;

	n += (size_t)snprintf(buf + n, cap - n, "{");
	for (i = 0; n < cap - 40; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\"k%u\":%u", i ? "," : "", i, i);
	snprintf(buf + n, cap - n, "}");
	CHECK_EQ_I(json_strict_check(buf, strlen(buf)), 0);
	snprintf(buf + n, cap - n, ",\"k7\":1}");
	CHECK_EQ_I(json_strict_check(buf, strlen(buf)), -ERR_JSON_INVALID);
	CHECK(strstr(err_detail(), "duplicate member \"k7\"") != NULL);
	free(buf);
}

static const struct json_member expect_members[] = {
	{"uid", JSON_MEMBER_STRING, NULL, 64},
	{"dev_id", JSON_MEMBER_STRING, NULL, 64},
	{NULL},
};

static const struct json_member unlock_members[] = {
	{"clock_hz", JSON_MEMBER_INT},
	{"connect", JSON_MEMBER_STRING},
	{"expect", JSON_MEMBER_OBJECT, expect_members},
	{"level", JSON_MEMBER_NUMBER},
	{NULL},
};

static const struct json_member no_members[] = {{NULL}};

struct schema_case {
	const char *body;
	const struct json_member *schema;
	int rc;
	const char *bad;    /* the member named */
	const char *needle; /* in the sentence */
};

static const struct schema_case schema_cases[] = {
	{"{}",                                      unlock_members, 0, "", NULL},
	{"{\"clock_hz\":1000000,\"connect\":\"normal\",\"level\":1.0}", unlock_members, 0, "", NULL},
	{"{\"expect\":{\"uid\":\"0x1\",\"dev_id\":\"0x433\"}}", unlock_members, 0, "", NULL},
	{"{\"bogus\":1}",                           unlock_members, -ERR_BODY_MEMBER, "bogus", "takes clock_hz, connect, expect, level"},
	{"{\"clock_hz\":\"fast\"}",                 unlock_members, -ERR_BODY_MEMBER, "clock_hz", "must be an integer, not a string"},
	{"{\"clock_hz\":1.5}",                      unlock_members, -ERR_BODY_MEMBER, "clock_hz", "not a number with a fraction"},
	{"{\"clock_hz\":null}",                     unlock_members, -ERR_BODY_MEMBER, "clock_hz", "not null"},
	{"{\"connect\":5}",                         unlock_members, -ERR_BODY_MEMBER, "connect", "must be a string, not an integer"},
	{"{\"level\":\"1\"}",                       unlock_members, -ERR_BODY_MEMBER, "level", "must be a number"},
	{"{\"level\":true}",                        unlock_members, -ERR_BODY_MEMBER, "level", "not a boolean"},
	{"{\"expect\":[]}",                         unlock_members, -ERR_BODY_MEMBER, "expect", "must be an object, not an array"},
	{"{\"expect\":{\"uid\":5}}",                unlock_members, -ERR_BODY_MEMBER, "expect.uid", "must be a string"},
	{"{\"expect\":{\"chip\":\"x\"}}",           unlock_members, -ERR_BODY_MEMBER, "expect.chip", "this object takes uid, dev_id"},
	{"{\"expect\":{\"uid\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}",
						    unlock_members, -ERR_BODY_MEMBER, "expect.uid", "longer than 64"},
	{"[]",                                      unlock_members, -ERR_BODY_MEMBER, "", "must be a JSON object, not an array"},
	{"{}",                                      no_members,     0, "", NULL},
	{"{\"force\":true}",                        no_members,     -ERR_BODY_MEMBER, "force", "takes no members"},
};

TEST(schema_table)
{
	for (size_t i = 0; i < sizeof(schema_cases) / sizeof(schema_cases[0]); i++) {
		const struct schema_case *c = &schema_cases[i];
		json_object *o = json_util_parse_strict(c->body, strlen(c->body));
		char bad[64] = "x";
		int rc;

		CHECK(o != NULL);
		err_clear();
		rc = json_util_check_members(o, c->schema, bad, sizeof(bad));
		if (rc != c->rc || strcmp(bad, c->bad) != 0 || (c->needle && !strstr(err_detail(), c->needle))) {
			fprintf(stderr, "  case %zu '%s': rc %d, member '%s', detail '%s'\n", i, c->body, rc, bad,
				err_detail());
			CHECK(false);
		}
		json_object_put(o);
	}
}

TEST(canonical_ignores_order_and_spacing)
{
	static const char *const same[] = {
		"{\"connect\":\"normal\",\"clock_hz\":1000000,\"expect\":{\"uid\":\"a\",\"dev_id\":\"b\"}}",
		" { \"expect\" : { \"dev_id\" : \"b\", \"uid\" : \"a\" }, \"clock_hz\" : 1000000, \"connect\" : \"\\u006eormal\" } ",
	};
	char *c[2];

	for (int i = 0; i < 2; i++) {
		json_object *o = json_util_parse_strict(same[i], strlen(same[i]));

		c[i] = json_util_canonical(o);
		json_object_put(o);
	}
	CHECK_STR(c[0], "{\"clock_hz\":1000000,\"connect\":\"normal\",\"expect\":{\"dev_id\":\"b\",\"uid\":\"a\"}}");
	CHECK_STR(c[1], c[0]);
	free(c[0]);
	free(c[1]);
}

int main(void)
{
	RUN(strict_table);
	RUN(parse_refuses_what_json_c_accepts);
	RUN(parse_takes_eight_levels);
	RUN(parse_bare_values);
	RUN(many_members);
	RUN(schema_table);
	RUN(canonical_ignores_order_and_spacing);
	return check_summary();
}
