/* The agent's exposure filter: parses the `expose` value once, then checks each inbound packet
 * against it. Every length is checked before the field it guards is read (the shape of
 * wireguard's receive.c); a drop names its reason. */
#include "policy/expose.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	IPV4_HDR = 20,
	IPV6_HDR = 40,
	TCP_HDR = 20,
	UDP_HDR = 8,
	ICMP_HDR = 8,
	EXT_HDR_MIN = 8,
};

enum {
	IPPROTO_HOPOPTS_ = 0,
	IPPROTO_ICMP_ = 1,
	IPPROTO_TCP_ = 6,
	IPPROTO_UDP_ = 17,
	IPPROTO_ROUTING_ = 43,
	IPPROTO_FRAGMENT_ = 44,
	IPPROTO_ICMPV6_ = 58,
	IPPROTO_DSTOPTS_ = 60,
};

enum icmp_type {
	ICMP4_ECHO_REPLY = 0,
	ICMP4_DEST_UNREACH = 3, /* includes "fragmentation needed": path MTU */
	ICMP4_ECHO_REQUEST = 8,
	ICMP4_TIME_EXCEEDED = 11,
	ICMP6_DEST_UNREACH = 1,
	ICMP6_PACKET_TOO_BIG = 2, /* path MTU */
	ICMP6_TIME_EXCEEDED = 3,
	ICMP6_ECHO_REQUEST = 128,
	ICMP6_ECHO_REPLY = 129,
};

static const char *const names[EXPOSE_VERDICT_COUNT] = {
	[EXPOSE_PASS] = "pass",
	[EXPOSE_DROP_TRUNCATED] = "truncated",
	[EXPOSE_DROP_VERSION] = "ip_version",
	[EXPOSE_DROP_BAD_HEADER] = "bad_header",
	[EXPOSE_DROP_FRAGMENT] = "fragment",
	[EXPOSE_DROP_EXT_HEADER] = "ext_header",
	[EXPOSE_DROP_PROTOCOL] = "protocol",
	[EXPOSE_DROP_PORT] = "port",
	[EXPOSE_DROP_ICMP_TYPE] = "icmp_type",
};

const char *expose_verdict_str(enum expose_verdict v)
{
	if ((unsigned int)v >= EXPOSE_VERDICT_COUNT || !names[v])
		return "unknown";
	return names[v];
}

/* A decimal port 1..65535, no sign, no leading zero. */
static bool port(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 5 || (s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int cmp_ports(const void *a, const void *b)
{
	const struct expose_ports *x = a, *y = b;

	return (int)x->lo - (int)y->lo;
}

/* Sorted and merged, so a lookup can stop at the first range above the port. */
static unsigned int merge(struct expose_ports *r, unsigned int n)
{
	unsigned int out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(r[0]), cmp_ports);
	out = 1;
	for (unsigned int i = 1; i < n; i++) {
		if (r[i].lo <= (unsigned int)r[out - 1].hi + 1) {
			if (r[i].hi > r[out - 1].hi)
				r[out - 1].hi = r[i].hi;
		} else {
			r[out++] = r[i];
		}
	}
	return out;
}

static void say(char *why, size_t size, const char *what, const char *s, size_t len)
{
	char tok[48];
	size_t i;

	if (!why || !size)
		return;
	for (i = 0; i < len && i + 1 < sizeof(tok); i++)
		tok[i] = (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\'') ? s[i] : '?';
	tok[i] = '\0';
	snprintf(why, size, "%s '%s'", what, tok);
}

int expose_parse(struct expose *e, const char *value, char *why, size_t why_size)
{
	const char *p = value;
	size_t vlen;

	memset(e, 0, sizeof(*e));
	if (!value) {
		say(why, why_size, "no value", "", 0);
		return -EINVAL;
	}
	vlen = strnlen(value, EXPOSE_VALUE_MAX + 1);
	if (vlen > EXPOSE_VALUE_MAX) {
		say(why, why_size, "value too long", value, 16);
		return -EINVAL;
	}
	if (strspn(value, " \t") == vlen)
		return 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		struct expose_ports *list = e->tcp, r;
		unsigned int *n = &e->ntcp;
		const char *s = p, *dash;

		/* spaces around an item are fine ("80, 443"); inside one they are not */
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			say(why, why_size, "empty item in", value, vlen);
			return -EINVAL;
		}
		const char *item = s;
		size_t ilen = len;

		if (len > 4 && !memcmp(s, "udp/", 4)) {
			list = e->udp;
			n = &e->nudp;
			s += 4;
			len -= 4;
		} else if (len > 4 && !memcmp(s, "tcp/", 4)) {
			s += 4;
			len -= 4;
		}
		dash = memchr(s, '-', len);
		if (dash) {
			size_t llen = (size_t)(dash - s);

			if (!port(s, llen, &r.lo) || !port(dash + 1, len - llen - 1, &r.hi) ||
			    r.lo > r.hi) {
				say(why, why_size, "bad port range", item, ilen);
				return -EINVAL;
			}
		} else {
			if (!port(s, len, &r.lo)) {
				say(why, why_size, "bad port", item, ilen);
				return -EINVAL;
			}
			r.hi = r.lo;
		}
		if (*n == EXPOSE_MAX_ITEMS) {
			say(why, why_size, "too many items at", item, ilen);
			return -EINVAL;
		}
		list[(*n)++] = r;
		if (!comma)
			break;
		p = comma + 1;
	}
	e->ntcp = merge(e->tcp, e->ntcp);
	e->nudp = merge(e->udp, e->nudp);
	return 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool exposed(const struct expose_ports *r, unsigned int n, uint16_t dport)
{
	for (unsigned int i = 0; i < n && r[i].lo <= dport; i++)
		if (dport <= r[i].hi)
			return true;
	return false;
}

/* The transport header at l4 (len bytes up to the end of the IP payload). */
static enum expose_verdict check_l4(const struct expose *e, unsigned int proto, const uint8_t *l4,
				    size_t len)
{
	unsigned int type;

	switch (proto) {
	case IPPROTO_TCP_:
		if (len < TCP_HDR)
			return EXPOSE_DROP_TRUNCATED;
		/* data offset: a header shorter than 20 bytes or longer than the packet is
		 * malformed, whatever the port */
		if ((size_t)(l4[12] >> 4) * 4 < TCP_HDR)
			return EXPOSE_DROP_BAD_HEADER;
		if ((size_t)(l4[12] >> 4) * 4 > len)
			return EXPOSE_DROP_TRUNCATED;
		return exposed(e->tcp, e->ntcp, be16(l4 + 2)) ? EXPOSE_PASS : EXPOSE_DROP_PORT;
	case IPPROTO_UDP_:
		if (len < UDP_HDR)
			return EXPOSE_DROP_TRUNCATED;
		return exposed(e->udp, e->nudp, be16(l4 + 2)) ? EXPOSE_PASS : EXPOSE_DROP_PORT;
	case IPPROTO_ICMP_:
		if (len < ICMP_HDR)
			return EXPOSE_DROP_TRUNCATED;
		type = l4[0];
		if (type == ICMP4_ECHO_REQUEST || type == ICMP4_ECHO_REPLY ||
		    type == ICMP4_DEST_UNREACH || type == ICMP4_TIME_EXCEEDED)
			return EXPOSE_PASS;
		return EXPOSE_DROP_ICMP_TYPE;
	case IPPROTO_ICMPV6_:
		if (len < ICMP_HDR)
			return EXPOSE_DROP_TRUNCATED;
		type = l4[0];
		if (type == ICMP6_ECHO_REQUEST || type == ICMP6_ECHO_REPLY ||
		    type == ICMP6_DEST_UNREACH || type == ICMP6_PACKET_TOO_BIG ||
		    type == ICMP6_TIME_EXCEEDED)
			return EXPOSE_PASS;
		return EXPOSE_DROP_ICMP_TYPE;
	default:
		return EXPOSE_DROP_PROTOCOL;
	}
}

static enum expose_verdict check4(const struct expose *e, const uint8_t *pkt, size_t len)
{
	size_t ihl, total;

	if (len < IPV4_HDR)
		return EXPOSE_DROP_TRUNCATED;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	total = be16(pkt + 2);
	if (ihl < IPV4_HDR || total < ihl)
		return EXPOSE_DROP_BAD_HEADER;
	if (total > len)
		return EXPOSE_DROP_TRUNCATED;
	/* more-fragments set or an offset: a stateless filter sees the ports of the first piece
	 * only and has to drop the others, so the datagram could never be completed; drop the
	 * first piece too, and the device holds no reassembly state for it */
	if (be16(pkt + 6) & 0x3fff)
		return EXPOSE_DROP_FRAGMENT;
	/* ICMP proto 58 is meaningless inside IPv4 */
	if (pkt[9] == IPPROTO_ICMPV6_)
		return EXPOSE_DROP_PROTOCOL;
	return check_l4(e, pkt[9], pkt + ihl, total - ihl);
}

static enum expose_verdict check6(const struct expose *e, const uint8_t *pkt, size_t len)
{
	size_t end, off = IPV6_HDR;
	unsigned int next;

	if (len < IPV6_HDR)
		return EXPOSE_DROP_TRUNCATED;
	end = IPV6_HDR + (size_t)be16(pkt + 4);
	if (end > len)
		return EXPOSE_DROP_TRUNCATED;
	next = pkt[6];
	for (unsigned int i = 0;; i++) {
		switch (next) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_FRAGMENT_:
			break;
		case IPPROTO_ROUTING_:
			/* the device is the destination; a routing header has no business here */
			return EXPOSE_DROP_EXT_HEADER;
		case IPPROTO_ICMP_:
			return EXPOSE_DROP_PROTOCOL;
		default:
			return check_l4(e, next, pkt + off, end - off);
		}
		if (i == EXPOSE_MAX_EXT_HDRS)
			return EXPOSE_DROP_EXT_HEADER;
		if (end - off < EXT_HDR_MIN)
			return EXPOSE_DROP_TRUNCATED;
		if (next == IPPROTO_FRAGMENT_) {
			/* offset or more-fragments set; an atomic fragment (RFC 6946) is whole */
			if (be16(pkt + off + 2) & 0xfff9)
				return EXPOSE_DROP_FRAGMENT;
			next = pkt[off];
			off += EXT_HDR_MIN;
			continue;
		}
		size_t hlen = ((size_t)pkt[off + 1] + 1) * 8;

		if (hlen > end - off)
			return EXPOSE_DROP_TRUNCATED;
		next = pkt[off];
		off += hlen;
	}
}

enum expose_verdict expose_check(const struct expose *e, const uint8_t *pkt, size_t len)
{
	if (!pkt || len < 1)
		return EXPOSE_DROP_TRUNCATED;
	switch (pkt[0] >> 4) {
	case 4:
		return check4(e, pkt, len);
	case 6:
		return check6(e, pkt, len);
	default:
		return EXPOSE_DROP_VERSION;
	}
}
