/* Timeout lists: each list stays in deadline order without comparisons,
 * re-arming moves an entry to the back, cancelling takes it out, and the
 * loop's wait is the earliest deadline over all lists, never early. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "concentrator/proxy/deadline.h"

#define MS 1000000ULL

Test(proxy_deadline, expire_in_order)
{
	struct deadline_list l;
	struct deadline d[5];

	deadline_list_init(&l, 100 * MS);
	for (int i = 0; i < 5; i++) {
		deadline_init(&d[i]);
		deadline_arm(&l, &d[i], (uint64_t)i * 10 * MS);
	}
	cr_assert_null(deadline_expired(&l, 99 * MS));
	cr_assert_eq(deadline_expired(&l, 100 * MS), &d[0]);
	cr_assert_not(deadline_armed(&d[0]));
	cr_assert_null(deadline_expired(&l, 100 * MS));
	cr_assert_eq(deadline_expired(&l, 1000 * MS), &d[1]);
	cr_assert_eq(deadline_expired(&l, 1000 * MS), &d[2]);
	cr_assert_eq(deadline_expired(&l, 1000 * MS), &d[3]);
	cr_assert_eq(deadline_expired(&l, 1000 * MS), &d[4]);
	cr_assert_null(deadline_expired(&l, 1000 * MS));
}

Test(proxy_deadline, rearm_and_cancel)
{
	struct deadline_list l;
	struct deadline a, b, c;

	deadline_list_init(&l, 100 * MS);
	deadline_init(&a);
	deadline_init(&b);
	deadline_init(&c);
	deadline_cancel(&a); /* not armed: nothing happens */
	deadline_arm(&l, &a, 0);
	deadline_arm(&l, &b, 10 * MS);
	deadline_arm(&l, &c, 20 * MS);
	deadline_arm(&l, &a, 30 * MS); /* progress: a goes to the back */
	deadline_cancel(&b);
	cr_assert_not(deadline_armed(&b));
	cr_assert_eq(deadline_next(&l, 1), 120 * MS);
	cr_assert_eq(deadline_expired(&l, 200 * MS), &c);
	cr_assert_eq(deadline_expired(&l, 200 * MS), &a);
	cr_assert_null(deadline_expired(&l, 200 * MS));
	cr_assert_eq(deadline_next(&l, 1), UINT64_MAX);
}

/* An entry moves between lists of different durations (header -> idle). */
Test(proxy_deadline, move_between_lists)
{
	struct deadline_list l[2];
	struct deadline a, b;

	deadline_list_init(&l[0], 10 * MS);
	deadline_list_init(&l[1], 1000 * MS);
	deadline_init(&a);
	deadline_init(&b);
	deadline_arm(&l[0], &a, 0);
	deadline_arm(&l[1], &b, 0);
	cr_assert_eq(deadline_next(l, 2), 10 * MS);
	deadline_arm(&l[1], &a, 5 * MS);
	cr_assert_eq(deadline_next(l, 2), 1000 * MS);
	cr_assert_null(deadline_expired(&l[0], 2000 * MS));
	cr_assert_eq(deadline_expired(&l[1], 2000 * MS), &b);
	cr_assert_eq(deadline_expired(&l[1], 2000 * MS), &a);
}

/* A now older than the list's last arm (a caller's stale clock) is
 * clamped, so the list stays sorted. */
Test(proxy_deadline, stale_now_keeps_order)
{
	struct deadline_list l;
	struct deadline a, b;

	deadline_list_init(&l, 100 * MS);
	deadline_init(&a);
	deadline_init(&b);
	deadline_arm(&l, &a, 50 * MS);
	deadline_arm(&l, &b, 10 * MS);
	cr_assert_geq(b.at, a.at);
	cr_assert_eq(deadline_expired(&l, UINT64_MAX - 1), &a);
	cr_assert_eq(deadline_expired(&l, UINT64_MAX - 1), &b);
}

Test(proxy_deadline, wait_ms_never_early)
{
	cr_assert_eq(deadline_wait_ms(UINT64_MAX, 0), -1);
	cr_assert_eq(deadline_wait_ms(5, 10), 0);
	cr_assert_eq(deadline_wait_ms(10, 10), 0);
	cr_assert_eq(deadline_wait_ms(10 * MS + 1, 0), 11);
	cr_assert_eq(deadline_wait_ms(10 * MS, 0), 10);
	cr_assert_eq(deadline_wait_ms(UINT64_MAX - 1, 0), INT32_MAX);
}

/* Many connections, three lists, random arms and cancels: whatever
 * expires comes out in deadline order. */
Test(proxy_deadline, many_random)
{
	enum { N = 3000 };
	static struct deadline d[N];
	struct deadline_list l[3];
	uint64_t now = 0, last = 0, seed = 1;

	deadline_list_init(&l[0], 10 * MS);
	deadline_list_init(&l[1], 60 * MS);
	deadline_list_init(&l[2], 5 * MS);
	for (int i = 0; i < N; i++)
		deadline_init(&d[i]);
	for (int step = 0; step < 20000; step++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		int i = (int)(seed >> 33) % N;

		now += (seed >> 20) % (MS / 4);
		if ((seed >> 8) % 5 == 0)
			deadline_cancel(&d[i]);
		else
			deadline_arm(&l[(seed >> 12) % 3], &d[i], now);
		uint64_t next = deadline_next(l, 3);
		if (next <= now) {
			struct deadline *x = NULL;

			for (int k = 0; k < 3 && !x; k++) {
				if (l[k].head.next != &l[k].head && l[k].head.next->at == next)
					x = deadline_expired(&l[k], now);
			}
			cr_assert_not_null(x);
			cr_assert_geq(x->at, last, "expired out of order");
			last = x->at;
		}
	}
}
