/* Host values to device names: a name that comes out obeys the device-name
 * rule and maps back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "concentrator/proxy/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const domains[] = {"remote.example.com", "REMOTE.Example.com.", "a", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[HOST_DEVICE_NAME_MAX + 1], again[HOST_DEVICE_NAME_MAX + 1];
	char full[HOST_DEVICE_NAME_MAX + 32];
	const char *domain;
	enum host_result r;
	size_t n;
	int len;

	if (size < 1)
		return 0;
	domain = domains[data[0] % 4];
	r = host_device((const char *)data + 1, size - 1, domain, name);
	if (r >= HOST_RESULT_COUNT)
		abort();
	if (r != HOST_DEVICE)
		return 0;
	n = strlen(name);
	if (n < 1 || n > HOST_DEVICE_NAME_MAX || name[0] == '-')
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!(name[i] == '-' || (name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'z')))
			abort();
	}
	len = snprintf(full, sizeof(full), "%s.%s", name, domain);
	if (host_device(full, (size_t)len, domain, again) != HOST_DEVICE || strcmp(name, again))
		abort();
	return 0;
}
