/* tetherd's side of the control sockets (docs/control.md): the ops of
 * struct control_ops over the device table and the registry, the DEVICE
 * JSON every answer and event carries, and the two sockets (read-write for
 * tetherctl, read-only for tether-proxy). Registry changes are durable
 * before the answer goes out. */
#ifndef TETHER_TETHERD_ADMIN_H
#define TETHER_TETHERD_ADMIN_H

#include <jansson.h>
#include <stdbool.h>

#include "concentrator/tetherd/daemon.h"
#include "concentrator/tetherd/device.h"

/* Create the control server and listen on cfg.control (0660, tetherd's
 * group) and cfg.control_ro (0660, the proxy user's group). 0 or -errno,
 * logged. */
int admin_listen(struct daemon *d);

/* DEVICE of docs/control.md; detail adds drops and packet counts (show).
 * NULL when out of memory. */
json_t *admin_device_json(const struct daemon *d, const struct device *dev, bool detail);

#endif
