/*
 * The STM32H7 driver's refusals that need no chip: H7R/S is identified but
 * never unlocked, and level 2 is never offered.
 */
#include "check.h"
#include "err.h"
#include "targets/target.h"

TEST(h7rs_is_identified_not_unlocked)
{
	const struct target_driver *drv = NULL;
	const struct target_part *p = target_find_part(0x5C001000, 0x485, &drv);
	struct target t = {0};
	struct target_protection prot;
	bool pc = false;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_STR(drv->name, "stm32h7");
	t.drv = drv;
	t.part = p;
	t.flash_kb = 64;
	/* No bus access happens on these paths: t.a stays NULL. */
	CHECK_EQ_I(drv->read_protection(&t, &prot), 0);
	CHECK_EQ_I(prot.level, RDP_UNKNOWN);
	CHECK_EQ_I(drv->set_level(&t, RDP_LEVEL_0, NULL), -ERR_NOT_SUPPORTED);
	CHECK(strstr(err_detail(), "product states") != NULL);
	CHECK_EQ_I(drv->set_level(&t, RDP_LEVEL_1, NULL), -ERR_NOT_SUPPORTED);
	CHECK_EQ_I(drv->apply(&t, &pc), -ERR_NOT_SUPPORTED);
}

int main(void)
{
	RUN(h7rs_is_identified_not_unlocked);
	return check_summary();
}
