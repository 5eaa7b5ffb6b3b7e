/* Access log formatting: bounded, and nothing a client sent reaches the
 * log unfiltered. */
#include "concentrator/proxy/accesslog.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		o->p[o->len++] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	o->p[o->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Our own text, spaces and all. */
static void put_raw(struct out *o, const char *s)
{
	for (; *s && o->len + 1 < o->cap; s++)
		o->p[o->len++] = *s;
	o->p[o->len] = '\0';
}

size_t accesslog_format(char *out, size_t cap, const struct accesslog_entry *e)
{
	struct out o = {.p = out, .cap = cap};
	char num[96];
	size_t mlen;

	if (!cap)
		return 0;
	out[0] = '\0';
	put_str(&o, "client=");
	put_str(&o, e->client && e->client[0] ? e->client : "-");
	put_raw(&o, " device=");
	put_str(&o, e->device && e->device[0] ? e->device : "-");
	put_raw(&o, " method=");
	if (e->method && e->method[0]) {
		mlen = strnlen(e->method, ACCESSLOG_METHOD_MAX);
		put(&o, e->method, mlen);
	} else {
		put_str(&o, "-");
	}
	put_raw(&o, " path=");
	if (e->path && e->path_len) {
		if (e->path_len > ACCESSLOG_PATH_MAX) {
			put(&o, e->path, ACCESSLOG_PATH_MAX);
			put_str(&o, "...");
		} else {
			put(&o, e->path, e->path_len);
		}
	} else {
		put_str(&o, "-");
	}
	snprintf(num, sizeof(num), " status=%d bytes=%" PRIu64 " ms=%" PRIu64 ".%03" PRIu64,
		 e->status, e->bytes, e->duration_ns / 1000000, e->duration_ns / 1000 % 1000);
	put_raw(&o, num);
	if (e->note) {
		put_raw(&o, " note=");
		put_str(&o, e->note);
	}
	return o.len;
}

void accesslog_count(struct devtab_stats *stats, int status, uint64_t bytes_in, uint64_t bytes_out)
{
	int class = status / 100;

	stats->requests++;
	stats->status[class >= 1 && class <= 5 ? class : 0]++;
	stats->bytes_in += bytes_in;
	stats->bytes_out += bytes_out;
}
