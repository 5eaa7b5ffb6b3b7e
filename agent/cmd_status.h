/* `tether-agent status [-f CONFIG] [--json]`: the tunnel as the running
 * daemon last wrote it to state_dir/status. */
#ifndef TETHER_AGENT_CMD_STATUS_H
#define TETHER_AGENT_CMD_STATUS_H

#include "agent/cli.h"

enum cli_exit cmd_status(const struct cli *cli);

#endif
