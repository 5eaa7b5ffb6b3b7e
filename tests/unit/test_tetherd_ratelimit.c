/* The handshake load meter and the per-source token buckets of tetherd:
 * the threshold, the quiet second that ends load, bursts and refill, and a
 * table that stays bounded however many sources come. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "concentrator/tetherd/hashtab.h"
#include "concentrator/tetherd/ratelimit.h"
#include "proto/wire.h"

#define SEC WIRE_NSEC_PER_SEC
#define MS  (SEC / 1000)

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	hashtab_seed();
}

TestSuite(tetherd_ratelimit, .init = setup);

Test(tetherd_ratelimit, load_threshold)
{
	struct ratelimit rl;
	uint64_t now = 10 * SEC;

	cr_assert_eq(ratelimit_init(&rl, 16, 100, 10, 5), 0);
	for (int i = 1; i < 100; i++)
		cr_assert_not(ratelimit_count(&rl, now + (uint64_t)i * MS), "at %d", i);
	cr_assert(ratelimit_count(&rl, now + 100 * MS));
	/* the next second is still under load: the last one was busy */
	cr_assert(ratelimit_count(&rl, now + 1100 * MS));
	/* after a quiet second, load is over */
	cr_assert_not(ratelimit_count(&rl, now + 3500 * MS));
	ratelimit_free(&rl);
}

Test(tetherd_ratelimit, bucket_burst_and_refill)
{
	struct ratelimit rl;
	uint8_t a[4] = {198, 18, 0, 2}, b[4] = {198, 18, 0, 3};
	uint64_t now = 5 * SEC;

	cr_assert_eq(ratelimit_init(&rl, 16, 100, 10, 5), 0);
	for (int i = 0; i < 5; i++)
		cr_assert(ratelimit_allow(&rl, a, 4, now), "burst %d", i);
	cr_assert_not(ratelimit_allow(&rl, a, 4, now));
	/* another source has its own bucket */
	cr_assert(ratelimit_allow(&rl, b, 4, now));
	/* 10 a second: one more after 100 ms, not before */
	cr_assert_not(ratelimit_allow(&rl, a, 4, now + 50 * MS));
	cr_assert(ratelimit_allow(&rl, a, 4, now + 100 * MS));
	cr_assert_not(ratelimit_allow(&rl, a, 4, now + 100 * MS));
	/* a long silence refills to the burst, no more */
	for (int i = 0; i < 5; i++)
		cr_assert(ratelimit_allow(&rl, a, 4, now + 60 * SEC));
	cr_assert_not(ratelimit_allow(&rl, a, 4, now + 60 * SEC));
	ratelimit_free(&rl);
}

Test(tetherd_ratelimit, bounded_table_under_many_sources)
{
	struct ratelimit rl;
	uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8};
	uint64_t now = SEC;

	cr_assert_eq(ratelimit_init(&rl, 64, 100, 10, 2), 0);
	cr_assert_eq(rl.n_entries, 64);
	/* 10,000 sources through 64 entries: each is served, none crashes */
	for (uint32_t i = 0; i < 10000; i++) {
		memcpy(addr + 12, &i, sizeof(i));
		cr_assert(ratelimit_allow(&rl, addr, 16, now + i));
	}
	/* the last one is still tracked and limited */
	cr_assert(ratelimit_allow(&rl, addr, 16, now + 10000));
	cr_assert_not(ratelimit_allow(&rl, addr, 16, now + 10000));
	ratelimit_free(&rl);
}

Test(tetherd_ratelimit, bad_arguments)
{
	struct ratelimit rl;
	uint8_t a[4] = {1, 2, 3, 4};

	cr_assert_eq(ratelimit_init(&rl, 0, 1, 1, 1), -EINVAL);
	cr_assert_eq(ratelimit_init(&rl, 16, 1, 0, 1), -EINVAL);
	cr_assert_eq(ratelimit_init(&rl, 10, 1, 1, 1), 0);
	cr_assert_eq(rl.n_entries, 16);
	cr_assert_not(ratelimit_allow(&rl, a, 0, SEC));
	cr_assert_not(ratelimit_allow(&rl, a, 17, SEC));
	ratelimit_free(&rl);
}

Test(tetherd_ratelimit, backlog_means_load_for_a_second)
{
	struct ratelimit rl;
	uint64_t now = 10 * SEC;

	cr_assert_eq(ratelimit_init(&rl, 16, 1000, 10, 5), 0);
	cr_assert_not(ratelimit_count(&rl, now));
	ratelimit_backlog(&rl, now);
	cr_assert(ratelimit_count(&rl, now + 1));
	cr_assert(ratelimit_count(&rl, now + 999 * MS));
	cr_assert_not(ratelimit_count(&rl, now + 1001 * MS));
	ratelimit_free(&rl);
}
