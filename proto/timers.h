/* The timer rules of PROTOCOL.md section 5 as a pure state machine: the
 * daemons report events with `now` (CLOCK_MONOTONIC ns) and a random u32
 * for jitter, then ask what is due now and when to wake up next. */
#ifndef TETHER_PROTO_TIMERS_H
#define TETHER_PROTO_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/wire.h"

/*
 * Agent (the initiator; only it sends message 1, so only it rekeys):
 *
 *   - A message 1 is due when there is no live session, when the session
 *     is REKEY_AFTER_TIME old, or when REKEY_AFTER_MESSAGES was reached
 *     (timers_rekey_wanted) - and not before the wait set by the last
 *     attempt has run out. Every attempt is a fresh message 1.
 *   - Waits, each jittered by +-20 % from the random u32 (4-6 s for 5 s):
 *       silence while a session is still live (a rekey): REKEY_TIMEOUT
 *         every time, uncounted, so a rekey never waits minutes; the live
 *         session has at most 60 s left anyway;
 *       silence with no live session, REJECTED, RETRY_LATER: each is one
 *         more consecutive failure; after the k-th, the next attempt
 *         follows min(5 s * 2^(k-1), 300 s) later - 5, 10, 20, 40, 80,
 *         160, 300, 300 ... s - counted from the sending of an attempt
 *         that got no answer, or from the arrival of the refusal. At the
 *         300 s cap the jitter is folded back under it (240-300 s).
 *       a cookie reply: the next attempt (with mac2) at once, the first
 *         time; a cookie again before any answer counts as a failure.
 *     An OK message 2 resets the failures.
 *   - A keepalive is due at once after an OK message 2 (key confirmation,
 *     section 4), then whenever no data message was sent for the
 *     keepalive interval (25 s, or message 2's KEEPALIVE), while the
 *     session is live. Sending any data message satisfies both.
 *   - A session is live for REJECT_AFTER_TIME from message 2; after that
 *     nothing is sent on it (session_encrypt refuses it as well).
 *   - Dead peer (a concentrator that restarted has lost our session and
 *     drops everything on it silently): once a data message was sent
 *     with nothing authenticated received since (data, or any message 2),
 *     a message 1 is wanted K + REKEY_TIMEOUT after the first such send
 *     (K = the keepalive in effect), even though the session is live.
 *     It is a rekey: retried every REKEY_TIMEOUT, uncounted, while the
 *     session lives. The concentrator answers any data within K, a
 *     keepalive within K / 2 (at once when idle; below), so a live one is
 *     not taken for dead unless RTT and losses eat the REKEY_TIMEOUT
 *     margin. After a concentrator restart an idle agent is back
 *     K + REKEY_TIMEOUT to 2 K + REKEY_TIMEOUT later (its next keepalive
 *     is the first send to go unanswered): 7-9 s at K = 2 s, 30-55 s at
 *     25 s; one with traffic of its own, about K + REKEY_TIMEOUT.
 *
 * Concentrator: a device goes offline when nothing authenticated arrived
 * for WIRE_OFFLINE_KEEPALIVES x the keepalive in effect, or when its
 * current session is REJECT_AFTER_TIME old; it comes back with the next
 * confirmed session, or with authenticated data on a live one.
 *
 * Concentrator keepalive (passive: it only ever answers the agent). Let
 * S be our last data message sent to the device (never: minus infinity),
 * R the arrival of the first data message after S, and P that of the
 * first keepalive after S. A keepalive is due at
 *
 *     max(R, S + K)                                if no keepalive came,
 *     min(max(R, S + K), max(P, S + K / 2))        if one did,
 *
 * provided the confirmed session (timers_confirmed) is live then; any
 * data message we send clears R and P. So:
 *   - an agent keepalive - sent after K of the agent's silence, or to
 *     confirm a session - is answered at once unless we sent something in
 *     the last K / 2 (then at S + K / 2): an idle agent hears back within
 *     a round trip, and one lost keepalive never costs it a handshake;
 *   - other data is answered within K, and not at all when we send
 *     traffic of our own meanwhile;
 *   - two of our keepalives are at least K / 2 apart, and one comes sooner
 *     than K after our previous send only to answer an agent keepalive,
 *     which an honest agent sends at most once per K of its own silence:
 *     about one per K per device, never above two per K whatever it sends;
 *   - no ping-pong: the agent never sends because it received, and each
 *     of our keepalives answers a data message that came after our last
 *     send, so our keepalives never outnumber the agent's data messages;
 *   - nothing on a new session before it is confirmed (section 4): only
 *     a confirmed session makes keepalives possible, and an accepted
 *     message 1 (timers_initiation_received) owes none - message 2 is its
 *     answer. During a rekey they go on the previous confirmed session.
 *
 * Use: after each event, loop on timers_next() doing what it says and
 * reporting the matching event, until TIMERS_NONE; then sleep until
 * timers_deadline(). Report a send even when the datagram was lost
 * locally: to the protocol a failed send and a lost datagram are the same.
 */

enum timers_role {
	TIMERS_AGENT,
	TIMERS_CONCENTRATOR,
};

enum timers_action {
	TIMERS_NONE,
	TIMERS_SEND_HANDSHAKE, /* agent: send a fresh message 1, then timers_handshake_sent */
	TIMERS_SEND_KEEPALIVE, /* send an empty data message, then timers_data_sent */
	TIMERS_GO_OFFLINE,     /* concentrator: mark the device offline, then timers_went_offline */
};

#define TIMERS_NEVER UINT64_MAX

struct timers {
	enum timers_role role;
	uint64_t keepalive;	 /* interval in effect, ns */
	uint64_t created;	 /* when the current session was made */
	uint64_t last_sent;	 /* last data message sent */
	uint64_t last_received;	 /* last authenticated message */
	uint64_t next_handshake; /* agent: no message 1 before this */
	uint64_t unanswered;	 /* agent: first data sent since the last receipt */
	uint64_t owed_data;	 /* concentrator: R, first data received since S */
	uint64_t owed_keepalive; /* concentrator: P, first keepalive received since S */
	uint32_t failures;	 /* agent: consecutive failed attempts */
	bool has_session;
	bool sent;		/* a data message was ever sent (S exists) */
	bool awaiting;		/* agent: unanswered is set */
	bool owes_data;		/* concentrator: owed_data is set */
	bool owes_keepalive;	/* concentrator: owed_keepalive is set */
	bool inflight;		/* agent: a message 1 awaits its answer */
	bool keepalive_pending; /* agent: confirm a new session at once */
	bool rekey_requested;	/* agent: REKEY_AFTER_MESSAGES reached */
	bool cookie_retry;	/* agent: the current attempt follows a cookie */
	bool online;		/* concentrator: the device is marked online */
	uint64_t rekey_early;	/* agent: rekey this long before REKEY_AFTER_TIME */
};

/* No session. keepalive (ns) is the agent's default or the concentrator's
 * configured value; 0 means WIRE_KEEPALIVE_DEFAULT. */
void timers_init(struct timers *t, enum timers_role role, uint64_t keepalive);

/* The concentrator's keepalive changed (configuration reload); 0 means
 * WIRE_KEEPALIVE_DEFAULT. */
void timers_set_keepalive(struct timers *t, uint64_t keepalive);

/* Agent: a message 1 went out at now; jitter is a random u32. */
void timers_handshake_sent(struct timers *t, uint64_t now, uint32_t jitter);

/* Agent: an OK message 2 made a session at now, with message 2's KEEPALIVE
 * in ns (0 keeps the interval in effect). */
void timers_response_ok(struct timers *t, uint64_t now, uint64_t keepalive);

/* Agent: message 2 said REJECTED or RETRY_LATER. */
void timers_response_refused(struct timers *t, uint64_t now, uint32_t jitter);

/* Agent: a valid cookie reply answered the message 1 in flight. */
void timers_cookie_received(struct timers *t, uint64_t now, uint32_t jitter);

/* Agent: session_encrypt said REKEY_AFTER_MESSAGES was reached. */
void timers_rekey_wanted(struct timers *t);

/* Agent: rekey up to TIMERS_REKEY_SPREAD before REKEY_AFTER_TIME, by a
 * random u32, so devices that came online together (a gateway restart)
 * do not all rekey in the same second forever after. Kept until changed;
 * call it after each timers_response_ok. */
#define TIMERS_REKEY_SPREAD (10 * WIRE_NSEC_PER_SEC)
void timers_rekey_spread(struct timers *t, uint32_t random);

/* A data message (keepalives included) was sent at now. */
void timers_data_sent(struct timers *t, uint64_t now);

/* A data message that decrypted arrived at now, on any session. */
void timers_data_received(struct timers *t, uint64_t now);

/* The same for a keepalive (an empty data message): the concentrator
 * answers it sooner. Reported as timers_data_received, it is still
 * answered, only up to K later. */
void timers_keepalive_received(struct timers *t, uint64_t now);

/* Concentrator: an accepted message 1 arrived at now. It keeps the device
 * from going offline but owes no keepalive: message 2 answers it. */
void timers_initiation_received(struct timers *t, uint64_t now);

/* Concentrator: a data message at now confirmed a session made at created
 * (session_rx.confirmed, session_rx.created): the device is online. It
 * counts as that message's arrival (timers_data_received); report it with
 * timers_keepalive_received as well when it was a keepalive. */
void timers_confirmed(struct timers *t, uint64_t now, uint64_t created);

/* Concentrator: the device was marked offline. */
void timers_went_offline(struct timers *t);

/* What is due at now, one action at a time. */
enum timers_action timers_next(const struct timers *t, uint64_t now);

/* When timers_next may next return an action if no event comes first
 * (at or before now when one is due); TIMERS_NEVER for never. */
uint64_t timers_deadline(const struct timers *t, uint64_t now);

/* Agent: a live session exists. Concentrator: the device is online. */
bool timers_online(const struct timers *t, uint64_t now);

#endif
