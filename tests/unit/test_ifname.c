/* The device-name rule and the text parsers of netlink/: pure logic, no
 * kernel, no root. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "netlink/addr.h"
#include "netlink/ifname.h"
#include "netlink/route.h"

Test(ifname, short_names_are_kept)
{
	char ifname[IFNAMSIZ];

	cr_assert_eq(nl_ifname_for_device("an12345678", ifname), 0);
	cr_assert_str_eq(ifname, "tt-an12345678");
	cr_assert_eq(nl_ifname_for_device("a", ifname), 0);
	cr_assert_str_eq(ifname, "tt-a");
	/* twelve characters: the longest kept as is, and it fills IFNAMSIZ */
	cr_assert_eq(nl_ifname_for_device("abcdefghijk1", ifname), 0);
	cr_assert_str_eq(ifname, "tt-abcdefghijk1");
	cr_assert_eq(strlen(ifname), IFNAMSIZ - 1);
}

Test(ifname, long_names_are_hashed)
{
	char ifname[IFNAMSIZ];

	/* BLAKE2b with a 16-byte output, first 12 hex characters; the values
	 * come from Python's hashlib.blake2b(name, digest_size=16) */
	cr_assert_eq(nl_ifname_for_device("an1234567890abc", ifname), 0);
	cr_assert_str_eq(ifname, "tt-f7e7cb34d57c");
	cr_assert_eq(nl_ifname_for_device("averyveryverylongdevicename-0001", ifname), 0);
	cr_assert_str_eq(ifname, "tt-7c092ad10cb9");
	cr_assert_eq(strlen(ifname), IFNAMSIZ - 1);
}

Test(ifname, hash_is_stable_and_distinct)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];

	cr_assert_eq(nl_ifname_for_device("abcdefghijklm", a), 0);
	cr_assert_eq(nl_ifname_for_device("abcdefghijklm", b), 0);
	cr_assert_eq(nl_ifname_for_device("abcdefghijkln", c), 0);
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, c);
	cr_assert_eq(strncmp(a, "tt-", 3), 0);
	for (size_t i = 3; i < strlen(a); i++)
		cr_assert(strchr("0123456789abcdef", a[i]), "%s is not lowercase hex", a);
}

Test(ifname, device_names_are_dns_labels)
{
	char max[NL_DEVICE_NAME_MAX + 2];
	char ifname[IFNAMSIZ];

	cr_assert(nl_ifname_device_valid("a"));
	cr_assert(nl_ifname_device_valid("0"));
	cr_assert(nl_ifname_device_valid("meter-7"));
	cr_assert(nl_ifname_device_valid("a-"));
	memset(max, 'a', NL_DEVICE_NAME_MAX);
	max[NL_DEVICE_NAME_MAX] = '\0';
	cr_assert(nl_ifname_device_valid(max));
	max[NL_DEVICE_NAME_MAX] = 'a';
	max[NL_DEVICE_NAME_MAX + 1] = '\0';
	cr_assert_not(nl_ifname_device_valid(max), "64 characters");
	cr_assert_eq(nl_ifname_for_device(max, ifname), -EINVAL);

	const char *bad[] = {"", "-a", "A", "an_1", "an.1", "an 1", "an/1", "é", "an1\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_not(nl_ifname_device_valid(bad[i]), "\"%s\" accepted", bad[i]);
		cr_assert_eq(nl_ifname_for_device(bad[i], ifname), -EINVAL, "\"%s\"", bad[i]);
	}
}

Test(parse, p2p_addresses)
{
	struct nl_addr a;
	char buf[INET6_ADDRSTRLEN];

	cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0.1", "100.64.0.7"), 0);
	cr_assert_eq(a.family, AF_INET);
	cr_assert_eq(a.prefixlen, 32);
	cr_assert_str_eq(inet_ntop(AF_INET, &a.peer, buf, sizeof(buf)), "100.64.0.7");
	cr_assert_eq(nl_addr_parse_p2p(&a, "fd74::1", "fd74::7"), 0);
	cr_assert_eq(a.family, AF_INET6);
	cr_assert_eq(a.prefixlen, 128);
	cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0.1", "fd74::7"), -EINVAL);
	cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0", "100.64.0.7"), -EINVAL);
}

Test(parse, route_prefixes)
{
	struct nl_route r;

	cr_assert_eq(nl_route_parse(&r, "100.64.0.0/10", 3), 0);
	cr_assert_eq(r.family, AF_INET);
	cr_assert_eq(r.dst_len, 10);
	cr_assert_eq(r.ifindex, 3);
	cr_assert_eq(r.type, RTN_UNICAST);
	cr_assert_eq(nl_route_parse(&r, "fd74::/64", 0), 0);
	cr_assert_eq(r.family, AF_INET6);
	cr_assert_eq(r.dst_len, 64);

	const char *bad[] = {"100.64.0.0", "100.64.0.0/33", "100.64.0.0/",  "100.64.0.0/1x",
			     "fd74::/129", "x/8",	    "100.64.0.0/-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(nl_route_parse(&r, bad[i], 0), -EINVAL, "%s", bad[i]);
}
