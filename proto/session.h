/* Tunnel sessions (PROTOCOL.md sections 4 and 5): the keys, counters and
 * replay window of one handshake's result, and the fixed set of sessions a
 * peer holds while rekeying (current, previous, next-unconfirmed). */
#ifndef TETHER_PROTO_SESSION_H
#define TETHER_PROTO_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/data.h"
#include "proto/reason.h"
#include "proto/replay.h"
#include "proto/wire.h"

/* What a completed handshake hands over (Split() and the two indices). */
struct session_keys {
	uint8_t send[WIRE_KEY_LEN];
	uint8_t recv[WIRE_KEY_LEN];
	uint32_t local_index;  /* we chose it: the receiver_index of messages to us */
	uint32_t remote_index; /* the peer chose it: the receiver_index we send */
};

enum session_role {
	SESSION_INITIATOR, /* the agent: a session is current from message 2 on */
	SESSION_RESPONDER, /* the concentrator: a session waits in next until confirmed */
};

struct session {
	struct session_keys keys;
	struct replay replay;  /* of the receive direction */
	uint64_t send_counter; /* the counter of the next message sent */
	uint64_t created;      /* now when the handshake completed */
	enum session_role role;
	bool confirmed; /* the peer has shown it holds the keys */
	bool can_send;	/* false once previous: its send key is wiped */
};

enum session_slots {
	SESSION_SLOTS = 3,
	SESSION_NONE = -1,
};

/* The sessions of one peer, in fixed slots: current sends and receives;
 * previous (the one current replaced) only receives, until it expires, so
 * rekeying loses no packet; next (responder only) is a new session the
 * peer has not confirmed yet. Members name slots, or SESSION_NONE. */
struct session_peer {
	struct session slot[SESSION_SLOTS];
	int8_t current;
	int8_t previous;
	int8_t next;
};

/* Local indices of the sessions a call dropped (their keys are wiped), so
 * the daemon can forget them in its index table. */
struct session_drops {
	uint32_t index[SESSION_SLOTS];
	unsigned count;
};

/* What session_encrypt did. */
struct session_tx {
	size_t len; /* the datagram's length */
	bool rekey; /* REKEY_AFTER_MESSAGES reached on this session */
};

/* What session_decrypt found. */
struct session_rx {
	size_t len;	  /* plaintext length; 0 is a keepalive */
	uint64_t created; /* creation time of the session it came on */
	bool confirmed;	  /* it confirmed next, which is now current */
	struct session_drops dropped;
};

/* No session at all. */
void session_init(struct session_peer *p);

/* Drop every session (device removed, refused, daemon stopping). drops may
 * be NULL. */
void session_clear(struct session_peer *p, struct session_drops *drops);

/* Install the result of a handshake completed at now, and wipe *keys.
 * Initiator: it is current at once; current becomes previous and the old
 * previous is dropped. Responder: it becomes next, replacing (dropping) an
 * unconfirmed next; current keeps sending until a data message arrives on
 * the new one (section 4, key confirmation). drops may be NULL. */
void session_install(struct session_peer *p, struct session_keys *keys, enum session_role role,
		     uint64_t now, struct session_drops *drops);

/* Seal the inner packet at msg + WIRE_DATA_OFF_PAYLOAD (len bytes, 0 for a
 * keepalive) on the current session, as data_seal does. Refused with
 * PROTO_SESSION_EXPIRED when there is no current session or it is
 * REJECT_AFTER_TIME old, PROTO_COUNTER_LIMIT when its counters are used
 * up, PROTO_TOO_BIG as data_seal; a refused packet uses no counter. */
enum proto_reason session_encrypt(struct session_peer *p, uint8_t *msg, size_t cap, size_t len,
				  size_t mtu, uint64_t now, struct session_tx *tx);

/* Open a data message (hdr from data_parse) on the session whose local
 * index is hdr->receiver: current, previous or next. Out and out_cap as in
 * data_open (in place allowed). PROTO_UNKNOWN_INDEX, PROTO_SESSION_EXPIRED,
 * the replay reasons, PROTO_TOO_BIG or PROTO_DECRYPT; the replay window
 * moves only after the message authenticated. The first message on next
 * confirms it: previous is dropped, current becomes previous, next becomes
 * current. */
enum proto_reason session_decrypt(struct session_peer *p, const struct data_header *hdr,
				  const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap,
				  uint64_t now, struct session_rx *rx);

/* Drop every session REJECT_AFTER_TIME old at now. drops may be NULL. */
void session_expire(struct session_peer *p, uint64_t now, struct session_drops *drops);

/* When session_expire will next drop something; UINT64_MAX for never. */
uint64_t session_deadline(const struct session_peer *p);

/* The session that sends, or NULL (errno ENOENT) when there is none. */
const struct session *session_current(const struct session_peer *p);

#endif
