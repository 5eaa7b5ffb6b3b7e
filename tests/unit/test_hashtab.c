/* The lookup table behind tetherd's O(1) indices: insert, find, remove,
 * growth, tombstone reuse and shared hashes. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "concentrator/tetherd/hashtab.h"

struct item {
	uint32_t key;
};

static bool match_key(const void *val, const void *key)
{
	return ((const struct item *)val)->key == *(const uint32_t *)key;
}

static uint64_t hash_of(uint32_t key)
{
	return hashtab_hash(&key, sizeof(key));
}

Test(hashtab, insert_find_remove_many)
{
	enum { N = 20000 };
	struct hashtab t;
	struct item *items = calloc(N, sizeof(*items));

	hashtab_seed();
	cr_assert_eq(hashtab_init(&t, 4), 0);
	for (uint32_t i = 0; i < N; i++) {
		items[i].key = i * 7919u;
		cr_assert_eq(hashtab_insert(&t, hash_of(items[i].key), &items[i]), 0);
	}
	cr_assert_eq(t.used, N);
	for (uint32_t i = 0; i < N; i++)
		cr_assert_eq(hashtab_find(&t, hash_of(items[i].key), match_key, &items[i].key),
			     &items[i]);
	for (uint32_t i = 0; i < N; i += 2)
		cr_assert_eq(hashtab_remove(&t, hash_of(items[i].key), &items[i]), &items[i]);
	for (uint32_t i = 0; i < N; i++) {
		void *found = hashtab_find(&t, hash_of(items[i].key), match_key, &items[i].key);

		cr_assert_eq(found, i % 2 ? &items[i] : NULL, "key %u", i);
	}
	uint32_t missing = 3;
	cr_assert_null(hashtab_find(&t, hash_of(missing), match_key, &missing));
	hashtab_free(&t);
	free(items);
}

Test(hashtab, churn_reuses_tombstones)
{
	struct hashtab t;
	struct item it = { .key = 42 };

	hashtab_seed();
	cr_assert_eq(hashtab_init(&t, 8), 0);
	size_t cap = t.cap;
	for (int round = 0; round < 100000; round++) {
		it.key = (uint32_t)round;
		cr_assert_eq(hashtab_insert(&t, hash_of(it.key), &it), 0);
		cr_assert_eq(hashtab_remove(&t, hash_of(it.key), &it), &it);
	}
	cr_assert_eq(t.used, 0);
	cr_assert_eq(t.cap, cap, "churn must not grow the table");
	hashtab_free(&t);
}

Test(hashtab, shared_hash_resolved_by_match)
{
	struct hashtab t;
	struct item a = { .key = 1 }, b = { .key = 2 };

	cr_assert_eq(hashtab_init(&t, 4), 0);
	cr_assert_eq(hashtab_insert(&t, 77, &a), 0);
	cr_assert_eq(hashtab_insert(&t, 77, &b), 0);
	cr_assert_eq(hashtab_find(&t, 77, match_key, &b.key), &b);
	cr_assert_eq(hashtab_find(&t, 77, match_key, &a.key), &a);
	cr_assert_eq(hashtab_remove(&t, 77, &a), &a);
	cr_assert_eq(hashtab_find(&t, 77, match_key, &b.key), &b);
	cr_assert_null(hashtab_remove(&t, 77, &a));
	hashtab_free(&t);
}
