/* agent.conf, the [agent] section read by tether-agent and written by
 * `tether-agent enroll`: what it reads back is exactly what it wrote. */
#ifndef TETHER_COMMON_AGENT_CONFIG_H
#define TETHER_COMMON_AGENT_CONFIG_H

#include <stddef.h>

#include "common/conf.h"

#define AGENT_CONFIG_PATH "/etc/tether/agent.conf"

/* server is required; with "server = none" (remote access off) server_key
 * and name may be left out, otherwise they are required too. An all-zero
 * server_key means "not set" (no valid peer has it; the parser refuses it).
 * private_key has a default, as `enroll` creates the key there.
 * Beyond INTERFACE.md: log_level = info (error, warning, notice, info,
 * debug); -v on the command line wins. */
struct agent_config {
	struct conf_server server;	     /* required; host kept as text */
	uint8_t server_key[CONF_KEY_LEN];    /* the gateway's public key */
	char name[CONF_NAME_MAX + 1];	     /* this device's name */
	char private_key[CONF_PATH_MAX + 1]; /* /etc/tether/agent.key */
	char interface[CONF_IFNAME_MAX + 1]; /* tether0 */
	char expose[CONF_EXPOSE_MAX + 1];    /* "80,443", parsed by policy/ */
	char state_dir[CONF_PATH_MAX + 1];   /* /var/lib/tether-agent */
	enum log_level log_level;	     /* info */
};

/* Fill cfg with every default (server, server_key and name unset). */
void agent_config_defaults(struct agent_config *cfg);

/* Read and check path; 0 or -errno with err naming file, line, key and
 * value. cfg is written only on success. */
int agent_config_load(const char *path, struct agent_config *cfg, char *err, size_t errlen);

/* The same from len bytes in memory; path only names the file in messages. */
int agent_config_parse(const char *path, const char *buf, size_t len, struct agent_config *cfg,
		       char *err, size_t errlen);

/* Write cfg to path as INI, atomically (temp file in the same directory,
 * fsync, rename, fsync of the directory), mode 0644: it holds no secret.
 * The text is parsed back before anything is written, so a configuration
 * the agent could not read is refused with -EINVAL instead. */
int agent_config_write(const char *path, const struct agent_config *cfg, char *err, size_t errlen);

#endif
