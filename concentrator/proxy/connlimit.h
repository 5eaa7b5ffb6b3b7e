/* Connection limits against abuse: at most `total` client connections, at
 * most `per_client` from one client address, at most `per_device` attached
 * to one device. Client addresses are counted in a hash table keyed with a
 * random SipHash key, so a client choosing its IPv6 addresses cannot aim
 * collisions; an address's entry goes when its last connection does. */
#ifndef TETHER_PROXY_CONNLIMIT_H
#define TETHER_PROXY_CONNLIMIT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct connlimit_config {
	uint32_t total;
	uint32_t per_client;
	uint32_t per_device;
};

struct connlimit_client {
	struct connlimit_client *next;
	struct in6_addr addr; /* IPv4 as ::ffff:a.b.c.d */
	uint32_t count;
};

struct connlimit {
	struct connlimit_config cfg;
	struct connlimit_client **buckets;
	size_t nbuckets; /* power of two */
	size_t nclients;
	uint32_t total;
	unsigned char key[16]; /* SipHash key */
};

int connlimit_init(struct connlimit *l, const struct connlimit_config *cfg);
void connlimit_free(struct connlimit *l);

/* Count one more connection from addr. Returns 0 with *client set (hand it
 * back to connlimit_client_put()), -ENFILE when `total` is reached, -EMFILE
 * when addr has `per_client` already, -ENOMEM. */
int connlimit_client_get(struct connlimit *l, const struct in6_addr *addr,
			 struct connlimit_client **client);
void connlimit_client_put(struct connlimit *l, struct connlimit_client *client);

/* May one more connection attach to a device that has `attached`?
 * 0 or -EBUSY. */
int connlimit_device_admit(const struct connlimit *l, uint32_t attached);

#endif
