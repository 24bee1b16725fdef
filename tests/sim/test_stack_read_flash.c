/*
 * test_stack_read_flash.c - the flash read-back the unlock job verifies with
 * (target_flash_end, target_read_flash), on simulated chips: the words the
 * model holds, from both ends, in one batch; the driver's end where flash is
 * not one block; a refused read is -ERR_TARGET_FAULT, which the job takes
 * for the debugger latch.
 */
#include "check.h"
#include "stack_util.h"

/* Attach to URI's chip and check the words at both ends of its flash read
 * as the model holds them. */
static void check_both_ends(const char *uri, uint32_t want_end)
{
	struct probe_link *pl = stack_open(uri);
	struct target t;
	struct target_protection p;
	uint32_t head[4], tail[4], end = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(target_flash_end(&t, &end), 0);
	CHECK_EQ_U(end, want_end);
	CHECK_EQ_I(target_read_flash(&t, (const struct target_flash_span[]){
						 {t.flash_base, head, 4}, {end - 16, tail, 4}},
				     2),
		   0);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ_U(head[i], stack_peek(pl, t.flash_base + 4 * i));
		CHECK_EQ_U(tail[i], stack_peek(pl, end - 16 + 4 * i));
	}
	probe_link_close(pl);
}

TEST(reads_both_ends_of_contiguous_flash)
{
	check_both_ends("sim:stm32f401re-rdp0", 0x08000000u + 512 * 1024);
}

/* H7 with 2 x 512 KB: bank 2 at 0x08100000 (docs/targets/stm32h7.md). */
TEST(reads_the_driver_end_of_split_flash)
{
	check_both_ends("sim:stm32h743zi-rdp0", 0x08200000u);
}

/* Level 1 with a debugger attached: the bus refuses flash reads. */
TEST(refused_read_is_a_target_fault)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp1");
	struct target t;
	struct target_protection p;
	uint32_t w[4];

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(target_read_flash(&t, (const struct target_flash_span[]){{t.flash_base, w, 4}}, 1),
		   -ERR_TARGET_FAULT);
	probe_link_close(pl);
}

int main(void)
{
	RUN(reads_both_ends_of_contiguous_flash);
	RUN(reads_the_driver_end_of_split_flash);
	RUN(refused_read_is_a_target_fault);
	return check_summary();
}
