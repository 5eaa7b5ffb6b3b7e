/* epoll glue: registration and one round of dispatch. */
#include "common/evloop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

enum { EVLOOP_BATCH = 64 };

int evloop_init(struct evloop *loop)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -errno : 0;
}

void evloop_close(struct evloop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int evloop_add(struct evloop *loop, struct evloop_handler *h, int fd, uint32_t events,
	       evloop_fn fn)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	h->fn = fn;
	h->fd = fd;
	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int evloop_mod(struct evloop *loop, struct evloop_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, h->fd, &ev) < 0 ? -errno : 0;
}

int evloop_del(struct evloop *loop, struct evloop_handler *h)
{
	return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, h->fd, NULL) < 0 ? -errno : 0;
}

int evloop_run_once(struct evloop *loop, int timeout_ms)
{
	struct epoll_event evs[EVLOOP_BATCH];
	int n = epoll_wait(loop->epfd, evs, EVLOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct evloop_handler *h = evs[i].data.ptr;

		h->fn(h, evs[i].events);
	}
	return n;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t evloop_now(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t evloop_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
