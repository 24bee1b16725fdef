/*
 * Arbitrary bytes as a probe's answer to every CMSIS-DAP command: no
 * decoder may read past the reply or return more than it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "dap/dap_commands.h"
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly SIZE bytes, so ASan sees any over-read. */
	uint8_t *buf = malloc(size ? size : 1);
	struct dap_xfer x[8];
	struct dap_transfer_result res;
	uint32_t words[1024];
	const uint8_t *val;
	size_t vlen, n;
	uint8_t b;

	memcpy(buf, data, size);
	/* The first byte chooses the transfer list the reply is decoded against. */
	n = size ? (size_t)(data[0] % 8) + 1 : 1;
	for (size_t i = 0; i < n; i++)
		x[i] = (struct dap_xfer){.req = size > i + 1 ? (uint8_t)(data[i + 1] & 0x3F) : 0x02};
	if (dap_commands_transfer_decode(buf, size, x, n, words, &res) > (int)size)
		abort();
	/* The words buffer holds COUNT words, as the runner's does. */
	if (dap_commands_transfer_block_decode(buf, size, 0x0F, (uint16_t)(size % 1024 + 1), words, &res) > (int)size)
		abort();
	if (dap_commands_info_decode(buf, size, &val, &vlen) > 0 && val + vlen > buf + size)
		abort();
	dap_commands_connect_decode(buf, size, &b);
	dap_commands_swj_pins_decode(buf, size, &b);
	dap_commands_swj_clock_decode(buf, size);
	dap_commands_swj_sequence_decode(buf, size);
	dap_commands_swd_configure_decode(buf, size);
	dap_commands_transfer_configure_decode(buf, size);
	dap_commands_write_abort_decode(buf, size);
	dap_commands_host_status_decode(buf, size);
	dap_commands_disconnect_decode(buf, size);
	free(buf);
	return 0;
}
