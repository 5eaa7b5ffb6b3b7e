/* Where the agent sends: the configured server (a DNS name or a literal
 * address, IPv4 or IPv6) resolved again on every handshake attempt, so a
 * gateway that moves is found. A literal needs no lookup. For the daemon
 * a name is looked up in a helper thread with a time budget, because
 * getaddrinfo() blocks and the data path of a live session (a rekey) must
 * not stop meanwhile; `enroll` simply waits for it. */
#ifndef TETHER_AGENT_ENDPOINT_H
#define TETHER_AGENT_ENDPOINT_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/conf.h"

enum endpoint_sizes {
	ENDPOINT_ADDRS = 4, /* addresses kept from one lookup */
	ENDPOINT_STR_MAX = INET6_ADDRSTRLEN + 8,
	ENDPOINT_RCVBUF = 1 << 20, /* the socket's receive buffer, bytes */
};

/* The addresses of one lookup, in getaddrinfo's (RFC 6724) order. */
struct endpoint_addrs {
	struct sockaddr_storage addr[ENDPOINT_ADDRS];
	socklen_t len[ENDPOINT_ADDRS];
	size_t count;
};

struct endpoint_lookup;

struct endpoint {
	char host[CONF_HOST_MAX + 1];
	uint16_t port;
	bool literal; /* host is an address: no lookup ever */
	struct endpoint_addrs addrs;
	size_t cur; /* the address in use */
	/* The daemon's lookups: efd becomes readable when one ends. The
	 * lookup in flight is shared with its helper thread, which may
	 * outlive the endpoint (a resolver stuck past shutdown): the last of
	 * the two to let go frees it. */
	int efd;
	struct endpoint_lookup *lookup;
};

/* No lookup yet: a literal host is parsed at once (it cannot fail for a
 * host conf_parse_server accepted). -errno if the eventfd cannot be made. */
int endpoint_init(struct endpoint *ep, const struct conf_server *server);
void endpoint_free(struct endpoint *ep);

/* Blocking lookup (for `enroll`). 0, or -EHOSTUNREACH with err quoting
 * getaddrinfo's message. */
int endpoint_resolve(struct endpoint *ep, char *err, size_t errlen);

/* Daemon: start a lookup in a helper thread. -EALREADY if one still runs
 * (a slow resolver outlived its budget: its answer will serve the next
 * attempt), -errno if no thread can be made. */
int endpoint_lookup_start(struct endpoint *ep);

/* Daemon: the eventfd is readable; clear it and take the addresses of the
 * lookup that ended. 0, -EAGAIN if none has ended (a stale wake-up), or
 * -EHOSTUNREACH with err saying why (the old addresses are kept). */
int endpoint_lookup_finish(struct endpoint *ep, char *err, size_t errlen);

/* The address in use, or NULL (errno ENOENT) before any lookup succeeded. */
const struct sockaddr_storage *endpoint_addr(const struct endpoint *ep, socklen_t *len);

/* Move to the next address of the lookup (after an attempt that got no
 * answer), wrapping around. */
void endpoint_rotate(struct endpoint *ep);

/* A non-blocking UDP socket of family with a receive buffer of
 * ENDPOINT_RCVBUF, bound to an ephemeral port by the first send. The fd,
 * or -errno. */
int endpoint_socket(int family);

/* "198.18.0.1:51900" or "[2001:db8::1]:51900"; IPv4-mapped shown as IPv4. */
void endpoint_format(const struct sockaddr_storage *ss, char *out, size_t size);

/* The configured server as host:port. */
void endpoint_server_str(const struct endpoint *ep, char *out, size_t size);

#endif
