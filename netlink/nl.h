/* The one route-netlink request helper every netlink/ module talks through:
 * a socket handle, sequence numbers, acks and dumps run through mnl_cb_run2,
 * kernel errors as -errno, and batches of requests sent in one write. */
#ifndef TETHER_NETLINK_NL_H
#define TETHER_NETLINK_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sock;

/* A NETLINK_ROUTE socket bound to this process's namespace, with a receive
 * buffer raised so that a batch or a dump of 10,000 links does not overrun
 * it. NULL with errno set on failure. */
struct nl_sock *nl_sock_create(void);
void nl_sock_free(struct nl_sock *nl);

/* The index of the link called `ifname` in the socket's namespace, by
 * SIOCGIFINDEX on the socket (no netlink round trip): -ENODEV if none. */
int nl_ifindex(struct nl_sock *nl, const char *ifname, int *ifindex);

enum nl_limits {
	NL_MSG_ROOM = 1024, /* attribute room nl_msg_start() guarantees */
	NL_DUMP_TRIES = 5,  /* runs of a dump the kernel keeps interrupting */
};

/* Starts a message of `type` in the handle's buffer: header, the next
 * sequence number, NLM_F_REQUEST | `flags` (nl_request() adds NLM_F_ACK,
 * nl_dump() NLM_F_DUMP) and a zeroed family header of `hdrlen` bytes, which
 * mnl_nlmsg_get_payload() returns. At least NL_MSG_ROOM bytes follow for
 * attributes. Never fails: inside a batch it sends what is queued when the
 * buffer is full and keeps that error for nl_batch_end(). */
struct nlmsghdr *nl_msg_start(struct nl_sock *nl, uint16_t type, uint16_t flags, size_t hdrlen);

/* Sends the message started last and waits for its ack; every data message
 * of the reply goes to `cb` (may be NULL) with `data`. 0 or the kernel's
 * -errno. Inside a batch, a request without `cb` is only queued (returns
 * 0); one with `cb` first sends what is queued. */
int nl_request(struct nl_sock *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* Sends the message started last as a dump and runs the reply through `cb`. If the kernel says the
 * dump was interrupted by a change (NLM_F_DUMP_INTR), `restart(data)` forgets what cb gathered and
 * the dump runs again, at most NL_DUMP_TRIES times in all; then -EINTR. */
int nl_dump(struct nl_sock *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void (*restart)(void *data),
	    void *data);

/* Batches: between begin and end, requests without a reply callback are
 * queued and sent many to one write; only the last of each write asks for
 * an ack, so a batch of thousands cannot overrun the receive buffer with
 * acks (failures are always reported). nl_batch_end() sends the rest and
 * returns 0 or the first failure's -errno; `failed` (may be NULL) gets the
 * 0-based position of that request in the batch. Every queued request runs
 * even if an earlier one failed. */
int nl_batch_begin(struct nl_sock *nl);
int nl_batch_end(struct nl_sock *nl, size_t *failed);

#endif
