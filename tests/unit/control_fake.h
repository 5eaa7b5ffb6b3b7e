/* A fake tetherd behind a real control server, for the control tests: a
 * handful of devices in a JSON object, the ops of struct control_ops over
 * it, and a thread that runs the event loop while a test plays client
 * (tetherctl runs as a child process). Included by the test files only. */
#ifndef TETHER_TESTS_CONTROL_FAKE_H
#define TETHER_TESTS_CONTROL_FAKE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/evloop.h"
#include "concentrator/control/control_server.h"

struct fake {
	struct evloop loop;
	struct control_server *server;
	json_t *devices; /* name -> DEVICE */
	char dir[64], rw_path[128], ro_path[128];
	uint32_t last_ttl;
	unsigned int calls;
	size_t add_event_pad; /* make the "added" event this much bigger */
	/* the loop thread */
	pthread_t thread;
	struct evloop_handler stop_h;
	int stop_fd;
	volatile bool stop;
	bool running;
};

static inline json_t *fake_device(const char *name, const char *state, const char *key)
{
	return json_pack("{s:s, s:o, s:s, s:s, s:s, s:b, s:I, s:o, s:o, s:I, s:I, s:s, s:I}",
			 "name", name, "public_key", key ? json_string(key) : json_null(), "state",
			 state, "address", "100.64.0.2", "interface", "tt-x", "online", 0, "since",
			 (json_int_t)1763773200, "endpoint", json_null(), "last_handshake",
			 json_null(), "rx_bytes", (json_int_t)1536, "tx_bytes", (json_int_t)0,
			 "url", "https://x.remote.example.com/", "created", (json_int_t)1763773000);
}

static inline json_t *fake_event(const char *type, json_t *dev, size_t pad)
{
	json_t *ev = json_pack("{s:s, s:O}", "event", type, "device", dev);

	if (pad) {
		char *p = malloc(pad + 1);

		memset(p, 'p', pad);
		p[pad] = '\0';
		json_object_set_new(ev, "pad", json_string(p));
		free(p);
	}
	return ev;
}

static inline json_t *fake_status(void *ctx, const struct control_request *req,
				  const struct control_peer *peer, struct control_error *err)
{
	struct fake *f = ctx;

	(void)req, (void)peer, (void)err;
	f->calls++;
	return json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:{s:i, s:i, s:i, s:i, s:i}}}",
			 "status", "version", "0.1.0", "listen", "0.0.0.0:51900", "public_key",
			 "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", "domain",
			 "remote.example.com", "pool", "100.64.0.0/16", "gateway", "100.64.0.1",
			 "uptime", 3725, "devices", "total", (int)json_object_size(f->devices),
			 "active", 1, "pending", 0, "disabled", 0, "online", 0);
}

static inline json_t *fake_list(void *ctx, const struct control_request *req,
				const struct control_peer *peer, struct control_error *err)
{
	struct fake *f = ctx;
	json_t *arr = json_array();

	(void)req, (void)peer, (void)err;
	f->calls++;
	for (void *it = json_object_iter(f->devices); it;
	     it = json_object_iter_next(f->devices, it))
		json_array_append(arr, json_object_iter_value(it));
	return json_pack("{s:o}", "devices", arr);
}

static inline json_t *fake_show(void *ctx, const struct control_request *req,
				const struct control_peer *peer, struct control_error *err)
{
	struct fake *f = ctx;
	json_t *dev = json_object_get(f->devices, req->name);

	(void)peer;
	f->calls++;
	if (!dev) {
		control_error_set(err, CONTROL_NOT_FOUND, "no device named %s", req->name);
		return NULL;
	}
	return json_pack("{s:O}", "device", dev);
}

static inline json_t *fake_add(struct fake *f, const struct control_request *req, const char *state,
			       const char *key, struct control_error *err)
{
	json_t *dev, *ev;

	f->calls++;
	if (json_object_get(f->devices, req->name)) {
		control_error_set(err, CONTROL_EXISTS, "device %s exists", req->name);
		return NULL;
	}
	dev = fake_device(req->name, state, key);
	json_object_set(f->devices, req->name, dev);
	/* as tetherd will: the event goes out from inside the op */
	ev = fake_event("added", dev, f->add_event_pad);
	control_server_broadcast(f->server, ev);
	json_decref(ev);
	return json_pack("{s:o}", "device", dev);
}

static inline json_t *fake_add_key(void *ctx, const struct control_request *req,
				   const struct control_peer *peer, struct control_error *err)
{
	(void)peer;
	return fake_add(ctx, req, "active", req->key, err);
}

static inline json_t *fake_add_token(void *ctx, const struct control_request *req,
				     const struct control_peer *peer, struct control_error *err)
{
	struct fake *f = ctx;
	json_t *ans = fake_add(f, req, "pending", NULL, err);

	(void)peer;
	f->last_ttl = req->ttl;
	if (ans) {
		json_object_set_new(ans, "token", json_string("tok-secret-123"));
		json_object_set_new(ans, "token_expires", json_integer(1763773200 + req->ttl));
	}
	return ans;
}

static inline json_t *fake_set_state(struct fake *f, const struct control_request *req,
				     const char *state, struct control_error *err)
{
	json_t *dev = json_object_get(f->devices, req->name);

	f->calls++;
	if (!dev) {
		control_error_set(err, CONTROL_NOT_FOUND, "no device named %s", req->name);
		return NULL;
	}
	json_object_set_new(dev, "state", json_string(state));
	return json_pack("{s:O}", "device", dev);
}

static inline json_t *fake_disable(void *ctx, const struct control_request *req,
				   const struct control_peer *peer, struct control_error *err)
{
	(void)peer;
	return fake_set_state(ctx, req, "disabled", err);
}

static inline json_t *fake_enable(void *ctx, const struct control_request *req,
				  const struct control_peer *peer, struct control_error *err)
{
	(void)peer;
	return fake_set_state(ctx, req, "active", err);
}

static inline json_t *fake_remove(void *ctx, const struct control_request *req,
				  const struct control_peer *peer, struct control_error *err)
{
	struct fake *f = ctx;
	json_t *ans = fake_set_state(f, req, "disabled", err);

	(void)peer;
	if (ans)
		json_object_del(f->devices, req->name);
	return ans;
}

static const struct control_ops fake_ops = {
	.status = fake_status,
	.device_list = fake_list,
	.device_show = fake_show,
	.device_add_key = fake_add_key,
	.device_add_token = fake_add_token,
	.device_disable = fake_disable,
	.device_enable = fake_enable,
	.device_remove = fake_remove,
};

/* A server on <tmp>/rw.sock and a read-only one on <tmp>/ro.sock with the
 * device "an12345678". */
static inline void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->stop_fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tether-ctl-XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->rw_path, sizeof(f->rw_path), "%s/rw.sock", f->dir);
	snprintf(f->ro_path, sizeof(f->ro_path), "%s/ro.sock", f->dir);
	cr_assert_eq(evloop_init(&f->loop), 0);
	f->devices = json_object();
	json_object_set_new(f->devices, "an12345678",
			    fake_device("an12345678", "active",
					"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="));
	f->server = control_server_create(&f->loop, &fake_ops, f);
	cr_assert_not_null(f->server);
	cr_assert_eq(control_server_listen(f->server, f->rw_path, 0660, (gid_t)-1, false), 0);
	cr_assert_eq(control_server_listen(f->server, f->ro_path, 0660, (gid_t)-1, true), 0);
}

static inline void fake_stop_event(struct evloop_handler *h, uint32_t events)
{
	struct fake *f = container_of(h, struct fake, stop_h);

	(void)events;
	f->stop = true;
}

static inline void *fake_thread(void *arg)
{
	struct fake *f = arg;

	while (!f->stop)
		evloop_run_once(&f->loop, 100);
	return NULL;
}

/* Run the loop in a thread: from here on only the thread touches f. */
static inline void fake_start(struct fake *f)
{
	f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cr_assert_geq(f->stop_fd, 0);
	cr_assert_eq(evloop_add(&f->loop, &f->stop_h, f->stop_fd, EPOLLIN, fake_stop_event), 0);
	cr_assert_eq(pthread_create(&f->thread, NULL, fake_thread, f), 0);
	f->running = true;
}

static inline void fake_fini(struct fake *f)
{
	char cmd[128];

	if (f->running) {
		uint64_t one = 1;

		cr_assert_eq(write(f->stop_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
		pthread_join(f->thread, NULL);
	}
	if (f->stop_fd >= 0)
		close(f->stop_fd);
	control_server_free(f->server);
	evloop_close(&f->loop);
	json_decref(f->devices);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	cr_assert_eq(system(cmd), 0);
}

#endif
