/* Section 5 timers as pure functions of the recorded events and `now`: the
 * action due and the next deadline are computed by one planner, so the two
 * can never disagree (a deadline in the past always has an action). */
#include <string.h>

#include "proto/timers.h"

/* d +- WIRE_REKEY_JITTER_PERCENT %, uniform in [0.8 d, 1.2 d) over r. The
 * 64 x 32-bit product is split so that no 128-bit type is needed (agents
 * run on 32-bit ARM too). */
static uint64_t jitter(uint64_t d, uint32_t r)
{
	uint64_t span = d * 2 * WIRE_REKEY_JITTER_PERCENT / 100;
	uint64_t off = (span >> 32) * r + (((span & 0xffffffffULL) * r) >> 32);

	return d - span / 2 + off;
}

/* The wait after the f-th consecutive failure: 5 s doubling to 300 s,
 * jittered, folded back under the cap so waits stay within it yet spread. */
static uint64_t backoff(uint32_t f, uint32_t r)
{
	uint64_t d = WIRE_BACKOFF_MIN;
	uint64_t wait;

	for (uint32_t i = 1; i < f && d < WIRE_BACKOFF_MAX; i++)
		d *= 2;
	if (d > WIRE_BACKOFF_MAX)
		d = WIRE_BACKOFF_MAX;
	wait = jitter(d, r);
	if (wait > WIRE_BACKOFF_MAX)
		wait = 2 * WIRE_BACKOFF_MAX - wait;
	return wait;
}

static uint64_t session_end(const struct timers *t)
{
	return t->created + WIRE_REJECT_AFTER_TIME;
}

static bool live(const struct timers *t, uint64_t now)
{
	return t->has_session && now < session_end(t);
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Agent: the concentrator spoke (data, or a message 2 of any status), so
 * it still knows us: the dead-peer clock stops. */
static void heard(struct timers *t)
{
	t->awaiting = false;
}

void timers_init(struct timers *t, enum timers_role role, uint64_t keepalive)
{
	memset(t, 0, sizeof(*t));
	t->role = role;
	timers_set_keepalive(t, keepalive);
}

void timers_set_keepalive(struct timers *t, uint64_t keepalive)
{
	t->keepalive = keepalive ? keepalive : WIRE_KEEPALIVE_DEFAULT;
}

static void count_failure(struct timers *t)
{
	if (t->failures < UINT32_MAX)
		t->failures++;
}

/* A refusal (or a second cookie): back off from now. */
static void fail(struct timers *t, uint64_t now, uint32_t r)
{
	count_failure(t);
	t->next_handshake = now + backoff(t->failures, r);
}

void timers_handshake_sent(struct timers *t, uint64_t now, uint32_t r)
{
	if (live(t, now)) {
		/* a rekey: the old session carries traffic meanwhile, retry soon */
		t->next_handshake = now + jitter(WIRE_REKEY_TIMEOUT, r);
	} else {
		/* a retransmission: the attempt before this one got no answer */
		if (t->inflight)
			count_failure(t);
		/* had this attempt failed, the next one would wait this long */
		t->next_handshake = now + backoff(t->failures + 1, r);
	}
	t->inflight = true;
}

void timers_response_ok(struct timers *t, uint64_t now, uint64_t keepalive)
{
	t->has_session = true;
	t->created = now;
	t->last_received = now;
	t->next_handshake = 0;
	t->failures = 0;
	t->inflight = false;
	t->cookie_retry = false;
	t->rekey_requested = false;
	t->keepalive_pending = true;
	heard(t);
	if (keepalive)
		t->keepalive = keepalive;
}

void timers_rekey_spread(struct timers *t, uint32_t random)
{
	/* in microseconds first: random * spread in ns would overflow */
	uint64_t us = (uint64_t)random * (TIMERS_REKEY_SPREAD / 1000) / UINT32_MAX;

	t->rekey_early = us * 1000;
}

void timers_response_refused(struct timers *t, uint64_t now, uint32_t r)
{
	t->inflight = false;
	t->cookie_retry = false;
	heard(t);
	fail(t, now, r);
}

void timers_cookie_received(struct timers *t, uint64_t now, uint32_t r)
{
	if (!t->inflight)
		return;
	t->inflight = false;
	if (t->cookie_retry) {
		fail(t, now, r);
		return;
	}
	/* section 3.4: at once a fresh message 1 carrying mac2 */
	t->cookie_retry = true;
	t->next_handshake = now;
}

void timers_rekey_wanted(struct timers *t)
{
	t->rekey_requested = true;
}

void timers_data_sent(struct timers *t, uint64_t now)
{
	t->last_sent = now;
	t->sent = true;
	t->keepalive_pending = false;
	/* concentrator: whatever we send answers what came before it */
	t->owes_data = false;
	t->owes_keepalive = false;
	/* agent: the dead-peer clock runs from the first unanswered send */
	if (t->role == TIMERS_AGENT && !t->awaiting) {
		t->awaiting = true;
		t->unanswered = now;
	}
}

void timers_data_received(struct timers *t, uint64_t now)
{
	t->last_received = now;
	if (t->role == TIMERS_AGENT) {
		heard(t);
		return;
	}
	/* data on an expired session revives nothing and is not answered */
	if (!live(t, now))
		return;
	t->online = true;
	if (!t->owes_data) {
		t->owes_data = true;
		t->owed_data = now;
	}
}

void timers_keepalive_received(struct timers *t, uint64_t now)
{
	timers_data_received(t, now);
	if (t->role == TIMERS_CONCENTRATOR && live(t, now) && !t->owes_keepalive) {
		t->owes_keepalive = true;
		t->owed_keepalive = now;
	}
}

void timers_initiation_received(struct timers *t, uint64_t now)
{
	t->last_received = now;
}

void timers_confirmed(struct timers *t, uint64_t now, uint64_t created)
{
	t->has_session = true;
	t->created = created;
	timers_data_received(t, now);
	t->online = live(t, now);
}

void timers_went_offline(struct timers *t)
{
	t->online = false;
}

/* The single planner: the earliest time each rule fires, given no event. */
struct plan {
	uint64_t handshake;
	uint64_t keepalive;
	uint64_t offline;
};

/* Concentrator: when the keepalive rule of timers.h fires (R, P, S). */
static uint64_t answer(const struct timers *t)
{
	uint64_t s_full = t->sent ? t->last_sent + t->keepalive : 0;
	uint64_t s_half = t->sent ? t->last_sent + t->keepalive / 2 : 0;
	uint64_t due = TIMERS_NEVER;

	if (t->owes_data)
		due = max64(t->owed_data, s_full);
	if (t->owes_keepalive)
		due = min64(due, max64(t->owed_keepalive, s_half));
	return due;
}

static struct plan plan(const struct timers *t, uint64_t now)
{
	struct plan p = {TIMERS_NEVER, TIMERS_NEVER, TIMERS_NEVER};

	if (t->role == TIMERS_CONCENTRATOR) {
		uint64_t silent = t->last_received + WIRE_OFFLINE_KEEPALIVES * t->keepalive;

		if (t->online)
			p.offline = silent < session_end(t) ? silent : session_end(t);
		/* only on the confirmed session, and none due after it ends */
		if (live(t, now)) {
			uint64_t k = answer(t);

			if (k < session_end(t))
				p.keepalive = k;
		}
		return p;
	}

	/* a handshake is wanted from the rekey time on (at once with no
	 * session), or K + REKEY_TIMEOUT after the first send the concentrator
	 * left unanswered; allowed from next_handshake on */
	if (t->has_session && !t->rekey_requested) {
		uint64_t want = t->created + WIRE_REKEY_AFTER_TIME - t->rekey_early;

		if (t->awaiting)
			want = min64(want, t->unanswered + t->keepalive + WIRE_REKEY_TIMEOUT);
		p.handshake = max64(t->next_handshake, want);
	} else {
		p.handshake = t->next_handshake;
	}

	/* keepalives only on a live session, and none due after it ends */
	if (live(t, now)) {
		uint64_t k = t->keepalive_pending ? t->created : t->last_sent + t->keepalive;

		if (k < session_end(t))
			p.keepalive = k;
	}
	return p;
}

enum timers_action timers_next(const struct timers *t, uint64_t now)
{
	struct plan p = plan(t, now);

	if (p.handshake <= now)
		return TIMERS_SEND_HANDSHAKE;
	if (p.keepalive <= now)
		return TIMERS_SEND_KEEPALIVE;
	if (p.offline <= now)
		return TIMERS_GO_OFFLINE;
	return TIMERS_NONE;
}

uint64_t timers_deadline(const struct timers *t, uint64_t now)
{
	struct plan p = plan(t, now);
	uint64_t d = p.handshake;

	if (p.keepalive < d)
		d = p.keepalive;
	if (p.offline < d)
		d = p.offline;
	return d;
}

bool timers_online(const struct timers *t, uint64_t now)
{
	if (t->role == TIMERS_AGENT)
		return live(t, now);
	/* the plan, not timers_next: a keepalive due would hide the offline */
	return t->online && plan(t, now).offline > now;
}
