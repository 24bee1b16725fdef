/*
 * Read ahead (daemon/adiv5/mem.c, docs/adiv5.md "Read ahead") against a
 * fake probe protocol holding a few words of memory: a word read with a
 * batch answers the read that comes right after it, and nothing later; a
 * write, any other access, a failed run, an invalidation or another AP
 * ends it, and the memory is read again.
 */
#include "adiv5/adiv5.h"
#include "check.h"
#include "err.h"

#define FAKE_WORDS 4

struct fake_mem {
	struct access base;
	uint32_t addr[FAKE_WORDS], word[FAKE_WORDS];
	unsigned runs;
	bool fail_next; /* the next run FAULTs at its first op */
};

static uint32_t *fake_word(struct fake_mem *m, uint32_t addr)
{
	for (int i = 0; i < FAKE_WORDS; i++)
		if (m->addr[i] == addr)
			return &m->word[i];
	return NULL;
}

static int fake_run(struct access *ac, struct access_op *q, size_t n, int64_t deadline_ms, struct access_fail *fail)
{
	struct fake_mem *m = (struct fake_mem *)ac;

	m->runs++;
	if (m->fail_next) {
		m->fail_next = false;
		*fail = (struct access_fail){.ack = ACCESS_ACK_FAULT, .at = 0};
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t *w = (q[i].flags & ACCESS_OP_DRW) ? fake_word(m, q[i].mem_addr) : NULL;

		if (!w)
			continue;
		if (q[i].flags & ACCESS_OP_READ) {
			if (q[i].out)
				*q[i].out = *w;
		} else {
			*w = q[i].data;
		}
	}
	return 0;
}

static int fake_abort(struct access *ac, uint32_t value)
{
	return 0;
}

static const struct access_ops fake_ops = {.name = "fake", .run = fake_run, .abort = fake_abort};

static struct fake_mem mem = {
	.base = {.ops = &fake_ops},
	.addr = {0x40023C14u, 0x40023C18u, 0x1FFF7A20u, 0x20000000u},
	.word = {0x0FFFBBEDu, 0x0FFF0000u, 0x00000200u, 0},
};

static struct adiv5 link;

/* A batch with F_SIZE read and OPTCR, OPTCR1 read ahead. */
static void read_ahead_batch(uint32_t *fsize)
{
	mem_read32(&link, 0x1FFF7A20u, fsize);
	mem_prefetch32(&link, 0x40023C14u);
	mem_prefetch32(&link, 0x40023C18u);
}

TEST(answers_the_read_right_after)
{
	uint32_t fsize = 0, optcr = 0, optcr1 = 0;
	unsigned runs;

	adiv5_init(&link, &mem.base);
	read_ahead_batch(&fsize);
	CHECK_EQ_I(adiv5_run(&link), 0);
	CHECK_EQ_U(fsize, 0x200);
	runs = mem.runs;
	mem_read32(&link, 0x40023C14u, &optcr);
	mem_read32(&link, 0x40023C18u, &optcr1);
	CHECK_EQ_U(link.n, 0); /* nothing queued */
	CHECK_EQ_I(adiv5_run(&link), 0);
	CHECK_EQ_U(mem.runs, runs); /* no packet */
	CHECK_EQ_U(optcr, 0x0FFFBBED);
	CHECK_EQ_U(optcr1, 0x0FFF0000);
	/* That run, empty as it was, ended it: the next read is the chip's. */
	mem.word[0] = 0x0FFFAAED;
	CHECK_EQ_I(mem_read32_now(&link, 0x40023C14u, &optcr), 0);
	CHECK_EQ_U(mem.runs, runs + 1);
	CHECK_EQ_U(optcr, 0x0FFFAAED);
	mem.word[0] = 0x0FFFBBED;
}

TEST(any_access_between_ends_it)
{
	uint32_t fsize = 0, optcr = 0, ram = 0;

	adiv5_init(&link, &mem.base);
	read_ahead_batch(&fsize);
	CHECK_EQ_I(adiv5_run(&link), 0);
	/* A write (here to OPTCR itself) comes first: the read goes to memory. */
	mem_write32(&link, 0x40023C14u, 0x0FFFAAEE);
	mem_read32(&link, 0x40023C14u, &optcr);
	CHECK(link.n > 0);
	CHECK_EQ_I(adiv5_run(&link), 0);
	CHECK_EQ_U(optcr, 0x0FFFAAEE);
	mem.word[0] = 0x0FFFBBED;
	/* A read of another word first: so does the one after it. */
	read_ahead_batch(&fsize);
	CHECK_EQ_I(adiv5_run(&link), 0);
	mem.word[0] = 0x0FFFCCED; /* the chip changed it meanwhile */
	mem_read32(&link, 0x20000000u, &ram);
	mem_read32(&link, 0x40023C14u, &optcr);
	CHECK_EQ_I(adiv5_run(&link), 0);
	CHECK_EQ_U(optcr, 0x0FFFCCED);
	mem.word[0] = 0x0FFFBBED;
}

TEST(failure_invalidation_and_another_ap_end_it)
{
	uint32_t fsize = 0, optcr = 0;
	unsigned runs;

	adiv5_init(&link, &mem.base);
	read_ahead_batch(&fsize);
	mem.fail_next = true;
	CHECK_EQ_I(adiv5_run(&link), -ERR_TARGET_FAULT);
	err_clear();
	runs = mem.runs;
	CHECK_EQ_I(mem_read32_now(&link, 0x40023C14u, &optcr), 0);
	CHECK_EQ_U(mem.runs, runs + 1);
	CHECK_EQ_U(optcr, 0x0FFFBBED);

	read_ahead_batch(&fsize);
	CHECK_EQ_I(adiv5_run(&link), 0);
	adiv5_invalidate(&link);
	runs = mem.runs;
	CHECK_EQ_I(mem_read32_now(&link, 0x40023C14u, &optcr), 0);
	CHECK_EQ_U(mem.runs, runs + 1);

	read_ahead_batch(&fsize);
	CHECK_EQ_I(adiv5_run(&link), 0);
	mem_use_ap(&link, 1);
	runs = mem.runs;
	CHECK_EQ_I(mem_read32_now(&link, 0x40023C14u, &optcr), 0);
	CHECK_EQ_U(mem.runs, runs + 1);
	mem_use_ap(&link, 0);

	/* A discarded batch reads nothing ahead. */
	read_ahead_batch(&fsize);
	adiv5_discard(&link);
	runs = mem.runs;
	CHECK_EQ_I(mem_read32_now(&link, 0x40023C14u, &optcr), 0);
	CHECK_EQ_U(mem.runs, runs + 1);
}

int main(void)
{
	RUN(answers_the_read_right_after);
	RUN(any_access_between_ends_it);
	RUN(failure_invalidation_and_another_ap_end_it);
	return check_summary();
}
