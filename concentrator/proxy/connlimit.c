/* Counting connections per client address in a keyed hash table that
 * grows with the number of distinct addresses, never with connections. */
#include "concentrator/proxy/connlimit.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum {
	CONNLIMIT_BUCKETS_MIN = 256,
};

static size_t slot(const struct connlimit *l, const struct in6_addr *addr)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)addr, sizeof(*addr), l->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (l->nbuckets - 1));
}

int connlimit_init(struct connlimit *l, const struct connlimit_config *cfg)
{
	memset(l, 0, sizeof(*l));
	if (sodium_init() < 0)
		return -EIO;
	l->cfg = *cfg;
	l->buckets = calloc(CONNLIMIT_BUCKETS_MIN, sizeof(*l->buckets));
	if (!l->buckets)
		return -ENOMEM;
	l->nbuckets = CONNLIMIT_BUCKETS_MIN;
	randombytes_buf(l->key, sizeof(l->key));
	return 0;
}

void connlimit_free(struct connlimit *l)
{
	for (size_t i = 0; i < l->nbuckets; i++) {
		struct connlimit_client *c = l->buckets[i], *next;

		for (; c; c = next) {
			next = c->next;
			free(c);
		}
	}
	free(l->buckets);
	memset(l, 0, sizeof(*l));
}

/* Keep chains short: double when there are more addresses than buckets. */
static void grow(struct connlimit *l)
{
	size_t old = l->nbuckets;
	struct connlimit_client **ob = l->buckets, **nb;

	if (l->nclients < old)
		return;
	nb = calloc(old * 2, sizeof(*nb));
	if (!nb)
		return; /* longer chains, still correct */
	l->buckets = nb;
	l->nbuckets = old * 2;
	for (size_t i = 0; i < old; i++) {
		struct connlimit_client *c = ob[i], *next;

		for (; c; c = next) {
			size_t k = slot(l, &c->addr);

			next = c->next;
			c->next = nb[k];
			nb[k] = c;
		}
	}
	free(ob);
}

int connlimit_client_get(struct connlimit *l, const struct in6_addr *addr,
			 struct connlimit_client **client)
{
	struct connlimit_client *c;
	size_t k;

	*client = NULL;
	if (l->total >= l->cfg.total)
		return -ENFILE;
	k = slot(l, addr);
	for (c = l->buckets[k]; c; c = c->next) {
		if (!memcmp(&c->addr, addr, sizeof(*addr)))
			break;
	}
	if (c && c->count >= l->cfg.per_client)
		return -EMFILE;
	if (!c) {
		if (l->cfg.per_client == 0)
			return -EMFILE;
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->addr = *addr;
		c->next = l->buckets[k];
		l->buckets[k] = c;
		l->nclients++;
		grow(l);
	}
	c->count++;
	l->total++;
	*client = c;
	return 0;
}

void connlimit_client_put(struct connlimit *l, struct connlimit_client *client)
{
	struct connlimit_client **pp;

	l->total--;
	if (--client->count)
		return;
	for (pp = &l->buckets[slot(l, &client->addr)]; *pp; pp = &(*pp)->next) {
		if (*pp == client) {
			*pp = client->next;
			break;
		}
	}
	l->nclients--;
	free(client);
}

int connlimit_device_admit(const struct connlimit *l, uint32_t attached)
{
	return attached < l->cfg.per_device ? 0 : -EBUSY;
}
