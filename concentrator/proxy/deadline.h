/* Timeouts for many connections at a handful of fixed durations (header,
 * idle, connect, response, relay, linger): one FIFO list per duration.
 * Every entry of a list was armed at now + that list's duration with a
 * clock that never goes back, so appending keeps each list sorted by
 * deadline: arming, re-arming and cancelling are O(1) and the earliest
 * deadline is always at the head of one of the lists. */
#ifndef TETHER_PROXY_DEADLINE_H
#define TETHER_PROXY_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct deadline {
	struct deadline *prev, *next; /* NULL when not armed */
	uint64_t at;		      /* CLOCK_MONOTONIC ns */
};

struct deadline_list {
	struct deadline head; /* sentinel of a circular list */
	uint64_t timeout;     /* ns */
	uint64_t last;	      /* newest arm time: now must not go back */
};

void deadline_list_init(struct deadline_list *list, uint64_t timeout_ns);
void deadline_init(struct deadline *d);

/* (Re)arm d for now + list->timeout at the list's tail, taking it off any
 * list it was on. now must not be older than the list's previous arm. */
void deadline_arm(struct deadline_list *list, struct deadline *d, uint64_t now);
void deadline_cancel(struct deadline *d);
bool deadline_armed(const struct deadline *d);

/* The head of list if it is due at or before now, taken off the list;
 * NULL otherwise. Call until NULL to expire everything due. */
struct deadline *deadline_expired(struct deadline_list *list, uint64_t now);

/* The earliest deadline on n lists, UINT64_MAX if all are empty. */
uint64_t deadline_next(const struct deadline_list *lists, size_t n);

/* Milliseconds to wait from now until at, rounded up so a wake-up is never
 * early; -1 for UINT64_MAX (nothing to wait for), 0 if already due. */
int deadline_wait_ms(uint64_t at, uint64_t now);

#endif
