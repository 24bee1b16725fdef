/*
 * The ST-LINK serial-number fix (docs/probe/stlink.md, "Serial numbers"):
 * old V2 firmware sends its MCU's 12 unique-ID bytes raw (bLength 26), and
 * rdpd shows them as the 24 hex digits OpenOCD and stlink show, whether it
 * reads the descriptor itself or the kernel's rendering in sysfs.
 */
#include "check.h"
#include "transport/usb_stlink.h"

/* OpenOCD's example, stlink_usb.c: "57FF72067265575742132067". */
static const uint8_t uid[12] = {0x57, 0xFF, 0x72, 0x06, 0x72, 0x65, 0x57, 0x57, 0x42, 0x13, 0x20, 0x67};

TEST(raw_serial_becomes_hex)
{
	uint8_t desc[26] = {26, 0x03};
	char out[64];

	for (size_t i = 0; i < 12; i++)
		desc[2 + 2 * i] = uid[i];
	usb_stlink_serial_text(desc, sizeof(desc), out, sizeof(out));
	CHECK_STR(out, "57FF72067265575742132067");
	usb_stlink_serial_text(desc, sizeof(desc), out, 9); /* a short buffer cuts whole digits */
	CHECK_STR(out, "57FF7206");
}

TEST(good_serial_kept)
{
	const char *text = "57FF72067265575742132067";
	uint8_t desc[50] = {50, 0x03};
	char out[64];

	for (size_t i = 0; i < 24; i++)
		desc[2 + 2 * i] = (uint8_t)text[i];
	usb_stlink_serial_text(desc, sizeof(desc), out, sizeof(out));
	CHECK_STR(out, text);
	desc[4] = 0x01; /* a control character is no serial text */
	usb_stlink_serial_text(desc, sizeof(desc), out, sizeof(out));
	CHECK_STR(out, "5?FF72067265575742132067");
}

TEST(malformed_descriptors_give_nothing)
{
	static const uint8_t not_string[4] = {4, 0x02, 'A', 0};
	static const uint8_t cut[4] = {26, 0x03, 'A', 0}; /* bLength beyond what was read */
	char out[16] = "x";

	usb_stlink_serial_text(not_string, sizeof(not_string), out, sizeof(out));
	CHECK_STR(out, "");
	usb_stlink_serial_text(cut, sizeof(cut), out, sizeof(out));
	CHECK_STR(out, "");
	usb_stlink_serial_text(cut, 1, out, sizeof(out));
	CHECK_STR(out, "");
}

TEST(sysfs_rendering)
{
	char utf8[64], out[64];
	size_t n = 0;

	/* The kernel writes each unit as UTF-8: U+00FF is c3 bf. */
	for (size_t i = 0; i < 12; i++) {
		if (uid[i] < 0x80) {
			utf8[n++] = (char)uid[i];
		} else {
			utf8[n++] = (char)(0xC0 | uid[i] >> 6);
			utf8[n++] = (char)(0x80 | (uid[i] & 0x3F));
		}
	}
	utf8[n] = '\0';
	usb_stlink_serial_sysfs(utf8, out, sizeof(out));
	CHECK_STR(out, "57FF72067265575742132067");
	usb_stlink_serial_sysfs("066DFF504955857187123456", out, sizeof(out));
	CHECK_STR(out, "066DFF504955857187123456");
	usb_stlink_serial_sysfs("0670FF48", out, sizeof(out));
	CHECK_STR(out, "0670FF48");
}

int main(void)
{
	RUN(raw_serial_becomes_hex);
	RUN(good_serial_kept);
	RUN(malformed_descriptors_give_nothing);
	RUN(sysfs_rendering);
	return check_summary();
}
