/*
 * usb_common.c - the pieces the libusb backends share (usb_common.h).
 */
#include "transport/usb_common.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t usb_common_once = PTHREAD_ONCE_INIT;
static libusb_context *usb_common_ctx;
static int usb_common_ctx_rc;

static void usb_common_ctx_init(void)
{
	usb_common_ctx_rc = libusb_init(&usb_common_ctx);
	if (usb_common_ctx_rc < 0)
		usb_common_ctx = NULL;
}

libusb_context *usb_common_context(int *rc)
{
	pthread_once(&usb_common_once, usb_common_ctx_init);
	*rc = usb_common_ctx_rc;
	return usb_common_ctx;
}

void usb_common_location(libusb_device *dev, char *out, size_t cap)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
	size_t used = (size_t)snprintf(out, cap, "%u", libusb_get_bus_number(dev));

	for (int i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%c%u", i == 0 ? '-' : '.', ports[i]);
}

void usb_common_sysfs(const char *name, const char *attr, char *out, size_t cap)
{
	char path[128];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/%s", name, attr);
	if (!(f = fopen(path, "re")))
		return;
	if (!fgets(out, (int)cap, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

void usb_common_list_add(char *list, size_t cap, const char *uri)
{
	size_t used = strlen(list);

	if (used >= 3 && strcmp(list + used - 3, "...") == 0)
		return;
	/* Keep room for ", ..." (6 bytes with the NUL) after any entry. */
	if (used + 2 + strlen(uri) + 6 <= cap)
		snprintf(list + used, cap - used, "%s%s", used ? ", " : "", uri);
	else
		snprintf(list + used, cap - used, "%s...", used ? ", " : "");
}
