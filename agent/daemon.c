/* The daemon: configuration, the state_dir lock, signals through a
 * signalfd, and one epoll loop over the UDP socket, the TUN, the name
 * lookup's eventfd and the timers. Per packet it touches one static buffer
 * and fixed counters: no allocation, no log line.
 *
 *   TUN read  -> tunnel_encrypt -> sendto(gateway)            (device's answers, unfiltered)
 *   UDP read  -> tunnel_decrypt -> inner_parse -> for us? -> expose_check -> TUN write
 */
#include "agent/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/endpoint.h"
#include "agent/netif.h"
#include "agent/status.h"
#include "agent/tunnel.h"
#include "common/agent_config.h"
#include "common/evloop.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "common/notify.h"
#include "policy/expose.h"
#include "proto/inner.h"
#include "proto/keys.h"

enum {
	/* a data message of the largest inner MTU, with padding and tag */
	BUF_SIZE = WIRE_DATA_OFF_PAYLOAD + WIRE_MTU_MAX + WIRE_DATA_PAD + WIRE_TAG_LEN,
	BATCH = 64,	      /* packets per wake-up and direction, then the other's turn */
	TIMER_ROUNDS = 4,     /* actions done per tick; each moves its own deadline */
	MAX_SLEEP_MS = 60000, /* wake up at least this often */
	ERR_MAX = 1024,
	PID_FILE_MAX = CONF_PATH_MAX + 8,
};

#define LOOKUP_BUDGET	(5 * WIRE_NSEC_PER_SEC) /* then try the last known address */
#define STATUS_INTERVAL (1 * WIRE_NSEC_PER_SEC) /* counters in the status file */

_Static_assert((size_t)BUF_SIZE >= (size_t)WIRE_RESP_MAX_LEN &&
		       (size_t)BUF_SIZE >= (size_t)WIRE_INIT_MAX_LEN,
	       "handshake messages fit the buffer");

/* Drops that are neither a protocol reason nor an exposure verdict, with
 * their names in the status file. */
enum drop_local {
	DROP_NO_SESSION, /* a packet from the device while no session is live */
	DROP_NOT_FOR_US, /* an inner packet for another address than ours */
	DROP_TUN_WRITE,	 /* the TUN refused it (queue full) */
	DROP_SEND,	 /* sendto failed */
	DROP_OVERSIZE,	 /* a datagram larger than any message */
	DROP_LOCAL_COUNT,
};

static const char *const local_names[DROP_LOCAL_COUNT] = {
	[DROP_NO_SESSION] = "no_session", [DROP_NOT_FOR_US] = "not_for_us",
	[DROP_TUN_WRITE] = "tun_write",	  [DROP_SEND] = "send",
	[DROP_OVERSIZE] = "oversize",
};

struct counters {
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
	uint64_t keepalives_rx, keepalives_tx;
	uint64_t proto[PROTO_REASON_COUNT];
	uint64_t expose[EXPOSE_VERDICT_COUNT];
	uint64_t local[DROP_LOCAL_COUNT];
	uint64_t drops, filtered;
};

struct agent {
	const struct cli *cli;
	char config[PATH_MAX]; /* absolute: the daemon leaves its directory */
	struct agent_config cfg;
	struct evloop loop;
	struct evloop_handler sig_h, tun_h, lookup_h;
	struct evloop_handler udp_h[2]; /* IPv4, IPv6 */
	int sigfd;
	int pidfd; /* state_dir/pid, locked while we run */
	char pid_path[PID_FILE_MAX + 1];
	bool stop, reload;

	/* remote access (server is not none) */
	bool remote;
	struct expose expose;
	struct tunnel tun;
	struct endpoint ep;
	struct netif nif;
	int udp[2]; /* one socket per family, made when first needed: a gateway
		     * name may resolve to either while a session runs on one */
	bool link_up;
	bool resolving;	  /* a lookup for the attempt due is in flight */
	bool lookup_done; /* ... and has ended: the attempt may go */
	uint64_t lookup_deadline;
	uint32_t unanswered; /* attempts in a row without any answer */
	struct sockaddr_storage attempt_addr, data_addr;
	socklen_t attempt_len, data_len;
	struct tlv_msg2 m2; /* of the current session */
	bool has_m2;
	bool configured; /* the TUN holds m2's addresses and MTU */
	uint64_t last_handshake; /* Unix seconds */
	char last_error[STATUS_ERROR_MAX + 1];
	struct counters c;

	/* the status file */
	char status_path[STATUS_PATH_MAX + 1];
	enum status_state state;
	bool status_dirty;
	bool status_failing;
	uint64_t status_written;
	uint64_t status_events; /* packets counted at the last write */
	struct log_ratelimit rl;

	uint8_t buf[BUF_SIZE] __attribute__((aligned(16)));
};

/* Static: the packet buffer lives in BSS, and pages never touched (a
 * jumbo MTU that is not in use) cost no memory. */
static struct agent agent;

static uint64_t wall_sec(void)
{
	return evloop_wall_ns() / WIRE_NSEC_PER_SEC;
}

static void set_error(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct agent *a, const char *fmt, ...)
{
	char msg[STATUS_ERROR_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	status_set_text(a->last_error, sizeof(a->last_error), msg, strlen(msg));
	a->status_dirty = true;
}

/* ---- counters: the per-packet drop paths ---- */

static void drop_proto(struct agent *a, enum proto_reason r)
{
	a->c.proto[(unsigned)r < PROTO_REASON_COUNT ? r : PROTO_BAD_TYPE]++;
	a->c.drops++;
	if (log_enabled(LOG_LEVEL_DEBUG) && log_ratelimit(&a->rl, evloop_now()))
		log_debug("dropped a message: %s", proto_reason_str(r));
}

static void drop_local(struct agent *a, enum drop_local d)
{
	a->c.local[d]++;
	a->c.drops++;
}

/* ---- status ---- */

static enum status_state state_of(const struct agent *a)
{
	if (!a->remote)
		return a->cfg.server.none ? STATUS_DISABLED : STATUS_STOPPED;
	if (a->link_up)
		return STATUS_CONNECTED;
	return a->tun.timers.failures ? STATUS_BACKING_OFF : STATUS_CONNECTING;
}

/* "reason:count,..." for every non-zero drop counter; what fits. */
static void drop_reasons(const struct agent *a, char *out, size_t size)
{
	size_t o = 0;
	int n;

#define REASON(name, count)                                                                        \
	do {                                                                                       \
		if (!(count))                                                                      \
			break;                                                                     \
		n = snprintf(out + o, size - o, "%s%s:%llu", o ? "," : "", name,                   \
			     (unsigned long long)(count));                                         \
		if (n < 0 || (size_t)n >= size - o)                                                \
			return;                                                                    \
		o += (size_t)n;                                                                    \
	} while (0)

	out[0] = '\0';
	for (int i = 0; i < PROTO_REASON_COUNT; i++)
		REASON(proto_reason_str((enum proto_reason)i), a->c.proto[i]);
	for (int i = 0; i < EXPOSE_VERDICT_COUNT; i++)
		REASON(expose_verdict_str((enum expose_verdict)i), a->c.expose[i]);
	for (int i = 0; i < DROP_LOCAL_COUNT; i++)
		REASON(local_names[i], a->c.local[i]);
#undef REASON
}

static void fill_status(const struct agent *a, struct agent_status *st, uint64_t now)
{
	memset(st, 0, sizeof(*st));
	st->state = a->stop ? STATUS_STOPPED : state_of(a);
	st->pid = getpid();
	st->updated = wall_sec();
	if (a->cfg.server.none)
		return;
	status_set_text(st->name, sizeof(st->name), a->cfg.name, sizeof(a->cfg.name));
	status_set_text(st->interface, sizeof(st->interface), a->cfg.interface,
			sizeof(a->cfg.interface));
	endpoint_server_str(&a->ep, st->server, sizeof(st->server));
	if (a->data_len)
		endpoint_format(&a->data_addr, st->endpoint, sizeof(st->endpoint));
	else if (a->attempt_len)
		endpoint_format(&a->attempt_addr, st->endpoint, sizeof(st->endpoint));
	if (a->has_m2 && a->link_up) {
		inet_ntop(AF_INET, a->m2.addr4, st->address, sizeof(st->address));
		inet_ntop(AF_INET, a->m2.peer4, st->peer, sizeof(st->peer));
		if (a->m2.has_addr6)
			inet_ntop(AF_INET6, a->m2.addr6, st->address6, sizeof(st->address6));
		st->mtu = a->m2.mtu;
		st->keepalive = a->m2.keepalive;
	}
	if (a->has_m2)
		status_set_text(st->url, sizeof(st->url), a->m2.url, a->m2.url_len);
	st->last_handshake = a->last_handshake;
	if (st->state == STATUS_BACKING_OFF && a->tun.timers.next_handshake > now)
		st->next_attempt =
			st->updated + (a->tun.timers.next_handshake - now) / WIRE_NSEC_PER_SEC;
	if (st->state != STATUS_CONNECTED)
		memcpy(st->last_error, a->last_error, sizeof(st->last_error));
	st->handshakes = a->tun.handshakes;
	st->rx_bytes = a->c.rx_bytes;
	st->rx_packets = a->c.rx_packets;
	st->tx_bytes = a->c.tx_bytes;
	st->tx_packets = a->c.tx_packets;
	st->drops = a->c.drops;
	st->filtered = a->c.filtered;
	drop_reasons(a, st->drop_reasons, sizeof(st->drop_reasons));
}

static uint64_t status_events(const struct agent *a)
{
	return a->c.rx_packets + a->c.tx_packets + a->c.drops + a->c.keepalives_rx +
	       a->c.keepalives_tx;
}

/* On a change of state at once; for counters at most once a second. */
static void status_tick(struct agent *a, uint64_t now, bool force)
{
	struct agent_status st;
	char err[ERR_MAX];
	enum status_state state = state_of(a);

	if (state != a->state) {
		a->state = state;
		a->status_dirty = true;
	}
	if (!force && !a->status_dirty &&
	    (status_events(a) == a->status_events || now < a->status_written + STATUS_INTERVAL))
		return;
	fill_status(a, &st, now);
	if (status_write(a->status_path, &st, err, sizeof(err))) {
		/* once, not every second: a full or read-only disk is no news */
		if (!a->status_failing)
			log_err("%s", err);
		a->status_failing = true;
	} else {
		a->status_failing = false;
	}
	a->status_dirty = false;
	a->status_written = now;
	a->status_events = status_events(a);
}

/* ---- the UDP socket ---- */

static void on_udp4(struct evloop_handler *h, uint32_t events);
static void on_udp6(struct evloop_handler *h, uint32_t events);

static int family_slot(int family)
{
	return family == AF_INET6;
}

/* The socket for the family of the address to send to. */
static int ensure_socket(struct agent *a, int family)
{
	int i = family_slot(family), fd, ret;

	if (a->udp[i] >= 0)
		return 0;
	fd = endpoint_socket(family);
	if (fd < 0)
		return fd;
	ret = evloop_add(&a->loop, &a->udp_h[i], fd, EPOLLIN, i ? on_udp6 : on_udp4);
	if (ret) {
		close(fd);
		return ret;
	}
	a->udp[i] = fd;
	return 0;
}

static void close_sockets(struct agent *a)
{
	for (int i = 0; i < 2; i++) {
		if (a->udp[i] < 0)
			continue;
		if (evloop_del(&a->loop, &a->udp_h[i]))
			log_warn("cannot unregister a UDP socket");
		close(a->udp[i]);
		a->udp[i] = -1;
	}
}

static int send_to(struct agent *a, const struct sockaddr_storage *to, socklen_t len, size_t n)
{
	int fd = a->udp[family_slot(to->ss_family)];

	if (fd < 0)
		return -EBADF;
	if (sendto(fd, a->buf, n, MSG_DONTWAIT, (const struct sockaddr *)to, len) < 0)
		return -errno;
	return 0;
}

/* ---- handshakes ---- */

/* Make the attempt the timers want: after the name lookup (if the server
 * is a name) has ended or run out of time. False while it still runs. */
static bool handshake(struct agent *a, uint64_t now)
{
	char err[ERR_MAX], where[ENDPOINT_STR_MAX];
	const struct sockaddr_storage *addr;
	socklen_t alen;
	size_t len;
	int ret;

	if (!a->ep.literal && !a->lookup_done) {
		if (a->resolving)
			return false;
		ret = endpoint_lookup_start(&a->ep);
		if (ret == 0) {
			a->resolving = true;
			a->lookup_deadline = now + LOOKUP_BUDGET;
			return false;
		}
		/* -EALREADY: an earlier lookup still hangs; go with what we know */
		if (ret != -EALREADY)
			log_warn("cannot start a lookup of %s: %s", a->ep.host, strerror(-ret));
	}
	a->lookup_done = false;
	if (a->unanswered && a->ep.addrs.count > 1)
		a->ep.cur = a->unanswered % a->ep.addrs.count;
	addr = endpoint_addr(&a->ep, &alen);
	if (!addr) {
		if (!a->last_error[0])
			set_error(a, "no address for %s", a->ep.host);
		tunnel_attempt_failed(&a->tun, now);
		return true;
	}
	endpoint_format(addr, where, sizeof(where));
	ret = ensure_socket(a, addr->ss_family);
	if (ret) {
		log_err("cannot open a UDP socket for %s: %s", where, strerror(-ret));
		set_error(a, "cannot open a UDP socket: %s", strerror(-ret));
		tunnel_attempt_failed(&a->tun, now);
		return true;
	}
	ret = tunnel_initiation(&a->tun, now, evloop_wall_ns(), a->buf, sizeof(a->buf), &len, err,
				sizeof(err));
	if (ret) {
		log_err("no handshake possible: %s", err);
		set_error(a, "%s", err);
		return true;
	}
	memcpy(&a->attempt_addr, addr, alen);
	a->attempt_len = alen;
	a->unanswered++;
	if (a->unanswered == 3)
		log_warn("no answer from %s yet: the gateway may be down or unreachable, or its "
			 "server_key wrong; retrying with backoff",
			 where);
	if (a->unanswered > 1)
		set_error(a, "no answer from %s", where);
	ret = send_to(a, addr, alen, len);
	if (ret) {
		drop_local(a, DROP_SEND);
		if (log_ratelimit(&a->rl, now))
			log_warn("cannot send a handshake to %s: %s", where, strerror(-ret));
		set_error(a, "cannot send to %s: %s", where, strerror(-ret));
		return true;
	}
	log_debug("handshake sent to %s", where);
	return true;
}

static void keepalive(struct agent *a, uint64_t now)
{
	size_t len;
	enum proto_reason r = tunnel_keepalive(&a->tun, a->buf, sizeof(a->buf), now, &len);

	/* a session REJECTED dropped is still live to the timers: nothing to send */
	if (r == PROTO_SESSION_EXPIRED)
		return;
	if (r != PROTO_OK) {
		drop_proto(a, r);
		return;
	}
	if (send_to(a, &a->data_addr, a->data_len, len)) {
		drop_local(a, DROP_SEND);
		return;
	}
	a->c.keepalives_tx++;
}

static bool same_addresses(const struct tlv_msg2 *x, const struct tlv_msg2 *y)
{
	return !memcmp(x->addr4, y->addr4, 4) && !memcmp(x->peer4, y->peer4, 4) &&
	       x->mtu == y->mtu && x->has_addr6 == y->has_addr6 && x->has_peer6 == y->has_peer6 &&
	       !memcmp(x->addr6, y->addr6, 16) && !memcmp(x->peer6, y->peer6, 16);
}

static void answered_ok(struct agent *a, const struct tlv_msg2 *m2)
{
	char err[ERR_MAX];
	int ret;

	/* a failed configuration is tried again at the next OK, even with the
	 * same addresses */
	if (!a->has_m2 || !a->configured || !same_addresses(&a->m2, m2)) {
		ret = netif_configure(&a->nif, m2, err, sizeof(err));
		a->configured = !ret;
		if (ret)
			log_err("%s", err);
	}
	a->m2 = *m2;
	a->has_m2 = true;
	memcpy(&a->data_addr, &a->attempt_addr, a->attempt_len);
	a->data_len = a->attempt_len;
	a->last_handshake = wall_sec();
	a->last_error[0] = '\0';
	a->status_dirty = true;
}

static void rx_handshake(struct agent *a, size_t n, uint64_t now)
{
	char where[ENDPOINT_STR_MAX], wait[32];
	struct tlv_msg2 m2;
	enum proto_reason why;
	enum tunnel_answer ans = tunnel_answer(&a->tun, a->buf, n, now, &m2, &why);
	uint64_t next = a->tun.timers.next_handshake;

	if (ans == TUNNEL_DROPPED) {
		drop_proto(a, why);
		return;
	}
	a->unanswered = 0;
	endpoint_format(&a->attempt_addr, where, sizeof(where));
	snprintf(wait, sizeof(wait), "%llu s",
		 (unsigned long long)((next > now ? next - now : 0) / WIRE_NSEC_PER_SEC));
	switch (ans) {
	case TUNNEL_OK:
		answered_ok(a, &m2);
		log_debug("handshake with %s complete", where);
		break;
	case TUNNEL_COOKIE:
		log_debug("%s is under load: sending again with its cookie", where);
		break;
	case TUNNEL_REJECTED:
		log_warn("%s refused device %s (REJECTED): the key is not enrolled, the name is "
			 "bound to another key, or the device is disabled; next attempt in %s",
			 where, a->cfg.name, wait);
		set_error(a, "refused by %s (REJECTED)", where);
		break;
	case TUNNEL_RETRY_LATER:
	default:
		log_notice("%s cannot serve now (RETRY_LATER); next attempt in %s", where, wait);
		set_error(a, "%s asked to retry later", where);
		break;
	}
}

/* ---- the data path ---- */

static bool for_us(const struct agent *a, const struct inner_packet *pkt)
{
	const uint8_t *dst = inner_dst(pkt);

	if (pkt->version == 4)
		return !memcmp(dst, a->m2.addr4, INNER_IPV4_ADDR_LEN);
	return a->m2.has_addr6 && !memcmp(dst, a->m2.addr6, INNER_IPV6_ADDR_LEN);
}

static void rx_data(struct agent *a, size_t n, uint64_t now)
{
	struct inner_packet pkt;
	enum expose_verdict v;
	enum proto_reason r;
	size_t plain;

	r = tunnel_decrypt(&a->tun, a->buf, n, now, &plain);
	if (r != PROTO_OK) {
		drop_proto(a, r);
		return;
	}
	if (!plain) {
		a->c.keepalives_rx++;
		return;
	}
	r = inner_parse(a->buf + WIRE_DATA_OFF_PAYLOAD, plain, &pkt);
	if (r != PROTO_OK) {
		drop_proto(a, r);
		return;
	}
	if (pkt.version == 6 && !a->m2.has_addr6) {
		drop_proto(a, PROTO_INNER_NO_IPV6);
		return;
	}
	if (!a->has_m2 || !for_us(a, &pkt)) {
		drop_local(a, DROP_NOT_FOR_US);
		return;
	}
	/* only the exposed ports (and ICMP echo) reach the device */
	v = expose_check(&a->expose, pkt.data, pkt.len);
	if (v != EXPOSE_PASS) {
		a->c.expose[(unsigned)v < EXPOSE_VERDICT_COUNT ? v : EXPOSE_DROP_PROTOCOL]++;
		a->c.filtered++;
		a->c.drops++;
		return;
	}
	if (write(a->nif.tun.fd, pkt.data, pkt.len) != (ssize_t)pkt.len) {
		drop_local(a, DROP_TUN_WRITE);
		return;
	}
	a->c.rx_packets++;
	a->c.rx_bytes += pkt.len;
}

static void rx_socket(struct agent *a, int fd)
{
	uint64_t now = evloop_now();

	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(fd, a->buf, sizeof(a->buf), MSG_TRUNC | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && log_ratelimit(&a->rl, now))
				log_warn("cannot read the UDP socket: %s", strerror(errno));
			break;
		}
		if ((size_t)n > sizeof(a->buf)) {
			drop_local(a, DROP_OVERSIZE);
			continue;
		}
		if (n == 0) {
			drop_proto(a, PROTO_BAD_LENGTH);
			continue;
		}
		if (a->buf[0] == WIRE_TYPE_DATA)
			rx_data(a, (size_t)n, now);
		else
			rx_handshake(a, (size_t)n, now);
	}
}

static void on_udp4(struct evloop_handler *h, uint32_t events)
{
	(void)events;
	rx_socket(container_of(h, struct agent, udp_h[0]), h->fd);
}

static void on_udp6(struct evloop_handler *h, uint32_t events)
{
	(void)events;
	rx_socket(container_of(h, struct agent, udp_h[1]), h->fd);
}

static void on_tun(struct evloop_handler *h, uint32_t events)
{
	struct agent *a = container_of(h, struct agent, tun_h);
	uint64_t now = evloop_now();
	/* room for the header before and the padding and tag after */
	size_t room = sizeof(a->buf) - WIRE_DATA_OFF_PAYLOAD - WIRE_TAG_LEN;

	(void)events;
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = read(a->nif.tun.fd, a->buf + WIRE_DATA_OFF_PAYLOAD, room);
		enum proto_reason r;
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && log_ratelimit(&a->rl, now))
				log_warn("cannot read %s: %s", a->nif.tun.ifname, strerror(errno));
			break;
		}
		if (!a->link_up || !a->has_m2) {
			drop_local(a, DROP_NO_SESSION);
			continue;
		}
		/* the device's own traffic and answers go out unfiltered */
		r = tunnel_encrypt(&a->tun, a->buf, sizeof(a->buf), (size_t)n, a->m2.mtu, now,
				   &len);
		if (r != PROTO_OK) {
			drop_proto(a, r);
			continue;
		}
		if (send_to(a, &a->data_addr, a->data_len, len)) {
			drop_local(a, DROP_SEND);
			continue;
		}
		a->c.tx_packets++;
		a->c.tx_bytes += (uint64_t)n;
	}
}

static void on_lookup(struct evloop_handler *h, uint32_t events)
{
	struct agent *a = container_of(h, struct agent, lookup_h);
	char err[ERR_MAX];
	int ret;

	(void)events;
	ret = endpoint_lookup_finish(&a->ep, err, sizeof(err));
	if (ret == -EAGAIN)
		return;
	if (ret) {
		log_warn("%s", err);
		set_error(a, "%s", err);
	}
	if (a->resolving) {
		a->resolving = false;
		a->lookup_done = true;
	}
}

/* ---- timers and the link ---- */

static void update_link(struct agent *a, uint64_t now)
{
	char err[ERR_MAX], where[ENDPOINT_STR_MAX], addr[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	bool online = tunnel_online(&a->tun, now);
	int ret;

	if (online == a->link_up)
		return;
	ret = netif_set_up(&a->nif, online, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		if (online)
			return; /* try again at the next tick */
	}
	a->link_up = online;
	a->status_dirty = true;
	endpoint_format(&a->data_addr, where, sizeof(where));
	if (online) {
		inet_ntop(AF_INET, a->m2.addr4, addr, sizeof(addr));
		inet_ntop(AF_INET, a->m2.peer4, peer, sizeof(peer));
		log_notice("connected to %s: %s is %s peer %s, mtu %u, keepalive %u s", where,
			   a->nif.tun.ifname, addr, peer, a->m2.mtu, a->m2.keepalive);
	} else {
		log_notice("session with %s ended (no new handshake in time): %s down", where,
			   a->nif.tun.ifname);
	}
}

static void tick(struct agent *a)
{
	uint64_t now = evloop_now();

	if (a->remote) {
		if (a->resolving && now >= a->lookup_deadline) {
			log_warn("looking up %s takes over %llu s: trying the last known address",
				 a->ep.host,
				 (unsigned long long)(LOOKUP_BUDGET / WIRE_NSEC_PER_SEC));
			a->resolving = false;
			a->lookup_done = true;
		}
		for (int i = 0; i < TIMER_ROUNDS; i++) {
			enum timers_action act = tunnel_next(&a->tun, now);

			if (act == TIMERS_SEND_HANDSHAKE) {
				if (!handshake(a, now))
					break;
			} else if (act == TIMERS_SEND_KEEPALIVE) {
				keepalive(a, now);
			} else {
				break;
			}
		}
		update_link(a, now);
	}
	status_tick(a, now, false);
}

/* How long the loop may sleep. */
static int sleep_ms(const struct agent *a)
{
	uint64_t now = evloop_now(), due = UINT64_MAX, ms;

	if (a->remote) {
		if (a->resolving) {
			/* the due attempt waits for the lookup, not for a deadline */
			due = a->lookup_deadline;
			if (session_deadline(&a->tun.sessions) < due)
				due = session_deadline(&a->tun.sessions);
		} else {
			due = tunnel_deadline(&a->tun, now);
		}
	}
	if (a->status_dirty || status_events(a) != a->status_events) {
		uint64_t s = a->status_written + STATUS_INTERVAL;

		if (s < due)
			due = s;
	}
	if (due <= now)
		return 0;
	ms = (due - now + 999999) / 1000000;
	return ms > MAX_SLEEP_MS ? MAX_SLEEP_MS : (int)ms;
}

/* ---- setup and teardown ---- */

/* What -n checks and what start and reload need: the key, the exposure
 * list, a usable state_dir. */
static int check_config(const struct agent_config *cfg, struct expose *e, char *err, size_t errlen)
{
	uint8_t priv[WIRE_KEY_LEN], pub[WIRE_KEY_LEN];
	char why[CONF_ERR_MAX];
	struct stat st;
	int ret = 0;

	if (cfg->server.none)
		goto out;
	ret = keyfile_read(cfg->private_key, priv, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "private key: %s", why);
		goto out;
	}
	ret = keys_public(pub, priv);
	if (ret) {
		snprintf(err, errlen, "private key %s: not a usable X25519 key", cfg->private_key);
		goto out;
	}
	ret = expose_parse(e, cfg->expose, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "expose: %s", why);
		goto out;
	}
	if (stat(cfg->state_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		ret = -ENOTDIR;
		snprintf(err, errlen, "state_dir %s: not a directory", cfg->state_dir);
	} else if (stat(cfg->state_dir, &st) == 0 && access(cfg->state_dir, W_OK | X_OK)) {
		ret = -errno;
		snprintf(err, errlen, "state_dir %s: %s", cfg->state_dir, strerror(-ret));
	}
out:
	sodium_memzero(priv, sizeof(priv));
	return ret;
}

/* mkdir -p, mode 0700 for what it makes: the stamps are the agent's own. */
static int make_dir(const char *path, char *err, size_t errlen)
{
	char p[CONF_PATH_MAX + 1];
	size_t len = strlen(path);
	int ret = 0;

	if (len >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, path, len + 1);
	for (size_t i = 1; i <= len && !ret; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) && errno != EEXIST) {
			ret = -errno;
			snprintf(err, errlen, "cannot create %s: %s", p, strerror(-ret));
		}
		p[i] = path[i];
	}
	return ret;
}

/* state_dir/pid, locked: one daemon per state_dir. */
static int lock_state_dir(struct agent *a, const char *state_dir, char *err, size_t errlen)
{
	char pid[24];
	int fd, ret, n;

	ret = make_dir(state_dir, err, errlen);
	if (ret)
		goto out;
	snprintf(a->pid_path, sizeof(a->pid_path), "%s/pid", state_dir);
	fd = open(a->pid_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", a->pid_path, strerror(-ret));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		snprintf(err, errlen, "another tether-agent runs with state_dir %s (%s is locked)",
			 state_dir, a->pid_path);
		close(fd);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write %s: %s", a->pid_path, strerror(errno));
	if (a->pidfd >= 0)
		close(a->pidfd);
	a->pidfd = fd;
	snprintf(a->status_path, sizeof(a->status_path), "%s/%s", state_dir, STATUS_FILE);
out:
	return ret;
}

static void remote_stop(struct agent *a)
{
	if (!a->remote)
		return;
	close_sockets(a);
	if (evloop_del(&a->loop, &a->tun_h) || evloop_del(&a->loop, &a->lookup_h))
		log_warn("cannot unregister the TUN or the lookup");
	netif_close(&a->nif);
	endpoint_free(&a->ep);
	tunnel_clear(&a->tun);
	a->remote = false;
	a->link_up = a->has_m2 = a->configured = a->resolving = a->lookup_done = false;
	a->unanswered = 0;
	a->attempt_len = a->data_len = 0;
	a->last_error[0] = '\0';
	a->status_dirty = true;
}

static int remote_start(struct agent *a, char *err, size_t errlen)
{
	uint8_t priv[WIRE_KEY_LEN], pub[WIRE_KEY_LEN];
	char why[CONF_ERR_MAX], fp[KEYS_FINGERPRINT_SIZE];
	int ret;

	ret = keyfile_read(a->cfg.private_key, priv, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "private key: %s", why);
		goto out;
	}
	ret = expose_parse(&a->expose, a->cfg.expose, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "expose: %s", why);
		goto out;
	}
	ret = tunnel_init(&a->tun, priv, a->cfg.server_key, a->cfg.name, NULL, a->cfg.state_dir,
			  err, errlen);
	if (ret)
		goto out;
	ret = endpoint_init(&a->ep, &a->cfg.server);
	if (ret) {
		snprintf(err, errlen, "cannot make an eventfd: %s", strerror(-ret));
		goto out_tunnel;
	}
	ret = netif_open(&a->nif, a->cfg.interface, err, errlen);
	if (ret)
		goto out_endpoint;
	ret = evloop_add(&a->loop, &a->tun_h, a->nif.tun.fd, EPOLLIN, on_tun);
	if (!ret)
		ret = evloop_add(&a->loop, &a->lookup_h, a->ep.efd, EPOLLIN, on_lookup);
	if (ret) {
		snprintf(err, errlen, "cannot watch the TUN: %s", strerror(-ret));
		evloop_del(&a->loop, &a->tun_h);
		goto out_netif;
	}
	a->udp[0] = a->udp[1] = -1;
	a->remote = true;
	a->status_dirty = true;
	if (keys_public(pub, priv) == 0) {
		keys_fingerprint(fp, pub);
		log_notice("device %s (key %s...) dialing %s:%u through %s, exposing %s",
			   a->cfg.name, fp, a->ep.host, a->ep.port, a->cfg.interface,
			   a->cfg.expose[0] ? a->cfg.expose : "nothing");
	}
	goto out;
out_netif:
	netif_close(&a->nif);
out_endpoint:
	endpoint_free(&a->ep);
out_tunnel:
	tunnel_clear(&a->tun);
out:
	sodium_memzero(priv, sizeof(priv));
	return ret;
}

static void on_signal(struct evloop_handler *h, uint32_t events)
{
	struct agent *a = container_of(h, struct agent, sig_h);
	struct signalfd_siginfo si;

	(void)events;
	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			a->reload = true;
		else
			a->stop = true;
	}
}

static void signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/* Held from the start (and inherited by the lookup threads), read from a
 * signalfd once the process is the one that stays: epoll learns of a
 * signalfd's signals through the process that registered it, so one made
 * before daemon() would never wake the child. */
static int block_signals(void)
{
	sigset_t set;

	signal_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	return 0;
}

static int watch_signals(struct agent *a)
{
	sigset_t set;

	signal_set(&set);
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sigfd < 0)
		return -errno;
	return evloop_add(&a->loop, &a->sig_h, a->sigfd, EPOLLIN, on_signal);
}

static enum log_level level_of(const struct agent *a)
{
	return a->cli->verbose ? LOG_LEVEL_DEBUG : a->cfg.log_level;
}

/* SIGHUP: read the configuration again; if it is sound, start over with it
 * (a new session within a round trip). A bad one changes nothing. */
static int reload(struct agent *a)
{
	struct agent_config cfg;
	struct expose e;
	char err[ERR_MAX];
	int ret;

	a->reload = false;
	ret = agent_config_load(a->config, &cfg, err, sizeof(err));
	if (!ret)
		ret = check_config(&cfg, &e, err, sizeof(err));
	if (!ret && strcmp(cfg.state_dir, a->cfg.state_dir))
		ret = lock_state_dir(a, cfg.state_dir, err, sizeof(err));
	if (ret) {
		log_err("reload: %s; going on with the configuration in use", err);
		return 0;
	}
	log_notice("reloading %s", a->config);
	remote_stop(a);
	a->cfg = cfg;
	log_set_level(level_of(a));
	if (cfg.server.none) {
		log_notice("remote access is off (server = none)");
		return 0;
	}
	ret = remote_start(a, err, sizeof(err));
	if (ret)
		log_err("%s", err);
	return ret;
}

static int run(struct agent *a)
{
	int ret = 0;

	while (!a->stop) {
		ret = evloop_run_once(&a->loop, sleep_ms(a));
		if (ret < 0) {
			log_err("epoll: %s", strerror(-ret));
			break;
		}
		ret = 0;
		if (a->reload) {
			ret = reload(a);
			if (ret)
				break;
		}
		tick(a);
	}
	return ret;
}

enum cli_exit daemon_main(const struct cli *cli)
{
	struct agent *a = &agent;
	char err[ERR_MAX];
	enum cli_exit ex = CLI_EXIT_FAIL;
	bool loop_made = false;
	int ret;

	a->cli = cli;
	a->sigfd = a->pidfd = a->udp[0] = a->udp[1] = -1;
	a->rl = (struct log_ratelimit){.burst = 5, .per_sec = 1, .tokens = 5};
	log_init("tether-agent", LOG_TARGET_STDERR,
		 cli->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	ret = agent_config_load(cli->config, &a->cfg, err, sizeof(err));
	if (!ret)
		ret = check_config(&a->cfg, &a->expose, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	if (cli->check) {
		printf("%s: configuration%s OK%s\n", cli->config,
		       a->cfg.server.none ? "" : " and key",
		       a->cfg.server.none ? " (remote access off: server = none)" : "");
		ex = CLI_EXIT_OK;
		goto out;
	}
	log_set_level(level_of(a));
	if (!realpath(cli->config, a->config)) {
		log_err("%s: %s", cli->config, strerror(errno));
		goto out;
	}
	ret = lock_state_dir(a, a->cfg.state_dir, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	ret = evloop_init(&a->loop);
	if (ret) {
		log_err("epoll: %s", strerror(-ret));
		goto out;
	}
	loop_made = true;
	ret = block_signals();
	if (ret) {
		log_err("signals: %s", strerror(-ret));
		goto out;
	}
	if (a->cfg.server.none) {
		log_notice("remote access is off (server = none): no socket, no interface");
	} else {
		ret = remote_start(a, err, sizeof(err));
		if (ret) {
			log_err("%s", err);
			goto out;
		}
	}
	/* everything that can fail at start has: now leave the terminal */
	if (!cli->foreground) {
		if (daemon(0, 0)) {
			log_err("cannot become a daemon: %s", strerror(errno));
			goto out;
		}
		log_init("tether-agent", LOG_TARGET_SYSLOG, level_of(a));
		snprintf(err, sizeof(err), "%ld\n", (long)getpid());
		if (pwrite(a->pidfd, err, strlen(err), 0) < 0 ||
		    ftruncate(a->pidfd, (off_t)strlen(err)))
			log_warn("cannot write %s: %s", a->pid_path, strerror(errno));
	}
	ret = watch_signals(a);
	if (ret) {
		log_err("signals: %s", strerror(-ret));
		goto out;
	}
	ret = notify_send("READY=1");
	if (ret)
		log_warn("cannot notify systemd: %s", strerror(-ret));
	status_tick(a, evloop_now(), true);
	ret = run(a);
	ex = ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	log_notice("stopping");
	a->stop = true;
	remote_stop(a);
	status_tick(a, evloop_now(), true);
out:
	remote_stop(a);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (loop_made)
		evloop_close(&a->loop);
	/* the pid file stays: removing it would race a daemon starting now */
	if (a->pidfd >= 0)
		close(a->pidfd);
	log_close();
	return ex;
}
