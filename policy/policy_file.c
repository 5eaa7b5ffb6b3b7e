/* Parses the policy file into struct policy's rules. Strict on purpose: a bad address handed to
 * nft would be looked up as a host name, so every token is checked here, by its own small
 * parser, and the first bad one is named with its file and line. */
#include "policy/policy_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* `allow SOURCE to PATTERN PROTO PORTS` and one more, to catch trailing junk. */
enum { TOKENS = 7 };

struct token {
	const char *s;
	size_t len;
};

struct parser {
	const char *file;
	unsigned int line;
	struct policy_error *err;
};

/* "<file>:<line>: <what> '<token>'" (the token part only if there is one). The token is copied
 * with anything unprintable or a quote replaced, so a hostile file cannot garble a log line. */
static void fail(struct parser *ps, const struct token *tok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct parser *ps, const struct token *tok, const char *fmt, ...)
{
	struct policy_error *err = ps->err;
	char what[128];
	va_list ap;
	size_t i;

	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", ps->file);
	err->line = ps->line;
	for (i = 0; tok && i < tok->len && i + 1 < sizeof(err->token); i++) {
		char c = tok->s[i];

		err->token[i] = (c > 0x20 && c < 0x7f && c != '\'') ? c : '?';
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ps->line && tok)
		snprintf(err->message, sizeof(err->message), "%s:%u: %s '%s'", err->file, err->line,
			 what, err->token);
	else if (ps->line)
		snprintf(err->message, sizeof(err->message), "%s:%u: %s", err->file, err->line,
			 what);
	else
		snprintf(err->message, sizeof(err->message), "%s: %s", err->file, what);
}

static bool is(const struct token *t, const char *word)
{
	return t->len == strlen(word) && !memcmp(t->s, word, t->len);
}

/* A decimal number without sign or leading zero, of at most `digits` digits. */
static bool number(const char *s, size_t len, size_t digits, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > digits || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* An IPv4 or IPv6 address, optionally /prefix. Host bits must be clear: `198.18.9.7/24` is most
 * likely a typo for a host or for 198.18.9.0/24, and guessing either would widen or narrow the
 * access an admin meant to give. */
static int parse_source(struct parser *ps, const struct token *t, struct policy_rule *r)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = memchr(t->s, '/', t->len);
	size_t alen = slash ? (size_t)(slash - t->s) : t->len;
	unsigned long prefix;
	unsigned int bits;
	const uint8_t *a;

	if (alen == 0 || alen >= sizeof(addr)) {
		fail(ps, t, "bad address");
		return -EINVAL;
	}
	memcpy(addr, t->s, alen);
	addr[alen] = '\0';
	r->family = memchr(addr, ':', alen) ? AF_INET6 : AF_INET;
	if (inet_pton(r->family, addr, &r->src) != 1) {
		fail(ps, t, "bad address");
		return -EINVAL;
	}
	if (r->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&r->src.v6)) {
		fail(ps, t, "IPv4-mapped address (write the IPv4 form)");
		return -EINVAL;
	}
	bits = r->family == AF_INET ? 32 : 128;
	prefix = bits;
	if (slash && (!number(slash + 1, t->len - alen - 1, 3, &prefix) || prefix > bits)) {
		fail(ps, t, "bad prefix length");
		return -EINVAL;
	}
	r->prefix = (unsigned int)prefix;
	a = r->family == AF_INET ? (const uint8_t *)&r->src.v4 : r->src.v6.s6_addr;
	for (unsigned int i = r->prefix; i < bits; i++) {
		if (a[i / 8] & (0x80 >> (i % 8))) {
			fail(ps, t, "host bits set in");
			return -EINVAL;
		}
	}
	return 0;
}

/* Device names are DNS labels (PROTOCOL.md 2); `*` stands for any run of characters. */
static int parse_pattern(struct parser *ps, const struct token *t, struct policy_rule *r)
{
	if (t->len > POLICY_PATTERN_MAX) {
		fail(ps, t, "device pattern longer than %d characters", POLICY_PATTERN_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*')) {
			fail(ps, t, "bad device pattern");
			return -EINVAL;
		}
	}
	memcpy(r->pattern, t->s, t->len);
	r->pattern[t->len] = '\0';
	return 0;
}

static int cmp_ports(const void *a, const void *b)
{
	const struct policy_ports *x = a, *y = b;

	return (int)x->lo - (int)y->lo;
}

/* `22`, `8000-8080`, `22,80,443`, `22,8000-8080`: 1..65535. The items are sorted and merged,
 * because nft refuses overlapping elements in one set. */
static int parse_ports(struct parser *ps, const struct token *t, struct policy_rule *r)
{
	const char *p = t->s, *end = t->s + t->len;
	unsigned int n = 0;

	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		struct token item = {p, comma ? (size_t)(comma - p) : (size_t)(end - p)};
		const char *dash = memchr(item.s, '-', item.len);
		unsigned long lo, hi;

		if (n == POLICY_MAX_PORTS) {
			fail(ps, t, "more than %d ports in", POLICY_MAX_PORTS);
			return -EINVAL;
		}
		if (item.len == 0) {
			fail(ps, t, "empty item in port list");
			return -EINVAL;
		}
		if (dash) {
			size_t llen = (size_t)(dash - item.s);

			if (!number(item.s, llen, 5, &lo) || lo < 1 || lo > 65535 ||
			    !number(dash + 1, item.len - llen - 1, 5, &hi) || hi < 1 ||
			    hi > 65535) {
				fail(ps, &item, "bad port range");
				return -EINVAL;
			}
			if (lo > hi) {
				fail(ps, &item, "port range runs backwards");
				return -EINVAL;
			}
		} else {
			if (!number(item.s, item.len, 5, &lo) || lo < 1 || lo > 65535) {
				fail(ps, &item, "bad port");
				return -EINVAL;
			}
			hi = lo;
		}
		r->ports[n].lo = (uint16_t)lo;
		r->ports[n].hi = (uint16_t)hi;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}

	qsort(r->ports, n, sizeof(r->ports[0]), cmp_ports);
	r->nports = 1;
	for (unsigned int i = 1; i < n; i++) {
		struct policy_ports *last = &r->ports[r->nports - 1];

		if (r->ports[i].lo <= (unsigned int)last->hi + 1) {
			if (r->ports[i].hi > last->hi)
				last->hi = r->ports[i].hi;
		} else {
			r->ports[r->nports++] = r->ports[i];
		}
	}
	return 0;
}

/* Splits at spaces and tabs; stops counting at TOKENS, which is already one too many. */
static size_t split(const char *s, size_t len, struct token *tok)
{
	size_t n = 0, i = 0;

	while (i < len && n < TOKENS) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		tok[n].s = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		tok[n].len = (size_t)(s + i - tok[n].s);
		n++;
	}
	return n;
}

static int parse_line(struct parser *ps, struct policy *p, const char *s, size_t len)
{
	static const char *const missing[] = {NULL,
					      "missing source after",
					      "missing 'to' after",
					      "missing device pattern after",
					      "missing protocol after",
					      "missing ports after"};
	struct token tok[TOKENS];
	struct policy_rule *r;
	const char *hash = memchr(s, '#', len);
	size_t n;
	int ret;

	if (hash)
		len = (size_t)(hash - s);
	n = split(s, len, tok);
	if (n == 0)
		return 0;
	if (!is(&tok[0], "allow")) {
		fail(ps, &tok[0], "unknown keyword");
		return -EINVAL;
	}
	if (n < 6) {
		fail(ps, &tok[n - 1], "%s", missing[n]);
		return -EINVAL;
	}
	if (n > 6) {
		fail(ps, &tok[6], "unexpected");
		return -EINVAL;
	}
	if (p->nrules == POLICY_MAX_RULES) {
		fail(ps, NULL, "more than %d rules", POLICY_MAX_RULES);
		return -EINVAL;
	}
	r = &p->rules[p->nrules];
	memset(r, 0, sizeof(*r));
	r->line = ps->line;
	ret = parse_source(ps, &tok[1], r);
	if (ret)
		return ret;
	if (!is(&tok[2], "to")) {
		fail(ps, &tok[2], "expected 'to' instead of");
		return -EINVAL;
	}
	ret = parse_pattern(ps, &tok[3], r);
	if (ret)
		return ret;
	if (is(&tok[4], "tcp")) {
		r->proto = POLICY_PROTO_TCP;
	} else if (is(&tok[4], "udp")) {
		r->proto = POLICY_PROTO_UDP;
	} else {
		fail(ps, &tok[4], "bad protocol (tcp or udp)");
		return -EINVAL;
	}
	ret = parse_ports(ps, &tok[5], r);
	if (ret)
		return ret;
	p->nrules++;
	return 0;
}

int policy_file_parse(struct policy *p, const char *file, const char *text, size_t len,
		      struct policy_error *err)
{
	struct parser ps = {.file = file ? file : "policy", .line = 0, .err = err};
	size_t off = 0;
	int ret = 0;

	p->nrules = 0;
	if (len > POLICY_FILE_SIZE_MAX) {
		fail(&ps, NULL, "larger than %d bytes", POLICY_FILE_SIZE_MAX);
		ret = -EFBIG;
		goto out;
	}
	while (off < len) {
		const char *s = text + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - s) : len - off;

		ps.line++;
		off += llen + (nl ? 1 : 0);
		if (llen && s[llen - 1] == '\r')
			llen--;
		if (llen > POLICY_FILE_LINE_MAX) {
			fail(&ps, NULL, "line longer than %d characters", POLICY_FILE_LINE_MAX);
			ret = -EINVAL;
			goto out;
		}
		if (memchr(s, '\0', llen)) {
			fail(&ps, NULL, "NUL byte in line");
			ret = -EINVAL;
			goto out;
		}
		ret = parse_line(&ps, p, s, llen);
		if (ret)
			goto out;
	}
out:
	return ret;
}

int policy_file_load(struct policy *p, const char *path, struct policy_error *err)
{
	struct parser ps = {.file = path, .line = 0, .err = err};
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	int fd, ret = 0;

	/* O_NONBLOCK: a FIFO in place of the file must not hang a reload */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		fail(&ps, NULL, "cannot open: %s", strerror(-ret));
		goto out;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		fail(&ps, NULL, "cannot stat: %s", strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		fail(&ps, NULL, "not a regular file");
		goto out;
	}
	if (st.st_size > POLICY_FILE_SIZE_MAX) {
		ret = -EFBIG;
		fail(&ps, NULL, "larger than %d bytes", POLICY_FILE_SIZE_MAX);
		goto out;
	}
	/* one byte more than the limit shows a file that grew since fstat */
	text = malloc(POLICY_FILE_SIZE_MAX + 1);
	if (!text) {
		ret = -ENOMEM;
		fail(&ps, NULL, "%s", strerror(ENOMEM));
		goto out;
	}
	while (len <= POLICY_FILE_SIZE_MAX) {
		ssize_t got = read(fd, text + len, POLICY_FILE_SIZE_MAX + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			fail(&ps, NULL, "cannot read: %s", strerror(-ret));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	ret = policy_file_parse(p, path, text, len, err);
out:
	free(text);
	if (fd >= 0)
		close(fd);
	return ret;
}
