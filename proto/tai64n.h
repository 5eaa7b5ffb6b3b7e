/* TAI64N timestamps of message 1 (PROTOCOL.md 3.5): 12 bytes, big-endian
 * u64 2^62 + Unix seconds, big-endian u32 nanoseconds. Byte order makes
 * the comparison a memcmp; the agent keeps its own strictly increasing. */
#ifndef TETHER_PROTO_TAI64N_H
#define TETHER_PROTO_TAI64N_H

#include <stdint.h>

#include "proto/wire.h"

#define TAI64N_LABEL_BASE (1ULL << 62) /* no +10 s TAI offset: the label is 2^62 + Unix time */

/* Encode Unix seconds and nanoseconds (below 10^9) as TAI64N. */
void tai64n_encode(uint8_t out[WIRE_TAI64N_LEN], uint64_t unix_sec, uint32_t nsec);

/* Decode; the seconds wrap if the label is below 2^62 (not our timestamps). */
void tai64n_decode(const uint8_t in[WIRE_TAI64N_LEN], uint64_t *unix_sec, uint32_t *nsec);

/* <0, 0 or >0 as a is before, equal to or after b. */
int tai64n_compare(const uint8_t a[WIRE_TAI64N_LEN], const uint8_t b[WIRE_TAI64N_LEN]);

/* The agent's next TIMESTAMP: max(now, last + 1 ns), so it increases even
 * when the clock steps back. out may alias now or last. The largest
 * possible timestamp stays where it is (it cannot increase). */
void tai64n_next(uint8_t out[WIRE_TAI64N_LEN], const uint8_t now[WIRE_TAI64N_LEN],
		 const uint8_t last[WIRE_TAI64N_LEN]);

#endif
