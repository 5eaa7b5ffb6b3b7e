/* tetherd.conf, read by tetherd ([tetherd]) and by tether-proxy ([proxy]):
 * every key of INTERFACE.md with its default, checked one by one and then
 * against each other (gateway inside the pool, TLS files in pairs). */
#ifndef TETHER_COMMON_TETHERD_CONFIG_H
#define TETHER_COMMON_TETHERD_CONFIG_H

#include <stddef.h>

#include "common/conf.h"

#define TETHERD_CONFIG_PATH "/etc/tether/tetherd.conf"

/* [proxy]. tls_cert and tls_key are both set or both empty; empty means TLS
 * is passed through to the device by SNI. */
struct tetherd_proxy_config {
	struct conf_addr http;		  /* 0.0.0.0:80 */
	struct conf_addr https;		  /* 0.0.0.0:443 */
	char tls_cert[CONF_PATH_MAX + 1]; /* "" */
	char tls_key[CONF_PATH_MAX + 1];  /* "" */
	uint16_t device_http_port;	  /* 80 */
	uint16_t device_https_port;	  /* 443 */
	enum log_level log_level;	  /* info; -v raises it to debug */
};

/* [tetherd]. Keys beyond INTERFACE.md:
 *   control_ro = /run/tether/tetherd-ro.sock
 *	the read-only control socket (status, device list/show, watch) that
 *	tether-proxy uses; see docs/control.md.
 *   log_level = info (also in [proxy])
 *	error, warning, notice, info or debug; -v on the command line wins.
 * Socket paths are at most 107 characters (sun_path). */
struct tetherd_config {
	struct conf_addr listen;	     /* 0.0.0.0:51900, UDP */
	char private_key[CONF_PATH_MAX + 1]; /* required */
	char domain[CONF_DOMAIN_MAX + 1];    /* required, stored lowercase */
	struct conf_cidr4 pool;		     /* 100.64.0.0/16; prefix 8..30 */
	struct in_addr gateway;		     /* 100.64.0.1 */
	uint32_t mtu;			     /* 1420, 576..9000 */
	uint32_t keepalive;		     /* 25 s, 1..3600 */
	char state_dir[CONF_PATH_MAX + 1];   /* /var/lib/tether */
	char control[CONF_PATH_MAX + 1];     /* /run/tether/tetherd.sock */
	char control_ro[CONF_PATH_MAX + 1];  /* /run/tether/tetherd-ro.sock */
	char policy[CONF_PATH_MAX + 1];	     /* /etc/tether/policy.conf */
	char proxy_user[CONF_USER_MAX + 1];  /* tether-proxy; resolved by the daemon */
	enum log_level log_level;	     /* info */
	struct tetherd_proxy_config proxy;
};

/* Fill cfg with every default (private_key and domain empty). */
void tetherd_config_defaults(struct tetherd_config *cfg);

/* Read and check path. On success cfg holds the defaults overridden by the
 * file; on error (0 or -errno, message in err naming file, line, key and
 * value) cfg is left untouched, so a failed SIGHUP reload keeps the old
 * configuration. */
int tetherd_config_load(const char *path, struct tetherd_config *cfg, char *err, size_t errlen);

/* The same from len bytes in memory; path only names the file in messages. */
int tetherd_config_parse(const char *path, const char *buf, size_t len, struct tetherd_config *cfg,
			 char *err, size_t errlen);

#endif
