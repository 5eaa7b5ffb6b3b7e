/* The TLV payloads inside messages 1 and 2 (PROTOCOL.md 3.5): items
 * `u8 tag, u8 length, value`, encoded in ascending tag order, decoded in
 * any order into fixed structs with every rule of 3.5 checked. */
#ifndef TETHER_PROTO_TLV_H
#define TETHER_PROTO_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/reason.h"
#include "proto/wire.h"

/* Message 1 payload. Strings are stored with their length and, for the
 * caller's convenience, a NUL after them (the wire has none). A length of
 * 0 means the optional item is absent. The token is a secret: wipe the
 * struct (tlv_msg1_clear) when done with it. */
struct tlv_msg1 {
	uint8_t timestamp[WIRE_TAI64N_LEN];
	char name[WIRE_NAME_MAX + 1];
	size_t name_len;
	/* Set by decode: the NAME follows the rule of section 2. A NAME of
	 * valid length that breaks the rule still decodes, because the
	 * concentrator answers it REJECTED instead of dropping it (3.5). */
	bool name_valid;
	char token[WIRE_TOKEN_MAX + 1];
	size_t token_len;
	char agent[WIRE_AGENT_MAX + 1];
	size_t agent_len;
};

/* Message 2 payload. With STATUS OK, addr4, peer4, mtu and keepalive are
 * set; otherwise only status is (3.5: REJECTED and RETRY_LATER carry
 * STATUS only). The URL is display text from the authenticated
 * concentrator, any bytes: escape it before printing it to a terminal. */
struct tlv_msg2 {
	uint8_t status; /* enum wire_status */
	uint8_t addr4[4];
	uint8_t peer4[4];
	uint16_t mtu;
	uint16_t keepalive; /* seconds */
	bool has_addr6;
	uint8_t addr6[16];
	bool has_peer6;
	uint8_t peer6[16];
	char url[WIRE_URL_MAX + 1];
	size_t url_len;
};

/* Encoders refuse exactly what the decoders refuse, so encode(x) succeeds
 * if and only if its output decodes: a NAME of 1..63 bytes is written
 * whatever its characters (PROTO_TLV_LENGTH otherwise), a token must be
 * 16..64 bytes of 0x20..0x7e (PROTO_TLV_LENGTH, PROTO_BAD_TOKEN), an AGENT
 * 1..64 bytes of 0x20..0x7e (PROTO_TLV_LENGTH, PROTO_BAD_AGENT), a status
 * 0..2 and MTU and KEEPALIVE in range (PROTO_TLV_VALUE), a URL up to 255
 * bytes (PROTO_TLV_LENGTH). PROTO_TLV_TOO_BIG when out_size is short. */
enum proto_reason tlv_msg1_encode(const struct tlv_msg1 *in, uint8_t *out, size_t out_size,
				  size_t *out_len);
enum proto_reason tlv_msg2_encode(const struct tlv_msg2 *in, uint8_t *out, size_t out_size,
				  size_t *out_len);

/* Decoders, each with its own tag table; unknown tags are skipped. In
 * the order met while walking the items: PROTO_TLV_TRUNCATED (an item or
 * its header runs past the payload), PROTO_TLV_DUPLICATE, PROTO_TLV_LENGTH
 * (a known tag's length out of range); then PROTO_TLV_MISSING for an
 * absent required item; then the values: PROTO_BAD_TOKEN and
 * PROTO_BAD_AGENT (a byte outside 0x20..0x7e), PROTO_TLV_VALUE (STATUS
 * above 2, MTU outside 576..9000, KEEPALIVE outside 1..3600), and
 * PROTO_TLV_MISSING for an item STATUS OK requires. On failure the struct
 * is zeroed. */
enum proto_reason tlv_msg1_decode(struct tlv_msg1 *out, const uint8_t *in, size_t len);
enum proto_reason tlv_msg2_decode(struct tlv_msg2 *out, const uint8_t *in, size_t len);

/* Wipe a payload that held a token. */
void tlv_msg1_clear(struct tlv_msg1 *m);

#endif
