/* tetherd's in-memory device table: one struct device per registry device,
 * with the state the tunnel needs (sessions, timers, endpoint, counters)
 * and O(1) indices by name, public key, tunnel address and session
 * receiver index. Lookups never allocate; the table mirrors the registry,
 * which tetherd alone writes. */
#ifndef TETHER_TETHERD_DEVICE_H
#define TETHER_TETHERD_DEVICE_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/evloop.h"
#include "concentrator/tetherd/hashtab.h"
#include "concentrator/tetherd/registry.h"
#include "proto/reason.h"
#include "proto/session.h"
#include "proto/timers.h"
#include "proto/wire.h"

/* Drop reasons beyond proto/'s: what the daemon itself refuses. Device and
 * global counters are indexed by enum proto_reason or these. */
enum device_drop {
	DEVICE_DROP_TUN_WRITE = PROTO_REASON_COUNT, /* the TUN refused the packet */
	DEVICE_DROP_NO_SESSION,			    /* from the TUN, no session to send on */
	DEVICE_DROP_SEND,			    /* the UDP send failed */
	DEVICE_DROP_NO_INTERFACE,		    /* data for a device without its TUN */
	DEVICE_DROP_RATELIMIT,			    /* a handshake over its source's rate */
	DEVICE_DROP_TRUNCATED,			    /* a datagram larger than our buffers */
	DEVICE_DROP_COUNT,
};

/* Short names for counters ("inner_source", "tun_write", ...). */
const char *device_drop_str(unsigned int reason);

struct device_counters {
	uint64_t rx_bytes; /* inner bytes written to the TUN */
	uint64_t rx_packets;
	uint64_t rx_keepalives;
	uint64_t tx_bytes; /* inner bytes read from the TUN and sent */
	uint64_t tx_packets;
	uint64_t drops[DEVICE_DROP_COUNT];
};

/* Where the device was last heard from: IPv4, or IPv6 (v4-mapped on a
 * dual-stack socket). */
union device_endpoint {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

enum {
	DEVICE_ENDPOINT_STR = REGISTRY_ENDPOINT_MAX + 1, /* "[v6]:port" and a NUL */
};

struct device {
	struct evloop_handler tun_h; /* the TUN fd in the loop, while tun_fd >= 0 */
	void *owner;		     /* the daemon, for the TUN handler */
	char name[REGISTRY_NAME_MAX + 1];
	char ifname[IFNAMSIZ];
	enum registry_state state;
	bool has_key;
	uint8_t public_key[WIRE_KEY_LEN];
	/* message 1's ss, DH(our key, public_key), the same for every
	 * handshake: filled at the key's first one (datapath.c); a secret,
	 * wiped with the device by device_free. The key never changes once
	 * set, so neither does ss. */
	bool has_ss;
	uint8_t ss[WIRE_KEY_LEN];
	struct in_addr addr4;
	int64_t created; /* Unix seconds */

	/* kernel side: 0 and -1 until the interface is made or reattached */
	int ifindex;
	int tun_fd;

	/* tunnel side; sessions is allocated at the first accepted handshake */
	struct session_peer *sessions;
	struct timers timers;
	union device_endpoint endpoint;
	socklen_t endpoint_len; /* 0: never heard from */
	uint8_t last_timestamp[WIRE_TAI64N_LEN];
	bool has_timestamp;

	bool online;
	int64_t since;		/* Unix seconds of the last online/offline change */
	int64_t last_handshake; /* Unix seconds; 0: never */
	bool seen_dirty;	/* last_handshake or endpoint not yet in the registry */
	bool removed;		/* out of the table, freed after this loop turn */

	size_t pos; /* in device_table.all */
	struct device *next_dead;
	struct device_counters c;
};

struct device_table {
	struct hashtab by_name;
	struct hashtab by_key;
	struct hashtab by_addr;
	struct hashtab by_index; /* local session index -> device */
	struct device **all;	 /* unordered; device.pos is the position */
	size_t count;
	size_t cap;
};

/* hashtab_seed() must have run. -ENOMEM. */
int device_table_init(struct device_table *t, size_t expected);

/* Frees the table and every device still in it. */
void device_table_free(struct device_table *t);

/* A device from its registry record, not in any table yet. NULL with errno
 * set (EINVAL for a name that gives no interface name, ENOMEM). */
struct device *device_create(const struct registry_device *rd);

/* Wipes the device's secrets and frees it; it must be out of any table. */
void device_free(struct device *dev);

/* Adds dev to every index. -EEXIST when its name, key or address is
 * already there (nothing changed), -ENOMEM. */
int device_table_add(struct device_table *t, struct device *dev);

/* Takes dev out of every index, its session indices included. */
void device_table_remove(struct device_table *t, struct device *dev);

struct device *device_by_name(const struct device_table *t, const char *name);
struct device *device_by_key(const struct device_table *t, const uint8_t key[WIRE_KEY_LEN]);
struct device *device_by_addr(const struct device_table *t, struct in_addr addr);
/* The device with a live session whose local index is index. */
struct device *device_by_index(const struct device_table *t, uint32_t index);

/* Pins key to a device that had none (an enrollment). -EEXIST if another
 * device holds it, -EINVAL if dev already has a key, -ENOMEM. */
int device_set_key(struct device_table *t, struct device *dev, const uint8_t key[WIRE_KEY_LEN]);

/* A random local index, not 0 and not in use. */
uint32_t device_table_new_index(const struct device_table *t);

/* Index the session dev just installed under index; forget those a session
 * call dropped. -ENOMEM. */
int device_index_add(struct device_table *t, struct device *dev, uint32_t index);
void device_index_drops(struct device_table *t, struct device *dev,
			const struct session_drops *drops);

/* Drops every session of dev and forgets their indices. */
void device_sessions_clear(struct device_table *t, struct device *dev);

/* The session state of dev, allocated on first use (handshake path, not
 * per packet). NULL with errno ENOMEM. */
struct session_peer *device_sessions(struct device *dev);

/* TIMESTAMP replay rule of PROTOCOL.md 3.5: true (and recorded) when ts is
 * greater than the last one accepted from this key. */
bool device_timestamp_fresh(struct device *dev, const uint8_t ts[WIRE_TAI64N_LEN]);

/* A socket address as "ip:port" ("[ip]:port" for IPv6, a v4-mapped address
 * as IPv4); "?" for another family. */
void device_sockaddr_str(const struct sockaddr *sa, char out[DEVICE_ENDPOINT_STR]);

/* The endpoint as "ip:port" ("[ip]:port" for IPv6, a v4-mapped address as
 * IPv4); "" when there is none. */
void device_endpoint_str(const struct device *dev, char out[DEVICE_ENDPOINT_STR]);

/* Store a message's source as the device's endpoint; true if it moved. */
bool device_set_endpoint(struct device *dev, const struct sockaddr *sa, socklen_t len);

#endif
