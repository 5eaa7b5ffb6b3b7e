/* tetherd's end of the control protocol (docs/control.md): UNIX stream
 * sockets on the daemon's epoll loop, bounded request lines and output
 * buffers, dispatch to tetherd through struct control_ops, and the watch
 * stream that tether-proxy follows. */
#ifndef TETHER_CONTROL_CONTROL_SERVER_H
#define TETHER_CONTROL_CONTROL_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/evloop.h"
#include "concentrator/control/control.h"

enum {
	CONTROL_SERVER_LISTENERS_MAX = 4,
	CONTROL_SERVER_CLIENTS_MAX = 64,
	/* a client that pipelines requests without reading the answers is
	 * not read from while this much output waits */
	CONTROL_SERVER_OUT_PAUSE = 64 * 1024,
	/* a watcher is disconnected when its unsent events exceed this (on
	 * top of its snapshot); it reconnects and gets a fresh snapshot */
	CONTROL_SERVER_WATCH_BACKLOG = 1024 * 1024,
};

/* Who sent a request (SO_PEERCRED), for tetherd's log lines. */
struct control_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool read_only; /* came in on a read-only socket */
};

/* tetherd's side. Each op returns the answer's members as a new JSON
 * object (the server adds "ok": true), or NULL after control_error_set().
 * The server has validated req (name, key, ttl) before the call, and
 * refused changes on read-only sockets.
 *   status             {"status": {...}}
 *   device_list        {"devices": [DEVICE, ...]}  (also the watch snapshot)
 *   device_show        {"device": DEVICE}
 *   device_add_key     {"device": DEVICE}
 *   device_add_token   {"device": DEVICE, "token": "...", "token_expires": N}
 *   device_disable, device_enable, device_remove   {"device": DEVICE}
 * An op may call control_server_broadcast() (e.g. the "added" event). */
typedef json_t *(*control_op_fn)(void *ctx, const struct control_request *req,
				 const struct control_peer *peer, struct control_error *err);

struct control_ops {
	control_op_fn status;
	control_op_fn device_list;
	control_op_fn device_show;
	control_op_fn device_add_key;
	control_op_fn device_add_token;
	control_op_fn device_disable;
	control_op_fn device_enable;
	control_op_fn device_remove;
};

struct control_server;

/* A server with no socket yet; ops and ctx must outlive it. NULL with
 * errno set on failure. */
struct control_server *control_server_create(struct evloop *loop, const struct control_ops *ops,
					     void *ctx);

/* Listen on a UNIX socket at path with the given mode (e.g. 0660) and, if
 * gid is not (gid_t)-1, that group. A stale socket file is replaced; a
 * live one (another tetherd answers) is -EADDRINUSE, and a path that is
 * not a socket -EEXIST. Returns 0 or -errno. */
int control_server_listen(struct control_server *server, const char *path, mode_t mode, gid_t gid,
			  bool read_only);

/* Queue one event line ({"event": ..., "device": ...}) to every watcher.
 * A watcher over CONTROL_SERVER_WATCH_BACKLOG is disconnected. Returns 0
 * or -errno (-ENOMEM, -EINVAL if event is not an object). */
int control_server_broadcast(struct control_server *server, const json_t *event);

/* Counts, for status answers and tests. */
unsigned int control_server_clients(const struct control_server *server);
unsigned int control_server_watchers(const struct control_server *server);

/* Close every connection and socket and remove the socket files this
 * server created. Not from inside one of its own ops. NULL is fine. */
void control_server_free(struct control_server *server);

#endif
