/* Why a message or packet was refused. Every parser in proto/ returns one
 * of these (PROTO_OK on success) so the daemons can count drops by reason;
 * proto_reason_str() gives the short name used in counters and logs. */
#ifndef TETHER_PROTO_REASON_H
#define TETHER_PROTO_REASON_H

enum proto_reason {
	PROTO_OK = 0,
	/* framing */
	PROTO_BAD_LENGTH,	/* wrong or too short length for the type */
	PROTO_BAD_TYPE,		/* unknown message type */
	PROTO_BAD_VERSION,	/* version byte not 1 */
	PROTO_BAD_RESERVED,	/* reserved bytes not zero */
	PROTO_BAD_MAC1,		/* mac1 does not match */
	PROTO_NEED_COOKIE,	/* under load and mac2 missing or wrong */
	/* Noise */
	PROTO_DECRYPT,		/* AEAD open failed */
	PROTO_LOW_ORDER,	/* DH result all zeros */
	/* TLV payloads (3.5) */
	PROTO_TLV_TRUNCATED,	/* an item runs past the payload */
	PROTO_TLV_DUPLICATE,	/* a tag repeats */
	PROTO_TLV_LENGTH,	/* a known tag's length out of range */
	PROTO_TLV_MISSING,	/* a required item is absent */
	PROTO_TLV_VALUE,	/* a value outside its range (status, MTU, ...) */
	PROTO_TLV_TOO_BIG,	/* encoding does not fit the buffer */
	PROTO_BAD_NAME,		/* device name breaks the rule of section 2 */
	PROTO_BAD_TOKEN,	/* token not 16..64 printable ASCII */
	PROTO_BAD_AGENT,	/* agent string not printable ASCII */
	PROTO_STALE_TIMESTAMP,	/* TIMESTAMP not greater than the last one */
	/* cookies */
	PROTO_BAD_COOKIE,	/* cookie reply does not decrypt or match */
	/* data messages (4) */
	PROTO_UNKNOWN_INDEX,	/* no session with that receiver index */
	PROTO_REPLAY,		/* counter already seen */
	PROTO_TOO_OLD,		/* counter behind the replay window */
	PROTO_COUNTER_LIMIT,	/* counter at or past REJECT_AFTER_MESSAGES */
	PROTO_SESSION_EXPIRED,	/* session older than REJECT_AFTER_TIME */
	PROTO_TOO_BIG,		/* packet larger than the MTU or buffer */
	/* inner packets (4) */
	PROTO_INNER_VERSION,	/* IP version not 4 or 6 */
	PROTO_INNER_LENGTH,	/* IP length shorter than header or past data */
	PROTO_INNER_SOURCE,	/* source address not the device's (spoofing) */
	PROTO_INNER_NO_IPV6,	/* IPv6 packet but no ADDR6 assigned */
	PROTO_REASON_COUNT,
};

const char *proto_reason_str(enum proto_reason reason);

#endif
