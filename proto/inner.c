/* Inner packet checks of PROTOCOL.md section 4: only the few IPv4 and IPv6
 * header fields the tunnel relies on (version, lengths, addresses) are
 * read; everything else is the kernel's business. */
#include <string.h>

#include "proto/inner.h"

enum {
	IPV4_OFF_TOTAL_LEN = 2,
	IPV4_OFF_SRC = 12,
	IPV4_OFF_DST = 16,
	IPV6_OFF_PAYLOAD_LEN = 4,
	IPV6_OFF_SRC = 8,
	IPV6_OFF_DST = 24,
};

static size_t get_be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

enum proto_reason inner_parse(const uint8_t *plain, size_t len, struct inner_packet *pkt)
{
	size_t header, total;

	if (len < 1)
		return PROTO_INNER_LENGTH;
	switch (plain[0] >> 4) {
	case 4:
		if (len < INNER_IPV4_MIN_HEADER)
			return PROTO_INNER_LENGTH;
		header = (size_t)(plain[0] & 0x0f) * 4;
		total = get_be16(plain + IPV4_OFF_TOTAL_LEN);
		if (header < INNER_IPV4_MIN_HEADER || total < header || total > len)
			return PROTO_INNER_LENGTH;
		pkt->version = 4;
		break;
	case 6:
		if (len < INNER_IPV6_HEADER)
			return PROTO_INNER_LENGTH;
		total = INNER_IPV6_HEADER + get_be16(plain + IPV6_OFF_PAYLOAD_LEN);
		if (total > len)
			return PROTO_INNER_LENGTH;
		pkt->version = 6;
		break;
	default:
		return PROTO_INNER_VERSION;
	}
	pkt->data = plain;
	pkt->len = total;
	return PROTO_OK;
}

enum proto_reason inner_check_source(const struct inner_packet *pkt, const struct inner_addrs *dev)
{
	if (pkt->version == 4) {
		if (memcmp(pkt->data + IPV4_OFF_SRC, dev->addr4, INNER_IPV4_ADDR_LEN) != 0)
			return PROTO_INNER_SOURCE;
		return PROTO_OK;
	}
	/* no ADDR6: the device may not speak IPv6 through the tunnel at all */
	if (!dev->has_addr6)
		return PROTO_INNER_NO_IPV6;
	if (memcmp(pkt->data + IPV6_OFF_SRC, dev->addr6, INNER_IPV6_ADDR_LEN) != 0)
		return PROTO_INNER_SOURCE;
	return PROTO_OK;
}

const uint8_t *inner_dst(const struct inner_packet *pkt)
{
	return pkt->data + (pkt->version == 4 ? IPV4_OFF_DST : IPV6_OFF_DST);
}
