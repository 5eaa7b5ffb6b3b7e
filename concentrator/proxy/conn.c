/* The connection state machine. Each socket is registered once, edge-
 * triggered for reading and writing; its events only set readiness flags
 * and run() then does every step those flags allow, so a request costs no
 * epoll_ctl (nginx's way). A plain read or send that moves less than asked
 * means the socket is drained (or full) until its next event.
 *
 *   TLS/SNI -> HEAD -> CONNECT -> EXCHANGE -> HEAD (keep-alive) ...
 *                         \            \--> TUNNEL (101)
 *                          `-> TUNNEL (TLS passthrough)
 *   any -> ANSWER (our page) -> LINGER -> closed
 *
 * Bodies move by splice(2) through a pipe when both ends are plain TCP and
 * enough of a body is left, through the connection's buffers otherwise. */
#include "concentrator/proxy/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "concentrator/proxy/accesslog.h"
#include "concentrator/proxy/chunked.h"
#include "concentrator/proxy/forward.h"
#include "concentrator/proxy/host.h"
#include "concentrator/proxy/http_request.h"
#include "concentrator/proxy/http_response.h"

enum conn_state {
	CS_TLS = 0,  /* TLS handshake (terminate mode) */
	CS_SNI,	     /* reading the ClientHello (passthrough mode) */
	CS_HEAD,     /* waiting for or reading a request head */
	CS_CONNECT,  /* connecting to the device */
	CS_EXCHANGE, /* request to the device, response back */
	CS_TUNNEL,   /* two-way raw relay: after 101, or TLS passthrough */
	CS_ANSWER,   /* sending our own page */
	CS_LINGER,   /* our write side shut; draining the client until it closes */
	CS_DEAD,     /* closed, freed after this loop turn */
};

enum {
	FLOW_HEAD = 0xff,	/* framing of a response whose head is not in yet */
	PUMP_BUDGET = 1 << 20,	/* bytes one connection moves before others get a turn */
	RUN_STEPS = 64,		/* state steps in one run */
	SPLICE_MIN = 4096,	/* smaller bodies go through the buffer: same syscalls */
	SPLICE_CHUNK = 1 << 16, /* one pipe's worth */
	XCHG_FREE_MAX = 1024,	/* request states kept for reuse */
	SECOND = 1000000000,
};

enum side { CLIENT = 0, DEVICE = 1 };

/* One direction of a relay: the framing of the message it carries and how
 * far it got. The source's bytes go through the side's buffer or a pipe. */
struct flow {
	uint64_t left;		/* HTTP_FRAMING_LENGTH: body bytes not yet taken */
	struct chunked chunked; /* HTTP_FRAMING_CHUNKED */
	struct bufpool_pipe *pipe;
	uint64_t rx;	 /* bytes read from the source */
	uint64_t tx;	 /* bytes written to the sink */
	uint8_t framing; /* enum http_framing, or FLOW_HEAD */
	bool ended;	 /* nothing more of this message to take from the source */
	bool eof;	 /* the source closed */
	bool shut;	 /* tunnels: the sink's write side is shut */
};

/* A connection to a device. It serves one client connection's request at
 * a time; between requests it waits in its device's idle list for the
 * next request of any client (nginx's upstream keepalive), so a browser's
 * idle connection holds nothing of a small device's. */
struct upstream {
	struct evloop_handler h;
	struct proxy *px;
	struct conn *c;		  /* serving this one, NULL while idle */
	struct devtab_entry *dev; /* counted: dev->conns and a reference */
	struct upstream *next;	  /* idle list, or the dead list */
	struct deadline dl;	  /* while idle */
	uint32_t epoch;		  /* dev->epoch when connected */
	bool rd, wr;
	bool idle;   /* on dev's idle list */
	bool reused; /* served an earlier request */
	bool dead;   /* closed, freed after this loop turn */
};

/* What one request needs while it is under way; a waiting connection has
 * none (struct conn stays small). */
struct xchg {
	struct xchg *next_free;
	struct http_request req;
	struct http_response res;
	struct flow up;	  /* client -> device */
	struct flow down; /* device -> client */
	uint64_t t0;
	int status;  /* final status the client got, 0 none yet */
	bool routed; /* the head was complete: log this request */
	bool logged;
	bool passthrough; /* TLS passthrough: tunnel once connected */
	bool retry_ok;	  /* the whole request is in c->out and idempotent */
	bool retried;
	char device[HOST_DEVICE_NAME_MAX + 1];
	char method[ACCESSLOG_METHOD_MAX + 1];
	char path[ACCESSLOG_PATH_MAX + 2]; /* one more: the log says it was cut */
	uint16_t path_len;
	struct http_field req_fields[PROXY_FIELDS_MAX];
	struct http_field res_fields[PROXY_FIELDS_MAX];
};

struct conn {
	struct proxy *px;
	struct evloop_handler ch; /* client socket */
	struct upstream *up;	  /* the device connection of this request */
	struct deadline dl;
	struct conn *next_run;
	struct conn *next_dead;
	struct devtab_entry *dev; /* the device of this request (a reference) */
	struct connlimit_client *lc;
	SSL *ssl;
	struct xchg *x;
	struct buf *cin; /* from the client */
	struct buf *uin; /* from the device */
	struct buf *out; /* ours: the rewritten head, or a page */
	struct in6_addr peer;
	uint8_t state;
	uint8_t dl_which; /* the list dl is on */
	bool https : 1;
	bool c_rd : 1, c_wr : 1, c_hup : 1, c_eof : 1;
	bool queued : 1;
};

/* bytes the current run() may still move; single-threaded */
static long budget;

static void run(struct conn *c);
static int answer(struct conn *c, enum errpage page, struct devtab_entry *dev, const char *note);

static void client_text(const struct conn *c, char out[INET6_ADDRSTRLEN])
{
	const char *ok;

	if (IN6_IS_ADDR_V4MAPPED(&c->peer))
		ok = inet_ntop(AF_INET, &c->peer.s6_addr[12], out, INET6_ADDRSTRLEN);
	else
		ok = inet_ntop(AF_INET6, &c->peer, out, INET6_ADDRSTRLEN);
	if (!ok)
		strcpy(out, "?");
}

static void arm(struct conn *c, enum proxy_timeout t)
{
	c->dl_which = (uint8_t)t;
	deadline_arm(&c->px->timeouts[t], &c->dl, c->px->now);
}

/* Progress pushes a relay's deadline back, at most once a second. */
static void touch(struct conn *c)
{
	struct deadline_list *l = &c->px->timeouts[c->dl_which];

	if (c->dl.at + SECOND <= c->px->now + l->timeout)
		deadline_arm(l, &c->dl, c->px->now);
}

static void defer(struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->next_run = c->px->runq;
	c->px->runq = c;
}

/* --- buffers and request states --- */

static struct buf *buf_need(struct conn *c, struct buf **bp)
{
	if (!*bp)
		*bp = bufpool_buf_get(&c->px->pool);
	return *bp;
}

static void buf_drop(struct conn *c, struct buf **bp)
{
	if (*bp)
		bufpool_buf_put(&c->px->pool, *bp);
	*bp = NULL;
}

/* Move the bytes still needed, [start, end), to the front. */
static void buf_compact(struct buf *b)
{
	if (!b->start)
		return;
	memmove(b->data, b->data + b->start, b->end - b->start);
	b->fwd -= b->start;
	b->end -= b->start;
	b->start = 0;
}

static void flow_init(struct flow *f, uint8_t framing, uint64_t length)
{
	memset(f, 0, sizeof(*f));
	f->framing = framing;
	switch (framing) {
	case HTTP_FRAMING_LENGTH:
		f->left = length;
		f->ended = length == 0;
		break;
	case HTTP_FRAMING_CHUNKED:
		chunked_init(&f->chunked);
		break;
	case HTTP_FRAMING_NONE:
		f->ended = true;
		break;
	default:
		break;
	}
}

static void flow_release(struct conn *c, struct flow *f)
{
	if (f->pipe)
		bufpool_pipe_put(&c->px->pool, f->pipe);
	f->pipe = NULL;
}

static struct xchg *xchg_new(struct conn *c)
{
	struct proxy *px = c->px;
	struct xchg *x = px->xchgs;

	if (x) {
		px->xchgs = x->next_free;
		px->nxchgs--;
	} else {
		x = malloc(sizeof(*x));
		if (!x)
			return NULL;
	}
	/* everything but the field arrays, which the parsers fill */
	memset(x, 0, offsetof(struct xchg, req_fields));
	x->t0 = px->now;
	return x;
}

static void xchg_free(struct conn *c)
{
	struct proxy *px = c->px;
	struct xchg *x = c->x;

	if (!x)
		return;
	flow_release(c, &x->up);
	flow_release(c, &x->down);
	c->x = NULL;
	if (px->nxchgs >= XCHG_FREE_MAX) {
		free(x);
		return;
	}
	x->next_free = px->xchgs;
	px->xchgs = x;
	px->nxchgs++;
}

/* --- logging --- */

static void log_request(struct conn *c, struct devtab_entry *dev, int status, uint64_t bytes,
			const char *note)
{
	struct xchg *x = c->x;
	char client[INET6_ADDRSTRLEN], line[ACCESSLOG_LINE_MAX];
	struct accesslog_entry e = {.status = status, .bytes = bytes, .note = note};

	if (!x || x->logged)
		return;
	x->logged = true;
	if (dev)
		accesslog_count(&dev->stats, status, x->up.tx, bytes);
	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	client_text(c, client);
	e.client = client;
	e.device = x->device;
	e.method = x->passthrough ? "TLS" : x->method;
	e.path = x->path;
	e.path_len = x->path_len;
	e.duration_ns = c->px->now - x->t0;
	accesslog_format(line, sizeof(line), &e);
	log_info("%s", line);
}

/* --- device connections --- */

static void on_upstream(struct evloop_handler *h, uint32_t events);

/* Close for good; freed after this loop turn (its events may be pending). */
static void upstream_close(struct proxy *px, struct upstream *up)
{
	struct devtab_entry *dev = up->dev;

	if (up->idle) {
		struct upstream **pp = (struct upstream **)&dev->idle;

		for (; *pp; pp = &(*pp)->next) {
			if (*pp == up) {
				*pp = up->next;
				dev->nidle--;
				break;
			}
		}
		up->idle = false;
	}
	deadline_cancel(&up->dl);
	/* closing takes the fd out of epoll: it is never duplicated */
	close(up->h.fd);
	up->h.fd = -1;
	up->dead = true;
	up->c = NULL;
	dev->conns--;
	devtab_put(&px->devtab, dev);
	up->dev = NULL;
	up->next = px->dead_ups;
	px->dead_ups = up;
}

/* An idle device connection for dev, if one is kept and still good. */
static struct upstream *upstream_take(struct proxy *px, struct devtab_entry *dev)
{
	struct upstream *up;

	while ((up = dev->idle)) {
		dev->idle = up->next;
		dev->nidle--;
		up->idle = false;
		up->next = NULL;
		deadline_cancel(&up->dl);
		if (up->epoch == dev->epoch)
			return up;
		/* from before the device went offline or moved: not trusted */
		upstream_close(px, up);
	}
	return NULL;
}

/* An idle device connection has nothing to say: EOF, an error or stray
 * bytes all end it. */
static void upstream_idle_event(struct proxy *px, struct upstream *up)
{
	char junk[64];
	ssize_t n = recv(up->h.fd, junk, sizeof(junk), 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		up->rd = false;
		return;
	}
	upstream_close(px, up);
}

/* The request is done and the connection is good for another: keep it for
 * the device's next request, unless enough are kept already. */
static void upstream_keep(struct proxy *px, struct upstream *up)
{
	struct devtab_entry *dev = up->dev;

	up->c = NULL;
	if (dev->nidle >= px->params.idle_per_device || devtab_route(dev) != DEVTAB_ONLINE ||
	    up->epoch != dev->epoch) {
		upstream_close(px, up);
		return;
	}
	up->reused = true;
	up->idle = true;
	up->next = dev->idle;
	dev->idle = up;
	dev->nidle++;
	deadline_arm(&px->timeouts[PROXY_T_POOL], &up->dl, px->now);
	/* not read to EAGAIN yet: an EOF already there brings no new event */
	if (up->rd)
		upstream_idle_event(px, up);
}

/* The request's device connection goes: kept when keep, else closed. */
static void release_device(struct conn *c, bool keep)
{
	struct upstream *up = c->up;

	if (!up)
		return;
	c->up = NULL;
	buf_drop(c, &c->uin);
	if (c->x) {
		flow_release(c, &c->x->up);
		flow_release(c, &c->x->down);
	}
	if (keep)
		upstream_keep(c->px, up);
	else
		upstream_close(c->px, up);
}

static void close_device(struct conn *c)
{
	release_device(c, false);
}

/* Done with the request's device (after its log line). */
static void detach(struct conn *c)
{
	close_device(c);
	if (c->dev)
		devtab_put(&c->px->devtab, c->dev);
	c->dev = NULL;
}

/* A device connection for the request: a kept one, or a new one started
 * (state CS_CONNECT). 1 kept (state unchanged), 0 connecting, -EBUSY at
 * the per-device limit, -errno (a down tunnel: -ENETUNREACH or
 * -EHOSTUNREACH at once). */
static int get_device(struct conn *c, uint16_t port)
{
	struct proxy *px = c->px;
	struct devtab_entry *dev = c->dev;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct upstream *up;
	int fd, one = 1, ret;

	if (!c->x->passthrough) {
		up = upstream_take(px, dev);
		if (up) {
			up->c = c;
			c->up = up;
			px->counters.reused++;
			return 1;
		}
	}
	ret = connlimit_device_admit(&px->limits, dev->conns);
	if (ret) {
		px->counters.refused_device++;
		return ret;
	}
	up = calloc(1, sizeof(*up));
	if (!up)
		return -ENOMEM;
	sa.sin_addr = dev->addr;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_debug("device %s: TCP_NODELAY: %s", dev->name, strerror(errno));
	/* bytes the device does not take within the connect timeout end the
	 * connection: a kept one whose tunnel went away is noticed (and the
	 * request retried) instead of waiting for the response timeout */
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &px->params.timeout_ms[PROXY_T_CONNECT],
		       sizeof(px->params.timeout_ms[PROXY_T_CONNECT])) < 0)
		log_debug("device %s: TCP_USER_TIMEOUT: %s", dev->name, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		ret = -errno;
		goto fail;
	}
	ret = evloop_add(&px->loop, &up->h, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			 on_upstream);
	if (ret)
		goto fail;
	deadline_init(&up->dl);
	up->px = px;
	up->c = c;
	up->dev = dev;
	up->epoch = dev->epoch;
	devtab_get(dev);
	dev->conns++;
	c->up = up;
	px->counters.connects++;
	c->state = CS_CONNECT;
	arm(c, PROXY_T_CONNECT);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(up);
	return ret;
}

/* --- closing --- */

static void close_conn(struct conn *c, const char *note)
{
	struct proxy *px = c->px;

	if (c->state == CS_DEAD)
		return;
	if (c->x && c->x->routed)
		log_request(c, c->dev, c->x->status, c->x->down.tx, note);
	detach(c);
	xchg_free(c);
	buf_drop(c, &c->cin);
	buf_drop(c, &c->uin);
	buf_drop(c, &c->out);
	deadline_cancel(&c->dl);
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->ch.fd);
	c->ch.fd = -1;
	connlimit_client_put(&px->limits, c->lc);
	c->lc = NULL;
	c->state = CS_DEAD;
	px->nconns--;
	c->next_dead = px->dead;
	px->dead = c;
}

void conn_reap(struct proxy *px)
{
	struct conn **pp = &px->runq, *c;
	struct upstream *up;

	while ((up = px->dead_ups)) {
		px->dead_ups = up->next;
		free(up);
	}
	if (!px->dead)
		return;
	/* the dead may still be queued to run */
	while (*pp) {
		if ((*pp)->state == CS_DEAD)
			*pp = (*pp)->next_run;
		else
			pp = &(*pp)->next_run;
	}
	while ((c = px->dead)) {
		px->dead = c->next_dead;
		free(c);
	}
}

/* --- socket I/O by side --- */

static int side_fd(const struct conn *c, enum side s)
{
	return s == CLIENT ? c->ch.fd : c->up->h.fd;
}

static bool readable(const struct conn *c, enum side s)
{
	return s == CLIENT ? c->c_rd : c->up->rd;
}

static bool writable(const struct conn *c, enum side s)
{
	return s == CLIENT ? c->c_wr : c->up->wr;
}

static void not_readable(struct conn *c, enum side s)
{
	if (s == CLIENT)
		c->c_rd = false;
	else
		c->up->rd = false;
}

static void not_writable(struct conn *c, enum side s)
{
	if (s == CLIENT)
		c->c_wr = false;
	else
		c->up->wr = false;
}

static void tls_wait(struct conn *c, enum tls_want want)
{
	if (want == TLS_WANT_READ)
		c->c_rd = false;
	else
		c->c_wr = false;
}

/* n > 0, 0 at EOF, -EAGAIN, or -errno */
static ssize_t side_read(struct conn *c, enum side s, void *p, size_t n)
{
	enum tls_want want;
	ssize_t r;

	if (s == CLIENT && c->ssl) {
		r = tls_read(c->ssl, p, n, &want);
		if (r == -EAGAIN)
			tls_wait(c, want);
		return r;
	}
	do
		r = recv(side_fd(c, s), p, n, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		not_readable(c, s);
		return -EAGAIN;
	}
	if (r > 0 && (size_t)r < n)
		not_readable(c, s);
	return r;
}

/* n > 0 (maybe short), -EAGAIN, or -errno */
static ssize_t side_write(struct conn *c, enum side s, const void *p, size_t n)
{
	enum tls_want want;
	ssize_t r;

	if (s == CLIENT && c->ssl) {
		r = tls_write(c->ssl, p, n, &want);
		if (r == -EAGAIN)
			tls_wait(c, want);
		return r;
	}
	do
		r = send(side_fd(c, s), p, n, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		not_writable(c, s);
		return -EAGAIN;
	}
	if ((size_t)r < n)
		not_writable(c, s);
	return r;
}

/* Socket to an empty pipe. n > 0, 0 at EOF, -EAGAIN, -errno. */
static ssize_t splice_in(struct conn *c, enum side s, struct bufpool_pipe *pp, size_t max)
{
	ssize_t r;

	do
		r = splice(side_fd(c, s), NULL, pp->wr, NULL, max,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		/* the pipe is empty, so it is the socket that has nothing */
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		not_readable(c, s);
		return -EAGAIN;
	}
	pp->len += (uint32_t)r;
	return r;
}

/* Pipe to socket. n > 0, -EAGAIN, -errno. A short splice is not taken as
 * a full socket (only EAGAIN is), so no wake-up can be missed. */
static ssize_t splice_out(struct conn *c, enum side s, struct bufpool_pipe *pp)
{
	ssize_t r;

	do
		r = splice(pp->rd, NULL, side_fd(c, s), NULL, pp->len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		not_writable(c, s);
		return -EAGAIN;
	}
	if (r == 0)
		return -EPIPE;
	pp->len -= (uint32_t)r;
	return r;
}

/* --- relaying a message --- */

static bool flushed(const struct flow *f, const struct buf *b)
{
	return (!b || b->start == b->fwd) && (!f->pipe || !f->pipe->len);
}

/* May the next body bytes skip userspace? Only between plain sockets,
 * with the buffer empty (so order is kept) and a body large enough. */
static bool can_splice(const struct conn *c, const struct flow *f, const struct buf *b, size_t *max)
{
	uint64_t n;

	if (c->ssl || (b && b->end))
		return false;
	switch (f->framing) {
	case HTTP_FRAMING_LENGTH:
		n = f->left;
		break;
	case HTTP_FRAMING_CHUNKED:
		n = chunked_data_left(&f->chunked);
		break;
	case HTTP_FRAMING_CLOSE:
	case HTTP_FRAMING_TUNNEL:
		n = SPLICE_CHUNK;
		break;
	default:
		return false;
	}
	if (n < SPLICE_MIN)
		return false;
	*max = n > SPLICE_CHUNK ? SPLICE_CHUNK : (size_t)n;
	return true;
}

static void spliced(struct flow *f, size_t n)
{
	if (f->framing == HTTP_FRAMING_LENGTH) {
		f->left -= n;
		f->ended = !f->left;
	} else if (f->framing == HTTP_FRAMING_CHUNKED) {
		chunked_skip(&f->chunked, n);
	}
}

/* The device's response head in b from fwd: 1 when taken (an interim 1xx
 * head is passed on and the next one awaited), 0 for more bytes, or
 * -EBADMSG. */
static int response_head(struct conn *c, struct flow *f, struct buf *b)
{
	struct xchg *x = c->x;
	enum http_result r = http_response_parse(&x->res, b->data + b->fwd, b->end - b->fwd);

	if (r == HTTP_NEED_MORE)
		return 0;
	if (r != HTTP_OK) {
		c->px->counters.bad_response++;
		log_debug("device %s: bad response head: %s", x->device, http_result_str(r));
		return -EBADMSG;
	}
	b->fwd += x->res.head_len;
	if (x->res.interim) {
		http_response_init(&x->res, x->res_fields, PROXY_FIELDS_MAX, c->px->params.max_head,
				   x->req.head_method, x->req.upgrade);
		return 1;
	}
	uint64_t rx = f->rx, tx = f->tx;

	x->status = x->res.status;
	flow_init(f, x->res.framing, x->res.content_length);
	f->rx = rx;
	f->tx = tx;
	arm(c, PROXY_T_RELAY);
	return 1;
}

/* Classify read bytes [fwd, end) by the framing: 1 took some, 0 needs
 * more bytes, -errno. */
static int take(struct conn *c, struct flow *f, struct buf *b)
{
	size_t avail = b->end - b->fwd, used;
	enum http_result r;

	switch (f->framing) {
	case FLOW_HEAD:
		return response_head(c, f, b);
	case HTTP_FRAMING_LENGTH:
		used = avail < f->left ? avail : (size_t)f->left;
		b->fwd += used;
		f->left -= used;
		f->ended = !f->left;
		return 1;
	case HTTP_FRAMING_CHUNKED:
		r = chunked_feed(&f->chunked, b->data + b->fwd, avail, &used);
		if (r != HTTP_OK && r != HTTP_NEED_MORE)
			return -EPROTO;
		b->fwd += used;
		f->ended = r == HTTP_OK;
		return 1;
	case HTTP_FRAMING_CLOSE:
	case HTTP_FRAMING_TUNNEL:
		b->fwd = b->end;
		return 1;
	default:
		f->ended = true;
		return 1;
	}
}

/* Move f's message from src to dst as far as the sockets allow. Returns 1
 * on progress, 0 when waiting (or done: f->ended and flushed), -errno with
 * *who the side that failed (the source also for a message it cut short
 * or framed badly). */
static int pump(struct conn *c, struct flow *f, enum side src, enum side dst, struct buf **bp,
		enum side *who)
{
	struct proxy *px = c->px;
	int progress = 0, ret;
	size_t max;
	ssize_t n;

	for (;;) {
		struct buf *b = *bp;

		/* take all that is read first, so a head and its body go out in one write */
		if (b && b->fwd < b->end && !f->ended) {
			ret = take(c, f, b);
			if (ret < 0) {
				*who = src;
				return ret;
			}
			if (ret > 0) {
				progress = 1;
				continue;
			}
		}
		if (b && b->start < b->fwd) {
			if (!writable(c, dst))
				break;
			n = side_write(c, dst, b->data + b->start, b->fwd - b->start);
			if (n == -EAGAIN)
				break;
			if (n < 0) {
				*who = dst;
				return (int)n;
			}
			b->start += (uint32_t)n;
			f->tx += (uint64_t)n;
			progress = 1;
			continue;
		}
		if (f->pipe && f->pipe->len) {
			if (!writable(c, dst))
				break;
			n = splice_out(c, dst, f->pipe);
			if (n == -EAGAIN)
				break;
			if (n < 0) {
				*who = dst;
				return (int)n;
			}
			f->tx += (uint64_t)n;
			px->counters.spliced += (uint64_t)n;
			progress = 1;
			continue;
		}
		if (b && b->start == b->end)
			b->start = b->fwd = b->end = 0;
		if (f->ended)
			break;
		if (f->eof) {
			if (f->framing == HTTP_FRAMING_CLOSE || f->framing == HTTP_FRAMING_TUNNEL) {
				f->ended = true;
				progress = 1;
				continue;
			}
			*who = src;
			return -EPIPE;
		}
		if (!readable(c, src))
			break;
		if (budget <= 0) {
			defer(c);
			break;
		}
		if (can_splice(c, f, b, &max)) {
			if (!f->pipe)
				f->pipe = bufpool_pipe_get(&px->pool);
			if (f->pipe) {
				n = splice_in(c, src, f->pipe, max);
				if (n == -EAGAIN)
					break;
				if (n < 0) {
					*who = src;
					return (int)n;
				}
				if (n == 0) {
					f->eof = true;
				} else {
					spliced(f, (size_t)n);
					f->rx += (uint64_t)n;
					budget -= n;
				}
				progress = 1;
				continue;
			}
			/* out of fds for a pipe: the buffer does it */
		}
		b = buf_need(c, bp);
		if (!b) {
			*who = src;
			return -ENOMEM;
		}
		if (b->end == BUF_DATA) {
			if (!b->start)
				break; /* full: waits for the sink */
			buf_compact(b);
		}
		n = side_read(c, src, b->data + b->end, BUF_DATA - b->end);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			*who = src;
			return (int)n;
		}
		if (n == 0) {
			f->eof = true;
		} else {
			b->end += (uint32_t)n;
			f->rx += (uint64_t)n;
			px->counters.copied += (uint64_t)n;
			budget -= n;
		}
		progress = 1;
	}
	if (f->ended && f->pipe && !f->pipe->len)
		flow_release(c, f);
	return progress;
}

/* --- the request --- */

/* The first bytes of a request are in c->cin from fwd: start its state,
 * with the request at the front of the buffer. */
static int begin_request(struct conn *c)
{
	struct buf *b = c->cin;
	struct xchg *x = xchg_new(c);

	if (!x)
		return -ENOMEM;
	c->x = x;
	b->start = b->fwd;
	buf_compact(b);
	http_request_init(&x->req, x->req_fields, c->px->params.max_fields, c->px->params.max_head);
	/* the first request keeps the deadline it got at accept */
	if (c->dl_which != PROXY_T_HEADER)
		arm(c, PROXY_T_HEADER);
	return 0;
}

static int refuse(struct conn *c, enum http_result r)
{
	int status = http_result_status(r);
	enum errpage page = status == 431   ? ERRPAGE_HEAD_TOO_LARGE
			    : status == 505 ? ERRPAGE_BAD_VERSION
					    : ERRPAGE_BAD_REQUEST;

	c->px->counters.bad_request[r]++;
	log_debug("bad request head: %s", http_result_str(r));
	return answer(c, page, NULL, http_result_str(r));
}

static bool idempotent(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "OPTIONS");
}

/* The head is complete and valid: route it, rewrite it into c->out, and
 * go to the device (on the kept connection when it is the same device). */
static int start_request(struct conn *c)
{
	struct proxy *px = c->px;
	struct xchg *x = c->x;
	struct http_request *req = &x->req;
	struct buf *b = c->cin, *out;
	char client[INET6_ADDRSTRLEN], sni[HOST_DEVICE_NAME_MAX + 1];
	struct devtab_entry *dev;
	size_t k;
	int n, ret;

	px->counters.requests++;
	x->routed = true;
	memcpy(x->method, b->data + req->method.off, req->method.len); /* <= HTTP_METHOD_MAX */
	x->method[req->method.len] = '\0';
	x->path_len =
		req->path.len > ACCESSLOG_PATH_MAX + 1 ? ACCESSLOG_PATH_MAX + 1 : req->path.len;
	memcpy(x->path, b->data + req->path.off, x->path_len);

	if (host_device(b->data + req->host.off, req->host.len, px->cfg->domain, x->device) !=
	    HOST_DEVICE) {
		x->device[0] = '\0';
		return answer(c, ERRPAGE_NOT_FOUND, NULL, "unknown-host");
	}
	/* the TLS name and the Host must agree: one TLS connection is for
	 * one device (RFC 9110 7.4, 421 Misdirected Request) */
	if (c->ssl && tls_sni_device(c->ssl, px->cfg->domain, sni) == 1 && strcmp(sni, x->device))
		return answer(c, ERRPAGE_BAD_REQUEST, NULL, "sni-host-mismatch");
	dev = devtab_find(&px->devtab, x->device);
	switch (devtab_route(dev)) {
	case DEVTAB_UNKNOWN:
		return answer(c, ERRPAGE_NOT_FOUND, NULL, "unknown-device");
	case DEVTAB_OFFLINE:
		return answer(c, ERRPAGE_OFFLINE, dev, "offline");
	case DEVTAB_ONLINE:
		break;
	}
	devtab_get(dev);
	c->dev = dev;

	out = buf_need(c, &c->out);
	if (!out) {
		close_conn(c, "no-memory");
		return 1;
	}
	client_text(c, client);
	n = forward_request_head(out->data, BUF_DATA, b->data, req, client, c->https);
	if (n < 0)
		return answer(c, n == -ENOSPC ? ERRPAGE_HEAD_TOO_LARGE : ERRPAGE_BAD_REQUEST, NULL,
			      "cannot-rewrite");
	out->start = 0;
	out->fwd = out->end = (uint32_t)n;
	b->fwd = b->start = req->head_len;
	flow_init(&x->up, req->framing, req->content_length);
	/* a small body that came with the head goes out with it */
	if (req->framing == HTTP_FRAMING_LENGTH) {
		k = b->end - b->fwd;
		if (k > x->up.left)
			k = (size_t)x->up.left;
		if (k > BUF_DATA - out->end)
			k = BUF_DATA - out->end;
		memcpy(out->data + out->end, b->data + b->fwd, k);
		out->end += (uint32_t)k;
		out->fwd = out->end;
		b->fwd += (uint32_t)k;
		b->start = b->fwd;
		x->up.left -= k;
		x->up.ended = !x->up.left;
	}
	x->retry_ok = x->up.ended && idempotent(x->method);
	http_response_init(&x->res, x->res_fields, PROXY_FIELDS_MAX, px->params.max_head,
			   req->head_method, req->upgrade);
	flow_init(&x->down, FLOW_HEAD, 0);
	ret = get_device(c, px->cfg->proxy.device_http_port);
	if (ret == 1) {
		c->state = CS_EXCHANGE;
		arm(c, PROXY_T_RESPONSE);
	} else if (ret == -EBUSY) {
		return answer(c, ERRPAGE_UNREACHABLE, dev, "device-connection-limit");
	} else if (ret < 0) {
		log_debug("device %s: connect: %s", dev->name, strerror(-ret));
		return answer(c, ERRPAGE_UNREACHABLE, dev, "connect-failed");
	}
	return 1;
}

static int step_head(struct conn *c)
{
	struct buf *b;
	enum http_result r;
	ssize_t n;

	for (;;) {
		b = c->cin;
		if (c->x) {
			r = http_request_parse(&c->x->req, b->data, b->end);
			if (r == HTTP_OK)
				return start_request(c);
			if (r != HTTP_NEED_MORE)
				return refuse(c, r);
		} else if (b && b->fwd < b->end) {
			if (begin_request(c)) {
				close_conn(c, "no-memory");
				return 1;
			}
			continue;
		}
		if (!c->c_rd)
			return 0;
		if (!buf_need(c, &c->cin)) {
			close_conn(c, "no-memory");
			return 1;
		}
		b = c->cin;
		/* max_head < BUF_DATA: the parser says 431 before this fills */
		if (b->end == BUF_DATA)
			return refuse(c, HTTP_HEAD_TOO_LARGE);
		n = side_read(c, CLIENT, b->data + b->end, BUF_DATA - b->end);
		if (n == -EAGAIN) {
			/* nothing of a request yet: hold no buffer while waiting */
			if (!c->x && b->end == 0)
				buf_drop(c, &c->cin);
			return 0;
		}
		if (n <= 0) {
			c->c_eof = true;
			close_conn(c, NULL);
			return 1;
		}
		b->end += (uint32_t)n;
	}
}

static int step_tls(struct conn *c)
{
	enum tls_want want;
	int ret = tls_handshake(c->ssl, &want);

	if (ret == -EAGAIN) {
		tls_wait(c, want);
		return 0;
	}
	if (ret) {
		c->px->counters.tls_failed++;
		close_conn(c, NULL);
		return 1;
	}
	c->state = CS_HEAD;
	return 1;
}

/* Passthrough: route the connection by the ClientHello's server name. */
static int route_sni(struct conn *c, const char *sni)
{
	struct proxy *px = c->px;
	struct devtab_entry *dev;
	struct xchg *x;
	int ret;

	x = xchg_new(c);
	if (!x) {
		close_conn(c, "no-memory");
		return 1;
	}
	c->x = x;
	x->passthrough = true;
	flow_init(&x->up, HTTP_FRAMING_TUNNEL, 0);
	flow_init(&x->down, HTTP_FRAMING_TUNNEL, 0);
	if (host_device(sni, strlen(sni), px->cfg->domain, x->device) != HOST_DEVICE) {
		x->device[0] = '\0';
		close_conn(c, NULL);
		return 1;
	}
	x->routed = true;
	dev = devtab_find(&px->devtab, x->device);
	if (devtab_route(dev) != DEVTAB_ONLINE) {
		close_conn(c, devtab_route(dev) == DEVTAB_OFFLINE ? "offline" : "unknown-device");
		return 1;
	}
	devtab_get(dev);
	c->dev = dev;
	ret = get_device(c, px->cfg->proxy.device_https_port);
	if (ret < 0) {
		log_debug("device %s: connect: %s", dev->name, strerror(-ret));
		close_conn(c, ret == -EBUSY ? "device-connection-limit" : "connect-failed");
	}
	return 1;
}

static int step_sni(struct conn *c)
{
	char sni[SNI_NAME_MAX + 1];
	enum sni_result r;
	struct buf *b;
	size_t need;
	ssize_t n;

	for (;;) {
		b = c->cin;
		if (b && b->end) {
			r = sni_parse((const uint8_t *)b->data, b->end, sni, &need);
			if (r == SNI_OK)
				return route_sni(c, sni);
			if (r != SNI_NEED_MORE || need > BUF_DATA) {
				c->px->counters.sni[r]++;
				close_conn(c, NULL);
				return 1;
			}
		}
		if (!c->c_rd)
			return 0;
		b = buf_need(c, &c->cin);
		if (!b) {
			close_conn(c, "no-memory");
			return 1;
		}
		n = side_read(c, CLIENT, b->data + b->end, BUF_DATA - b->end);
		if (n == -EAGAIN) {
			if (!b->end)
				buf_drop(c, &c->cin);
			return 0;
		}
		if (n <= 0) {
			close_conn(c, NULL);
			return 1;
		}
		b->end += (uint32_t)n;
	}
}

/* --- the exchange --- */

/* The device failed before the client got any of its answer: retry once
 * on a new connection when a kept one turned out closed, else 502 (504
 * for a timeout). */
static int device_failed(struct conn *c, int err, const char *note)
{
	struct xchg *x = c->x;
	struct devtab_entry *dev = c->dev;
	int ret;

	if (x->passthrough || x->down.tx || x->status) {
		close_conn(c, note);
		return 1;
	}
	/* a kept connection the device closed meanwhile: try a new one (but
	 * not after a timeout, the time is spent already) */
	if (c->up && c->up->reused && x->retry_ok && !x->retried && !x->down.rx && c->out &&
	    err != -ETIMEDOUT) {
		x->retried = true;
		c->px->counters.retried++;
		close_device(c);
		c->out->start = 0;
		x->up.tx = 0;
		flow_init(&x->down, FLOW_HEAD, 0);
		http_response_init(&x->res, x->res_fields, PROXY_FIELDS_MAX, c->px->params.max_head,
				   x->req.head_method, x->req.upgrade);
		ret = get_device(c, c->px->cfg->proxy.device_http_port);
		if (ret == 1) {
			c->state = CS_EXCHANGE;
			arm(c, PROXY_T_RESPONSE);
		}
		if (ret >= 0)
			return 1;
		err = ret;
	}
	log_debug("device %s: %s: %s", x->device, note, strerror(-err));
	return answer(c, err == -ETIMEDOUT ? ERRPAGE_TIMEOUT : ERRPAGE_UNREACHABLE, dev, note);
}

static int step_connect(struct conn *c)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (!c->up->wr)
		return 0;
	if (getsockopt(c->up->h.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		return device_failed(c, -err, "connect-failed");
	if (c->x->passthrough) {
		c->state = CS_TUNNEL;
		arm(c, PROXY_T_TUNNEL);
	} else {
		c->state = CS_EXCHANGE;
		arm(c, PROXY_T_RESPONSE);
	}
	return 1;
}

static void start_tunnel(struct conn *c)
{
	struct xchg *x = c->x;

	log_request(c, c->dev, x->status, x->down.tx, "upgrade");
	/* what the client sent after its head is the tunnel's already */
	x->up.framing = HTTP_FRAMING_TUNNEL;
	x->up.ended = false;
	c->state = CS_TUNNEL;
	arm(c, PROXY_T_TUNNEL);
}

/* The response is complete: log it, then keep or close each side. */
static int finish_exchange(struct conn *c, bool up_done)
{
	struct proxy *px = c->px;
	struct xchg *x = c->x;
	bool close_framing = x->down.framing == HTTP_FRAMING_CLOSE;
	bool keep_up = up_done && x->res.keep_alive && !close_framing &&
		       (!c->uin || c->uin->fwd == c->uin->end);
	bool keep_client = up_done && x->req.keep_alive && !close_framing && !c->c_hup && !px->stop;

	log_request(c, c->dev, x->status, x->down.tx, NULL);
	release_device(c, keep_up);
	detach(c);
	xchg_free(c);
	buf_drop(c, &c->out);
	if (c->uin && c->uin->start == c->uin->end)
		buf_drop(c, &c->uin);
	if (!keep_client) {
		c->state = CS_ANSWER; /* nothing left to send: goes on to linger */
		arm(c, PROXY_T_LINGER);
		return 1;
	}
	if (c->cin && c->cin->fwd == c->cin->end)
		buf_drop(c, &c->cin);
	c->state = CS_HEAD;
	arm(c, PROXY_T_IDLE);
	return 1;
}

static int step_exchange(struct conn *c)
{
	struct xchg *x = c->x;
	struct buf *out = c->out;
	int up = 0, down = 0, ret;
	bool up_done;
	enum side who;
	ssize_t n;

	/* the client went away before its answer began: stop (nginx's 499) */
	if (c->c_hup && !x->down.tx && x->up.ended) {
		close_conn(c, "client-closed");
		return 1;
	}
	if (out && out->start < out->end && c->up->wr) {
		n = side_write(c, DEVICE, out->data + out->start, out->end - out->start);
		if (n > 0) {
			out->start += (uint32_t)n;
			x->up.tx += (uint64_t)n;
			up = 1;
		} else if (n != -EAGAIN) {
			return device_failed(c, (int)n, "send-failed");
		}
	}
	if (!out || out->start == out->end) {
		ret = pump(c, &x->up, CLIENT, DEVICE, &c->cin, &who);
		if (ret < 0) {
			/* a body the parser refuses: 400 while the answer has not begun */
			if (who == CLIENT && ret == -EPROTO && !x->down.tx) {
				c->px->counters.bad_body++;
				return answer(c, ERRPAGE_BAD_REQUEST, NULL, "bad-chunked-body");
			}
			if (who == CLIENT) {
				close_conn(c, x->up.eof ? "client-closed" : "bad-request-body");
				return 1;
			}
			return device_failed(c, ret, "send-failed");
		}
		up |= ret;
	}
	down = pump(c, &x->down, DEVICE, CLIENT, &c->uin, &who);
	if (down < 0) {
		if (who == CLIENT) {
			close_conn(c, "client-closed");
			return 1;
		}
		return device_failed(c, down, down == -EBADMSG ? "bad-response" : "device-closed");
	}
	/* the answer has begun: the copy kept for a retry is not needed */
	if (x->down.rx && out && out->start == out->end) {
		buf_drop(c, &c->out);
		out = NULL;
	}
	if (x->down.framing == HTTP_FRAMING_TUNNEL) {
		start_tunnel(c);
		return 1;
	}
	up_done = (!out || out->start == out->end) && x->up.ended && flushed(&x->up, c->cin);
	if (x->down.framing != FLOW_HEAD && x->down.ended && flushed(&x->down, c->uin))
		return finish_exchange(c, up_done);
	if (up || down)
		touch(c);
	return up || down;
}

static int step_tunnel(struct conn *c)
{
	struct xchg *x = c->x;
	int up, down, shut = 0;
	enum side who;

	up = pump(c, &x->up, CLIENT, DEVICE, &c->cin, &who);
	down = up < 0 ? 0 : pump(c, &x->down, DEVICE, CLIENT, &c->uin, &who);
	if (up < 0 || down < 0) {
		close_conn(c, NULL);
		return 1;
	}
	/* pass each side's end on as a half-close */
	if (x->up.ended && flushed(&x->up, c->cin) && !x->up.shut) {
		x->up.shut = true;
		shut = 1;
		if (shutdown(c->up->h.fd, SHUT_WR) < 0 && errno != ENOTCONN) {
			close_conn(c, NULL);
			return 1;
		}
	}
	if (x->down.ended && flushed(&x->down, c->uin) && !x->down.shut) {
		x->down.shut = true;
		shut = 1;
		if (c->ssl)
			tls_shutdown(c->ssl);
		if (shutdown(c->ch.fd, SHUT_WR) < 0 && errno != ENOTCONN) {
			close_conn(c, NULL);
			return 1;
		}
	}
	if (x->up.shut && x->down.shut) {
		if (x->passthrough)
			log_request(c, c->dev, 0, x->down.tx, "passthrough");
		close_conn(c, NULL);
		return 1;
	}
	if (up || down)
		touch(c);
	return up || down || shut;
}

/* --- our own answers --- */

/* Answer with a page and close: the device connection goes, the page goes
 * out, then the client is drained (so the page is not lost to a reset). */
static int answer(struct conn *c, enum errpage page, struct devtab_entry *dev, const char *note)
{
	struct proxy *px = c->px;
	char name[HOST_DEVICE_NAME_MAX + 1] = "";
	int64_t since = dev ? dev->since : 0;
	int len;

	px->counters.pages[page]++;
	if (dev)
		strcpy(name, dev->name);
	if (c->x) {
		c->x->status = errpage_status(page);
		c->x->routed = true;
	}
	if (!buf_need(c, &c->out)) {
		close_conn(c, "no-memory");
		return 1;
	}
	len = errpage_write(c->out->data, BUF_DATA, page, name[0] ? name : NULL, since);
	if (len < 0) {
		close_conn(c, "no-page");
		return 1;
	}
	c->out->start = 0;
	c->out->fwd = c->out->end = (uint32_t)len;
	log_request(c, dev, errpage_status(page), (uint64_t)len, note);
	detach(c);
	xchg_free(c);
	buf_drop(c, &c->cin);
	buf_drop(c, &c->uin);
	c->state = CS_ANSWER;
	arm(c, PROXY_T_LINGER);
	return 1;
}

static int step_answer(struct conn *c)
{
	struct buf *out = c->out;
	ssize_t n;

	while (out && out->start < out->end) {
		if (!c->c_wr)
			return 0;
		n = side_write(c, CLIENT, out->data + out->start, out->end - out->start);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			close_conn(c, NULL);
			return 1;
		}
		out->start += (uint32_t)n;
	}
	buf_drop(c, &c->out);
	buf_drop(c, &c->cin);
	if (c->ssl)
		tls_shutdown(c->ssl);
	if (shutdown(c->ch.fd, SHUT_WR) < 0) {
		close_conn(c, NULL);
		return 1;
	}
	c->state = CS_LINGER;
	return 1;
}

static int step_linger(struct conn *c)
{
	static char scratch[16384];
	ssize_t n;

	for (int i = 0; i < 8 && c->c_rd; i++) {
		n = recv(c->ch.fd, scratch, sizeof(scratch), 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			c->c_rd = errno == EINTR;
			continue;
		}
		if (n <= 0) {
			close_conn(c, NULL);
			return 1;
		}
		if ((size_t)n < sizeof(scratch))
			c->c_rd = false;
	}
	return 0;
}

/* --- driving --- */

static void run(struct conn *c)
{
	int ret = 0;

	budget = PUMP_BUDGET;
	for (int i = 0; i < RUN_STEPS; i++) {
		switch (c->state) {
		case CS_TLS:
			ret = step_tls(c);
			break;
		case CS_SNI:
			ret = step_sni(c);
			break;
		case CS_HEAD:
			ret = step_head(c);
			break;
		case CS_CONNECT:
			ret = step_connect(c);
			break;
		case CS_EXCHANGE:
			ret = step_exchange(c);
			break;
		case CS_TUNNEL:
			ret = step_tunnel(c);
			break;
		case CS_ANSWER:
			ret = step_answer(c);
			break;
		case CS_LINGER:
			ret = step_linger(c);
			break;
		default:
			return;
		}
		if (!ret || c->state == CS_DEAD)
			return;
	}
	defer(c); /* more to do: after the others */
}

static void on_client(struct evloop_handler *h, uint32_t events)
{
	struct conn *c = container_of(h, struct conn, ch);

	if (c->state == CS_DEAD)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->c_rd = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->c_wr = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->c_hup = true;
	run(c);
}

static void on_upstream(struct evloop_handler *h, uint32_t events)
{
	struct upstream *up = container_of(h, struct upstream, h);

	if (up->dead)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		up->rd = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		up->wr = true;
	if (up->c)
		run(up->c);
	else if (up->rd)
		upstream_idle_event(up->px, up);
}

void conn_free_cache(struct proxy *px)
{
	struct xchg *x;

	while ((x = px->xchgs)) {
		px->xchgs = x->next_free;
		free(x);
	}
	px->nxchgs = 0;
}

void conn_run_queue(struct proxy *px)
{
	struct conn *list = px->runq, *c;

	px->runq = NULL;
	while ((c = list)) {
		list = c->next_run;
		c->queued = false;
		if (c->state != CS_DEAD)
			run(c);
	}
}

void conn_expire(struct proxy *px, struct deadline *d, enum proxy_timeout which)
{
	struct conn *c;
	static const char *const notes[PROXY_T_COUNT] = {
		[PROXY_T_HEADER] = "header-timeout",   [PROXY_T_IDLE] = "idle-timeout",
		[PROXY_T_CONNECT] = "connect-timeout", [PROXY_T_RESPONSE] = "response-timeout",
		[PROXY_T_RELAY] = "relay-timeout",     [PROXY_T_TUNNEL] = "tunnel-timeout",
		[PROXY_T_LINGER] = "linger-timeout",   [PROXY_T_POOL] = "pool-timeout",
	};

	px->counters.timeouts[which]++;
	if (which == PROXY_T_POOL) {
		/* only idle device connections are on this list */
		upstream_close(px, container_of(d, struct upstream, dl));
		return;
	}
	c = container_of(d, struct conn, dl);
	if (c->state == CS_DEAD)
		return;
	/* a device too slow to connect or to begin its answer: 504 */
	if ((c->state == CS_CONNECT || c->state == CS_EXCHANGE) && !c->x->passthrough &&
	    !c->x->down.tx && c->x->down.framing == FLOW_HEAD) {
		if (answer(c, ERRPAGE_TIMEOUT, c->dev, notes[which]) && c->state != CS_DEAD)
			run(c);
		return;
	}
	close_conn(c, notes[which]);
}

int conn_open(struct proxy *px, int fd, const struct in6_addr *peer, bool https,
	      struct connlimit_client *lc)
{
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1, ret;

	if (!c) {
		ret = -ENOMEM;
		goto fail;
	}
	c->px = px;
	c->lc = lc;
	c->peer = *peer;
	c->https = https;
	c->ch.fd = fd;
	deadline_init(&c->dl);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_debug("client: TCP_NODELAY: %s", strerror(errno));
	if (https && px->terminate) {
		c->ssl = tls_server_new(&px->tls, fd);
		if (!c->ssl) {
			ret = -ENOMEM;
			goto fail;
		}
		c->state = CS_TLS;
	} else {
		c->state = https ? CS_SNI : CS_HEAD;
	}
	ret = evloop_add(&px->loop, &c->ch, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			 on_client);
	if (ret)
		goto fail;
	px->nconns++;
	arm(c, PROXY_T_HEADER);
	return 0;
fail:
	if (c && c->ssl)
		SSL_free(c->ssl);
	free(c);
	close(fd);
	connlimit_client_put(&px->limits, lc);
	return ret;
}
