/* Connection limits: in total, per client address (IPv4 and IPv6 kept
 * apart, entries freed with their last connection), per device. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "concentrator/proxy/connlimit.h"

static struct in6_addr addr(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

Test(proxy_connlimit, per_client_and_total)
{
	struct connlimit_config cfg = {.total = 5, .per_client = 2, .per_device = 3};
	struct connlimit_client *c[8];
	struct connlimit l;
	struct in6_addr a = addr("::ffff:198.18.1.2"), b = addr("2001:db8::1");

	cr_assert_eq(connlimit_init(&l, &cfg), 0);
	cr_assert_eq(connlimit_client_get(&l, &a, &c[0]), 0);
	cr_assert_eq(connlimit_client_get(&l, &a, &c[1]), 0);
	cr_assert_eq(c[0], c[1], "one entry per address");
	cr_assert_eq(connlimit_client_get(&l, &a, &c[2]), -EMFILE);
	cr_assert_null(c[2]);
	cr_assert_eq(connlimit_client_get(&l, &b, &c[3]), 0);
	cr_assert_eq(connlimit_client_get(&l, &b, &c[4]), 0);
	cr_assert_eq(l.nclients, 2);
	cr_assert_eq(l.total, 4);
	connlimit_client_put(&l, c[0]);
	cr_assert_eq(connlimit_client_get(&l, &a, &c[0]), 0, "room again");
	cr_assert_eq(connlimit_client_get(&l, &b, &c[5]), -EMFILE);
	struct in6_addr d = addr("2001:db8::2");
	cr_assert_eq(connlimit_client_get(&l, &d, &c[5]), 0);
	cr_assert_eq(l.total, 5);
	struct in6_addr e = addr("2001:db8::3");
	cr_assert_eq(connlimit_client_get(&l, &e, &c[6]), -ENFILE, "total reached first");
	connlimit_client_put(&l, c[0]);
	connlimit_client_put(&l, c[1]);
	cr_assert_eq(l.nclients, 2, "a's entry went with its last connection");
	connlimit_client_put(&l, c[3]);
	connlimit_client_put(&l, c[4]);
	connlimit_client_put(&l, c[5]);
	cr_assert_eq(l.total, 0);
	cr_assert_eq(l.nclients, 0);
	connlimit_free(&l);
}

Test(proxy_connlimit, per_device)
{
	struct connlimit_config cfg = {.total = 5, .per_client = 2, .per_device = 3};
	struct connlimit l;

	cr_assert_eq(connlimit_init(&l, &cfg), 0);
	cr_assert_eq(connlimit_device_admit(&l, 0), 0);
	cr_assert_eq(connlimit_device_admit(&l, 2), 0);
	cr_assert_eq(connlimit_device_admit(&l, 3), -EBUSY);
	connlimit_free(&l);
}

/* Many addresses (an IPv6 client picking new ones): the table grows and
 * every count stays right. */
Test(proxy_connlimit, many_addresses)
{
	struct connlimit_config cfg = {.total = 100000, .per_client = 1, .per_device = 1};
	static struct connlimit_client *c[20000];
	struct connlimit_client *extra;
	struct connlimit l;
	struct in6_addr a = addr("2001:db8::");

	cr_assert_eq(connlimit_init(&l, &cfg), 0);
	for (int i = 0; i < 20000; i++) {
		a.s6_addr[14] = (uint8_t)(i >> 8);
		a.s6_addr[15] = (uint8_t)i;
		cr_assert_eq(connlimit_client_get(&l, &a, &c[i]), 0);
		cr_assert_eq(connlimit_client_get(&l, &a, &extra), -EMFILE);
	}
	cr_assert_eq(l.nclients, 20000);
	cr_assert_geq(l.nbuckets, 16384);
	for (int i = 0; i < 20000; i++)
		connlimit_client_put(&l, c[i]);
	cr_assert_eq(l.nclients, 0);
	cr_assert_eq(l.total, 0);
	connlimit_free(&l);
}
