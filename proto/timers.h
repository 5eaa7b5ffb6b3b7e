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
 *
 * Concentrator: a device goes offline when nothing authenticated arrived
 * for WIRE_OFFLINE_KEEPALIVES x the keepalive in effect, or when its
 * current session is REJECT_AFTER_TIME old; it comes back with the next
 * confirmed session, or with authenticated data on a live one.
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
	TIMERS_SEND_KEEPALIVE, /* agent: send an empty data message, then timers_data_sent */
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
	uint32_t failures;	 /* agent: consecutive failed attempts */
	bool has_session;
	bool inflight;		/* agent: a message 1 awaits its answer */
	bool keepalive_pending; /* agent: confirm a new session at once */
	bool rekey_requested;	/* agent: REKEY_AFTER_MESSAGES reached */
	bool cookie_retry;	/* agent: the current attempt follows a cookie */
	bool online;		/* concentrator: the device is marked online */
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

/* A data message (keepalives included) was sent at now. */
void timers_data_sent(struct timers *t, uint64_t now);

/* An authenticated message arrived at now: a data message that decrypted,
 * or (concentrator) an accepted message 1. */
void timers_data_received(struct timers *t, uint64_t now);

/* Concentrator: a data message at now confirmed a session made at created
 * (session_rx.confirmed, session_rx.created): the device is online. */
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
