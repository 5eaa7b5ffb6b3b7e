/* The proxy's error pages: complete responses whose Content-Length is
 * right, that close the connection, escape the name and fail cleanly when
 * the buffer is short. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator/proxy/errpage.h"
#include "concentrator/proxy/http_response.h"

static char out[ERRPAGE_MAX];

/* The page parses as a response whose body is exactly Content-Length. */
static const char *check(int len, int status)
{
	struct http_field fields[16];
	struct http_response res;

	cr_assert_gt(len, 0);
	cr_assert_lt(len, ERRPAGE_MAX);
	http_response_init(&res, fields, 16, 4096, false, false);
	cr_assert_eq(http_response_parse(&res, out, len), HTTP_OK);
	cr_assert_eq(res.status, status);
	cr_assert_eq(res.framing, HTTP_FRAMING_LENGTH);
	cr_assert_eq(res.head_len + res.content_length, (uint64_t)len);
	cr_assert(!res.keep_alive);
	return out + res.head_len;
}

Test(errpage, every_page)
{
	static const int statuses[ERRPAGE_COUNT] = {400, 404, 431, 502, 502, 504, 505};

	for (int p = 0; p < ERRPAGE_COUNT; p++) {
		int len = errpage_write(out, sizeof(out), p, "an1", 1700000000);

		cr_assert_eq(errpage_status(p), statuses[p]);
		check(len, statuses[p]);
	}
	cr_assert_eq(errpage_write(out, sizeof(out), ERRPAGE_COUNT, NULL, 0), -EINVAL);
}

Test(errpage, offline_says_since_when)
{
	int len = errpage_write(out, sizeof(out), ERRPAGE_OFFLINE, "an12345678", 1700000000);
	const char *body = check(len, 502);

	cr_assert_not_null(strstr(body, "an12345678 is offline since 2023-11-14 22:13:20 UTC."));
	len = errpage_write(out, sizeof(out), ERRPAGE_OFFLINE, "an12345678", 0);
	body = check(len, 502);
	cr_assert_not_null(strstr(body, "an12345678 is offline."));
}

Test(errpage, unreachable_names_only_that_device)
{
	int len = errpage_write(out, sizeof(out), ERRPAGE_UNREACHABLE, "meter-3", 0);
	const char *body = check(len, 502);

	cr_assert_not_null(strstr(body, "meter-3"));
	/* pages that have no device name never show one */
	len = errpage_write(out, sizeof(out), ERRPAGE_NOT_FOUND, "secret-device", 0);
	body = check(len, 404);
	cr_assert_null(strstr(out, "secret-device"));
}

Test(errpage, escapes_the_name)
{
	int len = errpage_write(out, sizeof(out), ERRPAGE_OFFLINE, "<b>&\"'x", 0);
	const char *body = check(len, 502);

	cr_assert_not_null(strstr(body, "&lt;b&gt;&amp;&quot;&#39;x is offline."));
	cr_assert_null(strstr(body, "<b>"));
}

Test(errpage, bad_names)
{
	char long_name[80];

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	cr_assert_eq(errpage_write(out, sizeof(out), ERRPAGE_OFFLINE, NULL, 0), -EINVAL);
	cr_assert_eq(errpage_write(out, sizeof(out), ERRPAGE_OFFLINE, "", 0), -EINVAL);
	cr_assert_eq(errpage_write(out, sizeof(out), ERRPAGE_UNREACHABLE, long_name, 0), -EINVAL);
	long_name[63] = '\0';
	cr_assert_gt(errpage_write(out, sizeof(out), ERRPAGE_UNREACHABLE, long_name, 0), 0);
}

Test(errpage, short_buffer)
{
	int len = errpage_write(out, sizeof(out), ERRPAGE_BAD_REQUEST, NULL, 0);

	cr_assert_gt(len, 0);
	for (int cap = 0; cap <= len; cap++)
		cr_assert_eq(errpage_write(out, cap, ERRPAGE_BAD_REQUEST, NULL, 0), -ENOSPC);
	cr_assert_eq(errpage_write(out, len + 1, ERRPAGE_BAD_REQUEST, NULL, 0), len);
}
