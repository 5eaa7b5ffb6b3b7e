/* The shared HTTP core: result names and statuses, the list rule, Host
 * syntax, Content-Length and the line splitter. */
#include <criterion/criterion.h>
#include <string.h>

#include "concentrator/proxy/http.h"

Test(http, result_names_are_distinct)
{
	for (int i = 0; i < HTTP_RESULT_COUNT; i++) {
		const char *a = http_result_str(i);

		cr_assert_neq(strcmp(a, "unknown"), 0, "result %d has no name", i);
		for (int j = i + 1; j < HTTP_RESULT_COUNT; j++)
			cr_assert_neq(strcmp(a, http_result_str(j)), 0, "%d and %d share %s", i, j,
				      a);
	}
	cr_assert_str_eq(http_result_str(HTTP_RESULT_COUNT), "unknown");
	cr_assert_str_eq(http_result_str(-1), "unknown");
}

Test(http, result_status)
{
	cr_assert_eq(http_result_status(HTTP_OK), 0);
	cr_assert_eq(http_result_status(HTTP_NEED_MORE), 0);
	cr_assert_eq(http_result_status(HTTP_HEAD_TOO_LARGE), 431);
	cr_assert_eq(http_result_status(HTTP_TOO_MANY_FIELDS), 431);
	cr_assert_eq(http_result_status(HTTP_BAD_VERSION), 505);
	cr_assert_eq(http_result_status(HTTP_OBS_FOLD), 400);
	cr_assert_eq(http_result_status(HTTP_CONTENT_LENGTH_AND_TE), 400);
}

Test(http, list_elements)
{
	const char *list = " a ,, b\t,c d ,", *e;
	size_t pos = 0, n;

	n = http_list_next(list, strlen(list), &pos, &e);
	cr_assert(n == 1 && !memcmp(e, "a", 1));
	n = http_list_next(list, strlen(list), &pos, &e);
	cr_assert(n == 1 && !memcmp(e, "b", 1));
	n = http_list_next(list, strlen(list), &pos, &e);
	cr_assert(n == 3 && !memcmp(e, "c d", 3));
	cr_assert_eq(http_list_next(list, strlen(list), &pos, &e), 0);
	pos = 0;
	cr_assert_eq(http_list_next(" , ,", 4, &pos, &e), 0);
}

static bool host_ok(const char *s)
{
	return http_host_valid(s, strlen(s));
}

Test(http, host_syntax)
{
	cr_assert(host_ok(""));
	cr_assert(host_ok("an1.remote.example.com"));
	cr_assert(host_ok("an1.remote.example.com:8443"));
	cr_assert(host_ok("AN1.Remote.Example.COM."));
	cr_assert(host_ok("192.0.2.1:80"));
	cr_assert(host_ok("[::1]"));
	cr_assert(host_ok("[2001:db8::1]:443"));
	cr_assert(host_ok("a%41b"));
	cr_assert(!host_ok("a b"));
	cr_assert(!host_ok("a/b"));
	cr_assert(!host_ok("a@b"));
	cr_assert(!host_ok(":80"));
	cr_assert(!host_ok("a:"));
	cr_assert(!host_ok("a:99999"));
	cr_assert(!host_ok("a:8o"));
	cr_assert(!host_ok("a:1:2"));
	cr_assert(!host_ok("[::1"));
	cr_assert(!host_ok("[::1]x"));
	cr_assert(!host_ok("[v1.x]"));
	cr_assert(!host_ok("[1.2.3.4]"));
	cr_assert(!host_ok("a%4"));
	cr_assert(!host_ok("a%zz"));
	cr_assert(!host_ok("a\"b"));
}

Test(http, content_length)
{
	uint64_t v = 7;

	cr_assert_eq(http_content_length("0", 1, &v), HTTP_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(http_content_length("00042", 5, &v), HTTP_OK);
	cr_assert_eq(v, 42);
	cr_assert_eq(http_content_length("4611686018427387904", 19, &v), HTTP_OK);
	cr_assert_eq(v, 1ULL << 62);
	cr_assert_eq(http_content_length("4611686018427387905", 19, &v), HTTP_BAD_CONTENT_LENGTH);
	cr_assert_eq(http_content_length("18446744073709551616", 20, &v), HTTP_BAD_CONTENT_LENGTH);
	cr_assert_eq(http_content_length("", 0, &v), HTTP_BAD_CONTENT_LENGTH);
	cr_assert_eq(http_content_length("+1", 2, &v), HTTP_BAD_CONTENT_LENGTH);
	cr_assert_eq(http_content_length("-1", 2, &v), HTTP_BAD_CONTENT_LENGTH);
	cr_assert_eq(http_content_length("0x1", 3, &v), HTTP_BAD_CONTENT_LENGTH);
	cr_assert_eq(http_content_length("1 1", 3, &v), HTTP_BAD_CONTENT_LENGTH);
}

Test(http, field_lookup)
{
	cr_assert_eq(http_field_lookup("HoSt", 4), HTTP_FIELD_HOST);
	cr_assert_eq(http_field_lookup("x-forwarded-FOR", 15), HTTP_FIELD_X_FORWARDED_FOR);
	cr_assert_eq(http_field_lookup("te", 2), HTTP_FIELD_TE);
	cr_assert_eq(http_field_lookup("hosts", 5), HTTP_FIELD_OTHER);
	cr_assert_eq(http_field_lookup("hos", 3), HTTP_FIELD_OTHER);
}

Test(http, lines)
{
	const char *buf = "ab\r\n\r\nc";
	struct http_field fields[4];
	struct http_head h;
	struct http_span line;

	http_head_init(&h, fields, 4, 64);
	cr_assert_eq(http_head_line(&h, buf, 3, &line), HTTP_NEED_MORE);
	cr_assert_eq(http_head_line(&h, buf, 7, &line), HTTP_OK);
	cr_assert(line.off == 0 && line.len == 2);
	cr_assert_eq(http_head_line(&h, buf, 7, &line), HTTP_OK);
	cr_assert(line.off == 4 && line.len == 0);
	cr_assert_eq(http_head_line(&h, buf, 7, &line), HTTP_NEED_MORE);

	http_head_init(&h, fields, 4, 64);
	cr_assert_eq(http_head_line(&h, "ab\n", 3, &line), HTTP_BARE_LF);
	http_head_init(&h, fields, 4, 64);
	cr_assert_eq(http_head_line(&h, "\n", 1, &line), HTTP_BARE_LF);

	/* a line that reaches max_head without its LF */
	http_head_init(&h, fields, 4, 4);
	cr_assert_eq(http_head_line(&h, "abc", 3, &line), HTTP_NEED_MORE);
	cr_assert_eq(http_head_line(&h, "abcd", 4, &line), HTTP_HEAD_TOO_LARGE);
	http_head_init(&h, fields, 4, 4);
	cr_assert_eq(http_head_line(&h, "ab\r\nx", 5, &line), HTTP_OK);

	/* max_head is clamped to what 16-bit offsets hold */
	http_head_init(&h, fields, 4, 1 << 20);
	cr_assert_eq(h.max_head, HTTP_HEAD_LIMIT);
}
