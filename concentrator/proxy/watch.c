/* The watch stream: connect, ask for "watch", then apply each line to the
 * device table from the event loop. Any error ends the connection and
 * schedules the next attempt; the table is never cleared meanwhile, so the
 * proxy goes on answering from what it last knew. */
#include "concentrator/proxy/watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "common/log.h"

/* Closing the fd also takes it out of epoll (it is never duplicated). */
static void disconnect(struct watch *w, uint64_t now, const char *why, int err)
{
	w->registered = false;
	control_client_close(&w->client);
	/* tetherd's tunnels may have gone with it: kept device connections
	 * are not trusted, a new connection finds out at once */
	if (w->synced)
		devtab_distrust(w->devtab);
	if (!w->lost_logged) {
		log_warn("tetherd's control socket %s: %s%s%s; answering from the last known "
			 "table (%zu devices) and reconnecting",
			 w->path, why, err ? ": " : "", err ? strerror(-err) : "",
			 w->devtab->count);
		w->lost_logged = true;
	} else {
		log_debug("tetherd's control socket %s: %s%s%s", w->path, why, err ? ": " : "",
			  err ? strerror(-err) : "");
	}
	w->synced = false;
	w->retry_at = now + w->backoff;
	w->backoff *= 2;
	if (w->backoff > (uint64_t)WATCH_BACKOFF_MAX_MS * 1000000)
		w->backoff = (uint64_t)WATCH_BACKOFF_MAX_MS * 1000000;
}

/* One line: the snapshot first, events after it. */
static int apply(struct watch *w, json_t *msg, char *err, size_t errlen)
{
	const json_t *ok = json_object_get(msg, "ok");

	if (!w->synced) {
		if (json_is_false(ok)) {
			const char *e = json_string_value(json_object_get(msg, "error"));

			snprintf(err, errlen, "watch refused: %s", e ? e : "no reason given");
			return -EREMOTEIO;
		}
		int ret = devtab_snapshot(w->devtab, msg, err, errlen);

		if (ret)
			return ret;
		w->synced = true;
		w->connects++;
		w->backoff = (uint64_t)WATCH_BACKOFF_MIN_MS * 1000000;
		log_notice("following tetherd on %s: %zu devices", w->path, w->devtab->count);
		w->lost_logged = false;
		return 0;
	}
	w->events++;
	return devtab_event(w->devtab, msg, err, errlen);
}

static void on_readable(struct evloop_handler *h, uint32_t events)
{
	struct watch *w = container_of(h, struct watch, h);
	char err[256];
	json_t *msg;
	int ret;

	(void)events;
	for (int i = 0; i < WATCH_LINES_PER_TURN; i++) {
		ret = control_client_read(&w->client, 0, &msg);
		if (ret == -EAGAIN)
			return;
		if (ret == -EBADMSG) {
			/* one line we cannot read; the stream goes on */
			w->bad_lines++;
			log_warn("tetherd's control socket %s: a line that is not a JSON object",
				 w->path);
			continue;
		}
		if (ret < 0) {
			disconnect(w, evloop_now(),
				   ret == -ECONNRESET ? "tetherd closed it" : "read",
				   ret == -ECONNRESET ? 0 : ret);
			return;
		}
		ret = apply(w, msg, err, sizeof(err));
		json_decref(msg);
		if (ret == -EBADMSG && w->synced) {
			w->bad_lines++;
			log_warn("tetherd's control socket %s: event ignored: %s", w->path, err);
		} else if (ret) {
			disconnect(w, evloop_now(), err, 0);
			return;
		}
	}
	/* more lines wait: level-triggered, so the loop comes back */
}

void watch_init(struct watch *w, struct evloop *loop, struct devtab *t, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->loop = loop;
	w->devtab = t;
	w->path = path;
	w->client.fd = -1;
	w->backoff = (uint64_t)WATCH_BACKOFF_MIN_MS * 1000000;
}

uint64_t watch_tick(struct watch *w, uint64_t now)
{
	json_t *req = NULL;
	int ret;

	if (w->client.fd >= 0)
		return UINT64_MAX;
	if (now < w->retry_at)
		return w->retry_at;
	ret = control_client_open(&w->client, w->path, WATCH_CONNECT_MS);
	if (ret) {
		disconnect(w, now, "cannot connect", ret);
		return w->retry_at;
	}
	req = json_pack("{s:s}", "cmd", "watch");
	ret = req ? control_client_send(&w->client, req, WATCH_CONNECT_MS) : -ENOMEM;
	json_decref(req);
	if (ret) {
		disconnect(w, now, "cannot send watch", ret);
		return w->retry_at;
	}
	ret = evloop_add(w->loop, &w->h, w->client.fd, EPOLLIN, on_readable);
	if (ret) {
		disconnect(w, now, "epoll", ret);
		return w->retry_at;
	}
	w->registered = true;
	return UINT64_MAX;
}

void watch_restart(struct watch *w, uint64_t now)
{
	if (w->client.fd >= 0) {
		w->registered = false;
		control_client_close(&w->client);
		w->synced = false;
	}
	w->retry_at = now;
}

void watch_close(struct watch *w)
{
	w->registered = false;
	control_client_close(&w->client);
}
