/* Host and SNI names to device names. Only one shape maps to a device,
 * <name>.<domain> with a name a device may have; anything else is "not a
 * device", so the proxy never guesses (no IP literals, no deeper names). */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "concentrator/proxy/host.h"

static const char *const names[HOST_RESULT_COUNT] = {
	[HOST_DEVICE] = "device",
	[HOST_EMPTY] = "empty",
	[HOST_TOO_LONG] = "too_long",
	[HOST_BAD_PORT] = "bad_port",
	[HOST_IP_LITERAL] = "ip_literal",
	[HOST_BAD_CHAR] = "bad_char",
	[HOST_OTHER_DOMAIN] = "other_domain",
	[HOST_BARE_DOMAIN] = "bare_domain",
	[HOST_TOO_DEEP] = "too_deep",
	[HOST_BAD_NAME] = "bad_name",
};

const char *host_result_str(enum host_result result)
{
	if ((unsigned)result >= HOST_RESULT_COUNT || !names[result])
		return "unknown";
	return names[result];
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

static bool is_alnum(char c)
{
	c = lower(c);
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

/* The port is ignored (the proxy listens on fixed ports; a browser may
 * still send one), but it has to be a port. */
static bool port_valid(const char *s, size_t n)
{
	unsigned port = 0;

	if (n < 1 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	return port <= 65535;
}

enum host_result host_device(const char *host, size_t len, const char *domain,
			     char name[HOST_DEVICE_NAME_MAX + 1])
{
	const char *colon;
	size_t n = len, dlen = strlen(domain), label;
	bool numeric = true;

	if (!len)
		return HOST_EMPTY;
	if (len > HOST_INPUT_MAX)
		return HOST_TOO_LONG;
	if (host[0] == '[')
		return HOST_IP_LITERAL;
	colon = memrchr(host, ':', len);
	if (colon) {
		n = colon - host;
		if (!port_valid(colon + 1, len - n - 1))
			return HOST_BAD_PORT;
	}
	/* an absolute name's trailing dot (RFC 1034 3.1) */
	if (n && host[n - 1] == '.')
		n--;
	if (dlen && domain[dlen - 1] == '.')
		dlen--;
	if (!n)
		return HOST_EMPTY;
	if (!dlen)
		return HOST_OTHER_DOMAIN; /* no domain configured: no device */
	if (n > 253)
		return HOST_TOO_LONG;
	for (size_t i = 0; i < n; i++) {
		if (host[i] != '.' && host[i] != '-' && !is_alnum(host[i]))
			return HOST_BAD_CHAR;
		numeric &= is_digit(host[i]) || host[i] == '.';
	}
	if (numeric)
		return HOST_IP_LITERAL;

	if (n == dlen && !strncasecmp(host, domain, dlen))
		return HOST_BARE_DOMAIN;
	if (n < dlen + 1 || host[n - dlen - 1] != '.' || strncasecmp(host + n - dlen, domain, dlen))
		return HOST_OTHER_DOMAIN;

	label = n - dlen - 1;
	if (memchr(host, '.', label))
		return HOST_TOO_DEEP;
	/* ^[a-z0-9][a-z0-9-]{0,62}$ after lowercasing */
	if (label > HOST_DEVICE_NAME_MAX || !is_alnum(host[0]))
		return HOST_BAD_NAME;
	for (size_t i = 0; i < label; i++)
		name[i] = lower(host[i]);
	name[label] = '\0';
	return HOST_DEVICE;
}
