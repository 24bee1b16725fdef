/*
 * mem.c - MEM-AP memory access, ADIv5.2 C2, through the AHB-AP the core's
 * bus sits behind (a->mem_ap: AP0 on most parts, AP1 on STM32H5).
 *
 * CSW and TAR are written only when they change; TAR follows the auto-
 * increment, which ADIv5 guarantees only inside a 1 KB block (C2.2.2), so
 * sequential accesses cost one transfer each and block reads are split at
 * 1 KB boundaries.
 *
 * Read ahead (mem_prefetch32): words read with one batch answer the reads
 * queued right after that batch ran, before anything else is queued and
 * before the next run: no write can have come between, and the value is
 * the one a packet later would have brought, minus the packet
 * (docs/adiv5.md, "Read ahead").
 */
#include "adiv5/adiv5.h"

#include "err.h"

/* HPROT1 (privileged) | MasterType debug | DbgSwEnable: OpenOCD's AHB default. */
#define MEM_CSW_BASE 0xA2000000u
#define MEM_CSW_SIZE_16 0x1u
#define MEM_CSW_SIZE_32 0x2u
#define MEM_CSW_ADDRINC_SINGLE 0x10u

void mem_use_ap(struct adiv5 *a, uint8_t apsel)
{
	/* The CSW and TAR caches describe one AP's registers. */
	a->mem_ap = apsel;
	a->csw_valid = a->tar_valid = false;
}

static bool mem_prefetched(const struct adiv5 *a, uint32_t addr, uint32_t *out)
{
	if (!a->pf_valid || a->pf_ap != a->mem_ap)
		return false;
	for (size_t i = 0; i < a->n_pf; i++)
		if (a->pf[i].addr == addr) {
			if (out)
				*out = a->pf[i].value;
			return true;
		}
	return false;
}

static void mem_set_csw(struct adiv5 *a, uint32_t size)
{
	uint32_t csw = MEM_CSW_BASE | MEM_CSW_ADDRINC_SINGLE | size;

	if (a->csw_valid && a->csw == csw)
		return;
	adiv5_ap_write(a, a->mem_ap, AP_CSW, csw);
	a->csw = csw;
	a->csw_valid = true;
}

static void mem_set_tar(struct adiv5 *a, uint32_t addr)
{
	if (a->tar_valid && a->tar == addr)
		return;
	adiv5_ap_write(a, a->mem_ap, AP_TAR, addr);
	a->tar = addr;
	a->tar_valid = true;
}

/* TAR after an access of STEP bytes: it wraps inside the 1 KB block, so the
 * cache is only kept while the next address is still inside it. */
static void mem_advance_tar(struct adiv5 *a, uint32_t step)
{
	uint32_t next = a->tar + step;

	if ((next & ~(ADIV5_TAR_BLOCK - 1)) != (a->tar & ~(ADIV5_TAR_BLOCK - 1)))
		a->tar_valid = false;
	a->tar = next;
}

/* The DRW access just queued reaches memory at ADDR, SIZE bytes wide. */
static void mem_mark_drw(struct adiv5 *a, uint32_t addr, uint8_t size, bool side_effect)
{
	struct access_op *op;

	if (a->n == 0)
		return;
	op = &a->q[a->n - 1];
	op->flags = (uint8_t)(op->flags | ACCESS_OP_DRW | (side_effect ? ACCESS_OP_SIDE_EFFECT : 0));
	op->mem_addr = addr;
	op->size = size;
}

void mem_read32(struct adiv5 *a, uint32_t addr, uint32_t *out)
{
	if (mem_prefetched(a, addr, out))
		return;
	mem_set_csw(a, MEM_CSW_SIZE_32);
	mem_set_tar(a, addr);
	adiv5_ap_read(a, a->mem_ap, AP_DRW, out);
	mem_mark_drw(a, addr, 4, false);
	mem_advance_tar(a, 4);
}

void mem_prefetch32(struct adiv5 *a, uint32_t addr)
{
	if (!a->pf_queued) {
		a->n_pf = 0; /* a new batch reads ahead anew */
		a->pf_ap = a->mem_ap;
	}
	if (a->n_pf == ADIV5_PREFETCH_MAX || a->pf_ap != a->mem_ap)
		return;
	a->pf[a->n_pf].addr = addr;
	mem_read32(a, addr, &a->pf[a->n_pf].value);
	a->n_pf++;
	a->pf_queued = true;
}

void mem_write32(struct adiv5 *a, uint32_t addr, uint32_t val)
{
	mem_set_csw(a, MEM_CSW_SIZE_32);
	mem_set_tar(a, addr);
	adiv5_ap_write(a, a->mem_ap, AP_DRW, val);
	mem_mark_drw(a, addr, 4, true);
	mem_advance_tar(a, 4);
}

void mem_write16(struct adiv5 *a, uint32_t addr, uint16_t val)
{
	mem_set_csw(a, MEM_CSW_SIZE_16);
	mem_set_tar(a, addr);
	/* Narrow accesses use the byte lanes of the address (ADIv5.2 C2.2.6). */
	adiv5_ap_write(a, a->mem_ap, AP_DRW, (uint32_t)val << ((addr & 2) * 8));
	mem_mark_drw(a, addr, 2, true);
	mem_advance_tar(a, 2);
}

void mem_read_block(struct adiv5 *a, uint32_t addr, uint32_t *buf, size_t n)
{
	size_t per_packet = a->ac->ops->block_words(a->ac);

	while (n > 0) {
		size_t to_boundary = (ADIV5_TAR_BLOCK - (addr & (ADIV5_TAR_BLOCK - 1))) / 4;
		size_t count = n < to_boundary ? n : to_boundary;
		struct access_op *op;

		if (count > per_packet)
			count = per_packet;
		mem_set_csw(a, MEM_CSW_SIZE_32);
		mem_set_tar(a, addr);
		adiv5_select_ap_bank(a, a->mem_ap, AP_DRW);
		if (a->n == ADIV5_QUEUE_MAX) {
			if (!a->queue_rc)
				a->queue_rc = err_setf(ERR_INTERNAL, "ADIv5 queue overflow");
			return;
		}
		op = &a->q[a->n++];
		*op = (struct access_op){
			.ap = true,
			.apsel = a->mem_ap,
			.reg = AP_DRW,
			.flags = ACCESS_OP_READ | ACCESS_OP_DRW,
			.size = 4,
			.block = (uint16_t)count,
			.block_buf = buf,
			.mem_addr = addr,
		};
		a->tar = addr;
		mem_advance_tar(a, (uint32_t)count * 4);
		addr += (uint32_t)count * 4;
		buf += count;
		n -= count;
	}
}

int mem_read32_now(struct adiv5 *a, uint32_t addr, uint32_t *out)
{
	mem_read32(a, addr, out);
	return adiv5_run(a);
}

int mem_write32_now(struct adiv5 *a, uint32_t addr, uint32_t val)
{
	mem_write32(a, addr, val);
	return adiv5_run(a);
}
