/* tetherctl device ...: add, list, show, disable, enable, remove. */
#ifndef TETHER_TETHERCTL_CMD_DEVICE_H
#define TETHER_TETHERCTL_CMD_DEVICE_H

#include <stdint.h>

#include "concentrator/tetherctl/ctl.h"

enum ctl_exit cmd_device(const struct ctl *ctl, int argc, char **argv);

/* A token lifetime: seconds, or a number with an s, m, h or d suffix.
 * Returns 0 or -EINVAL (-ERANGE when it does not fit in 32 bits). */
int cmd_device_parse_ttl(const char *text, uint32_t *seconds);

#endif
