/* The head sent to a device: hop-by-hop and forged forwarding fields gone,
 * the proxy's own forwarding fields right, IPv6 quoted per RFC 7239. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "concentrator/proxy/forward.h"

static struct http_field fields[HTTP_FIELDS_DEFAULT];
static struct http_request req;
static char out[4096];

static int rewrite(const char *in, const char *client, bool https)
{
	int n;

	http_request_init(&req, fields, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT);
	cr_assert_eq(http_request_parse(&req, in, strlen(in)), HTTP_OK, "%s", in);
	memset(out, 0, sizeof(out));
	n = forward_request_head(out, sizeof(out) - 1, in, &req, client, https);
	return n;
}

Test(forward, plain_request)
{
	const char *in = "GET /status?x=1 HTTP/1.1\r\n"
			 "Host: an1.remote.example.com\r\n"
			 "User-Agent:curl/7.88\r\n"
			 "Accept: */*  \r\n"
			 "\r\n";
	const char *want = "GET /status?x=1 HTTP/1.1\r\n"
			   "Host: an1.remote.example.com\r\n"
			   "User-Agent: curl/7.88\r\n"
			   "Accept: */*\r\n"
			   "X-Forwarded-For: 198.51.100.7\r\n"
			   "X-Forwarded-Proto: http\r\n"
			   "X-Forwarded-Host: an1.remote.example.com\r\n"
			   "Forwarded: for=198.51.100.7;proto=http;host=an1.remote.example.com\r\n"
			   "Connection: keep-alive\r\n"
			   "\r\n";
	int n = rewrite(in, "198.51.100.7", false);

	cr_assert_eq(n, (int)strlen(want));
	cr_assert_str_eq(out, want);
}

Test(forward, forged_fields_replaced)
{
	const char *in = "POST /login HTTP/1.1\r\n"
			 "Host: an1.remote.example.com:8443\r\n"
			 "X-Forwarded-For: 10.0.0.1\r\n"
			 "x-forwarded-proto: https\r\n"
			 "X-Forwarded-Host: admin.example.com\r\n"
			 "Forwarded: for=10.0.0.1;proto=https\r\n"
			 "X-Real-IP: 10.0.0.1\r\n"
			 "Content-Length: 3\r\n"
			 "\r\n";
	const char *want = "POST /login HTTP/1.1\r\n"
			   "Host: an1.remote.example.com:8443\r\n"
			   "Content-Length: 3\r\n"
			   "X-Forwarded-For: 203.0.113.9\r\n"
			   "X-Forwarded-Proto: https\r\n"
			   "X-Forwarded-Host: an1.remote.example.com:8443\r\n"
			   "Forwarded: for=203.0.113.9;proto=https;"
			   "host=\"an1.remote.example.com:8443\"\r\n"
			   "Connection: keep-alive\r\n"
			   "\r\n";

	cr_assert_gt(rewrite(in, "203.0.113.9", true), 0);
	cr_assert_str_eq(out, want);
	cr_assert_null(strstr(out, "10.0.0.1"));
}

Test(forward, hop_by_hop_stripped)
{
	const char *in = "GET / HTTP/1.1\r\n"
			 "Host: a.example.com\r\n"
			 "Connection: close, X-Secret\r\n"
			 "Keep-Alive: timeout=5\r\n"
			 "Proxy-Connection: keep-alive\r\n"
			 "TE: trailers\r\n"
			 "Trailer: X-Sum\r\n"
			 "Upgrade: h2c\r\n"
			 "X-Secret: 1\r\n"
			 "Cookie: a=b\r\n"
			 "\r\n";

	cr_assert_gt(rewrite(in, "192.0.2.1", false), 0);
	cr_assert_null(strstr(out, "close"));
	cr_assert_null(strstr(out, "Keep-Alive:"));
	cr_assert_null(strstr(out, "Proxy-Connection"));
	cr_assert_null(strstr(out, "TE:"));
	cr_assert_null(strstr(out, "Trailer:"));
	cr_assert_null(strstr(out, "Upgrade"));
	cr_assert_null(strstr(out, "X-Secret"));
	cr_assert_not_null(strstr(out, "\r\nCookie: a=b\r\n"));
	cr_assert_not_null(strstr(out, "\r\nConnection: keep-alive\r\n\r\n"));
}

/* "Connection: Content-Length" must not strip the framing */
Test(forward, framing_never_nominated)
{
	const char *in = "POST / HTTP/1.1\r\nHost: a\r\nConnection: content-length, host\r\n"
			 "Content-Length: 4\r\n\r\n";

	cr_assert_gt(rewrite(in, "192.0.2.1", false), 0);
	cr_assert_not_null(strstr(out, "\r\nContent-Length: 4\r\n"));
	cr_assert_not_null(strstr(out, "\r\nHost: a\r\n"));
}

Test(forward, upgrade)
{
	const char *in = "GET /ws HTTP/1.1\r\n"
			 "Host: an1.remote.example.com\r\n"
			 "Connection: Upgrade\r\n"
			 "Upgrade: websocket\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "\r\n";

	cr_assert_gt(rewrite(in, "192.0.2.1", true), 0);
	cr_assert_not_null(strstr(out, "\r\nUpgrade: websocket\r\n"));
	cr_assert_not_null(strstr(out, "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
	cr_assert_not_null(strstr(out, "\r\nConnection: upgrade\r\n\r\n"));
	cr_assert_null(strstr(out, "keep-alive"));
}

Test(forward, ipv6_client)
{
	const char *in = "GET / HTTP/1.1\r\nHost: an1.remote.example.com\r\n\r\n";

	cr_assert_gt(rewrite(in, "2001:db8::1", true), 0);
	cr_assert_not_null(strstr(out, "\r\nX-Forwarded-For: 2001:db8::1\r\n"));
	cr_assert_not_null(strstr(out, "\r\nForwarded: for=\"[2001:db8::1]\";proto=https;"
				       "host=an1.remote.example.com\r\n"));
	cr_assert_gt(rewrite(in, "::1", false), 0);
	cr_assert_not_null(strstr(out, "for=\"[::1]\";proto=http"));
	/* a dual-stack socket's view of an IPv4 client */
	cr_assert_gt(rewrite(in, "::ffff:192.0.2.33", false), 0);
	cr_assert_not_null(strstr(out, "\r\nX-Forwarded-For: 192.0.2.33\r\n"));
	cr_assert_not_null(strstr(out, "Forwarded: for=192.0.2.33;"));
}

Test(forward, absolute_form_host)
{
	const char *in = "GET http://an2.remote.example.com/x HTTP/1.1\r\n"
			 "Host: an1.remote.example.com\r\n\r\n";

	cr_assert_gt(rewrite(in, "192.0.2.1", false), 0);
	cr_assert(!strncmp(out,
			   "GET http://an2.remote.example.com/x HTTP/1.1\r\n"
			   "Host: an2.remote.example.com\r\n",
			   strlen("GET http://an2.remote.example.com/x HTTP/1.1\r\n"
				  "Host: an2.remote.example.com\r\n")));
	cr_assert_null(strstr(out, "an1"));
}

Test(forward, http10_without_host)
{
	const char *in = "GET / HTTP/1.0\r\n\r\n";

	cr_assert_gt(rewrite(in, "192.0.2.1", false), 0);
	cr_assert_null(strstr(out, "X-Forwarded-Host"));
	cr_assert_not_null(strstr(out, "Forwarded: for=192.0.2.1;proto=http\r\n"));
}

Test(forward, errors)
{
	const char *in = "GET / HTTP/1.1\r\nHost: a.example.com\r\nX: 1\r\n\r\n";
	struct http_request incomplete;
	int n;

	n = rewrite(in, "192.0.2.1", false);
	cr_assert_gt(n, 0);
	/* every buffer too small by even one byte fails cleanly */
	for (int cap = 0; cap < n; cap++)
		cr_assert_eq(forward_request_head(out, cap, in, &req, "192.0.2.1", false), -ENOSPC);
	cr_assert_eq(forward_request_head(out, n, in, &req, "192.0.2.1", false), n);

	cr_assert_eq(forward_request_head(out, sizeof(out), in, &req, "1.2.3.4\r\nX: y", false),
		     -EINVAL);
	cr_assert_eq(forward_request_head(out, sizeof(out), in, &req, "", false), -EINVAL);
	cr_assert_eq(forward_request_head(out, sizeof(out), in, &req, NULL, false), -EINVAL);
	cr_assert_eq(forward_request_head(out, sizeof(out), in, &req, "fe80::1%eth0", false),
		     -EINVAL);
	http_request_init(&incomplete, fields, HTTP_FIELDS_DEFAULT, HTTP_HEAD_DEFAULT);
	cr_assert_eq(http_request_parse(&incomplete, in, 10), HTTP_NEED_MORE);
	cr_assert_eq(forward_request_head(out, sizeof(out), in, &incomplete, "192.0.2.1", false),
		     -EINVAL);
}
