/* tetherctl status: the gateway at a glance (listen address, public key,
 * device counts, uptime). */
#ifndef TETHER_TETHERCTL_CMD_STATUS_H
#define TETHER_TETHERCTL_CMD_STATUS_H

#include "concentrator/tetherctl/ctl.h"

enum ctl_exit cmd_status(const struct ctl *ctl, int argc, char **argv);

#endif
