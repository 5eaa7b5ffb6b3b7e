/* The request head parser: good requests whole, in pieces and pipelined,
 * and each way a request head can be malformed, oversized or ambiguous. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator/proxy/http_request.h"

static struct http_field fields[HTTP_FIELDS_DEFAULT];
static struct http_request req;

static enum http_result parse_n(const char *s, size_t n)
{
	http_request_init(&req, fields, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT);
	return http_request_parse(&req, s, n);
}

static enum http_result parse(const char *s)
{
	return parse_n(s, strlen(s));
}

static bool span_is(const char *buf, struct http_span sp, const char *want)
{
	return sp.len == strlen(want) && !memcmp(buf + sp.off, want, sp.len);
}

#define expect(s, result)                                                                          \
	cr_assert_eq(parse(s), (result), "%s: got %s, want %s", #s,                                \
		     http_result_str(http_request_parse(&req, s, strlen(s))),                      \
		     http_result_str(result))

static const char simple[] = "GET /index.html?a=1 HTTP/1.1\r\n"
			     "Host: an1.remote.example.com\r\n"
			     "User-Agent: test/1.0\r\n"
			     "Accept: */*\r\n"
			     "\r\n";

Test(http_request, simple_get)
{
	cr_assert_eq(parse(simple), HTTP_OK);
	cr_assert(span_is(simple, req.method, "GET"));
	cr_assert(span_is(simple, req.target, "/index.html?a=1"));
	cr_assert(span_is(simple, req.path, "/index.html?a=1"));
	cr_assert(span_is(simple, req.line, "GET /index.html?a=1 HTTP/1.1"));
	cr_assert(span_is(simple, req.host, "an1.remote.example.com"));
	cr_assert_eq(req.version, 1);
	cr_assert_eq(req.form, HTTP_TARGET_ORIGIN);
	cr_assert_eq(req.framing, HTTP_FRAMING_NONE);
	cr_assert(req.keep_alive);
	cr_assert(!req.upgrade && !req.expect_continue && !req.head_method);
	cr_assert_eq(req.head_len, strlen(simple));
	cr_assert_eq(req.head.nfields, 3);
	cr_assert(span_is(simple, req.head.fields[1].name, "User-Agent"));
	cr_assert(span_is(simple, req.head.fields[1].value, "test/1.0"));
	cr_assert_eq(req.head.fields[0].id, HTTP_FIELD_HOST);
	cr_assert_eq(http_request_field(&req, HTTP_FIELD_HOST), &req.head.fields[0]);
	cr_assert_null(http_request_field(&req, HTTP_FIELD_UPGRADE));
}

/* every proper prefix needs more, both from a fresh parser and fed to the
 * same parser as the buffer grows */
Test(http_request, every_truncation)
{
	size_t n = strlen(simple);
	struct http_request inc;
	struct http_field f2[HTTP_FIELDS_DEFAULT];

	http_request_init(&inc, f2, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(parse_n(simple, i), HTTP_NEED_MORE, "prefix %zu", i);
		cr_assert_eq(http_request_parse(&inc, simple, i), HTTP_NEED_MORE, "grown %zu", i);
	}
	cr_assert_eq(http_request_parse(&inc, simple, n), HTTP_OK);
	cr_assert_eq(inc.head_len, n);
	cr_assert(span_is(simple, inc.host, "an1.remote.example.com"));
}

/* the buffer may move between calls (realloc); only offsets are kept */
Test(http_request, moving_buffer)
{
	size_t n = strlen(simple);
	char *prev = NULL;

	http_request_init(&req, fields, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT);
	for (size_t i = 1; i <= n; i++) {
		char *b = malloc(i);

		memcpy(b, simple, i);
		free(prev);
		prev = b;
		cr_assert_eq(http_request_parse(&req, b, i), i < n ? HTTP_NEED_MORE : HTTP_OK);
	}
	cr_assert(span_is(prev, req.host, "an1.remote.example.com"));
	free(prev);
}

Test(http_request, pipelined)
{
	const char *two = "GET /a HTTP/1.1\r\nHost: x.example.com\r\n\r\n"
			  "POST /b HTTP/1.1\r\nHost: y.example.com\r\nContent-Length: 3\r\n\r\nabc"
			  "GET /c HTTP/1.1\r\n";
	size_t first;

	cr_assert_eq(parse(two), HTTP_OK);
	cr_assert(span_is(two, req.target, "/a"));
	first = req.head_len;
	cr_assert_eq(first, strlen("GET /a HTTP/1.1\r\nHost: x.example.com\r\n\r\n"));

	cr_assert_eq(parse(two + first), HTTP_OK);
	cr_assert(span_is(two + first, req.target, "/b"));
	cr_assert_eq(req.framing, HTTP_FRAMING_LENGTH);
	cr_assert_eq(req.content_length, 3);

	cr_assert_eq(parse(two + first + req.head_len + 3), HTTP_NEED_MORE);
}

Test(http_request, sticky_result)
{
	cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_OK);
	cr_assert_eq(http_request_parse(&req, "garbage", 7), HTTP_OK);
	cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), HTTP_DUPLICATE_HOST);
	cr_assert_eq(http_request_parse(&req, "GET", 3), HTTP_DUPLICATE_HOST);
}

Test(http_request, leading_empty_lines)
{
	const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	cr_assert_eq(parse(s), HTTP_OK);
	cr_assert(span_is(s, req.line, "GET / HTTP/1.1"));
	cr_assert_eq(req.head_len, strlen(s));
	expect("\r", HTTP_NEED_MORE);
	expect("\r\n", HTTP_NEED_MORE);
}

Test(http_request, http10)
{
	expect("GET / HTTP/1.0\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.version, 0);
	cr_assert(!req.keep_alive);
	cr_assert_eq(req.host.len, 0);
	expect("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HTTP_OK);
	cr_assert(req.keep_alive);
	expect("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", HTTP_OK);
	cr_assert(!req.keep_alive);
	/* neither upgrades nor 100-continue in 1.0 */
	expect("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
	       "Expect: 100-continue\r\n\r\n",
	       HTTP_OK);
	cr_assert(!req.upgrade && !req.expect_continue);
}

Test(http_request, connection_semantics)
{
	expect("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", HTTP_OK);
	cr_assert(!req.keep_alive);
	expect("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n", HTTP_OK);
	cr_assert(req.keep_alive);
	expect("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: CLOSE\r\n\r\n",
	       HTTP_OK);
	cr_assert(!req.keep_alive);
	expect("GET / HTTP/1.1\r\nHost: a\r\nConnection: a b\r\n\r\n", HTTP_BAD_CONNECTION);
	expect("GET / HTTP/1.1\r\nHost: a\r\nConnection: a;b\r\n\r\n", HTTP_BAD_CONNECTION);
	expect("GET / HTTP/1.1\r\nHost: a\r\nConnection:\r\n\r\n", HTTP_OK);
}

Test(http_request, connection_options)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\nX-Hop: 1\r\nX-End: 2\r\n"
			"Connection: x-hop, content-length, host, transfer-encoding\r\n"
			"Content-Length: 0\r\n\r\n";
	char big[2048];
	int n;

	cr_assert_eq(parse(s), HTTP_OK);
	cr_assert(req.head.fields[1].flags & HTTP_FIELD_NOMINATED);
	cr_assert(!(req.head.fields[2].flags & HTTP_FIELD_NOMINATED));
	/* never the Host or the framing: that would be smuggling */
	cr_assert(!(req.head.fields[0].flags & HTTP_FIELD_NOMINATED));
	cr_assert(!(req.head.fields[4].flags & HTTP_FIELD_NOMINATED));

	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nConnection: ");
	for (int i = 0; i < HTTP_CONNECTION_OPTIONS_MAX + 1; i++)
		n += snprintf(big + n, sizeof(big) - n, "o%d, ", i);
	snprintf(big + n, sizeof(big) - n, "close\r\n\r\n");
	expect(big, HTTP_BAD_CONNECTION);
}

Test(http_request, upgrade_and_expect)
{
	expect("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
	       "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
	       HTTP_OK);
	cr_assert(req.upgrade);
	expect("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", HTTP_OK);
	cr_assert(!req.upgrade);
	expect("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", HTTP_OK);
	cr_assert(!req.upgrade);
	expect("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n",
	       HTTP_OK);
	cr_assert(req.expect_continue);
	expect("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n", HTTP_OK);
	cr_assert(!req.expect_continue);
	expect("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	cr_assert(req.head_method);
	expect("head / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	cr_assert(!req.head_method); /* methods are case-sensitive (RFC 9110 9.1) */
}

Test(http_request, versions)
{
	expect("GET / HTTP/2.0\r\nHost: a\r\n\r\n", HTTP_BAD_VERSION);
	cr_assert_eq(http_result_status(HTTP_BAD_VERSION), 505);
	expect("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HTTP_BAD_VERSION);
	expect("GET / HTTP/0.9\r\n\r\n", HTTP_BAD_VERSION);
	expect("GET / HTTP/1.2\r\nHost: a\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.version, 1);
	expect("GET / HTTP/1.10\r\nHost: a\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET / http/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET / HTTP/1,1\r\nHost: a\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET /\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_REQUEST_LINE);
	expect("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_METHOD);
}

Test(http_request, methods)
{
	char line[128];

	expect("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_METHOD);
	expect(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_METHOD);
	expect("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	snprintf(line, sizeof(line), "%s / HTTP/1.1\r\nHost: a\r\n\r\n",
		 "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF");
	expect(line, HTTP_OK);
	snprintf(line, sizeof(line), "%s / HTTP/1.1\r\nHost: a\r\n\r\n",
		 "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG");
	expect(line, HTTP_BAD_METHOD);
}

/* what cannot become a method is refused before the line is complete */
Test(http_request, early_refusal)
{
	const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	char longm[64];

	cr_assert_eq(parse_n(hello, sizeof(hello) - 1), HTTP_BAD_METHOD);
	cr_assert_eq(parse("GE"), HTTP_NEED_MORE);
	cr_assert_eq(parse("GET /partial"), HTTP_NEED_MORE);
	cr_assert_eq(parse("GET\x01"), HTTP_BAD_METHOD);
	memset(longm, 'A', 40);
	cr_assert_eq(parse_n(longm, 32), HTTP_NEED_MORE);
	cr_assert_eq(parse_n(longm, 33), HTTP_BAD_METHOD);
}

Test(http_request, targets)
{
	expect("GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a%20b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	expect("GET /a%2 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a<b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	/* what browsers leave raw in queries */
	expect("GET /q?a[]=1&b={x}|^`\\ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	expect("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.form, HTTP_TARGET_ASTERISK);
	expect("GET * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("CONNECT a.example.com:443 HTTP/1.1\r\nHost: a.example.com:443\r\n\r\n",
	       HTTP_BAD_TARGET);
}

Test(http_request, absolute_form)
{
	const char *s = "GET HTTP://An1.Remote.Example.com:8080/x?y HTTP/1.1\r\n"
			"Host: other.remote.example.com\r\n\r\n";

	cr_assert_eq(parse(s), HTTP_OK);
	cr_assert_eq(req.form, HTTP_TARGET_ABSOLUTE);
	/* the authority wins over Host (RFC 9112 3.2.2) */
	cr_assert(span_is(s, req.host, "An1.Remote.Example.com:8080"));
	cr_assert(span_is(s, req.path, "/x?y"));

	expect("GET https://a.example.com HTTP/1.1\r\nHost: a.example.com\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.path.len, 0);
	expect("GET http://a.example.com?q HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	expect("GET http://[::1]:80/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK);
	/* a Host line is still required in 1.1 (RFC 9112 3.2) */
	expect("GET http://a.example.com/ HTTP/1.1\r\n\r\n", HTTP_NO_HOST);
	expect("GET http://user@a.example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET http://:80/x HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET ftp://a.example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET http:/a.example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET http://a.example.com:x/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
	expect("GET http://a.exa%mple.com/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_BAD_TARGET);
}

Test(http_request, host_rules)
{
	expect("GET / HTTP/1.1\r\n\r\n", HTTP_NO_HOST);
	expect("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", HTTP_DUPLICATE_HOST);
	expect("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", HTTP_BAD_HOST);
	expect("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HTTP_BAD_HOST);
	expect("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", HTTP_BAD_HOST);
	expect("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", HTTP_BAD_HOST);
	expect("GET / HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n", HTTP_OK);
	expect("GET / HTTP/1.1\r\nHost:  an1.remote.example.com:8443 \t\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.host.len, strlen("an1.remote.example.com:8443"));
	/* empty Host is syntactically allowed; no device has it */
	expect("GET / HTTP/1.1\r\nHost:\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.host.len, 0);
}

Test(http_request, field_syntax)
{
	expect("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb \xff\x80\r\n\r\n", HTTP_OK);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01"
	       "b\r\n\r\n",
	       HTTP_BAD_FIELD_VALUE);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", HTTP_BAD_FIELD_VALUE);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", HTTP_BAD_FIELD_VALUE);
	cr_assert_eq(parse_n("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 33),
		     HTTP_BAD_FIELD_VALUE);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX : a\r\n\r\n", HTTP_BAD_FIELD_NAME);
	expect("GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n", HTTP_BAD_FIELD_NAME);
	expect("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", HTTP_BAD_FIELD_NAME);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX(Y): a\r\n\r\n", HTTP_BAD_FIELD_NAME);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX\x80: a\r\n\r\n", HTTP_BAD_FIELD_NAME);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.head.fields[1].value.len, 0);
}

Test(http_request, obs_fold)
{
	expect("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", HTTP_OBS_FOLD);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", HTTP_OBS_FOLD);
	/* whitespace between the start line and the first field (2.2) */
	expect("GET / HTTP/1.1\r\n Host: a\r\n\r\n", HTTP_OBS_FOLD);
}

Test(http_request, line_endings)
{
	expect("GET / HTTP/1.1\nHost: a\r\n\r\n", HTTP_BARE_LF);
	expect("GET / HTTP/1.1\r\nHost: a\n\r\n", HTTP_BARE_LF);
	expect("GET / HTTP/1.1\r\nHost: a\r\n\n", HTTP_BARE_LF);
	expect("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", HTTP_BAD_FIELD_NAME);
	expect("\n", HTTP_BARE_LF);
}

Test(http_request, head_too_large)
{
	static char big[HTTP_HEAD_DEFAULT + 64];
	const char *start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
	size_t n = strlen(start);

	memcpy(big, start, n);
	/* exactly max_head bytes is fine ... */
	memset(big + n, 'v', HTTP_HEAD_DEFAULT - n - 4);
	memcpy(big + HTTP_HEAD_DEFAULT - 4, "\r\n\r\n", 4);
	cr_assert_eq(parse_n(big, HTTP_HEAD_DEFAULT), HTTP_OK);
	cr_assert_eq(req.head_len, HTTP_HEAD_DEFAULT);
	/* ... one more is not, and is known as soon as max_head bytes came */
	memset(big + n, 'v', HTTP_HEAD_DEFAULT - n - 3);
	memcpy(big + HTTP_HEAD_DEFAULT - 3, "\r\n\r\n", 4);
	cr_assert_eq(parse_n(big, HTTP_HEAD_DEFAULT - 1), HTTP_NEED_MORE);
	cr_assert_eq(parse_n(big, HTTP_HEAD_DEFAULT), HTTP_HEAD_TOO_LARGE);
	cr_assert_eq(parse_n(big, HTTP_HEAD_DEFAULT + 1), HTTP_HEAD_TOO_LARGE);
	cr_assert_eq(http_result_status(HTTP_HEAD_TOO_LARGE), 431);

	/* a smaller configured limit */
	http_request_init(&req, fields, HTTP_FIELDS_DEFAULT, 32);
	cr_assert_eq(http_request_parse(&req, simple, strlen(simple)), HTTP_HEAD_TOO_LARGE);
}

Test(http_request, too_many_fields)
{
	static char buf[8192];
	int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");

	for (int i = 1; i < HTTP_FIELDS_DEFAULT; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "X-%d: %d\r\n", i, i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	cr_assert_eq(parse(buf), HTTP_OK);
	cr_assert_eq(req.head.nfields, HTTP_FIELDS_DEFAULT);
	snprintf(buf + n, sizeof(buf) - n, "X-last: 1\r\n\r\n");
	cr_assert_eq(parse(buf), HTTP_TOO_MANY_FIELDS);
	cr_assert_eq(http_result_status(HTTP_TOO_MANY_FIELDS), 431);
	/* refused when the line arrives, not at the end of the head */
	cr_assert_eq(parse_n(buf, strlen(buf) - 2), HTTP_TOO_MANY_FIELDS);
}

Test(http_request, content_length)
{
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.framing, HTTP_FRAMING_LENGTH);
	cr_assert_eq(req.content_length, 10);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.framing, HTTP_FRAMING_NONE);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
	       HTTP_OK);
	cr_assert_eq(req.content_length, 5);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	       HTTP_CONFLICTING_CONTENT_LENGTH);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
	       HTTP_BAD_CONTENT_LENGTH);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", HTTP_BAD_CONTENT_LENGTH);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", HTTP_BAD_CONTENT_LENGTH);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
	       HTTP_BAD_CONTENT_LENGTH);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", HTTP_BAD_CONTENT_LENGTH);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
	       HTTP_BAD_CONTENT_LENGTH);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n",
	       HTTP_BAD_CONTENT_LENGTH);
}

Test(http_request, transfer_encoding)
{
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.framing, HTTP_FRAMING_CHUNKED);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", HTTP_OK);
	cr_assert_eq(req.framing, HTTP_FRAMING_CHUNKED);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n",
	       HTTP_OK);
	cr_assert_eq(req.framing, HTTP_FRAMING_CHUNKED);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n", HTTP_OK);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n",
	       HTTP_BAD_TRANSFER_ENCODING);
}

/* the classic smuggling shapes (RFC 9112 6.1, 6.3, 11.2) */
Test(http_request, smuggling)
{
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n",
	       HTTP_CONTENT_LENGTH_AND_TE);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	       "Content-Length: 4\r\n\r\n",
	       HTTP_CONTENT_LENGTH_AND_TE);
	expect("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_TE_IN_HTTP10);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
	       HTTP_BAD_FIELD_NAME);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	       " , identity\r\n\r\n",
	       HTTP_OBS_FOLD);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0b"
	       "chunked\r\n\r\n",
	       HTTP_BAD_FIELD_VALUE);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\n",
	       HTTP_CONFLICTING_CONTENT_LENGTH);
}

Test(http_request, custom_limits)
{
	struct http_field few[2];

	http_request_init(&req, few, 2, 1024);
	cr_assert_eq(http_request_parse(&req, simple, strlen(simple)), HTTP_TOO_MANY_FIELDS);
	http_request_init(&req, few, 2, 1024);
	cr_assert_eq(http_request_parse(&req, "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n", 33),
		     HTTP_OK);
}
