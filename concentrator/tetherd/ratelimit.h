/* Handshake admission under load (PROTOCOL.md 3.4): a meter of message 1s
 * per second that says when tetherd is under load, and per-source-IP token
 * buckets in a fixed table, so neither costs memory that grows with the
 * number of sources. Pure logic: `now` is CLOCK_MONOTONIC in ns. */
#ifndef TETHER_TETHERD_RATELIMIT_H
#define TETHER_TETHERD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The defaults tetherd runs with. One responder handshake costs about
 * 0.1-0.3 ms of CPU (four X25519 operations and the registry lookups), so
 * above 1000 a second a core is mostly busy with them: from there on
 * message 1 needs a valid mac2 (a cookie proves the source address) and
 * each address gets 50 a second, bursts of 100 (a NAT gateway with many
 * meters behind it after a restart). */
enum {
	RATELIMIT_LOAD_PER_SEC = 1000,
	RATELIMIT_IP_PER_SEC = 50,
	RATELIMIT_IP_BURST = 100,
	RATELIMIT_ENTRIES = 4096, /* sources tracked at once, a power of two */
	RATELIMIT_PROBES = 8,	  /* slots looked at per source before evicting */
	RATELIMIT_ADDR_MAX = 16,
};

struct ratelimit_entry {
	uint8_t addr[RATELIMIT_ADDR_MAX];
	uint8_t addr_len; /* 0: free */
	uint64_t last;	  /* when tokens was last brought up to date */
	uint64_t tokens;  /* credit in ns: each handshake costs 1 s / per_sec */
};

struct ratelimit {
	struct ratelimit_entry *entries;
	size_t n_entries;
	uint32_t load_per_sec;
	uint64_t cost;	 /* ns of credit per handshake */
	uint64_t credit; /* most credit a source holds: cost * burst */
	/* the load meter: counts in the current and the previous second */
	uint64_t window_start;
	uint32_t window_count;
	uint32_t previous_count;
	uint64_t load_until; /* a backlog was seen: under load until then */
};

/* entries is rounded up to a power of two. 0, -EINVAL for a zero rate,
 * burst or entries, -ENOMEM. */
int ratelimit_init(struct ratelimit *rl, size_t entries, uint32_t load_per_sec, uint32_t ip_per_sec,
		   uint32_t ip_burst);
void ratelimit_free(struct ratelimit *rl);

/* Count a message 1 that passed mac1 at now; true when tetherd is under
 * load: load_per_sec or more in the current or the previous second, or a
 * backlog reported within the last second. */
bool ratelimit_count(struct ratelimit *rl, uint64_t now);

/* Message 1s are queueing faster than they are handled (a full receive
 * batch of them): under load for the next second whatever the count says,
 * so a gateway slower than load_per_sec handshakes a second is protected
 * too. */
void ratelimit_backlog(struct ratelimit *rl, uint64_t now);

/* Under load, before handling a message 1 from addr (4 or 16 bytes): true
 * if its bucket has a token, which it takes. */
bool ratelimit_allow(struct ratelimit *rl, const uint8_t *addr, size_t addr_len, uint64_t now);

#endif
