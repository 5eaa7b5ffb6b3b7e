/* Linear probing with tombstones; the table grows at 50% load (live plus
 * dead) so probe chains stay short. */
#include "concentrator/tetherd/hashtab.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

enum { SLOT_EMPTY = 0, SLOT_DEAD = 1 };

static uint8_t sip_key[crypto_shorthash_KEYBYTES];

void hashtab_seed(void)
{
	randombytes_buf(sip_key, sizeof(sip_key));
}

uint64_t hashtab_hash(const void *key, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h = 0;

	crypto_shorthash(out, key, len, sip_key);
	for (size_t i = 0; i < sizeof(h); i++)
		h |= (uint64_t)out[i] << (8 * i);
	return h < 2 ? h + 2 : h;
}

int hashtab_init(struct hashtab *t, size_t expected)
{
	size_t cap = 16;

	while (cap < expected * 2)
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->cap = cap;
	t->used = 0;
	t->dead = 0;
	return 0;
}

void hashtab_free(struct hashtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->used = t->dead = 0;
}

static void place(struct hashtab_slot *slots, size_t cap, uint64_t hash, void *val)
{
	size_t i = hash & (cap - 1);

	while (slots[i].hash >= 2)
		i = (i + 1) & (cap - 1);
	slots[i].hash = hash;
	slots[i].val = val;
}

static int resize(struct hashtab *t, size_t cap)
{
	struct hashtab_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].hash >= 2)
			place(slots, cap, t->slots[i].hash, t->slots[i].val);
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	t->dead = 0;
	return 0;
}

int hashtab_insert(struct hashtab *t, uint64_t hash, void *val)
{
	if ((t->used + t->dead + 1) * 2 > t->cap) {
		/* mostly tombstones: rehash at the same size */
		size_t cap = (t->used + 1) * 4 > t->cap ? t->cap * 2 : t->cap;
		int ret = resize(t, cap);

		if (ret)
			return ret;
	}
	size_t i = hash & (t->cap - 1);

	while (t->slots[i].hash >= 2)
		i = (i + 1) & (t->cap - 1);
	if (t->slots[i].hash == SLOT_DEAD)
		t->dead--;
	t->slots[i].hash = hash;
	t->slots[i].val = val;
	t->used++;
	return 0;
}

void *hashtab_find(const struct hashtab *t, uint64_t hash, hashtab_match_fn match,
		   const void *key)
{
	size_t i = hash & (t->cap - 1);

	for (size_t n = 0; n < t->cap && t->slots[i].hash != SLOT_EMPTY; n++) {
		if (t->slots[i].hash == hash && match(t->slots[i].val, key))
			return t->slots[i].val;
		i = (i + 1) & (t->cap - 1);
	}
	return NULL;
}

void *hashtab_remove(struct hashtab *t, uint64_t hash, const void *val)
{
	size_t i = hash & (t->cap - 1);

	for (size_t n = 0; n < t->cap && t->slots[i].hash != SLOT_EMPTY; n++) {
		if (t->slots[i].hash == hash && t->slots[i].val == val) {
			void *found = t->slots[i].val;

			t->slots[i].hash = SLOT_DEAD;
			t->slots[i].val = NULL;
			t->used--;
			t->dead++;
			return found;
		}
		i = (i + 1) & (t->cap - 1);
	}
	return NULL;
}
