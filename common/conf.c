/* Configuration files: strict value parsers and the inih glue. inih splits
 * lines into sections and key = value pairs; a reader of our own in front of
 * it bounds lines, counts them and refuses what inih would let slip by. */
#include "common/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A quoted value shows at most this many bytes, each at most as \xNN. */
enum {
	QUOTE_MAX = 64,
	QUOTE_SIZE = QUOTE_MAX * 4 + sizeof("..."),
};

/* Copy s for a message: control and non-ASCII bytes as \xNN so that a
 * value cannot forge log lines or terminal escapes; long values cut. */
static void quote(char dst[QUOTE_SIZE], const char *s)
{
	size_t o = 0, i;

	for (i = 0; s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(dst + o, QUOTE_SIZE - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	if (s[i]) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* "'value' <what>": every value parser's message starts by quoting. */
static int bad(char *err, size_t errlen, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(char *err, size_t errlen, const char *value, const char *fmt, ...)
{
	char q[QUOTE_SIZE];
	va_list ap;
	int n;

	quote(q, value);
	n = snprintf(err, errlen, "'%s' ", q);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void conf_error(char *err, size_t errlen, const char *path, unsigned int line, const char *key,
		const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line && key)
		n = snprintf(err, errlen, "%s:%u: %s: ", path, line, key);
	else if (line)
		n = snprintf(err, errlen, "%s:%u: ", path, line);
	else if (key)
		n = snprintf(err, errlen, "%s: %s: ", path, key);
	else
		n = snprintf(err, errlen, "%s: ", path);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

/* Decimal digits only: no sign, no spaces, no hex; at most 10 digits. */
static int strict_uint(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int strict_port(const char *s, size_t len, uint16_t *out)
{
	uint32_t v;

	if (strict_uint(s, len, &v) || v < 1 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* inet_pton on a slice; glibc's is strict (dotted quad, no leading zeros). */
static int pton(int af, const char *s, size_t len, void *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(af, buf, out) == 1 ? 0 : -EINVAL;
}

/* Split "host:port" or "[v6]:port" into host and port slices. */
static int split_host_port(const char *s, const char **host, size_t *hlen, const char **port,
			   bool *bracketed)
{
	const char *colon;

	*bracketed = s[0] == '[';
	if (*bracketed) {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		*host = s + 1;
		*hlen = (size_t)(close - s - 1);
		*port = close + 2;
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon)
		return -EINVAL;
	*host = s;
	*hlen = (size_t)(colon - s);
	*port = colon + 1;
	/* a second colon: an IPv6 address without brackets */
	return memchr(s, ':', *hlen) ? -EINVAL : 0;
}

int conf_parse_addr(const char *s, struct conf_addr *out, char *err, size_t errlen)
{
	const char *host, *port;
	struct conf_addr a;
	bool v6;
	size_t hlen;
	uint16_t p;

	memset(&a, 0, sizeof(a));
	if (split_host_port(s, &host, &hlen, &port, &v6) || strict_port(port, strlen(port), &p))
		goto invalid;
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.ss;

		if (pton(AF_INET6, host, hlen, &sin6->sin6_addr))
			goto invalid;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		a.len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;

		if (pton(AF_INET, host, hlen, &sin->sin_addr))
			goto invalid;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		a.len = sizeof(*sin);
	}
	*out = a;
	return 0;
invalid:
	return bad(err, errlen, s, "is not IPv4:port or [IPv6]:port (port 1..65535)");
}

/* RFC 1123 host name syntax: labels of letters, digits and '-', 1..63
 * characters, not starting or ending with '-'; 253 in all. A numeric last
 * label means a mistyped IPv4 address, never a name. lower: refuse A-Z. */
static int check_hostname(const char *s, size_t len, bool lower)
{
	size_t i, start = 0;
	bool numeric = true;

	if (len == 0 || len > CONF_HOST_MAX)
		return -EINVAL;
	for (i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
				return -EINVAL;
			start = i + 1;
			if (i < len)
				numeric = true;
		} else if ((c >= 'a' && c <= 'z') || (!lower && c >= 'A' && c <= 'Z') || c == '-') {
			numeric = false;
		} else if (c < '0' || c > '9') {
			return -EINVAL;
		}
	}
	return numeric ? -EINVAL : 0;
}

int conf_parse_server(const char *s, struct conf_server *out, char *err, size_t errlen)
{
	const char *host, *port;
	struct conf_server srv;
	struct in6_addr a6;
	struct in_addr a4;
	bool v6;
	size_t hlen;

	memset(&srv, 0, sizeof(srv));
	if (!strcmp(s, "none")) {
		srv.none = true;
		*out = srv;
		return 0;
	}
	if (split_host_port(s, &host, &hlen, &port, &v6) ||
	    strict_port(port, strlen(port), &srv.port))
		return bad(err, errlen, s, "is not host:port, [IPv6]:port or none (port 1..65535)");
	if (v6 ? pton(AF_INET6, host, hlen, &a6)
	       : (pton(AF_INET, host, hlen, &a4) && check_hostname(host, hlen, false)))
		return bad(err, errlen, s,
			   "has no valid host (a DNS name, an IPv4 address or [IPv6])");
	memcpy(srv.host, host, hlen);
	srv.host[hlen] = '\0';
	*out = srv;
	return 0;
}

int conf_parse_cidr4(const char *s, struct conf_cidr4 *out, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	char net[INET_ADDRSTRLEN];
	struct conf_cidr4 c;
	uint32_t prefix, mask;

	if (!slash || strict_uint(slash + 1, strlen(slash + 1), &prefix) || prefix > 32 ||
	    strlen(slash + 1) > 2 || pton(AF_INET, s, (size_t)(slash - s), &c.addr))
		return bad(err, errlen, s, "is not an IPv4 CIDR (prefix 0..32)");
	mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
	if (c.addr.s_addr & ~mask) {
		c.addr.s_addr &= mask;
		inet_ntop(AF_INET, &c.addr, net, sizeof(net));
		return bad(err, errlen, s, "has host bits set (the network is %s/%u)", net, prefix);
	}
	c.prefix = (uint8_t)prefix;
	*out = c;
	return 0;
}

int conf_parse_ipv4(const char *s, struct in_addr *out, char *err, size_t errlen)
{
	struct in_addr a;

	if (pton(AF_INET, s, strlen(s), &a))
		return bad(err, errlen, s, "is not an IPv4 address");
	*out = a;
	return 0;
}

int conf_parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *out, char *err,
		    size_t errlen)
{
	size_t len = strlen(s);
	uint32_t v;

	if (len == 0 || strspn(s, "0123456789") != len)
		return bad(err, errlen, s, "is not a number (%u..%u)", min, max);
	if (strict_uint(s, len, &v) || v < min || v > max)
		return bad(err, errlen, s, "is out of range (%u..%u)", min, max);
	*out = v;
	return 0;
}

int conf_parse_port(const char *s, uint16_t *out, char *err, size_t errlen)
{
	uint32_t v;
	int ret;

	ret = conf_parse_uint(s, 1, 65535, &v, err, errlen);
	if (!ret)
		*out = (uint16_t)v;
	return ret;
}

int conf_parse_domain(const char *s, char out[CONF_DOMAIN_MAX + 1], char *err, size_t errlen)
{
	char low[CONF_DOMAIN_MAX + 1];
	size_t len = strlen(s), i;

	if (len > CONF_DOMAIN_MAX)
		return bad(err, errlen, s,
			   "is longer than %d characters (<name>.<domain> must fit in %d)",
			   CONF_DOMAIN_MAX, CONF_HOST_MAX);
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[len] = '\0';
	if (check_hostname(low, len, true))
		return bad(err, errlen, s,
			   "is not a DNS name (labels of a-z, 0-9 and '-', 1..63 characters)");
	memcpy(out, low, len + 1);
	return 0;
}

int conf_parse_name(const char *s, char out[CONF_NAME_MAX + 1], char *err, size_t errlen)
{
	size_t len = strlen(s);

	if (len < 1 || len > CONF_NAME_MAX || s[0] == '-' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
		return bad(err, errlen, s, "is not a device name ([a-z0-9][a-z0-9-]{0,62})");
	memcpy(out, s, len + 1);
	return 0;
}

int conf_parse_pubkey(const char *s, uint8_t out[CONF_KEY_LEN], char *err, size_t errlen)
{
	uint8_t key[CONF_KEY_LEN];
	const char *end = NULL;
	size_t n = 0;

	/* sodium refuses non-zero padding bits, so one key has one spelling */
	if (strlen(s) != CONF_KEY_B64_LEN ||
	    sodium_base642bin(key, sizeof(key), s, CONF_KEY_B64_LEN, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    n != CONF_KEY_LEN || end != s + CONF_KEY_B64_LEN)
		return bad(err, errlen, s, "is not a base64 public key (44 characters, 32 bytes)");
	if (sodium_is_zero(key, sizeof(key)))
		return bad(err, errlen, s, "is the all-zero key");
	memcpy(out, key, sizeof(key));
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Would s decode as a key? The decoded bytes may be a secret: wiped. */
static bool is_key(const char *s)
{
	uint8_t key[CONF_KEY_LEN];
	size_t n = 0;
	bool yes;

	yes = strlen(s) == CONF_KEY_B64_LEN &&
	      !sodium_base642bin(key, sizeof(key), s, CONF_KEY_B64_LEN, NULL, &n, NULL,
				 sodium_base64_VARIANT_ORIGINAL) &&
	      n == CONF_KEY_LEN;
	sodium_memzero(key, sizeof(key));
	return yes;
}

int conf_parse_path(const char *s, size_t max, char out[CONF_PATH_MAX + 1], char *err,
		    size_t errlen)
{
	size_t len = strlen(s);

	if (max == 0 || max > CONF_PATH_MAX)
		max = CONF_PATH_MAX;
	if (s[0] != '/' && is_key(s)) {
		/* a private key pasted in place of its path must not reach a log */
		snprintf(err, errlen,
			 "expects the path of a key file, not a key (value not shown)");
		return -EINVAL;
	}
	if (s[0] != '/')
		return bad(err, errlen, s, "is not an absolute path");
	if (len > max)
		return bad(err, errlen, s, "is longer than %zu characters", max);
	if (has_control(s))
		return bad(err, errlen, s, "contains a control character");
	memcpy(out, s, len + 1);
	return 0;
}

int conf_parse_user(const char *s, char out[CONF_USER_MAX + 1], char *err, size_t errlen)
{
	size_t len = strlen(s);

	if (len < 1 || len > CONF_USER_MAX || (s[0] != '_' && (s[0] < 'a' || s[0] > 'z')) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		return bad(err, errlen, s, "is not a user name ([a-z_][a-z0-9_-]{0,31})");
	memcpy(out, s, len + 1);
	return 0;
}

int conf_parse_ifname(const char *s, char out[CONF_IFNAME_MAX + 1], char *err, size_t errlen)
{
	size_t len = strlen(s);

	/* the kernel's dev_valid_name() also refuses '/', ':' and whitespace */
	if (len < 1 || len > CONF_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, "..") ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return bad(err, errlen, s,
			   "is not an interface name (1..15 of A-Z, a-z, 0-9, '_', '.', '-')");
	memcpy(out, s, len + 1);
	return 0;
}

int conf_parse_expose(const char *s, char out[CONF_EXPOSE_MAX + 1], char *err, size_t errlen)
{
	size_t len = strlen(s);

	if (len == 0)
		return bad(err, errlen, s, "is empty (list the ports to expose)");
	if (len > CONF_EXPOSE_MAX)
		return bad(err, errlen, s, "is longer than %d characters", CONF_EXPOSE_MAX);
	if (has_control(s))
		return bad(err, errlen, s, "contains a control character");
	memcpy(out, s, len + 1);
	return 0;
}

static const struct {
	const char *name;
	enum log_level level;
} log_levels[] = {
	{"error", LOG_LEVEL_ERR}, {"warning", LOG_LEVEL_WARN}, {"notice", LOG_LEVEL_NOTICE},
	{"info", LOG_LEVEL_INFO}, {"debug", LOG_LEVEL_DEBUG},
};

int conf_parse_log_level(const char *s, enum log_level *out, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (!strcmp(s, log_levels[i].name)) {
			*out = log_levels[i].level;
			return 0;
		}
	}
	return bad(err, errlen, s, "is not a log level (error, warning, notice, info, debug)");
}

const char *conf_log_level_name(enum log_level level)
{
	size_t i;

	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "info";
}

static int set_value(const struct conf_key *k, void *cfg, const char *v, char *err, size_t errlen)
{
	void *dst = (char *)cfg + k->offset;
	struct conf_cidr4 c;
	int ret;

	switch (k->type) {
	case CONF_T_ADDR:
		return conf_parse_addr(v, dst, err, errlen);
	case CONF_T_SERVER:
		return conf_parse_server(v, dst, err, errlen);
	case CONF_T_CIDR4:
		ret = conf_parse_cidr4(v, &c, err, errlen);
		if (ret)
			return ret;
		if (c.prefix < k->min || c.prefix > k->max)
			return bad(err, errlen, v, "has a prefix outside /%u../%u", k->min, k->max);
		memcpy(dst, &c, sizeof(c));
		return 0;
	case CONF_T_IPV4:
		return conf_parse_ipv4(v, dst, err, errlen);
	case CONF_T_UINT:
		return conf_parse_uint(v, k->min, k->max, dst, err, errlen);
	case CONF_T_PORT:
		return conf_parse_port(v, dst, err, errlen);
	case CONF_T_DOMAIN:
		return conf_parse_domain(v, dst, err, errlen);
	case CONF_T_NAME:
		return conf_parse_name(v, dst, err, errlen);
	case CONF_T_PUBKEY:
		return conf_parse_pubkey(v, dst, err, errlen);
	case CONF_T_PATH:
		return conf_parse_path(v, k->max, dst, err, errlen);
	case CONF_T_USER:
		return conf_parse_user(v, dst, err, errlen);
	case CONF_T_IFNAME:
		return conf_parse_ifname(v, dst, err, errlen);
	case CONF_T_EXPOSE:
		return conf_parse_expose(v, dst, err, errlen);
	case CONF_T_LOG_LEVEL:
		return conf_parse_log_level(v, dst, err, errlen);
	}
	snprintf(err, errlen, "no parser for this key");
	return -EINVAL;
}

/* One run of inih over a buffer. The first error sets ret and err; from
 * then on the reader returns NULL, which ends inih's loop. */
struct parse {
	const struct conf_file *f;
	const char *p, *end;
	unsigned int line;
	int ret;
	char *err;
	size_t errlen;
};

static bool known_section(const struct conf_file *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < f->nkeys; i++)
		if (strlen(f->keys[i].section) == len && !memcmp(f->keys[i].section, s, len))
			return true;
	return false;
}

/* "[a] or [b]": the sections of the table, in table order. */
static void section_list(const struct conf_file *f, char *out, size_t outlen)
{
	size_t i, j, o = 0;

	out[0] = '\0';
	for (i = 0; i < f->nkeys; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(f->keys[j].section, f->keys[i].section))
				break;
		if (j < i)
			continue;
		snprintf(out + o, outlen - o, "%s[%s]", o ? " or " : "", f->keys[i].section);
		o = strlen(out);
	}
}

static char *fail_line(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *fail_line(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->f->path, ps->line);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	ps->ret = -EINVAL;
	return NULL;
}

/* The ini_reader: hands inih one line at a time (so our count is inih's),
 * after refusing long lines, NUL bytes, unknown sections and malformed
 * lines, dropping comments (inih only knows ';' inline) and leading blanks
 * (so an indented key is a key, not an inih continuation line). */
static char *next_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	char q[QUOTE_SIZE], tmp[CONF_LINE_MAX + 1], expected[128];
	const char *s, *e, *nl, *c;
	size_t limit = CONF_LINE_MAX, n;

	if (ps->ret || ps->p >= ps->end)
		return NULL;
	s = ps->p;
	nl = memchr(s, '\n', (size_t)(ps->end - s));
	e = nl ? nl : ps->end;
	ps->p = nl ? nl + 1 : ps->end;
	ps->line++;

	/* inih's buffer needs room for "\n\0"; it never gets a line cut */
	if (num < 3)
		return fail_line(ps, "inih line buffer too small");
	if ((size_t)num - 2 < limit)
		limit = (size_t)num - 2;
	if ((size_t)(e - s) > limit)
		return fail_line(ps, "line longer than %zu characters", limit);
	if (memchr(s, '\0', (size_t)(e - s)))
		return fail_line(ps, "line contains a NUL byte");
	if (ps->line == 1 && e - s >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	for (c = s; c < e; c++) {
		if ((*c == '#' || *c == ';') && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			e = c;
			break;
		}
	}
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	memcpy(tmp, s, n);
	tmp[n] = '\0';

	if (n && s[0] == '[') {
		if (e[-1] != ']' || n < 3)
			goto malformed;
		if (!known_section(ps->f, s + 1, n - 2)) {
			tmp[n - 1] = '\0';
			quote(q, tmp + 1);
			section_list(ps->f, expected, sizeof(expected));
			return fail_line(ps, "unknown section [%s] (expected %s)", q, expected);
		}
	} else if (n) {
		const char *eq = memchr(s, '=', n);

		/* inih also splits on ':'; one separator keeps "key = [::]:1" plain */
		if (!eq || eq == s || memchr(s, ':', (size_t)(eq - s)))
			goto malformed;
	}
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
malformed:
	quote(q, tmp);
	return fail_line(ps, "'%s' is not '[section]' or 'key = value'", q);
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	const struct conf_file *f = ps->f;
	char q[QUOTE_SIZE], msg[CONF_ERR_MAX], expected[128];
	size_t i, other = f->nkeys;
	int ret;

	if (ps->ret)
		return 0;
	quote(q, name);
	if (!*section) {
		section_list(f, expected, sizeof(expected));
		fail_line(ps, "key '%s' comes before any section (start with %s)", q, expected);
		return 0;
	}
	for (i = 0; i < f->nkeys; i++) {
		if (strcmp(f->keys[i].name, name))
			continue;
		if (!strcmp(f->keys[i].section, section))
			break;
		other = i;
	}
	if (i == f->nkeys) {
		if (other < f->nkeys)
			fail_line(ps, "unknown key '%s' in [%s] (it belongs in [%s])", q, section,
				  f->keys[other].section);
		else
			fail_line(ps, "unknown key '%s' in [%s]", q, section);
		return 0;
	}
	if (f->lines[i]) {
		fail_line(ps, "%s: given twice (first on line %u)", name, f->lines[i]);
		return 0;
	}
	if (!*value) {
		fail_line(ps, "%s: no value", name);
		return 0;
	}
	ret = set_value(&f->keys[i], f->cfg, value, msg, sizeof(msg));
	if (ret) {
		fail_line(ps, "%s: %s", name, msg);
		return 0;
	}
	f->lines[i] = ps->line;
	return 1;
}

int conf_parse_buffer(const struct conf_file *f, const char *buf, size_t len, char *err,
		      size_t errlen)
{
	struct parse ps = {.f = f, .p = buf, .end = buf + len, .err = err, .errlen = errlen};
	int line;

	memset(f->lines, 0, f->nkeys * sizeof(f->lines[0]));
	if (len > CONF_FILE_MAX) {
		conf_error(err, errlen, f->path, 0, NULL, "larger than %d bytes", CONF_FILE_MAX);
		return -EFBIG;
	}
	line = ini_parse_stream(next_line, &ps, on_value, &ps);
	if (ps.ret)
		return ps.ret;
	if (line) {
		/* inih refused what our reader let through: still name the line */
		conf_error(err, errlen, f->path, line > 0 ? (unsigned int)line : 0, NULL,
			   "cannot parse this line");
		return -EINVAL;
	}
	return 0;
}

int conf_parse_file(const struct conf_file *f, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	/* O_NONBLOCK: a FIFO put in place of the file must not hang a daemon */
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", f->path, strerror(-ret));
		goto out;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", f->path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", f->path);
		goto out;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", f->path);
		goto out;
	}
	/* read one byte past the bound to tell "at the bound" from "over it" */
	while (len < CONF_FILE_MAX + 1) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read %s: %s", f->path, strerror(-ret));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = conf_parse_buffer(f, buf, len, err, errlen);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int conf_write_file(const char *path, const void *data, size_t len, mode_t mode,
		    enum conf_write_mode how, char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	bool have_tmp = false;
	int fd = -1, dfd = -1, ret, n;

	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a file name", path);
		goto out;
	}
	if (!slash)
		n = snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		n = snprintf(dir, sizeof(dir), "/");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= sizeof(tmp)) {
		ret = -ENAMETOOLONG;
		snprintf(err, errlen, "%s: path too long", path);
		goto out;
	}
	/* mkostemp creates with O_EXCL and mode 0600: never a window with
	 * the data readable by others, whatever the umask */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create a file in %s: %s", dir, strerror(-ret));
		goto out;
	}
	have_tmp = true;
	ret = fchmod(fd, mode) ? -errno : write_all(fd, data, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-ret));
		goto out;
	}
	ret = close(fd);
	fd = -1;
	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-ret));
		goto out;
	}
	if (how == CONF_WRITE_REPLACE) {
		if (rename(tmp, path)) {
			ret = -errno;
			snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
				 strerror(-ret));
			goto out;
		}
		have_tmp = false;
	} else {
		/* link() fails with EEXIST if path exists: create, never replace */
		if (link(tmp, path)) {
			ret = -errno;
			if (ret == -EEXIST)
				snprintf(err, errlen, "refusing to replace %s: it already exists",
					 path);
			else
				snprintf(err, errlen, "cannot create %s: %s", path, strerror(-ret));
			goto out;
		}
		have_tmp = false;
		if (unlink(tmp)) {
			ret = -errno;
			snprintf(err, errlen, "cannot remove %s: %s", tmp, strerror(-ret));
			goto out;
		}
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd)) {
		ret = -errno;
		snprintf(err, errlen, "cannot sync %s: %s", dir, strerror(-ret));
		goto out;
	}
	ret = 0;
out:
	if (dfd >= 0)
		close(dfd);
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	return ret;
}
