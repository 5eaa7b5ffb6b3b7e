/* The device table: a chained hash by name. Only tetherd inserts (names it
 * validated), so a plain FNV-1a hash is enough: what clients send is only
 * ever looked up, which cannot lengthen a chain. */
#include "concentrator/proxy/devtab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	DEVTAB_BUCKETS_MIN = 64,
};

/* A DEVICE as read from JSON, checked before it touches the table. */
struct devinfo {
	const char *name;
	struct in_addr addr;
	bool has_addr;
	bool online;
	bool disabled;
	bool pending;
	int64_t since;
};

static uint64_t hash_name(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int devtab_init(struct devtab *t)
{
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(DEVTAB_BUCKETS_MIN, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = DEVTAB_BUCKETS_MIN;
	return 0;
}

void devtab_free(struct devtab *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct devtab_entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct devtab_entry *devtab_find(const struct devtab *t, const char *name)
{
	struct devtab_entry *e;

	if (!t->nbuckets)
		return NULL;
	e = t->buckets[hash_name(name) & (t->nbuckets - 1)];
	for (; e; e = e->next) {
		if (!strcmp(e->name, name))
			return e;
	}
	return NULL;
}

enum devtab_route devtab_route(const struct devtab_entry *e)
{
	if (!e || e->removed || e->pending || !e->has_addr)
		return DEVTAB_UNKNOWN;
	if (!e->online || e->disabled)
		return DEVTAB_OFFLINE;
	return DEVTAB_ONLINE;
}

/* Double the buckets when the table is fuller than one entry a bucket. */
static int grow(struct devtab *t)
{
	size_t n = t->nbuckets * 2;
	struct devtab_entry **b;

	if (t->count < t->nbuckets)
		return 0;
	b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct devtab_entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			size_t k = hash_name(e->name) & (n - 1);

			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

static void unlink_entry(struct devtab *t, struct devtab_entry *e)
{
	struct devtab_entry **pp = &t->buckets[hash_name(e->name) & (t->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	e->next = NULL;
	e->removed = true;
	t->count--;
	if (!e->refs)
		free(e);
}

void devtab_get(struct devtab_entry *e)
{
	e->refs++;
}

void devtab_put(struct devtab *t, struct devtab_entry *e)
{
	(void)t;
	if (--e->refs == 0 && e->removed)
		free(e);
}

void devtab_distrust(struct devtab *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		for (struct devtab_entry *e = t->buckets[i]; e; e = e->next)
			e->epoch++;
	}
}

void devtab_foreach(const struct devtab *t, void (*fn)(const struct devtab_entry *e, void *arg),
		    void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		for (const struct devtab_entry *e = t->buckets[i]; e; e = e->next)
			fn(e, arg);
	}
}

/* Check one DEVICE object; the name stays borrowed from the JSON. */
static int parse_device(const json_t *dev, struct devinfo *info, char *err, size_t errlen)
{
	const json_t *name, *addr, *online, *since, *state;
	const char *s;

	memset(info, 0, sizeof(*info));
	if (!json_is_object(dev)) {
		snprintf(err, errlen, "a device is not a JSON object");
		return -EBADMSG;
	}
	name = json_object_get(dev, "name");
	s = json_string_value(name);
	if (!s || !control_name_valid(s, NULL)) {
		snprintf(err, errlen, "a device has no valid \"name\"");
		return -EBADMSG;
	}
	info->name = s;
	addr = json_object_get(dev, "address");
	if (json_is_string(addr)) {
		if (inet_pton(AF_INET, json_string_value(addr), &info->addr) != 1) {
			snprintf(err, errlen, "device %s: \"address\" is not an IPv4 address", s);
			return -EBADMSG;
		}
		info->has_addr = true;
	} else if (addr && !json_is_null(addr)) {
		snprintf(err, errlen, "device %s: \"address\" is not a string", s);
		return -EBADMSG;
	}
	online = json_object_get(dev, "online");
	if (!json_is_boolean(online)) {
		snprintf(err, errlen, "device %s: \"online\" is not true or false", s);
		return -EBADMSG;
	}
	info->online = json_is_true(online);
	since = json_object_get(dev, "since");
	if (json_is_integer(since)) {
		info->since = json_integer_value(since);
	} else if (since && !json_is_null(since)) {
		snprintf(err, errlen, "device %s: \"since\" is not an integer", s);
		return -EBADMSG;
	}
	state = json_object_get(dev, "state");
	if (state) {
		const char *st = json_string_value(state);

		if (!st ||
		    (strcmp(st, "active") && strcmp(st, "pending") && strcmp(st, "disabled"))) {
			snprintf(err, errlen,
				 "device %s: \"state\" is not active, pending or disabled", s);
			return -EBADMSG;
		}
		info->disabled = !strcmp(st, "disabled");
		info->pending = !strcmp(st, "pending");
	}
	return 0;
}

static void set_entry(struct devtab_entry *e, const struct devinfo *info)
{
	/* kept connections from before a change are not to be trusted */
	if (e->online != info->online || e->has_addr != info->has_addr ||
	    e->addr.s_addr != info->addr.s_addr)
		e->epoch++;
	e->addr = info->addr;
	e->has_addr = info->has_addr;
	e->online = info->online;
	e->disabled = info->disabled;
	e->pending = info->pending;
	e->since = info->since;
	e->mark = true;
}

static int upsert(struct devtab *t, const struct devinfo *info)
{
	struct devtab_entry *e = devtab_find(t, info->name);
	size_t k;
	int ret;

	if (e) {
		set_entry(e, info);
		return 0;
	}
	ret = grow(t);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	strcpy(e->name, info->name); /* validated: at most CONTROL_NAME_MAX */
	set_entry(e, info);
	k = hash_name(e->name) & (t->nbuckets - 1);
	e->next = t->buckets[k];
	t->buckets[k] = e;
	t->count++;
	return 0;
}

int devtab_snapshot(struct devtab *t, const json_t *answer, char *err, size_t errlen)
{
	const json_t *devices = json_object_get(answer, "devices");
	struct devinfo info;
	size_t i;
	json_t *dev;
	int ret;

	if (!json_is_true(json_object_get(answer, "ok")) || !json_is_array(devices)) {
		snprintf(err, errlen, "the snapshot is not {\"ok\": true, \"devices\": [...]}");
		return -EBADMSG;
	}
	json_array_foreach (devices, i, dev) {
		ret = parse_device(dev, &info, err, errlen);
		if (ret)
			return ret;
	}
	for (i = 0; i < t->nbuckets; i++) {
		for (struct devtab_entry *e = t->buckets[i]; e; e = e->next)
			e->mark = false;
	}
	json_array_foreach (devices, i, dev) {
		ret = parse_device(dev, &info, err, errlen); /* checked above */
		if (!ret)
			ret = upsert(t, &info);
		if (ret)
			return ret;
	}
	for (i = 0; i < t->nbuckets; i++) {
		struct devtab_entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			if (!e->mark)
				unlink_entry(t, e);
		}
	}
	t->changes++;
	return 0;
}

int devtab_event(struct devtab *t, const json_t *event, char *err, size_t errlen)
{
	const char *type = json_string_value(json_object_get(event, "event"));
	struct devtab_entry *e;
	struct devinfo info;
	int ret;

	if (!type) {
		snprintf(err, errlen, "an event has no \"event\" string");
		return -EBADMSG;
	}
	ret = parse_device(json_object_get(event, "device"), &info, err, errlen);
	if (ret)
		return ret;
	t->changes++;
	if (!strcmp(type, "removed")) {
		e = devtab_find(t, info.name);
		if (e)
			unlink_entry(t, e);
		return 0;
	}
	return upsert(t, &info);
}
