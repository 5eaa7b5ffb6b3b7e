/* Readiness and status for systemd (Type=notify), by the sd_notify
 * datagram protocol, without linking libsystemd. A no-op when the process
 * was not started by systemd (NOTIFY_SOCKET unset). */
#ifndef TETHER_COMMON_NOTIFY_H
#define TETHER_COMMON_NOTIFY_H

/* Send one state string such as "READY=1" or "STATUS=12 devices online".
 * Returns 0 (also when there is no NOTIFY_SOCKET) or -errno. */
int notify_send(const char *state);

#endif
