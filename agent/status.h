/* The agent's status file, state_dir/status: what the running daemon last
 * knew (state, addresses, endpoint, last handshake, counters), written
 * atomically by the daemon and read by `tether-agent status`. One
 * "key=value" line each, unknown keys ignored, so both sides may grow. */
#ifndef TETHER_AGENT_STATUS_H
#define TETHER_AGENT_STATUS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/conf.h"
#include "proto/wire.h"

#define STATUS_FILE "status"

enum status_state {
	STATUS_STOPPED,	    /* the daemon exited (or never wrote) */
	STATUS_DISABLED,    /* server = none: remote access is off */
	STATUS_CONNECTING,  /* no session yet, no failure so far */
	STATUS_CONNECTED,   /* a live session */
	STATUS_BACKING_OFF, /* attempts failed: waiting before the next */
	STATUS_STATE_COUNT,
};

enum status_sizes {
	STATUS_ENDPOINT_MAX = INET6_ADDRSTRLEN + 8, /* "[addr]:port" */
	STATUS_SERVER_MAX = CONF_HOST_MAX + 8,
	STATUS_ERROR_MAX = 95,
	STATUS_REASONS_MAX = 255,
	STATUS_TEXT_MAX = 2048,
	STATUS_PATH_MAX = CONF_PATH_MAX + sizeof("/" STATUS_FILE),
};

/* Addresses are text ("" for none); times are Unix seconds (0 for never). */
struct agent_status {
	enum status_state state;
	pid_t pid;
	uint64_t updated;
	char name[WIRE_NAME_MAX + 1];
	char interface[CONF_IFNAME_MAX + 1];
	char server[STATUS_SERVER_MAX + 1];	/* as configured, host:port */
	char endpoint[STATUS_ENDPOINT_MAX + 1]; /* the address it resolved to */
	char address[INET_ADDRSTRLEN];
	char peer[INET_ADDRSTRLEN];
	char address6[INET6_ADDRSTRLEN];
	uint32_t mtu;
	uint32_t keepalive;	    /* seconds */
	char url[WIRE_URL_MAX + 1]; /* printable ASCII only */
	uint64_t last_handshake;
	uint64_t next_attempt;
	char last_error[STATUS_ERROR_MAX + 1];	   /* why the last attempt failed */
	uint64_t handshakes;			   /* completed */
	uint64_t rx_bytes, rx_packets;		   /* inner packets from the tunnel */
	uint64_t tx_bytes, tx_packets;		   /* inner packets into the tunnel */
	uint64_t drops;				   /* everything dropped, all reasons */
	uint64_t filtered;			   /* of which the exposure filter dropped */
	char drop_reasons[STATUS_REASONS_MAX + 1]; /* "reason:count,..." of the non-zero ones */
};

const char *status_state_str(enum status_state state);

/* Copy src into a status field of size dst_size, every byte outside
 * 0x20..0x7e replaced by '?', so that no value can break a line of the
 * file or play tricks on a terminal. */
void status_set_text(char *dst, size_t dst_size, const char *src, size_t len);

/* The file's text. -ENOSPC if size is short (STATUS_TEXT_MAX never is). */
int status_format(const struct agent_status *st, char *buf, size_t size, size_t *len);

/* The inverse: 0, or -EINVAL if a line is malformed or the state unknown. */
int status_parse(struct agent_status *st, const char *buf, size_t len);

/* Replace path with st: a temp file renamed over it, so a reader sees the
 * old or the new status, never half. Not fsync'd: the status is a view,
 * and the daemon may write it every second on a device's flash. */
int status_write(const char *path, const struct agent_status *st, char *err, size_t errlen);

/* Read path: 0, -ENOENT (no status yet), -EINVAL (err says why), or the
 * read's -errno. */
int status_read(const char *path, struct agent_status *st, char *err, size_t errlen);

/* Human form and JSON form. running says whether st->pid is alive; now
 * (Unix seconds) turns times into ages. 0, or -EIO if f fails. */
int status_print(FILE *f, const struct agent_status *st, bool running, uint64_t now);
int status_print_json(FILE *f, const struct agent_status *st, bool running);

#endif
