/* The device table tether-proxy routes by: name -> tunnel address, online,
 * since when, as tetherd's watch stream tells it (docs/control.md), plus
 * the proxy's own counters and connections per device. Whatever points at
 * an entry holds a counted reference, so an entry tetherd removes stays
 * valid (but unfindable) until the last one lets go. */
#ifndef TETHER_PROXY_DEVTAB_H
#define TETHER_PROXY_DEVTAB_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "concentrator/control/control.h"

/* What a request for a name gets. */
enum devtab_route {
	DEVTAB_UNKNOWN = 0, /* no such device, or pending (never online): 404 */
	DEVTAB_OFFLINE,	    /* known, tunnel down or disabled: 502 offline */
	DEVTAB_ONLINE,	    /* connect to its tunnel address */
};

/* Per device, since the proxy started (or the device was first seen). */
struct devtab_stats {
	uint64_t requests;
	uint64_t status[6]; /* [1..5]: 1xx..5xx answers; [0]: no answer at all */
	uint64_t bytes_in;  /* request bytes from clients (heads and bodies) */
	uint64_t bytes_out; /* response bytes to clients */
};

struct devtab_entry {
	struct devtab_entry *next; /* hash chain */
	char name[CONTROL_NAME_MAX + 1];
	struct in_addr addr;
	bool has_addr;
	bool online;
	bool disabled;
	bool pending;
	bool removed;	/* off the table, waiting for its last reference */
	bool mark;	/* snapshot sweep */
	int64_t since;	/* Unix seconds of the last online/offline change; 0 unknown */
	uint32_t epoch; /* bumped when online or the address changes */
	uint32_t refs;	/* references held (devtab_get) */
	uint32_t conns; /* the proxy's connections to the device, idle ones too */
	uint32_t nidle; /* of which idle, kept for the next request */
	void *idle;	/* conn.c's list of those */
	struct devtab_stats stats;
};

struct devtab {
	struct devtab_entry **buckets;
	size_t nbuckets;  /* power of two */
	size_t count;	  /* entries on the table */
	uint64_t changes; /* snapshots and events applied */
};

int devtab_init(struct devtab *t);
/* Frees every entry, also removed ones still referenced: call last. */
void devtab_free(struct devtab *t);

struct devtab_entry *devtab_find(const struct devtab *t, const char *name);
enum devtab_route devtab_route(const struct devtab_entry *e);

/* Replace the table by a watch snapshot or device.list answer
 * ({"ok": true, "devices": [DEVICE, ...]}): entries not in it are removed,
 * the others updated in place (their counters kept). Every DEVICE is
 * checked first: on -EBADMSG (err names the device and member) the table
 * is unchanged. -ENOMEM likewise. */
int devtab_snapshot(struct devtab *t, const json_t *answer, char *err, size_t errlen);

/* Apply one watch event ({"event": "...", "device": DEVICE}): "removed"
 * removes the device, any other event (added, online, offline, address,
 * and future ones) sets it to DEVICE. 0, -EBADMSG (err says why; table
 * unchanged) or -ENOMEM. */
int devtab_event(struct devtab *t, const json_t *event, char *err, size_t errlen);

/* Distrust the proxy's kept connections to every device (bump each
 * epoch): tetherd went away, and its tunnels may have gone with it. */
void devtab_distrust(struct devtab *t);

/* Counted references for connections. */
void devtab_get(struct devtab_entry *e);
void devtab_put(struct devtab *t, struct devtab_entry *e);

/* Every entry on the table, in no particular order. */
void devtab_foreach(const struct devtab *t, void (*fn)(const struct devtab_entry *e, void *arg),
		    void *arg);

#endif
