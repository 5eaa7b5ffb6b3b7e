/* Which device a request is for: maps a Host value or a TLS server name to
 * a device name when it is exactly <name>.<domain>, and says why not
 * otherwise (every such request gets the same 404 page). */
#ifndef TETHER_PROXY_HOST_H
#define TETHER_PROXY_HOST_H

#include <stddef.h>

enum host_result {
	HOST_DEVICE = 0,   /* name holds the device name, lowercase */
	HOST_EMPTY,	   /* nothing, or only a port or a dot */
	HOST_TOO_LONG,	   /* longer than a DNS name can be */
	HOST_BAD_PORT,	   /* ":" not followed by a port number */
	HOST_IP_LITERAL,   /* [v6] or a dotted IPv4 address */
	HOST_BAD_CHAR,	   /* a byte other than letter, digit, "-" or "." */
	HOST_OTHER_DOMAIN, /* not under the configured domain */
	HOST_BARE_DOMAIN,  /* the domain itself */
	HOST_TOO_DEEP,	   /* x.<name>.<domain> */
	HOST_BAD_NAME,	   /* label fails ^[a-z0-9][a-z0-9-]{0,62}$ */
	HOST_RESULT_COUNT,
};

enum {
	HOST_DEVICE_NAME_MAX = 63, /* a DNS label */
	HOST_INPUT_MAX = 261,	   /* 253 + "." + ":65535" + slack */
};

const char *host_result_str(enum host_result result);

/* host: a Host field value (port and trailing dot allowed) or an SNI name,
 * not NUL-terminated; domain: the configured domain, e.g.
 * "remote.example.com" (a trailing dot is ignored). Case-insensitive. */
enum host_result host_device(const char *host, size_t len, const char *domain,
			     char name[HOST_DEVICE_NAME_MAX + 1]);

#endif
