/* The IPv4 pool that device tunnel addresses come from: a CIDR prefix and a
 * bitmap of the addresses in use. The network, broadcast and gateway
 * addresses are never handed out; allocation takes the lowest free one. */
#ifndef TETHER_TETHERD_POOL_H
#define TETHER_TETHERD_POOL_H

#include <netinet/in.h>
#include <stdint.h>

enum {
	POOL_PREFIX_MIN = 8,  /* a /8 costs a 2 MiB bitmap; anything larger is a typo */
	POOL_PREFIX_MAX = 30, /* a /30 still leaves one address for a device */
};

struct pool;

/* "100.64.0.0/16" into its network address and prefix length (0..32).
 * -EINVAL for anything else, host bits set included. */
int pool_parse(const char *cidr, struct in_addr *net, unsigned int *prefix_len);

/* A pool over net/prefix_len (POOL_PREFIX_MIN..POOL_PREFIX_MAX, else -EINVAL;
 * host bits set: -EINVAL). gateway is reserved when it lies inside the pool;
 * 0.0.0.0 means none. -ENOMEM. */
int pool_create(struct pool **pool, struct in_addr net, unsigned int prefix_len,
		struct in_addr gateway);
void pool_free(struct pool *pool);

/* The lowest free address. -ENOSPC when every address is taken. */
int pool_alloc(struct pool *pool, struct in_addr *addr);

/* Mark an address as used (loading the registry). -ERANGE outside the pool,
 * -EEXIST already used or reserved. */
int pool_mark(struct pool *pool, struct in_addr addr);

/* Give an address back. -ERANGE outside the pool, -EINVAL reserved,
 * -ENOENT not in use. */
int pool_release(struct pool *pool, struct in_addr addr);

/* How many addresses the pool can hand out in all, and how many are free. */
uint32_t pool_capacity(const struct pool *pool);
uint32_t pool_available(const struct pool *pool);

#endif
