/* tether-proxy's view of tetherd: it follows the watch stream on the
 * read-only control socket (a snapshot, then one line per change) into the
 * device table, and when tetherd goes away it keeps the last known table
 * and reconnects with backoff, taking a fresh snapshot. */
#ifndef TETHER_PROXY_WATCH_H
#define TETHER_PROXY_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/evloop.h"
#include "concentrator/control/control_client.h"
#include "concentrator/proxy/devtab.h"

enum {
	WATCH_BACKOFF_MIN_MS = 100,
	WATCH_BACKOFF_MAX_MS = 5000,
	WATCH_CONNECT_MS = 500, /* connect and send "watch", blocking */
	WATCH_LINES_PER_TURN = 4096,
};

struct watch {
	struct evloop *loop;
	struct devtab *devtab;
	const char *path;
	struct control_client client; /* fd -1 while disconnected */
	struct evloop_handler h;
	bool registered;
	bool synced;	    /* the snapshot of this connection arrived */
	bool lost_logged;   /* "lost tetherd" said once per outage */
	uint64_t retry_at;  /* monotonic ns of the next connect attempt */
	uint64_t backoff;   /* ns */
	uint64_t connects;  /* snapshots taken */
	uint64_t events;    /* event lines applied */
	uint64_t bad_lines; /* lines that were not what control.md says */
};

void watch_init(struct watch *w, struct evloop *loop, struct devtab *t, const char *path);

/* Connect when due (now, monotonic ns). Returns the time of the next
 * attempt, UINT64_MAX while connected. */
uint64_t watch_tick(struct watch *w, uint64_t now);

/* Disconnect and reconnect at once (SIGHUP: a fresh snapshot). */
void watch_restart(struct watch *w, uint64_t now);

void watch_close(struct watch *w);

#endif
