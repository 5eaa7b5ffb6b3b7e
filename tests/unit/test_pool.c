/* The tunnel address pool: CIDR parsing, lowest-free allocation that skips
 * the network, broadcast and gateway addresses, marking, release, exhaustion. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>

#include "concentrator/tetherd/pool.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "bad test address %s", s);
	return a;
}

static struct pool *make(const char *cidr, const char *gateway)
{
	struct in_addr net;
	unsigned int len;
	struct pool *pool;

	cr_assert_eq(pool_parse(cidr, &net, &len), 0, "%s", cidr);
	cr_assert_eq(pool_create(&pool, net, len, ip(gateway)), 0, "%s", cidr);
	return pool;
}

static void expect_alloc(struct pool *pool, const char *want)
{
	struct in_addr a;
	char got[INET_ADDRSTRLEN];

	cr_assert_eq(pool_alloc(pool, &a), 0, "no address where %s was expected", want);
	inet_ntop(AF_INET, &a, got, sizeof(got));
	cr_assert_str_eq(got, want);
}

Test(pool, parse_valid)
{
	struct in_addr net;
	unsigned int len;

	cr_assert_eq(pool_parse("100.64.0.0/16", &net, &len), 0);
	cr_assert_eq(net.s_addr, ip("100.64.0.0").s_addr);
	cr_assert_eq(len, 16);
	cr_assert_eq(pool_parse("10.0.0.0/8", &net, &len), 0);
	cr_assert_eq(len, 8);
	cr_assert_eq(pool_parse("192.168.1.4/30", &net, &len), 0);
	cr_assert_eq(pool_parse("0.0.0.0/0", &net, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_eq(pool_parse("1.2.3.4/32", &net, &len), 0);
	cr_assert_eq(len, 32);
}

Test(pool, parse_invalid)
{
	static const char *const bad[] = {
		"",
		"100.64.0.0",
		"100.64.0.0/",
		"/16",
		"100.64.0.0/33",
		"100.64.0.0/1a",
		"100.64.0.0/-1",
		"100.64.0.0/+8",
		"100.64.0.0/016",
		"100.64.0/16",
		"100.64.0.1/16",
		" 100.64.0.0/16",
		"100.64.0.0/16 ",
		"::/64",
		"256.0.0.0/8",
		"100.64.0.0//16",
	};
	struct in_addr net;
	unsigned int len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(pool_parse(bad[i], &net, &len), -EINVAL, "accepted \"%s\"", bad[i]);
}

Test(pool, create_limits)
{
	struct pool *pool;

	cr_assert_eq(pool_create(&pool, ip("10.0.0.0"), 7, ip("0.0.0.0")), -EINVAL);
	cr_assert_null(pool);
	cr_assert_eq(pool_create(&pool, ip("10.0.0.0"), 31, ip("0.0.0.0")), -EINVAL);
	cr_assert_eq(pool_create(&pool, ip("10.0.0.1"), 24, ip("0.0.0.0")), -EINVAL);
	cr_assert_eq(pool_create(&pool, ip("10.0.0.0"), 8, ip("10.0.0.1")), 0);
	cr_assert_eq(pool_capacity(pool), (1u << 24) - 3);
	expect_alloc(pool, "10.0.0.2");
	pool_free(pool);
}

Test(pool, small_pool_skips_reserved_and_exhausts)
{
	struct pool *pool = make("100.64.0.0/29", "100.64.0.1");
	struct in_addr a;

	cr_assert_eq(pool_capacity(pool), 5);
	cr_assert_eq(pool_available(pool), 5);
	expect_alloc(pool, "100.64.0.2");
	expect_alloc(pool, "100.64.0.3");
	expect_alloc(pool, "100.64.0.4");
	expect_alloc(pool, "100.64.0.5");
	expect_alloc(pool, "100.64.0.6");
	cr_assert_eq(pool_available(pool), 0);
	cr_assert_eq(pool_alloc(pool, &a), -ENOSPC);
	/* freeing one makes exactly that one available again */
	cr_assert_eq(pool_release(pool, ip("100.64.0.4")), 0);
	expect_alloc(pool, "100.64.0.4");
	cr_assert_eq(pool_alloc(pool, &a), -ENOSPC);
	pool_free(pool);
}

Test(pool, gateway_in_the_middle_or_outside)
{
	struct pool *pool = make("100.64.0.0/29", "100.64.0.3");

	cr_assert_eq(pool_capacity(pool), 5);
	expect_alloc(pool, "100.64.0.1");
	expect_alloc(pool, "100.64.0.2");
	expect_alloc(pool, "100.64.0.4");
	pool_free(pool);

	pool = make("100.64.0.0/29", "198.18.0.1");
	cr_assert_eq(pool_capacity(pool), 6);
	expect_alloc(pool, "100.64.0.1");
	pool_free(pool);

	pool = make("100.64.0.0/29", "0.0.0.0");
	cr_assert_eq(pool_capacity(pool), 6);
	pool_free(pool);
}

Test(pool, smallest_pool)
{
	struct pool *pool = make("100.64.0.0/30", "100.64.0.1");
	struct in_addr a;

	cr_assert_eq(pool_capacity(pool), 1);
	expect_alloc(pool, "100.64.0.2");
	cr_assert_eq(pool_alloc(pool, &a), -ENOSPC);
	pool_free(pool);
}

Test(pool, mark_and_release)
{
	struct pool *pool = make("100.64.0.0/24", "100.64.0.1");

	cr_assert_eq(pool_mark(pool, ip("100.64.0.2")), 0);
	cr_assert_eq(pool_mark(pool, ip("100.64.0.3")), 0);
	cr_assert_eq(pool_mark(pool, ip("100.64.0.200")), 0);
	cr_assert_eq(pool_available(pool), 253 - 3);
	cr_assert_eq(pool_mark(pool, ip("100.64.0.2")), -EEXIST);
	cr_assert_eq(pool_mark(pool, ip("100.64.0.0")), -EEXIST, "network");
	cr_assert_eq(pool_mark(pool, ip("100.64.0.1")), -EEXIST, "gateway");
	cr_assert_eq(pool_mark(pool, ip("100.64.0.255")), -EEXIST, "broadcast");
	cr_assert_eq(pool_mark(pool, ip("100.64.1.2")), -ERANGE);
	cr_assert_eq(pool_mark(pool, ip("100.63.255.255")), -ERANGE);
	expect_alloc(pool, "100.64.0.4");

	cr_assert_eq(pool_release(pool, ip("100.64.0.0")), -EINVAL);
	cr_assert_eq(pool_release(pool, ip("100.64.0.1")), -EINVAL);
	cr_assert_eq(pool_release(pool, ip("100.64.0.255")), -EINVAL);
	cr_assert_eq(pool_release(pool, ip("100.64.0.9")), -ENOENT);
	cr_assert_eq(pool_release(pool, ip("10.0.0.9")), -ERANGE);
	cr_assert_eq(pool_release(pool, ip("100.64.0.3")), 0);
	cr_assert_eq(pool_release(pool, ip("100.64.0.3")), -ENOENT);
	expect_alloc(pool, "100.64.0.3");
	expect_alloc(pool, "100.64.0.5");
	pool_free(pool);
}

/* A whole /16: every address once, ascending, none reserved, then -ENOSPC.
 * Crosses every word boundary of the bitmap. */
Test(pool, full_slash16)
{
	struct pool *pool = make("100.64.0.0/16", "100.64.0.1");
	uint32_t prev = ntohl(ip("100.64.0.1").s_addr);
	struct in_addr a;
	uint32_t n = 0;

	while (pool_alloc(pool, &a) == 0) {
		uint32_t h = ntohl(a.s_addr);

		cr_assert_eq(h, prev + 1, "not the lowest free address after %u", prev);
		prev = h;
		n++;
	}
	cr_assert_eq(n, 65536 - 3);
	cr_assert_eq(prev, ntohl(ip("100.64.255.254").s_addr));
	cr_assert_eq(pool_alloc(pool, &a), -ENOSPC);
	/* free two in different words; the lower one comes back first */
	cr_assert_eq(pool_release(pool, ip("100.64.200.7")), 0);
	cr_assert_eq(pool_release(pool, ip("100.64.3.64")), 0);
	expect_alloc(pool, "100.64.3.64");
	expect_alloc(pool, "100.64.200.7");
	cr_assert_eq(pool_alloc(pool, &a), -ENOSPC);
	pool_free(pool);
}
