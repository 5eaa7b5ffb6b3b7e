/* Checks on the inner packet a data message carries (PROTOCOL.md section
 * 4): IP version and length, then the concentrator's anti-spoofing check
 * of the source address. Called per packet: no copy, no allocation. */
#ifndef TETHER_PROTO_INNER_H
#define TETHER_PROTO_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/reason.h"

enum inner_sizes {
	INNER_IPV4_MIN_HEADER = 20,
	INNER_IPV6_HEADER = 40,
	INNER_IPV4_ADDR_LEN = 4,
	INNER_IPV6_ADDR_LEN = 16,
};

/* An inner packet that passed inner_parse; it points into the plaintext. */
struct inner_packet {
	const uint8_t *data;
	size_t len;	 /* the IP header's length: the padding after it excluded */
	uint8_t version; /* 4 or 6 */
};

/* The tunnel addresses a device was given in message 2, network byte order. */
struct inner_addrs {
	uint8_t addr4[INNER_IPV4_ADDR_LEN];
	uint8_t addr6[INNER_IPV6_ADDR_LEN];
	bool has_addr6; /* an ADDR6 was assigned */
};

/* Check a decrypted, non-empty plaintext: IP version 4 or 6
 * (PROTO_INNER_VERSION), an IPv4 total length with 20 <= IHL * 4 <= total
 * length <= len, or an IPv6 40 + payload length <= len
 * (PROTO_INNER_LENGTH). Fills pkt; pkt->len is where the packet ends, the
 * bytes after it are padding to ignore. An empty plaintext is a keepalive,
 * not a packet: callers treat it before (here it is PROTO_INNER_LENGTH). */
enum proto_reason inner_parse(const uint8_t *plain, size_t len, struct inner_packet *pkt);

/* Anti-spoofing on the concentrator: the source must be the device's
 * tunnel address (PROTO_INNER_SOURCE); any IPv6 packet from a device
 * without ADDR6 is PROTO_INNER_NO_IPV6, counted apart. */
enum proto_reason inner_check_source(const struct inner_packet *pkt, const struct inner_addrs *dev);

/* The destination address inside pkt, INNER_IPV4_ADDR_LEN or
 * INNER_IPV6_ADDR_LEN bytes by pkt->version, for routing on the agent. */
const uint8_t *inner_dst(const struct inner_packet *pkt);

#endif
