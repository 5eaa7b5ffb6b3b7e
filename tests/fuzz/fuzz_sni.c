/* ClientHellos: any bytes give a result within bounds, a name that is a
 * DNS name, and the same answer from any shorter prefix unless that one
 * needs more. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator/proxy/host.h"
#include "concentrator/proxy/sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[SNI_NAME_MAX + 1], name2[SNI_NAME_MAX + 1], dev[HOST_DEVICE_NAME_MAX + 1];
	size_t need, need2;
	enum sni_result r, r2;

	r = sni_parse(data, size, name, &need);
	if (r >= SNI_RESULT_COUNT)
		abort();
	if (r == SNI_NEED_MORE && (need <= size || need > SNI_BYTES_MAX))
		abort();
	if (r == SNI_OK) {
		size_t n = strlen(name);

		if (n < 1 || n > 253)
			abort();
		for (size_t i = 0; i < n; i++) {
			char c = name[i];

			if (!(c == '.' || c == '-' || (c >= '0' && c <= '9') ||
			      ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
				abort();
		}
		host_device(name, n, "remote.example.com", dev);
	} else if (name[0]) {
		abort();
	}
	if (size) {
		r2 = sni_parse(data, size / 2, name2, &need2);
		if (r2 != SNI_NEED_MORE && (r2 != r || (r == SNI_OK && strcmp(name, name2))))
			abort();
	}
	return 0;
}
