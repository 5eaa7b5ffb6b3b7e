/* The proxy's own answers: small complete HTTP responses with an HTML page
 * for each way a request can fail, which say what went wrong for this one
 * request and nothing about any other device. */
#ifndef TETHER_PROXY_ERRPAGE_H
#define TETHER_PROXY_ERRPAGE_H

#include <stddef.h>
#include <stdint.h>

enum errpage {
	ERRPAGE_BAD_REQUEST = 0, /* 400: malformed request */
	ERRPAGE_NOT_FOUND,	 /* 404: no such device */
	ERRPAGE_HEAD_TOO_LARGE,	 /* 431 */
	ERRPAGE_OFFLINE,	 /* 502: known device, tunnel down */
	ERRPAGE_UNREACHABLE,	 /* 502: device refused or did not answer */
	ERRPAGE_TIMEOUT,	 /* 504: device too slow */
	ERRPAGE_BAD_VERSION,	 /* 505 */
	ERRPAGE_COUNT,
};

enum { ERRPAGE_MAX = 2048 }; /* enough for every page */

/* The HTTP status code of a page. */
int errpage_status(enum errpage page);

/* Write status line, Content-Type, Content-Length, Connection: close and
 * the page into out[0..cap). name: the device (HTML-escaped) for OFFLINE
 * and UNREACHABLE, ignored otherwise; since: Unix seconds the device went
 * offline, 0 if unknown. A NUL follows, so cap must exceed the length.
 * Returns the length, -ENOSPC if out is too small, -EINVAL for an unknown
 * page or a missing or overlong name. */
int errpage_write(char *out, size_t cap, enum errpage page, const char *name, int64_t since);

#endif
