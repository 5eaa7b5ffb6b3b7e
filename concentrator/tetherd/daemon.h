/* tetherd as a whole: the state every part of the daemon shares, start-up
 * (registry, device table, policy, kernel reconcile, sockets), the event
 * loop with its periodic sweep, SIGHUP reload, clean stop, and the device
 * transitions (online, offline, disabled, removed) that touch several
 * parts at once. */
#ifndef TETHER_TETHERD_DAEMON_H
#define TETHER_TETHERD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/tetherd_config.h"
#include "concentrator/control/control_server.h"
#include "concentrator/tetherd/admit.h"
#include "concentrator/tetherd/device.h"
#include "concentrator/tetherd/ratelimit.h"
#include "concentrator/tetherd/registry.h"
#include "netlink/nl.h"
#include "policy/policy.h"
#include "proto/handshake.h"
#include "proto/mac.h"

#ifndef TETHER_VERSION
#define TETHER_VERSION "0.0.0"
#endif

/* Periodic work of the loop, in ns. */
#define DAEMON_SWEEP_INTERVAL (250 * 1000000ULL)       /* device timers and session expiry */
#define DAEMON_FLUSH_INTERVAL (60 * WIRE_NSEC_PER_SEC) /* last handshakes to the registry */

struct datapath;

struct daemon_options {
	const char *config_path;
	bool foreground; /* -d */
	bool verbose;	 /* -v */
};

struct daemon {
	struct daemon_options opt;
	struct tetherd_config cfg;
	struct policy *policy; /* the one in force */
	uid_t proxy_uid;
	gid_t proxy_gid;

	struct handshake_identity id;
	struct mac_checker checker;
	struct ratelimit rl;
	struct registry *reg;
	struct admit_registry areg;
	struct device_table devs;
	struct device *dead; /* removed during this loop turn, freed after it */

	struct evloop loop;
	struct evloop_handler signal_h;
	int signal_fd;
	struct datapath *dp;
	struct nl_sock *nl;
	struct policy_nft *nft;
	struct control_server *ctl;

	uint64_t drops[DEVICE_DROP_COUNT]; /* not attributable to a device */
	uint64_t admits[ADMIT_REASON_COUNT];
	uint64_t cookies_sent;
	unsigned int online;
	struct log_ratelimit refusal_rl; /* handshake refusals in the log */
	struct log_ratelimit error_rl;	 /* kernel errors on the packet path */

	int64_t started_wall; /* Unix seconds */
	uint64_t started;     /* CLOCK_MONOTONIC ns */
	uint64_t next_sweep;
	uint64_t next_flush;
	bool stop;
	bool reload;
};

/* -n: read the configuration, key file and policy file, resolve the proxy
 * user; 0, or -errno after printing what was wrong to stderr. */
int daemon_check(const struct daemon_options *opt);

/* Start everything up to READY. 0 or -errno, logged. */
int daemon_start(struct daemon *d, const struct daemon_options *opt);

/* Run the loop until SIGTERM or SIGINT. 0 or -errno. */
int daemon_run(struct daemon *d);

/* Stop cleanly: flush last handshakes, set online links down, close
 * sockets and fds. Interfaces stay, so a restart reattaches them. */
void daemon_stop(struct daemon *d);

/* Unix seconds now. */
int64_t daemon_wall(void);

/* Device transitions. online/offline change the link, the counters and
 * tell the watchers; kick ends every session (disable); forget removes the
 * device from the kernel and the table, and frees it after this turn. */
void daemon_device_online(struct daemon *d, struct device *dev);
void daemon_device_offline(struct daemon *d, struct device *dev, const char *why);
void daemon_device_kick(struct daemon *d, struct device *dev);
void daemon_device_forget(struct daemon *d, struct device *dev);

/* After any timers event of dev: do what its timers say (offline,
 * keepalive) and follow their online flag. */
void daemon_device_timers(struct daemon *d, struct device *dev, uint64_t now);

/* Tell watchers: event is "added", "removed", "online", "offline". */
void daemon_event(struct daemon *d, const char *event, const struct device *dev);

/* The device's URL, https://<name>.<domain>/ */
void daemon_url(const struct daemon *d, const struct device *dev, char *out, size_t size);

#endif
