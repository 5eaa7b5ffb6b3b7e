/* The Tether v1 wire format (PROTOCOL.md): message types, sizes, offsets
 * and protocol constants, defined once. Every other module takes its
 * numbers from here. Integers on the wire are little-endian. */
#ifndef TETHER_PROTO_WIRE_H
#define TETHER_PROTO_WIRE_H

#include <stdint.h>

enum wire_type {
	WIRE_TYPE_INITIATION = 0x01,
	WIRE_TYPE_RESPONSE = 0x02,
	WIRE_TYPE_COOKIE = 0x03,
	WIRE_TYPE_DATA = 0x04,
};

enum wire_version { WIRE_VERSION = 0x01 };

enum wire_sizes {
	WIRE_KEY_LEN = 32,	 /* X25519 public or private key */
	WIRE_KEY_B64_LEN = 44, /* standard base64 with padding, no NUL */
	WIRE_HASH_LEN = 64,	 /* BLAKE2b output used by Noise */
	WIRE_TAG_LEN = 16,	 /* Poly1305 tag */
	WIRE_MAC_LEN = 16,	 /* mac1, mac2, cookie */
	WIRE_TAI64N_LEN = 12,
	WIRE_COOKIE_NONCE_LEN = 24,

	/* 3.1 message 1: header, e, encrypted static, payload+tag, mac1, mac2 */
	WIRE_INIT_OFF_SENDER = 4,
	WIRE_INIT_OFF_E = 8,
	WIRE_INIT_OFF_STATIC = 40,
	WIRE_INIT_OFF_PAYLOAD = 88,
	WIRE_INIT_OVERHEAD = 136, /* total = overhead + payload length */
	WIRE_INIT_MIN_PAYLOAD = 17,
	WIRE_INIT_MIN_LEN = WIRE_INIT_OVERHEAD + WIRE_INIT_MIN_PAYLOAD, /* 153 */

	/* 3.2 message 2 */
	WIRE_RESP_OFF_SENDER = 4,
	WIRE_RESP_OFF_RECEIVER = 8,
	WIRE_RESP_OFF_E = 12,
	WIRE_RESP_OFF_PAYLOAD = 44,
	WIRE_RESP_OVERHEAD = 92, /* total = overhead + payload length */
	WIRE_RESP_MIN_PAYLOAD = 3, /* STATUS alone */
	WIRE_RESP_MIN_LEN = WIRE_RESP_OVERHEAD + WIRE_RESP_MIN_PAYLOAD,

	/* 3.4 cookie reply */
	WIRE_COOKIE_OFF_RECEIVER = 4,
	WIRE_COOKIE_OFF_NONCE = 8,
	WIRE_COOKIE_OFF_COOKIE = 32,
	WIRE_COOKIE_LEN = 64,

	/* 4. data message: header, counter, ciphertext+tag */
	WIRE_DATA_OFF_RECEIVER = 4,
	WIRE_DATA_OFF_COUNTER = 8,
	WIRE_DATA_OFF_PAYLOAD = 16,
	WIRE_DATA_OVERHEAD = 32, /* header 16 + tag 16 */
	WIRE_DATA_PAD = 16,	 /* padding multiple */

	/* handshake payloads are bounded so every buffer is fixed-size: the
	 * largest known message 1 payload is 14+65+66+66 = 211 bytes, message 2
	 * 3+6+6+4+4+18+18+257 = 316 bytes; unknown items may add to it. */
	WIRE_PAYLOAD_MAX = 1024,
	WIRE_INIT_MAX_LEN = WIRE_INIT_OVERHEAD + WIRE_PAYLOAD_MAX,
	WIRE_RESP_MAX_LEN = WIRE_RESP_OVERHEAD + WIRE_PAYLOAD_MAX,
};

/* 3.5 TLV tags, each message its own table */
enum wire_tag {
	WIRE_TAG_TIMESTAMP = 0x01,
	WIRE_TAG_NAME = 0x02,
	WIRE_TAG_ENROLL_TOKEN = 0x03,
	WIRE_TAG_AGENT = 0x04,

	WIRE_TAG_STATUS = 0x10,
	WIRE_TAG_ADDR4 = 0x11,
	WIRE_TAG_PEER4 = 0x12,
	WIRE_TAG_MTU = 0x13,
	WIRE_TAG_KEEPALIVE = 0x14,
	WIRE_TAG_ADDR6 = 0x15,
	WIRE_TAG_PEER6 = 0x16,
	WIRE_TAG_URL = 0x17,
};

enum wire_status {
	WIRE_STATUS_OK = 0,
	WIRE_STATUS_REJECTED = 1,
	WIRE_STATUS_RETRY_LATER = 2,
};

enum wire_limits {
	WIRE_NAME_MAX = 63,
	WIRE_TOKEN_MIN = 16,
	WIRE_TOKEN_MAX = 64,
	WIRE_AGENT_MAX = 64,
	WIRE_URL_MAX = 255,
	WIRE_MTU_MIN = 576,
	WIRE_MTU_MAX = 9000,
	WIRE_MTU_DEFAULT = 1420,
	WIRE_KEEPALIVE_MIN = 1,
	WIRE_KEEPALIVE_MAX = 3600,
	WIRE_PORT_DEFAULT = 51900,
	/* counters remembered (at least 2048): one 64-bit block short of a
	 * 64-block ring, so a session's window costs 512 bytes */
	WIRE_REPLAY_WINDOW = 4032,
};

/* 5. timers, in nanoseconds: daemons pass `now` as CLOCK_MONOTONIC ns */
#define WIRE_NSEC_PER_SEC 1000000000ULL
#define WIRE_REKEY_AFTER_TIME (120 * WIRE_NSEC_PER_SEC)
#define WIRE_REJECT_AFTER_TIME (180 * WIRE_NSEC_PER_SEC)
#define WIRE_REKEY_TIMEOUT (5 * WIRE_NSEC_PER_SEC)
#define WIRE_REKEY_JITTER_PERCENT 20
#define WIRE_KEEPALIVE_DEFAULT (25 * WIRE_NSEC_PER_SEC)
#define WIRE_OFFLINE_KEEPALIVES 3
#define WIRE_BACKOFF_MIN (5 * WIRE_NSEC_PER_SEC)
#define WIRE_BACKOFF_MAX (300 * WIRE_NSEC_PER_SEC)
#define WIRE_COOKIE_SECRET_LIFETIME (120 * WIRE_NSEC_PER_SEC)
#define WIRE_REKEY_AFTER_MESSAGES (1ULL << 60)
#define WIRE_REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13))

#define WIRE_PROLOGUE "tether/1"
#define WIRE_PROTOCOL_NAME "Noise_IK_25519_ChaChaPoly_BLAKE2b"
#define WIRE_LABEL_MAC1 "mac1"
#define WIRE_LABEL_COOKIE "cookie"

_Static_assert(WIRE_INIT_OFF_PAYLOAD == WIRE_INIT_OFF_STATIC + WIRE_KEY_LEN + WIRE_TAG_LEN,
	       "message 1 layout");
_Static_assert(WIRE_INIT_OVERHEAD == WIRE_INIT_OFF_PAYLOAD + WIRE_TAG_LEN + 2 * WIRE_MAC_LEN,
	       "message 1 overhead");
_Static_assert(WIRE_RESP_OVERHEAD == WIRE_RESP_OFF_PAYLOAD + WIRE_TAG_LEN + 2 * WIRE_MAC_LEN,
	       "message 2 overhead");
_Static_assert(WIRE_COOKIE_LEN == WIRE_COOKIE_OFF_COOKIE + WIRE_MAC_LEN + WIRE_TAG_LEN,
	       "cookie reply layout");
_Static_assert(WIRE_DATA_OVERHEAD == WIRE_DATA_OFF_PAYLOAD + WIRE_TAG_LEN, "data layout");

#endif
