/* TAI64N timestamps (proto/tai64n.c): the encoding of the vectors, time
 * order as byte order, and the agent's max(now, last + 1 ns) rule. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/tai64n.h"

static void enc(uint8_t out[12], uint64_t sec, uint32_t ns)
{
	tai64n_encode(out, sec, ns);
}

Test(tai64n, encode_vector)
{
	/* case1 of tether-v1.json: 2^62 + 1700000000 s, 123456789 ns */
	static const uint8_t want[12] = {0x40, 0,    0,	   0,	 0x65, 0x53,
					 0xf1, 0x00, 0x07, 0x5b, 0xcd, 0x15};
	uint8_t t[12];
	uint64_t sec;
	uint32_t ns;

	enc(t, 1700000000, 123456789);
	cr_assert(memcmp(t, want, 12) == 0);
	tai64n_decode(t, &sec, &ns);
	cr_assert_eq(sec, 1700000000);
	cr_assert_eq(ns, 123456789);

	enc(t, 0, 0);
	cr_assert_eq(t[0], 0x40);
	for (int i = 1; i < 12; i++)
		cr_assert_eq(t[i], 0);
}

Test(tai64n, compare_is_time_order)
{
	uint8_t a[12], b[12];

	enc(a, 100, 5);
	enc(b, 100, 5);
	cr_assert_eq(tai64n_compare(a, b), 0);
	enc(b, 100, 6);
	cr_assert_lt(tai64n_compare(a, b), 0);
	cr_assert_gt(tai64n_compare(b, a), 0);
	/* seconds weigh more than nanoseconds */
	enc(a, 101, 0);
	enc(b, 100, 999999999);
	cr_assert_gt(tai64n_compare(a, b), 0);
	/* big-endian: a higher byte decides, not a lower one */
	enc(a, 0x100, 0);
	enc(b, 0xff, 0);
	cr_assert_gt(tai64n_compare(a, b), 0);
}

Test(tai64n, next_takes_now_when_later)
{
	uint8_t now[12], last[12], out[12];

	enc(now, 200, 0);
	enc(last, 100, 999);
	tai64n_next(out, now, last);
	cr_assert(memcmp(out, now, 12) == 0);
}

Test(tai64n, next_steps_past_last)
{
	uint8_t now[12], last[12], out[12], want[12];

	/* equal */
	enc(now, 100, 5);
	enc(last, 100, 5);
	tai64n_next(out, now, last);
	enc(want, 100, 6);
	cr_assert(memcmp(out, want, 12) == 0);
	/* clock stepped back */
	enc(now, 50, 0);
	tai64n_next(out, now, last);
	cr_assert(memcmp(out, want, 12) == 0);
	cr_assert_gt(tai64n_compare(out, last), 0);
}

Test(tai64n, next_carries_into_seconds)
{
	uint8_t now[12], last[12], out[12], want[12];

	enc(now, 1, 0);
	enc(last, 100, 999999999);
	tai64n_next(out, now, last);
	enc(want, 101, 0);
	cr_assert(memcmp(out, want, 12) == 0);

	/* a stored value with nanoseconds out of range still moves forward */
	enc(last, 100, 0xffffffff);
	tai64n_next(out, now, last);
	cr_assert(memcmp(out, want, 12) == 0);
	cr_assert_gt(tai64n_compare(out, last), 0);
}

Test(tai64n, next_aliases_and_saturates)
{
	uint8_t now[12], last[12], max[12];

	enc(now, 10, 0);
	enc(last, 20, 0);
	tai64n_next(last, now, last);
	enc(now, 20, 1);
	cr_assert(memcmp(last, now, 12) == 0);

	memset(max, 0xff, sizeof(max));
	memcpy(now, max, 12);
	tai64n_next(now, now, max);
	cr_assert(memcmp(now, max, 12) == 0);
}

Test(tai64n, next_is_strictly_increasing)
{
	uint8_t now[12], last[12], out[12];

	enc(now, 1000, 0);
	enc(last, 0, 0);
	for (int i = 0; i < 1000; i++) {
		tai64n_next(out, now, last);
		cr_assert_gt(tai64n_compare(out, last), 0);
		memcpy(last, out, 12);
	}
}
