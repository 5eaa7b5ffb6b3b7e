/* The control server: listening sockets and client connections as
 * evloop handlers. Every buffer is bounded: request lines, clients, and
 * each client's output, so neither a confused admin script nor a stuck
 * tether-proxy can make tetherd's memory grow. */
#include "concentrator/control/control_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

enum {
	ACCEPT_BATCH = 16,
	LISTEN_BACKLOG = 64,
	/* an idle client keeps at most this much buffer after a big answer */
	OUT_KEEP = 64 * 1024,
};

struct listener {
	struct evloop_handler h;
	struct control_server *server;
	bool read_only;
	dev_t dev; /* the socket file we made, so we only ever unlink ours */
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* A connection. Closing one only marks it, shuts the socket down and
 * leaves it registered: its own handler then runs once more (EPOLLHUP)
 * and frees it. So an event for it that epoll already handed out in the
 * current batch, or a broadcast from inside another handler, never
 * touches freed memory. */
struct client {
	struct evloop_handler h;
	struct control_server *server;
	struct client *prev, *next;
	struct control_peer peer;
	uint32_t events;
	bool watching; /* after "watch": only events go out, input is discarded */
	bool eof;      /* the peer sent all it will send */
	bool draining; /* no more requests; close once the output is sent */
	bool closed;   /* shut down; the next call of its handler frees it */
	bool secret;   /* the output holds a token: wipe it once sent */
	size_t snapshot_len;
	char *out;
	size_t out_off, out_len, out_cap;
	size_t in_len;
	char in[CONTROL_LINE_MAX + 1];
};

struct control_server {
	struct evloop *loop;
	const struct control_ops *ops;
	void *ctx;
	struct listener listeners[CONTROL_SERVER_LISTENERS_MAX];
	unsigned int n_listeners;
	struct client *clients;
	unsigned int n_clients;
	unsigned int n_watchers;
	int spare_fd; /* given up to refuse a client when out of descriptors */
	struct log_ratelimit rl;
};

static size_t pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

static void set_events(struct client *c, uint32_t want)
{
	int ret;

	if (want == c->events)
		return;
	ret = evloop_mod(c->server->loop, &c->h, want);
	if (ret < 0) {
		log_warn("control: cannot change events of a connection: %s", strerror(-ret));
		return;
	}
	c->events = want;
}

static void wipe_out(struct client *c)
{
	if (c->secret && c->out)
		explicit_bzero(c->out, c->out_cap);
	c->secret = false;
}

static void client_close(struct client *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->watching)
		c->server->n_watchers--;
	c->watching = false;
	wipe_out(c);
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	/* a socket shut down both ways polls EPOLLHUP, which epoll always
	 * reports, so the handler is sure to run again and free c */
	if (shutdown(c->h.fd, SHUT_RDWR) < 0 && errno != ENOTCONN)
		log_debug("control: shutdown: %s", strerror(errno));
	/* a UNIX socket closed with unread input resets its peer, which may
	 * then lose our last answer (the error saying why); after shutdown
	 * nothing more arrives, so this ends */
	while (recv(c->h.fd, c->in, sizeof(c->in), MSG_DONTWAIT) > 0)
		;
	set_events(c, EPOLLIN);
}

static void client_free(struct client *c)
{
	struct control_server *s = c->server;
	int ret;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->watching)
		s->n_watchers--;
	ret = evloop_del(s->loop, &c->h);
	if (ret < 0)
		log_debug("control: epoll del: %s", strerror(-ret));
	close(c->h.fd);
	wipe_out(c);
	free(c->out);
	explicit_bzero(c->in, sizeof(c->in));
	free(c);
	s->n_clients--;
}

/* Make room for len more bytes of output. */
static int reserve(struct client *c, size_t len)
{
	size_t need, cap;
	char *out;

	if (c->out_off && c->out_len + len > c->out_cap) {
		memmove(c->out, c->out + c->out_off, pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	need = c->out_len + len;
	if (need <= c->out_cap)
		return 0;
	for (cap = c->out_cap ? c->out_cap : 4096; cap < need; cap *= 2)
		;
	if (c->secret) {
		/* realloc would leave the old copy of the token behind */
		out = malloc(cap);
		if (out && c->out) {
			memcpy(out, c->out, c->out_len);
			explicit_bzero(c->out, c->out_cap);
			free(c->out);
		}
	} else {
		out = realloc(c->out, cap);
	}
	if (!out)
		return -ENOMEM;
	c->out = out;
	c->out_cap = cap;
	return 0;
}

static int queue_json(struct client *c, const json_t *msg)
{
	size_t len = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	int ret;

	/* jansson escapes control characters in strings, so a compact dump
	 * has no '\n' of its own and one line is one message */
	if (!len)
		return -EINVAL;
	ret = reserve(c, len + 1);
	if (ret < 0)
		return ret;
	if (json_dumpb(msg, c->out + c->out_len, len, JSON_COMPACT) != len)
		return -EINVAL;
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return 0;
}

static void flush(struct client *c)
{
	while (pending(c)) {
		ssize_t n =
			send(c->h.fd, c->out + c->out_off, pending(c), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			log_debug("control: send to pid %d: %s", (int)c->peer.pid, strerror(errno));
			client_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	wipe_out(c);
	c->out_off = c->out_len = 0;
	if (c->out_cap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
}

static void update_events(struct client *c)
{
	uint32_t want = 0;

	if (c->closed)
		return;
	if (!c->draining && (c->watching || pending(c) < CONTROL_SERVER_OUT_PAUSE))
		want |= EPOLLIN;
	if (pending(c))
		want |= EPOLLOUT;
	set_events(c, want);
}

static void answer_error(struct client *c, const struct control_error *err)
{
	json_t *msg = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", err->msg, "code",
				control_code_name(err->code));

	if (!msg || queue_json(c, msg) < 0) {
		log_warn("control: out of memory answering pid %d", (int)c->peer.pid);
		client_close(c);
	}
	json_decref(msg);
}

static control_op_fn op_for(const struct control_ops *ops, const struct control_request *req)
{
	switch (req->cmd) {
	case CONTROL_CMD_STATUS:
		return ops->status;
	case CONTROL_CMD_DEVICE_LIST:
	case CONTROL_CMD_WATCH:
		return ops->device_list;
	case CONTROL_CMD_DEVICE_SHOW:
		return ops->device_show;
	case CONTROL_CMD_DEVICE_ADD:
		return req->token ? ops->device_add_token : ops->device_add_key;
	case CONTROL_CMD_DEVICE_DISABLE:
		return ops->device_disable;
	case CONTROL_CMD_DEVICE_ENABLE:
		return ops->device_enable;
	case CONTROL_CMD_DEVICE_REMOVE:
		return ops->device_remove;
	}
	return NULL;
}

static void handle_line(struct client *c, const char *line, size_t len)
{
	struct control_server *s = c->server;
	struct control_error err = {CONTROL_OK, ""};
	struct control_request req;
	json_t *body = NULL, *answer = NULL;
	control_op_fn op;
	size_t before;

	if (control_request_parse(line, len, &req, &err) < 0)
		goto fail;
	if (c->peer.read_only && control_cmd_changes(req.cmd)) {
		control_error_set(&err, CONTROL_READ_ONLY, "%s is refused on the read-only socket",
				  control_cmd_name(req.cmd));
		goto fail;
	}
	op = op_for(s->ops, &req);
	if (!op) {
		control_error_set(&err, CONTROL_INTERNAL, "%s is not implemented",
				  control_cmd_name(req.cmd));
		goto fail;
	}
	body = op(s->ctx, &req, &c->peer, &err);
	if (!body) {
		if (err.code == CONTROL_OK)
			control_error_set(&err, CONTROL_INTERNAL, "%s failed",
					  control_cmd_name(req.cmd));
		goto fail;
	}
	answer = json_object();
	if (!answer || !json_is_object(body) || json_object_set_new(answer, "ok", json_true()) ||
	    json_object_update(answer, body) || !json_is_true(json_object_get(answer, "ok"))) {
		control_error_set(&err, CONTROL_INTERNAL, "tetherd built a bad answer to %s",
				  control_cmd_name(req.cmd));
		goto fail;
	}
	if (req.cmd == CONTROL_CMD_DEVICE_ADD && req.token)
		c->secret = true;
	before = c->out_len;
	if (queue_json(c, answer) < 0) {
		log_warn("control: out of memory answering pid %d", (int)c->peer.pid);
		client_close(c);
		goto out;
	}
	if (req.cmd == CONTROL_CMD_WATCH) {
		c->watching = true;
		c->snapshot_len = c->out_len - before;
		s->n_watchers++;
		/* a watcher sends nothing more that we act on */
		c->in_len = 0;
	}
	goto out;
fail:
	answer_error(c, &err);
out:
	json_decref(answer);
	json_decref(body);
}

/* Answer the complete lines in the input buffer, in order, while the
 * output is below the pause mark (the rest waits for the peer to read). */
static void process_input(struct client *c)
{
	while (!c->closed && !c->draining && !c->watching &&
	       pending(c) < CONTROL_SERVER_OUT_PAUSE) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t len;

		if (!nl && c->in_len == sizeof(c->in)) {
			struct control_error err;

			control_error_set(&err, CONTROL_BAD_REQUEST,
					  "request line longer than %d bytes", CONTROL_LINE_MAX);
			answer_error(c, &err);
			c->in_len = 0;
			c->draining = true;
			break;
		}
		if (!nl && c->eof && c->in_len) {
			/* a last request without its '\n' (echo -n | socat) */
			len = c->in_len;
			c->in_len = 0;
			handle_line(c, c->in, len);
			continue;
		}
		if (!nl) {
			if (c->eof)
				c->draining = true;
			break;
		}
		len = (size_t)(nl - c->in);
		handle_line(c, c->in, len);
		if (c->watching)
			break;
		c->in_len -= len + 1;
		memmove(c->in, nl + 1, c->in_len);
	}
}

static void receive(struct client *c)
{
	char junk[512];
	ssize_t n;

	if (c->draining)
		return;
	if (c->watching)
		n = recv(c->h.fd, junk, sizeof(junk), MSG_DONTWAIT);
	else if (c->in_len < sizeof(c->in))
		n = recv(c->h.fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	else
		return; /* full of lines waiting for the output to drain */
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("control: recv from pid %d: %s", (int)c->peer.pid, strerror(errno));
		client_close(c);
		return;
	}
	if (n == 0) {
		/* a watcher that stops sending has gone; a client answers what
		 * it has and then closes */
		if (c->watching) {
			client_close(c);
			return;
		}
		c->eof = true;
	} else if (!c->watching) {
		c->in_len += (size_t)n;
	}
}

/* Answer and send alternately until the input has no whole line left or
 * the peer stops taking output. */
static void progress(struct client *c)
{
	while (!c->closed) {
		size_t before;

		process_input(c);
		if (!pending(c))
			break;
		before = pending(c);
		flush(c);
		if (c->closed || pending(c) == before || pending(c) >= CONTROL_SERVER_OUT_PAUSE)
			break;
	}
}

static void client_event(struct evloop_handler *h, uint32_t events)
{
	struct client *c = container_of(h, struct client, h);

	if (c->closed)
		goto out;
	if (events & EPOLLOUT)
		flush(c);
	if (!c->closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		receive(c);
	progress(c);
	if (!c->closed && c->draining && !pending(c))
		client_close(c);
	update_events(c);
out:
	/* epoll hands out one event per fd and batch, so c cannot come up
	 * again in this batch: freeing here is safe */
	if (c->closed)
		client_free(c);
}

/* Say why in one line, then close; the fd was never registered. */
static void refuse(int fd, enum control_code code, const char *msg)
{
	json_t *o = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", msg, "code",
			      control_code_name(code));
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char junk[512];

	if (line) {
		size_t len = strlen(line);

		line[len] = '\n';
		if (send(fd, line, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_debug("control: refusing a connection: %s", strerror(errno));
	}
	free(line);
	json_decref(o);
	/* as in client_close: no unread input, so the peer reads the line */
	if (shutdown(fd, SHUT_RDWR) == 0)
		while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
	close(fd);
}

static void accept_client(struct listener *l, int fd)
{
	struct control_server *s = l->server;
	struct ucred cred;
	socklen_t cred_len = sizeof(cred);
	struct client *c;
	int ret;

	if (s->n_clients >= CONTROL_SERVER_CLIENTS_MAX) {
		if (log_ratelimit(&s->rl, evloop_now()))
			log_warn("control: %d connections open, refusing more on %s",
				 CONTROL_SERVER_CLIENTS_MAX, l->path);
		refuse(fd, CONTROL_BUSY, "too many control connections, try again");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) {
		log_warn("control: SO_PEERCRED on %s: %s", l->path, strerror(errno));
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		refuse(fd, CONTROL_INTERNAL, "out of memory");
		return;
	}
	c->server = s;
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	c->peer.read_only = l->read_only;
	c->events = EPOLLIN;
	ret = evloop_add(s->loop, &c->h, fd, c->events, client_event);
	if (ret < 0) {
		log_warn("control: epoll add: %s", strerror(-ret));
		free(c);
		close(fd);
		return;
	}
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->n_clients++;
	log_debug("control: connection from pid %d uid %u on %s", (int)cred.pid,
		  (unsigned int)cred.uid, l->path);
}

static void listener_event(struct evloop_handler *h, uint32_t events)
{
	struct listener *l = container_of(h, struct listener, h);
	struct control_server *s = l->server;

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			accept_client(l, fd);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (log_ratelimit(&s->rl, evloop_now()))
			log_warn("control: accept on %s: %s", l->path, strerror(errno));
		if ((errno == EMFILE || errno == ENFILE) && s->spare_fd >= 0) {
			/* out of descriptors: the pending connection would keep
			 * the socket readable and spin the loop, so use the spare
			 * to take it and hang up */
			close(s->spare_fd);
			fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		return;
	}
}

struct control_server *control_server_create(struct evloop *loop, const struct control_ops *ops,
					     void *ctx)
{
	struct control_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = loop;
	s->ops = ops;
	s->ctx = ctx;
	s->rl.burst = 5;
	s->rl.per_sec = 1;
	s->rl.tokens = 5;
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->spare_fd < 0) {
		int e = errno;

		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

/* Remove a socket file left by a tetherd that died, but never one that
 * still answers, nor anything that is not a socket. */
static int remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* non-blocking: a live server with a full backlog says EAGAIN */
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN)
		ret = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		ret = unlink(sa->sun_path) < 0 && errno != ENOENT ? -errno : 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

int control_server_listen(struct control_server *s, const char *path, mode_t mode, gid_t gid,
			  bool read_only)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct listener *l;
	struct stat st;
	bool bound = false;
	mode_t old_mask;
	int fd = -1, ret;

	if (s->n_listeners == CONTROL_SERVER_LISTENERS_MAX)
		return -ENOSPC;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	l = &s->listeners[s->n_listeners];

	ret = remove_stale(&sa);
	if (ret < 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	/* born 0600, so nobody connects before the group and mode are set */
	old_mask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old_mask);
	if (ret < 0)
		goto out;
	bound = true;
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		ret = -errno;
		goto out;
	}
	if (chmod(path, mode) < 0 || lstat(path, &st) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		goto out;
	}
	l->server = s;
	l->read_only = read_only;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	strcpy(l->path, path);
	ret = evloop_add(s->loop, &l->h, fd, EPOLLIN, listener_event);
	if (ret < 0)
		goto out;
	s->n_listeners++;
	log_debug("control: listening on %s%s", path, read_only ? " (read-only)" : "");
out:
	if (ret < 0 && bound)
		unlink(path);
	if (ret < 0 && fd >= 0)
		close(fd);
	return ret;
}

int control_server_broadcast(struct control_server *s, const json_t *event)
{
	size_t len;
	char *line = NULL;
	int ret = 0;

	if (!json_is_object(event))
		return -EINVAL;
	if (!s->n_watchers)
		return 0;
	len = json_dumpb(event, NULL, 0, JSON_COMPACT);
	if (!len)
		return -EINVAL;
	line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	if (json_dumpb(event, line, len, JSON_COMPACT) != len) {
		ret = -EINVAL;
		goto out;
	}
	line[len++] = '\n';
	for (struct client *c = s->clients; c; c = c->next) {
		bool was_idle;

		if (!c->watching || c->closed)
			continue;
		if (pending(c) + len > c->snapshot_len + CONTROL_SERVER_WATCH_BACKLOG) {
			log_notice("control: watcher pid %d would be %zu bytes behind, "
				   "disconnecting",
				   (int)c->peer.pid, pending(c) + len);
			client_close(c);
			continue;
		}
		was_idle = !pending(c);
		if (reserve(c, len) < 0) {
			client_close(c);
			ret = -ENOMEM;
			continue;
		}
		memcpy(c->out + c->out_len, line, len);
		c->out_len += len;
		/* a watcher with output waiting has EPOLLOUT armed already */
		if (was_idle)
			flush(c);
		update_events(c);
	}
out:
	free(line);
	return ret;
}

unsigned int control_server_clients(const struct control_server *s)
{
	return s->n_clients;
}

unsigned int control_server_watchers(const struct control_server *s)
{
	return s->n_watchers;
}

void control_server_free(struct control_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_free(s->clients);
	for (unsigned int i = 0; i < s->n_listeners; i++) {
		struct listener *l = &s->listeners[i];
		struct stat st;
		int ret = evloop_del(s->loop, &l->h);

		if (ret < 0)
			log_debug("control: epoll del: %s", strerror(-ret));
		close(l->h.fd);
		if (lstat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
			unlink(l->path);
	}
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	free(s);
}
