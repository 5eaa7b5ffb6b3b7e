/* Server address resolution: getaddrinfo() inline for `enroll`, in a
 * detached helper thread for the daemon, which learns of the end through
 * an eventfd in its epoll set. A lookup context is reference-counted
 * between the endpoint and the thread, so neither waits for the other. */
#include "agent/endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct endpoint_lookup {
	atomic_int refs;  /* the endpoint's and the thread's */
	atomic_bool done; /* res and gai_err are the thread's until set */
	int efd;	  /* a dup of the endpoint's eventfd */
	int gai_err;
	struct endpoint_addrs res;
	char host[CONF_HOST_MAX + 1];
	char service[8];
};

static void lookup_put(struct endpoint_lookup *l)
{
	if (atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	close(l->efd);
	free(l);
}

/* getaddrinfo into res; its error code (0 on success, EAI_NONAME when it
 * gave nothing usable). */
static int lookup(const char *host, const char *service, int flags, struct endpoint_addrs *res)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
		.ai_flags = flags,
	};
	struct addrinfo *list = NULL;
	int ret;

	res->count = 0;
	ret = getaddrinfo(host, service, &hints, &list);
	if (ret)
		return ret;
	for (struct addrinfo *ai = list; ai && res->count < ENDPOINT_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(res->addr[0]))
			continue;
		memcpy(&res->addr[res->count], ai->ai_addr, ai->ai_addrlen);
		res->len[res->count++] = ai->ai_addrlen;
	}
	freeaddrinfo(list);
	return res->count ? 0 : EAI_NONAME;
}

/* The resolver's own error text, or errno's for EAI_SYSTEM. */
static const char *gai_str(int code)
{
	return code == EAI_SYSTEM ? strerror(errno) : gai_strerror(code);
}

int endpoint_init(struct endpoint *ep, const struct conf_server *server)
{
	char service[8];
	int ret = 0;

	memset(ep, 0, sizeof(*ep));
	ep->efd = -1;
	memcpy(ep->host, server->host, sizeof(ep->host));
	ep->port = server->port;
	snprintf(service, sizeof(service), "%u", server->port);
	/* a literal never waits on a resolver */
	ep->literal = lookup(ep->host, service, AI_NUMERICHOST | AI_NUMERICSERV, &ep->addrs) == 0;
	ep->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ep->efd < 0)
		ret = -errno;
	return ret;
}

void endpoint_free(struct endpoint *ep)
{
	if (ep->lookup)
		lookup_put(ep->lookup);
	ep->lookup = NULL;
	if (ep->efd >= 0)
		close(ep->efd);
	ep->efd = -1;
}

int endpoint_resolve(struct endpoint *ep, char *err, size_t errlen)
{
	struct endpoint_addrs res;
	char service[8];
	int ret;

	if (ep->literal)
		return 0;
	snprintf(service, sizeof(service), "%u", ep->port);
	ret = lookup(ep->host, service, AI_ADDRCONFIG | AI_NUMERICSERV, &res);
	if (ret) {
		snprintf(err, errlen, "cannot resolve %s: %s", ep->host, gai_str(ret));
		return -EHOSTUNREACH;
	}
	ep->addrs = res;
	ep->cur = 0;
	return 0;
}

static void *lookup_thread(void *arg)
{
	struct endpoint_lookup *l = arg;
	uint64_t one = 1;

	l->gai_err = lookup(l->host, l->service, AI_ADDRCONFIG | AI_NUMERICSERV, &l->res);
	atomic_store(&l->done, true);
	/* adding 1 to an eventfd fails only on overflow: the loop is awake then */
	if (write(l->efd, &one, sizeof(one)) < 0) {
	}
	lookup_put(l);
	return NULL;
}

int endpoint_lookup_start(struct endpoint *ep)
{
	struct endpoint_lookup *l = NULL;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	bool attr_made = false;
	int ret;

	if (ep->lookup)
		return -EALREADY;
	l = calloc(1, sizeof(*l));
	if (!l) {
		ret = -ENOMEM;
		goto out;
	}
	l->efd = fcntl(ep->efd, F_DUPFD_CLOEXEC, 0);
	if (l->efd < 0) {
		ret = -errno;
		goto out;
	}
	atomic_init(&l->refs, 2);
	atomic_init(&l->done, false);
	memcpy(l->host, ep->host, sizeof(l->host));
	snprintf(l->service, sizeof(l->service), "%u", ep->port);
	ret = -pthread_attr_init(&attr);
	if (ret)
		goto out;
	attr_made = true;
	ret = -pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (ret)
		goto out;
	/* the thread takes no signal: they all go to the loop's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&tid, &attr, lookup_thread, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto out;
	ep->lookup = l;
	l = NULL;
out:
	if (attr_made)
		pthread_attr_destroy(&attr);
	if (l) {
		if (l->efd >= 0)
			close(l->efd);
		free(l);
	}
	return ret;
}

int endpoint_lookup_finish(struct endpoint *ep, char *err, size_t errlen)
{
	struct endpoint_lookup *l = ep->lookup;
	uint64_t count;
	int ret = 0;

	/* clear the eventfd; it may also hold a stale signal */
	if (read(ep->efd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the lookup's eventfd: %s", strerror(-ret));
		goto out;
	}
	if (!l || !atomic_load(&l->done)) {
		ret = -EAGAIN;
		goto out;
	}
	if (l->gai_err) {
		ret = -EHOSTUNREACH;
		snprintf(err, errlen, "cannot resolve %s: %s", ep->host,
			 l->gai_err == EAI_SYSTEM ? "system error" : gai_strerror(l->gai_err));
	} else {
		ep->addrs = l->res;
		ep->cur = 0;
	}
	ep->lookup = NULL;
	lookup_put(l);
out:
	return ret;
}

const struct sockaddr_storage *endpoint_addr(const struct endpoint *ep, socklen_t *len)
{
	if (!ep->addrs.count) {
		errno = ENOENT;
		return NULL;
	}
	*len = ep->addrs.len[ep->cur];
	return &ep->addrs.addr[ep->cur];
}

void endpoint_rotate(struct endpoint *ep)
{
	if (ep->addrs.count)
		ep->cur = (ep->cur + 1) % ep->addrs.count;
}

int endpoint_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	int size = ENDPOINT_RCVBUF;

	if (fd < 0)
		return -errno;
	/* the gateway sends in bursts (a TCP window at a time): with the
	 * default buffer a busy moment drops what a slow CPU has not read.
	 * Past rmem_max only with CAP_NET_ADMIN, which the agent has; the
	 * memory is used only while datagrams wait. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size))) {
		/* the default buffer still works */
	}
	return fd;
}

void endpoint_format(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], ip, sizeof(ip));
			snprintf(out, size, "%s:%u", ip, ntohs(sin6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
			snprintf(out, size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
		}
	} else {
		snprintf(out, size, "?");
	}
}

void endpoint_server_str(const struct endpoint *ep, char *out, size_t size)
{
	if (strchr(ep->host, ':'))
		snprintf(out, size, "[%s]:%u", ep->host, ep->port);
	else
		snprintf(out, size, "%s:%u", ep->host, ep->port);
}
