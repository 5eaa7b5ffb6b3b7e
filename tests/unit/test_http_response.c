/* The response head parser: status lines devices send, body framing by
 * RFC 9112 6.3, connection reuse, and malformed or oversized heads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "concentrator/proxy/http_response.h"

static struct http_field fields[HTTP_FIELDS_DEFAULT];
static struct http_response res;

static enum http_result parse_ctx(const char *s, bool head, bool upgrade)
{
	http_response_init(&res, fields, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT, head, upgrade);
	return http_response_parse(&res, s, strlen(s));
}

static enum http_result parse(const char *s)
{
	return parse_ctx(s, false, false);
}

#define expect(s, want)                                                                            \
	cr_assert_eq(parse(s), (want), "%s: got %s", #s, http_result_str(res.result))

static const char ok[] = "HTTP/1.1 200 OK\r\n"
			 "Content-Type: text/html\r\n"
			 "Content-Length: 12\r\n"
			 "\r\n"
			 "hello world\n";

Test(http_response, simple)
{
	cr_assert_eq(parse(ok), HTTP_OK);
	cr_assert_eq(res.status, 200);
	cr_assert_eq(res.version, 1);
	cr_assert_eq(res.framing, HTTP_FRAMING_LENGTH);
	cr_assert_eq(res.content_length, 12);
	cr_assert(res.keep_alive);
	cr_assert(!res.interim);
	cr_assert_eq(res.head_len, strlen(ok) - 12);
	cr_assert_eq(res.reason.len, 2);
	cr_assert(!memcmp(ok + res.reason.off, "OK", 2));
	cr_assert_eq(res.head.nfields, 2);
}

Test(http_response, every_truncation)
{
	size_t n = strlen(ok) - 12;
	struct http_response inc;
	struct http_field f2[8];

	http_response_init(&inc, f2, 8, HTTP_HEAD_DEFAULT, false, false);
	for (size_t i = 0; i < n; i++) {
		http_response_init(&res, fields, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT, false,
				   false);
		cr_assert_eq(http_response_parse(&res, ok, i), HTTP_NEED_MORE, "prefix %zu", i);
		cr_assert_eq(http_response_parse(&inc, ok, i), HTTP_NEED_MORE, "grown %zu", i);
	}
	cr_assert_eq(http_response_parse(&inc, ok, n), HTTP_OK);
	cr_assert_eq(inc.head_len, n);
}

Test(http_response, status_lines)
{
	expect("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.status, 404);
	cr_assert_eq(res.framing, HTTP_FRAMING_NONE);
	expect("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.reason.len, 0);
	expect("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	expect("HTTP/1.1 200 Caf\xc3\xa9 \tok\r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	expect("HTTP/1.1 200 O\x01K\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("HTTP/1.1 20 OK\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("HTTP/1.1 2000 OK\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("HTTP/1.1 2x0 OK\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("HTTP/1.1  200 OK\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("HTTP/1.1 099 OK\r\n\r\n", HTTP_BAD_STATUS);
	expect("HTTP/1.1 600 OK\r\n\r\n", HTTP_BAD_STATUS);
	expect("HTTP/2.0 200 OK\r\n\r\n", HTTP_BAD_VERSION);
	expect("HTTP/1.1\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("http/1.1 200 OK\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("ICY 200 OK\r\n\r\n", HTTP_BAD_STATUS_LINE);
	expect("HTTP/1.1 200 OK\n\r\n", HTTP_BARE_LF);
}

Test(http_response, no_body)
{
	/* RFC 9112 6.3 item 1: whatever the fields say */
	expect("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_NONE);
	cr_assert(res.keep_alive);
	expect("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_NONE);
	cr_assert_eq(parse_ctx("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true, false),
		     HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_NONE);
	cr_assert(res.keep_alive);
}

Test(http_response, interim)
{
	expect("HTTP/1.1 100 Continue\r\n\r\n", HTTP_OK);
	cr_assert(res.interim);
	cr_assert_eq(res.framing, HTTP_FRAMING_NONE);
	expect("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n", HTTP_OK);
	cr_assert(res.interim);
}

Test(http_response, switching)
{
	const char *s = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\n\r\n";

	cr_assert_eq(parse_ctx(s, false, true), HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_TUNNEL);
	cr_assert(!res.interim);
	cr_assert(!res.keep_alive);
	cr_assert_eq(parse_ctx(s, false, false), HTTP_UNEXPECTED_SWITCH);
	/* a refused upgrade is an ordinary response */
	cr_assert_eq(parse_ctx("HTTP/1.1 400 No\r\nContent-Length: 0\r\n\r\n", false, true),
		     HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_NONE);
}

Test(http_response, framing)
{
	expect("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_CHUNKED);
	cr_assert(res.keep_alive);
	expect("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_CHUNKED);
	/* chunked not last: read until close (item 4) */
	expect("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_CLOSE);
	cr_assert(!res.keep_alive);
	expect("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
	expect("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
	       HTTP_CONTENT_LENGTH_AND_TE);
	expect("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_TE_IN_HTTP10);
	expect("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
	       HTTP_CONFLICTING_CONTENT_LENGTH);
	expect("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", HTTP_BAD_CONTENT_LENGTH);
	/* neither: until close (item 8) */
	expect("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.framing, HTTP_FRAMING_CLOSE);
	cr_assert(!res.keep_alive);
}

Test(http_response, connection)
{
	expect("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	cr_assert(!res.keep_alive);
	expect("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	cr_assert_eq(res.version, 0);
	cr_assert(!res.keep_alive);
	expect("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	cr_assert(res.keep_alive);
	expect("HTTP/1.1 200 OK\r\nConnection: x-a\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n",
	       HTTP_OK);
	cr_assert(res.head.fields[1].flags & HTTP_FIELD_NOMINATED);
}

Test(http_response, malformed_fields)
{
	expect("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", HTTP_OBS_FOLD);
	expect("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", HTTP_BAD_FIELD_NAME);
	expect("HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", HTTP_BAD_FIELD_VALUE);
	expect("HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n", HTTP_BARE_LF);
}

Test(http_response, limits)
{
	static char buf[HTTP_HEAD_DEFAULT + 64];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n");

	for (int i = 0; i <= HTTP_FIELDS_DEFAULT; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "X-%d: %d\r\n", i, i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	expect(buf, HTTP_TOO_MANY_FIELDS);

	n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nX: ");
	memset(buf + n, 'x', HTTP_HEAD_DEFAULT);
	buf[n + HTTP_HEAD_DEFAULT] = '\0';
	expect(buf, HTTP_HEAD_TOO_LARGE);
}
