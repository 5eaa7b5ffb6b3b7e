/* tetherctl watch: follow tetherd's device events as tether-proxy does. */
#ifndef TETHER_TETHERCTL_CMD_WATCH_H
#define TETHER_TETHERCTL_CMD_WATCH_H

#include "concentrator/tetherctl/ctl.h"

enum ctl_exit cmd_watch(const struct ctl *ctl, int argc, char **argv);

#endif
