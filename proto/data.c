/* Data messages (PROTOCOL.md section 4): header parsing, padding, and
 * ChaChaPoly in place with nonce = 4 zero bytes || LE64(counter) and empty
 * associated data. The per-packet path: no allocation, no syscall. */
#include <string.h>

#include <sodium.h>

#include "proto/data.h"

_Static_assert(WIRE_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "data key size");
_Static_assert(WIRE_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "data tag size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "data nonce size");

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* section 3: the 96-bit nonce is 4 zero bytes || LE64(counter) */
static void make_nonce(uint8_t nonce[12], uint64_t counter)
{
	memset(nonce, 0, 4);
	put_le64(nonce + 4, counter);
}

enum proto_reason data_parse(const uint8_t *msg, size_t len, struct data_header *hdr)
{
	/* a keepalive (L = 0) is the shortest data message */
	if (len < WIRE_DATA_OVERHEAD)
		return PROTO_BAD_LENGTH;
	if (msg[0] != WIRE_TYPE_DATA)
		return PROTO_BAD_TYPE;
	if (msg[1] | msg[2] | msg[3])
		return PROTO_BAD_RESERVED;
	hdr->receiver = get_le32(msg + WIRE_DATA_OFF_RECEIVER);
	hdr->counter = get_le64(msg + WIRE_DATA_OFF_COUNTER);
	return PROTO_OK;
}

size_t data_padded_len(size_t len, size_t mtu)
{
	size_t padded = (len + WIRE_DATA_PAD - 1) & ~(size_t)(WIRE_DATA_PAD - 1);

	if (padded > mtu)
		padded = len > mtu ? len : mtu;
	return padded;
}

enum proto_reason data_seal(uint8_t *msg, size_t cap, const uint8_t key[WIRE_KEY_LEN],
			    uint32_t receiver, uint64_t counter, size_t len, size_t mtu,
			    size_t *msg_len)
{
	uint8_t nonce[12];
	uint8_t *payload = msg + WIRE_DATA_OFF_PAYLOAD;
	size_t padded;

	if (len > mtu || cap < WIRE_DATA_OVERHEAD || len > cap - WIRE_DATA_OVERHEAD)
		return PROTO_TOO_BIG;
	padded = data_padded_len(len, mtu);
	/* padding is optional: when only the padding does not fit, send unpadded */
	if (padded > cap - WIRE_DATA_OVERHEAD)
		padded = len;

	msg[0] = WIRE_TYPE_DATA;
	msg[1] = msg[2] = msg[3] = 0;
	put_le32(msg + WIRE_DATA_OFF_RECEIVER, receiver);
	put_le64(msg + WIRE_DATA_OFF_COUNTER, counter);
	memset(payload + len, 0, padded - len);

	make_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(payload, payload + padded, NULL, payload,
							   padded, NULL, 0, NULL, nonce, key);
	*msg_len = WIRE_DATA_OVERHEAD + padded;
	return PROTO_OK;
}

enum proto_reason data_open(const uint8_t key[WIRE_KEY_LEN], const struct data_header *hdr,
			    const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap,
			    size_t *plain_len)
{
	uint8_t nonce[12];
	size_t clen;

	if (len < WIRE_DATA_OVERHEAD)
		return PROTO_BAD_LENGTH;
	clen = len - WIRE_DATA_OVERHEAD;
	if (clen > out_cap)
		return PROTO_TOO_BIG;

	make_nonce(nonce, hdr->counter);
	/* libsodium checks the tag before it decrypts, so in place is safe */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    out, NULL, msg + WIRE_DATA_OFF_PAYLOAD, clen, msg + len - WIRE_TAG_LEN, NULL, 0,
		    nonce, key) != 0)
		return PROTO_DECRYPT;
	*plain_len = clen;
	return PROTO_OK;
}
