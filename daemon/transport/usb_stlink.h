/*
 * usb_stlink.h - what usb_stlink.c offers besides its transport_ops: the
 * serial-number fix, pure, for its tests.
 */
#ifndef RDPD_TRANSPORT_USB_STLINK_H
#define RDPD_TRANSPORT_USB_STLINK_H

#include <stddef.h>
#include <stdint.h>

/* The serial of an ST-LINK from its raw iSerial string descriptor DESC
 * (LEN bytes read, bLength first): old V2 firmware sends the 12 bytes of
 * its MCU's unique ID as 12 UTF-16 units (bLength 26), shown as 24
 * uppercase hex digits as OpenOCD and stlink show them; any other
 * descriptor as its text, bytes outside printable ASCII as '?'
 * (docs/probe/stlink.md, "Serial numbers"). */
void usb_stlink_serial_text(const uint8_t *desc, size_t len, char *out, size_t cap);
/* The same fix for the kernel's UTF-8 rendering of the descriptor (sysfs
 * "serial", read when the device cannot be opened): 12 characters, each
 * below U+0100, become 24 hex digits; anything else is kept. */
void usb_stlink_serial_sysfs(const char *utf8, char *out, size_t cap);

#endif
