/* The replay window (section 4, RFC 6479): order, reordering, duplicates,
 * jumps past the window, its exact edges and the counter limit, plus a
 * random walk against a plain reference model. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/replay.h"

#define W WIRE_REPLAY_WINDOW

static struct replay r;

static void setup(void)
{
	replay_init(&r);
}

TestSuite(replay, .init = setup);

/* check, then update as after a successful decrypt: both must agree */
static enum proto_reason accept(uint64_t counter)
{
	enum proto_reason check = replay_check(&r, counter);
	enum proto_reason update = replay_update(&r, counter);

	cr_assert_eq(check, update, "check and update disagree on %llu",
		     (unsigned long long)counter);
	return update;
}

Test(replay, in_order)
{
	for (uint64_t c = 0; c < 3 * W; c++)
		cr_assert_eq(accept(c), PROTO_OK, "counter %llu", (unsigned long long)c);
	cr_assert_eq(accept(3 * W - 1), PROTO_REPLAY);
	cr_assert_eq(accept(0), PROTO_TOO_OLD);
}

Test(replay, out_of_order_within_the_window)
{
	/* evens first, then odds backwards, all within the window */
	for (uint64_t c = 0; c < W; c += 2)
		cr_assert_eq(accept(c), PROTO_OK);
	for (uint64_t c = W - 1; c < W; c -= 2)
		cr_assert_eq(accept(c), PROTO_OK, "counter %llu", (unsigned long long)c);
	for (uint64_t c = 0; c < W; c++)
		cr_assert_eq(accept(c), PROTO_REPLAY);
}

Test(replay, duplicates)
{
	cr_assert_eq(accept(0), PROTO_OK);
	cr_assert_eq(accept(0), PROTO_REPLAY);
	cr_assert_eq(accept(10), PROTO_OK);
	cr_assert_eq(accept(5), PROTO_OK);
	cr_assert_eq(accept(5), PROTO_REPLAY);
	cr_assert_eq(accept(10), PROTO_REPLAY);
	cr_assert_eq(accept(11), PROTO_OK);
}

Test(replay, window_edges)
{
	uint64_t top = 10 * W + 123;

	cr_assert_eq(accept(top), PROTO_OK);
	/* W counters are remembered: top - (W - 1) .. top */
	cr_assert_eq(replay_check(&r, top - W), PROTO_TOO_OLD);
	cr_assert_eq(replay_check(&r, top - (W - 1)), PROTO_OK);
	cr_assert_eq(accept(top - (W - 1)), PROTO_OK);
	cr_assert_eq(accept(top - (W - 1)), PROTO_REPLAY);
	/* one more step forward pushes it out */
	cr_assert_eq(accept(top + 1), PROTO_OK);
	cr_assert_eq(accept(top - (W - 1)), PROTO_TOO_OLD);
	cr_assert_eq(accept(top - (W - 2)), PROTO_OK);
}

Test(replay, counter_zero_first_and_late)
{
	cr_assert_eq(replay_check(&r, 0), PROTO_OK, "a fresh window takes counter 0");
	cr_assert_eq(accept(W - 1), PROTO_OK);
	cr_assert_eq(accept(0), PROTO_OK, "0 is still inside the window");
	cr_assert_eq(accept(0), PROTO_REPLAY);
	cr_assert_eq(accept(W), PROTO_OK);
	cr_assert_eq(accept(0), PROTO_TOO_OLD);
}

Test(replay, far_jumps_clear_the_ring)
{
	/* fill a whole window, then jump so that the new window lands on the
	 * same ring blocks: stale bits must not read as replays */
	for (uint64_t c = 0; c < W; c++)
		cr_assert_eq(accept(c), PROTO_OK);
	uint64_t far = (uint64_t)REPLAY_BLOCKS * REPLAY_BLOCK_BITS + W - 1;

	cr_assert_eq(accept(far), PROTO_OK);
	for (uint64_t c = far - (W - 1); c < far; c++)
		cr_assert_eq(accept(c), PROTO_OK, "counter %llu", (unsigned long long)c);
	cr_assert_eq(accept(far - W), PROTO_TOO_OLD);

	/* jumps of less than a window keep what is still inside */
	cr_assert_eq(accept(far + W / 2), PROTO_OK);
	cr_assert_eq(accept(far), PROTO_REPLAY);
	cr_assert_eq(accept(far - 1), PROTO_REPLAY);

	/* a huge jump */
	cr_assert_eq(accept(1ULL << 62), PROTO_OK);
	cr_assert_eq(accept((1ULL << 62) - 1), PROTO_OK);
	cr_assert_eq(accept(far), PROTO_TOO_OLD);
}

Test(replay, counter_limit)
{
	const uint64_t limit = WIRE_REJECT_AFTER_MESSAGES;

	cr_assert_eq(limit, UINT64_MAX - 8192, "2^64 - 2^13 - 1");
	cr_assert_eq(accept(limit), PROTO_COUNTER_LIMIT);
	cr_assert_eq(accept(UINT64_MAX), PROTO_COUNTER_LIMIT);
	cr_assert_eq(accept(limit - 1), PROTO_OK, "the last usable counter");
	cr_assert_eq(accept(limit - 1), PROTO_REPLAY);
	cr_assert_eq(accept(limit - W), PROTO_OK);
	cr_assert_eq(accept(limit - W - 1), PROTO_TOO_OLD);
	cr_assert_eq(accept(limit), PROTO_COUNTER_LIMIT);
}

Test(replay, refused_update_changes_nothing)
{
	struct replay before;

	cr_assert_eq(accept(5000), PROTO_OK);
	memcpy(&before, &r, sizeof(r));
	cr_assert_eq(replay_update(&r, 5000), PROTO_REPLAY);
	cr_assert_eq(replay_update(&r, 5000 - W), PROTO_TOO_OLD);
	cr_assert_eq(replay_update(&r, WIRE_REJECT_AFTER_MESSAGES), PROTO_COUNTER_LIMIT);
	cr_assert_eq(replay_check(&r, 1ULL << 40), PROTO_OK);
	cr_assert_arr_eq(&r, &before, sizeof(r), "check and refusals leave the window alone");
}

/* A plain model: the set of accepted counters as a byte map over a small
 * range, and the greatest one. */
Test(replay, random_walk_matches_a_model)
{
	enum { RANGE = 6 * W };
	static uint8_t seen[RANGE];
	uint64_t greatest = 0, state = 88172645463325252ULL;

	for (int i = 0; i < 200000; i++) {
		/* xorshift64: deterministic and good enough to spread counters */
		state ^= state << 13, state ^= state >> 7, state ^= state << 17;
		uint64_t c;

		if (state % 8 == 0)
			c = state % RANGE;
		else
			c = greatest + (state >> 8) % 64 - 48;
		if (c >= RANGE)
			continue;
		enum proto_reason want = PROTO_OK;

		if (c <= greatest && greatest - c >= W)
			want = PROTO_TOO_OLD;
		else if (seen[c])
			want = PROTO_REPLAY;
		cr_assert_eq(accept(c), want, "step %d counter %llu", i, (unsigned long long)c);
		if (want == PROTO_OK) {
			seen[c] = 1;
			if (c > greatest)
				greatest = c;
		}
	}
}
