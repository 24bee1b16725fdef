/* Every error code has a distinct snake_case name, a title and an HTTP status. */
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

int main(void)
{
	RUN(every_code_is_complete);
	RUN(known_codes);
	RUN(detail_travels_with_the_code);
	RUN(cleanup_keeps_the_failure);
	return check_summary();
}
