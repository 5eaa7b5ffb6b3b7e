/* Request heads: parsed at once and in two pieces (same result), and every
 * head that parses is forwarded and must parse again with the same
 * framing and exactly one X-Forwarded-For: ours. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator/proxy/forward.h"
#include "concentrator/proxy/host.h"
#include "concentrator/proxy/http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_field fields[HTTP_FIELDS_DEFAULT], fields2[HTTP_FIELDS_DEFAULT];
static struct http_field refields[HTTP_FIELDS_DEFAULT + 8];
static char out[HTTP_HEAD_LIMIT + 1024];

static void check_spans(const struct http_request *req)
{
	if (req->head_len < 4 || req->method.len == 0 || req->target.len == 0)
		abort();
	if (req->line.off + req->line.len > req->head_len ||
	    req->host.off + req->host.len > req->head_len ||
	    req->path.off + req->path.len > req->head_len)
		abort();
	for (size_t i = 0; i < req->head.nfields; i++) {
		const struct http_field *f = &req->head.fields[i];

		if (f->name.len == 0 || f->value.off + f->value.len > req->head_len)
			abort();
	}
}

static void forward(const char *buf, const struct http_request *req)
{
	struct http_request again;
	char name[HOST_DEVICE_NAME_MAX + 1];
	int n, xff = 0;

	host_device(buf + req->host.off, req->host.len, "remote.example.com", name);
	n = forward_request_head(out, sizeof(out), buf, req, "2001:db8::7", true);
	if (n <= 0)
		abort();
	http_request_init(&again, refields, HTTP_FIELDS_DEFAULT + 8, HTTP_HEAD_LIMIT);
	if (http_request_parse(&again, out, n) != HTTP_OK || again.head_len != n)
		abort();
	if (again.framing != req->framing || again.content_length != req->content_length ||
	    again.upgrade != req->upgrade || again.version != req->version)
		abort();
	for (size_t i = 0; i < again.head.nfields; i++)
		xff += again.head.fields[i].id == HTTP_FIELD_X_FORWARDED_FOR;
	if (xff != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request one, inc;
	enum http_result r, r1;
	const char *buf;
	size_t max_head, split;

	if (size < 1)
		return 0;
	/* the first byte picks a head limit and where to split */
	max_head = data[0] & 0x80 ? 64 + (data[0] & 0x3f) * 16 : HTTP_HEAD_DEFAULT;
	buf = (const char *)data + 1;
	size--;
	split = size ? (data[0] * 7919u) % (size + 1) : 0;

	http_request_init(&one, fields, HTTP_FIELDS_DEFAULT, max_head);
	r = http_request_parse(&one, buf, size);
	if (r >= HTTP_RESULT_COUNT)
		abort();

	http_request_init(&inc, fields2, HTTP_FIELDS_DEFAULT, max_head);
	r1 = http_request_parse(&inc, buf, split);
	if (r1 == HTTP_NEED_MORE) {
		r1 = http_request_parse(&inc, buf, size);
		if (r1 != r || (r == HTTP_OK && inc.head_len != one.head_len))
			abort();
	}
	if (r == HTTP_OK) {
		check_spans(&one);
		if (one.head_len > size || one.head_len > max_head)
			abort();
		forward(buf, &one);
	}
	return 0;
}
