/* A single-threaded epoll loop shared by the daemons. Each watched fd has a
 * struct evloop_handler embedded in its owner; epoll hands the handler back
 * and its callback recovers the owner with container_of. */
#ifndef TETHER_COMMON_EVLOOP_H
#define TETHER_COMMON_EVLOOP_H

#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct evloop_handler;
typedef void (*evloop_fn)(struct evloop_handler *h, uint32_t events);

struct evloop_handler {
	evloop_fn fn;
	int fd;
};

struct evloop {
	int epfd;
};

int evloop_init(struct evloop *loop);
void evloop_close(struct evloop *loop);

/* events are EPOLLIN/EPOLLOUT/...; the handler must outlive its registration */
int evloop_add(struct evloop *loop, struct evloop_handler *h, int fd, uint32_t events,
	       evloop_fn fn);
int evloop_mod(struct evloop *loop, struct evloop_handler *h, uint32_t events);
int evloop_del(struct evloop *loop, struct evloop_handler *h);

/* Wait up to timeout_ms (-1: forever) and dispatch ready handlers. Returns
 * the number dispatched, or -errno (EINTR is returned as 0). */
int evloop_run_once(struct evloop *loop, int timeout_ms);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds */
uint64_t evloop_now(void);
uint64_t evloop_wall_ns(void);

#endif
