/* The control server's framing on arbitrary bytes, through a real UNIX
 * socket: split at fuzzed points, pipelined, oversized, cut short. Every
 * answer is one JSON line, and once the client stops sending the server
 * answers, closes and frees the connection - nothing hangs or leaks. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "concentrator/control/control_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct evloop loop;
static struct control_server *server;
static char path[108];

static json_t *answer(void *ctx, const struct control_request *req, const struct control_peer *peer,
		      struct control_error *err)
{
	json_t *ev;

	(void)ctx, (void)peer;
	switch (req->cmd) {
	case CONTROL_CMD_STATUS:
		return json_pack("{s:{s:s}}", "status", "version", "0");
	case CONTROL_CMD_DEVICE_LIST:
	case CONTROL_CMD_WATCH:
		return json_pack("{s:[{s:s}]}", "devices", "name", "a");
	case CONTROL_CMD_DEVICE_REMOVE:
		control_error_set(err, CONTROL_NOT_FOUND, "no device named %s", req->name);
		return NULL;
	default:
		/* changes tell the watchers, from inside the op */
		ev = json_pack("{s:s, s:{s:s}}", "event", "added", "device", "name", req->name);
		control_server_broadcast(server, ev);
		json_decref(ev);
		return json_pack("{s:{s:s}, s:s}", "device", "name", req->name, "token", "t");
	}
}

static const struct control_ops ops = {
	.status = answer,
	.device_list = answer,
	.device_show = answer,
	.device_add_key = answer,
	.device_add_token = answer,
	.device_disable = answer,
	.device_enable = answer,
	.device_remove = answer,
};

static char dir[] = "/tmp/tether-fuzz-ctl-XXXXXX";

static void cleanup(void)
{
	control_server_free(server); /* removes the socket file */
	evloop_close(&loop);
	rmdir(dir);
}

static void init(void)
{

	log_init("fuzz", LOG_TARGET_STDERR, LOG_LEVEL_ERR);
	assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	assert(evloop_init(&loop) == 0);
	server = control_server_create(&loop, &ops, NULL);
	assert(server);
	assert(control_server_listen(server, path, 0600, (gid_t)-1, false) == 0);
	atexit(cleanup);
}

/* Every whole line the server sent is a JSON object with "ok" or "event". */
static void check_lines(char *buf, size_t *len)
{
	char *nl;

	while ((nl = memchr(buf, '\n', *len))) {
		size_t n = (size_t)(nl - buf);
		json_t *j = json_loadb(buf, n, 0, NULL);

		assert(json_is_object(j));
		assert(json_object_get(j, "ok") || json_object_get(j, "event"));
		json_decref(j);
		*len -= n + 1;
		memmove(buf, nl + 1, *len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[1 << 20];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t off = 0, len = 0, step;
	bool eof = false;
	int fd, rounds = 0;

	if (!server)
		init();
	if (size < 1)
		return 0;
	/* the first byte says how the rest is cut into writes */
	step = (size_t)data[0] * 37 + 1;
	data++, size--;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	if (!size)
		shutdown(fd, SHUT_WR);

	while (!eof) {
		ssize_t n;

		assert(++rounds < 100000);
		if (off < size) {
			size_t chunk = size - off < step ? size - off : step;

			n = send(fd, data + off, chunk, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else
				assert(errno == EAGAIN || errno == EPIPE);
			if (n < 0 && errno == EPIPE)
				off = size; /* the server gave up on us (too long a line) */
			if (off == size)
				shutdown(fd, SHUT_WR);
		}
		if (rounds % 7 == 0) {
			json_t *ev = json_pack("{s:s}", "event", "online");

			assert(control_server_broadcast(server, ev) == 0);
			json_decref(ev);
		}
		assert(evloop_run_once(&loop, 0) >= 0);
		for (;;) {
			if (len == sizeof(in))
				len = 0; /* a huge line: not ours to judge here */
			n = recv(fd, in + len, sizeof(in) - len, 0);
			if (n > 0) {
				len += (size_t)n;
				check_lines(in, &len);
				continue;
			}
			if (n == 0)
				eof = true;
			else
				assert(errno == EAGAIN || errno == ECONNRESET);
			if (n < 0 && errno == ECONNRESET)
				eof = true;
			break;
		}
	}
	close(fd);
	/* the server frees the connection the next time its handler runs */
	for (int i = 0; i < 100 && control_server_clients(server); i++)
		assert(evloop_run_once(&loop, 1) >= 0);
	assert(control_server_clients(server) == 0);
	return 0;
}
