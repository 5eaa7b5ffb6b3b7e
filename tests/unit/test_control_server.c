/* The control server over real UNIX sockets in a temporary directory,
 * with a fake tetherd behind it. The test plays the clients and turns the
 * event loop itself, so every step is deterministic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control_fake.h"

#define KEY "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="

static struct fake f;

/* A test client: a socket and what it has read but not used yet. */
struct tc {
	int fd;
	char *buf;
	size_t len, cap;
};

static void setup(void)
{
	fake_init(&f);
}

static void teardown(void)
{
	fake_fini(&f);
}

TestSuite(control_server, .init = setup, .fini = teardown);

static uint64_t ms_now(void)
{
	return evloop_now() / 1000000;
}

static void pump(int ms)
{
	uint64_t end = ms_now() + (uint64_t)ms;

	do
		cr_assert_geq(evloop_run_once(&f.loop, 5), 0);
	while (ms_now() < end);
}

static struct tc tc_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct tc c = {.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};

	cr_assert_geq(c.fd, 0);
	cr_assert_lt(strlen(path), sizeof(sa.sun_path), "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cr_assert_eq(connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s: %s", path,
		     strerror(errno));
	return c;
}

static void tc_close(struct tc *c)
{
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

static void tc_send(struct tc *c, const char *data, size_t len)
{
	uint64_t end = ms_now() + 2000;
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, data + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			cr_assert_lt(ms_now(), end, "cannot send for 2 s");
			pump(1);
			continue;
		}
		cr_assert_gt(n, 0, "send: %s", strerror(errno));
		off += (size_t)n;
	}
}

static void tc_line(struct tc *c, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);

	memcpy(buf, line, len);
	buf[len] = '\n';
	tc_send(c, buf, len + 1);
	free(buf);
}

/* Read what has arrived; returns false on EOF. */
static bool tc_fill(struct tc *c)
{
	for (;;) {
		ssize_t n;

		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
			cr_assert_not_null(c->buf);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return false;
		cr_assert(errno == EAGAIN, "recv: %s", strerror(errno));
		return true;
	}
}

/* The next line as JSON, turning the loop until it comes (2 s at most). */
static json_t *tc_read(struct tc *c)
{
	uint64_t end = ms_now() + 2000;

	for (;;) {
		bool open = tc_fill(c);
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;

		if (nl) {
			size_t len = (size_t)(nl - c->buf);
			json_t *j = json_loadb(c->buf, len, JSON_REJECT_DUPLICATES, NULL);

			cr_assert_not_null(j, "not JSON: %.*s", (int)len, c->buf);
			memmove(c->buf, nl + 1, c->len - len - 1);
			c->len -= len + 1;
			return j;
		}
		cr_assert(open, "connection closed while waiting for a line");
		cr_assert_lt(ms_now(), end, "no answer within 2 s");
		cr_assert_geq(evloop_run_once(&f.loop, 5), 0);
	}
}

/* Expect the server to close the connection (after any lines). */
static void tc_expect_eof(struct tc *c)
{
	uint64_t end = ms_now() + 2000;

	while (tc_fill(c)) {
		cr_assert_lt(ms_now(), end, "connection not closed within 2 s");
		cr_assert_geq(evloop_run_once(&f.loop, 5), 0);
	}
}

static json_t *call(struct tc *c, const char *line)
{
	tc_line(c, line);
	return tc_read(c);
}

static void expect_ok(json_t *ans)
{
	cr_assert(json_is_true(json_object_get(ans, "ok")), "not ok: %s",
		  json_string_value(json_object_get(ans, "error")));
}

static void expect_error(json_t *ans, const char *code, const char *text)
{
	const char *got = json_string_value(json_object_get(ans, "code"));
	const char *msg = json_string_value(json_object_get(ans, "error"));

	cr_assert(json_is_false(json_object_get(ans, "ok")));
	cr_assert_str_eq(got ? got : "(none)", code);
	cr_assert_not_null(msg);
	cr_assert_not_null(strstr(msg, text), "\"%s\" lacks \"%s\"", msg, text);
}

Test(control_server, status)
{
	struct tc c = tc_open(f.rw_path);
	json_t *ans = call(&c, "{\"cmd\":\"status\"}");

	expect_ok(ans);
	cr_assert_str_eq(
		json_string_value(json_object_get(json_object_get(ans, "status"), "listen")),
		"0.0.0.0:51900");
	json_decref(ans);
	tc_close(&c);
}

Test(control_server, every_command)
{
	struct tc c = tc_open(f.rw_path);
	json_t *ans;

	ans = call(&c, "{\"cmd\":\"device.list\"}");
	expect_ok(ans);
	cr_assert_eq(json_array_size(json_object_get(ans, "devices")), 1);
	json_decref(ans);

	ans = call(&c, "{\"cmd\":\"device.show\",\"name\":\"an12345678\"}");
	expect_ok(ans);
	cr_assert_str_eq(
		json_string_value(json_object_get(json_object_get(ans, "device"), "state")),
		"active");
	json_decref(ans);

	ans = call(&c, "{\"cmd\":\"device.show\",\"name\":\"nope\"}");
	expect_error(ans, "not_found", "nope");
	json_decref(ans);

	ans = call(&c, "{\"cmd\":\"device.add\",\"name\":\"b1\",\"key\":\"" KEY "\"}");
	expect_ok(ans);
	json_decref(ans);
	ans = call(&c, "{\"cmd\":\"device.add\",\"name\":\"b1\",\"key\":\"" KEY "\"}");
	expect_error(ans, "exists", "b1");
	json_decref(ans);

	ans = call(&c, "{\"cmd\":\"device.add\",\"name\":\"t1\",\"token\":true,\"ttl\":600}");
	expect_ok(ans);
	cr_assert_str_eq(json_string_value(json_object_get(ans, "token")), "tok-secret-123");
	cr_assert(json_is_integer(json_object_get(ans, "token_expires")));
	cr_assert_eq(f.last_ttl, 600);
	json_decref(ans);

	ans = call(&c, "{\"cmd\":\"device.disable\",\"name\":\"b1\"}");
	expect_ok(ans);
	cr_assert_str_eq(
		json_string_value(json_object_get(json_object_get(ans, "device"), "state")),
		"disabled");
	json_decref(ans);
	ans = call(&c, "{\"cmd\":\"device.enable\",\"name\":\"b1\"}");
	expect_ok(ans);
	json_decref(ans);
	ans = call(&c, "{\"cmd\":\"device.remove\",\"name\":\"b1\"}");
	expect_ok(ans);
	json_decref(ans);
	ans = call(&c, "{\"cmd\":\"device.remove\",\"name\":\"b1\"}");
	expect_error(ans, "not_found", "b1");
	json_decref(ans);
	tc_close(&c);
}

/* Bad requests get an error each, and the connection goes on. */
Test(control_server, bad_requests_keep_the_connection)
{
	static const struct {
		const char *line, *text;
	} bad[] = {
		{"{\"cmd\":", "invalid JSON"},
		{"not json", "invalid JSON"},
		{"{\"cmd\":\"reboot\"}", "unknown command \"reboot\""},
		{"{\"cmd\":\"status\",\"verbose\":true}", "unknown member \"verbose\""},
		{"{\"cmd\":\"device.show\",\"name\":42}", "\"name\" must be a string"},
		{"{\"cmd\":\"device.show\",\"name\":\"BAD\"}", "invalid device name \"BAD\""},
		{"{\"cmd\":\"device.add\",\"name\":\"a\",\"key\":\"short\"}", "invalid public key"},
		{"{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,\"ttl\":1}",
		 "out of range"},
		{"", "invalid JSON"},
	};
	struct tc c = tc_open(f.rw_path);
	json_t *ans;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ans = call(&c, bad[i].line);
		expect_error(ans, "bad_request", bad[i].text);
		json_decref(ans);
	}
	cr_assert_eq(f.calls, 0, "a bad request reached tetherd");
	ans = call(&c, "{\"cmd\":\"status\"}");
	expect_ok(ans);
	json_decref(ans);
	tc_close(&c);
}

Test(control_server, oversized_line)
{
	struct tc c = tc_open(f.rw_path);
	char *big = malloc(CONTROL_LINE_MAX + 100);
	json_t *ans;

	memset(big, 'x', CONTROL_LINE_MAX + 100);
	tc_send(&c, big, CONTROL_LINE_MAX + 100);
	ans = tc_read(&c);
	expect_error(ans, "bad_request", "longer than 4096 bytes");
	json_decref(ans);
	tc_expect_eof(&c);
	pump(20);
	cr_assert_eq(control_server_clients(f.server), 0);
	free(big);
	tc_close(&c);
}

/* A request of exactly the limit passes. */
Test(control_server, line_at_the_limit)
{
	struct tc c = tc_open(f.rw_path);
	char *line = malloc(CONTROL_LINE_MAX + 1);
	json_t *ans;

	memset(line, ' ', CONTROL_LINE_MAX);
	memcpy(line, "{\"cmd\":\"status\"}", 16);
	line[CONTROL_LINE_MAX] = '\n';
	tc_send(&c, line, CONTROL_LINE_MAX + 1);
	ans = tc_read(&c);
	expect_ok(ans);
	json_decref(ans);
	free(line);
	tc_close(&c);
}

/* Pipelined requests are answered in order, one line each, even when the
 * answers pile up faster than the client reads them. */
Test(control_server, many_requests_one_connection)
{
	struct tc c = tc_open(f.rw_path);
	char name[32], *lines = malloc(400 * 64), *p = lines;
	json_t *ans;
	int n = 400;

	/* enough devices that the answers pass the output pause mark */
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "d%03d", i);
		json_object_set_new(f.devices, name, fake_device(name, "active", NULL));
	}
	for (int i = 0; i < n; i++) {
		if (i % 2)
			p += sprintf(p, "{\"cmd\":\"device.show\",\"name\":\"d%03d\"}\n", i % 200);
		else
			p += sprintf(p, "{\"cmd\":\"device.list\"}\n");
	}
	/* all at once, as a pipelining client would */
	tc_send(&c, lines, (size_t)(p - lines));
	free(lines);
	for (int i = 0; i < n; i++) {
		ans = tc_read(&c);
		expect_ok(ans);
		if (i % 2) {
			snprintf(name, sizeof(name), "d%03d", i % 200);
			cr_assert_str_eq(json_string_value(json_object_get(
						 json_object_get(ans, "device"), "name")),
					 name);
		} else {
			cr_assert_eq(json_array_size(json_object_get(ans, "devices")), 201);
		}
		json_decref(ans);
	}
	tc_close(&c);
}

/* A request sent in pieces, and the last one without its newline before
 * the client closes its sending side (echo -n ... | socat). */
Test(control_server, split_and_unterminated)
{
	struct tc c = tc_open(f.rw_path);
	json_t *ans;

	tc_send(&c, "{\"cmd\":", 7);
	pump(10);
	tc_send(&c, "\"status\"}\n{\"cmd\":\"device.list\"}", 31);
	cr_assert_eq(shutdown(c.fd, SHUT_WR), 0);
	ans = tc_read(&c);
	expect_ok(ans);
	cr_assert_not_null(json_object_get(ans, "status"));
	json_decref(ans);
	ans = tc_read(&c);
	expect_ok(ans);
	cr_assert_not_null(json_object_get(ans, "devices"));
	json_decref(ans);
	tc_expect_eof(&c);
	tc_close(&c);
}

Test(control_server, read_only_socket)
{
	static const char *const changes[] = {
		"{\"cmd\":\"device.add\",\"name\":\"x\",\"key\":\"" KEY "\"}",
		"{\"cmd\":\"device.add\",\"name\":\"x\",\"token\":true}",
		"{\"cmd\":\"device.disable\",\"name\":\"an12345678\"}",
		"{\"cmd\":\"device.enable\",\"name\":\"an12345678\"}",
		"{\"cmd\":\"device.remove\",\"name\":\"an12345678\"}",
	};
	struct tc c = tc_open(f.ro_path);
	json_t *ans;

	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		ans = call(&c, changes[i]);
		expect_error(ans, "read_only", "read-only");
		json_decref(ans);
	}
	cr_assert_eq(f.calls, 0);
	cr_assert_eq(json_object_size(f.devices), 1);
	ans = call(&c, "{\"cmd\":\"status\"}");
	expect_ok(ans);
	json_decref(ans);
	ans = call(&c, "{\"cmd\":\"device.show\",\"name\":\"an12345678\"}");
	expect_ok(ans);
	json_decref(ans);
	ans = call(&c, "{\"cmd\":\"watch\"}");
	expect_ok(ans);
	cr_assert_eq(control_server_watchers(f.server), 1);
	json_decref(ans);
	tc_close(&c);
}

Test(control_server, socket_mode_and_files)
{
	struct stat st;

	cr_assert_eq(stat(f.rw_path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0660);
	control_server_free(f.server);
	/* freeing removes the socket files it made */
	cr_assert_neq(stat(f.rw_path, &st), 0);
	cr_assert_neq(stat(f.ro_path, &st), 0);
	f.server = control_server_create(&f.loop, &fake_ops, &f);
	cr_assert_not_null(f.server);
}

Test(control_server, stale_live_and_foreign_files)
{
	struct control_server *other = control_server_create(&f.loop, &fake_ops, &f);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char stale[100], plain[100];
	int fd;

	cr_assert_not_null(other);
	/* a live server answers on the path: refuse */
	cr_assert_eq(control_server_listen(other, f.rw_path, 0660, (gid_t)-1, false), -EADDRINUSE);
	/* a socket file nobody listens on: replace it */
	snprintf(stale, sizeof(stale), "%s/stale.sock", f.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cr_assert_eq(control_server_listen(other, stale, 0600, (gid_t)-1, false), 0);
	/* not a socket at all: leave it alone */
	snprintf(plain, sizeof(plain), "%s/plain", f.dir);
	fd = open(plain, O_CREAT | O_WRONLY, 0600);
	close(fd);
	cr_assert_eq(control_server_listen(other, plain, 0600, (gid_t)-1, false), -EEXIST);
	control_server_free(other);
	cr_assert_eq(access(plain, F_OK), 0);
	/* our first server still answers */
	{
		struct tc c = tc_open(f.rw_path);
		json_t *ans = call(&c, "{\"cmd\":\"status\"}");

		expect_ok(ans);
		json_decref(ans);
		tc_close(&c);
	}
}

Test(control_server, watch_snapshot_then_events)
{
	struct tc w = tc_open(f.ro_path), c = tc_open(f.rw_path);
	json_t *ans, *ev;

	ans = call(&w, "{\"cmd\":\"watch\"}");
	expect_ok(ans);
	cr_assert_eq(json_array_size(json_object_get(ans, "devices")), 1);
	json_decref(ans);
	cr_assert_eq(control_server_watchers(f.server), 1);

	/* the op broadcasts "added" while it runs */
	ans = call(&c, "{\"cmd\":\"device.add\",\"name\":\"n1\",\"token\":true}");
	expect_ok(ans);
	json_decref(ans);
	ev = tc_read(&w);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "event")), "added");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "device"), "name")),
			 "n1");
	json_decref(ev);

	/* and from outside any op, as on a handshake */
	ev = json_pack("{s:s, s:{s:s}}", "event", "online", "device", "name", "n1");
	cr_assert_eq(control_server_broadcast(f.server, ev), 0);
	json_decref(ev);
	ev = tc_read(&w);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "event")), "online");
	json_decref(ev);
	ev = json_array();
	cr_assert_eq(control_server_broadcast(f.server, ev), -EINVAL);
	json_decref(ev);

	/* what a watcher sends is ignored; closing it unsubscribes */
	tc_line(&w, "{\"cmd\":\"status\"}");
	pump(20);
	cr_assert_eq(control_server_watchers(f.server), 1);
	tc_close(&w);
	pump(20);
	cr_assert_eq(control_server_watchers(f.server), 0);
	cr_assert_eq(control_server_clients(f.server), 1);
	tc_close(&c);
}

/* A watcher that never reads is cut off once about 1 MiB of events wait
 * for it, and tetherd's memory stays bounded meanwhile. */
Test(control_server, slow_watcher_disconnected)
{
	struct tc w = tc_open(f.ro_path), fast = tc_open(f.ro_path);
	json_t *ans, *ev, *dev = fake_device("big", "active", NULL);
	size_t sent = 0, got = 0, line;
	int events = 0;

	ans = call(&w, "{\"cmd\":\"watch\"}");
	json_decref(ans);
	ans = call(&fast, "{\"cmd\":\"watch\"}");
	json_decref(ans);
	ev = fake_event("online", dev, 4000);
	line = json_dumpb(ev, NULL, 0, JSON_COMPACT) + 1;
	while (control_server_watchers(f.server) == 2) {
		cr_assert_eq(control_server_broadcast(f.server, ev), 0);
		sent += line;
		events++;
		cr_assert_lt(sent, 64u << 20, "slow watcher never disconnected");
		/* the fast one keeps up */
		cr_assert(tc_fill(&fast));
		while (fast.len) {
			char *nl = memchr(fast.buf, '\n', fast.len);

			if (!nl)
				break;
			got++;
			fast.len -= (size_t)(nl - fast.buf) + 1;
			memmove(fast.buf, nl + 1, fast.len);
		}
		evloop_run_once(&f.loop, 0);
	}
	/* the kernel buffers some, the server at most the backlog bound */
	cr_assert_gt(sent, (size_t)CONTROL_SERVER_WATCH_BACKLOG);
	cr_assert_lt(sent, (size_t)CONTROL_SERVER_WATCH_BACKLOG + (8u << 20));
	pump(20);
	cr_assert_eq(control_server_clients(f.server), 1);
	/* it gets what was already in its socket, then EOF */
	tc_expect_eof(&w);
	(void)got;
	json_decref(ev);
	json_decref(dev);
	tc_close(&w);
	tc_close(&fast);
}

/* A watcher closed by a broadcast inside another client's op, while its
 * own input is pending in the same epoll batch, is freed once and later
 * (ASan sees any use after free). */
Test(control_server, watcher_closed_inside_a_batch)
{
	struct tc w = tc_open(f.ro_path), c = tc_open(f.rw_path);
	json_t *ans;

	ans = call(&w, "{\"cmd\":\"watch\"}");
	json_decref(ans);
	/* the "added" event alone is over the backlog bound */
	f.add_event_pad = CONTROL_SERVER_WATCH_BACKLOG + 1000;
	tc_line(&c, "{\"cmd\":\"device.add\",\"name\":\"z1\",\"key\":\"" KEY "\"}");
	tc_line(&w, "junk");
	ans = tc_read(&c);
	expect_ok(ans);
	json_decref(ans);
	pump(20);
	cr_assert_eq(control_server_watchers(f.server), 0);
	cr_assert_eq(control_server_clients(f.server), 1);
	tc_expect_eof(&w);
	tc_close(&w);
	tc_close(&c);
}

Test(control_server, client_limit)
{
	struct tc c[CONTROL_SERVER_CLIENTS_MAX + 1];
	json_t *ans;

	for (int i = 0; i < CONTROL_SERVER_CLIENTS_MAX; i++) {
		c[i] = tc_open(f.rw_path);
		pump(1);
	}
	pump(20);
	cr_assert_eq(control_server_clients(f.server), CONTROL_SERVER_CLIENTS_MAX);
	c[CONTROL_SERVER_CLIENTS_MAX] = tc_open(f.rw_path);
	ans = tc_read(&c[CONTROL_SERVER_CLIENTS_MAX]);
	expect_error(ans, "busy", "too many");
	json_decref(ans);
	tc_expect_eof(&c[CONTROL_SERVER_CLIENTS_MAX]);
	/* the others still work */
	ans = call(&c[0], "{\"cmd\":\"status\"}");
	expect_ok(ans);
	json_decref(ans);
	for (int i = 0; i <= CONTROL_SERVER_CLIENTS_MAX; i++)
		tc_close(&c[i]);
	pump(20);
	cr_assert_eq(control_server_clients(f.server), 0);
}

/* A client that vanishes with answers unread costs nothing lasting. */
Test(control_server, client_gone_mid_answer)
{
	struct tc c = tc_open(f.rw_path);

	for (int i = 0; i < 50; i++)
		tc_line(&c, "{\"cmd\":\"device.list\"}");
	tc_close(&c);
	pump(50);
	cr_assert_eq(control_server_clients(f.server), 0);
}
