/* Rewriting a parsed request head for the device. The device trusts the
 * forwarding fields to learn who the client is, so every one the client
 * sent is dropped and ours are written from what the proxy itself saw. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "concentrator/proxy/forward.h"

struct out {
	char *p;
	size_t len;
	size_t cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* RFC 7239 4: value = token / quoted-string (RFC 9110 5.6.4) */
static void put_value(struct out *o, const char *s, size_t n)
{
	if (http_is_token(s, n)) {
		put(o, s, n);
		return;
	}
	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			put(o, "\\", 1);
		put(o, s + i, 1);
	}
	put(o, "\"", 1);
}

/* Hop-by-hop fields (RFC 9110 7.6.1), forwarding fields only we may write,
 * and the Host an absolute-form target overrides (RFC 9112 3.2.2). */
static bool keep(const struct http_field *f, const struct http_request *req)
{
	if (f->flags & HTTP_FIELD_NOMINATED)
		return false;
	switch (f->id) {
	case HTTP_FIELD_CONNECTION:
	case HTTP_FIELD_KEEP_ALIVE:
	case HTTP_FIELD_PROXY_CONNECTION:
	case HTTP_FIELD_TE:
	case HTTP_FIELD_TRAILER:
	case HTTP_FIELD_X_FORWARDED_FOR:
	case HTTP_FIELD_X_FORWARDED_PROTO:
	case HTTP_FIELD_X_FORWARDED_HOST:
	case HTTP_FIELD_FORWARDED:
	case HTTP_FIELD_X_REAL_IP:
		return false;
	case HTTP_FIELD_UPGRADE:
		return req->upgrade;
	case HTTP_FIELD_HOST:
		return req->form != HTTP_TARGET_ABSOLUTE;
	default:
		return true;
	}
}

/* The address goes into field values unquoted, so it must be nothing but
 * an address: hex digits, "." and ":". */
static int client_address(const char *client, const char **addr, size_t *len, bool *v6)
{
	size_t n = client ? strlen(client) : 0;

	if (n < 2 || n > FORWARD_CLIENT_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (client[i] != ':' && client[i] != '.' && !http_is(client[i], HTTP_C_HEX))
			return -EINVAL;
	}
	/* a dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d */
	if (n > 7 && !strncasecmp(client, "::ffff:", 7) && strchr(client + 7, '.') &&
	    !strchr(client + 7, ':')) {
		client += 7;
		n -= 7;
	}
	*addr = client;
	*len = n;
	*v6 = memchr(client, ':', n) != NULL;
	return 0;
}

int forward_request_head(char *out, size_t cap, const char *buf, const struct http_request *req,
			 const char *client, bool https)
{
	struct out o = {.p = out, .cap = cap};
	const char *proto = https ? "https" : "http";
	const char *addr, *host = buf + req->host.off;
	size_t addr_len;
	bool v6;

	if (!req->head_len || client_address(client, &addr, &addr_len, &v6))
		return -EINVAL;

	put(&o, buf + req->line.off, req->line.len);
	put(&o, "\r\n", 2);
	if (req->form == HTTP_TARGET_ABSOLUTE) {
		put_str(&o, "Host: ");
		put(&o, host, req->host.len);
		put(&o, "\r\n", 2);
	}
	for (size_t i = 0; i < req->head.nfields; i++) {
		const struct http_field *f = &req->head.fields[i];

		if (!keep(f, req))
			continue;
		put(&o, buf + f->name.off, f->name.len);
		put(&o, ": ", 2);
		put(&o, buf + f->value.off, f->value.len);
		put(&o, "\r\n", 2);
	}

	put_str(&o, "X-Forwarded-For: ");
	put(&o, addr, addr_len);
	put_str(&o, "\r\nX-Forwarded-Proto: ");
	put_str(&o, proto);
	put(&o, "\r\n", 2);
	if (req->host.len) {
		put_str(&o, "X-Forwarded-Host: ");
		put(&o, host, req->host.len);
		put(&o, "\r\n", 2);
	}

	/* RFC 7239 6.1: an IPv6 node is bracketed, and so must be quoted */
	put_str(&o, "Forwarded: for=");
	if (v6) {
		put(&o, "\"[", 2);
		put(&o, addr, addr_len);
		put(&o, "]\"", 2);
	} else {
		put(&o, addr, addr_len);
	}
	put_str(&o, ";proto=");
	put_str(&o, proto);
	if (req->host.len) {
		/* a port's ":" is not a tchar, so host:port is quoted (5.3) */
		put_str(&o, ";host=");
		put_value(&o, host, req->host.len);
	}
	put(&o, "\r\n", 2);

	put_str(&o,
		req->upgrade ? "Connection: upgrade\r\n\r\n" : "Connection: keep-alive\r\n\r\n");
	if (o.full || o.len > INT_MAX)
		return -ENOSPC;
	return (int)o.len;
}
