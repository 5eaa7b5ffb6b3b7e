/* Control client: all reads and writes are MSG_DONTWAIT with poll() for
 * the waiting, so one code path serves tetherctl (blocking, with a
 * deadline) and tether-proxy (an fd in its event loop). */
#include "concentrator/control/control_client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
	READ_CHUNK = 16 * 1024,
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* deadline: -1 forever, else an absolute now_ms() time */
static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Wait for events on fd until the deadline. Returns 0 or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int left, n;

	for (;;) {
		if (deadline < 0) {
			left = -1;
		} else {
			int64_t d = deadline - now_ms();

			if (d <= 0)
				return -ETIMEDOUT;
			left = d > INT32_MAX ? INT32_MAX : (int)d;
		}
		n = poll(&pfd, 1, left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int control_client_open(struct control_client *c, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	/* zero would mean no timeout at all */
	int ms = timeout_ms > 0 ? timeout_ms : 1;
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000};
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		goto out;
	}
	/* a UNIX connect only blocks while the backlog is full; bound it */
	if (timeout_ms >= 0 && setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto out;
	}
	ret = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	if (ret == -EAGAIN || ret == -EINPROGRESS)
		ret = -ETIMEDOUT;
out:
	if (ret < 0)
		control_client_close(c);
	return ret;
}

void control_client_close(struct control_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	/* the answer to device.add with a token holds the token */
	if (c->buf)
		explicit_bzero(c->buf, c->cap);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int send_all(struct control_client *c, const char *data, size_t len, int64_t deadline)
{
	size_t off = 0;
	int ret;

	while (off < len) {
		ssize_t n = send(c->fd, data + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == EPIPE ? -ECONNRESET : -errno;
		ret = wait_fd(c->fd, POLLOUT, deadline);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int send_request(struct control_client *c, const json_t *request, int64_t deadline)
{
	char *line = json_dumps(request, JSON_COMPACT);
	size_t len;
	int ret;

	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len] = '\n'; /* over the NUL: json_dumps left room for it */
	ret = send_all(c, line, len + 1, deadline);
	/* a request may carry nothing secret today, but wipe it anyway */
	explicit_bzero(line, len + 1);
	free(line);
	return ret;
}

int control_client_send(struct control_client *c, const json_t *request, int timeout_ms)
{
	return send_request(c, request, deadline_of(timeout_ms));
}

/* Room for at least READ_CHUNK more bytes after c->len. */
static int make_room(struct control_client *c)
{
	size_t cap;
	char *buf;

	if (c->off) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->cap - c->len > READ_CHUNK)
		return 0;
	if (c->len >= CONTROL_CLIENT_LINE_MAX)
		return -EMSGSIZE;
	cap = c->cap ? c->cap * 2 : 2 * READ_CHUNK;
	/* not realloc: it would leave what was read (a token) in the old block */
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (c->buf) {
		memcpy(buf, c->buf, c->len);
		explicit_bzero(c->buf, c->cap);
		free(c->buf);
	}
	c->buf = buf;
	c->cap = cap;
	return 0;
}

static int read_line(struct control_client *c, int64_t deadline, bool wait, const char **line,
		     size_t *len)
{
	int ret;

	for (;;) {
		char *start = c->buf + c->off;
		char *nl = c->len > c->off ? memchr(start, '\n', c->len - c->off) : NULL;
		ssize_t n;

		if (nl) {
			*nl = '\0';
			*line = start;
			*len = (size_t)(nl - start);
			c->off += *len + 1;
			return 0;
		}
		ret = make_room(c);
		if (ret < 0)
			return ret;
		/* keep one byte spare: the line's '\n' becomes its NUL */
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (!wait)
			return -EAGAIN;
		ret = wait_fd(c->fd, POLLIN, deadline);
		if (ret < 0)
			return ret;
	}
}

int control_client_read_line(struct control_client *c, int timeout_ms, const char **line,
			     size_t *len)
{
	return read_line(c, deadline_of(timeout_ms), timeout_ms != 0, line, len);
}

static int read_json(struct control_client *c, int64_t deadline, bool wait, json_t **msg)
{
	const char *line;
	size_t len;
	int ret;

	*msg = NULL;
	ret = read_line(c, deadline, wait, &line, &len);
	if (ret < 0)
		return ret;
	*msg = json_loadb(line, len, 0, NULL);
	if (!json_is_object(*msg)) {
		json_decref(*msg);
		*msg = NULL;
		return -EBADMSG;
	}
	return 0;
}

int control_client_read(struct control_client *c, int timeout_ms, json_t **msg)
{
	return read_json(c, deadline_of(timeout_ms), timeout_ms != 0, msg);
}

int control_client_call(struct control_client *c, const json_t *request, int timeout_ms,
			json_t **answer, struct control_error *err)
{
	int64_t deadline = deadline_of(timeout_ms);
	json_t *msg = NULL, *ok;
	const char *text;
	int ret;

	*answer = NULL;
	ret = send_request(c, request, deadline);
	if (ret < 0)
		goto out;
	ret = read_json(c, deadline, true, &msg);
	if (ret < 0)
		goto out;
	ok = json_object_get(msg, "ok");
	if (json_is_true(ok)) {
		*answer = msg;
		msg = NULL;
		goto out;
	}
	if (!json_is_false(ok)) {
		ret = -EBADMSG;
		goto out;
	}
	text = json_string_value(json_object_get(msg, "error"));
	control_error_set(err, control_code_parse(json_string_value(json_object_get(msg, "code"))),
			  "%s", text ? text : "tetherd refused without saying why");
	ret = -EREMOTEIO;
out:
	json_decref(msg);
	return ret;
}
