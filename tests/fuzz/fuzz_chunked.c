/* Chunked bodies: fed at once, and fed in pieces with chunk-data skipped
 * as a splice would, the decoder must agree on the result and on where
 * the body ends or fails. */
#include <stdint.h>
#include <stdlib.h>

#include "concentrator/proxy/chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunked one, inc;
	enum http_result r, r1 = HTTP_NEED_MORE;
	size_t used, pos = 0, piece;
	const char *buf;

	if (size < 1)
		return 0;
	piece = 1 + data[0] % 17;
	buf = (const char *)data + 1;
	size--;

	chunked_init(&one);
	r = chunked_feed(&one, buf, size, &used);
	if (r >= HTTP_RESULT_COUNT || used > size)
		abort();
	if (r == HTTP_NEED_MORE && used != size)
		abort();

	chunked_init(&inc);
	while (pos < size && r1 == HTTP_NEED_MORE) {
		uint64_t left = chunked_data_left(&inc);
		size_t n = size - pos < piece ? size - pos : piece, u;

		if (left) {
			if (left < n)
				n = (size_t)left;
			chunked_skip(&inc, n);
			pos += n;
			continue;
		}
		r1 = chunked_feed(&inc, buf + pos, n, &u);
		if (u > n || (r1 == HTTP_NEED_MORE && u != n))
			abort();
		pos += u;
	}
	if (r1 != r || (r != HTTP_NEED_MORE && pos != used) || inc.data != one.data)
		abort();
	return 0;
}
