/* The device table: four hash indices over heap-allocated devices and an
 * unordered array for sweeps. Growth allocates only when devices or
 * sessions come; the per-packet lookups (by index, by address) never do. */
#include "concentrator/tetherd/device.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "netlink/ifname.h"
#include "proto/tai64n.h"

const char *device_drop_str(unsigned int reason)
{
	static const char *const names[DEVICE_DROP_COUNT - PROTO_REASON_COUNT] = {
		[DEVICE_DROP_TUN_WRITE - PROTO_REASON_COUNT] = "tun_write",
		[DEVICE_DROP_NO_SESSION - PROTO_REASON_COUNT] = "no_session",
		[DEVICE_DROP_SEND - PROTO_REASON_COUNT] = "send",
		[DEVICE_DROP_NO_INTERFACE - PROTO_REASON_COUNT] = "no_interface",
		[DEVICE_DROP_RATELIMIT - PROTO_REASON_COUNT] = "ratelimit",
		[DEVICE_DROP_TRUNCATED - PROTO_REASON_COUNT] = "truncated",
	};

	if (reason < PROTO_REASON_COUNT)
		return proto_reason_str((enum proto_reason)reason);
	if (reason >= DEVICE_DROP_COUNT)
		return "unknown";
	return names[reason - PROTO_REASON_COUNT];
}

static uint64_t hash_name(const char *name)
{
	return hashtab_hash(name, strlen(name));
}

static uint64_t hash_key(const uint8_t key[WIRE_KEY_LEN])
{
	return hashtab_hash(key, WIRE_KEY_LEN);
}

static uint64_t hash_addr(struct in_addr addr)
{
	return hashtab_hash(&addr.s_addr, sizeof(addr.s_addr));
}

static uint64_t hash_index(uint32_t index)
{
	return hashtab_hash(&index, sizeof(index));
}

static bool match_name(const void *val, const void *key)
{
	return strcmp(((const struct device *)val)->name, key) == 0;
}

static bool match_key(const void *val, const void *key)
{
	const struct device *dev = val;

	return dev->has_key && sodium_memcmp(dev->public_key, key, WIRE_KEY_LEN) == 0;
}

static bool match_addr(const void *val, const void *key)
{
	return ((const struct device *)val)->addr4.s_addr == ((const struct in_addr *)key)->s_addr;
}

static bool match_index(const void *val, const void *key)
{
	const struct device *dev = val;
	const struct session_peer *p = dev->sessions;
	uint32_t index = *(const uint32_t *)key;
	const int8_t members[] = {p ? p->current : SESSION_NONE, p ? p->previous : SESSION_NONE,
				  p ? p->next : SESSION_NONE};

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (members[i] != SESSION_NONE && p->slot[members[i]].keys.local_index == index)
			return true;
	return false;
}

int device_table_init(struct device_table *t, size_t expected)
{
	int ret;

	memset(t, 0, sizeof(*t));
	ret = hashtab_init(&t->by_name, expected);
	if (!ret)
		ret = hashtab_init(&t->by_key, expected);
	if (!ret)
		ret = hashtab_init(&t->by_addr, expected);
	if (!ret)
		ret = hashtab_init(&t->by_index, expected * 2);
	if (ret)
		device_table_free(t);
	return ret;
}

void device_table_free(struct device_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		device_free(t->all[i]);
	free(t->all);
	hashtab_free(&t->by_name);
	hashtab_free(&t->by_key);
	hashtab_free(&t->by_addr);
	hashtab_free(&t->by_index);
	memset(t, 0, sizeof(*t));
}

/* "ip:port" or "[ip]:port" as the registry keeps it; shown until the
 * device is heard from again (nothing is sent there without a session). */
static void parse_endpoint(struct device *dev, const char *s)
{
	char host[REGISTRY_ENDPOINT_MAX + 1];
	const char *colon = strrchr(s, ':');
	size_t len;
	long port;
	char *end;

	if (!colon || colon == s)
		return;
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return;
	len = (size_t)(colon - s);
	if (s[0] == '[' && len >= 2 && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= sizeof(host))
		return;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, &dev->endpoint.in.sin_addr) == 1) {
		dev->endpoint.in.sin_family = AF_INET;
		dev->endpoint.in.sin_port = htons((uint16_t)port);
		dev->endpoint_len = sizeof(dev->endpoint.in);
	} else if (inet_pton(AF_INET6, host, &dev->endpoint.in6.sin6_addr) == 1) {
		dev->endpoint.in6.sin6_family = AF_INET6;
		dev->endpoint.in6.sin6_port = htons((uint16_t)port);
		dev->endpoint_len = sizeof(dev->endpoint.in6);
	}
}

struct device *device_create(const struct registry_device *rd)
{
	struct device *dev = calloc(1, sizeof(*dev));

	if (!dev) {
		errno = ENOMEM;
		return NULL;
	}
	if (nl_ifname_for_device(rd->name, dev->ifname)) {
		free(dev);
		errno = EINVAL;
		return NULL;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", rd->name);
	dev->state = rd->state;
	dev->has_key = rd->has_key;
	if (rd->has_key)
		memcpy(dev->public_key, rd->public_key, WIRE_KEY_LEN);
	dev->addr4 = rd->address4;
	dev->created = rd->created;
	dev->last_handshake = rd->last_handshake;
	parse_endpoint(dev, rd->last_endpoint);
	dev->tun_fd = -1;
	dev->tun_h.fd = -1;
	timers_init(&dev->timers, TIMERS_CONCENTRATOR, 0);
	return dev;
}

void device_free(struct device *dev)
{
	if (!dev)
		return;
	if (dev->sessions) {
		session_clear(dev->sessions, NULL);
		free(dev->sessions);
	}
	sodium_memzero(dev, sizeof(*dev));
	free(dev);
}

int device_table_add(struct device_table *t, struct device *dev)
{
	bool name = false, key = false;
	int ret;

	if (device_by_name(t, dev->name) || (dev->has_key && device_by_key(t, dev->public_key)) ||
	    device_by_addr(t, dev->addr4))
		return -EEXIST;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct device **all = realloc(t->all, cap * sizeof(*all));

		if (!all)
			return -ENOMEM;
		t->all = all;
		t->cap = cap;
	}
	ret = hashtab_insert(&t->by_name, hash_name(dev->name), dev);
	if (ret)
		goto out;
	name = true;
	if (dev->has_key) {
		ret = hashtab_insert(&t->by_key, hash_key(dev->public_key), dev);
		if (ret)
			goto out;
		key = true;
	}
	ret = hashtab_insert(&t->by_addr, hash_addr(dev->addr4), dev);
	if (ret)
		goto out;
	dev->pos = t->count;
	t->all[t->count++] = dev;
out:
	if (ret && name)
		hashtab_remove(&t->by_name, hash_name(dev->name), dev);
	if (ret && key)
		hashtab_remove(&t->by_key, hash_key(dev->public_key), dev);
	return ret;
}

static void forget_indices(struct device_table *t, struct device *dev)
{
	const struct session_peer *p = dev->sessions;
	const int8_t members[] = {p ? p->current : SESSION_NONE, p ? p->previous : SESSION_NONE,
				  p ? p->next : SESSION_NONE};

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (members[i] != SESSION_NONE)
			hashtab_remove(&t->by_index,
				       hash_index(p->slot[members[i]].keys.local_index), dev);
}

void device_table_remove(struct device_table *t, struct device *dev)
{
	struct device *last;

	if (dev->pos >= t->count || t->all[dev->pos] != dev)
		return;
	forget_indices(t, dev);
	hashtab_remove(&t->by_name, hash_name(dev->name), dev);
	if (dev->has_key)
		hashtab_remove(&t->by_key, hash_key(dev->public_key), dev);
	hashtab_remove(&t->by_addr, hash_addr(dev->addr4), dev);
	last = t->all[--t->count];
	t->all[dev->pos] = last;
	last->pos = dev->pos;
	dev->pos = SIZE_MAX;
}

struct device *device_by_name(const struct device_table *t, const char *name)
{
	return hashtab_find(&t->by_name, hash_name(name), match_name, name);
}

struct device *device_by_key(const struct device_table *t, const uint8_t key[WIRE_KEY_LEN])
{
	return hashtab_find(&t->by_key, hash_key(key), match_key, key);
}

struct device *device_by_addr(const struct device_table *t, struct in_addr addr)
{
	return hashtab_find(&t->by_addr, hash_addr(addr), match_addr, &addr);
}

struct device *device_by_index(const struct device_table *t, uint32_t index)
{
	return hashtab_find(&t->by_index, hash_index(index), match_index, &index);
}

int device_set_key(struct device_table *t, struct device *dev, const uint8_t key[WIRE_KEY_LEN])
{
	int ret;

	if (dev->has_key)
		return -EINVAL;
	if (device_by_key(t, key))
		return -EEXIST;
	memcpy(dev->public_key, key, WIRE_KEY_LEN);
	dev->has_key = true;
	ret = hashtab_insert(&t->by_key, hash_key(key), dev);
	if (ret) {
		dev->has_key = false;
		sodium_memzero(dev->public_key, WIRE_KEY_LEN);
	}
	return ret;
}

uint32_t device_table_new_index(const struct device_table *t)
{
	uint32_t index;

	/* 2^32 indices for at most a few per device: a retry is rare */
	do
		index = randombytes_random();
	while (index == 0 || hashtab_find(&t->by_index, hash_index(index), match_index, &index));
	return index;
}

int device_index_add(struct device_table *t, struct device *dev, uint32_t index)
{
	return hashtab_insert(&t->by_index, hash_index(index), dev);
}

void device_index_drops(struct device_table *t, struct device *dev,
			const struct session_drops *drops)
{
	for (unsigned int i = 0; i < drops->count && i < SESSION_SLOTS; i++)
		hashtab_remove(&t->by_index, hash_index(drops->index[i]), dev);
}

void device_sessions_clear(struct device_table *t, struct device *dev)
{
	struct session_drops drops = {.count = 0};

	if (!dev->sessions)
		return;
	session_clear(dev->sessions, &drops);
	device_index_drops(t, dev, &drops);
}

struct session_peer *device_sessions(struct device *dev)
{
	if (!dev->sessions) {
		dev->sessions = malloc(sizeof(*dev->sessions));
		if (!dev->sessions) {
			errno = ENOMEM;
			return NULL;
		}
		session_init(dev->sessions);
	}
	return dev->sessions;
}

bool device_timestamp_fresh(struct device *dev, const uint8_t ts[WIRE_TAI64N_LEN])
{
	if (dev->has_timestamp && tai64n_compare(ts, dev->last_timestamp) <= 0)
		return false;
	memcpy(dev->last_timestamp, ts, WIRE_TAI64N_LEN);
	dev->has_timestamp = true;
	return true;
}

void device_sockaddr_str(const struct sockaddr *sa, char out[DEVICE_ENDPOINT_STR])
{
	char ip[INET6_ADDRSTRLEN];

	snprintf(out, DEVICE_ENDPOINT_STR, "?");
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)))
			snprintf(out, DEVICE_ENDPOINT_STR, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const struct in6_addr *a = &in6->sin6_addr;
		unsigned int port = ntohs(in6->sin6_port);

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			if (inet_ntop(AF_INET, &a->s6_addr[12], ip, sizeof(ip)))
				snprintf(out, DEVICE_ENDPOINT_STR, "%s:%u", ip, port);
		} else if (inet_ntop(AF_INET6, a, ip, sizeof(ip))) {
			snprintf(out, DEVICE_ENDPOINT_STR, "[%s]:%u", ip, port);
		}
	}
}

void device_endpoint_str(const struct device *dev, char out[DEVICE_ENDPOINT_STR])
{
	out[0] = '\0';
	if (dev->endpoint_len)
		device_sockaddr_str(&dev->endpoint.sa, out);
}

bool device_set_endpoint(struct device *dev, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(dev->endpoint))
		len = sizeof(dev->endpoint);
	if (dev->endpoint_len == len && memcmp(&dev->endpoint, sa, len) == 0)
		return false;
	memset(&dev->endpoint, 0, sizeof(dev->endpoint));
	memcpy(&dev->endpoint, sa, len);
	dev->endpoint_len = len;
	dev->seen_dirty = true;
	return true;
}
