/* `tether-agent enroll`: make the device key if there is none, prove a
 * one-time token to the gateway in a real handshake (message 1 with
 * ENROLL_TOKEN), and on OK write agent.conf and print the device's URL. */
#ifndef TETHER_AGENT_CMD_ENROLL_H
#define TETHER_AGENT_CMD_ENROLL_H

#include "agent/cli.h"

enum cli_exit cmd_enroll(const struct cli *cli);

#endif
