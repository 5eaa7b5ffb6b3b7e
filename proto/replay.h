/* The replay window of section 4 (RFC 6479 style): the last
 * WIRE_REPLAY_WINDOW counters of a session's receive direction in a fixed
 * ring of 64-bit blocks. Check before the AEAD, update only after it. */
#ifndef TETHER_PROTO_REPLAY_H
#define TETHER_PROTO_REPLAY_H

#include <stdint.h>

#include "proto/reason.h"
#include "proto/wire.h"

/* RFC 6479: the ring holds one spare block beyond the window so that the
 * block being cleared never holds live bits; a power of two keeps the
 * index a mask. */
enum replay_sizes {
	REPLAY_BLOCK_BITS = 64,
	REPLAY_BLOCKS = WIRE_REPLAY_WINDOW / REPLAY_BLOCK_BITS + 1,
};

_Static_assert((REPLAY_BLOCKS & (REPLAY_BLOCKS - 1)) == 0, "replay ring is a power of two");
_Static_assert(WIRE_REPLAY_WINDOW % REPLAY_BLOCK_BITS == 0 &&
		       REPLAY_BLOCKS >= WIRE_REPLAY_WINDOW / REPLAY_BLOCK_BITS + 1,
	       "replay ring too small");

struct replay {
	uint64_t greatest; /* highest counter accepted, 0 before any */
	uint64_t ring[REPLAY_BLOCKS];
};

/* An empty window: counter 0 is acceptable. */
void replay_init(struct replay *r);

/* Whether counter may be accepted, without changing anything: call before
 * decrypting. PROTO_COUNTER_LIMIT at or past REJECT_AFTER_MESSAGES,
 * PROTO_TOO_OLD when WIRE_REPLAY_WINDOW or more behind the greatest
 * accepted counter, PROTO_REPLAY when already accepted. */
enum proto_reason replay_check(const struct replay *r, uint64_t counter);

/* Accept counter: call only after the message authenticated, so that a
 * forged message cannot move the window. Checks again, with the same
 * reasons as replay_check, and changes nothing unless PROTO_OK. */
enum proto_reason replay_update(struct replay *r, uint64_t counter);

#endif
