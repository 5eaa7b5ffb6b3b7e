/* The chunked framing decoder: where bodies end, whole and a byte at a
 * time, with extensions and trailers, and each malformation it refuses. */
#include <criterion/criterion.h>
#include <string.h>

#include "concentrator/proxy/chunked.h"

static struct chunked c;

/* Feed s at once; *used says where the body ended or failed. */
static enum http_result feed(const char *s, size_t *used)
{
	chunked_init(&c);
	return chunked_feed(&c, s, strlen(s), used);
}

static enum http_result result_of(const char *s)
{
	size_t used;

	return feed(s, &used);
}

#define expect(s, result)                                                                          \
	cr_assert_eq(result_of(s), (result), "%s: got %s", #s, http_result_str(result_of(s)))

static const char body[] = "5\r\nhello\r\n"
			   "6;name=value;q=\"a b\"\r\n world\r\n"
			   "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
			   "0\r\n"
			   "\r\n";

Test(chunked, whole)
{
	size_t used;

	cr_assert_eq(feed(body, &used), HTTP_OK);
	cr_assert_eq(used, strlen(body));
	cr_assert_eq(c.data, 5 + 6 + 26);
	/* the end is sticky */
	cr_assert_eq(chunked_feed(&c, "x", 1, &used), HTTP_OK);
	cr_assert_eq(used, 0);
}

Test(chunked, byte_at_a_time)
{
	size_t used, n = strlen(body);

	chunked_init(&c);
	for (size_t i = 0; i < n - 1; i++) {
		cr_assert_eq(chunked_feed(&c, body + i, 1, &used), HTTP_NEED_MORE, "byte %zu", i);
		cr_assert_eq(used, 1);
	}
	cr_assert_eq(chunked_feed(&c, body + n - 1, 1, &used), HTTP_OK);
	cr_assert_eq(used, 1);
}

Test(chunked, every_split)
{
	size_t n = strlen(body);

	for (size_t i = 0; i <= n; i++) {
		size_t used;

		chunked_init(&c);
		cr_assert_eq(chunked_feed(&c, body, i, &used), i < n ? HTTP_NEED_MORE : HTTP_OK);
		if (i < n) {
			cr_assert_eq(used, i);
			cr_assert_eq(chunked_feed(&c, body + i, n - i, &used), HTTP_OK, "split %zu",
				     i);
			cr_assert_eq(used, n - i);
		}
	}
}

/* the next message follows in the same buffer */
Test(chunked, pipelined)
{
	const char *s = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
	size_t used;

	cr_assert_eq(feed(s, &used), HTTP_OK);
	cr_assert_eq(used, strlen("3\r\nabc\r\n0\r\n\r\n"));
}

Test(chunked, trailers)
{
	size_t used;
	const char *s = "2\r\nab\r\n0\r\nExpires: never\r\nX-Sum: \t1 2\r\n\r\nNEXT";

	cr_assert_eq(feed(s, &used), HTTP_OK);
	cr_assert_eq(used, strlen(s) - 4);
	expect("0\r\nX: a\r\n b\r\n\r\n", HTTP_BAD_TRAILER);
	expect("0\r\nX a\r\n\r\n", HTTP_BAD_TRAILER);
	expect("0\r\n: a\r\n\r\n", HTTP_BAD_TRAILER);
	expect("0\r\nX: a\x01\r\n\r\n", HTTP_BAD_TRAILER);
	expect("0\r\nX: a\n\r\n", HTTP_BAD_TRAILER);
	expect("0\r\nX: a\r\r\n", HTTP_BAD_TRAILER);
	expect("0\r\n\rX", HTTP_CHUNK_BAD_CRLF);
	expect("0\r\n\n", HTTP_BAD_TRAILER);
}

/* what a device might merge into the head is refused in trailers */
Test(chunked, forbidden_trailers)
{
	expect("0\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n", HTTP_FORBIDDEN_TRAILER);
	expect("0\r\nA: 1\r\ncontent-length: 5\r\n\r\n", HTTP_FORBIDDEN_TRAILER);
	expect("0\r\nTRANSFER-ENCODING: chunked\r\n\r\n", HTTP_FORBIDDEN_TRAILER);
	expect("0\r\nHost: evil\r\n\r\n", HTTP_FORBIDDEN_TRAILER);
	expect("0\r\nForwarded: for=1.2.3.4\r\n\r\n", HTTP_FORBIDDEN_TRAILER);
	/* longer names that start the same are fine */
	expect("0\r\nTransfer-Encodings: x\r\nHostname: y\r\n\r\n", HTTP_OK);
	expect("0\r\nX-Forwarded-Proto-Extra-Long-Name: 1\r\n\r\n", HTTP_OK);
}

Test(chunked, trailer_too_large)
{
	static char s[HTTP_TRAILER_MAX + 64];
	size_t n = 0;

	memcpy(s, "0\r\nX: ", 6);
	n = 6;
	memset(s + n, 'a', HTTP_TRAILER_MAX);
	n += HTTP_TRAILER_MAX;
	memcpy(s + n, "\r\n\r\n", 5);
	expect(s, HTTP_TRAILER_TOO_LARGE);
}

Test(chunked, sizes)
{
	expect("0\r\n\r\n", HTTP_OK);
	expect("000\r\n\r\n", HTTP_OK);
	expect("a\r\n0123456789\r\n0\r\n\r\n", HTTP_OK);
	expect("A\r\n0123456789\r\n0\r\n\r\n", HTTP_OK);
	expect("\r\n", HTTP_CHUNK_BAD_SIZE);
	expect("g\r\n", HTTP_CHUNK_BAD_SIZE);
	expect("-1\r\n", HTTP_CHUNK_BAD_SIZE);
	expect("+1\r\n", HTTP_CHUNK_BAD_SIZE);
	expect("0x1\r\n", HTTP_CHUNK_BAD_SIZE);
	expect(" 1\r\n", HTTP_CHUNK_BAD_SIZE);
	expect("1\n", HTTP_CHUNK_BAD_SIZE);
	expect("1\r\r\n", HTTP_CHUNK_BAD_CRLF);
	expect("1\rx", HTTP_CHUNK_BAD_CRLF);
}

Test(chunked, size_overflow)
{
	size_t used;

	/* 15 digits are fine (and leave a chunk to relay) */
	cr_assert_eq(feed("fffffffffffffff\r\n", &used), HTTP_NEED_MORE);
	cr_assert_eq(chunked_data_left(&c), 0xfffffffffffffffULL);
	expect("000000000000001\r\nx\r\n0\r\n\r\n", HTTP_OK);
	/* 16 or more are not, however small the value */
	expect("1000000000000000\r\n", HTTP_CHUNK_SIZE_OVERFLOW);
	expect("ffffffffffffffffffff\r\n", HTTP_CHUNK_SIZE_OVERFLOW);
	expect("0000000000000001\r\n", HTTP_CHUNK_SIZE_OVERFLOW);
	cr_assert_eq(feed("10000000000000000\r\n", &used), HTTP_CHUNK_SIZE_OVERFLOW);
	cr_assert_eq(used, HTTP_CHUNK_DIGITS_MAX);
}

Test(chunked, data_crlf)
{
	size_t used;

	expect("3\r\nabcX\r\n0\r\n\r\n", HTTP_CHUNK_BAD_CRLF);
	expect("3\r\nabc\rX0\r\n\r\n", HTTP_CHUNK_BAD_CRLF);
	expect("3\r\nabc\n0\r\n\r\n", HTTP_CHUNK_BAD_CRLF);
	/* a chunk longer than its size is caught at the first extra byte */
	cr_assert_eq(feed("3\r\nabcd\r\n0\r\n\r\n", &used), HTTP_CHUNK_BAD_CRLF);
	cr_assert_eq(used, 6);
	/* errors are sticky */
	cr_assert_eq(chunked_feed(&c, "\r\n", 2, &used), HTTP_CHUNK_BAD_CRLF);
}

Test(chunked, extensions)
{
	static char s[HTTP_CHUNK_EXT_MAX + 64];

	expect("1;a\r\nx\r\n0;last\r\n\r\n", HTTP_OK);
	expect("1 ;a=b\r\nx\r\n0\r\n\r\n", HTTP_OK);
	expect("1\t; a = \"q\\\"x\"\r\nx\r\n0\r\n\r\n", HTTP_OK);
	expect("1 \r\nx\r\n0\r\n\r\n", HTTP_CHUNK_BAD_EXTENSION);
	expect("1 a\r\nx\r\n0\r\n\r\n", HTTP_CHUNK_BAD_EXTENSION);
	expect("1;a\x01\r\nx\r\n0\r\n\r\n", HTTP_CHUNK_BAD_EXTENSION);
	/* a bare LF inside an extension must not end the line */
	expect("1;a\nx\r\n0\r\n\r\n", HTTP_CHUNK_BAD_EXTENSION);
	expect("1;a\r0\r\n", HTTP_CHUNK_BAD_CRLF);

	/* ";" and HTTP_CHUNK_EXT_MAX - 1 more bytes fit, one more does not */
	memset(s, 'e', sizeof(s));
	s[0] = '1';
	s[1] = ';';
	memcpy(s + 1 + HTTP_CHUNK_EXT_MAX, "\r\nx\r\n0\r\n\r\n", 11);
	expect(s, HTTP_OK);
	s[1 + HTTP_CHUNK_EXT_MAX] = 'e';
	memcpy(s + 2 + HTTP_CHUNK_EXT_MAX, "\r\nx\r\n0\r\n\r\n", 11);
	expect(s, HTTP_CHUNK_EXTENSION_TOO_LONG);
}

/* chunk-data can be relayed without being seen (splice) */
Test(chunked, skip_data)
{
	size_t used;

	chunked_init(&c);
	cr_assert_eq(chunked_data_left(&c), 0);
	cr_assert_eq(chunked_feed(&c, "100000\r\n", 8, &used), HTTP_NEED_MORE);
	cr_assert_eq(chunked_data_left(&c), 0x100000);
	chunked_skip(&c, 0x80000);
	cr_assert_eq(chunked_data_left(&c), 0x80000);
	chunked_skip(&c, 0x80001); /* more than left: ignored */
	cr_assert_eq(chunked_data_left(&c), 0x80000);
	chunked_skip(&c, 0x80000);
	cr_assert_eq(chunked_data_left(&c), 0);
	cr_assert_eq(chunked_feed(&c, "\r\n0\r\n\r\n", 7, &used), HTTP_OK);
	cr_assert_eq(c.data, 0x100000);
}
