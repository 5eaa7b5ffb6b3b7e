/* The route-netlink request helper: one send buffer that holds a request or
 * a batch, one receive loop that runs acks and dumps through mnl_cb_run2 and
 * turns NLMSG_ERROR (and a failed NLMSG_DONE) into -errno. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netlink.h>

#include "netlink/nl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum nl_sizes {
	/* One write of a batch: under the default sndbuf (212992), which
	 * bounds a netlink datagram. ~300 devices' worth of requests. */
	SEND_SIZE = 64 * 1024,
	/* The kernel fills a dump read up to the reader's buffer, capped at
	 * 32 KiB; a bigger buffer buys nothing. */
	RECV_SIZE = 32 * 1024,
	/* Room for the replies to a batch write and a dump in flight. Past
	 * rmem_max it takes CAP_NET_ADMIN, which every user of this holds. */
	RCVBUF = 4 * 1024 * 1024,
	/* Reads that empty the socket after a reply was abandoned. */
	PURGE_MAX = 100000,
};

struct nl_sock {
	struct mnl_socket *mnl;
	uint32_t portid;
	uint32_t seq;
	bool stale; /* part of an abandoned reply may still be queued */
	bool batching;
	size_t len;	       /* bytes queued in sbuf (batch) */
	size_t queued;	       /* requests queued in sbuf */
	size_t sent;	       /* requests of this batch already written */
	uint32_t first_seq;    /* of the first request queued in sbuf */
	struct nlmsghdr *last; /* the last queued request */
	int batch_err;	       /* first failure of this batch */
	size_t batch_failed;   /* and its position */
	_Alignas(struct nlmsghdr) char sbuf[SEND_SIZE];
	_Alignas(struct nlmsghdr) char rbuf[RECV_SIZE];
};

/* What one receive loop gathers. A plain reply ends with the ERROR message
 * (an ack is an error of 0) or DONE for its sequence number; a batch write
 * ends with the ack of its last request, seq, and may carry failures of any
 * request from first to seq on the way. */
struct reply {
	uint32_t first;
	uint32_t seq;
	bool batch;
	mnl_cb_t cb;
	void *data;
	int err;       /* first -errno, from the kernel or from cb */
	size_t failed; /* batch: position of that failure in the write */
	bool intr;     /* the kernel flagged the dump NLM_F_DUMP_INTR */
	bool stopped;  /* processing stopped early; skipping to the end */
	bool done;     /* the last message of the reply was read */
};

static bool in_batch(const struct reply *r, uint32_t seq)
{
	return seq - r->first <= r->seq - r->first;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		r->intr = true;
	if (!r->cb)
		return MNL_CB_OK;
	errno = 0;
	ret = r->cb(nlh, r->data);
	if (ret < MNL_CB_STOP && !r->err)
		r->err = errno ? -errno : -EIO;
	return ret;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct reply *r = data;
	int err;

	if (r->batch && !in_batch(r, nlh->nlmsg_seq))
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		err = -EBADMSG;
	else
		err = e->error < 0 ? e->error : -e->error;
	if (err && !r->err) {
		r->err = err;
		r->failed = nlh->nlmsg_seq - r->first;
	}
	if (r->batch && nlh->nlmsg_seq != r->seq)
		return MNL_CB_OK;
	r->done = true;
	return err ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* Since Linux 4.x DONE carries the dump's own status: a dump that failed
 * half way says so here, not in an ERROR message. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	int status = 0;

	r->done = true;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		r->intr = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(status))
		memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
	if (status < 0 && !r->err)
		r->err = status;
	return status < 0 ? MNL_CB_ERROR : MNL_CB_STOP;
}

static int on_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = on_noop,
	[NLMSG_ERROR] = on_error,
	[NLMSG_DONE] = on_done,
	[NLMSG_OVERRUN] = on_noop,
};

/* After processing stopped early, the rest of the reply is still coming;
 * it must be read off before the next request or its sequence check fails. */
static bool ends(const struct reply *r, const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_seq != r->seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
			return true;
	}
	return false;
}

/* Empties the socket of what an abandoned reply left (after ENOBUFS). Each
 * read lets the kernel go on with a dump in progress, so this also runs an
 * orphaned dump to its end. */
static void purge(struct nl_sock *nl)
{
	int fd = mnl_socket_get_fd(nl->mnl);

	for (int i = 0; i < PURGE_MAX; i++) {
		if (recv(fd, nl->rbuf, sizeof(nl->rbuf), MSG_DONTWAIT) < 0 && errno != EINTR &&
		    errno != ENOBUFS)
			break;
	}
	nl->stale = false;
}

static int receive(struct nl_sock *nl, struct reply *r)
{
	ssize_t len;
	int ret;

	while (!r->done) {
		len = mnl_socket_recvfrom(nl->mnl, nl->rbuf, sizeof(nl->rbuf));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the kernel dropped part of the reply. */
			if (!r->err)
				r->err = -errno;
			nl->stale = true;
			break;
		}
		if (r->stopped) {
			r->done = ends(r, nl->rbuf, len);
			continue;
		}
		ret = mnl_cb_run2(nl->rbuf, len, r->batch ? 0 : r->seq, nl->portid, on_data, r,
				  ctl_cbs, ARRAY_SIZE(ctl_cbs));
		if (ret < 0 && !r->err && !r->intr) {
			/* libmnl refused a message itself: its own check of
			 * NLM_F_DUMP_INTR (EINTR), or a foreign port or
			 * sequence number (ESRCH, EPROTO). */
			if (errno == EINTR)
				r->intr = true;
			else
				r->err = errno ? -errno : -EPROTO;
		}
		if (ret <= MNL_CB_STOP && !r->done) {
			r->stopped = true;
			r->done = ends(r, nl->rbuf, len);
		}
	}
	return r->err;
}

/* Writes the queued requests at once. Only the last one asks for an ack:
 * the kernel runs them all in order and answers each failure anyway. */
static void flush(struct nl_sock *nl)
{
	struct reply r = {.batch = true};
	int ret;

	if (!nl->queued)
		return;
	if (nl->stale)
		purge(nl);
	r.first = nl->first_seq;
	r.seq = nl->last->nlmsg_seq;
	nl->last->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->mnl, nl->sbuf, nl->len) < 0)
		ret = -errno;
	else
		ret = receive(nl, &r);
	if (ret && !nl->batch_err) {
		nl->batch_err = ret;
		nl->batch_failed = nl->sent + (r.err == ret ? r.failed : 0);
	}
	nl->sent += nl->queued;
	nl->queued = 0;
	nl->len = 0;
	nl->last = NULL;
}

/* NLM_F_DUMP shares its bits with NLM_F_EXCL and NLM_F_REPLACE: whether a
 * request is a dump is the caller's word, never read back from the flags. */
static int talk(struct nl_sock *nl, struct nlmsghdr *nlh, bool dump, mnl_cb_t cb, void *data,
		bool *intr)
{
	struct reply r = {.seq = nlh->nlmsg_seq, .first = nlh->nlmsg_seq, .cb = cb, .data = data};
	int ret;

	if (nl->stale)
		purge(nl);
	nlh->nlmsg_flags |= dump ? NLM_F_DUMP : NLM_F_ACK;
	if (mnl_socket_sendto(nl->mnl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = receive(nl, &r);
out:
	*intr = r.intr;
	return ret;
}

struct nl_sock *nl_sock_create(void)
{
	struct nl_sock *nl;
	int one = 1, size = RCVBUF, fd, err = 0;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	nl->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->mnl) {
		err = errno;
		goto out;
	}
	fd = mnl_socket_get_fd(nl->mnl);
	if (mnl_socket_bind(nl->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		goto out;
	}
	/* A failure echoes only the failed request's header, not all of it. */
	if (mnl_socket_setsockopt(nl->mnl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		err = errno;
		goto out;
	}
	/* Without CAP_NET_ADMIN the plain option, capped at rmem_max, still
	 * holds a dump read or two. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) {
		err = errno;
		goto out;
	}
	nl->portid = mnl_socket_get_portid(nl->mnl);
	nl->seq = (uint32_t)time(NULL);
out:
	if (err) {
		nl_sock_free(nl);
		nl = NULL;
		errno = err;
	}
	return nl;
}

void nl_sock_free(struct nl_sock *nl)
{
	if (!nl)
		return;
	if (nl->mnl)
		mnl_socket_close(nl->mnl);
	free(nl);
}

/* Any socket of the namespace answers SIOCGIFINDEX, netlink ones too. */
int nl_ifindex(struct nl_sock *nl, const char *ifname, int *ifindex)
{
	struct ifreq ifr = {0};

	if (!ifname[0] || strnlen(ifname, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(mnl_socket_get_fd(nl->mnl), SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	*ifindex = ifr.ifr_ifindex;
	return 0;
}

struct nlmsghdr *nl_msg_start(struct nl_sock *nl, uint16_t type, uint16_t flags, size_t hdrlen)
{
	struct nlmsghdr *nlh;

	if (!nl->batching)
		nl->len = 0;
	else if (sizeof(nl->sbuf) - nl->len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen) + NL_MSG_ROOM)
		flush(nl); /* a failure is kept for nl_batch_end() */
	nlh = mnl_nlmsg_put_header(nl->sbuf + nl->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	/* 0 would turn off the sequence check of replies */
	if (++nl->seq == 0)
		++nl->seq;
	nlh->nlmsg_seq = nl->seq;
	if (hdrlen)
		mnl_nlmsg_put_extra_header(nlh, hdrlen);
	return nlh;
}

int nl_request(struct nl_sock *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	bool intr;

	if (nl->batching && !cb) {
		if (!nl->queued)
			nl->first_seq = nlh->nlmsg_seq;
		nl->last = nlh;
		nl->len += NLMSG_ALIGN(nlh->nlmsg_len);
		nl->queued++;
		return 0;
	}
	/* nlh sits past what is queued; flush() leaves it alone */
	if (nl->batching)
		flush(nl);
	return talk(nl, nlh, false, cb, data, &intr);
}

int nl_dump(struct nl_sock *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void (*restart)(void *data),
	    void *data)
{
	bool intr = false;
	int ret = -EINTR;

	if (nl->batching)
		flush(nl);
	for (int i = 0; i < NL_DUMP_TRIES; i++) {
		if (i) {
			if (restart)
				restart(data);
			if (++nl->seq == 0)
				++nl->seq;
			nlh->nlmsg_seq = nl->seq;
		}
		ret = talk(nl, nlh, true, cb, data, &intr);
		if (ret || !intr)
			goto out;
	}
	ret = -EINTR;
out:
	return ret;
}

int nl_batch_begin(struct nl_sock *nl)
{
	if (nl->batching)
		return -EBUSY;
	nl->batching = true;
	nl->len = 0;
	nl->queued = 0;
	nl->sent = 0;
	nl->last = NULL;
	nl->batch_err = 0;
	nl->batch_failed = 0;
	return 0;
}

int nl_batch_end(struct nl_sock *nl, size_t *failed)
{
	int ret;

	if (!nl->batching)
		return -EINVAL;
	flush(nl);
	ret = nl->batch_err;
	if (failed)
		*failed = nl->batch_failed;
	nl->batching = false;
	nl->len = 0;
	return ret;
}
