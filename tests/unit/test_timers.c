/* Section 5 timers: rekey at 120 s, nothing past 180 s, retransmission
 * with its jitter bounds, backoff growth, cap and reset, keepalives (25 s
 * or message 2's value), key confirmation, and the concentrator's offline
 * rule - all exact, since time and randomness are parameters. */
#include <criterion/criterion.h>

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
	due_at(T0, T0 + 25 * SEC, TIMERS_SEND_KEEPALIVE);
	timers_data_sent(&t, T0 + 25 * SEC);
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
	/* keep the link busy so only the rekey can be due */
	for (now = T0; now < T0 + 120 * SEC; now += 20 * SEC)
		timers_data_sent(&t, now);
	cr_assert_eq(timers_deadline(&t, T0 + 119 * SEC), T0 + 120 * SEC);
	cr_assert_eq(timers_next(&t, T0 + 120 * SEC - 1), TIMERS_NONE);
	cr_assert_eq(timers_next(&t, T0 + 120 * SEC), TIMERS_SEND_HANDSHAKE);
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
	due_at(T0, T0 + 75 * SEC, TIMERS_GO_OFFLINE);
	/* traffic keeps it online */
	timers_data_received(&t, T0 + 70 * SEC);
	due_at(T0 + 70 * SEC, T0 + 145 * SEC, TIMERS_GO_OFFLINE);
	cr_assert_not(timers_online(&t, T0 + 145 * SEC));
	timers_went_offline(&t);
	cr_assert_eq(timers_next(&t, T0 + 146 * SEC), TIMERS_NONE);
	cr_assert_eq(timers_deadline(&t, T0 + 146 * SEC), TIMERS_NEVER);
	/* authenticated data on the still-live session brings it back */
	timers_data_received(&t, T0 + 150 * SEC);
	cr_assert(timers_online(&t, T0 + 150 * SEC));
	due_at(T0 + 150 * SEC, T0 + 179 * SEC, TIMERS_GO_OFFLINE);
}

Test(timers, offline_with_keepalive_in_effect)
{
	concentrator(15 * SEC);
	timers_confirmed(&t, T0, T0);
	due_at(T0, T0 + 45 * SEC, TIMERS_GO_OFFLINE);
	timers_set_keepalive(&t, 10 * SEC);
	due_at(T0, T0 + 30 * SEC, TIMERS_GO_OFFLINE);
}

Test(timers, offline_when_the_session_expires)
{
	concentrator(0);
	timers_confirmed(&t, T0, T0);
	for (uint64_t now = T0; now < T0 + 180 * SEC; now += 10 * SEC)
		timers_data_received(&t, now);
	due_at(T0 + 170 * SEC, T0 + 180 * SEC, TIMERS_GO_OFFLINE);
	timers_went_offline(&t);
	/* data on the expired session does not revive it; a new session does */
	timers_data_received(&t, T0 + 181 * SEC);
	cr_assert_not(timers_online(&t, T0 + 181 * SEC));
	timers_confirmed(&t, T0 + 182 * SEC, T0 + 181 * SEC);
	cr_assert(timers_online(&t, T0 + 182 * SEC));
	due_at(T0 + 182 * SEC, T0 + 257 * SEC, TIMERS_GO_OFFLINE);
}

Test(timers, rekey_keeps_the_device_online)
{
	concentrator(0);
	timers_confirmed(&t, T0, T0);
	for (uint64_t now = T0; now < T0 + 120 * SEC; now += 25 * SEC)
		timers_data_received(&t, now);
	/* the rekeyed session is confirmed at 120 s: online for another 180 s */
	timers_confirmed(&t, T0 + 120 * SEC, T0 + 120 * SEC);
	for (uint64_t now = T0 + 120 * SEC; now < T0 + 290 * SEC; now += 25 * SEC) {
		cr_assert_eq(timers_next(&t, now), TIMERS_NONE);
		timers_data_received(&t, now);
	}
	cr_assert_eq(timers_deadline(&t, T0 + 290 * SEC), T0 + 300 * SEC);
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

			switch (state % 9) {
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
