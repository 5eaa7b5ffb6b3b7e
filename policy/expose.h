/* The agent's exposure filter: which inbound packets from the tunnel may reach the device.
 * Pure code, called per packet: no allocation, no I/O, bounded parsing. The agent has no
 * nftables; this is its firewall for tunnel traffic. */
#ifndef TETHER_POLICY_EXPOSE_H
#define TETHER_POLICY_EXPOSE_H

#include <stddef.h>
#include <stdint.h>

enum {
	EXPOSE_MAX_ITEMS = 32,	 /* ranges per protocol */
	EXPOSE_VALUE_MAX = 512,	 /* characters of the `expose` value */
	EXPOSE_MAX_EXT_HDRS = 8, /* IPv6 extension headers walked before giving up */
};

struct expose_ports {
	uint16_t lo;
	uint16_t hi;
};

/* The parsed `expose` value: TCP and UDP port ranges that the tunnel may reach. */
struct expose {
	unsigned int ntcp;
	unsigned int nudp;
	struct expose_ports tcp[EXPOSE_MAX_ITEMS];
	struct expose_ports udp[EXPOSE_MAX_ITEMS];
};

/* What expose_check() decided. Everything but EXPOSE_PASS is a drop, named for its reason so
 * that the agent can count drops per reason. */
enum expose_verdict {
	EXPOSE_PASS = 0,
	EXPOSE_DROP_TRUNCATED,	/* shorter than a header it needs, or than it says it is */
	EXPOSE_DROP_VERSION,	/* neither IPv4 nor IPv6 */
	EXPOSE_DROP_BAD_HEADER, /* impossible lengths: IPv4 IHL or total length, TCP offset */
	EXPOSE_DROP_FRAGMENT,	/* a fragment: its ports cannot all be checked */
	EXPOSE_DROP_EXT_HEADER, /* IPv6 routing header, or too many extension headers */
	EXPOSE_DROP_PROTOCOL,	/* not TCP, UDP, ICMP or ICMPv6 */
	EXPOSE_DROP_PORT,	/* TCP or UDP to a port that is not exposed */
	EXPOSE_DROP_ICMP_TYPE,	/* an ICMP type that is neither echo nor needed for path MTU */
	EXPOSE_VERDICT_COUNT,
};

/* Parses the `expose` value: a comma list of items, each a port or a range with an optional
 * protocol prefix: `80,443`, `tcp/8000-8080`, `udp/161`, `80, udp/161-162`. A bare port is TCP.
 * An empty value exposes nothing. On error returns -EINVAL and writes what was wrong, with the
 * offending item, into why (e.g. "bad port '70000'"). */
int expose_parse(struct expose *e, const char *value, char *why, size_t why_size);

/* Checks an inbound IP packet (what the agent would write to its TUN). Passes TCP and UDP to
 * exposed ports; ICMP and ICMPv6 echo request and reply; destination unreachable, packet too big
 * and time exceeded (needed for path MTU and traceroute). Drops everything else. */
enum expose_verdict expose_check(const struct expose *e, const uint8_t *pkt, size_t len);

const char *expose_verdict_str(enum expose_verdict v);

#endif
