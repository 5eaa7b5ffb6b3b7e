/* Section 5 timers: rekey at 120 s, nothing past 180 s, retransmission
 * with its jitter bounds, backoff growth, cap and reset, keepalives (25 s
 * or message 2's value), key confirmation, the concentrator's offline
 * rule, its answering keepalives and the agent's dead-peer handshake - all
 * exact, since time and randomness are parameters; then both sides run
 * against each other over simulated minutes. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/timers.h"

#define SEC WIRE_NSEC_PER_SEC
#define T0  (1000 * SEC)
#define MID 0x80000000u /* jitter value that gives the plain delay */

static struct timers t;

static void agent(void)
{
	timers_init(&t, TIMERS_AGENT, 0);
}

/* The agent connected at `at` with message 2's keepalive ka (ns). */
static void connected(uint64_t at, uint64_t ka)
{
	agent();
	cr_assert_eq(timers_next(&t, at), TIMERS_SEND_HANDSHAKE);
	timers_handshake_sent(&t, at, MID);
	timers_response_ok(&t, at, ka);
	cr_assert_eq(timers_next(&t, at), TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, at);
	cr_assert_eq(timers_next(&t, at), TIMERS_NONE);
}

/* Nothing due before `at`, `what` due at `at`, and the deadline says so. */
static void due_at(uint64_t from, uint64_t at, enum timers_action what)
{
	cr_assert_eq(timers_deadline(&t, from), at, "deadline %llu, want %llu",
		     (unsigned long long)timers_deadline(&t, from), (unsigned long long)at);
	cr_assert_eq(timers_next(&t, at - 1), TIMERS_NONE);
	cr_assert_eq(timers_next(&t, at), what);
}

Test(timers, defaults)
{
	agent();
	cr_assert_eq(t.keepalive, 25 * SEC);
	timers_init(&t, TIMERS_CONCENTRATOR, 15 * SEC);
	cr_assert_eq(t.keepalive, 15 * SEC);
	timers_set_keepalive(&t, 0);
	cr_assert_eq(t.keepalive, WIRE_KEEPALIVE_DEFAULT);
}

Test(timers, handshake_at_once_without_session)
{
	agent();
	cr_assert_eq(timers_next(&t, 0), TIMERS_SEND_HANDSHAKE);
	cr_assert_eq(timers_next(&t, T0), TIMERS_SEND_HANDSHAKE);
	cr_assert_eq(timers_deadline(&t, T0), 0, "already due");
	cr_assert_not(timers_online(&t, T0));
}

Test(timers, retransmission_jitter_bounds)
{
	/* 5 s +- 20 %: 4 s at the lowest random value, just under 6 s at the
	 * highest, 5 s in the middle */
	const struct {
		uint32_t r;
		uint64_t wait;
	} cases[] = {
		{0, 4 * SEC},
		{MID, 5 * SEC},
		{UINT32_MAX, 6 * SEC - 1},
		{0x40000000u, 4500 * (SEC / 1000)},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		agent();
		timers_handshake_sent(&t, T0, cases[i].r);
		cr_assert_eq(timers_next(&t, T0), TIMERS_NONE);
		due_at(T0, T0 + cases[i].wait, TIMERS_SEND_HANDSHAKE);
	}
	/* every random value lands inside [4 s, 6 s) */
	for (uint64_t r = 0; r <= UINT32_MAX; r += 0x01000193) {
		agent();
		timers_handshake_sent(&t, T0, (uint32_t)r);
		uint64_t d = timers_deadline(&t, T0) - T0;

		cr_assert(d >= 4 * SEC && d < 6 * SEC, "r %llu: %llu", (unsigned long long)r,
			  (unsigned long long)d);
	}
}

Test(timers, silence_backs_off_to_the_cap)
{
	/* no session: each silent attempt doubles the wait, 5 s to 300 s */
	const uint64_t waits[] = {5, 10, 20, 40, 80, 160, 300, 300, 300};
	uint64_t now = T0;

	agent();
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		cr_assert_eq(timers_next(&t, now), TIMERS_SEND_HANDSHAKE, "attempt %zu", i + 1);
		timers_handshake_sent(&t, now, MID);
		due_at(now, now + waits[i] * SEC, TIMERS_SEND_HANDSHAKE);
		now += waits[i] * SEC;
	}
	cr_assert_eq(t.failures, 8);
}

Test(timers, refusals_back_off_and_success_resets)
{
	const uint64_t waits[] = {5, 10, 20, 40, 80, 160, 300, 300};
	uint64_t now = T0;

	agent();
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		cr_assert_eq(timers_next(&t, now), TIMERS_SEND_HANDSHAKE);
		timers_handshake_sent(&t, now, MID);
		now += SEC / 20; /* the answer: REJECTED or RETRY_LATER */
		timers_response_refused(&t, now, MID);
		due_at(now, now + waits[i] * SEC, TIMERS_SEND_HANDSHAKE);
		now += waits[i] * SEC;
	}
	/* a refused attempt that then goes unanswered keeps doubling */
	timers_handshake_sent(&t, now, MID);
	due_at(now, now + 300 * SEC, TIMERS_SEND_HANDSHAKE);

	/* success resets: the next failure waits 5 s again */
	timers_response_ok(&t, now, 0);
	cr_assert_eq(t.failures, 0);
	now += 121 * SEC;
	timers_data_sent(&t, now);
	cr_assert_eq(timers_next(&t, now), TIMERS_SEND_HANDSHAKE);
	timers_handshake_sent(&t, now, MID);
	timers_response_refused(&t, now, MID);
	due_at(now, now + 5 * SEC, TIMERS_SEND_HANDSHAKE);
}

Test(timers, backoff_jitter_stays_under_the_cap)
{
	uint64_t now = T0;

	agent();
	for (int i = 0; i < 10; i++) {
		timers_handshake_sent(&t, now, MID);
		timers_response_refused(&t, now, MID);
		now = timers_deadline(&t, now);
	}
	/* at the cap: 240 s at the lowest random value, at most 300 s */
	timers_handshake_sent(&t, now, MID);
	timers_response_refused(&t, now, 0);
	cr_assert_eq(timers_deadline(&t, now) - now, 240 * SEC);
	timers_handshake_sent(&t, now, MID);
	timers_response_refused(&t, now, UINT32_MAX);
	cr_assert_leq(timers_deadline(&t, now) - now, 300 * SEC);
	cr_assert_geq(timers_deadline(&t, now) - now, 240 * SEC);
	/* below the cap the jitter is +-20 %: 160 s -> [128 s, 192 s) */
	agent();
	for (int i = 0; i < 6; i++)
		timers_response_refused(&t, now, MID);
	cr_assert_eq(timers_deadline(&t, now) - now, 160 * SEC);
	agent();
	for (int i = 0; i < 6; i++)
		timers_response_refused(&t, now, 0);
	cr_assert_eq(timers_deadline(&t, now) - now, 128 * SEC);
}

Test(timers, keepalive_confirms_at_once_then_every_25s)
{
	agent();
	timers_handshake_sent(&t, T0, MID);
	timers_response_ok(&t, T0, 0);
	cr_assert(timers_online(&t, T0));
	/* section 4: a keepalive at once on the new session */
	cr_assert_eq(timers_next(&t, T0), TIMERS_SEND_KEEPALIVE);
	cr_assert_eq(timers_deadline(&t, T0), T0);
	timers_data_sent(&t, T0);
	/* the concentrator answers (without it a handshake comes at 30 s) */
	timers_keepalive_received(&t, T0 + SEC / 20);
	due_at(T0, T0 + 25 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, T0 + 25 * SEC);
	timers_keepalive_received(&t, T0 + 25 * SEC + SEC / 20);
	/* traffic pushes the keepalive back */
	timers_data_sent(&t, T0 + 40 * SEC);
	due_at(T0 + 40 * SEC, T0 + 65 * SEC, TIMERS_SEND_KEEPALIVE);
	/* receiving does not count as sending */
	timers_data_received(&t, T0 + 60 * SEC);
	cr_assert_eq(timers_next(&t, T0 + 65 * SEC), TIMERS_SEND_KEEPALIVE);
}

Test(timers, any_data_confirms_too)
{
	agent();
	timers_response_ok(&t, T0, 0);
	timers_data_sent(&t, T0 + 1); /* a packet was waiting: it confirms as well */
	cr_assert_eq(timers_next(&t, T0 + 1), TIMERS_NONE);
}

Test(timers, keepalive_from_message_2)
{
	connected(T0, 15 * SEC);
	due_at(T0, T0 + 15 * SEC, TIMERS_SEND_KEEPALIVE);
	/* a later message 2 without a value keeps the one in effect */
	timers_response_ok(&t, T0 + 120 * SEC, 0);
	timers_data_sent(&t, T0 + 120 * SEC);
	due_at(T0 + 120 * SEC, T0 + 135 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_response_ok(&t, T0 + 240 * SEC, 3600 * SEC);
	timers_data_sent(&t, T0 + 240 * SEC);
	/* an hour is past the session's life: the rekey comes first */
	due_at(T0 + 240 * SEC, T0 + 360 * SEC, TIMERS_SEND_HANDSHAKE);
}

Test(timers, rekey_at_120s)
{
	uint64_t now = T0;

	connected(T0, 0);
	/* keep the link busy both ways so only the rekey can be due */
	for (now = T0; now < T0 + 120 * SEC; now += 20 * SEC) {
		timers_data_sent(&t, now);
		timers_data_received(&t, now + SEC / 10);
	}
	cr_assert_eq(timers_deadline(&t, T0 + 119 * SEC), T0 + 120 * SEC);
	cr_assert_eq(timers_next(&t, T0 + 120 * SEC - 1), TIMERS_NONE);
	cr_assert_eq(timers_next(&t, T0 + 120 * SEC), TIMERS_SEND_HANDSHAKE);
}

Test(timers, rekey_spread_up_to_10s_early)
{
	uint64_t now;

	connected(T0, 0);
	timers_rekey_spread(&t, UINT32_MAX);
	for (now = T0; now < T0 + 100 * SEC; now += 5 * SEC) {
		timers_data_sent(&t, now);
		timers_data_received(&t, now + SEC / 10);
	}
	cr_assert_eq(timers_next(&t, T0 + 110 * SEC - 1), TIMERS_NONE);
	cr_assert_eq(timers_next(&t, T0 + 110 * SEC), TIMERS_SEND_HANDSHAKE);

	connected(T0, 0);
	timers_rekey_spread(&t, UINT32_MAX / 2);
	for (now = T0; now < T0 + 100 * SEC; now += 5 * SEC) {
		timers_data_sent(&t, now);
		timers_data_received(&t, now + SEC / 10);
	}
	now = T0 + 120 * SEC - (uint64_t)(UINT32_MAX / 2) * (TIMERS_REKEY_SPREAD / 1000) / UINT32_MAX * 1000;
	cr_assert(now > T0 + 114 * SEC && now < T0 + 116 * SEC);
	cr_assert_eq(timers_next(&t, now - 1), TIMERS_NONE);
	cr_assert_eq(timers_next(&t, now), TIMERS_SEND_HANDSHAKE);
}

Test(timers, rekey_retries_every_5s_while_the_session_lives)
{
	uint64_t now = T0 + 120 * SEC;

	connected(T0, 0);
	/* silence all along: still 5 s +- 20 %, never minutes */
	while (now < T0 + 180 * SEC) {
		cr_assert_eq(timers_next(&t, now), TIMERS_SEND_HANDSHAKE);
		timers_handshake_sent(&t, now, UINT32_MAX);
		timers_data_sent(&t, now); /* traffic continues on the old session */
		cr_assert_lt(timers_deadline(&t, now), now + 6 * SEC);
		now = timers_deadline(&t, now);
	}
	cr_assert_eq(t.failures, 0, "retries of a live session are not failures");
	/* past 180 s the session is gone and silence starts to count */
	timers_handshake_sent(&t, now, MID);
	cr_assert_eq(t.failures, 1);
	cr_assert_eq(timers_deadline(&t, now), now + 10 * SEC);
}

Test(timers, message_limit_rekeys_at_once)
{
	connected(T0, 0);
	timers_rekey_wanted(&t);
	cr_assert_eq(timers_next(&t, T0 + SEC), TIMERS_SEND_HANDSHAKE);
	timers_handshake_sent(&t, T0 + SEC, MID);
	due_at(T0 + SEC, T0 + 6 * SEC, TIMERS_SEND_HANDSHAKE);
	timers_response_ok(&t, T0 + 2 * SEC, 0);
	cr_assert_not(t.rekey_requested);
}

Test(timers, nothing_sent_past_180s)
{
	connected(T0, 0);
	/* the rekey never succeeds */
	timers_data_sent(&t, T0 + 170 * SEC);
	timers_handshake_sent(&t, T0 + 170 * SEC, MID);
	cr_assert(timers_online(&t, T0 + 180 * SEC - 1));
	cr_assert_not(timers_online(&t, T0 + 180 * SEC));
	/* the keepalive would be due at 195 s: the session is dead by then */
	for (uint64_t now = T0 + 175 * SEC; now < T0 + 200 * SEC; now += SEC / 2) {
		enum timers_action a = timers_next(&t, now);

		cr_assert_neq(a, TIMERS_SEND_KEEPALIVE, "at %llu s",
			      (unsigned long long)((now - T0) / SEC));
		if (a == TIMERS_SEND_HANDSHAKE)
			timers_handshake_sent(&t, now, MID);
	}
	/* and a confirmation keepalive is not owed past the end either */
	agent();
	timers_response_ok(&t, T0, 0);
	cr_assert_eq(timers_next(&t, T0 + 180 * SEC), TIMERS_SEND_HANDSHAKE);
	timers_handshake_sent(&t, T0 + 180 * SEC, MID);
	cr_assert_eq(timers_next(&t, T0 + 180 * SEC), TIMERS_NONE);
	cr_assert_eq(timers_deadline(&t, T0 + 180 * SEC), T0 + 185 * SEC, "a first attempt");
}

Test(timers, cookie_resends_at_once_then_backs_off)
{
	agent();
	timers_handshake_sent(&t, T0, MID);
	timers_cookie_received(&t, T0 + 1, MID);
	cr_assert_eq(timers_next(&t, T0 + 1), TIMERS_SEND_HANDSHAKE);
	timers_handshake_sent(&t, T0 + 1, MID);
	cr_assert_eq(t.failures, 0);
	/* a second cookie before any answer: back off */
	timers_cookie_received(&t, T0 + 2, MID);
	cr_assert_eq(t.failures, 1);
	due_at(T0 + 2, T0 + 2 + 5 * SEC, TIMERS_SEND_HANDSHAKE);
	/* a cookie with nothing in flight is ignored */
	agent();
	timers_response_ok(&t, T0, 0);
	timers_cookie_received(&t, T0, MID);
	cr_assert_eq(timers_next(&t, T0), TIMERS_SEND_KEEPALIVE);
}

/* Concentrator: a keepalive is due at now; send it. */
static void answered(uint64_t now)
{
	cr_assert_eq(timers_next(&t, now), TIMERS_SEND_KEEPALIVE, "at %llu s",
		     (unsigned long long)((now - T0) / SEC));
	timers_data_sent(&t, now);
	cr_assert_neq(timers_next(&t, now), TIMERS_SEND_KEEPALIVE);
}

static void concentrator(uint64_t ka)
{
	timers_init(&t, TIMERS_CONCENTRATOR, ka);
	cr_assert_eq(timers_next(&t, T0), TIMERS_NONE, "no session, nothing to do");
	cr_assert_eq(timers_deadline(&t, T0), TIMERS_NEVER);
	cr_assert_not(timers_online(&t, T0));
}

Test(timers, offline_after_3_keepalives)
{
	concentrator(0);
	timers_confirmed(&t, T0, T0 - SEC);
	cr_assert(timers_online(&t, T0));
	answered(T0); /* nothing sent yet: the confirmation is answered at once */
	due_at(T0, T0 + 75 * SEC, TIMERS_GO_OFFLINE);
	/* traffic keeps it online */
	timers_data_received(&t, T0 + 70 * SEC);
	answered(T0 + 70 * SEC);
	due_at(T0 + 70 * SEC, T0 + 145 * SEC, TIMERS_GO_OFFLINE);
	cr_assert_not(timers_online(&t, T0 + 145 * SEC));
	timers_went_offline(&t);
	cr_assert_eq(timers_next(&t, T0 + 146 * SEC), TIMERS_NONE);
	cr_assert_eq(timers_deadline(&t, T0 + 146 * SEC), TIMERS_NEVER);
	/* authenticated data on the still-live session brings it back */
	timers_data_received(&t, T0 + 150 * SEC);
	cr_assert(timers_online(&t, T0 + 150 * SEC));
	answered(T0 + 150 * SEC);
	due_at(T0 + 150 * SEC, T0 + 179 * SEC, TIMERS_GO_OFFLINE);
}

Test(timers, offline_with_keepalive_in_effect)
{
	concentrator(15 * SEC);
	timers_confirmed(&t, T0, T0);
	answered(T0);
	due_at(T0, T0 + 45 * SEC, TIMERS_GO_OFFLINE);
	timers_set_keepalive(&t, 10 * SEC);
	due_at(T0, T0 + 30 * SEC, TIMERS_GO_OFFLINE);
}

Test(timers, offline_when_the_session_expires)
{
	concentrator(0);
	timers_confirmed(&t, T0, T0);
	/* traffic both ways: nothing to answer */
	for (uint64_t now = T0; now < T0 + 180 * SEC; now += 10 * SEC) {
		timers_data_received(&t, now);
		timers_data_sent(&t, now);
	}
	due_at(T0 + 170 * SEC, T0 + 180 * SEC, TIMERS_GO_OFFLINE);
	timers_went_offline(&t);
	/* data on the expired session does not revive it, nor is it answered;
	 * a new session does */
	timers_data_received(&t, T0 + 181 * SEC);
	cr_assert_not(timers_online(&t, T0 + 181 * SEC));
	cr_assert_eq(timers_deadline(&t, T0 + 181 * SEC), TIMERS_NEVER);
	timers_confirmed(&t, T0 + 182 * SEC, T0 + 181 * SEC);
	cr_assert(timers_online(&t, T0 + 182 * SEC));
	/* the confirming data is answered K after our last send */
	due_at(T0 + 182 * SEC, T0 + 195 * SEC, TIMERS_SEND_KEEPALIVE);
	answered(T0 + 195 * SEC);
	due_at(T0 + 195 * SEC, T0 + 257 * SEC, TIMERS_GO_OFFLINE);
}

Test(timers, rekey_keeps_the_device_online)
{
	concentrator(0);
	timers_confirmed(&t, T0, T0);
	/* an idle agent: a keepalive every 25 s, each answered at once */
	for (uint64_t now = T0; now < T0 + 120 * SEC; now += 25 * SEC) {
		timers_keepalive_received(&t, now);
		answered(now);
	}
	/* the rekeyed session is confirmed at 120 s: online for another 180 s */
	timers_confirmed(&t, T0 + 120 * SEC, T0 + 120 * SEC);
	timers_keepalive_received(&t, T0 + 120 * SEC);
	answered(T0 + 120 * SEC);
	for (uint64_t now = T0 + 145 * SEC; now < T0 + 290 * SEC; now += 25 * SEC) {
		cr_assert_eq(timers_next(&t, now), TIMERS_NONE, "nothing unasked");
		timers_keepalive_received(&t, now);
		answered(now);
	}
	cr_assert_eq(timers_deadline(&t, T0 + 290 * SEC), T0 + 300 * SEC);
}

Test(timers, concentrator_answers_a_keepalive_at_once)
{
	concentrator(0);
	timers_confirmed(&t, T0, T0);
	timers_keepalive_received(&t, T0);
	answered(T0);
	/* the idle agent's next keepalives, early or late by network jitter */
	timers_keepalive_received(&t, T0 + 24 * SEC);
	answered(T0 + 24 * SEC);
	timers_keepalive_received(&t, T0 + 50 * SEC);
	answered(T0 + 50 * SEC);
	/* soon after our own traffic: not before K / 2 after it */
	timers_data_sent(&t, T0 + 60 * SEC);
	timers_keepalive_received(&t, T0 + 61 * SEC);
	due_at(T0 + 61 * SEC, T0 + 72 * SEC + SEC / 2, TIMERS_SEND_KEEPALIVE);
	answered(T0 + 72 * SEC + SEC / 2);
	/* other data waits up to K after our last send... */
	timers_data_received(&t, T0 + 80 * SEC);
	due_at(T0 + 80 * SEC, T0 + 97 * SEC + SEC / 2, TIMERS_SEND_KEEPALIVE);
	/* ...unless a keepalive follows it */
	timers_keepalive_received(&t, T0 + 90 * SEC);
	answered(T0 + 90 * SEC);
	/* our own traffic answers too: then nothing is owed */
	timers_data_received(&t, T0 + 100 * SEC);
	timers_data_sent(&t, T0 + 101 * SEC);
	due_at(T0 + 101 * SEC, T0 + 175 * SEC, TIMERS_GO_OFFLINE);
}

Test(timers, concentrator_sends_nothing_unconfirmed_or_unasked)
{
	concentrator(0);
	/* section 4: a message 1 accepted, message 2 sent, no data yet */
	timers_initiation_received(&t, T0);
	cr_assert_eq(timers_next(&t, T0 + 10 * SEC), TIMERS_NONE);
	cr_assert_eq(timers_deadline(&t, T0), TIMERS_NEVER);
	/* data with no confirmed session (an expired one) is not answered */
	timers_keepalive_received(&t, T0 + SEC);
	cr_assert_eq(timers_deadline(&t, T0 + SEC), TIMERS_NEVER);
	/* the first data message confirms: only now may we speak */
	timers_confirmed(&t, T0 + 2 * SEC, T0);
	timers_keepalive_received(&t, T0 + 2 * SEC);
	answered(T0 + 2 * SEC);
	/* nothing received, nothing sent: only the offline rule is left */
	due_at(T0 + 2 * SEC, T0 + 77 * SEC, TIMERS_GO_OFFLINE);
	/* the rekey's message 1 owes no keepalive on the old session */
	timers_data_sent(&t, T0 + 70 * SEC);
	timers_initiation_received(&t, T0 + 120 * SEC);
	cr_assert_eq(timers_next(&t, T0 + 120 * SEC), TIMERS_NONE);
	due_at(T0 + 120 * SEC, T0 + 180 * SEC, TIMERS_GO_OFFLINE);
}

/* The concentrator alone for 10 minutes, receiving a message every `every`
 * ns (reconfirmed every 120 s as the agent rekeys): its keepalives, each
 * at least K / 2 after the one before. */
static unsigned concentrator_run(uint64_t every, bool keepalives)
{
	uint64_t end = T0 + 600 * SEC, rx = T0, session = T0, last = 0;
	unsigned n = 0;

	concentrator(0);
	timers_confirmed(&t, T0, T0);
	for (uint64_t now = T0; now < end;) {
		enum timers_action a;

		if (now == rx) {
			if (now >= session + WIRE_REKEY_AFTER_TIME) {
				session = now;
				timers_confirmed(&t, now, now);
			}
			if (keepalives)
				timers_keepalive_received(&t, now);
			else
				timers_data_received(&t, now);
			rx += every;
		}
		while ((a = timers_next(&t, now)) == TIMERS_SEND_KEEPALIVE) {
			cr_assert(n == 0 || now - last >= t.keepalive / 2, "%u: %llu ns", n,
				  (unsigned long long)(now - last));
			last = now;
			n++;
			timers_data_sent(&t, now);
		}
		cr_assert_eq(a, TIMERS_NONE);
		now = timers_deadline(&t, now);
		if (rx < now)
			now = rx;
	}
	return n;
}

Test(timers, concentrator_keepalives_about_one_per_interval)
{
	/* 600 s at K = 25 s: 24 intervals */
	unsigned stream = concentrator_run(SEC / 10, false);
	unsigned sparse = concentrator_run(17 * SEC + SEC / 2, false);
	unsigned idle = concentrator_run(25 * SEC, true);
	unsigned flood = concentrator_run(SEC / 10, true);

	cr_assert(stream >= 23 && stream <= 25, "streaming agent: %u", stream);
	cr_assert(sparse >= 17 && sparse <= 25, "data every 0.7 K: %u", sparse);
	cr_assert(idle == 24, "idle agent: %u, one answer per keepalive", idle);
	/* a hostile agent flooding keepalives gets one per K / 2 */
	cr_assert(flood <= 49, "flood: %u", flood);
}

Test(timers, agent_detects_a_silent_concentrator)
{
	uint64_t now;

	/* the concentrator restarted right after our message 2: the
	 * confirmation keepalive at T0 is the first send left unanswered */
	connected(T0, 0);
	due_at(T0, T0 + 25 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, T0 + 25 * SEC); /* still counted from T0 */
	due_at(T0 + 25 * SEC, T0 + 30 * SEC, TIMERS_SEND_HANDSHAKE);
	cr_assert(timers_online(&t, T0 + 30 * SEC), "the session is still live");
	/* a rekey: REKEY_TIMEOUT retries, uncounted, while the session lives
	 * (keepalives go on meanwhile, unanswered) */
	for (now = T0 + 30 * SEC; now < T0 + 180 * SEC; now = timers_deadline(&t, now)) {
		enum timers_action a = timers_next(&t, now);

		if (a == TIMERS_SEND_KEEPALIVE) {
			timers_data_sent(&t, now);
			continue;
		}
		cr_assert_eq(a, TIMERS_SEND_HANDSHAKE);
		timers_handshake_sent(&t, now, UINT32_MAX);
		cr_assert_eq(timers_next(&t, now + 6 * SEC - 1), TIMERS_SEND_HANDSHAKE);
	}
	cr_assert_eq(t.failures, 0);
	/* the restarted concentrator answers: a fresh session */
	timers_response_ok(&t, now, 0);
	cr_assert_eq(timers_next(&t, now), TIMERS_SEND_KEEPALIVE);

	/* with message 2's KEEPALIVE of 2 s: a handshake 7 s after */
	connected(T0, 2 * SEC);
	due_at(T0, T0 + 2 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, T0 + 2 * SEC);
	due_at(T0 + 2 * SEC, T0 + 4 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, T0 + 4 * SEC);
	due_at(T0 + 4 * SEC, T0 + 6 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, T0 + 6 * SEC);
	due_at(T0 + 6 * SEC, T0 + 7 * SEC, TIMERS_SEND_HANDSHAKE);
}

Test(timers, agent_clock_restarts_with_each_answer)
{
	connected(T0, 0);
	timers_data_received(&t, T0 + SEC);
	/* answered: only the keepalive is due */
	due_at(T0, T0 + 25 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, T0 + 25 * SEC);
	timers_data_sent(&t, T0 + 40 * SEC);
	due_at(T0 + 40 * SEC, T0 + 55 * SEC, TIMERS_SEND_HANDSHAKE);
	/* any authenticated answer stops it, the keepalive of it included */
	timers_keepalive_received(&t, T0 + 54 * SEC);
	due_at(T0 + 54 * SEC, T0 + 65 * SEC, TIMERS_SEND_KEEPALIVE);
	/* a refused rekey is an answer too: backoff rules, not the clock */
	timers_data_sent(&t, T0 + 65 * SEC);
	timers_handshake_sent(&t, T0 + 66 * SEC, MID);
	timers_response_refused(&t, T0 + 67 * SEC, MID);
	cr_assert_not(t.awaiting);
	/* a concentrator pushing traffic answers all our keepalives: the rekey
	 * at 120 s is the first handshake */
	connected(T0, 0);
	for (uint64_t now = T0 + SEC; now < T0 + 120 * SEC; now += SEC) {
		timers_data_received(&t, now);
		if (timers_next(&t, now) == TIMERS_SEND_KEEPALIVE)
			timers_data_sent(&t, now);
		cr_assert_eq(timers_next(&t, now), TIMERS_NONE);
	}
	due_at(T0 + 119 * SEC, T0 + 120 * SEC, TIMERS_SEND_HANDSHAKE);
}

/*
 * Both sides against each other. Messages take `delay`; the concentrator
 * forgets every session when restarted (its data then goes unanswered,
 * silently); the agent and the concentrator may also send traffic of
 * their own every a_every / c_every.
 */
enum sim_kind { SIM_MSG1, SIM_MSG2, SIM_DATA, SIM_KEEPALIVE };

struct sim_msg {
	uint64_t at;
	bool to_conc;
	enum sim_kind kind;
	uint32_t attempt; /* message 1 and 2: which attempt */
	uint32_t id;	  /* message 2 and data: the session */
};

struct sim {
	struct timers a, c;
	uint64_t now, delay, a_every, c_every, a_next, c_next;
	uint64_t state;
	struct sim_msg q[64];
	unsigned nq;
	uint32_t ids, epoch, a_session, a_prev, attempt, c_pending, c_confirmed;
	uint64_t c_pending_created;
	unsigned a_ka, c_ka, a_data, c_data, hs, lose_a_ka;
	uint64_t hs_at[64];
};

static uint32_t sim_rand(struct sim *s)
{
	s->state ^= s->state << 13, s->state ^= s->state >> 7, s->state ^= s->state << 17;
	return (uint32_t)(s->state >> 32);
}

static void sim_init(struct sim *s, uint64_t ka, uint64_t delay)
{
	memset(s, 0, sizeof(*s));
	timers_init(&s->a, TIMERS_AGENT, 0);
	timers_init(&s->c, TIMERS_CONCENTRATOR, ka);
	s->now = T0;
	s->delay = delay;
	s->state = 0x9e3779b97f4a7c15ULL;
	s->a_next = s->c_next = TIMERS_NEVER;
	s->epoch = 1;
}

static void sim_push(struct sim *s, bool to_conc, enum sim_kind kind, uint32_t attempt, uint32_t id)
{
	cr_assert_lt(s->nq, 64);
	s->q[s->nq++] = (struct sim_msg){s->now + s->delay, to_conc, kind, attempt, id};
}

static void sim_deliver(struct sim *s, const struct sim_msg *m)
{
	if (m->to_conc) {
		if (m->kind == SIM_MSG1) {
			timers_initiation_received(&s->c, s->now);
			s->c_pending = ++s->ids;
			s->c_pending_created = s->now;
			sim_push(s, false, SIM_MSG2, m->attempt, s->c_pending);
			return;
		}
		if (m->id < s->epoch)
			return; /* a session lost in the restart: dropped silently */
		if (m->id == s->c_pending) {
			timers_confirmed(&s->c, s->now, s->c_pending_created);
			s->c_confirmed = m->id;
			s->c_pending = 0;
		}
		if (m->kind == SIM_KEEPALIVE)
			timers_keepalive_received(&s->c, s->now);
		else
			timers_data_received(&s->c, s->now);
		return;
	}
	if (m->kind == SIM_MSG2) {
		if (m->attempt != s->attempt || !s->a.inflight)
			return; /* the answer to an older attempt */
		timers_response_ok(&s->a, s->now, s->c.keepalive);
		s->a_prev = s->a_session;
		s->a_session = m->id;
	} else if (m->id == s->a_session || m->id == s->a_prev) {
		if (m->kind == SIM_KEEPALIVE)
			timers_keepalive_received(&s->a, s->now);
		else
			timers_data_received(&s->a, s->now);
	}
}

static void sim_act(struct sim *s)
{
	enum timers_action a;

	while ((a = timers_next(&s->a, s->now)) != TIMERS_NONE) {
		if (a == TIMERS_SEND_HANDSHAKE) {
			cr_assert_lt(s->hs, 64, "handshake storm");
			s->hs_at[s->hs++] = s->now;
			timers_handshake_sent(&s->a, s->now, sim_rand(s));
			sim_push(s, true, SIM_MSG1, ++s->attempt, 0);
		} else {
			cr_assert_eq(a, TIMERS_SEND_KEEPALIVE);
			if (++s->a_ka != s->lose_a_ka)
				sim_push(s, true, SIM_KEEPALIVE, 0, s->a_session);
			timers_data_sent(&s->a, s->now);
		}
	}
	while ((a = timers_next(&s->c, s->now)) != TIMERS_NONE) {
		if (a == TIMERS_SEND_KEEPALIVE) {
			s->c_ka++;
			sim_push(s, false, SIM_KEEPALIVE, 0, s->c_confirmed);
			timers_data_sent(&s->c, s->now);
		} else {
			timers_went_offline(&s->c);
		}
	}
}

static void sim_run(struct sim *s, uint64_t until)
{
	while (s->now < until) {
		uint64_t next = until;

		for (unsigned i = 0; i < s->nq;) {
			if (s->q[i].at <= s->now) {
				struct sim_msg m = s->q[i];

				s->q[i] = s->q[--s->nq];
				sim_deliver(s, &m);
			} else {
				i++;
			}
		}
		if (s->a_next == TIMERS_NEVER && s->a_every)
			s->a_next = s->now + s->a_every;
		if (s->c_next == TIMERS_NEVER && s->c_every)
			s->c_next = s->now + s->c_every;
		if (s->now >= s->a_next) {
			if (timers_online(&s->a, s->now)) {
				s->a_data++;
				sim_push(s, true, SIM_DATA, 0, s->a_session);
				timers_data_sent(&s->a, s->now);
			}
			s->a_next += s->a_every;
		}
		if (s->now >= s->c_next) {
			if (timers_online(&s->c, s->now)) {
				s->c_data++;
				sim_push(s, false, SIM_DATA, 0, s->c_confirmed);
				timers_data_sent(&s->c, s->now);
			}
			s->c_next += s->c_every;
		}
		sim_act(s);
		for (unsigned i = 0; i < s->nq; i++)
			if (s->q[i].at < next)
				next = s->q[i].at;
		if (timers_deadline(&s->a, s->now) < next)
			next = timers_deadline(&s->a, s->now);
		if (timers_deadline(&s->c, s->now) < next)
			next = timers_deadline(&s->c, s->now);
		if (s->a_next < next)
			next = s->a_next;
		if (s->c_next < next)
			next = s->c_next;
		cr_assert_gt(next, s->now, "the simulation spins");
		s->now = next;
	}
}

/* 10 minutes, no loss: a handshake at the start and one per rekey only,
 * every rekey at 120 s or later, and keepalives about one per K a side. */
static void calm(uint64_t ka, uint64_t a_every, uint64_t c_every)
{
	const uint64_t span = 600 * SEC;
	struct sim s;

	sim_init(&s, ka, SEC / 20);
	s.a_every = a_every;
	s.c_every = c_every;
	sim_run(&s, T0 + span);
	cr_assert(s.hs >= 1 + span / (WIRE_REKEY_AFTER_TIME + SEC) &&
			  s.hs <= 1 + span / WIRE_REKEY_AFTER_TIME,
		  "K %llu s, traffic %llu/%llu ms: %u handshakes", (unsigned long long)(ka / SEC),
		  (unsigned long long)(a_every / 1000000), (unsigned long long)(c_every / 1000000),
		  s.hs);
	for (unsigned i = 1; i < s.hs; i++)
		cr_assert_geq(s.hs_at[i] - s.hs_at[i - 1], WIRE_REKEY_AFTER_TIME,
			      "spurious handshake %u at %llu ms", i,
			      (unsigned long long)((s.hs_at[i] - T0) / 1000000));
	/* no ping-pong: the counts stay near one per K each */
	cr_assert_leq(s.a_ka, span / ka + s.hs, "agent keepalives %u", s.a_ka);
	cr_assert_leq(s.c_ka, span / ka + s.hs, "concentrator keepalives %u", s.c_ka);
	cr_assert_leq(s.c_ka, s.a_ka + s.a_data, "the concentrator only answers");
	if (!a_every && !c_every)
		cr_assert_geq(s.c_ka + 2, s.a_ka, "an idle agent hears back every time");
}

Test(timers, both_sides_stay_calm)
{
	const uint64_t ks[] = {2 * SEC, 25 * SEC};

	for (size_t i = 0; i < 2; i++) {
		uint64_t k = ks[i];

		calm(k, 0, 0);		   /* idle */
		calm(k, SEC / 10, 0);	   /* agent uploads */
		calm(k, k * 7 / 10, 0);	   /* agent reports every 0.7 K */
		calm(k, 0, k / 3);	   /* concentrator pushes */
		calm(k, 3 * k / 2, k / 2); /* both ways */
	}
}

Test(timers, one_lost_keepalive_costs_no_handshake)
{
	struct sim s;

	for (unsigned lost = 3; lost < 8; lost++) {
		sim_init(&s, 2 * SEC, SEC / 20);
		s.lose_a_ka = lost;
		sim_run(&s, T0 + 110 * SEC);
		cr_assert_eq(s.hs, 1, "lost keepalive %u: %u handshakes", lost, s.hs);
	}
}

/* The concentrator restarts at a random point of an idle agent's keepalive
 * cycle: the agent is back within 2K + REKEY_TIMEOUT (+ 2 delays). */
Test(timers, agent_returns_after_a_concentrator_restart)
{
	const uint64_t ks[] = {2 * SEC, 25 * SEC};

	for (size_t i = 0; i < 2; i++) {
		for (unsigned k = 0; k < 10; k++) {
			uint64_t ka = ks[i], restart = T0 + 60 * SEC + k * ka / 10, back;
			struct sim s;
			unsigned before;

			sim_init(&s, ka, SEC / 20);
			sim_run(&s, restart);
			before = s.hs;
			cr_assert_eq(before, 1);
			timers_init(&s.c, TIMERS_CONCENTRATOR, ka);
			s.epoch = s.ids + 1;
			s.c_pending = s.c_confirmed = 0;
			sim_run(&s, restart + 2 * ka + WIRE_REKEY_TIMEOUT + SEC);
			cr_assert_gt(s.hs, before, "K %llu s, restart +%u: no handshake",
				     (unsigned long long)(ka / SEC), k);
			back = s.hs_at[before] - restart;
			cr_assert_leq(back, 2 * ka + WIRE_REKEY_TIMEOUT + 2 * s.delay,
				      "K %llu s: handshake %llu ms after the restart",
				      (unsigned long long)(ka / SEC),
				      (unsigned long long)(back / 1000000));
			cr_assert_geq(back, ka + WIRE_REKEY_TIMEOUT - 2 * s.delay);
			cr_assert_neq(s.c_confirmed, 0, "the new session is confirmed");
			if (ka == 2 * SEC)
				cr_assert_lt(back + 2 * s.delay, 10 * SEC);
		}
	}
}

/* Whatever the events, a deadline in the past always comes with an action:
 * an event loop driven by these two calls never spins. */
Test(timers, deadline_never_spins)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL, now = T0;

	for (int run = 0; run < 2; run++) {
		timers_init(&t, run ? TIMERS_CONCENTRATOR : TIMERS_AGENT, 0);
		for (int i = 0; i < 20000; i++) {
			state ^= state << 13, state ^= state >> 7, state ^= state << 17;
			uint32_t r = (uint32_t)(state >> 32);
			enum timers_action a;

			switch (state % 11) {
			case 0:
				timers_response_ok(&t, now, (state >> 8) % 4 * 10 * SEC);
				break;
			case 1:
				timers_response_refused(&t, now, r);
				break;
			case 2:
				timers_cookie_received(&t, now, r);
				break;
			case 3:
				timers_data_sent(&t, now);
				break;
			case 4:
				timers_data_received(&t, now);
				break;
			case 5:
				timers_confirmed(&t, now, now - (state >> 16) % (200 * SEC));
				break;
			case 6:
				timers_keepalive_received(&t, now);
				break;
			case 7:
				timers_initiation_received(&t, now);
				break;
			default:
				break;
			}
			/* the loop the header prescribes */
			for (int k = 0; (a = timers_next(&t, now)) != TIMERS_NONE; k++) {
				cr_assert_lt(k, 4, "action %d repeats", a);
				if (a == TIMERS_SEND_HANDSHAKE)
					timers_handshake_sent(&t, now, r);
				else if (a == TIMERS_SEND_KEEPALIVE)
					timers_data_sent(&t, now);
				else
					timers_went_offline(&t);
			}
			cr_assert_gt(timers_deadline(&t, now), now);
			now += (state >> 20) % (40 * SEC);
		}
	}
}
