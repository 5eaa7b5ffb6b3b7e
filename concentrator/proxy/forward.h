/* The request head the proxy sends to a device: the client's request minus
 * hop-by-hop fields and any forwarding fields the client made up, plus the
 * proxy's own X-Forwarded-* and Forwarded (RFC 7239) fields. */
#ifndef TETHER_PROXY_FORWARD_H
#define TETHER_PROXY_FORWARD_H

#include <stdbool.h>
#include <stddef.h>

#include "concentrator/proxy/http_request.h"

/* A textual IP address of a client: "192.0.2.1" or "2001:db8::1". */
enum { FORWARD_CLIENT_MAX = 45 };

/* Write the head for req, parsed from buf, into out[0..cap): the request
 * line as received, the kept fields, then X-Forwarded-For, -Proto, -Host,
 * Forwarded and Connection (keep-alive, or upgrade for an upgrade), then
 * the empty line. client is the peer address (an IPv4-mapped IPv6 address
 * is written as IPv4); https says which listener the request came in on.
 * Returns the length, -ENOSPC if out is too small, -EINVAL if req is not a
 * complete request or client is not an address. */
int forward_request_head(char *out, size_t cap, const char *buf, const struct http_request *req,
			 const char *client, bool https);

#endif
