/* Handshake messages 1 and 2 (PROTOCOL.md 3.1-3.3) around the Noise IK core:
 * every length and header byte is checked before a field is read, and mac1
 * before any DH, so a scanner without our public key costs a hash at most. */
#include "proto/handshake.h"

#include <string.h>

#include <sodium.h>

#include "proto/keys.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Indices are random and never 0, so 0 can mean "none" to callers. */
static uint32_t pick_index(uint32_t given)
{
	uint32_t index = given;

	while (!index)
		index = randombytes_random();
	return index;
}

/* type, version, two reserved bytes: the header of messages 1 and 2 */
static void put_header(uint8_t *out, enum wire_type type)
{
	out[0] = type;
	out[1] = WIRE_VERSION;
	out[2] = 0;
	out[3] = 0;
}

static enum proto_reason check_header(const uint8_t *msg, enum wire_type type)
{
	if (msg[0] != type)
		return PROTO_BAD_TYPE;
	if (msg[1] != WIRE_VERSION)
		return PROTO_BAD_VERSION;
	return msg[2] || msg[3] ? PROTO_BAD_RESERVED : PROTO_OK;
}

enum proto_reason handshake_identity_init(struct handshake_identity *id,
					  const uint8_t private_key[WIRE_KEY_LEN])
{
	enum proto_reason ret = PROTO_OK;

	sodium_memzero(id, sizeof(*id));
	if (keys_public(id->public_key, private_key) != 0) {
		ret = PROTO_LOW_ORDER;
		goto out;
	}
	memcpy(id->private_key, private_key, WIRE_KEY_LEN);
	mac_key_mac1(id->mac1_key, id->public_key);
out:
	return ret;
}

void handshake_identity_clear(struct handshake_identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

void handshake_peer_init(struct handshake_peer *peer, const uint8_t public_key[WIRE_KEY_LEN])
{
	/* a new key makes any ss of the old one wrong */
	sodium_memzero(peer, sizeof(*peer));
	memcpy(peer->public_key, public_key, WIRE_KEY_LEN);
	mac_key_mac1(peer->mac1_key, public_key);
	mac_key_cookie(peer->cookie_key, public_key);
}

enum proto_reason handshake_ss_compute(uint8_t ss[WIRE_KEY_LEN],
				       const struct handshake_identity *id,
				       const uint8_t remote_static[WIRE_KEY_LEN])
{
	return noise_ik_static_dh(ss, id->private_key, remote_static);
}

enum proto_reason handshake_peer_precompute(struct handshake_peer *peer,
					    const struct handshake_identity *id)
{
	enum proto_reason ret;

	ret = handshake_ss_compute(peer->ss, id, peer->public_key);
	peer->has_ss = ret == PROTO_OK;
	return ret;
}

void handshake_peer_clear(struct handshake_peer *peer)
{
	sodium_memzero(peer, sizeof(*peer));
}

enum proto_reason handshake_initiation_create(struct handshake *hs,
					      const struct handshake_identity *id,
					      const struct handshake_peer *server,
					      uint32_t sender_index, const struct tlv_msg1 *payload,
					      const uint8_t *cookie, const uint8_t *ephemeral,
					      uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t plain[WIRE_PAYLOAD_MAX];
	enum proto_reason ret;
	size_t plain_len, len;

	handshake_clear(hs);
	*out_len = 0;

	/* {payload}: TIMESTAMP, NAME, ENROLL_TOKEN, AGENT (3.5) */
	ret = tlv_msg1_encode(payload, plain, sizeof(plain), &plain_len);
	if (ret != PROTO_OK)
		goto out;
	len = WIRE_INIT_OVERHEAD + plain_len;
	ret = PROTO_TOO_BIG;
	if (len > out_size)
		goto out;

	hs->local_index = pick_index(sender_index);
	memcpy(hs->remote_static, server->public_key, WIRE_KEY_LEN);
	put_header(out, WIRE_TYPE_INITIATION);
	put_le32(out + WIRE_INIT_OFF_SENDER, hs->local_index);

	/* the Noise message is bytes [8, end-32) (3.1) */
	noise_ik_init(&hs->noise, NOISE_INITIATOR, (const uint8_t *)WIRE_PROLOGUE,
		      sizeof(WIRE_PROLOGUE) - 1, id->private_key, id->public_key,
		      server->public_key);
	ret = noise_ik_write_msg1(&hs->noise, ephemeral, server->has_ss ? server->ss : NULL, plain,
				  plain_len, out + WIRE_INIT_OFF_E);
	if (ret != PROTO_OK)
		goto out;

	mac_stamp(out, len, server->mac1_key, cookie);
	/* a cookie reply to this message is sealed with its mac1 as AD (3.4) */
	memcpy(hs->mac1, out + len - 2 * WIRE_MAC_LEN, WIRE_MAC_LEN);
	memcpy(hs->h_after_msg1, hs->noise.sym.h, WIRE_HASH_LEN);
	hs->state = HANDSHAKE_INITIATION_CREATED;
	*out_len = len;
out:
	if (ret != PROTO_OK)
		handshake_clear(hs);
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

enum proto_reason handshake_initiation_check(const struct handshake_identity *id,
					     const uint8_t *msg, size_t len)
{
	enum proto_reason ret;

	/* 3.1: with TIMESTAMP and NAME, P >= 17, so under 153 bytes is never valid */
	ret = PROTO_BAD_LENGTH;
	if (len < WIRE_INIT_MIN_LEN || len > WIRE_INIT_MAX_LEN)
		goto out;
	ret = check_header(msg, WIRE_TYPE_INITIATION);
	if (ret != PROTO_OK)
		goto out;
	/* 3.3: a wrong mac1 is dropped silently, before any DH */
	ret = mac_check_mac1(id->mac1_key, msg, len);
out:
	return ret;
}

enum proto_reason
handshake_initiation_consume(struct handshake *hs, const struct handshake_identity *id,
			     const uint8_t *msg, size_t len,
			     const uint8_t *(*ss_lookup)(void *ctx, const uint8_t rs[WIRE_KEY_LEN]),
			     void *ss_ctx, struct tlv_msg1 *payload)
{
	uint8_t plain[WIRE_PAYLOAD_MAX];
	enum proto_reason ret;

	handshake_clear(hs);
	memset(payload, 0, sizeof(*payload));

	ret = handshake_initiation_check(id, msg, len);
	if (ret != PROTO_OK)
		goto out;

	noise_ik_init(&hs->noise, NOISE_RESPONDER, (const uint8_t *)WIRE_PROLOGUE,
		      sizeof(WIRE_PROLOGUE) - 1, id->private_key, id->public_key, NULL);
	ret = noise_ik_read_msg1(&hs->noise, msg + WIRE_INIT_OFF_E,
				 len - WIRE_INIT_OFF_E - 2 * WIRE_MAC_LEN, ss_lookup, ss_ctx,
				 plain);
	if (ret != PROTO_OK)
		goto out;
	ret = tlv_msg1_decode(payload, plain, len - WIRE_INIT_OVERHEAD);
	if (ret != PROTO_OK)
		goto out;

	hs->remote_index = get_le32(msg + WIRE_INIT_OFF_SENDER);
	memcpy(hs->remote_static, hs->noise.rs, WIRE_KEY_LEN);
	memcpy(hs->h_after_msg1, hs->noise.sym.h, WIRE_HASH_LEN);
	hs->state = HANDSHAKE_INITIATION_CONSUMED;
out:
	if (ret != PROTO_OK) {
		handshake_clear(hs);
		tlv_msg1_clear(payload);
	}
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

/* Split() into the data side's shape (3: the agent sends with k1). */
static void make_keys(struct handshake *hs, struct session_keys *keys)
{
	struct noise_cipher send, recv;

	noise_ik_split(&hs->noise, &send, &recv);
	memcpy(keys->send, send.key, NOISE_KEY_LEN);
	memcpy(keys->recv, recv.key, NOISE_KEY_LEN);
	keys->local_index = hs->local_index;
	keys->remote_index = hs->remote_index;
	noise_cipher_clear(&send);
	noise_cipher_clear(&recv);
}

enum proto_reason handshake_response_create(struct handshake *hs, uint32_t sender_index,
					    const struct tlv_msg2 *payload,
					    const uint8_t *ephemeral, uint8_t *out, size_t out_size,
					    size_t *out_len, struct session_keys *keys)
{
	uint8_t plain[WIRE_PAYLOAD_MAX];
	uint8_t mac1_key[MAC_KEY_LEN];
	enum proto_reason ret;
	size_t plain_len, len;

	sodium_memzero(keys, sizeof(*keys));
	*out_len = 0;

	ret = PROTO_UNKNOWN_INDEX;
	if (hs->state != HANDSHAKE_INITIATION_CONSUMED)
		goto out;
	/* {payload}: STATUS alone unless OK (3.5). A payload that does not
	 * encode leaves hs as it was, so the caller can still answer. */
	ret = tlv_msg2_encode(payload, plain, sizeof(plain), &plain_len);
	if (ret != PROTO_OK)
		goto out;
	len = WIRE_RESP_OVERHEAD + plain_len;
	ret = PROTO_TOO_BIG;
	if (len > out_size)
		goto out;

	/* from here on, answered or failed, this message 1 is used up */
	hs->state = HANDSHAKE_DONE;
	hs->local_index = pick_index(sender_index);
	put_header(out, WIRE_TYPE_RESPONSE);
	put_le32(out + WIRE_RESP_OFF_SENDER, hs->local_index);
	put_le32(out + WIRE_RESP_OFF_RECEIVER, hs->remote_index);

	/* the Noise message is bytes [12, end-32) (3.2) */
	ret = noise_ik_write_msg2(&hs->noise, ephemeral, plain, plain_len, out + WIRE_RESP_OFF_E);
	if (ret != PROTO_OK)
		goto out;

	/* mac1 under the agent's key; message 2 never carries mac2 (3.3) */
	mac_key_mac1(mac1_key, hs->remote_static);
	mac_stamp(out, len, mac1_key, NULL);
	memcpy(hs->hash, hs->noise.sym.h, WIRE_HASH_LEN);
	/* REJECTED and RETRY_LATER: no session on either side (3.5) */
	if (payload->status == WIRE_STATUS_OK)
		make_keys(hs, keys);
	*out_len = len;
out:
	if (hs->state == HANDSHAKE_DONE)
		noise_handshake_clear(&hs->noise);
	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(mac1_key, sizeof(mac1_key));
	return ret;
}

enum proto_reason handshake_response_consume(struct handshake *hs,
					     const struct handshake_identity *id,
					     const uint8_t *msg, size_t len,
					     struct tlv_msg2 *payload, struct session_keys *keys)
{
	uint8_t plain[WIRE_PAYLOAD_MAX];
	struct noise_handshake noise;
	enum proto_reason ret;

	sodium_memzero(keys, sizeof(*keys));
	memset(payload, 0, sizeof(*payload));
	/* work on a copy: a forged message 2 must not spoil the real one */
	memcpy(&noise, &hs->noise, sizeof(noise));

	ret = PROTO_BAD_LENGTH;
	if (len < WIRE_RESP_MIN_LEN || len > WIRE_RESP_MAX_LEN)
		goto out;
	ret = check_header(msg, WIRE_TYPE_RESPONSE);
	if (ret != PROTO_OK)
		goto out;
	ret = PROTO_UNKNOWN_INDEX;
	if (hs->state != HANDSHAKE_INITIATION_CREATED ||
	    get_le32(msg + WIRE_RESP_OFF_RECEIVER) != hs->local_index)
		goto out;
	/* 3.3: the agent checks mac1 of message 2 with its own public key */
	ret = mac_check_mac1(id->mac1_key, msg, len);
	if (ret != PROTO_OK)
		goto out;

	ret = noise_ik_read_msg2(&noise, msg + WIRE_RESP_OFF_E,
				 len - WIRE_RESP_OFF_E - 2 * WIRE_MAC_LEN, plain);
	if (ret != PROTO_OK)
		goto out;
	ret = tlv_msg2_decode(payload, plain, len - WIRE_RESP_OVERHEAD);
	if (ret != PROTO_OK)
		goto out;

	/* authentic: commit to hs */
	memcpy(&hs->noise, &noise, sizeof(noise));
	hs->remote_index = get_le32(msg + WIRE_RESP_OFF_SENDER);
	memcpy(hs->hash, hs->noise.sym.h, WIRE_HASH_LEN);
	if (payload->status == WIRE_STATUS_OK)
		make_keys(hs, keys);
	noise_handshake_clear(&hs->noise);
	hs->state = HANDSHAKE_DONE;
out:
	noise_handshake_clear(&noise);
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

enum proto_reason handshake_cookie_consume(const struct handshake *hs,
					   const struct handshake_peer *server, const uint8_t *msg,
					   size_t len, uint8_t cookie[WIRE_MAC_LEN])
{
	/* only a waiting attempt has an index and a mac1 a reply can answer */
	if (hs->state != HANDSHAKE_INITIATION_CREATED)
		return PROTO_UNKNOWN_INDEX;
	return mac_cookie_reply_open(cookie, server->cookie_key, hs->local_index, hs->mac1, msg,
				     len);
}

void handshake_clear(struct handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}
