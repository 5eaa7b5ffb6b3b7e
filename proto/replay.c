/* Sliding replay window (PROTOCOL.md section 4, RFC 6479): a ring of
 * bitmap blocks indexed by counter / 64; moving the window forward clears
 * whole blocks, so the cost per packet is constant and small. */
#include <string.h>

#include "proto/replay.h"

#define BLOCK_MASK  (REPLAY_BLOCKS - 1)
#define BIT_MASK    (REPLAY_BLOCK_BITS - 1)
#define BLOCK_SHIFT 6 /* log2(REPLAY_BLOCK_BITS) */

_Static_assert(1 << BLOCK_SHIFT == REPLAY_BLOCK_BITS, "block shift");

void replay_init(struct replay *r)
{
	memset(r, 0, sizeof(*r));
}

static size_t slot(uint64_t counter)
{
	return (size_t)((counter >> BLOCK_SHIFT) & BLOCK_MASK);
}

static uint64_t bit(uint64_t counter)
{
	return 1ULL << (counter & BIT_MASK);
}

enum proto_reason replay_check(const struct replay *r, uint64_t counter)
{
	if (counter >= WIRE_REJECT_AFTER_MESSAGES)
		return PROTO_COUNTER_LIMIT;
	if (counter > r->greatest)
		return PROTO_OK;
	if (r->greatest - counter >= WIRE_REPLAY_WINDOW)
		return PROTO_TOO_OLD;
	if (r->ring[slot(counter)] & bit(counter))
		return PROTO_REPLAY;
	return PROTO_OK;
}

enum proto_reason replay_update(struct replay *r, uint64_t counter)
{
	enum proto_reason reason = replay_check(r, counter);

	if (reason != PROTO_OK)
		return reason;
	if (counter > r->greatest) {
		/* clear the blocks the window moves into; a jump past the whole
		 * ring clears it all */
		uint64_t top = r->greatest >> BLOCK_SHIFT;
		uint64_t steps = (counter >> BLOCK_SHIFT) - top;

		if (steps > REPLAY_BLOCKS)
			steps = REPLAY_BLOCKS;
		for (uint64_t i = 1; i <= steps; i++)
			r->ring[(top + i) & BLOCK_MASK] = 0;
		r->greatest = counter;
	}
	r->ring[slot(counter)] |= bit(counter);
	return PROTO_OK;
}
