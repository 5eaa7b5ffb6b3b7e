/* Noise_IK_25519_ChaChaPoly_BLAKE2b for the Tether handshake (PROTOCOL.md 3),
 * written after the Noise specification, revision 34, sections 4 and 5.
 * Pure code on caller-owned state: no allocation, no I/O.
 *
 * IK:
 *   <- s
 *   ...
 *   -> e, es, s, ss, {payload}
 *   <- e, ee, se, {payload}
 */
#include "proto/noise.h"

#include <string.h>

#include <sodium.h>

#include "proto/keys.h"

_Static_assert(sizeof(WIRE_PROTOCOL_NAME) - 1 <= NOISE_HASH_LEN, "name fits h without hashing");
_Static_assert(NOISE_MSG1_OVERHEAD == WIRE_INIT_OVERHEAD - WIRE_INIT_OFF_E - 2 * WIRE_MAC_LEN,
	       "message 1 Noise overhead");
_Static_assert(NOISE_MSG2_OVERHEAD == WIRE_RESP_OVERHEAD - WIRE_RESP_OFF_E - 2 * WIRE_MAC_LEN,
	       "message 2 Noise overhead");

void noise_hash(uint8_t out[NOISE_HASH_LEN], const uint8_t *data, size_t len)
{
	crypto_generichash(out, NOISE_HASH_LEN, data, len, NULL, 0);
}

/* RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), K zero-padded to the
 * 128-byte block, or first hashed when longer than a block. */
void noise_hmac(uint8_t out[NOISE_HASH_LEN], const uint8_t *key, size_t key_len,
		const uint8_t *data, size_t len)
{
	crypto_generichash_state st;
	uint8_t block[NOISE_BLOCK_LEN] = {0};
	uint8_t inner[NOISE_HASH_LEN];
	size_t i;

	if (key_len > NOISE_BLOCK_LEN)
		noise_hash(block, key, key_len);
	else if (key_len)
		memcpy(block, key, key_len);

	for (i = 0; i < NOISE_BLOCK_LEN; i++)
		block[i] ^= 0x36;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASH_LEN);
	crypto_generichash_update(&st, block, NOISE_BLOCK_LEN);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, inner, NOISE_HASH_LEN);

	/* ipad ^ opad turns the inner pad into the outer one */
	for (i = 0; i < NOISE_BLOCK_LEN; i++)
		block[i] ^= 0x36 ^ 0x5c;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASH_LEN);
	crypto_generichash_update(&st, block, NOISE_BLOCK_LEN);
	crypto_generichash_update(&st, inner, NOISE_HASH_LEN);
	crypto_generichash_final(&st, out, NOISE_HASH_LEN);

	sodium_memzero(&st, sizeof(st));
	sodium_memzero(block, sizeof(block));
	sodium_memzero(inner, sizeof(inner));
}

/* Noise 4.3: temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01);
 * out2 = HMAC(temp, out1 || 0x02); out3 = HMAC(temp, out2 || 0x03).
 * Outputs may alias ck: ck is only read before the first write. */
void noise_hkdf(const uint8_t ck[NOISE_HASH_LEN], const uint8_t *ikm, size_t ikm_len,
		uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN], uint8_t *out3)
{
	uint8_t temp[NOISE_HASH_LEN];
	uint8_t buf[NOISE_HASH_LEN + 1];

	noise_hmac(temp, ck, NOISE_HASH_LEN, ikm, ikm_len);

	buf[0] = 0x01;
	noise_hmac(buf, temp, NOISE_HASH_LEN, buf, 1);
	memcpy(out1, buf, NOISE_HASH_LEN);

	buf[NOISE_HASH_LEN] = 0x02;
	noise_hmac(buf, temp, NOISE_HASH_LEN, buf, sizeof(buf));
	memcpy(out2, buf, NOISE_HASH_LEN);

	if (!out3)
		goto out;
	buf[NOISE_HASH_LEN] = 0x03;
	noise_hmac(buf, temp, NOISE_HASH_LEN, buf, sizeof(buf));
	memcpy(out3, buf, NOISE_HASH_LEN);

out:
	sodium_memzero(temp, sizeof(temp));
	sodium_memzero(buf, sizeof(buf));
}

void noise_cipher_init(struct noise_cipher *cs, const uint8_t *key)
{
	sodium_memzero(cs, sizeof(*cs));
	if (!key)
		return;
	memcpy(cs->key, key, NOISE_KEY_LEN);
	cs->has_key = true;
}

void noise_cipher_clear(struct noise_cipher *cs)
{
	sodium_memzero(cs, sizeof(*cs));
}

/* 5. ChaChaPoly: the 96-bit nonce is 4 zero bytes || LE64(n). */
static void nonce_bytes(uint8_t out[NOISE_NONCE_LEN], uint64_t n)
{
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

enum proto_reason noise_cipher_encrypt(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				       const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[NOISE_NONCE_LEN];
	enum proto_reason ret = PROTO_OK;

	if (!cs->has_key) {
		if (len)
			memmove(out, in, len);
		goto out;
	}
	/* 5.1: n = 2^64-1 is reserved */
	ret = PROTO_COUNTER_LIMIT;
	if (cs->nonce == UINT64_MAX)
		goto out;
	nonce_bytes(nonce, cs->nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len, ad, ad_len, NULL, nonce,
						  cs->key);
	cs->nonce++;
	ret = PROTO_OK;
out:
	return ret;
}

enum proto_reason noise_cipher_decrypt(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				       const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[NOISE_NONCE_LEN];
	enum proto_reason ret = PROTO_OK;

	if (!cs->has_key) {
		if (len)
			memmove(out, in, len);
		goto out;
	}
	ret = PROTO_BAD_LENGTH;
	if (len < NOISE_TAG_LEN)
		goto out;
	ret = PROTO_COUNTER_LIMIT;
	if (cs->nonce == UINT64_MAX)
		goto out;
	nonce_bytes(nonce, cs->nonce);
	ret = PROTO_DECRYPT;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, len, ad, ad_len, nonce,
						      cs->key) != 0)
		goto out;
	cs->nonce++;
	ret = PROTO_OK;
out:
	return ret;
}

/* SymmetricState (Noise 5.2) */

static void mix_hash(struct noise_symmetric *sym, const uint8_t *data, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, NOISE_HASH_LEN);
	crypto_generichash_update(&st, sym->h, NOISE_HASH_LEN);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, sym->h, NOISE_HASH_LEN);
	sodium_memzero(&st, sizeof(st));
}

static void mix_key(struct noise_symmetric *sym, const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[NOISE_HASH_LEN];

	noise_hkdf(sym->ck, ikm, len, sym->ck, temp_k, NULL);
	noise_cipher_init(&sym->cipher, temp_k);
	sodium_memzero(temp_k, sizeof(temp_k));
}

/* MixKey(DH(priv, pub)); a low-order pub makes libsodium refuse (3). */
static enum proto_reason mix_dh(struct noise_symmetric *sym, const uint8_t priv[NOISE_DH_LEN],
				const uint8_t pub[NOISE_DH_LEN])
{
	uint8_t dh[NOISE_DH_LEN];
	enum proto_reason ret = PROTO_OK;

	if (crypto_scalarmult(dh, priv, pub) != 0) {
		ret = PROTO_LOW_ORDER;
		goto out;
	}
	mix_key(sym, dh, sizeof(dh));
out:
	sodium_memzero(dh, sizeof(dh));
	return ret;
}

/* ss: MixKey of the caller's cached DH(priv, pub) when it has one, else of
 * the DH itself. An all-zero cache is what a low-order pub gives: refused
 * alike, so a cache can never let such a key through. */
static enum proto_reason mix_ss(struct noise_symmetric *sym, const uint8_t priv[NOISE_DH_LEN],
				const uint8_t pub[NOISE_DH_LEN], const uint8_t *cached)
{
	if (!cached)
		return mix_dh(sym, priv, pub);
	if (sodium_is_zero(cached, NOISE_DH_LEN))
		return PROTO_LOW_ORDER;
	mix_key(sym, cached, NOISE_DH_LEN);
	return PROTO_OK;
}

enum proto_reason noise_ik_static_dh(uint8_t ss[NOISE_DH_LEN], const uint8_t s_priv[NOISE_DH_LEN],
				     const uint8_t pub[NOISE_DH_LEN])
{
	if (crypto_scalarmult(ss, s_priv, pub) == 0)
		return PROTO_OK;
	sodium_memzero(ss, NOISE_DH_LEN);
	return PROTO_LOW_ORDER;
}

/* EncryptAndHash: out receives len (+ 16 with a key); h absorbs out. */
static enum proto_reason encrypt_and_hash(struct noise_symmetric *sym, const uint8_t *in,
					  size_t len, uint8_t *out)
{
	size_t out_len = len + (sym->cipher.has_key ? NOISE_TAG_LEN : 0);
	enum proto_reason ret;

	ret = noise_cipher_encrypt(&sym->cipher, sym->h, NOISE_HASH_LEN, in, len, out);
	if (ret == PROTO_OK)
		mix_hash(sym, out, out_len);
	return ret;
}

/* DecryptAndHash: out receives len (- 16 with a key); h absorbs in. */
static enum proto_reason decrypt_and_hash(struct noise_symmetric *sym, const uint8_t *in,
					  size_t len, uint8_t *out)
{
	enum proto_reason ret;

	ret = noise_cipher_decrypt(&sym->cipher, sym->h, NOISE_HASH_LEN, in, len, out);
	if (ret == PROTO_OK)
		mix_hash(sym, in, len);
	return ret;
}

/* HandshakeState (Noise 5.3) for IK */

void noise_ik_init(struct noise_handshake *hs, enum noise_role role, const uint8_t *prologue,
		   size_t prologue_len, const uint8_t s_priv[NOISE_DH_LEN], const uint8_t *s_pub,
		   const uint8_t *rs)
{
	sodium_memzero(hs, sizeof(*hs));
	hs->role = role;

	/* the 33-byte name fits HASHLEN: h = name zero-padded, ck = h */
	memcpy(hs->sym.h, WIRE_PROTOCOL_NAME, sizeof(WIRE_PROTOCOL_NAME) - 1);
	memcpy(hs->sym.ck, hs->sym.h, NOISE_HASH_LEN);
	mix_hash(&hs->sym, prologue, prologue_len);

	memcpy(hs->s_priv, s_priv, NOISE_DH_LEN);
	if (s_pub)
		memcpy(hs->s_pub, s_pub, NOISE_DH_LEN);
	else
		crypto_scalarmult_base(hs->s_pub, hs->s_priv);

	/* <- s: both sides hash the responder's static key */
	if (role == NOISE_INITIATOR) {
		memcpy(hs->rs, rs, NOISE_DH_LEN);
		mix_hash(&hs->sym, hs->rs, NOISE_DH_LEN);
	} else {
		mix_hash(&hs->sym, hs->s_pub, NOISE_DH_LEN);
	}
}

/* e on the writing side: take the injected ephemeral or draw one. */
static void make_ephemeral(struct noise_handshake *hs, const uint8_t *e_priv)
{
	if (e_priv)
		memcpy(hs->e_priv, e_priv, NOISE_DH_LEN);
	else
		keys_generate(hs->e_priv);
	crypto_scalarmult_base(hs->e_pub, hs->e_priv);
}

enum proto_reason noise_ik_write_msg1(struct noise_handshake *hs, const uint8_t *e_priv,
				      const uint8_t *ss, const uint8_t *payload, size_t len,
				      uint8_t *out)
{
	enum proto_reason ret;
	uint8_t *p = out;

	/* e */
	make_ephemeral(hs, e_priv);
	memcpy(p, hs->e_pub, NOISE_DH_LEN);
	mix_hash(&hs->sym, hs->e_pub, NOISE_DH_LEN);
	p += NOISE_DH_LEN;

	/* es */
	ret = mix_dh(&hs->sym, hs->e_priv, hs->rs);
	if (ret != PROTO_OK)
		goto out;

	/* s */
	ret = encrypt_and_hash(&hs->sym, hs->s_pub, NOISE_DH_LEN, p);
	if (ret != PROTO_OK)
		goto out;
	p += NOISE_DH_LEN + NOISE_TAG_LEN;

	/* ss, cached by the caller or computed */
	ret = mix_ss(&hs->sym, hs->s_priv, hs->rs, ss);
	if (ret != PROTO_OK)
		goto out;

	/* {payload} */
	ret = encrypt_and_hash(&hs->sym, payload, len, p);
out:
	return ret;
}

enum proto_reason noise_ik_read_msg1(struct noise_handshake *hs, const uint8_t *in, size_t len,
				     const uint8_t *(*ss_lookup)(void *ctx,
								 const uint8_t rs[NOISE_DH_LEN]),
				     void *ss_ctx, uint8_t *payload)
{
	enum proto_reason ret = PROTO_BAD_LENGTH;
	const uint8_t *p = in;

	if (len < NOISE_MSG1_OVERHEAD)
		goto out;

	/* e */
	memcpy(hs->re, p, NOISE_DH_LEN);
	mix_hash(&hs->sym, hs->re, NOISE_DH_LEN);
	p += NOISE_DH_LEN;

	/* es */
	ret = mix_dh(&hs->sym, hs->s_priv, hs->re);
	if (ret != PROTO_OK)
		goto out;

	/* s */
	ret = decrypt_and_hash(&hs->sym, p, NOISE_DH_LEN + NOISE_TAG_LEN, hs->rs);
	if (ret != PROTO_OK)
		goto out;
	p += NOISE_DH_LEN + NOISE_TAG_LEN;

	/* ss: the caller's cache is asked once rs is known, the key still
	 * unauthenticated (a wrong ss fails the payload's tag below) */
	ret = mix_ss(&hs->sym, hs->s_priv, hs->rs, ss_lookup ? ss_lookup(ss_ctx, hs->rs) : NULL);
	if (ret != PROTO_OK)
		goto out;

	/* {payload} */
	ret = decrypt_and_hash(&hs->sym, p, len - (size_t)(p - in), payload);
out:
	return ret;
}

enum proto_reason noise_ik_write_msg2(struct noise_handshake *hs, const uint8_t *e_priv,
				      const uint8_t *payload, size_t len, uint8_t *out)
{
	enum proto_reason ret;

	/* e */
	make_ephemeral(hs, e_priv);
	memcpy(out, hs->e_pub, NOISE_DH_LEN);
	mix_hash(&hs->sym, hs->e_pub, NOISE_DH_LEN);

	/* ee */
	ret = mix_dh(&hs->sym, hs->e_priv, hs->re);
	if (ret != PROTO_OK)
		goto out;

	/* se: the responder's side is DH(e, rs) */
	ret = mix_dh(&hs->sym, hs->e_priv, hs->rs);
	if (ret != PROTO_OK)
		goto out;

	/* {payload} */
	ret = encrypt_and_hash(&hs->sym, payload, len, out + NOISE_DH_LEN);
out:
	return ret;
}

enum proto_reason noise_ik_read_msg2(struct noise_handshake *hs, const uint8_t *in, size_t len,
				     uint8_t *payload)
{
	enum proto_reason ret = PROTO_BAD_LENGTH;

	if (len < NOISE_MSG2_OVERHEAD)
		goto out;

	/* e */
	memcpy(hs->re, in, NOISE_DH_LEN);
	mix_hash(&hs->sym, hs->re, NOISE_DH_LEN);

	/* ee */
	ret = mix_dh(&hs->sym, hs->e_priv, hs->re);
	if (ret != PROTO_OK)
		goto out;

	/* se: the initiator's side is DH(s, re) */
	ret = mix_dh(&hs->sym, hs->s_priv, hs->re);
	if (ret != PROTO_OK)
		goto out;

	/* {payload} */
	ret = decrypt_and_hash(&hs->sym, in + NOISE_DH_LEN, len - NOISE_DH_LEN, payload);
out:
	return ret;
}

void noise_ik_split(struct noise_handshake *hs, struct noise_cipher *send,
		    struct noise_cipher *recv)
{
	uint8_t k1[NOISE_HASH_LEN], k2[NOISE_HASH_LEN];
	uint8_t h[NOISE_HASH_LEN];

	noise_hkdf(hs->sym.ck, NULL, 0, k1, k2, NULL);
	if (hs->role == NOISE_INITIATOR) {
		noise_cipher_init(send, k1);
		noise_cipher_init(recv, k2);
	} else {
		noise_cipher_init(send, k2);
		noise_cipher_init(recv, k1);
	}

	/* the handshake is over: keep only h, which is public transcript */
	memcpy(h, hs->sym.h, NOISE_HASH_LEN);
	noise_handshake_clear(hs);
	memcpy(hs->sym.h, h, NOISE_HASH_LEN);

	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
}

void noise_handshake_clear(struct noise_handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}
