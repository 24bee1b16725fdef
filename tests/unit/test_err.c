/* Every error code has a distinct snake_case name, a title and an HTTP status. */
#include <microhttpd.h>
#include <stdlib.h>

#include "check.h"
#include "err.h"

TEST(every_code_is_complete)
{
	for (int i = 0; i < err_count(); i++) {
		int code = err_code_at(i);
		const char *name = err_name(-code);

		CHECK(code > 0);
		CHECK(strcmp(name, "unknown_error") != 0);
		for (const char *c = name; *c; c++)
			CHECK((*c >= 'a' && *c <= 'z') || *c == '_' || (*c >= '0' && *c <= '9'));
		CHECK(strlen(err_title(code)) > 3);
		CHECK(err_http_status(-code) >= 400 && err_http_status(-code) <= 599);
		for (int k = 0; k < i; k++) {
			CHECK(err_code_at(k) != code);
			CHECK(strcmp(err_name(err_code_at(k)), name) != 0);
		}
	}
}

TEST(known_codes)
{
	CHECK_STR(err_name(-ERR_RDP_LEVEL2_PERMANENT), "rdp_level2_permanent");
	CHECK_EQ_I(err_http_status(-ERR_PROBE_BUSY), 409);
	CHECK_STR(err_name(-ERR_TARGET_NOT_RESPONDING), "target_not_responding");
	CHECK_STR(err_name(-ERR_PROBE_DISCONNECTED), "probe_disconnected");
	CHECK_STR(err_name(0), "ok");
	CHECK_STR(err_name(-99999), "unknown_error");
	CHECK_EQ_I(err_http_status(-99999), 500);
}

TEST(detail_travels_with_the_code)
{
	int rc = err_setf(ERR_FLASH_TIMEOUT, "BSY for %d ms", 35000);

	CHECK_EQ_I(rc, -ERR_FLASH_TIMEOUT);
	CHECK_STR(err_detail(), "BSY for 35000 ms");
	CHECK_EQ_I(err_context(rc, "mass erase: "), rc);
	CHECK_STR(err_detail(), "mass erase: BSY for 35000 ms");
	CHECK_EQ_I(err_context(0, "ignored: "), 0);
	CHECK_STR(err_detail(), "mass erase: BSY for 35000 ms");
}

TEST(cleanup_keeps_the_failure)
{
	char saved[64];

	err_setf(ERR_PROBE_DISCONNECTED, "probe unplugged during the erase");
	snprintf(saved, sizeof(saved), "%s", err_detail());
	err_setf(ERR_PROBE_TIMEOUT, "closing: no answer"); /* what a cleanup may do */
	err_restore(saved);
	CHECK_STR(err_detail(), "probe unplugged during the erase");
	err_restore(err_detail()); /* restoring onto itself is harmless */
	CHECK_STR(err_detail(), "probe unplugged during the erase");
}

/* What a client sees of each row: a status HTTP names (the reason phrase
 * libmicrohttpd sends with it), the same row for -CODE and CODE, and a
 * title of its own that reads as a heading. */
TEST(every_code_is_a_whole_answer)
{
	for (int i = 0; i < err_count(); i++) {
		int code = err_code_at(i), status = err_http_status(code);
		const char *title = err_title(code);

		CHECK(strcmp(MHD_get_reason_phrase_for((unsigned)status), "Unknown") != 0);
		CHECK_EQ_I(err_http_status(-code), status);
		CHECK_STR(err_name(code), err_name(-code));
		CHECK((title[0] >= 'A' && title[0] <= 'Z') || title[0] == 'r'); /* "rdpd is ..." */
		CHECK(title[strlen(title) - 1] != '.');
		for (int k = 0; k < i; k++)
			CHECK(strcmp(err_title(err_code_at(k)), title) != 0);
		if (check_current_failed) {
			fprintf(stderr, "  (code %d, %s)\n", code, err_name(code));
			return;
		}
	}
}

/* Cancelling a job that has ended says so, in its own row: it is not a
 * busy probe, nor a bad argument. */
TEST(job_ended_is_its_own_row)
{
	CHECK_STR(err_name(-ERR_JOB_ENDED), "job_ended");
	CHECK_EQ_I(err_http_status(-ERR_JOB_ENDED), 409);
	CHECK(ERR_JOB_ENDED != ERR_PROBE_BUSY && ERR_JOB_ENDED != ERR_INVALID_ARGUMENT);
}

/* A detail of ERR_DETAIL_MAX - 1 bytes is kept whole, and so is its saved
 * copy across a cleanup that sets its own. */
TEST(saved_detail_comes_back_whole)
{
	char longest[ERR_DETAIL_MAX + 100], saved[ERR_DETAIL_MAX];

	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	longest[0] = 'A';
	err_setf(ERR_PROBE_DISCONNECTED, "%s", longest);
	CHECK_EQ_U(strlen(err_detail()), ERR_DETAIL_MAX - 1);
	err_save(saved);
	err_setf(ERR_PROBE_TIMEOUT, "closing: no answer");
	err_restore(saved);
	CHECK_EQ_U(strlen(err_detail()), ERR_DETAIL_MAX - 1);
	CHECK(err_detail()[0] == 'A' && err_detail()[ERR_DETAIL_MAX - 2] == 'x');
	err_clear();
	err_save(saved);
	err_setf(ERR_PROBE_TIMEOUT, "closing: no answer");
	err_restore(saved);
	CHECK_STR(err_detail(), "");
}

int main(void)
{
	RUN(every_code_is_complete);
	RUN(known_codes);
	RUN(detail_travels_with_the_code);
	RUN(cleanup_keeps_the_failure);
	RUN(every_code_is_a_whole_answer);
	RUN(job_ended_is_its_own_row);
	RUN(saved_detail_comes_back_whole);
	return check_summary();
}
