/* Inner packet checks of section 4: IP version, the IPv4 and IPv6 length
 * rules (padding ignored) and the concentrator's anti-spoofing check. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/inner.h"

static const struct inner_addrs dev4 = {.addr4 = {100, 64, 0, 2}};
static const struct inner_addrs dev6 = {
	.addr4 = {100, 64, 0, 2},
	.addr6 = {0xfd, 0x00, 0x74, 0x74, [15] = 2},
	.has_addr6 = true,
};

/* An IPv4 header of ihl words and the given total length, 100.64.0.2 ->
 * 100.64.0.1, in a zeroed buffer. */
static void ipv4(uint8_t *p, unsigned ihl, unsigned total)
{
	p[0] = (uint8_t)(0x40 | ihl);
	p[2] = (uint8_t)(total >> 8), p[3] = (uint8_t)total;
	p[8] = 64, p[9] = 1;
	memcpy(p + 12, dev4.addr4, 4);
	memcpy(p + 16, (uint8_t[]){100, 64, 0, 1}, 4);
}

static void ipv6(uint8_t *p, unsigned payload, const uint8_t *src)
{
	p[0] = 0x60;
	p[4] = (uint8_t)(payload >> 8), p[5] = (uint8_t)payload;
	p[6] = 58, p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, (uint8_t[16]){0xfd, 0x00, 0x74, 0x74, [15] = 1}, 16);
}

Test(inner, ipv4_padding_ignored)
{
	uint8_t p[96] = {0};
	struct inner_packet pkt;

	ipv4(p, 5, 84);
	cr_assert_eq(inner_parse(p, sizeof(p), &pkt), PROTO_OK);
	cr_assert_eq(pkt.version, 4);
	cr_assert_eq(pkt.len, 84);
	cr_assert_eq(pkt.data, p);
	cr_assert_arr_eq(inner_dst(&pkt), ((uint8_t[]){100, 64, 0, 1}), 4);
	cr_assert_eq(inner_parse(p, 84, &pkt), PROTO_OK, "unpadded");
	cr_assert_eq(pkt.len, 84);
}

Test(inner, ipv4_lengths)
{
	uint8_t p[100] = {0};
	struct inner_packet pkt;

	ipv4(p, 5, 20);
	cr_assert_eq(inner_parse(p, 20, &pkt), PROTO_OK, "a bare header");
	cr_assert_eq(inner_parse(p, 19, &pkt), PROTO_INNER_LENGTH, "shorter than a header");
	cr_assert_eq(inner_parse(p, 1, &pkt), PROTO_INNER_LENGTH);
	cr_assert_eq(inner_parse(p, 0, &pkt), PROTO_INNER_LENGTH, "empty");
	ipv4(p, 4, 40);
	cr_assert_eq(inner_parse(p, 40, &pkt), PROTO_INNER_LENGTH, "IHL below 5");
	ipv4(p, 0, 40);
	cr_assert_eq(inner_parse(p, 40, &pkt), PROTO_INNER_LENGTH, "IHL 0");
	ipv4(p, 6, 23);
	cr_assert_eq(inner_parse(p, 40, &pkt), PROTO_INNER_LENGTH, "total below IHL * 4");
	ipv4(p, 6, 24);
	cr_assert_eq(inner_parse(p, 40, &pkt), PROTO_OK, "options");
	cr_assert_eq(pkt.len, 24);
	ipv4(p, 15, 60);
	cr_assert_eq(inner_parse(p, 60, &pkt), PROTO_OK, "largest header");
	ipv4(p, 5, 41);
	cr_assert_eq(inner_parse(p, 40, &pkt), PROTO_INNER_LENGTH, "past the plaintext");
	ipv4(p, 5, 0);
	cr_assert_eq(inner_parse(p, 40, &pkt), PROTO_INNER_LENGTH, "total length 0");
	ipv4(p, 5, 65535);
	cr_assert_eq(inner_parse(p, sizeof(p), &pkt), PROTO_INNER_LENGTH);
}

Test(inner, ipv6_lengths)
{
	uint8_t p[80] = {0};
	struct inner_packet pkt;

	ipv6(p, 8, dev6.addr6);
	cr_assert_eq(inner_parse(p, sizeof(p), &pkt), PROTO_OK);
	cr_assert_eq(pkt.version, 6);
	cr_assert_eq(pkt.len, 48, "padding ignored");
	cr_assert_eq(inner_dst(&pkt)[15], 1);
	cr_assert_eq(inner_parse(p, 48, &pkt), PROTO_OK);
	cr_assert_eq(inner_parse(p, 47, &pkt), PROTO_INNER_LENGTH, "payload past the plaintext");
	cr_assert_eq(inner_parse(p, 39, &pkt), PROTO_INNER_LENGTH, "shorter than a header");
	ipv6(p, 0, dev6.addr6);
	cr_assert_eq(inner_parse(p, 40, &pkt), PROTO_OK, "no payload");
	cr_assert_eq(pkt.len, 40);
	ipv6(p, 65535, dev6.addr6);
	cr_assert_eq(inner_parse(p, sizeof(p), &pkt), PROTO_INNER_LENGTH);
}

Test(inner, version)
{
	uint8_t p[64] = {0};
	struct inner_packet pkt;

	for (unsigned v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		p[0] = (uint8_t)(v << 4 | 5);
		cr_assert_eq(inner_parse(p, sizeof(p), &pkt), PROTO_INNER_VERSION, "version %u", v);
		cr_assert_eq(inner_parse(p, 1, &pkt), PROTO_INNER_VERSION);
	}
}

Test(inner, ipv4_source)
{
	uint8_t p[20] = {0};
	struct inner_packet pkt;

	ipv4(p, 5, 20);
	cr_assert_eq(inner_parse(p, sizeof(p), &pkt), PROTO_OK);
	cr_assert_eq(inner_check_source(&pkt, &dev4), PROTO_OK);
	for (int i = 12; i < 16; i++) {
		p[i] ^= 1;
		cr_assert_eq(inner_check_source(&pkt, &dev4), PROTO_INNER_SOURCE, "byte %d", i);
		p[i] ^= 1;
	}
	/* the destination is not the source */
	memcpy(p + 12, (uint8_t[]){100, 64, 0, 1}, 4);
	cr_assert_eq(inner_check_source(&pkt, &dev4), PROTO_INNER_SOURCE);
}

Test(inner, ipv6_source)
{
	uint8_t p[40] = {0};
	uint8_t other[16] = {0xfe, 0x80, [15] = 2};
	struct inner_packet pkt;

	ipv6(p, 0, dev6.addr6);
	cr_assert_eq(inner_parse(p, sizeof(p), &pkt), PROTO_OK);
	cr_assert_eq(inner_check_source(&pkt, &dev6), PROTO_OK);
	/* no ADDR6: every IPv6 packet goes, counted apart from spoofing */
	cr_assert_eq(inner_check_source(&pkt, &dev4), PROTO_INNER_NO_IPV6);
	ipv6(p, 0, other);
	cr_assert_eq(inner_check_source(&pkt, &dev6), PROTO_INNER_SOURCE, "link-local too");
	cr_assert_eq(inner_check_source(&pkt, &dev4), PROTO_INNER_NO_IPV6);
	/* the device's IPv4 address in IPv4-mapped form is still spoofing */
	uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 100, 64, 0, 2};

	ipv6(p, 0, mapped);
	cr_assert_eq(inner_check_source(&pkt, &dev6), PROTO_INNER_SOURCE);
}
