/* Open-addressing hash table from a 64-bit keyed hash to a pointer, used
 * for tetherd's O(1) lookups: sessions by receiver index, devices by name,
 * by public key and by tunnel address. Hashes are SipHash with a random
 * per-process key (hashtab_hash), so remote peers cannot aim collisions.
 * Growth allocates (only when devices or sessions are added); lookups never
 * allocate. Several entries may share a hash: the caller's match function
 * decides. */
#ifndef TETHER_TETHERD_HASHTAB_H
#define TETHER_TETHERD_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashtab_slot {
	uint64_t hash; /* 0: empty, 1: deleted; real hashes are forced >= 2 */
	void *val;
};

struct hashtab {
	struct hashtab_slot *slots;
	size_t cap; /* power of two */
	size_t used; /* live entries */
	size_t dead; /* tombstones */
};

typedef bool (*hashtab_match_fn)(const void *val, const void *key);

/* Call once per process before hashing (draws the SipHash key). */
void hashtab_seed(void);
uint64_t hashtab_hash(const void *key, size_t len);

int hashtab_init(struct hashtab *t, size_t expected);
void hashtab_free(struct hashtab *t);

/* Returns 0, or -ENOMEM when growing failed (the table is unchanged). */
int hashtab_insert(struct hashtab *t, uint64_t hash, void *val);
void *hashtab_find(const struct hashtab *t, uint64_t hash, hashtab_match_fn match,
		   const void *key);
/* Removes the entry whose value is `val`; returns it or NULL. */
void *hashtab_remove(struct hashtab *t, uint64_t hash, const void *val);

#endif
