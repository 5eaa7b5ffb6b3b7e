/* IPv4 pool: one bit per address of the prefix, in 64-bit words. Reserved
 * addresses and the padding past the end of the last word are set once at
 * creation, so allocating is finding the first zero bit at or after a hint. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator/tetherd/pool.h"

struct pool {
	uint32_t base;	    /* network address, host byte order */
	uint32_t size;	    /* addresses in the prefix, reserved ones included */
	uint32_t gateway;   /* index of the gateway, 0 (the network) when outside */
	uint32_t capacity;  /* addresses that may be handed out */
	uint32_t available; /* of those, not in use */
	uint32_t words;
	uint32_t hint;	 /* no zero bit in any word below this one */
	uint64_t bits[]; /* 1: used, reserved or padding */
};

static uint32_t mask_of(unsigned int prefix_len)
{
	return prefix_len ? UINT32_MAX << (32 - prefix_len) : 0;
}

int pool_parse(const char *cidr, struct in_addr *net, unsigned int *prefix_len)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(cidr, '/');
	const char *p;
	unsigned int len = 0;
	struct in_addr a;
	size_t alen;

	if (!slash)
		return -EINVAL;
	alen = (size_t)(slash - cidr);
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;

	p = slash + 1;
	if (*p == '\0' || strlen(p) > 2)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		len = len * 10 + (unsigned int)(*p - '0');
	}
	if (len > 32)
		return -EINVAL;
	/* 100.64.0.1/16 is an address, not a pool: most likely a typo */
	if (ntohl(a.s_addr) & ~mask_of(len))
		return -EINVAL;

	*net = a;
	*prefix_len = len;
	return 0;
}

static void set(struct pool *pool, uint32_t idx)
{
	pool->bits[idx / 64] |= UINT64_C(1) << (idx % 64);
}

static bool is_set(const struct pool *pool, uint32_t idx)
{
	return (pool->bits[idx / 64] & (UINT64_C(1) << (idx % 64))) != 0;
}

int pool_create(struct pool **out, struct in_addr net, unsigned int prefix_len,
		struct in_addr gateway)
{
	uint32_t base = ntohl(net.s_addr);
	uint32_t size, words, gw, i;
	struct pool *pool;

	*out = NULL;
	if (prefix_len < POOL_PREFIX_MIN || prefix_len > POOL_PREFIX_MAX)
		return -EINVAL;
	if (base & ~mask_of(prefix_len))
		return -EINVAL;

	size = UINT32_C(1) << (32 - prefix_len);
	words = (size + 63) / 64;
	pool = calloc(1, sizeof(*pool) + (size_t)words * sizeof(pool->bits[0]));
	if (!pool)
		return -ENOMEM;

	pool->base = base;
	pool->size = size;
	pool->words = words;
	for (i = size; i < words * 64; i++)
		set(pool, i);
	set(pool, 0);
	set(pool, size - 1);
	pool->capacity = size - 2;
	gw = ntohl(gateway.s_addr) - base;
	if (gateway.s_addr != 0 && gw < size && gw != 0 && gw != size - 1) {
		pool->gateway = gw;
		set(pool, gw);
		pool->capacity--;
	}
	pool->available = pool->capacity;

	*out = pool;
	return 0;
}

void pool_free(struct pool *pool)
{
	free(pool);
}

int pool_alloc(struct pool *pool, struct in_addr *addr)
{
	uint32_t w, bit;

	if (pool->available == 0)
		return -ENOSPC;
	for (w = pool->hint; w < pool->words; w++) {
		if (pool->bits[w] != UINT64_MAX)
			break;
	}
	/* available > 0 promises a zero bit at or after the hint */
	if (w == pool->words)
		return -ENOSPC;

	bit = (uint32_t)__builtin_ctzll(~pool->bits[w]);
	pool->bits[w] |= UINT64_C(1) << bit;
	pool->available--;
	pool->hint = w;
	addr->s_addr = htonl(pool->base + w * 64 + bit);
	return 0;
}

/* The address's index in the pool, or size when it lies outside. */
static uint32_t index_of(const struct pool *pool, struct in_addr addr)
{
	uint32_t idx = ntohl(addr.s_addr) - pool->base;

	return idx < pool->size ? idx : pool->size;
}

int pool_mark(struct pool *pool, struct in_addr addr)
{
	uint32_t idx = index_of(pool, addr);

	if (idx == pool->size)
		return -ERANGE;
	if (is_set(pool, idx))
		return -EEXIST;
	set(pool, idx);
	pool->available--;
	return 0;
}

int pool_release(struct pool *pool, struct in_addr addr)
{
	uint32_t idx = index_of(pool, addr);

	if (idx == pool->size)
		return -ERANGE;
	if (idx == 0 || idx == pool->size - 1 || (pool->gateway && idx == pool->gateway))
		return -EINVAL;
	if (!is_set(pool, idx))
		return -ENOENT;
	pool->bits[idx / 64] &= ~(UINT64_C(1) << (idx % 64));
	pool->available++;
	if (idx / 64 < pool->hint)
		pool->hint = idx / 64;
	return 0;
}

uint32_t pool_capacity(const struct pool *pool)
{
	return pool->capacity;
}

uint32_t pool_available(const struct pool *pool)
{
	return pool->available;
}
