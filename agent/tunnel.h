/* The agent's side of the protocol, without I/O: the handshake as
 * initiator (fresh message 1 per attempt with a persisted TIMESTAMP,
 * cookies, message 2), the sessions it yields and the timers of
 * PROTOCOL.md section 5. `enroll` and the daemon both drive it; the
 * daemon also seals and opens data messages through it.
 *
 *   tunnel_initiation  -> send message 1           (timers: attempt made)
 *   tunnel_answer      <- message 2 or cookie reply (timers: OK, refused, cookie)
 *   tunnel_encrypt / tunnel_keepalive / tunnel_decrypt: data messages
 *   tunnel_next / tunnel_deadline: what is due, and when
 */
#ifndef TETHER_AGENT_TUNNEL_H
#define TETHER_AGENT_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/stamp.h"
#include "proto/handshake.h"
#include "proto/mac.h"
#include "proto/reason.h"
#include "proto/session.h"
#include "proto/timers.h"
#include "proto/tlv.h"

struct tunnel {
	struct handshake_identity id;
	struct handshake_peer server;
	struct handshake hs;	 /* the attempt in flight */
	struct tlv_msg1 payload; /* NAME, AGENT, ENROLL_TOKEN; TIMESTAMP per attempt */
	struct mac_cookie cookie;
	struct session_peer sessions;
	struct timers timers;
	struct stamp stamp;
	uint64_t handshakes; /* completed with OK */
};

/* What an answer from the gateway was. */
enum tunnel_answer {
	TUNNEL_DROPPED,	    /* not for us or not authentic: why says why */
	TUNNEL_COOKIE,	    /* under load: send a fresh message 1 at once (tunnel_next says so) */
	TUNNEL_OK,	    /* a session: m2 holds addresses, MTU, keepalive, URL */
	TUNNEL_REJECTED,    /* refused: any session is dropped, backing off */
	TUNNEL_RETRY_LATER, /* the gateway cannot serve now: backing off */
};

/* priv is the device's private key, server_key the gateway's; token NULL
 * except for `enroll`. Stamps live in state_dir. -EINVAL with err for a
 * bad key, name or token, or a state_dir path too long. */
int tunnel_init(struct tunnel *t, const uint8_t priv[WIRE_KEY_LEN],
		const uint8_t server_key[WIRE_KEY_LEN], const char *name, const char *token,
		const char *state_dir, char *err, size_t errlen);

/* Wipe every secret: keys, sessions, token. */
void tunnel_clear(struct tunnel *t);

/* A fresh message 1 into out (WIRE_INIT_MAX_LEN bytes) for an attempt at
 * now (monotonic ns), TIMESTAMP from wall_ns and stored first. The attempt
 * counts for the timers whether or not it could be made: on an error
 * (-errno, err says why, e.g. the stamp could not be written) nothing is to
 * be sent and the next attempt waits as after silence. */
int tunnel_initiation(struct tunnel *t, uint64_t now, uint64_t wall_ns, uint8_t *out, size_t size,
		      size_t *len, char *err, size_t errlen);

/* An attempt that could not even be made (no address for the server). */
void tunnel_attempt_failed(struct tunnel *t, uint64_t now);

/* A message 2 or cookie reply from the gateway. m2 is filled for TUNNEL_OK
 * (the session is installed), why for TUNNEL_DROPPED. */
enum tunnel_answer tunnel_answer(struct tunnel *t, const uint8_t *msg, size_t len, uint64_t now,
				 struct tlv_msg2 *m2, enum proto_reason *why);

/* Seal the inner packet at buf + WIRE_DATA_OFF_PAYLOAD (len bytes) on the
 * current session; *out_len is the datagram's length. The reasons of
 * session_encrypt. Reports the send to the timers. */
enum proto_reason tunnel_encrypt(struct tunnel *t, uint8_t *buf, size_t cap, size_t len, size_t mtu,
				 uint64_t now, size_t *out_len);

/* An empty data message; reported to the timers even if it cannot be
 * made, so a due keepalive never stays due. */
enum proto_reason tunnel_keepalive(struct tunnel *t, uint8_t *buf, size_t cap, uint64_t now,
				   size_t *out_len);

/* Open a data message in place: the plaintext is at msg +
 * WIRE_DATA_OFF_PAYLOAD, *plain_len bytes (0: a keepalive). The reasons of
 * data_parse and session_decrypt. */
enum proto_reason tunnel_decrypt(struct tunnel *t, uint8_t *msg, size_t len, uint64_t now,
				 size_t *plain_len);

/* Drop expired sessions; then what is due now, and when the next thing is. */
enum timers_action tunnel_next(struct tunnel *t, uint64_t now);
uint64_t tunnel_deadline(const struct tunnel *t, uint64_t now);

/* A live session carries traffic. */
bool tunnel_online(const struct tunnel *t, uint64_t now);

#endif
