/* tether-proxy's server: the listeners, the event loop with its timeout
 * lists and deferred work, what every connection shares (device table,
 * limits, buffers, TLS context) and the counters. Single-threaded; all
 * sockets non-blocking and edge-triggered. */
#ifndef TETHER_PROXY_PROXY_H
#define TETHER_PROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evloop.h"
#include "common/tetherd_config.h"
#include "concentrator/proxy/bufpool.h"
#include "concentrator/proxy/deadline.h"
#include "concentrator/proxy/devtab.h"
#include "concentrator/proxy/errpage.h"
#include "concentrator/proxy/http.h"
#include "concentrator/proxy/connlimit.h"
#include "concentrator/proxy/sni.h"
#include "concentrator/proxy/tls.h"
#include "concentrator/proxy/watch.h"

struct conn;
struct upstream;
struct xchg;

/* Each timeout is a fixed duration with its own list (deadline.h). */
enum proxy_timeout {
	PROXY_T_HEADER = 0, /* a request head from its first byte (the first from accept,
			     * with the TLS handshake or ClientHello) */
	PROXY_T_IDLE,	    /* keep-alive wait for the next request */
	PROXY_T_CONNECT,    /* connecting to a device: then 504 */
	PROXY_T_RESPONSE,   /* the device's response head: then 504 */
	PROXY_T_RELAY,	    /* a body without progress either way */
	PROXY_T_TUNNEL,	    /* WebSocket or TLS passthrough without traffic */
	PROXY_T_LINGER,	    /* our last bytes out, then the client's drained */
	PROXY_T_POOL,	    /* an idle device connection kept for the next request */
	PROXY_T_COUNT,
};

/* Built-in limits (docs/proxy.md); tetherd.conf has no keys for them yet. */
struct proxy_params {
	uint32_t timeout_ms[PROXY_T_COUNT];
	struct connlimit_config limits;
	uint32_t idle_per_device; /* idle device connections kept per device */
	uint16_t max_head;	  /* request and response head bytes (431 / 502) */
	uint16_t max_fields;	  /* field lines per head (431 / 502) */
};

enum {
	PROXY_FIELDS_MAX = 100, /* struct xchg holds this many per head */
	PROXY_EVENTS = 256,	/* epoll events per turn */
};

struct proxy_counters {
	uint64_t accepted;
	uint64_t refused_total, refused_client, refused_device, accept_errors;
	uint64_t requests;
	uint64_t pages[ERRPAGE_COUNT];		 /* our own answers */
	uint64_t bad_request[HTTP_RESULT_COUNT]; /* why heads were refused */
	uint64_t bad_body;			 /* chunked request bodies refused */
	uint64_t bad_response;			 /* device answers we could not read */
	uint64_t sni[SNI_RESULT_COUNT];		 /* passthrough ClientHellos */
	uint64_t tls_failed;			 /* handshakes that failed */
	uint64_t connects, reused, retried;	 /* device connections */
	uint64_t timeouts[PROXY_T_COUNT];
	uint64_t spliced, copied; /* body bytes moved by splice / through buffers */
};

struct proxy_listener {
	struct evloop_handler h;
	struct proxy *px;
	bool https;
	bool paused; /* out of fds: taken out of epoll for a moment */
};

struct proxy {
	struct evloop loop;
	const struct tetherd_config *cfg;
	struct proxy_params params;
	struct devtab devtab;
	struct connlimit limits;
	struct bufpool pool;
	struct watch watch;
	struct tls_server tls;
	bool terminate; /* tls_cert set: TLS ends here; else SNI passthrough */
	struct proxy_listener listeners[2];
	size_t nlisteners;
	uint64_t resume_accept; /* when paused listeners come back, 0 none */
	struct deadline_list timeouts[PROXY_T_COUNT];
	struct conn *runq; /* to run again without an event (fairness) */
	struct conn *dead; /* closed this turn, freed after it */
	struct upstream *dead_ups;
	struct xchg *xchgs; /* free list of request states */
	size_t nxchgs;
	size_t nconns;
	uint64_t now; /* CLOCK_MONOTONIC ns, read after each epoll_wait */
	int sigfd;
	struct evloop_handler sig_h;
	bool stop;
	struct proxy_counters counters;
};

void proxy_params_defaults(struct proxy_params *p);

/* Everything that needs privileges or can fail on the configuration: the
 * TLS key and certificate, the listening sockets (IPV6_V6ONLY on IPv6).
 * Returns 0 or -errno with err naming the address or file. */
int proxy_open(struct proxy *px, const struct tetherd_config *cfg,
	       const struct proxy_params *params, char *err, size_t errlen);

/* After dropping privileges: follow tetherd, serve until SIGTERM/SIGINT.
 * SIGHUP takes a fresh snapshot of the device table; SIGUSR1 logs the
 * counters. Returns 0 or -errno. */
int proxy_run(struct proxy *px);

void proxy_close(struct proxy *px);

/* The counters, one line in total and one per device, at notice. */
void proxy_log_counters(struct proxy *px);

#endif
