/* The agent's exposure filter: the `expose` syntax, and good and bad packets through the
 * per-packet check, each drop with its reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/expose.h"

static struct expose ex;
static char why[128];
static uint8_t pkt[256];

static void setup(void)
{
	cr_assert_eq(expose_parse(&ex, "80,443, udp/161-162 ,tcp/8000-8080", why, sizeof(why)), 0,
		     "%s", why);
}

TestSuite(expose, .init = setup);

/* An IPv4 packet with `l4len` bytes of transport header; returns its length. */
static size_t ip4(uint8_t proto, size_t l4len)
{
	size_t total = 20 + l4len;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(total >> 8);
	pkt[3] = (uint8_t)total;
	pkt[8] = 64;
	pkt[9] = proto;
	memcpy(pkt + 12, (uint8_t[]){100, 64, 0, 1, 100, 64, 0, 7}, 8);
	if (proto == 6)
		pkt[20 + 12] = 5 << 4;
	return total;
}

static void ports(size_t l4off, uint16_t dport)
{
	pkt[l4off] = 0xc3;
	pkt[l4off + 1] = 0x50;
	pkt[l4off + 2] = (uint8_t)(dport >> 8);
	pkt[l4off + 3] = (uint8_t)dport;
}

/* An IPv6 packet whose payload (extension headers and transport) is `payload` bytes. */
static size_t ip6(uint8_t next, size_t payload)
{
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(payload >> 8);
	pkt[5] = (uint8_t)payload;
	pkt[6] = next;
	pkt[7] = 64;
	pkt[8] = 0xfd;
	pkt[24] = 0xfd;
	pkt[39] = 7;
	return 40 + payload;
}

static enum expose_verdict check(size_t len)
{
	return expose_check(&ex, pkt, len);
}

Test(expose, parse_syntax)
{
	cr_assert_eq(ex.ntcp, 3);
	cr_assert_eq(ex.tcp[0].lo, 80);
	cr_assert_eq(ex.tcp[1].lo, 443);
	cr_assert_eq(ex.tcp[2].lo, 8000);
	cr_assert_eq(ex.tcp[2].hi, 8080);
	cr_assert_eq(ex.nudp, 1);
	cr_assert_eq(ex.udp[0].lo, 161);
	cr_assert_eq(ex.udp[0].hi, 162);

	cr_assert_eq(expose_parse(&ex, "", why, sizeof(why)), 0, "empty: nothing exposed");
	cr_assert_eq(ex.ntcp + ex.nudp, 0);
	cr_assert_eq(expose_parse(&ex, "  ", why, sizeof(why)), 0);
	cr_assert_eq(expose_parse(&ex, "443,80,81,82-90,85", why, sizeof(why)), 0);
	cr_assert_eq(ex.ntcp, 2, "sorted and merged");
	cr_assert_eq(ex.tcp[0].lo, 80);
	cr_assert_eq(ex.tcp[0].hi, 90);
}

Test(expose, parse_errors_name_the_item)
{
	static const struct {
		const char *value, *why;
	} cases[] = {
		{"80,70000", "bad port '70000'"},
		{"0", "bad port '0'"},
		{"080", "bad port '080'"},
		{"udp/", "bad port 'udp/'"},
		{"icmp/8", "bad port 'icmp/8'"},
		{"UDP/161", "bad port 'UDP/161'"},
		{"udp/162-161", "bad port range 'udp/162-161'"},
		{"80,,443", "empty item in '80,,443'"},
		{"80,", "empty item in '80,'"},
		{"8 0", "bad port '8?0'"},
		{"http", "bad port 'http'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(expose_parse(&ex, cases[i].value, why, sizeof(why)), -EINVAL, "%s",
			     cases[i].value);
		cr_assert_str_eq(why, cases[i].why);
	}
	cr_assert_eq(expose_parse(&ex, NULL, why, sizeof(why)), -EINVAL);
}

Test(expose, parse_bounds)
{
	char value[EXPOSE_VALUE_MAX + 2];
	size_t len = 0;

	for (int i = 1; i <= EXPOSE_MAX_ITEMS; i++)
		len += (size_t)snprintf(value + len, sizeof(value) - len, "%s%d", i > 1 ? "," : "",
					i * 10);
	cr_assert_eq(expose_parse(&ex, value, why, sizeof(why)), 0, "%s", why);
	strcat(value, ",9999");
	cr_assert_eq(expose_parse(&ex, value, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "too many items at '9999'");
	memset(value, '1', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	cr_assert_eq(expose_parse(&ex, value, why, sizeof(why)), -EINVAL);
	cr_assert(!strncmp(why, "value too long", 14));
}

Test(expose, tcp_and_udp_to_exposed_ports)
{
	size_t len = ip4(6, 20);

	ports(20, 80);
	cr_assert_eq(check(len), EXPOSE_PASS);
	ports(20, 8042);
	cr_assert_eq(check(len), EXPOSE_PASS);
	ports(20, 22);
	cr_assert_eq(check(len), EXPOSE_DROP_PORT);
	ports(20, 161);
	cr_assert_eq(check(len), EXPOSE_DROP_PORT, "161 is exposed for UDP only");

	len = ip4(17, 8);
	ports(20, 162);
	cr_assert_eq(check(len), EXPOSE_PASS);
	ports(20, 80);
	cr_assert_eq(check(len), EXPOSE_DROP_PORT, "80 is exposed for TCP only");

	len = ip6(6, 20);
	pkt[40 + 12] = 5 << 4;
	ports(40, 443);
	cr_assert_eq(check(len), EXPOSE_PASS);
	ports(40, 444);
	cr_assert_eq(check(len), EXPOSE_DROP_PORT);
	len = ip6(17, 8);
	ports(40, 161);
	cr_assert_eq(check(len), EXPOSE_PASS);
}

Test(expose, icmp_types)
{
	static const struct {
		uint8_t type;
		enum expose_verdict v4, v6;
	} cases[] = {
		{0, EXPOSE_PASS, EXPOSE_DROP_ICMP_TYPE},  /* v4 echo reply */
		{3, EXPOSE_PASS, EXPOSE_PASS},		  /* v4 unreach / v6 time exceeded */
		{8, EXPOSE_PASS, EXPOSE_DROP_ICMP_TYPE},  /* v4 echo request */
		{11, EXPOSE_PASS, EXPOSE_DROP_ICMP_TYPE}, /* v4 time exceeded */
		{5, EXPOSE_DROP_ICMP_TYPE, EXPOSE_DROP_ICMP_TYPE},   /* v4 redirect */
		{13, EXPOSE_DROP_ICMP_TYPE, EXPOSE_DROP_ICMP_TYPE},  /* v4 timestamp */
		{1, EXPOSE_DROP_ICMP_TYPE, EXPOSE_PASS},	     /* v6 unreach */
		{2, EXPOSE_DROP_ICMP_TYPE, EXPOSE_PASS},	     /* v6 packet too big */
		{128, EXPOSE_DROP_ICMP_TYPE, EXPOSE_PASS},	     /* v6 echo request */
		{129, EXPOSE_DROP_ICMP_TYPE, EXPOSE_PASS},	     /* v6 echo reply */
		{134, EXPOSE_DROP_ICMP_TYPE, EXPOSE_DROP_ICMP_TYPE}, /* router advert */
		{137, EXPOSE_DROP_ICMP_TYPE, EXPOSE_DROP_ICMP_TYPE}, /* v6 redirect */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = ip4(1, 8);

		pkt[20] = cases[i].type;
		cr_assert_eq(check(len), cases[i].v4, "ICMP type %u", cases[i].type);
		len = ip6(58, 8);
		pkt[40] = cases[i].type;
		cr_assert_eq(check(len), cases[i].v6, "ICMPv6 type %u", cases[i].type);
	}
	cr_assert_eq(check(ip4(58, 8)), EXPOSE_DROP_PROTOCOL, "ICMPv6 inside IPv4");
	cr_assert_eq(check(ip6(1, 8)), EXPOSE_DROP_PROTOCOL, "ICMP inside IPv6");
}

Test(expose, unknown_protocols)
{
	cr_assert_eq(check(ip4(47, 8)), EXPOSE_DROP_PROTOCOL, "GRE");
	cr_assert_eq(check(ip4(132, 12)), EXPOSE_DROP_PROTOCOL, "SCTP");
	cr_assert_eq(check(ip6(59, 0)), EXPOSE_DROP_PROTOCOL, "no next header");
	cr_assert_eq(check(ip6(50, 8)), EXPOSE_DROP_PROTOCOL, "ESP");
}

Test(expose, truncated_and_malformed)
{
	size_t len;

	cr_assert_eq(expose_check(&ex, pkt, 0), EXPOSE_DROP_TRUNCATED);
	cr_assert_eq(expose_check(&ex, NULL, 40), EXPOSE_DROP_TRUNCATED);
	len = ip4(6, 20);
	ports(20, 80);
	cr_assert_eq(check(19), EXPOSE_DROP_TRUNCATED, "shorter than an IPv4 header");
	cr_assert_eq(check(len - 1), EXPOSE_DROP_TRUNCATED, "shorter than its total length");
	cr_assert_eq(check(len + 10), EXPOSE_PASS, "trailing bytes beyond the total length");
	pkt[0] = 0x44;
	cr_assert_eq(check(len), EXPOSE_DROP_BAD_HEADER, "IHL below 5");
	pkt[0] = 0x4f;
	cr_assert_eq(check(len), EXPOSE_DROP_BAD_HEADER, "IHL beyond the total length");
	pkt[0] = 0x45;
	pkt[2] = 0;
	pkt[3] = 10;
	cr_assert_eq(check(len), EXPOSE_DROP_BAD_HEADER, "total length below the header");
	len = ip4(6, 19);
	cr_assert_eq(check(len), EXPOSE_DROP_TRUNCATED, "TCP header cut short");
	len = ip4(6, 20);
	ports(20, 80);
	pkt[32] = 4 << 4;
	cr_assert_eq(check(len), EXPOSE_DROP_BAD_HEADER, "TCP data offset below 5");
	pkt[32] = 6 << 4;
	cr_assert_eq(check(len), EXPOSE_DROP_TRUNCATED, "TCP options beyond the packet");
	cr_assert_eq(check(ip4(17, 7)), EXPOSE_DROP_TRUNCATED, "UDP header cut short");
	cr_assert_eq(check(ip4(1, 7)), EXPOSE_DROP_TRUNCATED, "ICMP header cut short");

	len = ip6(6, 20);
	cr_assert_eq(check(39), EXPOSE_DROP_TRUNCATED, "shorter than an IPv6 header");
	cr_assert_eq(check(len - 1), EXPOSE_DROP_TRUNCATED, "shorter than its payload length");
	cr_assert_eq(check(ip6(6, 19)), EXPOSE_DROP_TRUNCATED);
	cr_assert_eq(check(ip6(58, 4)), EXPOSE_DROP_TRUNCATED);

	pkt[0] = 0x50;
	cr_assert_eq(check(60), EXPOSE_DROP_VERSION);
	pkt[0] = 0x00;
	cr_assert_eq(check(60), EXPOSE_DROP_VERSION);
}

Test(expose, ipv4_fragments)
{
	size_t len = ip4(6, 20);

	ports(20, 80);
	pkt[6] = 0x40; /* don't fragment */
	cr_assert_eq(check(len), EXPOSE_PASS);
	pkt[6] = 0x20; /* more fragments: a first piece */
	cr_assert_eq(check(len), EXPOSE_DROP_FRAGMENT);
	pkt[6] = 0x00;
	pkt[7] = 0x10; /* offset 128: a later piece, whose "ports" are payload */
	cr_assert_eq(check(len), EXPOSE_DROP_FRAGMENT);
}

Test(expose, ipv6_extension_headers)
{
	size_t len;

	/* hop-by-hop (8 bytes), then TCP */
	len = ip6(0, 8 + 20);
	pkt[40] = 6;
	pkt[41] = 0;
	pkt[48 + 12] = 5 << 4;
	ports(48, 80);
	cr_assert_eq(check(len), EXPOSE_PASS);
	ports(48, 81);
	cr_assert_eq(check(len), EXPOSE_DROP_PORT);

	/* destination options of 16 bytes, then UDP */
	len = ip6(60, 16 + 8);
	pkt[40] = 17;
	pkt[41] = 1;
	ports(56, 161);
	cr_assert_eq(check(len), EXPOSE_PASS);
	pkt[41] = 2; /* claims 24 bytes */
	cr_assert_eq(check(len), EXPOSE_DROP_TRUNCATED);

	/* an atomic fragment passes, a real one does not */
	len = ip6(44, 8 + 8);
	pkt[40] = 17;
	ports(48, 161);
	cr_assert_eq(check(len), EXPOSE_PASS);
	pkt[43] = 1; /* more fragments */
	cr_assert_eq(check(len), EXPOSE_DROP_FRAGMENT);
	pkt[43] = 0;
	pkt[42] = 0x01; /* offset 32 */
	cr_assert_eq(check(len), EXPOSE_DROP_FRAGMENT);

	len = ip6(43, 8 + 8);
	pkt[40] = 17;
	cr_assert_eq(check(len), EXPOSE_DROP_EXT_HEADER, "routing header");
	cr_assert_eq(check(ip6(0, 4)), EXPOSE_DROP_TRUNCATED, "extension header cut short");
}

Test(expose, extension_header_chain_is_bounded)
{
	size_t n = EXPOSE_MAX_EXT_HDRS + 1;
	size_t len = ip6(60, n * 8 + 8);

	for (size_t i = 0; i < n; i++)
		pkt[40 + i * 8] = i + 1 < n ? 60 : 17;
	ports(40 + n * 8, 161);
	cr_assert_eq(check(len), EXPOSE_DROP_EXT_HEADER);

	n = EXPOSE_MAX_EXT_HDRS;
	len = ip6(60, n * 8 + 8);
	for (size_t i = 0; i < n; i++)
		pkt[40 + i * 8] = i + 1 < n ? 60 : 17;
	ports(40 + n * 8, 161);
	cr_assert_eq(check(len), EXPOSE_PASS);
}

Test(expose, nothing_exposed_still_passes_icmp)
{
	cr_assert_eq(expose_parse(&ex, "", why, sizeof(why)), 0);
	size_t len = ip4(6, 20);

	ports(20, 80);
	cr_assert_eq(check(len), EXPOSE_DROP_PORT);
	len = ip4(1, 8);
	pkt[20] = 8;
	cr_assert_eq(check(len), EXPOSE_PASS);
}

Test(expose, reasons_have_distinct_names)
{
	for (int i = 0; i < EXPOSE_VERDICT_COUNT; i++) {
		cr_assert_str_neq(expose_verdict_str(i), "unknown", "%d", i);
		for (int j = i + 1; j < EXPOSE_VERDICT_COUNT; j++)
			cr_assert_str_neq(expose_verdict_str(i), expose_verdict_str(j));
	}
	cr_assert_str_eq(expose_verdict_str(EXPOSE_VERDICT_COUNT), "unknown");
}
