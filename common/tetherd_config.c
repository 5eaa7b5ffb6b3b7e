/* tetherd.conf: the key table of [tetherd] and [proxy], the defaults of
 * INTERFACE.md, and the checks that involve more than one key. */
#include "common/tetherd_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/un.h>

/* A UNIX socket path must fit in sun_path with its NUL. */
#define SOCK_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

#define T   "tetherd"
#define P   "proxy"
#define CFG struct tetherd_config

/* Indices into the table, so checks across keys can name the right line. */
enum key {
	K_LISTEN,
	K_PRIVATE_KEY,
	K_DOMAIN,
	K_POOL,
	K_GATEWAY,
	K_MTU,
	K_KEEPALIVE,
	K_STATE_DIR,
	K_CONTROL,
	K_CONTROL_RO,
	K_POLICY,
	K_PROXY_USER,
	K_LOG_LEVEL,
	K_HTTP,
	K_HTTPS,
	K_TLS_CERT,
	K_TLS_KEY,
	K_DEVICE_HTTP_PORT,
	K_DEVICE_HTTPS_PORT,
	K_PROXY_LOG_LEVEL,
	K_COUNT,
};

static const struct conf_key keys[K_COUNT] = {
	[K_LISTEN] = CONF_KEY_ADDR(T, "listen", CFG, listen),
	[K_PRIVATE_KEY] = CONF_KEY_PATH(T, "private_key", CFG, private_key, 0),
	[K_DOMAIN] = CONF_KEY_DOMAIN(T, "domain", CFG, domain),
	/* a pool needs a network, a gateway, a broadcast and a device */
	[K_POOL] = CONF_KEY_CIDR4(T, "pool", CFG, pool, 8, 30),
	[K_GATEWAY] = CONF_KEY_IPV4(T, "gateway", CFG, gateway),
	[K_MTU] = CONF_KEY_UINT(T, "mtu", CFG, mtu, 576, 9000),
	[K_KEEPALIVE] = CONF_KEY_UINT(T, "keepalive", CFG, keepalive, 1, 3600),
	[K_STATE_DIR] = CONF_KEY_PATH(T, "state_dir", CFG, state_dir, 0),
	[K_CONTROL] = CONF_KEY_PATH(T, "control", CFG, control, SOCK_PATH_MAX),
	[K_CONTROL_RO] = CONF_KEY_PATH(T, "control_ro", CFG, control_ro, SOCK_PATH_MAX),
	[K_POLICY] = CONF_KEY_PATH(T, "policy", CFG, policy, 0),
	[K_PROXY_USER] = CONF_KEY_USER(T, "proxy_user", CFG, proxy_user),
	[K_LOG_LEVEL] = CONF_KEY_LOG_LEVEL(T, "log_level", CFG, log_level),
	[K_HTTP] = CONF_KEY_ADDR(P, "http", CFG, proxy.http),
	[K_HTTPS] = CONF_KEY_ADDR(P, "https", CFG, proxy.https),
	[K_TLS_CERT] = CONF_KEY_PATH(P, "tls_cert", CFG, proxy.tls_cert, 0),
	[K_TLS_KEY] = CONF_KEY_PATH(P, "tls_key", CFG, proxy.tls_key, 0),
	[K_DEVICE_HTTP_PORT] = CONF_KEY_PORT(P, "device_http_port", CFG, proxy.device_http_port),
	[K_DEVICE_HTTPS_PORT] = CONF_KEY_PORT(P, "device_https_port", CFG, proxy.device_https_port),
	[K_PROXY_LOG_LEVEL] = CONF_KEY_LOG_LEVEL(P, "log_level", CFG, proxy.log_level),
};

static void set_addr4(struct conf_addr *a, uint32_t host_order_ip, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(host_order_ip);
	sin->sin_port = htons(port);
	a->len = sizeof(*sin);
}

void tetherd_config_defaults(struct tetherd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	set_addr4(&cfg->listen, INADDR_ANY, 51900);
	cfg->pool.addr.s_addr = htonl(0x64400000); /* 100.64.0.0 */
	cfg->pool.prefix = 16;
	cfg->gateway.s_addr = htonl(0x64400001); /* 100.64.0.1 */
	cfg->mtu = 1420;
	cfg->keepalive = 25;
	strcpy(cfg->state_dir, "/var/lib/tether");
	strcpy(cfg->control, "/run/tether/tetherd.sock");
	strcpy(cfg->control_ro, "/run/tether/tetherd-ro.sock");
	strcpy(cfg->policy, "/etc/tether/policy.conf");
	strcpy(cfg->proxy_user, "tether-proxy");
	cfg->log_level = LOG_LEVEL_INFO;
	set_addr4(&cfg->proxy.http, INADDR_ANY, 80);
	set_addr4(&cfg->proxy.https, INADDR_ANY, 443);
	cfg->proxy.device_http_port = 80;
	cfg->proxy.device_https_port = 443;
	cfg->proxy.log_level = LOG_LEVEL_INFO;
}

static bool same_addr(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

/* The gateway is a host of the pool: not its network, not its broadcast. */
static int check_gateway(const char *path, const struct tetherd_config *cfg,
			 const unsigned int *lines, char *err, size_t errlen)
{
	uint32_t net = ntohl(cfg->pool.addr.s_addr), gw = ntohl(cfg->gateway.s_addr);
	uint32_t hostmask = cfg->pool.prefix ? ~0u >> cfg->pool.prefix : ~0u;
	char g[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
	const char *why = NULL;

	if ((gw & ~hostmask) != net)
		why = "is not inside";
	else if (gw == net)
		why = "is the network address of";
	else if (gw == (net | hostmask))
		why = "is the broadcast address of";
	if (!why)
		return 0;
	inet_ntop(AF_INET, &cfg->gateway, g, sizeof(g));
	inet_ntop(AF_INET, &cfg->pool.addr, n, sizeof(n));
	/* blame the line that was written: the gateway's, or the pool's when
	 * the gateway is the default that a new pool no longer contains */
	if (lines[K_GATEWAY] || !lines[K_POOL])
		conf_error(err, errlen, path, lines[K_GATEWAY], "gateway", "'%s' %s pool %s/%u", g,
			   why, n, cfg->pool.prefix);
	else
		conf_error(err, errlen, path, lines[K_POOL], "pool",
			   "'%s/%u' does not contain the default gateway %s; set gateway", n,
			   cfg->pool.prefix, g);
	return -EINVAL;
}

static int check(const char *path, const struct tetherd_config *cfg, const unsigned int *lines,
		 char *err, size_t errlen)
{
	const struct tetherd_proxy_config *px = &cfg->proxy;

	if (!lines[K_PRIVATE_KEY] || !lines[K_DOMAIN]) {
		conf_error(err, errlen, path, 0, NULL, "missing required key '%s' in [tetherd]",
			   lines[K_PRIVATE_KEY] ? "domain" : "private_key");
		return -EINVAL;
	}
	if (check_gateway(path, cfg, lines, err, errlen))
		return -EINVAL;
	if (!strcmp(cfg->control, cfg->control_ro)) {
		conf_error(err, errlen, path, lines[K_CONTROL_RO], "control_ro",
			   "'%s' is also the read-write control socket", cfg->control_ro);
		return -EINVAL;
	}
	if (!px->tls_cert[0] != !px->tls_key[0]) {
		bool cert = px->tls_cert[0];

		conf_error(err, errlen, path, lines[cert ? K_TLS_CERT : K_TLS_KEY],
			   cert ? "tls_cert" : "tls_key", "given without %s (set both or neither)",
			   cert ? "tls_key" : "tls_cert");
		return -EINVAL;
	}
	if (same_addr(&px->http, &px->https)) {
		conf_error(err, errlen, path, lines[K_HTTPS] ? lines[K_HTTPS] : lines[K_HTTP],
			   lines[K_HTTPS] ? "https" : "http", "same address as %s",
			   lines[K_HTTPS] ? "http" : "https");
		return -EINVAL;
	}
	return 0;
}

/* buf NULL: read path. cfg is written only when everything checked out. */
static int load(const char *path, const char *buf, size_t len, struct tetherd_config *cfg,
		char *err, size_t errlen)
{
	struct tetherd_config c;
	unsigned int lines[K_COUNT];
	struct conf_file f = {
		.path = path, .keys = keys, .nkeys = K_COUNT, .cfg = &c, .lines = lines};
	int ret;

	tetherd_config_defaults(&c);
	ret = buf ? conf_parse_buffer(&f, buf, len, err, errlen) : conf_parse_file(&f, err, errlen);
	if (ret)
		goto out;
	ret = check(path, &c, lines, err, errlen);
	if (ret)
		goto out;
	*cfg = c;
out:
	return ret;
}

int tetherd_config_parse(const char *path, const char *buf, size_t len, struct tetherd_config *cfg,
			 char *err, size_t errlen)
{
	return load(path, buf ? buf : "", len, cfg, err, errlen);
}

int tetherd_config_load(const char *path, struct tetherd_config *cfg, char *err, size_t errlen)
{
	return load(path, NULL, 0, cfg, err, errlen);
}
