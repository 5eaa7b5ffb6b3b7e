/* The server around the connections: listening sockets, accept with the
 * connection limits, the loop (epoll, then the timeout lists, deferred
 * work, and freeing what closed), signals, and the counters. */
#include "concentrator/proxy/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "concentrator/proxy/conn.h"

enum {
	ACCEPT_BATCH = 64,     /* accepts per listener event */
	ACCEPT_PAUSE_MS = 100, /* out of fds: listeners rest this long */
	LISTEN_BACKLOG = 4096,
	FDS_PER_CONN = 4, /* client, device, and a pipe's two ends in use */
	FDS_SPARE = 64,
};

void proxy_params_defaults(struct proxy_params *p)
{
	static const uint32_t ms[PROXY_T_COUNT] = {
		[PROXY_T_HEADER] = 10000,   [PROXY_T_IDLE] = 60000,  [PROXY_T_CONNECT] = 5000,
		[PROXY_T_RESPONSE] = 30000, [PROXY_T_RELAY] = 60000, [PROXY_T_TUNNEL] = 600000,
		[PROXY_T_LINGER] = 2000,    [PROXY_T_POOL] = 30000,
	};

	memset(p, 0, sizeof(*p));
	memcpy(p->timeout_ms, ms, sizeof(ms));
	p->limits.total = 10000;
	p->limits.per_client = 256;
	p->limits.per_device = 128;
	p->idle_per_device = 32;
	p->max_head = HTTP_HEAD_DEFAULT;
	p->max_fields = HTTP_FIELDS_DEFAULT;
}

static const char *addr_text(const struct conf_addr *a, char *buf, size_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	}
	return buf;
}

static void on_accept(struct evloop_handler *h, uint32_t events);

static int listen_on(struct proxy *px, const struct conf_addr *a, bool https, char *err,
		     size_t errlen)
{
	struct proxy_listener *l = &px->listeners[px->nlisteners];
	char text[INET6_ADDRSTRLEN + 16];
	int fd, one = 1, ret;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		ret = -errno;
		goto fail;
	}
	/* [::]:443 means IPv6 only; IPv4 has its own listener if wanted */
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		ret = -errno;
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		goto fail;
	}
	l->px = px;
	l->https = https;
	ret = evloop_add(&px->loop, &l->h, fd, EPOLLIN, on_accept);
	if (ret)
		goto fail;
	px->nlisteners++;
	return 0;
fail:
	snprintf(err, errlen, "%s listener %s: %s", https ? "https" : "http",
		 addr_text(a, text, sizeof(text)), strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

static void pause_listeners(struct proxy *px)
{
	for (size_t i = 0; i < px->nlisteners; i++) {
		struct proxy_listener *l = &px->listeners[i];

		if (!l->paused && !evloop_mod(&px->loop, &l->h, 0))
			l->paused = true;
	}
	px->resume_accept = px->now + (uint64_t)ACCEPT_PAUSE_MS * 1000000;
}

static void resume_listeners(struct proxy *px)
{
	for (size_t i = 0; i < px->nlisteners; i++) {
		struct proxy_listener *l = &px->listeners[i];

		if (l->paused && !evloop_mod(&px->loop, &l->h, EPOLLIN))
			l->paused = false;
	}
	px->resume_accept = 0;
}

static void to_in6(const struct sockaddr_storage *ss, struct in6_addr *out)
{
	if (ss->ss_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)ss)->sin6_addr;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = 0xff;
	out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

static void on_accept(struct evloop_handler *h, uint32_t events)
{
	struct proxy_listener *l = container_of(h, struct proxy_listener, h);
	struct proxy *px = l->px;
	static struct log_ratelimit rl = {.burst = 5, .tokens = 5, .per_sec = 1};
	struct connlimit_client *lc;
	struct sockaddr_storage ss;
	struct in6_addr peer;
	socklen_t len;
	int fd, ret;

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		len = sizeof(ss);
		fd = accept4(h->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			px->counters.accept_errors++;
			if (log_ratelimit(&rl, px->now))
				log_warn("accept: %s", strerror(errno));
			/* out of fds or memory: let the loop breathe */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_listeners(px);
			return;
		}
		to_in6(&ss, &peer);
		ret = connlimit_client_get(&px->limits, &peer, &lc);
		if (ret) {
			if (ret == -ENFILE)
				px->counters.refused_total++;
			else
				px->counters.refused_client++;
			close(fd);
			continue;
		}
		px->counters.accepted++;
		ret = conn_open(px, fd, &peer, l->https, lc);
		if (ret && log_ratelimit(&rl, px->now))
			log_warn("new connection: %s", strerror(-ret));
	}
}

/* Each connection may hold FDS_PER_CONN descriptors: the limit on
 * connections must fit under RLIMIT_NOFILE (raised to its hard limit). */
static void fit_fd_limit(struct proxy *px)
{
	struct rlimit rl;
	uint64_t fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	fit = rl.rlim_cur > FDS_SPARE ? (rl.rlim_cur - FDS_SPARE) / FDS_PER_CONN : 1;
	if (fit < px->params.limits.total) {
		log_warn("at most %" PRIu64 " connections: %" PRIu64 " file descriptors allowed "
			 "(LimitNOFILE)",
			 fit, (uint64_t)rl.rlim_cur);
		px->params.limits.total = (uint32_t)fit;
	}
}

int proxy_open(struct proxy *px, const struct tetherd_config *cfg,
	       const struct proxy_params *params, char *err, size_t errlen)
{
	int ret;

	memset(px, 0, sizeof(*px));
	px->loop.epfd = -1;
	px->sigfd = -1;
	px->cfg = cfg;
	px->params = *params;
	/* struct xchg has room for PROXY_FIELDS_MAX lines a head */
	if (px->params.max_fields > PROXY_FIELDS_MAX)
		px->params.max_fields = PROXY_FIELDS_MAX;
	px->now = evloop_now();
	fit_fd_limit(px);
	for (int t = 0; t < PROXY_T_COUNT; t++)
		deadline_list_init(&px->timeouts[t], (uint64_t)px->params.timeout_ms[t] * 1000000);
	bufpool_init(&px->pool, 1024, 256);
	watch_init(&px->watch, &px->loop, &px->devtab, cfg->control_ro);
	ret = devtab_init(&px->devtab);
	if (!ret)
		ret = connlimit_init(&px->limits, &px->params.limits);
	if (!ret)
		ret = evloop_init(&px->loop);
	if (ret) {
		snprintf(err, errlen, "cannot set up: %s", strerror(-ret));
		goto out;
	}
	if (cfg->proxy.tls_cert[0]) {
		/* the key is read now, while we may */
		ret = tls_server_init(&px->tls, cfg->proxy.tls_cert, cfg->proxy.tls_key,
				      cfg->domain, err, errlen);
		if (ret)
			goto out;
		px->terminate = true;
	}
	ret = listen_on(px, &cfg->proxy.http, false, err, errlen);
	if (!ret)
		ret = listen_on(px, &cfg->proxy.https, true, err, errlen);
out:
	if (ret)
		proxy_close(px);
	return ret;
}

static void on_signal(struct evloop_handler *h, uint32_t events)
{
	struct proxy *px = container_of(h, struct proxy, sig_h);
	struct signalfd_siginfo si;

	(void)events;
	while (read(px->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_notice("stopping on signal %u", si.ssi_signo);
			px->stop = true;
			break;
		case SIGHUP:
			log_notice("SIGHUP: taking a fresh device table from tetherd "
				   "(other changes need a restart)");
			watch_restart(&px->watch, px->now);
			break;
		case SIGUSR1:
			proxy_log_counters(px);
			break;
		default:
			break;
		}
	}
}

static int setup_signals(struct proxy *px)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	px->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (px->sigfd < 0)
		return -errno;
	return evloop_add(&px->loop, &px->sig_h, px->sigfd, EPOLLIN, on_signal);
}

static void expire(struct proxy *px)
{
	struct deadline *d;

	for (int t = 0; t < PROXY_T_COUNT; t++) {
		while ((d = deadline_expired(&px->timeouts[t], px->now)))
			conn_expire(px, d, (enum proxy_timeout)t);
	}
}

int proxy_run(struct proxy *px)
{
	struct epoll_event evs[PROXY_EVENTS];
	uint64_t next, w;
	int ret, n;

	ret = setup_signals(px);
	if (ret) {
		log_err("signals: %s", strerror(-ret));
		return ret;
	}
	log_notice("serving %s, TLS %s; devices from %s; at most %u connections", px->cfg->domain,
		   px->terminate ? "terminated here" : "passed through by SNI", px->cfg->control_ro,
		   px->params.limits.total);
	while (!px->stop) {
		px->now = evloop_now();
		expire(px);
		conn_reap(px);
		if (px->resume_accept && px->now >= px->resume_accept)
			resume_listeners(px);
		next = deadline_next(px->timeouts, PROXY_T_COUNT);
		w = watch_tick(&px->watch, px->now);
		if (w < next)
			next = w;
		if (px->resume_accept && px->resume_accept < next)
			next = px->resume_accept;
		n = epoll_wait(px->loop.epfd, evs, PROXY_EVENTS,
			       px->runq ? 0 : deadline_wait_ms(next, px->now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			log_err("epoll_wait: %s", strerror(errno));
			return ret;
		}
		/* the time every handler of this turn arms its deadlines from */
		px->now = evloop_now();
		for (int i = 0; i < n; i++) {
			struct evloop_handler *h = evs[i].data.ptr;

			h->fn(h, evs[i].events);
		}
		conn_run_queue(px);
		conn_reap(px);
	}
	return 0;
}

static void log_device(const struct devtab_entry *e, void *arg)
{
	const struct devtab_stats *s = &e->stats;

	(void)arg;
	log_notice("device %s: %s requests=%" PRIu64 " 1xx=%" PRIu64 " 2xx=%" PRIu64 " 3xx=%" PRIu64
		   " 4xx=%" PRIu64 " 5xx=%" PRIu64 " unanswered=%" PRIu64 " bytes_in=%" PRIu64
		   " bytes_out=%" PRIu64 " device_connections=%u idle=%u",
		   e->name, devtab_route(e) == DEVTAB_ONLINE ? "online" : "offline", s->requests,
		   s->status[1], s->status[2], s->status[3], s->status[4], s->status[5],
		   s->status[0], s->bytes_in, s->bytes_out, e->conns, e->nidle);
}

void proxy_log_counters(struct proxy *px)
{
	const struct proxy_counters *k = &px->counters;
	uint64_t bad = 0, sni = 0;

	for (int i = 0; i < HTTP_RESULT_COUNT; i++)
		bad += k->bad_request[i];
	for (int i = 0; i < SNI_RESULT_COUNT; i++)
		sni += k->sni[i];
	log_notice("counters: connections=%zu accepted=%" PRIu64 " refused_total=%" PRIu64
		   " refused_client=%" PRIu64 " refused_device=%" PRIu64 " requests=%" PRIu64
		   " bad_requests=%" PRIu64 " bad_bodies=%" PRIu64 " bad_responses=%" PRIu64
		   " 404=%" PRIu64 " offline=%" PRIu64 " unreachable=%" PRIu64 " 504=%" PRIu64
		   " tls_failed=%" PRIu64 " sni_refused=%" PRIu64 " device_connects=%" PRIu64
		   " reused=%" PRIu64 " retried=%" PRIu64 " spliced=%" PRIu64 " copied=%" PRIu64
		   " watch_snapshots=%" PRIu64 " watch_events=%" PRIu64,
		   px->nconns, k->accepted, k->refused_total, k->refused_client, k->refused_device,
		   k->requests, bad, k->bad_body, k->bad_response, k->pages[ERRPAGE_NOT_FOUND],
		   k->pages[ERRPAGE_OFFLINE], k->pages[ERRPAGE_UNREACHABLE],
		   k->pages[ERRPAGE_TIMEOUT], k->tls_failed, sni, k->connects, k->reused,
		   k->retried, k->spliced, k->copied, px->watch.connects, px->watch.events);
	devtab_foreach(&px->devtab, log_device, NULL);
}

void proxy_close(struct proxy *px)
{
	watch_close(&px->watch);
	for (size_t i = 0; i < px->nlisteners; i++)
		close(px->listeners[i].h.fd);
	px->nlisteners = 0;
	if (px->sigfd >= 0)
		close(px->sigfd);
	px->sigfd = -1;
	if (px->terminate)
		tls_server_free(&px->tls);
	px->terminate = false;
	evloop_close(&px->loop);
	/* open connections go with the process, and what they still use */
	if (!px->nconns) {
		conn_free_cache(px);
		bufpool_free(&px->pool);
		connlimit_free(&px->limits);
		devtab_free(&px->devtab);
	}
}
