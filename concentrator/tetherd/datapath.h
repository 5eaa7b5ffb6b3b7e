/* tetherd's packet path (PROTOCOL.md 3-4): the one UDP socket, read in
 * batches with recvmmsg into preallocated buffers and dispatched by type;
 * the responder's handshake (mac1, cookies under load, Noise, the
 * decision, message 2); data messages to the device's TUN after the
 * anti-spoofing check; packets from each TUN encrypted and sent in
 * batches. No allocation per packet; drops are counters. */
#ifndef TETHER_TETHERD_DATAPATH_H
#define TETHER_TETHERD_DATAPATH_H

#include <stdint.h>

#include "concentrator/tetherd/daemon.h"
#include "concentrator/tetherd/device.h"

/* Bounds of one wakeup, so that neither the socket nor one busy device
 * starves the others: the loop is level-triggered and comes back. */
enum {
	DATAPATH_RX_BATCH = 64, /* datagrams per recvmmsg */
	DATAPATH_RX_ROUNDS = 4, /* recvmmsg calls per wakeup */
	DATAPATH_TX_BATCH = 32, /* packets read from one TUN per wakeup */
	DATAPATH_SOCKBUF = 4 << 20,
};

/* Open the UDP socket on cfg.listen (IPv6 sockets are dual-stack) and put
 * it in the loop. 0 or -errno, logged. */
int datapath_create(struct daemon *d);
void datapath_free(struct daemon *d);

/* dev's TUN fd into the loop, and out again. */
int datapath_tun_add(struct daemon *d, struct device *dev);
void datapath_tun_del(struct daemon *d, struct device *dev);

/* An empty data message on dev's current session (timers). */
void datapath_keepalive(struct daemon *d, struct device *dev, uint64_t now);

/* The socket's bound address as "ip:port", for status. */
void datapath_listen_str(const struct daemon *d, char *out, size_t size);

#endif
