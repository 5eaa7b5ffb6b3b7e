/* Renders the gateway's policy to nft text and applies it through libnftables. Every change is
 * one nft script run as one transaction (STYLE.md habit 13): the whole table on apply, set
 * elements only when devices come and go. The ruleset is explained in docs/nftables.md. */
#include "policy/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TABLE	"inet tether"
#define IFMATCH "\"" POLICY_IFPREFIX "*\""

/* nft refuses longer comments (COMMENT_MAXLEN in its parser). */
enum { COMMENT_MAX = 128 };

struct policy_nft {
	struct nft_ctx *ctx;
};

/* A growing string; the first failure sticks and is reported once at the end. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	int err;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* Hands the text to the caller, or frees it and returns the sticky error. */
static int finish(struct buf *b, char **text)
{
	if (b->err) {
		free(b->p);
		return b->err;
	}
	*text = b->p;
	return 0;
}

static void set_error(struct policy_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct policy_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* Copies a caller's string into an error message so that no control character or quote from it
 * can garble a log line. */
static const char *clean(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < size; i++)
		dst[i] = (src[i] > 0x20 && src[i] < 0x7f && src[i] != '\'') ? src[i] : '?';
	dst[i] = '\0';
	return dst;
}

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->proxy_uid = POLICY_UID_NONE;
	p->http_port = 80;
	p->https_port = 443;
	p->max_devices = POLICY_DEFAULT_MAX_DEVICES;
}

/* Glob with `*` only. Iterative with one backtrack point, so linear in practice and bounded by
 * the product of the two lengths in the worst case (both are at most 64). */
bool policy_pattern_match(const char *pattern, const char *name)
{
	const char *star = NULL, *resume = NULL;

	while (*name) {
		if (*pattern == '*') {
			star = pattern++;
			resume = name;
		} else if (*pattern && *pattern == *name) {
			pattern++;
			name++;
		} else if (star) {
			pattern = star + 1;
			name = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

/* A pattern of stars only matches every device: its rule needs no set of addresses, since
 * every tt-* interface is a device. */
static bool matches_all(const char *pattern)
{
	return pattern[strspn(pattern, "*")] == '\0';
}

/* Names and patterns reach nft text; only these characters keep them inert there. */
static bool valid_name(const char *name)
{
	size_t len = strnlen(name, POLICY_NAME_MAX + 1);

	if (len == 0 || len > POLICY_NAME_MAX || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

static bool valid_ifname(const char *ifname)
{
	size_t len = strnlen(ifname, POLICY_IFNAME_MAX + 1);
	size_t plen = strlen(POLICY_IFPREFIX);

	if (len <= plen || len > POLICY_IFNAME_MAX || strncmp(ifname, POLICY_IFPREFIX, plen))
		return false;
	return strspn(ifname,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == len;
}

static bool valid_pattern(const char *pattern)
{
	size_t len = strnlen(pattern, POLICY_PATTERN_MAX + 1);

	if (len == 0 || len > POLICY_PATTERN_MAX)
		return false;
	return strspn(pattern, "abcdefghijklmnopqrstuvwxyz0123456789-*") == len;
}

static bool host_bits_clear(const uint8_t *addr, unsigned int bits, unsigned int prefix)
{
	for (unsigned int i = prefix; i < bits; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int check_rule(const struct policy_rule *r, unsigned int n, struct policy_error *err)
{
	const uint8_t *a = r->family == AF_INET ? (const uint8_t *)&r->src.v4 : r->src.v6.s6_addr;
	unsigned int bits = r->family == AF_INET ? 32 : 128;
	char pat[POLICY_PATTERN_MAX + 1];

	if (r->family != AF_INET && r->family != AF_INET6) {
		set_error(err, "rule %u (line %u): bad address family %d", n, r->line, r->family);
		return -EINVAL;
	}
	if (r->prefix > bits || !host_bits_clear(a, bits, r->prefix)) {
		set_error(err, "rule %u (line %u): bad prefix /%u", n, r->line, r->prefix);
		return -EINVAL;
	}
	if (!memchr(r->pattern, '\0', sizeof(r->pattern)) || !valid_pattern(r->pattern)) {
		set_error(err, "rule %u (line %u): bad device pattern '%s'", n, r->line,
			  clean(pat, sizeof(pat), r->pattern));
		return -EINVAL;
	}
	if (r->proto != POLICY_PROTO_TCP && r->proto != POLICY_PROTO_UDP) {
		set_error(err, "rule %u (line %u): bad protocol %d", n, r->line, (int)r->proto);
		return -EINVAL;
	}
	if (r->nports == 0 || r->nports > POLICY_MAX_PORTS) {
		set_error(err, "rule %u (line %u): bad number of ports %u", n, r->line, r->nports);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < r->nports; i++) {
		const struct policy_ports *pr = &r->ports[i];

		/* nft refuses overlapping elements in one set: the parser merges them */
		if (pr->lo == 0 || pr->lo > pr->hi || (i > 0 && pr->lo <= r->ports[i - 1].hi + 1)) {
			set_error(err, "rule %u (line %u): bad port range %u-%u", n, r->line,
				  pr->lo, pr->hi);
			return -EINVAL;
		}
	}
	return 0;
}

/* The model may come from code as well as from the parser: check it all again before any of it
 * becomes nft text. */
static int check_policy(const struct policy *p, struct policy_error *err)
{
	int ret;

	if (p->nrules > POLICY_MAX_RULES) {
		set_error(err, "too many rules: %u (at most %d)", p->nrules, POLICY_MAX_RULES);
		return -EINVAL;
	}
	if (p->http_port == 0 || p->https_port == 0) {
		set_error(err, "device ports must be 1..65535");
		return -EINVAL;
	}
	if (p->max_devices == 0) {
		set_error(err, "max_devices must be at least 1");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < p->nrules; i++) {
		ret = check_rule(&p->rules[i], i + 1, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_devices(const struct policy_device *devs, size_t n, struct policy_error *err)
{
	char a[POLICY_NAME_MAX + 1], b[POLICY_NAME_MAX + 1];

	if (n && !devs) {
		set_error(err, "no device array");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!devs[i].name || !valid_name(devs[i].name)) {
			set_error(err, "bad device name '%s'", clean(a, sizeof(a), devs[i].name));
			return -EINVAL;
		}
		if (!devs[i].ifname || !valid_ifname(devs[i].ifname)) {
			set_error(err, "device '%s': bad interface name '%s'", devs[i].name,
				  clean(b, sizeof(b), devs[i].ifname));
			return -EINVAL;
		}
	}
	return 0;
}

static const char *proto_name(enum policy_proto proto)
{
	return proto == POLICY_PROTO_UDP ? "udp" : "tcp";
}

static void put_source(struct buf *b, const struct policy_rule *r)
{
	char s[INET6_ADDRSTRLEN];
	unsigned int bits = r->family == AF_INET ? 32 : 128;

	inet_ntop(r->family, &r->src, s, sizeof(s));
	if (r->prefix == bits)
		put(b, "%s", s);
	else
		put(b, "%s/%u", s, r->prefix);
}

/* Ports as the policy file writes them (22,80-90) or as nft does ({ 22, 80-90 }). */
static void put_ports(struct buf *b, const struct policy_rule *r, bool nft)
{
	if (nft && r->nports > 1)
		put(b, "{ ");
	for (unsigned int i = 0; i < r->nports; i++) {
		if (i)
			put(b, nft ? ", " : ",");
		if (r->ports[i].lo == r->ports[i].hi)
			put(b, "%u", r->ports[i].lo);
		else
			put(b, "%u-%u", r->ports[i].lo, r->ports[i].hi);
	}
	if (nft && r->nports > 1)
		put(b, " }");
}

/* `comment "..."`, cut to what nft takes. Comments are made from checked fields only (names,
 * patterns, addresses, numbers), so they hold no quote. */
static void put_comment(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put_comment(struct buf *b, const char *fmt, ...)
{
	char c[COMMENT_MAX + 4];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c, sizeof(c), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if (n >= COMMENT_MAX)
		memcpy(c + COMMENT_MAX - 4, "...", 4);
	put(b, "comment \"%s\"", c);
}

/* "policy line 3: allow 198.18.9.0/24 to * tcp 22" */
static void put_rule_comment(struct buf *b, const struct policy_rule *r)
{
	struct buf c = {0};

	put(&c, "policy line %u: allow ", r->line);
	put_source(&c, r);
	put(&c, " to %s %s ", r->pattern, proto_name(r->proto));
	put_ports(&c, r, false);
	if (c.err)
		b->err = c.err;
	else
		put_comment(b, "%s", c.p);
	free(c.p);
}

static void rule_set_name(char *name, size_t size, unsigned int i, int family)
{
	snprintf(name, size, "rule%u_%s", i + 1, family == AF_INET ? "v4" : "v6");
}

static bool rule_has_set(const struct policy_rule *r)
{
	return !matches_all(r->pattern);
}

/* Does this rule's set hold an address of this device? */
static bool rule_wants(const struct policy_rule *r, const struct policy_device *d)
{
	if (!rule_has_set(r) || (r->family == AF_INET6 && !d->has_addr6))
		return false;
	return policy_pattern_match(r->pattern, d->name);
}

/* One element a line: nft quotes the line of an error, and a line of ten thousand elements
 * would bury it. The device name goes into each element's comment, because interface names of
 * long device names are hashes. */
static void put_spoof_element(struct buf *b, const struct policy_device *d, int family, bool key)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, family == AF_INET ? (const void *)&d->addr4 : (const void *)&d->addr6, a,
		  sizeof(a));
	put(b, "\"%s\" . %s", d->ifname, a);
	if (!key)
		put(b, " comment \"%s\"", d->name);
}

static void put_addr_element(struct buf *b, const struct policy_device *d, int family, bool key)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, family == AF_INET ? (const void *)&d->addr4 : (const void *)&d->addr6, a,
		  sizeof(a));
	put(b, "%s", a);
	if (!key)
		put(b, " comment \"%s\"", d->name);
}

/* The `elements = { ... }` of a set inside the table block, or nothing if it is empty.
 * rule == NULL: an anti-spoofing set. */
static void put_set_elements(struct buf *b, const struct policy_rule *r, int family,
			     const struct policy_device *devs, size_t n)
{
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		const struct policy_device *d = &devs[i];

		if (r ? !rule_wants(r, d) : (family == AF_INET6 && !d->has_addr6))
			continue;
		put(b, first ? "\t\telements = {\n\t\t\t" : ",\n\t\t\t");
		if (r)
			put_addr_element(b, d, family, false);
		else
			put_spoof_element(b, d, family, false);
		first = false;
	}
	if (!first)
		put(b, "\n\t\t}\n");
}

static void put_sets(struct buf *b, const struct policy *p, const struct policy_device *devs,
		     size_t n)
{
	char name[32];

	put(b, "\tset spoof4 {\n\t\ttype ifname . ipv4_addr\n\t\tsize %u\n", p->max_devices);
	put(b, "\t\tcomment \"anti-spoofing: each device interface with its device's tunnel IPv4 "
	       "address\"\n");
	put_set_elements(b, NULL, AF_INET, devs, n);
	put(b, "\t}\n\n");

	put(b, "\tset spoof6 {\n\t\ttype ifname . ipv6_addr\n\t\tsize %u\n", p->max_devices);
	put(b, "\t\tcomment \"anti-spoofing: each device interface with its device's tunnel IPv6 "
	       "address\"\n");
	put_set_elements(b, NULL, AF_INET6, devs, n);
	put(b, "\t}\n");

	for (unsigned int i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!rule_has_set(r))
			continue;
		rule_set_name(name, sizeof(name), i, r->family);
		put(b, "\n\tset %s {\n\t\ttype %s\n\t\tsize %u\n", name,
		    r->family == AF_INET ? "ipv4_addr" : "ipv6_addr", p->max_devices);
		put(b, "\t\t");
		put_comment(b, "addresses of the devices matching '%s' (policy line %u)",
			    r->pattern, r->line);
		put(b, "\n");
		put_set_elements(b, r, r->family, devs, n);
		put(b, "\t}\n");
	}
}

/* prerouting at priority raw: a spoofed packet is dropped before conntrack, so it never costs a
 * conntrack entry and never reaches routing or another table's rules. */
static void put_prerouting(struct buf *b)
{
	put(b, "\tchain prerouting {\n"
	       "\t\ttype filter hook prerouting priority raw; policy accept;\n"
	       "\t\tiifname " IFMATCH " iifname . ip saddr @spoof4 counter accept "
	       "comment \"anti-spoofing: IPv4 from the device's own tunnel address\"\n"
	       "\t\tiifname " IFMATCH " iifname . ip6 saddr @spoof6 counter accept "
	       "comment \"anti-spoofing: IPv6 from the device's own tunnel address\"\n"
	       "\t\tiifname " IFMATCH " counter drop "
	       "comment \"anti-spoofing: anything else from a device (foreign source address)\"\n"
	       "\t}\n");
}

/* input at priority filter, after conntrack: replies to the gateway's own connections (the
 * proxy's) are told apart from new connections by the device. */
static void put_input(struct buf *b, const struct policy *p)
{
	char a[INET6_ADDRSTRLEN];

	put(b, "\tchain input {\n"
	       "\t\ttype filter hook input priority filter; policy accept;\n"
	       "\t\tiifname " IFMATCH " ct state established,related ct direction reply counter "
	       "accept comment \"isolation: answers to connections the gateway opened\"\n");
	if (p->gateway4.s_addr) {
		inet_ntop(AF_INET, &p->gateway4, a, sizeof(a));
		put(b,
		    "\t\tiifname " IFMATCH " ip daddr %s icmp type echo-request counter accept "
		    "comment \"isolation: devices may ping the gateway's tunnel address\"\n",
		    a);
	}
	if (p->has_gateway6) {
		inet_ntop(AF_INET6, &p->gateway6, a, sizeof(a));
		put(b,
		    "\t\tiifname " IFMATCH " ip6 daddr %s icmpv6 type echo-request counter accept "
		    "comment \"isolation: devices may ping the gateway's tunnel address\"\n",
		    a);
	}
	put(b, "\t\tiifname " IFMATCH " counter drop "
	       "comment \"isolation: devices open no connection to the gateway\"\n"
	       "\t}\n");
}

static void put_forward(struct buf *b, const struct policy *p)
{
	char name[32];

	put(b, "\tchain forward {\n"
	       "\t\ttype filter hook forward priority filter; policy accept;\n"
	       "\t\tiifname " IFMATCH " ct state established,related ct direction reply counter "
	       "accept comment \"isolation: devices answer connections the policy let in\"\n"
	       "\t\tiifname " IFMATCH " counter drop "
	       "comment \"isolation: nothing else is forwarded from a device\"\n"
	       "\t\toifname " IFMATCH " ct state established,related counter accept "
	       "comment \"access: the rest of connections the policy let in\"\n");
	for (unsigned int i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		const char *ip = r->family == AF_INET ? "ip" : "ip6";

		put(b, "\t\toifname " IFMATCH " %s saddr ", ip);
		put_source(b, r);
		if (rule_has_set(r)) {
			rule_set_name(name, sizeof(name), i, r->family);
			put(b, " %s daddr @%s", ip, name);
		}
		put(b, " %s dport ", proto_name(r->proto));
		put_ports(b, r, true);
		put(b, " ct state new counter accept ");
		put_rule_comment(b, r);
		put(b, "\n");
	}
	put(b, "\t\toifname " IFMATCH " counter drop "
	       "comment \"access: nothing else reaches a device\"\n"
	       "\t}\n");
}

/* The proxy is matched by the uid of its sockets: only that user's new connections to the
 * devices' web ports leave the gateway for a device. */
static void put_output(struct buf *b, const struct policy *p)
{
	put(b,
	    "\tchain output {\n"
	    "\t\ttype filter hook output priority filter; policy accept;\n"
	    "\t\toifname " IFMATCH " ct state established,related counter accept "
	    "comment \"access: answers to device pings, the rest of the proxy's connections\"\n");
	if (p->proxy_uid != POLICY_UID_NONE) {
		put(b, "\t\toifname " IFMATCH " meta skuid %u tcp dport ", p->proxy_uid);
		if (p->http_port == p->https_port)
			put(b, "%u", p->http_port);
		else
			put(b, "{ %u, %u }", p->http_port, p->https_port);
		put(b,
		    " ct state new counter accept "
		    "comment \"access: the proxy user (uid %u) to the devices' web ports\"\n",
		    p->proxy_uid);
	}
	put(b, "\t\toifname " IFMATCH " counter drop "
	       "comment \"access: no other local process reaches a device\"\n"
	       "\t}\n");
}

int policy_render(const struct policy *p, const struct policy_device *devs, size_t n, char **text,
		  struct policy_error *err)
{
	struct buf b = {0};
	int ret;

	ret = check_policy(p, err);
	if (ret)
		goto out;
	ret = check_devices(devs, n, err);
	if (ret)
		goto out;

	/* nft 1.0.6 has no `destroy`: adding the table first makes the delete always valid, and
	 * the three commands share one transaction, so the old table stays until the new one is
	 * committed whole. */
	put(&b, "add table " TABLE "\n"
		"delete table " TABLE "\n"
		"table " TABLE " {\n"
		"\tcomment \"Tether: anti-spoofing, isolation, access. Owned by tetherd and "
		"replaced whole on reload; see docs/nftables.md\"\n\n");
	put_sets(&b, p, devs, n);
	put(&b, "\n");
	put_prerouting(&b);
	put(&b, "\n");
	put_input(&b, p);
	put(&b, "\n");
	put_forward(&b, p);
	put(&b, "\n");
	put_output(&b, p);
	put(&b, "}\n");
	ret = finish(&b, text);
	if (ret)
		set_error(err, "rendering the ruleset: %s", strerror(-ret));
out:
	return ret;
}

/* One `add element` or `delete element` command; `key` leaves the comments out, since a
 * delete names elements by key only. */
static void put_element_cmd(struct buf *b, const char *verb, const char *set,
			    const struct policy_device *d, const struct policy_rule *r, int family,
			    bool key)
{
	put(b, "%s element " TABLE " %s { ", verb, set);
	if (r)
		put_addr_element(b, d, family, key);
	else
		put_spoof_element(b, d, family, key);
	put(b, " }\n");
}

/* For a removal each element is first added and then deleted in the same transaction: the
 * delete then always finds it, so removing an absent device is not an error (no `destroy` in
 * nft 1.0.6). */
static void put_device_elements(struct buf *b, const struct policy *p,
				const struct policy_device *d, enum policy_op op)
{
	char name[32];

	put_element_cmd(b, "add", "spoof4", d, NULL, AF_INET, op == POLICY_OP_REMOVE);
	if (op == POLICY_OP_REMOVE)
		put_element_cmd(b, "delete", "spoof4", d, NULL, AF_INET, true);
	if (d->has_addr6) {
		put_element_cmd(b, "add", "spoof6", d, NULL, AF_INET6, op == POLICY_OP_REMOVE);
		if (op == POLICY_OP_REMOVE)
			put_element_cmd(b, "delete", "spoof6", d, NULL, AF_INET6, true);
	}
	for (unsigned int i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!rule_wants(r, d))
			continue;
		rule_set_name(name, sizeof(name), i, r->family);
		put_element_cmd(b, "add", name, d, r, r->family, op == POLICY_OP_REMOVE);
		if (op == POLICY_OP_REMOVE)
			put_element_cmd(b, "delete", name, d, r, r->family, true);
	}
}

int policy_render_elements(const struct policy *p, const struct policy_device *devs, size_t n,
			   enum policy_op op, char **text, struct policy_error *err)
{
	struct buf b = {0};
	int ret;

	ret = check_policy(p, err);
	if (ret)
		goto out;
	ret = check_devices(devs, n, err);
	if (ret)
		goto out;
	if (op != POLICY_OP_ADD && op != POLICY_OP_REMOVE) {
		set_error(err, "bad operation %d", (int)op);
		ret = -EINVAL;
		goto out;
	}
	put(&b, "%s", ""); /* an empty batch is still a valid, empty script */
	for (size_t i = 0; i < n; i++)
		put_device_elements(&b, p, &devs[i], op);
	ret = finish(&b, text);
	if (ret)
		set_error(err, "rendering set elements: %s", strerror(-ret));
out:
	return ret;
}

/* libnftables 1.0.6 keeps a process-wide "initialised once" flag without a lock. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

struct policy_nft *policy_nft_create(void)
{
	struct policy_nft *nft;
	int saved = ENOMEM;

	nft = calloc(1, sizeof(*nft));
	if (!nft)
		goto out;
	pthread_mutex_lock(&create_lock);
	nft->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	pthread_mutex_unlock(&create_lock);
	if (!nft->ctx)
		goto out;
	/* nft prints to stdout and stderr unless told otherwise: keep both, so that errors go
	 * back to the caller and nothing reaches a daemon's terminal */
	if (nft_ctx_buffer_output(nft->ctx) || nft_ctx_buffer_error(nft->ctx))
		goto out;
	saved = 0;
out:
	if (saved && nft) {
		if (nft->ctx)
			nft_ctx_free(nft->ctx);
		free(nft);
		nft = NULL;
	}
	if (saved)
		errno = saved;
	return nft;
}

void policy_nft_free(struct policy_nft *nft)
{
	if (!nft)
		return;
	nft_ctx_free(nft->ctx);
	free(nft);
}

/* nft reports the kernel's answer as strerror() text ("Could not process rule: No such file or
 * directory"); these are the ones a caller may act upon. Anything else is input nft refused. */
static int errno_of(const char *msg)
{
	static const int known[] = {EPERM,   ENOENT,   EEXIST, ENOMEM,	   ENFILE,
				    ENOSPC,  EBUSY,    E2BIG,  EOPNOTSUPP, EAFNOSUPPORT,
				    ENOBUFS, EMSGSIZE, EACCES, EINTR};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strstr(msg, strerror(known[i])))
			return -known[i];
	return -EINVAL;
}

/* nft's message is several lines: the error, the offending line of our script, and a line of
 * carets under it. The carets say nothing in a log line, so they go; the rest is joined. */
static void nft_error(struct policy_error *err, const char *what, const char *msg)
{
	struct buf b = {0};
	const char *line = msg;
	const char *sep = ": ";

	put(&b, "%s", what);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		size_t ws = strspn(line, " \t");

		if (ws < len && strspn(line, " \t^") < len) {
			put(&b, "%s%.*s", sep, (int)(len - ws), line + ws);
			sep = "; ";
		}
		line = end ? end + 1 : NULL;
	}
	if (b.err || !b.p)
		set_error(err, "%s: nft failed", what);
	else
		set_error(err, "%s", b.p);
	free(b.p);
}

/* The one place where nft runs: one script, one transaction. */
static int run(struct policy_nft *nft, const char *what, const char *text, struct policy_error *err)
{
	const char *msg;
	int rc, ret = 0;

	if (!nft || !nft->ctx) {
		set_error(err, "%s: no nft context", what);
		return -EINVAL;
	}
	rc = nft_run_cmd_from_buffer(nft->ctx, text);
	/* reading a buffer resets it, so the next run starts clean */
	nft_ctx_get_output_buffer(nft->ctx);
	msg = nft_ctx_get_error_buffer(nft->ctx);
	if (rc) {
		ret = errno_of(msg ? msg : "");
		nft_error(err, what, msg ? msg : "");
	}
	return ret;
}

int policy_apply(struct policy_nft *nft, const struct policy *p, const struct policy_device *devs,
		 size_t n, struct policy_error *err)
{
	char *text = NULL;
	int ret;

	ret = policy_render(p, devs, n, &text, err);
	if (ret)
		goto out;
	ret = run(nft, "applying table " TABLE, text, err);
out:
	free(text);
	return ret;
}

static int change_devices(struct policy_nft *nft, const struct policy *p,
			  const struct policy_device *devs, size_t n, enum policy_op op,
			  struct policy_error *err)
{
	char *text = NULL;
	int ret;

	ret = policy_render_elements(p, devs, n, op, &text, err);
	if (ret)
		goto out;
	if (n == 0)
		goto out;
	ret = run(nft, op == POLICY_OP_ADD ? "adding devices" : "removing devices", text, err);
out:
	free(text);
	return ret;
}

int policy_devices_add(struct policy_nft *nft, const struct policy *p,
		       const struct policy_device *devs, size_t n, struct policy_error *err)
{
	return change_devices(nft, p, devs, n, POLICY_OP_ADD, err);
}

int policy_devices_remove(struct policy_nft *nft, const struct policy *p,
			  const struct policy_device *devs, size_t n, struct policy_error *err)
{
	return change_devices(nft, p, devs, n, POLICY_OP_REMOVE, err);
}

static int change_device(struct policy_nft *nft, const struct policy *p, const char *name,
			 const char *ifname, const struct in_addr *addr4,
			 const struct in6_addr *addr6, enum policy_op op, struct policy_error *err)
{
	struct policy_device d = {.name = name, .ifname = ifname};

	if (!addr4) {
		set_error(err, "device needs an IPv4 tunnel address");
		return -EINVAL;
	}
	d.addr4 = *addr4;
	if (addr6) {
		d.has_addr6 = true;
		d.addr6 = *addr6;
	}
	return change_devices(nft, p, &d, 1, op, err);
}

int policy_device_add(struct policy_nft *nft, const struct policy *p, const char *name,
		      const char *ifname, const struct in_addr *addr4, const struct in6_addr *addr6,
		      struct policy_error *err)
{
	return change_device(nft, p, name, ifname, addr4, addr6, POLICY_OP_ADD, err);
}

int policy_device_remove(struct policy_nft *nft, const struct policy *p, const char *name,
			 const char *ifname, const struct in_addr *addr4,
			 const struct in6_addr *addr6, struct policy_error *err)
{
	return change_device(nft, p, name, ifname, addr4, addr6, POLICY_OP_REMOVE, err);
}

int policy_remove(struct policy_nft *nft, struct policy_error *err)
{
	/* adding first makes the delete valid when there is no table */
	return run(nft, "removing table " TABLE, "add table " TABLE "\ndelete table " TABLE "\n",
		   err);
}
