/* The scale benchmark's load tool (scripts/bench/scale.sh): N simulated
 * devices in one process, built from proto/ as an agent is, against a real
 * tetherd. It enrolls them by key over the control socket (pipelined on one
 * connection), brings them all online from a cold start (fresh message 1s
 * with increasing TIMESTAMPs, cookie replies, the agent's retry timers) and
 * keeps them alive, while it measures tetherd from /proc: time to online as
 * tetherd counts it, handshakes a second, memory per device, idle CPU.
 *
 *   bench_scale keys -n N                       "name pubkey" lines (for tetherctl)
 *   bench_scale run -s IP:PORT -k KEY -c SOCK -P PID -n N -b ADDR -a NADDRS ...
 *   bench_scale run ... -K KEYFILE      again after restarting tetherd: the same
 *                                       devices, their interfaces already made
 *
 * Devices are spread over NADDRS source addresses (ADDR and the ones after
 * it, already on an interface), one UDP socket each, as meters behind many
 * NAT gateways would be: tetherd rate-limits message 1s per source address
 * under load. Every wait is bounded by -T. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "concentrator/control/control_client.h"
#include "proto/data.h"
#include "proto/handshake.h"
#include "proto/keys.h"
#include "proto/mac.h"
#include "proto/session.h"
#include "proto/tai64n.h"
#include "proto/timers.h"
#include "proto/tlv.h"

enum {
	INDEX_BITS = 20, /* a device's number in the low bits of its indices */
	INDEX_MASK = (1 << INDEX_BITS) - 1,
	MAX_DEVICES = INDEX_MASK - 1,
	MAX_ADDRS = 4096,
	BUF = 2048,
	RX_BATCH = 64,
	TICK_MS = 5,		  /* timer sweep */
	HANDSHAKES_PER_TICK = 64, /* message 1s made per loop turn: answers go first */
	ENROLL_WINDOW = 64,	  /* device.add requests in flight on the control socket */
	CTL_TIMEOUT_MS = 30000,
	POLL_MS = 100, /* tetherd's online count, during the cold start */
	ACTIONS = 4,   /* timer actions per device and turn */
};

struct sim {
	struct handshake_identity id;
	struct handshake_peer server; /* with ss = DH(device key, gateway key) */
	struct handshake hs;
	struct session_peer sessions;
	struct timers timers;
	struct mac_cookie cookie;
	uint8_t last_ts[WIRE_TAI64N_LEN];
	uint64_t deadline;
	uint64_t online_at; /* first confirmed session, 0: not yet */
	uint64_t ok_at;	    /* the last OK, while nothing came on its session yet */
	uint32_t gen;	    /* attempts made: the high bits of the next sender index */
	uint32_t sock;
};

struct stats {
	uint64_t msg1, cookies, ok, refused, ka_tx, ka_rx, data_bad, stray, send_fail, reconfirms;
};

struct bench {
	const char *prefix;
	uint32_t n;
	struct sim *devs;
	int *socks;
	uint32_t nsocks;
	int ep;
	struct sockaddr_in server;
	uint8_t server_key[WIRE_KEY_LEN];
	const char *ctl_path;
	struct control_client ctl;
	int pid;
	uint32_t tool_online;
	uint64_t cursor;     /* sweep position: handshakes are budgeted per turn */
	uint64_t reconfirm;  /* -r: keepalive again this long after an unanswered OK (ns) */
	uint64_t online_max; /* -O: the longest wait for all online (ns) */
	uint64_t end;	     /* -T: nothing runs past it */
	struct stats st;
};

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WIRE_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_scale: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void name_of(const struct bench *b, uint32_t i, char *out, size_t size)
{
	snprintf(out, size, "%s%06u", b->prefix, i);
}

/* ---- tetherd, seen from /proc ---- */

/* A "Key:   N kB" line of a /proc file, in kB; -1 if absent. */
static long proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

struct mem {
	long rss, anon, file, kernel; /* kB; kernel: Slab + Percpu + VmallocUsed */
};

static struct mem mem_read(int pid)
{
	char path[64];
	struct mem m;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	m.rss = proc_kb(path, "VmRSS");
	m.anon = proc_kb(path, "RssAnon");
	m.file = proc_kb(path, "RssFile");
	m.kernel = proc_kb("/proc/meminfo", "Slab") + proc_kb("/proc/meminfo", "Percpu") +
		   proc_kb("/proc/meminfo", "VmallocUsed");
	if (m.rss < 0)
		die("cannot read %s: is tetherd running?", path);
	return m;
}

/* utime + stime of pid in ns */
static uint64_t cpu_ns(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		die("cannot read %s: is tetherd running?", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after the ")" of the command: state is field 3, utime 14, stime 15 */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		die("cannot parse %s", path);
	return (ut + st) * (WIRE_NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK));
}

/* ---- the control socket ---- */

static void ctl_open(struct bench *b)
{
	int ret = control_client_open(&b->ctl, b->ctl_path, CTL_TIMEOUT_MS);

	if (ret)
		die("control socket %s: %s", b->ctl_path, strerror(-ret));
}

static void ctl_send(struct bench *b, json_t *req)
{
	int ret = control_client_send(&b->ctl, req, CTL_TIMEOUT_MS);

	json_decref(req);
	if (ret)
		die("control socket: sending: %s", strerror(-ret));
}

/* The next answer; dies on a refusal. */
static json_t *ctl_answer(struct bench *b, int timeout_ms)
{
	json_t *msg = NULL;
	int ret = control_client_read(&b->ctl, timeout_ms, &msg);

	if (ret == -EAGAIN)
		return NULL;
	if (ret)
		die("control socket: reading: %s", strerror(-ret));
	if (!json_is_true(json_object_get(msg, "ok")))
		die("tetherd refused: %s (%s)", json_string_value(json_object_get(msg, "error")),
		    json_string_value(json_object_get(msg, "code")));
	return msg;
}

static json_int_t status_field(json_t *answer, const char *key)
{
	json_t *v =
		json_object_get(json_object_get(json_object_get(answer, "status"), "devices"), key);

	if (!json_is_integer(v))
		die("tetherd's status has no devices.%s", key);
	return json_integer_value(v);
}

static json_int_t status_now(struct bench *b, const char *key)
{
	json_t *a;
	json_int_t v;

	ctl_send(b, json_pack("{s:s}", "cmd", "status"));
	a = ctl_answer(b, CTL_TIMEOUT_MS);
	v = status_field(a, key);
	json_decref(a);
	return v;
}

/* device.add by key for every device, ENROLL_WINDOW requests in flight. */
static void enroll(struct bench *b)
{
	uint32_t sent = 0, got = 0;

	while (got < b->n) {
		while (sent < b->n && sent - got < ENROLL_WINDOW) {
			char name[64], key[KEYS_B64_SIZE];

			name_of(b, sent, name, sizeof(name));
			keys_to_base64(key, b->devs[sent].id.public_key);
			ctl_send(b, json_pack("{s:s, s:s, s:s}", "cmd", "device.add", "name", name,
					      "key", key));
			sent++;
		}
		json_decref(ctl_answer(b, CTL_TIMEOUT_MS));
		got++;
	}
}

/* ---- the devices ---- */

static void schedule(const struct bench *b, struct sim *s, uint64_t now)
{
	uint64_t t = timers_deadline(&s->timers, now), e = session_deadline(&s->sessions);

	s->deadline = e < t ? e : t;
	if (b->reconfirm && s->ok_at && s->ok_at + b->reconfirm < s->deadline)
		s->deadline = s->ok_at + b->reconfirm;
}

static void send_dev(struct bench *b, const struct sim *s, const uint8_t *buf, size_t len)
{
	/* a full socket buffer is a lost datagram, as on a real network */
	if (sendto(b->socks[s->sock], buf, len, MSG_DONTWAIT, (const struct sockaddr *)&b->server,
		   sizeof(b->server)) != (ssize_t)len)
		b->st.send_fail++;
}

static void send_msg1(struct bench *b, uint32_t i, uint64_t now)
{
	struct sim *s = &b->devs[i];
	struct tlv_msg1 m1;
	struct timespec ts;
	uint8_t wall[WIRE_TAI64N_LEN], buf[BUF];
	size_t len;
	enum proto_reason r;

	memset(&m1, 0, sizeof(m1));
	clock_gettime(CLOCK_REALTIME, &ts);
	tai64n_encode(wall, (uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
	tai64n_next(m1.timestamp, wall, s->last_ts);
	memcpy(s->last_ts, m1.timestamp, sizeof(s->last_ts));
	name_of(b, i, m1.name, sizeof(m1.name));
	m1.name_len = strlen(m1.name);
	memcpy(m1.agent, "bench_scale", 11);
	m1.agent_len = 11;
	s->gen++;
	r = handshake_initiation_create(
		&s->hs, &s->id, &s->server,
		(s->gen & ((1u << (32 - INDEX_BITS)) - 1)) << INDEX_BITS | (i + 1), &m1,
		mac_cookie_get(&s->cookie, now), NULL, buf, sizeof(buf), &len);
	if (r != PROTO_OK)
		die("message 1 of device %u: %s", i, proto_reason_str(r));
	send_dev(b, s, buf, len);
	b->st.msg1++;
	timers_handshake_sent(&s->timers, now, randombytes_random());
}

static void send_keepalive(struct bench *b, struct sim *s, uint64_t now)
{
	uint8_t buf[WIRE_DATA_OVERHEAD + WIRE_DATA_PAD];
	struct session_tx tx;

	if (session_encrypt(&s->sessions, buf, sizeof(buf), 0, WIRE_MTU_MAX, now, &tx) ==
	    PROTO_OK) {
		send_dev(b, s, buf, tx.len);
		b->st.ka_tx++;
	}
	timers_data_sent(&s->timers, now);
}

/* What the timers want of device i now; *budget counts message 1s. */
static void run_dev(struct bench *b, uint32_t i, uint64_t now, int *budget)
{
	struct sim *s = &b->devs[i];

	if (b->reconfirm && s->ok_at && now >= s->ok_at + b->reconfirm) {
		/* -r: tetherd answers a confirming keepalive at once; none came */
		send_keepalive(b, s, now);
		b->st.reconfirms++;
		s->ok_at = now;
	}
	for (int k = 0; k < ACTIONS; k++) {
		enum timers_action a;

		session_expire(&s->sessions, now, NULL);
		a = timers_next(&s->timers, now);
		if (a == TIMERS_SEND_HANDSHAKE) {
			if (*budget <= 0)
				break;
			(*budget)--;
			send_msg1(b, i, now);
		} else if (a == TIMERS_SEND_KEEPALIVE) {
			send_keepalive(b, s, now);
		} else {
			break;
		}
	}
	schedule(b, s, now);
}

static struct sim *dev_of(struct bench *b, const uint8_t *msg, size_t off)
{
	uint32_t idx = (uint32_t)msg[off] | (uint32_t)msg[off + 1] << 8 |
		       (uint32_t)msg[off + 2] << 16 | (uint32_t)msg[off + 3] << 24;
	uint32_t i = (idx & INDEX_MASK) - 1;

	return i < b->n ? &b->devs[i] : NULL;
}

static void rx(struct bench *b, uint8_t *msg, size_t len, uint64_t now)
{
	struct sim *s = NULL;
	uint8_t cookie[WIRE_MAC_LEN];
	struct session_keys keys;
	struct tlv_msg2 m2;
	struct data_header hdr;
	struct session_rx srx;
	int budget = 1;

	if (len >= WIRE_COOKIE_LEN && msg[0] == WIRE_TYPE_COOKIE) {
		s = dev_of(b, msg, WIRE_COOKIE_OFF_RECEIVER);
		if (!s ||
		    handshake_cookie_consume(&s->hs, &s->server, msg, len, cookie) != PROTO_OK)
			goto stray;
		mac_cookie_store(&s->cookie, cookie, now);
		timers_cookie_received(&s->timers, now, randombytes_random());
		b->st.cookies++;
	} else if (len >= WIRE_RESP_MIN_LEN && msg[0] == WIRE_TYPE_RESPONSE) {
		s = dev_of(b, msg, WIRE_RESP_OFF_RECEIVER);
		if (!s ||
		    handshake_response_consume(&s->hs, &s->id, msg, len, &m2, &keys) != PROTO_OK)
			goto stray;
		if (m2.status == WIRE_STATUS_OK) {
			session_install(&s->sessions, &keys, SESSION_INITIATOR, now, NULL);
			timers_response_ok(&s->timers, now,
					   (uint64_t)m2.keepalive * WIRE_NSEC_PER_SEC);
			timers_rekey_spread(&s->timers, randombytes_random());
			b->st.ok++;
			s->ok_at = now;
			if (!s->online_at) {
				s->online_at = now;
				b->tool_online++;
			}
		} else {
			if (m2.status == WIRE_STATUS_REJECTED)
				session_clear(&s->sessions, NULL);
			timers_response_refused(&s->timers, now, randombytes_random());
			b->st.refused++;
		}
		sodium_memzero(&keys, sizeof(keys));
	} else if (msg[0] == WIRE_TYPE_DATA && data_parse(msg, len, &hdr) == PROTO_OK) {
		s = dev_of(b, msg, WIRE_DATA_OFF_RECEIVER);
		if (!s || session_decrypt(&s->sessions, &hdr, msg, len, msg + WIRE_DATA_OFF_PAYLOAD,
					  len - WIRE_DATA_OFF_PAYLOAD, now, &srx) != PROTO_OK) {
			b->st.data_bad++;
			return;
		}
		timers_data_received(&s->timers, now);
		b->st.ka_rx += srx.len == 0;
		s->ok_at = 0;
	} else {
		goto stray;
	}
	/* the confirming keepalive, or the retry with a cookie, goes at once */
	run_dev(b, (uint32_t)(s - b->devs), now, &budget);
	return;
stray:
	b->st.stray++;
}

static void receive(struct bench *b, int fd)
{
	static uint8_t bufs[RX_BATCH][BUF];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];

	for (;;) {
		uint64_t now;
		int n;

		for (int i = 0; i < RX_BATCH; i++) {
			iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = BUF};
			msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
		}
		n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = mono();
		for (int i = 0; i < n; i++)
			if (msgs[i].msg_len > 0)
				rx(b, bufs[i], msgs[i].msg_len, now);
		if (n < RX_BATCH)
			return;
	}
}

/* One turn: answers first, then what the timers want, message 1s budgeted
 * so a herd of them never starves the answers. */
static void turn(struct bench *b, int wait_ms)
{
	struct epoll_event evs[64];
	uint64_t now;
	int n = epoll_wait(b->ep, evs, 64, wait_ms), budget = HANDSHAKES_PER_TICK;

	for (int i = 0; i < n; i++)
		receive(b, b->socks[evs[i].data.u32]);
	now = mono();
	for (uint32_t k = 0; k < b->n && budget > 0; k++) {
		uint32_t i = (uint32_t)((b->cursor + k) % b->n);

		if (b->devs[i].deadline <= now)
			run_dev(b, i, now, &budget);
		if (budget <= 0)
			b->cursor = i;
	}
}

/* Run turns for ms milliseconds (never past -T): keepalives, rekeys, retries. */
static void run_for(struct bench *b, uint64_t ms)
{
	uint64_t until = mono() + ms * 1000000ULL;

	while (mono() < until && mono() < b->end)
		turn(b, TICK_MS);
}

/* ---- set-up ---- */

/* Fresh keys, or with -K those of an earlier run (a restart of tetherd:
 * the same devices, already enrolled). */
static void make_devices(struct bench *b, FILE *keys)
{
	uint8_t priv[WIRE_KEY_LEN];

	b->devs = calloc(b->n, sizeof(*b->devs));
	if (!b->devs)
		die("no memory for %u devices", b->n);
	for (uint32_t i = 0; i < b->n; i++) {
		struct sim *s = &b->devs[i];

		if (!keys)
			keys_generate(priv);
		else if (fread(priv, sizeof(priv), 1, keys) != 1)
			die("the key file has fewer than %u keys", b->n);
		if (handshake_identity_init(&s->id, priv) != PROTO_OK)
			die("a generated key was refused");
		handshake_peer_init(&s->server, b->server_key);
		if (handshake_peer_precompute(&s->server, &s->id) != PROTO_OK)
			die("the gateway key is of low order");
		session_init(&s->sessions);
		timers_init(&s->timers, TIMERS_AGENT, 0);
		s->sock = i % b->nsocks;
		s->deadline = UINT64_MAX; /* not started */
	}
	sodium_memzero(priv, sizeof(priv));
}

/* -K: the private keys, for a later run against the same registry. */
static void save_keys(const struct bench *b, const char *path)
{
	FILE *f;
	mode_t old = umask(077);

	f = fopen(path, "wx");
	umask(old);
	if (!f)
		die("%s: %s", path, strerror(errno));
	for (uint32_t i = 0; i < b->n; i++)
		if (fwrite(b->devs[i].id.private_key, WIRE_KEY_LEN, 1, f) != 1)
			die("%s: %s", path, strerror(errno));
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

static void make_sockets(struct bench *b, const char *first)
{
	struct in_addr a;
	int size = 1 << 20;

	if (inet_pton(AF_INET, first, &a) != 1)
		die("-b %s: not an IPv4 address", first);
	b->socks = calloc(b->nsocks, sizeof(*b->socks));
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!b->socks || b->ep < 0)
		die("sockets: %s", strerror(errno));
	for (uint32_t i = 0; i < b->nsocks; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(ntohl(a.s_addr) + i)};
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		char s[INET_ADDRSTRLEN];
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket: %s", strerror(errno));
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("bind %s: %s (is it on an interface?)",
			    inet_ntop(AF_INET, &sin.sin_addr, s, sizeof(s)), strerror(errno));
		if (epoll_ctl(b->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll: %s", strerror(errno));
		b->socks[i] = fd;
	}
}

static void parse_server(struct bench *b, const char *arg)
{
	char host[64];
	const char *colon = strrchr(arg, ':');

	if (!colon || (size_t)(colon - arg) >= sizeof(host))
		die("-s %s: want IP:PORT", arg);
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	b->server.sin_family = AF_INET;
	b->server.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &b->server.sin_addr) != 1)
		die("-s %s: want IP:PORT", arg);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_scale keys -n N [-p PREFIX]\n"
		"       bench_scale run -s IP:PORT -k SERVER_PUBKEY -c CONTROL_SOCKET -P "
		"TETHERD_PID\n"
		"                   -n N -b FIRST_ADDR -a NADDRS [-p PREFIX] [-i IDLE_S] [-C "
		"CYCLE_S]\n"
		"                   [-r RECONFIRM_MS] [-K KEYFILE] [-O ONLINE_MAX_S] [-T MAX_S]\n"
		"  keys   prints N \"name pubkey\" lines of fresh keys (the tetherctl comparison)\n"
		"  run    enrolls N devices, brings them online from a cold start, keeps them\n"
		"         alive IDLE_S seconds (30) measuring tetherd's CPU, then on to CYCLE_S\n"
		"         seconds (a rekey period: 120) if given; all online within ONLINE_MAX_S\n"
		"         (120) or it fails; everything within MAX_S (300)\n"
		"  -K     the devices' private keys: written after enrolling them if the file\n"
		"         does not exist; if it does, these devices, already enrolled (restart)\n"
		"  -r     what-if: an agent that sends its confirming keepalive again when\n"
		"         nothing answers it within RECONFIRM_MS (tether-agent does not)\n");
	exit(2);
}

/* ---- the phases ---- */

static void print_keys(struct bench *b)
{
	uint8_t priv[WIRE_KEY_LEN], pub[WIRE_KEY_LEN];
	char name[64], key[KEYS_B64_SIZE];

	for (uint32_t i = 0; i < b->n; i++) {
		keys_generate(priv);
		if (keys_public(pub, priv))
			die("a generated key was refused");
		keys_to_base64(key, pub);
		name_of(b, i, name, sizeof(name));
		printf("%s %s\n", name, key);
	}
	sodium_memzero(priv, sizeof(priv));
}

static void run(struct bench *b, uint64_t idle_s, uint64_t cycle_s, const char *key_path)
{
	uint64_t t0, t1, c0, c1, t_all = 0, next_poll = 0;
	json_int_t online = 0;
	bool polling = false;
	char timeline[2048] = "";
	size_t tl = 0;
	uint64_t next_mark = 0;
	struct mem m0, m1, m2;
	FILE *keys = NULL;
	bool enrolled = false;

	/* -K FILE: its keys if it exists (enrolled by an earlier run), else
	 * fresh ones, saved there after enrollment */
	if (key_path) {
		keys = fopen(key_path, "r");
		if (!keys && errno != ENOENT)
			die("%s: %s", key_path, strerror(errno));
	}
	t0 = mono();
	make_devices(b, keys);
	t1 = mono();
	printf("scale: devices=%u addrs=%u keys_s=%.2f%s\n", b->n, b->nsocks, secs(t1 - t0),
	       keys ? " (enrolled by an earlier run)" : "");

	ctl_open(b);
	if (keys) {
		fclose(keys);
		if (status_now(b, "total") != b->n)
			die("tetherd does not have the %u devices of %s", b->n, key_path);
		m0 = m1 = mem_read(b->pid);
	} else {
		if (status_now(b, "total") != 0)
			die("tetherd already has devices: the benchmark wants an empty registry");
		m0 = mem_read(b->pid);
		t0 = mono();
		enroll(b);
		t1 = mono();
		m1 = mem_read(b->pid);
		printf("scale: enroll devices=%u s=%.2f per_s=%.0f (device.add by key, %d in "
		       "flight "
		       "on one connection)\n",
		       b->n, secs(t1 - t0), b->n / secs(t1 - t0), ENROLL_WINDOW);
		enrolled = true;
		if (key_path)
			save_keys(b, key_path);
	}
	fflush(stdout);

	/* cold start: every device's first attempt is due now */
	c0 = cpu_ns(b->pid);
	t0 = mono();
	for (uint32_t i = 0; i < b->n; i++)
		b->devs[i].deadline = t0;
	while (mono() < b->end && mono() < t0 + b->online_max) {
		uint64_t now;

		turn(b, 1);
		now = mono();
		if (polling) {
			json_t *a = ctl_answer(b, 0);

			if (a) {
				online = status_field(a, "online");
				json_decref(a);
				polling = false;
				/* tetherd's count once a second, as "seconds:online" */
				if (now >= next_mark && tl < sizeof(timeline) - 32) {
					tl += (size_t)snprintf(timeline + tl, sizeof(timeline) - tl,
							       "%s%.0f:%" PRId64, tl ? "," : "",
							       secs(now - t0), (int64_t)online);
					next_mark = now + WIRE_NSEC_PER_SEC;
				}
				if ((uint64_t)online >= b->n) {
					t_all = now;
					break;
				}
			}
		} else if (now >= next_poll) {
			ctl_send(b, json_pack("{s:s}", "cmd", "status"));
			polling = true;
			next_poll = now + POLL_MS * 1000000ULL;
		}
	}
	c1 = cpu_ns(b->pid);
	if (polling)
		json_decref(ctl_answer(b, CTL_TIMEOUT_MS));
	if (!t_all) {
		printf("scale: online FAILED: %" PRId64
		       " of %u online as tetherd counts, %u as the "
		       "tool does, after %.1f s\n",
		       (int64_t)online, b->n, b->tool_online, secs(mono() - t0));
		printf("scale: messages msg1=%" PRIu64 " cookies=%" PRIu64 " ok=%" PRIu64
		       " refused=%" PRIu64 " (RETRY_LATER included)\n",
		       b->st.msg1, b->st.cookies, b->st.ok, b->st.refused);
		exit(1);
	}
	{
		uint64_t last = 0;

		for (uint32_t i = 0; i < b->n; i++)
			if (b->devs[i].online_at > last)
				last = b->devs[i].online_at;
		/* s: all online as tetherd counts them (it needs the confirming
		 * keepalive); ok_s: the last device's first OK, as the tool saw it */
		printf("scale: online devices=%u s=%.2f online_per_s=%.0f ok_s=%.2f "
		       "handshakes_per_s=%.0f msg1=%" PRIu64 " cookies=%" PRIu64 " refused=%" PRIu64
		       " stale_answers=%" PRIu64 " tetherd_cpu_s=%.2f cpu_ms_per_handshake=%.3f\n",
		       b->n, secs(t_all - t0), b->n / secs(t_all - t0), secs(last - t0),
		       b->n / secs(last - t0), b->st.msg1, b->st.cookies, b->st.refused,
		       b->st.stray, secs(c1 - c0), secs(c1 - c0) * 1000.0 / (double)b->st.ok);
		printf("scale: online_timeline s:online %s,%.1f:%u\n", timeline, secs(t_all - t0),
		       b->n);
		fflush(stdout);
	}

	/* settle (late keepalives, the registry's write of last handshakes
	 * comes once a minute), then memory, then the idle window */
	run_for(b, 3000);
	m2 = mem_read(b->pid);
	if (!enrolled) {
		/* a restart: tetherd began with every device registered */
		printf("scale: memory_kb rss_started=%ld rss_online=%ld\n", m0.rss, m2.rss);
	} else {
		printf("scale: memory_kb rss_before=%ld rss_enrolled=%ld rss_online=%ld "
		       "anon_before=%ld anon_online=%ld kernel_delta_kb=%ld\n",
		       m0.rss, m1.rss, m2.rss, m0.anon, m2.anon, m2.kernel - m0.kernel);
		printf("scale: memory_per_device_bytes registered=%.0f online=%.0f kernel=%.0f\n",
		       (double)(m1.rss - m0.rss) * 1024.0 / b->n,
		       (double)(m2.rss - m0.rss) * 1024.0 / b->n,
		       (double)(m2.kernel - m0.kernel) * 1024.0 / b->n);
	}
	fflush(stdout);
	if (idle_s) {
		struct stats s0 = b->st;
		uint64_t w0 = mono(), w1, cc;
		json_int_t low;

		c0 = cpu_ns(b->pid);
		run_for(b, idle_s * 1000);
		c1 = cpu_ns(b->pid);
		w1 = mono();
		online = status_now(b, "online");
		printf("scale: idle s=%.1f tetherd_cpu_pct=%.2f keepalives_tx=%" PRIu64
		       " keepalives_rx=%" PRIu64 " handshakes=%" PRIu64 " online_after=%" PRId64
		       "\n",
		       secs(w1 - w0), 100.0 * (double)(c1 - c0) / (double)(w1 - w0),
		       b->st.ka_tx - s0.ka_tx, b->st.ka_rx - s0.ka_rx, b->st.msg1 - s0.msg1,
		       (int64_t)online);
		/* -c: on to a whole rekey period (120 s), the steady state: every
		 * session is replaced once; tetherd's online count sampled each
		 * second, its lowest reported */
		if (cycle_s > idle_s) {
			low = online;
			while (mono() < w0 + cycle_s * WIRE_NSEC_PER_SEC && mono() < b->end) {
				run_for(b, 1000);
				online = status_now(b, "online");
				if (online < low)
					low = online;
			}
			cc = cpu_ns(b->pid);
			w1 = mono();
			printf("scale: cycle s=%.1f tetherd_cpu_pct=%.2f handshakes=%" PRIu64
			       " ok=%" PRIu64 " cookies=%" PRIu64 " keepalives_tx=%" PRIu64
			       " online_lowest=%" PRId64 " online_after=%" PRId64 "\n",
			       secs(w1 - w0), 100.0 * (double)(cc - c0) / (double)(w1 - w0),
			       b->st.msg1 - s0.msg1, b->st.ok - s0.ok, b->st.cookies - s0.cookies,
			       b->st.ka_tx - s0.ka_tx, (int64_t)low, (int64_t)online);
		}
	}
	printf("scale: totals msg1=%" PRIu64 " cookies=%" PRIu64 " ok=%" PRIu64 " refused=%" PRIu64
	       " keepalives_tx=%" PRIu64 " keepalives_rx=%" PRIu64 " bad_data=%" PRIu64
	       " stray=%" PRIu64 " send_failed=%" PRIu64 " reconfirms=%" PRIu64 "\n",
	       b->st.msg1, b->st.cookies, b->st.ok, b->st.refused, b->st.ka_tx, b->st.ka_rx,
	       b->st.data_bad, b->st.stray, b->st.send_fail, b->st.reconfirms);
	if (mono() >= b->end)
		die("ran out of time (-T)");
}

int main(int argc, char **argv)
{
	struct bench b = {.prefix = "sc", .pid = -1, .online_max = 120 * WIRE_NSEC_PER_SEC};
	const char *first = NULL, *cmd;
	uint64_t idle_s = 30, max_s = 300, cycle_s = 0;
	const char *key_path = NULL;
	long v;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "s:k:c:P:n:b:a:p:i:C:r:K:O:T:")) != -1) {
		switch (c) {
		case 's':
			parse_server(&b, optarg);
			break;
		case 'k':
			if (keys_from_base64(b.server_key, optarg))
				die("-k: not a base64 public key");
			break;
		case 'c':
			b.ctl_path = optarg;
			break;
		case 'P':
			b.pid = atoi(optarg);
			break;
		case 'n':
			v = atol(optarg);
			if (v < 1 || v > MAX_DEVICES)
				die("-n %s: 1 to %d", optarg, MAX_DEVICES);
			b.n = (uint32_t)v;
			break;
		case 'b':
			first = optarg;
			break;
		case 'a':
			v = atol(optarg);
			if (v < 1 || v > MAX_ADDRS)
				die("-a %s: 1 to %d", optarg, MAX_ADDRS);
			b.nsocks = (uint32_t)v;
			break;
		case 'p':
			b.prefix = optarg;
			break;
		case 'i':
			idle_s = (uint64_t)atol(optarg);
			break;
		case 'C':
			cycle_s = (uint64_t)atol(optarg);
			break;
		case 'r':
			b.reconfirm = (uint64_t)atol(optarg) * 1000000ULL;
			break;
		case 'K':
			key_path = optarg;
			break;
		case 'O':
			b.online_max = (uint64_t)atol(optarg) * WIRE_NSEC_PER_SEC;
			break;
		case 'T':
			max_s = (uint64_t)atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (sodium_init() < 0)
		die("libsodium failed to start");
	if (!b.n || strlen(b.prefix) > 20)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "keys")) {
		print_keys(&b);
		return 0;
	}
	if (strcmp(cmd, "run") || !b.server.sin_port || !b.ctl_path || b.pid <= 0 || !first ||
	    !b.nsocks)
		usage();
	b.end = mono() + max_s * WIRE_NSEC_PER_SEC;
	make_sockets(&b, first);
	run(&b, idle_s, cycle_s, key_path);
	control_client_close(&b.ctl);
	return 0;
}
