/* Messages 1 and 2 of the Tether handshake (PROTOCOL.md 3.1-3.3): framing,
 * size and header checks, mac1/mac2 and the TLV payloads around the Noise
 * IK core, for both roles, producing the session keys the data side uses.
 *
 * Agent:        handshake_peer_init, handshake_peer_precompute (once per server key)
 *               handshake_initiation_create -> send message 1
 *               (cookie reply? handshake_cookie_consume, store it, create again)
 *               handshake_response_consume  -> payload, keys if STATUS OK
 *               session_install(..., SESSION_INITIATOR, ...), send a keepalive
 * Concentrator: handshake_initiation_check  (size, header, mac1: no DH)
 *               under load: mac_checker_check_mac2, else mac_checker_reply
 *               handshake_initiation_consume -> agent key, payload
 *               (its ss_lookup: the ss cached per agent key, handshake_ss_compute)
 *               (TIMESTAMP replay check, registry decision)
 *               handshake_response_create   -> message 2, keys if STATUS OK
 *               session_install(..., SESSION_RESPONDER, ...)
 * The keys come as the data side's struct session_keys (Split(): the agent
 * sends with k1, the concentrator with k2).
 */
#ifndef TETHER_PROTO_HANDSHAKE_H
#define TETHER_PROTO_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/mac.h"
#include "proto/noise.h"
#include "proto/reason.h"
#include "proto/session.h"
#include "proto/tlv.h"
#include "proto/wire.h"

/* Our static key pair and the mac1 key of messages addressed to us. */
struct handshake_identity {
	uint8_t private_key[WIRE_KEY_LEN];
	uint8_t public_key[WIRE_KEY_LEN];
	uint8_t mac1_key[MAC_KEY_LEN];
};

/* The agent's view of its concentrator: its key, the mac1 key of
 * messages sent to it, the key of its cookie replies, and once
 * handshake_peer_precompute ran, ss = DH(our private key, its key), the
 * same for every handshake. ss is a secret: handshake_peer_clear (or the
 * owner's wipe of the whole struct) removes it. */
struct handshake_peer {
	uint8_t public_key[WIRE_KEY_LEN];
	uint8_t mac1_key[MAC_KEY_LEN];
	uint8_t cookie_key[MAC_KEY_LEN];
	uint8_t ss[WIRE_KEY_LEN];
	bool has_ss;
};

enum handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_INITIATION_CREATED,  /* agent: message 1 sent, waiting for message 2 */
	HANDSHAKE_INITIATION_CONSUMED, /* concentrator: message 1 read, answer due */
	HANDSHAKE_DONE,		       /* message 2 sent or read: every secret wiped */
};

/* One handshake attempt, caller-owned. remote_static is the peer's key
 * (on the concentrator: the agent key message 1 authenticated); the
 * hashes are the Noise transcript h, kept for tests and channel binding. */
struct handshake {
	enum handshake_state state;
	struct noise_handshake noise;
	uint32_t local_index;
	uint32_t remote_index;
	uint8_t remote_static[WIRE_KEY_LEN];
	uint8_t mac1[WIRE_MAC_LEN]; /* agent: mac1 of the message 1 sent (3.4) */
	uint8_t h_after_msg1[WIRE_HASH_LEN];
	uint8_t hash[WIRE_HASH_LEN]; /* final handshake hash, once DONE */
};

/* PROTO_LOW_ORDER if libsodium refuses the private key. */
enum proto_reason handshake_identity_init(struct handshake_identity *id,
					  const uint8_t private_key[WIRE_KEY_LEN]);
void handshake_identity_clear(struct handshake_identity *id);

/* Resets peer to public_key, without a precomputed ss. */
void handshake_peer_init(struct handshake_peer *peer, const uint8_t public_key[WIRE_KEY_LEN]);

/* Precomputes ss for every message 1 sent with id to peer: one X25519
 * less per handshake, the same bytes on the wire. id must be the identity
 * later passed to handshake_initiation_create. PROTO_LOW_ORDER for a
 * low-order peer key: peer keeps no ss, and a message 1 to it fails alike. */
enum proto_reason handshake_peer_precompute(struct handshake_peer *peer,
					    const struct handshake_identity *id);

/* Wipes peer, its precomputed ss included. */
void handshake_peer_clear(struct handshake_peer *peer);

/* Concentrator: ss = DH(our private key, an agent's static key), to cache
 * per agent key for the ss_lookup of handshake_initiation_consume.
 * PROTO_LOW_ORDER (ss zeroed) for a low-order key: cache nothing then, the
 * handshake refuses the key itself. The cache is a secret: its owner wipes
 * it with the key's record. */
enum proto_reason handshake_ss_compute(uint8_t ss[WIRE_KEY_LEN],
				       const struct handshake_identity *id,
				       const uint8_t remote_static[WIRE_KEY_LEN]);

/* Agent: a fresh message 1 into out (up to WIRE_INIT_MAX_LEN bytes). hs is
 * reset and keeps the attempt. sender_index 0 and ephemeral NULL are drawn
 * at random; cookie non-NULL sets mac2 (3.3); server's precomputed ss is
 * used when it has one. Fails with the encoder's
 * reasons (tlv.h), PROTO_TOO_BIG when out_size is short, PROTO_LOW_ORDER
 * for a low-order server key; hs is then cleared. */
enum proto_reason handshake_initiation_create(struct handshake *hs,
					      const struct handshake_identity *id,
					      const struct handshake_peer *server,
					      uint32_t sender_index, const struct tlv_msg1 *payload,
					      const uint8_t *cookie, const uint8_t *ephemeral,
					      uint8_t *out, size_t out_size, size_t *out_len);

/* Concentrator, before any DH: PROTO_BAD_LENGTH (under 153 or over
 * WIRE_INIT_MAX_LEN bytes), PROTO_BAD_TYPE, PROTO_BAD_VERSION,
 * PROTO_BAD_RESERVED, PROTO_BAD_MAC1. All are dropped silently (3.5). */
enum proto_reason handshake_initiation_check(const struct handshake_identity *id,
					     const uint8_t *msg, size_t len);

/* Concentrator: the check above, then Noise and the payload. hs is
 * overwritten; on success it holds remote_static (the agent's key),
 * remote_index (its sender_index) and the state to answer with. Besides
 * the check's reasons: PROTO_LOW_ORDER, PROTO_DECRYPT and the TLV
 * decoder's (tlv.h), all dropped; hs and payload are then wiped. A NAME
 * breaking the rule decodes with payload->name_valid false: answer it
 * REJECTED.
 * ss_lookup (NULL: none) returns the ss that handshake_ss_compute gave for
 * the agent key rs, or NULL to have it computed. It is called once per
 * message 1 that passes mac1 and decrypts a static key, before that key is
 * authenticated: it may fill its cache from rs (that DH is the one it
 * saves) but must decide nothing else. Its pointer is read before
 * handshake_initiation_consume returns. A wrong ss fails as PROTO_DECRYPT,
 * an all-zero one as PROTO_LOW_ORDER. */
enum proto_reason
handshake_initiation_consume(struct handshake *hs, const struct handshake_identity *id,
			     const uint8_t *msg, size_t len,
			     const uint8_t *(*ss_lookup)(void *ctx, const uint8_t rs[WIRE_KEY_LEN]),
			     void *ss_ctx, struct tlv_msg1 *payload);

/* Concentrator: message 2 into out (up to WIRE_RESP_MAX_LEN bytes) for a
 * consumed message 1. sender_index 0 and ephemeral NULL are drawn at
 * random. With STATUS OK, keys receives the session keys; REJECTED and
 * RETRY_LATER carry STATUS only and leave keys zeroed. PROTO_UNKNOWN_INDEX
 * if hs holds no consumed message 1; the encoder's reasons (tlv.h) and
 * PROTO_TOO_BIG leave hs untouched, so another payload (RETRY_LATER) can
 * still be sent; after any other outcome hs is DONE, its secrets wiped. */
enum proto_reason handshake_response_create(struct handshake *hs, uint32_t sender_index,
					    const struct tlv_msg2 *payload,
					    const uint8_t *ephemeral, uint8_t *out, size_t out_size,
					    size_t *out_len, struct session_keys *keys);

/* Agent: read message 2 for the attempt in hs. PROTO_BAD_LENGTH (under 95
 * or over WIRE_RESP_MAX_LEN bytes), PROTO_BAD_TYPE, PROTO_BAD_VERSION,
 * PROTO_BAD_RESERVED, PROTO_UNKNOWN_INDEX (not waiting, or receiver_index
 * not ours), PROTO_BAD_MAC1 (checked with our own key), PROTO_LOW_ORDER,
 * PROTO_DECRYPT, TLV reasons: on all of these hs is unchanged and still
 * waits for the real answer. On success hs is DONE; keys are filled when
 * payload->status is OK, zeroed otherwise (no session exists). */
enum proto_reason handshake_response_consume(struct handshake *hs,
					     const struct handshake_identity *id,
					     const uint8_t *msg, size_t len,
					     struct tlv_msg2 *payload, struct session_keys *keys);

/* Agent: a cookie reply to the message 1 in hs (its sender_index, its
 * mac1 as AD). PROTO_UNKNOWN_INDEX if hs is not waiting, else the reasons
 * of mac_cookie_reply_open. The caller stores the cookie (mac_cookie_store)
 * and at once sends a fresh message 1 with it. */
enum proto_reason handshake_cookie_consume(const struct handshake *hs,
					   const struct handshake_peer *server, const uint8_t *msg,
					   size_t len, uint8_t cookie[WIRE_MAC_LEN]);

/* Wipe a finished or abandoned attempt. */
void handshake_clear(struct handshake *hs);

#endif
