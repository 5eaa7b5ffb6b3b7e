/* `tether-agent genkey` and `tether-agent pubkey`: the device key in the
 * 44-character base64 form of key files, like wg genkey and wg pubkey. */
#ifndef TETHER_AGENT_CMD_KEY_H
#define TETHER_AGENT_CMD_KEY_H

#include "agent/cli.h"

enum cli_exit cmd_key_genkey(const struct cli *cli);
enum cli_exit cmd_key_pubkey(const struct cli *cli);

#endif
