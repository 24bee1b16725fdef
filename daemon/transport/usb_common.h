/*
 * usb_common.h - what the libusb backends (usb_bulk.c, usb_stlink.c) share:
 * one libusb context for the process, a device's port path, its sysfs
 * strings, and the list of candidates an error sentence names.
 */
#ifndef RDPD_USB_COMMON_H
#define RDPD_USB_COMMON_H

#include <libusb.h>
#include <stddef.h>

/* The process's libusb context, or NULL with the libusb error in *RC when
 * this machine has no usable USB (no usbfs in a container, for one). A failed
 * init is not retried: rdpd does not expect USB to appear later. */
libusb_context *usb_common_context(int *rc);
/* DEV's port path, "BUS-PORT.PORT..." ("1-2.3"), as sysfs names it. */
void usb_common_location(libusb_device *dev, char *out, size_t cap);
/* A sysfs attribute of the USB device or interface NAME ("1-2.3",
 * "1-2.3:1.0"). Only used when the device cannot be opened: Linux shows its
 * strings to everyone, so a probe lacking the udev rule is still recognised
 * and reported as a permission problem rather than as absent. "" if absent. */
void usb_common_sysfs(const char *name, const char *attr, char *out, size_t cap);
/* Append URI to the comma-separated LIST of CAP bytes, ending it with "..."
 * once it is full. */
void usb_common_list_add(char *list, size_t cap, const char *uri);

#endif
