/* tetherctl genkey and pubkey: key pairs without talking to tetherd. */
#ifndef TETHER_TETHERCTL_CMD_KEY_H
#define TETHER_TETHERCTL_CMD_KEY_H

#include "concentrator/tetherctl/ctl.h"

enum ctl_exit cmd_key_genkey(const struct ctl *ctl, int argc, char **argv);
enum ctl_exit cmd_key_pubkey(const struct ctl *ctl, int argc, char **argv);

#endif
