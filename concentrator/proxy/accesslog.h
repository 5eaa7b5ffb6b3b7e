/* The access log line, one per request (or per passthrough connection),
 * and the per-device counters that go with it. The line is key=value so
 * scripts can cut it; every value is printable ASCII without spaces. */
#ifndef TETHER_PROXY_ACCESSLOG_H
#define TETHER_PROXY_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "concentrator/proxy/devtab.h"

enum {
	ACCESSLOG_PATH_MAX = 200,  /* longer paths are cut, with "..." */
	ACCESSLOG_METHOD_MAX = 32, /* HTTP_METHOD_MAX */
	ACCESSLOG_LINE_MAX = 512,
};

struct accesslog_entry {
	const char *client; /* address text */
	const char *device; /* NULL: no device */
	const char *method; /* NULL: none (malformed, passthrough) */
	const char *path;   /* NULL: none */
	size_t path_len;
	int status;	/* 0: no answer (connection closed) */
	uint64_t bytes; /* to the client */
	uint64_t duration_ns;
	const char *note; /* why, for failures; NULL otherwise */
};

/* "client=198.18.1.2 device=an1 method=GET path=/ status=200 bytes=512
 * ms=0.42[ note=...]" into out (NUL-terminated, cut to cap). Bytes outside
 * 0x21..0x7e in the path or method are written as '?'. Returns the length. */
size_t accesslog_format(char *out, size_t cap, const struct accesslog_entry *e);

/* Count one answered request for a device: status class (0: none), bytes
 * from the client and to the client. */
void accesslog_count(struct devtab_stats *stats, int status, uint64_t bytes_in, uint64_t bytes_out);

#endif
