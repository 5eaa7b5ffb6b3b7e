/* One client connection and, while it has one, its connection to a device:
 * the HTTP/1.1 exchange loop (parse, route, rewrite, relay, next request),
 * the tunnels (WebSocket after 101, TLS passthrough by SNI), the proxy's
 * own answers and every timeout. */
#ifndef TETHER_PROXY_CONN_H
#define TETHER_PROXY_CONN_H

#include <stdbool.h>
#include <netinet/in.h>

#include "concentrator/proxy/connlimit.h"
#include "concentrator/proxy/proxy.h"

/* A client accepted on a listener: fd non-blocking, peer its address (IPv4
 * mapped), lc its limits entry. fd and lc are the connection's from now
 * on, also when this fails (-errno). */
int conn_open(struct proxy *px, int fd, const struct in6_addr *peer, bool https,
	      struct connlimit_client *lc);

/* d, of a connection, expired on the list of `which`. */
void conn_expire(struct proxy *px, struct deadline *d, enum proxy_timeout which);

/* Work deferred by proxy_defer(): run each queued connection once. */
void conn_run_queue(struct proxy *px);

/* Free the connections closed during this turn (after its events). */
void conn_reap(struct proxy *px);

/* Free the request states kept for reuse (at exit). */
void conn_free_cache(struct proxy *px);

#endif
