/* The initiator's protocol state over proto/: every event goes to the
 * timers as it happens, so tunnel_next() always knows what is due. */
#include "agent/tunnel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "proto/data.h"
#include "proto/name.h"

/* the AGENT item of message 1 */
#define TUNNEL_AGENT_ID "tether-agent/" TETHER_VERSION

int tunnel_init(struct tunnel *t, const uint8_t priv[WIRE_KEY_LEN],
		const uint8_t server_key[WIRE_KEY_LEN], const char *name, const char *token,
		const char *state_dir, char *err, size_t errlen)
{
	size_t name_len = strlen(name), token_len = token ? strlen(token) : 0;
	int ret = -EINVAL;

	memset(t, 0, sizeof(*t));
	session_init(&t->sessions);
	timers_init(&t->timers, TIMERS_AGENT, 0);
	if (handshake_identity_init(&t->id, priv) != PROTO_OK) {
		snprintf(err, errlen, "the private key is not a usable X25519 key");
		goto out;
	}
	handshake_peer_init(&t->server, server_key);
	/* ss once for every message 1 (tunnel_clear wipes it with t); a
	 * low-order server key keeps none and fails each attempt as before */
	(void)handshake_peer_precompute(&t->server, &t->id);
	if (!name_valid(name, name_len)) {
		snprintf(err, errlen, "'%s' is not a device name", name);
		goto out;
	}
	memcpy(t->payload.name, name, name_len + 1);
	t->payload.name_len = name_len;
	if (token_len > WIRE_TOKEN_MAX) {
		snprintf(err, errlen, "the token is longer than %d characters", WIRE_TOKEN_MAX);
		goto out;
	}
	if (token_len)
		memcpy(t->payload.token, token, token_len + 1);
	t->payload.token_len = token_len;
	t->payload.agent_len = strlen(TUNNEL_AGENT_ID);
	memcpy(t->payload.agent, TUNNEL_AGENT_ID, t->payload.agent_len + 1);
	ret = stamp_init(&t->stamp, state_dir, err, errlen);
out:
	if (ret)
		tunnel_clear(t);
	return ret;
}

void tunnel_clear(struct tunnel *t)
{
	handshake_clear(&t->hs);
	session_clear(&t->sessions, NULL);
	handshake_identity_clear(&t->id);
	tlv_msg1_clear(&t->payload);
	sodium_memzero(t, sizeof(*t));
}

int tunnel_initiation(struct tunnel *t, uint64_t now, uint64_t wall_ns, uint8_t *out, size_t size,
		      size_t *len, char *err, size_t errlen)
{
	const uint8_t *cookie = mac_cookie_get(&t->cookie, now);
	enum proto_reason reason;
	int ret;

	*len = 0;
	/* the stamp is on disk before any message carries it (PROTOCOL.md 3.5) */
	ret = stamp_next(&t->stamp, wall_ns, t->payload.timestamp, err, errlen);
	if (ret)
		goto out;
	/* sender index 0 and ephemeral NULL: both drawn at random, every attempt */
	reason = handshake_initiation_create(&t->hs, &t->id, &t->server, 0, &t->payload, cookie,
					     NULL, out, size, len);
	if (reason != PROTO_OK) {
		ret = -EINVAL;
		snprintf(err, errlen, "cannot make message 1: %s", proto_reason_str(reason));
	}
out:
	timers_handshake_sent(&t->timers, now, randombytes_random());
	return ret;
}

void tunnel_attempt_failed(struct tunnel *t, uint64_t now)
{
	timers_handshake_sent(&t->timers, now, randombytes_random());
}

enum tunnel_answer tunnel_answer(struct tunnel *t, const uint8_t *msg, size_t len, uint64_t now,
				 struct tlv_msg2 *m2, enum proto_reason *why)
{
	uint8_t cookie[WIRE_MAC_LEN];
	struct session_keys keys;
	enum tunnel_answer ans = TUNNEL_DROPPED;

	*why = PROTO_BAD_TYPE;
	if (len && msg[0] == WIRE_TYPE_COOKIE) {
		*why = handshake_cookie_consume(&t->hs, &t->server, msg, len, cookie);
		if (*why != PROTO_OK)
			goto out;
		mac_cookie_store(&t->cookie, cookie, now);
		timers_cookie_received(&t->timers, now, randombytes_random());
		ans = TUNNEL_COOKIE;
		goto out;
	}
	if (!len || msg[0] != WIRE_TYPE_RESPONSE)
		goto out;
	*why = handshake_response_consume(&t->hs, &t->id, msg, len, m2, &keys);
	if (*why != PROTO_OK)
		goto out;
	switch (m2->status) {
	case WIRE_STATUS_OK:
		session_install(&t->sessions, &keys, SESSION_INITIATOR, now, NULL);
		timers_response_ok(&t->timers, now, (uint64_t)m2->keepalive * WIRE_NSEC_PER_SEC);
		timers_rekey_spread(&t->timers, randombytes_random());
		t->handshakes++;
		ans = TUNNEL_OK;
		break;
	case WIRE_STATUS_REJECTED:
		/* the gateway no longer takes us (disabled, removed, re-keyed):
		 * whatever session it had with us is gone, so is ours */
		session_clear(&t->sessions, NULL);
		timers_response_refused(&t->timers, now, randombytes_random());
		ans = TUNNEL_REJECTED;
		break;
	default:
		timers_response_refused(&t->timers, now, randombytes_random());
		ans = TUNNEL_RETRY_LATER;
		break;
	}
out:
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(&keys, sizeof(keys));
	return ans;
}

enum proto_reason tunnel_encrypt(struct tunnel *t, uint8_t *buf, size_t cap, size_t len, size_t mtu,
				 uint64_t now, size_t *out_len)
{
	struct session_tx tx;
	enum proto_reason reason;

	reason = session_encrypt(&t->sessions, buf, cap, len, mtu, now, &tx);
	if (reason != PROTO_OK)
		return reason;
	if (tx.rekey)
		timers_rekey_wanted(&t->timers);
	timers_data_sent(&t->timers, now);
	*out_len = tx.len;
	return PROTO_OK;
}

enum proto_reason tunnel_keepalive(struct tunnel *t, uint8_t *buf, size_t cap, uint64_t now,
				   size_t *out_len)
{
	enum proto_reason reason = tunnel_encrypt(t, buf, cap, 0, WIRE_MTU_MAX, now, out_len);

	if (reason != PROTO_OK)
		timers_data_sent(&t->timers, now);
	return reason;
}

enum proto_reason tunnel_decrypt(struct tunnel *t, uint8_t *msg, size_t len, uint64_t now,
				 size_t *plain_len)
{
	struct data_header hdr;
	struct session_rx rx;
	enum proto_reason reason;

	reason = data_parse(msg, len, &hdr);
	if (reason != PROTO_OK)
		return reason;
	reason = session_decrypt(&t->sessions, &hdr, msg, len, msg + WIRE_DATA_OFF_PAYLOAD,
				 len - WIRE_DATA_OFF_PAYLOAD, now, &rx);
	if (reason != PROTO_OK)
		return reason;
	timers_data_received(&t->timers, now);
	*plain_len = rx.len;
	return PROTO_OK;
}

enum timers_action tunnel_next(struct tunnel *t, uint64_t now)
{
	session_expire(&t->sessions, now, NULL);
	return timers_next(&t->timers, now);
}

uint64_t tunnel_deadline(const struct tunnel *t, uint64_t now)
{
	uint64_t d = timers_deadline(&t->timers, now), s = session_deadline(&t->sessions);

	return s < d ? s : d;
}

bool tunnel_online(const struct tunnel *t, uint64_t now)
{
	return timers_online(&t->timers, now) && session_current(&t->sessions);
}
