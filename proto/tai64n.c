/* TAI64N encoding for the TIMESTAMP item (PROTOCOL.md 3.5), and the
 * max(now, last + 1 ns) rule that keeps an agent's timestamps increasing
 * across restarts without a reliable clock. */
#include "proto/tai64n.h"

#include <string.h>

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t get_be32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

void tai64n_encode(uint8_t out[WIRE_TAI64N_LEN], uint64_t unix_sec, uint32_t nsec)
{
	put_be64(out, TAI64N_LABEL_BASE + unix_sec);
	put_be32(out + 8, nsec);
}

void tai64n_decode(const uint8_t in[WIRE_TAI64N_LEN], uint64_t *unix_sec, uint32_t *nsec)
{
	*unix_sec = get_be64(in) - TAI64N_LABEL_BASE;
	*nsec = get_be32(in + 8);
}

int tai64n_compare(const uint8_t a[WIRE_TAI64N_LEN], const uint8_t b[WIRE_TAI64N_LEN])
{
	/* both fields are big-endian and unsigned: byte order is time order */
	return memcmp(a, b, WIRE_TAI64N_LEN);
}

void tai64n_next(uint8_t out[WIRE_TAI64N_LEN], const uint8_t now[WIRE_TAI64N_LEN],
		 const uint8_t last[WIRE_TAI64N_LEN])
{
	uint64_t sec;
	uint32_t nsec;

	if (tai64n_compare(now, last) > 0) {
		memmove(out, now, WIRE_TAI64N_LEN);
		return;
	}
	sec = get_be64(last);
	nsec = get_be32(last + 8);
	if (nsec + 1ULL < WIRE_NSEC_PER_SEC) {
		nsec++;
	} else if (sec != UINT64_MAX) {
		/* a stored value past 999999999 ns still carries into the next second */
		sec++;
		nsec = 0;
	} else if (nsec != UINT32_MAX) {
		nsec++;
	}
	put_be64(out, sec);
	put_be32(out + 8, nsec);
}
