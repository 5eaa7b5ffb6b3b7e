/* Data messages (PROTOCOL.md section 4): parse the 16-byte header, seal an
 * inner packet and open it again, in place in the caller's buffer. No
 * allocation, no copy beyond the AEAD itself: this is the per-packet path. */
#ifndef TETHER_PROTO_DATA_H
#define TETHER_PROTO_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "proto/reason.h"
#include "proto/wire.h"

/* The cleartext fields of a data message. */
struct data_header {
	uint32_t receiver; /* the index the receiver chose for the session */
	uint64_t counter;  /* also the AEAD nonce */
};

/* Check type, reserved bytes and the minimum length (a keepalive, 32 bytes)
 * before reading any field; fill hdr. PROTO_BAD_LENGTH, PROTO_BAD_TYPE or
 * PROTO_BAD_RESERVED otherwise. */
enum proto_reason data_parse(const uint8_t *msg, size_t len, struct data_header *hdr);

/* The plaintext length for an inner packet of len bytes: rounded up to a
 * multiple of WIRE_DATA_PAD but never past mtu (section 4). A packet
 * already at or past mtu is not padded. */
size_t data_padded_len(size_t len, size_t mtu);

/* Seal in place. The caller has put the inner packet (len bytes, 0 for a
 * keepalive) at msg + WIRE_DATA_OFF_PAYLOAD, e.g. by reading the TUN there;
 * this writes the header, the zero padding up to data_padded_len(len, mtu),
 * encrypts and appends the tag. cap is the size of msg. *msg_len gets the
 * datagram's length. PROTO_TOO_BIG, with nothing written, when len > mtu
 * or the unpadded message does not fit in cap (padding is optional, so when
 * only the padding does not fit the packet goes unpadded). */
enum proto_reason data_seal(uint8_t *msg, size_t cap, const uint8_t key[WIRE_KEY_LEN],
			    uint32_t receiver, uint64_t counter, size_t len, size_t mtu,
			    size_t *msg_len);

/* Open a message that data_parse accepted (hdr is its header) into out,
 * which is either
 * msg + WIRE_DATA_OFF_PAYLOAD (in place) or a buffer that does not overlap
 * msg; out_cap is its size. *plain_len gets the plaintext length (0 for a
 * keepalive; padding included, inner_parse finds the packet's end).
 * PROTO_TOO_BIG when out is too small, PROTO_DECRYPT when the tag is wrong
 * (out is then zeroed). */
enum proto_reason data_open(const uint8_t key[WIRE_KEY_LEN], const struct data_header *hdr,
			    const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap,
			    size_t *plain_len);

#endif
