/* The tether-agent daemon: one epoll loop holding the tunnel to the
 * gateway (UDP socket, TUN, timers, name lookups, signals) and the data
 * path between them, with the exposure filter on what comes in. */
#ifndef TETHER_AGENT_DAEMON_H
#define TETHER_AGENT_DAEMON_H

#include "agent/cli.h"

/* `tether-agent [-f CONFIG] [-d] [-v] [-n]`: runs until SIGTERM or SIGINT
 * (SIGHUP reloads the configuration). Returns the exit status. */
enum cli_exit daemon_main(const struct cli *cli);

#endif
