/* The packet path. Each message type's length is checked by proto/ before
 * any field is read; every drop jumps to a label or counter named for its
 * reason (STYLE.md, after wireguard's receive.c). Buffers are allocated
 * once with the datapath; the per-packet calls only index into them. */
#include "concentrator/tetherd/datapath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"
#include "concentrator/tetherd/admit.h"
#include "concentrator/tetherd/lifecycle.h"
#include "proto/data.h"
#include "proto/handshake.h"
#include "proto/inner.h"
#include "proto/session.h"
#include "proto/tlv.h"

/* One datagram buffer: a data message at the largest MTU with padding. */
enum {
	BUF_SIZE = WIRE_DATA_OFF_PAYLOAD + WIRE_MTU_MAX + WIRE_DATA_PAD + WIRE_TAG_LEN,
	TUN_READ_MAX = BUF_SIZE - WIRE_DATA_OVERHEAD - WIRE_DATA_PAD,
};

_Static_assert((size_t)BUF_SIZE >= (size_t)WIRE_INIT_MAX_LEN, "a message 1 fits a buffer");

struct datapath {
	struct evloop_handler udp_h;
	int fd;
	struct daemon *d;
	union device_endpoint local;

	struct mmsghdr rx_msgs[DATAPATH_RX_BATCH];
	struct iovec rx_iov[DATAPATH_RX_BATCH];
	struct sockaddr_storage rx_src[DATAPATH_RX_BATCH];
	uint8_t rx_buf[DATAPATH_RX_BATCH][BUF_SIZE];

	struct mmsghdr tx_msgs[DATAPATH_TX_BATCH];
	struct iovec tx_iov[DATAPATH_TX_BATCH];
	size_t tx_inner[DATAPATH_TX_BATCH];
	uint8_t tx_buf[DATAPATH_TX_BATCH][BUF_SIZE];

	uint8_t answer[WIRE_RESP_MAX_LEN]; /* message 2 or a cookie reply */
	uint8_t keepalive[WIRE_DATA_OVERHEAD + WIRE_DATA_PAD];
};

static void send_to(struct daemon *d, const uint8_t *buf, size_t len, const struct sockaddr *sa,
		    socklen_t salen, struct device *dev)
{
	char ep[DEVICE_ENDPOINT_STR];

	if (sendto(d->dp->fd, buf, len, 0, sa, salen) == (ssize_t)len)
		return;
	if (dev)
		dev->c.drops[DEVICE_DROP_SEND]++;
	else
		d->drops[DEVICE_DROP_SEND]++;
	if (log_enabled(LOG_LEVEL_DEBUG) && log_ratelimit(&d->error_rl, evloop_now())) {
		device_sockaddr_str(sa, ep);
		log_debug("udp: send of %zu bytes to %s failed: %s", len, ep, strerror(errno));
	}
}

/* The answer's payload for a device admitted with STATUS OK (3.5). */
static void ok_payload(const struct daemon *d, const struct device *dev, struct tlv_msg2 *p2)
{
	char url[WIRE_URL_MAX + 64];

	memset(p2, 0, sizeof(*p2));
	p2->status = WIRE_STATUS_OK;
	memcpy(p2->addr4, &dev->addr4.s_addr, sizeof(p2->addr4));
	memcpy(p2->peer4, &d->cfg.gateway.s_addr, sizeof(p2->peer4));
	p2->mtu = (uint16_t)d->cfg.mtu;
	p2->keepalive = (uint16_t)d->cfg.keepalive;
	daemon_url(d, dev, url, sizeof(url));
	/* URL is optional: a name and domain too long for it go without */
	if (strlen(url) <= WIRE_URL_MAX) {
		memcpy(p2->url, url, strlen(url) + 1);
		p2->url_len = strlen(url);
	}
}

static void log_refusal(struct daemon *d, const struct admit_result *res, const char *from)
{
	if (!log_ratelimit(&d->refusal_rl, evloop_now()))
		return;
	if (res->verdict == ADMIT_RETRY_LATER)
		log_warn("handshake from %s: answered RETRY_LATER: %s", from, res->msg);
	else if (res->verdict == ADMIT_REJECTED)
		log_info("handshake from %s: REJECTED (%s): %s", from,
			 res->reason == ADMIT_TOKEN_REFUSED ? registry_outcome_str(res->outcome)
							    : admit_reason_str(res->reason),
			 res->msg);
	else
		log_debug("handshake from %s: dropped: %s", from, res->msg);
}

/* STATUS OK: the interface exists (RETRY_LATER if the kernel refuses),
 * the new session waits in next for the agent's first data message
 * (section 4), and the endpoint moves to where message 1 came from.
 * 0 with message 2 in the answer buffer; -EAGAIN for RETRY_LATER (res
 * says why); another -errno when no answer can go out (logged). */
static int admit_ok(struct daemon *d, struct handshake *hs, struct device *dev,
		    const struct sockaddr_storage *src, socklen_t srclen, uint64_t now, size_t *len,
		    struct admit_result *res)
{
	struct session_drops drops = {.count = 0};
	struct session_keys keys;
	struct session_peer *sessions = NULL;
	struct tlv_msg2 p2;
	enum proto_reason reason;
	uint32_t index;
	int ret;

	memset(&keys, 0, sizeof(keys));
	ret = lifecycle_ensure(d, dev);
	if (!ret) {
		sessions = device_sessions(dev);
		ret = sessions ? 0 : -ENOMEM;
	}
	if (ret) {
		res->verdict = ADMIT_RETRY_LATER;
		snprintf(res->msg, sizeof(res->msg), "device %s: its interface %s is not ready: %s",
			 dev->name, dev->ifname, strerror(-ret));
		ret = -EAGAIN;
		goto out;
	}
	/* indexed first: once message 2 exists, the session must be findable */
	index = device_table_new_index(&d->devs);
	ret = device_index_add(&d->devs, dev, index);
	if (ret) {
		log_err("device %s: indexing a new session: %s", dev->name, strerror(-ret));
		goto out;
	}
	ok_payload(d, dev, &p2);
	reason = handshake_response_create(hs, index, &p2, NULL, d->dp->answer,
					   sizeof(d->dp->answer), len, &keys);
	if (reason != PROTO_OK) {
		drops = (struct session_drops){.index = {index}, .count = 1};
		device_index_drops(&d->devs, dev, &drops);
		log_err("device %s: message 2: %s", dev->name, proto_reason_str(reason));
		ret = -EINVAL;
		goto out;
	}
	session_install(sessions, &keys, SESSION_RESPONDER, now, &drops);
	device_index_drops(&d->devs, dev, &drops);
	device_set_endpoint(dev, (const struct sockaddr *)src, srclen);
	dev->last_handshake = daemon_wall();
	dev->seen_dirty = true;
	/* keeps the device from going offline; message 2 is its answer */
	timers_initiation_received(&dev->timers, now);
out:
	sodium_memzero(&keys, sizeof(keys));
	return ret;
}

/* The ss lookup of handshake_initiation_consume: an enrolled device's ss,
 * computed at its key's first handshake and kept with it (one X25519 less
 * per handshake after that). Unknown keys and low-order ones get NULL:
 * proto/ computes the DH, and refuses a low-order key itself. */
static const uint8_t *cached_ss(void *ctx, const uint8_t rs[WIRE_KEY_LEN])
{
	struct daemon *d = ctx;
	struct device *dev = device_by_key(&d->devs, rs);

	if (!dev)
		return NULL;
	if (!dev->has_ss && handshake_ss_compute(dev->ss, &d->id, rs) == PROTO_OK)
		dev->has_ss = true;
	return dev->has_ss ? dev->ss : NULL;
}

/* Message 1 (3.1, 3.3-3.5). */
static void rx_initiation(struct daemon *d, const uint8_t *msg, size_t len,
			  const struct sockaddr_storage *src, socklen_t srclen, uint64_t now)
{
	struct handshake hs;
	struct tlv_msg1 m1;
	struct tlv_msg2 p2;
	struct admit_result res;
	struct mac_source ms;
	char from[DEVICE_ENDPOINT_STR];
	struct session_keys keys;
	enum proto_reason reason;
	size_t out_len = 0;
	int ret;

	memset(&hs, 0, sizeof(hs));
	memset(&m1, 0, sizeof(m1));
	reason = handshake_initiation_check(&d->id, msg, len);
	if (reason != PROTO_OK)
		goto drop;
	reason = mac_source_from_sockaddr(&ms, src);
	if (reason != PROTO_OK)
		goto drop;

	if (ratelimit_count(&d->rl, now)) {
		/* under load: a cookie first (3.4), then a rate per address */
		if (mac_checker_check_mac2(&d->checker, now, &ms, msg, len) != PROTO_OK) {
			reason = mac_checker_reply(&d->checker, now, &ms, msg, len, NULL,
						   d->dp->answer);
			if (reason != PROTO_OK)
				goto drop;
			d->cookies_sent++;
			send_to(d, d->dp->answer, WIRE_COOKIE_LEN, (const struct sockaddr *)src,
				srclen, NULL);
			goto out;
		}
		if (!ratelimit_allow(&d->rl, ms.addr, ms.addr_len, now)) {
			d->drops[DEVICE_DROP_RATELIMIT]++;
			goto out;
		}
	}

	reason = handshake_initiation_consume(&hs, &d->id, msg, len, cached_ss, d, &m1);
	if (reason != PROTO_OK)
		goto drop;
	device_sockaddr_str((const struct sockaddr *)src, from);
	admit_decide(&d->devs, &d->areg, hs.remote_static, &m1, daemon_wall(), &res);
	d->admits[res.reason]++;

	if (res.verdict == ADMIT_DROP) {
		if (res.dev)
			res.dev->c.drops[PROTO_STALE_TIMESTAMP]++;
		else
			d->drops[PROTO_STALE_TIMESTAMP]++;
		log_refusal(d, &res, from);
		goto out;
	}
	if (res.verdict == ADMIT_OK) {
		ret = admit_ok(d, &hs, res.dev, src, srclen, now, &out_len, &res);
		if (ret && ret != -EAGAIN)
			goto out;
	}
	if (res.verdict != ADMIT_OK) {
		/* REJECTED and RETRY_LATER carry STATUS only, no reason (3.5) */
		memset(&p2, 0, sizeof(p2));
		p2.status = res.verdict == ADMIT_REJECTED ? WIRE_STATUS_REJECTED
							  : WIRE_STATUS_RETRY_LATER;
		reason = handshake_response_create(&hs, 0, &p2, NULL, d->dp->answer,
						   sizeof(d->dp->answer), &out_len, &keys);
		if (reason != PROTO_OK) {
			log_err("handshake from %s: refusal failed: %s", from,
				proto_reason_str(reason));
			goto out;
		}
		log_refusal(d, &res, from);
	}
	send_to(d, d->dp->answer, out_len, (const struct sockaddr *)src, srclen, res.dev);
	if (res.verdict == ADMIT_OK) {
		if (res.reason == ADMIT_ENROLLED)
			log_notice("%s", res.msg);
		log_debug("device %s: handshake from %s", res.dev->name, from);
		daemon_device_timers(d, res.dev, now);
	}
	goto out;
drop:
	d->drops[reason]++;
out:
	handshake_clear(&hs);
	tlv_msg1_clear(&m1);
	sodium_memzero(&keys, sizeof(keys));
}

/* A data message (section 4): decrypt, confirm, roam, check, deliver. */
static void rx_data(struct daemon *d, uint8_t *msg, size_t len, const struct sockaddr_storage *src,
		    socklen_t srclen, uint64_t now)
{
	struct inner_addrs addrs = {.has_addr6 = false};
	struct inner_packet pkt;
	struct data_header hdr;
	struct session_rx rx;
	struct device *dev;
	enum proto_reason reason;
	unsigned int drop;
	uint8_t *plain = msg + WIRE_DATA_OFF_PAYLOAD;

	reason = data_parse(msg, len, &hdr);
	if (reason != PROTO_OK) {
		d->drops[reason]++;
		return;
	}
	dev = device_by_index(&d->devs, hdr.receiver);
	if (!dev) {
		d->drops[PROTO_UNKNOWN_INDEX]++;
		return;
	}
	reason = session_decrypt(dev->sessions, &hdr, msg, len, plain,
				 BUF_SIZE - WIRE_DATA_OFF_PAYLOAD, now, &rx);
	if (reason != PROTO_OK) {
		drop = reason;
		goto drop;
	}
	device_index_drops(&d->devs, dev, &rx.dropped);
	device_set_endpoint(dev, (const struct sockaddr *)src, srclen);
	if (rx.confirmed)
		timers_confirmed(&dev->timers, now, rx.created);
	if (rx.len == 0)
		timers_keepalive_received(&dev->timers, now);
	else if (!rx.confirmed)
		timers_data_received(&dev->timers, now);
	/* online, and a keepalive of ours if one is owed now (timers.h) */
	daemon_device_timers(d, dev, now);

	if (rx.len == 0) {
		dev->c.rx_keepalives++;
		return;
	}
	reason = inner_parse(plain, rx.len, &pkt);
	if (reason != PROTO_OK) {
		drop = reason;
		goto drop;
	}
	memcpy(addrs.addr4, &dev->addr4.s_addr, sizeof(addrs.addr4));
	/* anti-spoofing before the kernel sees the packet */
	reason = inner_check_source(&pkt, &addrs);
	if (reason != PROTO_OK) {
		drop = reason;
		goto drop;
	}
	if (dev->tun_fd < 0) {
		drop = DEVICE_DROP_NO_INTERFACE;
		goto drop;
	}
	if (write(dev->tun_fd, pkt.data, pkt.len) != (ssize_t)pkt.len) {
		drop = DEVICE_DROP_TUN_WRITE;
		goto drop;
	}
	dev->c.rx_packets++;
	dev->c.rx_bytes += pkt.len;
	return;
drop:
	dev->c.drops[drop]++;
}

static void udp_event(struct evloop_handler *h, uint32_t events)
{
	struct datapath *dp = container_of(h, struct datapath, udp_h);
	struct daemon *d = dp->d;
	int n;

	(void)events;
	for (int round = 0; round < DATAPATH_RX_ROUNDS; round++) {
		uint64_t now;

		for (int i = 0; i < DATAPATH_RX_BATCH; i++) {
			dp->rx_msgs[i].msg_hdr.msg_namelen = sizeof(dp->rx_src[i]);
			dp->rx_msgs[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(dp->fd, dp->rx_msgs, DATAPATH_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR &&
			    log_ratelimit(&d->error_rl, evloop_now()))
				log_warn("udp: recvmmsg: %s", strerror(errno));
			return;
		}
		now = evloop_now();
		if (n == DATAPATH_RX_BATCH) {
			int k = 0;

			for (int i = 0; i < n; i++)
				k += dp->rx_buf[i][0] == WIRE_TYPE_INITIATION;
			if (k >= DATAPATH_RX_BATCH / 4)
				ratelimit_backlog(&d->rl, now);
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &dp->rx_msgs[i].msg_hdr;
			uint8_t *msg = dp->rx_buf[i];
			size_t len = dp->rx_msgs[i].msg_len;

			if (mh->msg_flags & MSG_TRUNC) {
				d->drops[DEVICE_DROP_TRUNCATED]++;
				continue;
			}
			if (len < 1) {
				d->drops[PROTO_BAD_LENGTH]++;
				continue;
			}
			switch (msg[0]) {
			case WIRE_TYPE_DATA:
				rx_data(d, msg, len, &dp->rx_src[i], mh->msg_namelen, now);
				break;
			case WIRE_TYPE_INITIATION:
				rx_initiation(d, msg, len, &dp->rx_src[i], mh->msg_namelen, now);
				break;
			default:
				d->drops[PROTO_BAD_TYPE]++;
				break;
			}
		}
		if (n < DATAPATH_RX_BATCH)
			return;
	}
}

/* Packets the kernel routed to a device: read a bounded batch, seal each
 * on the current session, send them together to the device's endpoint. */
static void tun_event(struct evloop_handler *h, uint32_t events)
{
	struct device *dev = container_of(h, struct device, tun_h);
	struct daemon *d = dev->owner;
	struct datapath *dp = d->dp;
	uint64_t now = evloop_now();
	unsigned int n = 0, off = 0;
	struct session_tx tx;

	(void)events;
	if (dev->removed || dev->tun_fd < 0)
		return;
	for (int i = 0; i < DATAPATH_TX_BATCH; i++) {
		uint8_t *buf = dp->tx_buf[n];
		enum proto_reason reason;
		ssize_t r = read(dev->tun_fd, buf + WIRE_DATA_OFF_PAYLOAD, TUN_READ_MAX);

		if (r <= 0) {
			if (r < 0 && errno != EAGAIN && errno != EINTR &&
			    log_ratelimit(&d->error_rl, now))
				log_warn("device %s: reading %s: %s", dev->name, dev->ifname,
					 strerror(errno));
			break;
		}
		if (!dev->sessions || !dev->endpoint_len) {
			dev->c.drops[DEVICE_DROP_NO_SESSION]++;
			continue;
		}
		reason = session_encrypt(dev->sessions, buf, BUF_SIZE, (size_t)r, d->cfg.mtu, now,
					 &tx);
		if (reason != PROTO_OK) {
			dev->c.drops[reason == PROTO_SESSION_EXPIRED ? DEVICE_DROP_NO_SESSION
								     : reason]++;
			continue;
		}
		dp->tx_iov[n] = (struct iovec){.iov_base = buf, .iov_len = tx.len};
		dp->tx_msgs[n].msg_hdr = (struct msghdr){
			.msg_name = &dev->endpoint,
			.msg_namelen = dev->endpoint_len,
			.msg_iov = &dp->tx_iov[n],
			.msg_iovlen = 1,
		};
		dp->tx_inner[n] = (size_t)r;
		n++;
	}
	if (!n)
		return;
	while (off < n) {
		int sent = sendmmsg(dp->fd, dp->tx_msgs + off, n - off, 0);

		if (sent <= 0) {
			dev->c.drops[DEVICE_DROP_SEND] += n - off;
			break;
		}
		for (int i = 0; i < sent; i++) {
			dev->c.tx_packets++;
			dev->c.tx_bytes += dp->tx_inner[off + i];
		}
		off += sent;
	}
	/* a failed send counts as sent to the timers (timers.h) */
	timers_data_sent(&dev->timers, now);
}

void datapath_keepalive(struct daemon *d, struct device *dev, uint64_t now)
{
	struct session_tx tx;
	enum proto_reason reason;

	if (!dev->sessions || !dev->endpoint_len)
		return;
	reason = session_encrypt(dev->sessions, d->dp->keepalive, sizeof(d->dp->keepalive), 0,
				 d->cfg.mtu, now, &tx);
	if (reason != PROTO_OK)
		return;
	send_to(d, d->dp->keepalive, tx.len, &dev->endpoint.sa, dev->endpoint_len, dev);
}

int datapath_tun_add(struct daemon *d, struct device *dev)
{
	dev->owner = d;
	return evloop_add(&d->loop, &dev->tun_h, dev->tun_fd, EPOLLIN, tun_event);
}

void datapath_tun_del(struct daemon *d, struct device *dev)
{
	if (dev->tun_fd >= 0 && dev->tun_h.fd == dev->tun_fd)
		(void)evloop_del(&d->loop, &dev->tun_h);
	dev->tun_h.fd = -1;
}

static void set_buf(int fd, int force, int plain, int size)
{
	/* FORCE passes net.core.[rw]mem_max with CAP_NET_ADMIN, which tetherd has */
	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, plain, &size, sizeof(size));
}

int datapath_create(struct daemon *d)
{
	struct datapath *dp;
	const struct conf_addr *listen = &d->cfg.listen;
	char where[DEVICE_ENDPOINT_STR];
	socklen_t len;
	int off = 0, ret;

	device_sockaddr_str((const struct sockaddr *)&listen->ss, where);
	dp = calloc(1, sizeof(*dp));
	if (!dp) {
		ret = -ENOMEM;
		log_err("udp %s: out of memory for packet buffers", where);
		goto out;
	}
	dp->d = d;
	dp->fd = socket(listen->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (dp->fd < 0) {
		ret = -errno;
		log_err("udp %s: socket: %s", where, strerror(-ret));
		goto out;
	}
	/* [::] takes IPv4 too, as v4-mapped addresses */
	if (listen->ss.ss_family == AF_INET6 &&
	    setsockopt(dp->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0) {
		ret = -errno;
		log_err("udp %s: dual stack (IPV6_V6ONLY off): %s", where, strerror(-ret));
		goto out;
	}
	set_buf(dp->fd, SO_RCVBUFFORCE, SO_RCVBUF, DATAPATH_SOCKBUF);
	set_buf(dp->fd, SO_SNDBUFFORCE, SO_SNDBUF, DATAPATH_SOCKBUF);
	if (bind(dp->fd, (const struct sockaddr *)&listen->ss, listen->len) < 0) {
		ret = -errno;
		log_err("udp %s: bind: %s%s", where, strerror(-ret),
			ret == -EADDRINUSE ? " (is another tetherd running?)" : "");
		goto out;
	}
	len = sizeof(dp->local);
	if (getsockname(dp->fd, &dp->local.sa, &len) < 0) {
		ret = -errno;
		log_err("udp %s: getsockname: %s", where, strerror(-ret));
		goto out;
	}
	for (int i = 0; i < DATAPATH_RX_BATCH; i++) {
		dp->rx_iov[i] = (struct iovec){.iov_base = dp->rx_buf[i], .iov_len = BUF_SIZE};
		dp->rx_msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &dp->rx_src[i],
			.msg_namelen = sizeof(dp->rx_src[i]),
			.msg_iov = &dp->rx_iov[i],
			.msg_iovlen = 1,
		};
	}
	ret = evloop_add(&d->loop, &dp->udp_h, dp->fd, EPOLLIN, udp_event);
	if (ret) {
		log_err("udp %s: event loop: %s", where, strerror(-ret));
		goto out;
	}
	d->dp = dp;
	dp = NULL;
out:
	if (dp && dp->fd >= 0)
		close(dp->fd);
	free(dp);
	return ret;
}

void datapath_free(struct daemon *d)
{
	struct datapath *dp = d->dp;

	if (!dp)
		return;
	(void)evloop_del(&d->loop, &dp->udp_h);
	close(dp->fd);
	sodium_memzero(dp, sizeof(*dp));
	free(dp);
	d->dp = NULL;
}

void datapath_listen_str(const struct daemon *d, char *out, size_t size)
{
	char s[DEVICE_ENDPOINT_STR];

	if (d->dp)
		device_sockaddr_str(&d->dp->local.sa, s);
	else
		device_sockaddr_str((const struct sockaddr *)&d->cfg.listen.ss, s);
	snprintf(out, size, "%s", s);
}
