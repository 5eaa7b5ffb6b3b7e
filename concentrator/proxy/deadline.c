/* Timeout lists: intrusive circular lists with a sentinel, one per fixed
 * duration, so they stay sorted without any comparison. */
#include "concentrator/proxy/deadline.h"

#include <limits.h>

void deadline_list_init(struct deadline_list *list, uint64_t timeout_ns)
{
	list->head.prev = &list->head;
	list->head.next = &list->head;
	list->head.at = 0;
	list->timeout = timeout_ns;
	list->last = 0;
}

void deadline_init(struct deadline *d)
{
	d->prev = NULL;
	d->next = NULL;
	d->at = 0;
}

bool deadline_armed(const struct deadline *d)
{
	return d->next != NULL;
}

void deadline_cancel(struct deadline *d)
{
	if (!d->next)
		return;
	d->prev->next = d->next;
	d->next->prev = d->prev;
	d->prev = NULL;
	d->next = NULL;
}

void deadline_arm(struct deadline_list *list, struct deadline *d, uint64_t now)
{
	deadline_cancel(d);
	/* a caller's stale now would break the order; clamp it instead */
	if (now < list->last)
		now = list->last;
	list->last = now;
	d->at = now + list->timeout;
	d->prev = list->head.prev;
	d->next = &list->head;
	list->head.prev->next = d;
	list->head.prev = d;
}

struct deadline *deadline_expired(struct deadline_list *list, uint64_t now)
{
	struct deadline *d = list->head.next;

	if (d == &list->head || d->at > now)
		return NULL;
	deadline_cancel(d);
	return d;
}

uint64_t deadline_next(const struct deadline_list *lists, size_t n)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		const struct deadline *d = lists[i].head.next;

		if (d != &lists[i].head && d->at < next)
			next = d->at;
	}
	return next;
}

int deadline_wait_ms(uint64_t at, uint64_t now)
{
	uint64_t ms;

	if (at == UINT64_MAX)
		return -1;
	if (at <= now)
		return 0;
	ms = (at - now) / 1000000 + ((at - now) % 1000000 != 0);
	return ms > INT_MAX ? INT_MAX : (int)ms;
}
