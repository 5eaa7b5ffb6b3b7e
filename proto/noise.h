/* Noise_IK_25519_ChaChaPoly_BLAKE2b (Noise revision 34), the core of the
 * Tether handshake (PROTOCOL.md 3): HASH, HMAC, HKDF, CipherState,
 * SymmetricState and the IK HandshakeState for both roles. No framing here. */
#ifndef TETHER_PROTO_NOISE_H
#define TETHER_PROTO_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/reason.h"
#include "proto/wire.h"

enum noise_sizes {
	NOISE_HASH_LEN = WIRE_HASH_LEN, /* BLAKE2b-512 */
	NOISE_BLOCK_LEN = 128,		/* BLAKE2b block, for HMAC */
	NOISE_KEY_LEN = 32,		/* cipher key: first 32 bytes of an HKDF output */
	NOISE_DH_LEN = WIRE_KEY_LEN,
	NOISE_TAG_LEN = WIRE_TAG_LEN,
	NOISE_NONCE_LEN = 12, /* 4 zero bytes || LE64(n) */
	/* -> e, es, s, ss: e, encrypted s, payload tag */
	NOISE_MSG1_OVERHEAD = NOISE_DH_LEN + NOISE_DH_LEN + NOISE_TAG_LEN + NOISE_TAG_LEN,
	/* <- e, ee, se: e, payload tag */
	NOISE_MSG2_OVERHEAD = NOISE_DH_LEN + NOISE_TAG_LEN,
};

enum noise_role {
	NOISE_INITIATOR,
	NOISE_RESPONDER,
};

/* CipherState: a key and a counting nonce. */
struct noise_cipher {
	uint8_t key[NOISE_KEY_LEN];
	uint64_t nonce;
	bool has_key;
};

/* SymmetricState: chaining key, handshake hash and the current cipher. */
struct noise_symmetric {
	uint8_t ck[NOISE_HASH_LEN];
	uint8_t h[NOISE_HASH_LEN];
	struct noise_cipher cipher;
};

/* HandshakeState for IK. s is our static pair, e our ephemeral pair,
 * rs and re the peer's. Every field but role is secret or wiped with it. */
struct noise_handshake {
	enum noise_role role;
	struct noise_symmetric sym;
	uint8_t s_priv[NOISE_DH_LEN];
	uint8_t s_pub[NOISE_DH_LEN];
	uint8_t e_priv[NOISE_DH_LEN];
	uint8_t e_pub[NOISE_DH_LEN];
	uint8_t rs[NOISE_DH_LEN];
	uint8_t re[NOISE_DH_LEN];
};

/* HASH(data): unkeyed BLAKE2b with a 64-byte output. */
void noise_hash(uint8_t out[NOISE_HASH_LEN], const uint8_t *data, size_t len);

/* HMAC-BLAKE2b of RFC 2104 with a 128-byte block (not keyed BLAKE2b). */
void noise_hmac(uint8_t out[NOISE_HASH_LEN], const uint8_t *key, size_t key_len,
		const uint8_t *data, size_t len);

/* Noise's HKDF(ck, ikm): two outputs, or three when out3 is not NULL. */
void noise_hkdf(const uint8_t ck[NOISE_HASH_LEN], const uint8_t *ikm, size_t ikm_len,
		uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN], uint8_t *out3);

/* InitializeKey(key); key NULL leaves the cipher empty (no encryption). */
void noise_cipher_init(struct noise_cipher *cs, const uint8_t *key);

/* EncryptWithAd: out receives len + 16 bytes (len without a key). Fails
 * with PROTO_COUNTER_LIMIT once the nonce reaches 2^64-1 (reserved). */
enum proto_reason noise_cipher_encrypt(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				       const uint8_t *in, size_t len, uint8_t *out);

/* DecryptWithAd: out receives len - 16 bytes. PROTO_BAD_LENGTH when len
 * is shorter than a tag, PROTO_DECRYPT when the tag does not verify (the
 * nonce then stays where it was). */
enum proto_reason noise_cipher_decrypt(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				       const uint8_t *in, size_t len, uint8_t *out);

void noise_cipher_clear(struct noise_cipher *cs);

/* Initialize(IK, role, prologue, s, rs): h = protocol name padded,
 * ck = h, MixHash(prologue), then the pre-message <- s. The initiator
 * passes the responder's static public key as rs; the responder passes
 * NULL and learns rs from message 1. Tether's prologue is WIRE_PROLOGUE.
 * s_pub is our static public key when the caller has it (it costs a scalar
 * multiplication per handshake otherwise), or NULL to derive it. */
void noise_ik_init(struct noise_handshake *hs, enum noise_role role, const uint8_t *prologue,
		   size_t prologue_len, const uint8_t s_priv[NOISE_DH_LEN], const uint8_t *s_pub,
		   const uint8_t *rs);

/* The ss token's DH(s_initiator, s_responder) is the same for every
 * handshake between two static keys, so a caller may compute it once per
 * peer (WireGuard's precomputed static-static) and pass it to the two
 * calls below, saving one X25519 per handshake without changing a byte on
 * the wire. PROTO_LOW_ORDER, ss zeroed, when pub is a low-order point.
 * The cached ss is as secret as s_priv: its holder wipes it. */
enum proto_reason noise_ik_static_dh(uint8_t ss[NOISE_DH_LEN], const uint8_t s_priv[NOISE_DH_LEN],
				     const uint8_t pub[NOISE_DH_LEN]);

/* Initiator: -> e, es, s, ss, payload. out receives NOISE_MSG1_OVERHEAD +
 * len bytes. e_priv NULL draws a fresh ephemeral. ss is DH(s, rs) from
 * noise_ik_static_dh, or NULL to compute it here. PROTO_LOW_ORDER when rs
 * is a low-order point (or ss is all zeros, what such a point gives). */
enum proto_reason noise_ik_write_msg1(struct noise_handshake *hs, const uint8_t *e_priv,
				      const uint8_t *ss, const uint8_t *payload, size_t len,
				      uint8_t *out);

/* Responder: reads message 1 of len bytes; payload receives len -
 * NOISE_MSG1_OVERHEAD bytes; rs and re are learnt. ss_lookup, when not
 * NULL, is asked once, as soon as rs is decrypted (before the payload
 * authenticates it), for the cached DH(s, rs) of that key: it returns it
 * or NULL to have it computed here; the pointer is only read during the
 * call. PROTO_BAD_LENGTH, PROTO_LOW_ORDER (also for an all-zero cached ss)
 * or PROTO_DECRYPT (also for a wrong cached ss) leave hs unusable: start
 * again. */
enum proto_reason noise_ik_read_msg1(struct noise_handshake *hs, const uint8_t *in, size_t len,
				     const uint8_t *(*ss_lookup)(void *ctx,
								 const uint8_t rs[NOISE_DH_LEN]),
				     void *ss_ctx, uint8_t *payload);

/* Responder: <- e, ee, se, payload; out receives NOISE_MSG2_OVERHEAD + len. */
enum proto_reason noise_ik_write_msg2(struct noise_handshake *hs, const uint8_t *e_priv,
				      const uint8_t *payload, size_t len, uint8_t *out);

/* Initiator: reads message 2; payload receives len - NOISE_MSG2_OVERHEAD. */
enum proto_reason noise_ik_read_msg2(struct noise_handshake *hs, const uint8_t *in, size_t len,
				     uint8_t *payload);

/* Split() after message 2: (k1, k2), the initiator sends with k1, the
 * responder with k2. Fills both ciphers for our role and wipes every
 * secret of hs; the handshake hash hs->sym.h stays for the caller. */
void noise_ik_split(struct noise_handshake *hs, struct noise_cipher *send,
		    struct noise_cipher *recv);

/* Wipe the whole state (abandoned or finished handshakes). */
void noise_handshake_clear(struct noise_handshake *hs);

#endif
