/* The status file: a table of fields drives the writer, the parser and
 * the JSON form alike, so the three cannot drift apart. */
#include "agent/status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const state_names[STATUS_STATE_COUNT] = {
	[STATUS_STOPPED] = "stopped",	      [STATUS_DISABLED] = "disabled",
	[STATUS_CONNECTING] = "connecting",   [STATUS_CONNECTED] = "connected",
	[STATUS_BACKING_OFF] = "backing off",
};

const char *status_state_str(enum status_state state)
{
	return state < STATUS_STATE_COUNT ? state_names[state] : "?";
}

enum field_type {
	F_TEXT, /* char[size] */
	F_U64,
	F_U32,
	F_PID,
	F_STATE,
};

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	size_t size;
	bool null_if_empty; /* JSON: "" or 0 is null */
};

#define TEXT(k, f)                                                                                 \
	{                                                                                          \
		k, F_TEXT, offsetof(struct agent_status, f),                                       \
			sizeof(((struct agent_status *)0)->f), true                                \
	}
#define U64(k, f, z)                                                                               \
	{                                                                                          \
		k, F_U64, offsetof(struct agent_status, f), 0, z                                   \
	}
#define U32(k, f, z)                                                                               \
	{                                                                                          \
		k, F_U32, offsetof(struct agent_status, f), 0, z                                   \
	}

static const struct field fields[] = {
	{"state", F_STATE, offsetof(struct agent_status, state), 0, false},
	{"pid", F_PID, offsetof(struct agent_status, pid), 0, false},
	U64("updated", updated, false),
	TEXT("name", name),
	TEXT("interface", interface),
	TEXT("server", server),
	TEXT("endpoint", endpoint),
	TEXT("address", address),
	TEXT("peer", peer),
	TEXT("address6", address6),
	U32("mtu", mtu, true),
	U32("keepalive", keepalive, true),
	TEXT("url", url),
	U64("last_handshake", last_handshake, true),
	U64("next_attempt", next_attempt, true),
	TEXT("last_error", last_error),
	U64("handshakes", handshakes, false),
	U64("rx_bytes", rx_bytes, false),
	U64("rx_packets", rx_packets, false),
	U64("tx_bytes", tx_bytes, false),
	U64("tx_packets", tx_packets, false),
	U64("drops", drops, false),
	U64("filtered", filtered, false),
	TEXT("drop_reasons", drop_reasons),
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

void status_set_text(char *dst, size_t dst_size, const char *src, size_t len)
{
	size_t i;

	if (!dst_size)
		return;
	for (i = 0; i < len && i + 1 < dst_size && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

static const void *at(const struct agent_status *st, const struct field *f)
{
	return (const char *)st + f->offset;
}

int status_format(const struct agent_status *st, char *buf, size_t size, size_t *len)
{
	size_t o = 0;
	int n;

	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		const void *p = at(st, f);

		switch (f->type) {
		case F_TEXT:
			n = snprintf(buf + o, size - o, "%s=%s\n", f->key, (const char *)p);
			break;
		case F_U64:
			n = snprintf(buf + o, size - o, "%s=%" PRIu64 "\n", f->key,
				     *(const uint64_t *)p);
			break;
		case F_U32:
			n = snprintf(buf + o, size - o, "%s=%" PRIu32 "\n", f->key,
				     *(const uint32_t *)p);
			break;
		case F_PID:
			n = snprintf(buf + o, size - o, "%s=%ld\n", f->key,
				     (long)*(const pid_t *)p);
			break;
		case F_STATE:
		default:
			n = snprintf(buf + o, size - o, "%s=%s\n", f->key,
				     status_state_str(*(const enum status_state *)p));
			break;
		}
		if (n < 0 || (size_t)n >= size - o)
			return -ENOSPC;
		o += (size_t)n;
	}
	*len = o;
	return 0;
}

static int parse_u64(const char *v, size_t len, uint64_t *out)
{
	uint64_t x = 0;

	if (!len || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int parse_value(struct agent_status *st, const struct field *f, const char *v, size_t len)
{
	void *p = (char *)st + f->offset;
	uint64_t x;

	switch (f->type) {
	case F_TEXT:
		if (len >= f->size)
			return -EINVAL;
		status_set_text(p, f->size, v, len);
		return 0;
	case F_STATE:
		for (int s = 0; s < STATUS_STATE_COUNT; s++) {
			if (strlen(state_names[s]) == len && !memcmp(state_names[s], v, len)) {
				*(enum status_state *)p = (enum status_state)s;
				return 0;
			}
		}
		return -EINVAL;
	default:
		break;
	}
	if (parse_u64(v, len, &x))
		return -EINVAL;
	if (f->type == F_U64) {
		*(uint64_t *)p = x;
	} else if (f->type == F_U32) {
		if (x > UINT32_MAX)
			return -EINVAL;
		*(uint32_t *)p = (uint32_t)x;
	} else {
		if (x > INT32_MAX)
			return -EINVAL;
		*(pid_t *)p = (pid_t)x;
	}
	return 0;
}

int status_parse(struct agent_status *st, const char *buf, size_t len)
{
	struct agent_status s;
	size_t o = 0;
	bool have_state = false;

	memset(&s, 0, sizeof(s));
	while (o < len) {
		const char *line = buf + o, *nl = memchr(line, '\n', len - o), *eq;
		size_t llen = nl ? (size_t)(nl - line) : len - o;

		o += llen + (nl ? 1 : 0);
		if (!llen || line[0] == '#')
			continue;
		eq = memchr(line, '=', llen);
		if (!eq)
			return -EINVAL;
		for (size_t i = 0; i < N_FIELDS; i++) {
			const struct field *f = &fields[i];
			size_t klen = (size_t)(eq - line);

			if (strlen(f->key) != klen || memcmp(f->key, line, klen))
				continue;
			if (parse_value(&s, f, eq + 1, llen - klen - 1))
				return -EINVAL;
			if (f->type == F_STATE)
				have_state = true;
		}
	}
	if (!have_state)
		return -EINVAL;
	*st = s;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int status_write(const char *path, const struct agent_status *st, char *err, size_t errlen)
{
	char text[STATUS_TEXT_MAX], tmp[STATUS_PATH_MAX + 8];
	size_t len = 0;
	int fd = -1, ret;

	ret = status_format(st, text, sizeof(text), &len);
	if (ret) {
		snprintf(err, errlen, "%s: status too long", path);
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		ret = -ENAMETOOLONG;
		snprintf(err, errlen, "%s: path too long", path);
		goto out;
	}
	/* one writer per state_dir (the daemon holds its lock), so one temp name */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(-ret));
		goto out;
	}
	ret = write_all(fd, text, len);
	/* closed whatever the write did: the daemon retries every second, and
	 * a full disk must not cost it a descriptor each time */
	if (close(fd) && !ret)
		ret = -errno;
	fd = -1;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		unlink(tmp);
	}
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int status_read(const char *path, struct agent_status *st, char *err, size_t errlen)
{
	char text[STATUS_TEXT_MAX + 1];
	size_t len = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		goto out;
	}
	while (len < sizeof(text)) {
		ssize_t n = read(fd, text + len, sizeof(text) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(text) || status_parse(st, text, len)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a tether-agent status file", path);
	}
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static void human_bytes(char *out, size_t size, uint64_t b)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%" PRIu64 " B", b);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

static void human_age(char *out, size_t size, uint64_t then, uint64_t now)
{
	uint64_t d = now > then ? now - then : 0;

	if (d < 120)
		snprintf(out, size, "%" PRIu64 " s", d);
	else if (d < 7200)
		snprintf(out, size, "%" PRIu64 " min", d / 60);
	else if (d < 172800)
		snprintf(out, size, "%" PRIu64 " h", d / 3600);
	else
		snprintf(out, size, "%" PRIu64 " days", d / 86400);
}

int status_print(FILE *f, const struct agent_status *st, bool running, uint64_t now)
{
	char a[32], b[32];
	enum status_state state = running ? st->state : STATUS_STOPPED;

	if (!running) {
		human_age(a, sizeof(a), st->updated, now);
		fprintf(f, "tether-agent: not running (last status %s ago, was %s)\n", a,
			status_state_str(st->state));
	} else if (state == STATUS_DISABLED) {
		fprintf(f, "tether-agent: remote access off (server = none), pid %ld\n",
			(long)st->pid);
	} else {
		fprintf(f, "tether-agent: %s, pid %ld\n", status_state_str(state), (long)st->pid);
	}
	if (st->name[0])
		fprintf(f, "  device:          %s\n", st->name);
	if (st->server[0])
		fprintf(f, "  server:          %s%s%s%s\n", st->server, st->endpoint[0] ? " (" : "",
			st->endpoint, st->endpoint[0] ? ")" : "");
	if (st->interface[0] && state == STATUS_CONNECTED)
		fprintf(f, "  interface:       %s, %s peer %s, mtu %" PRIu32 "%s%s\n",
			st->interface, st->address, st->peer, st->mtu, st->address6[0] ? ", " : "",
			st->address6);
	else if (st->interface[0])
		fprintf(f, "  interface:       %s (down)\n", st->interface);
	if (st->url[0])
		fprintf(f, "  url:             %s\n", st->url);
	if (st->last_handshake) {
		human_age(a, sizeof(a), st->last_handshake, now);
		fprintf(f, "  last handshake:  %s ago\n", a);
	} else if (state != STATUS_DISABLED) {
		fprintf(f, "  last handshake:  never\n");
	}
	if (running && state == STATUS_BACKING_OFF && st->next_attempt) {
		human_age(a, sizeof(a), now, st->next_attempt);
		fprintf(f, "  next attempt:    in %s (%s)\n", a,
			st->last_error[0] ? st->last_error : "?");
	} else if (running && state == STATUS_CONNECTING && st->last_error[0]) {
		fprintf(f, "  last error:      %s\n", st->last_error);
	}
	if (state != STATUS_DISABLED) {
		human_bytes(a, sizeof(a), st->rx_bytes);
		human_bytes(b, sizeof(b), st->tx_bytes);
		fprintf(f,
			"  transfer:        %s received (%" PRIu64 " packets), %s sent (%" PRIu64
			" packets)\n",
			a, st->rx_packets, b, st->tx_packets);
		fprintf(f,
			"  dropped:         %" PRIu64 " packets, %" PRIu64
			" of them by the exposure "
			"filter\n",
			st->drops, st->filtered);
		if (st->drop_reasons[0])
			fprintf(f, "  drop reasons:    %s\n", st->drop_reasons);
	}
	return ferror(f) ? -EIO : 0;
}

/* Values are printable ASCII (status_set_text), so only " and \ need it. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int status_print_json(FILE *f, const struct agent_status *st, bool running)
{
	fputc('{', f);
	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field *fl = &fields[i];
		const void *p = at(st, fl);

		fprintf(f, "%s\"%s\":", i ? "," : "", fl->key);
		switch (fl->type) {
		case F_TEXT:
			if (fl->null_if_empty && !*(const char *)p)
				fputs("null", f);
			else
				json_string(f, p);
			break;
		case F_U64:
			if (fl->null_if_empty && !*(const uint64_t *)p)
				fputs("null", f);
			else
				fprintf(f, "%" PRIu64, *(const uint64_t *)p);
			break;
		case F_U32:
			if (fl->null_if_empty && !*(const uint32_t *)p)
				fputs("null", f);
			else
				fprintf(f, "%" PRIu32, *(const uint32_t *)p);
			break;
		case F_PID:
			fprintf(f, "%ld", (long)*(const pid_t *)p);
			break;
		case F_STATE:
		default:
			json_string(f, status_state_str(running ? st->state : STATUS_STOPPED));
			break;
		}
	}
	fprintf(f, ",\"running\":%s}\n", running ? "true" : "false");
	return ferror(f) ? -EIO : 0;
}
