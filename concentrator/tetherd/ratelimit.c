/* Fixed-window load meter and token buckets in an open-addressed table of
 * fixed size: a source not found in its few probe slots takes the free,
 * the fully refilled, or else the least recently used one of them. */
#include "concentrator/tetherd/ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator/tetherd/hashtab.h"
#include "proto/wire.h"

int ratelimit_init(struct ratelimit *rl, size_t entries, uint32_t load_per_sec, uint32_t ip_per_sec,
		   uint32_t ip_burst)
{
	size_t n = 1;

	memset(rl, 0, sizeof(*rl));
	if (!entries || !load_per_sec || !ip_per_sec || !ip_burst)
		return -EINVAL;
	while (n < entries)
		n <<= 1;
	rl->entries = calloc(n, sizeof(*rl->entries));
	if (!rl->entries)
		return -ENOMEM;
	rl->n_entries = n;
	rl->load_per_sec = load_per_sec;
	rl->cost = WIRE_NSEC_PER_SEC / ip_per_sec;
	rl->credit = rl->cost * ip_burst;
	return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
	free(rl->entries);
	memset(rl, 0, sizeof(*rl));
}

bool ratelimit_count(struct ratelimit *rl, uint64_t now)
{
	if (now - rl->window_start >= WIRE_NSEC_PER_SEC || now < rl->window_start) {
		/* a gap of more than a second means the last second was quiet */
		rl->previous_count =
			now - rl->window_start < 2 * WIRE_NSEC_PER_SEC ? rl->window_count : 0;
		rl->window_start = now;
		rl->window_count = 0;
	}
	if (rl->window_count < UINT32_MAX)
		rl->window_count++;
	return rl->window_count >= rl->load_per_sec || rl->previous_count >= rl->load_per_sec ||
	       now < rl->load_until;
}

void ratelimit_backlog(struct ratelimit *rl, uint64_t now)
{
	rl->load_until = now + WIRE_NSEC_PER_SEC;
}

static void refill(const struct ratelimit *rl, struct ratelimit_entry *e, uint64_t now)
{
	uint64_t gained = now > e->last ? now - e->last : 0;

	e->tokens = gained >= rl->credit - e->tokens ? rl->credit : e->tokens + gained;
	e->last = now;
}

bool ratelimit_allow(struct ratelimit *rl, const uint8_t *addr, size_t addr_len, uint64_t now)
{
	size_t mask = rl->n_entries - 1, i = hashtab_hash(addr, addr_len) & mask;
	struct ratelimit_entry *e = NULL, *victim = NULL;

	if (addr_len == 0 || addr_len > RATELIMIT_ADDR_MAX)
		return false;
	for (size_t n = 0; n < RATELIMIT_PROBES && n < rl->n_entries; n++, i = (i + 1) & mask) {
		struct ratelimit_entry *s = &rl->entries[i];

		if (s->addr_len == addr_len && memcmp(s->addr, addr, addr_len) == 0) {
			e = s;
			break;
		}
		if (victim && victim->addr_len == 0)
			continue;
		/* a source silent long enough to be full again is as good as new */
		if (s->addr_len == 0 || now - s->last >= rl->credit || !victim ||
		    s->last < victim->last)
			victim = s;
	}
	if (!e) {
		e = victim;
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, addr, addr_len);
		e->addr_len = (uint8_t)addr_len;
		e->tokens = rl->credit;
		e->last = now;
	}
	refill(rl, e, now);
	if (e->tokens < rl->cost)
		return false;
	e->tokens -= rl->cost;
	return true;
}
