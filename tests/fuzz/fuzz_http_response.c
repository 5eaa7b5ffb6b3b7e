/* Response heads from a device: at once and in two pieces, same result;
 * a parsed head stays within its buffer and has a framing that fits. */
#include <stdint.h>
#include <stdlib.h>

#include "concentrator/proxy/http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_field fields[HTTP_FIELDS_DEFAULT], fields2[HTTP_FIELDS_DEFAULT];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response one, inc;
	enum http_result r, r1;
	const char *buf;
	bool head, upgrade;
	size_t split;

	if (size < 1)
		return 0;
	/* the first byte says what the request was and where to split */
	head = data[0] & 1;
	upgrade = data[0] & 2;
	buf = (const char *)data + 1;
	size--;
	split = size ? (data[0] * 7919u) % (size + 1) : 0;

	http_response_init(&one, fields, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT, head, upgrade);
	r = http_response_parse(&one, buf, size);
	if (r >= HTTP_RESULT_COUNT)
		abort();
	http_response_init(&inc, fields2, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT, head, upgrade);
	r1 = http_response_parse(&inc, buf, split);
	if (r1 == HTTP_NEED_MORE && http_response_parse(&inc, buf, size) != r)
		abort();
	if (r != HTTP_OK)
		return 0;
	if (one.head_len > size || one.status < 100 || one.status > 599)
		abort();
	if (one.reason.off + one.reason.len > one.head_len)
		abort();
	if (one.framing == HTTP_FRAMING_TUNNEL && (!upgrade || one.status != 101))
		abort();
	if ((head || one.status == 204 || one.status == 304) && one.status != 101 &&
	    one.framing != HTTP_FRAMING_NONE)
		abort();
	if (one.framing == HTTP_FRAMING_CLOSE && one.keep_alive)
		abort();
	return 0;
}
