/* The access log line: its fields, a cut path, bytes a client sent that
 * must not reach the log as they are, and the per-device counters. */
#include <criterion/criterion.h>
#include <string.h>

#include "concentrator/proxy/accesslog.h"

Test(proxy_accesslog, line)
{
	char out[ACCESSLOG_LINE_MAX];
	struct accesslog_entry e = {.client = "198.18.1.2",
				    .device = "an1",
				    .method = "GET",
				    .path = "/index.html?x=1",
				    .path_len = 15,
				    .status = 200,
				    .bytes = 512,
				    .duration_ns = 1234567};

	accesslog_format(out, sizeof(out), &e);
	cr_assert_str_eq(out, "client=198.18.1.2 device=an1 method=GET path=/index.html?x=1 "
			      "status=200 bytes=512 ms=1.234");
	e.device = NULL;
	e.method = NULL;
	e.path = NULL;
	e.status = 400;
	e.note = "bad request";
	accesslog_format(out, sizeof(out), &e);
	cr_assert_str_eq(out, "client=198.18.1.2 device=- method=- path=- status=400 bytes=512 "
			      "ms=1.234 note=bad?request");
}

Test(proxy_accesslog, hostile_bytes_and_long_paths)
{
	static char path[1000];
	char out[ACCESSLOG_LINE_MAX];
	struct accesslog_entry e = {.client = "::1",
				    .device = "an1",
				    .method = "G\nT",
				    .path = "/a b\x1b[31m",
				    .path_len = 9,
				    .status = 200};

	accesslog_format(out, sizeof(out), &e);
	cr_assert_str_eq(out, "client=::1 device=an1 method=G?T path=/a?b?[31m status=200 "
			      "bytes=0 ms=0.000");
	memset(path, 'p', sizeof(path));
	e.path = path;
	e.path_len = sizeof(path);
	cr_assert_lt(accesslog_format(out, sizeof(out), &e), sizeof(out));
	cr_assert_not_null(strstr(out, "ppp... status=200"));
	/* a small buffer is cut, never overrun */
	cr_assert_eq(accesslog_format(out, 20, &e), 19);
	cr_assert_eq(strlen(out), 19);
}

Test(proxy_accesslog, counters)
{
	struct devtab_stats s = {0};

	accesslog_count(&s, 200, 100, 1000);
	accesslog_count(&s, 204, 100, 10);
	accesslog_count(&s, 502, 100, 300);
	accesslog_count(&s, 101, 100, 0);
	accesslog_count(&s, 0, 100, 0);
	cr_assert_eq(s.requests, 5);
	cr_assert_eq(s.status[2], 2);
	cr_assert_eq(s.status[5], 1);
	cr_assert_eq(s.status[1], 1);
	cr_assert_eq(s.status[0], 1);
	cr_assert_eq(s.bytes_in, 500);
	cr_assert_eq(s.bytes_out, 1310);
}
