/* libFuzzer harness for the tetherd.conf parser (inih glue, every value
 * parser, the checks across keys) from a memory buffer. An accepted
 * configuration must hold the invariants the daemons rely on. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/tetherd_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tetherd_config cfg;
	char err[CONF_ERR_MAX];
	uint32_t net, gw, hostmask;

	memset(err, 0x55, sizeof(err));
	if (tetherd_config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err))) {
		/* every refusal explains itself, NUL-terminated, naming the file */
		if (!memchr(err, '\0', sizeof(err)) || strncmp(err, "fuzz.conf", 9))
			abort();
		return 0;
	}
	if (cfg.pool.prefix < 8 || cfg.pool.prefix > 30)
		abort();
	net = ntohl(cfg.pool.addr.s_addr);
	gw = ntohl(cfg.gateway.s_addr);
	hostmask = ~0u >> cfg.pool.prefix;
	if ((net & hostmask) || (gw & ~hostmask) != net || gw == net || gw == (net | hostmask))
		abort();
	if (!cfg.private_key[0] || cfg.private_key[0] != '/' || !cfg.domain[0] ||
	    strlen(cfg.domain) > CONF_DOMAIN_MAX || strlen(cfg.control) > 107 ||
	    strlen(cfg.control_ro) > 107 || !cfg.proxy.tls_cert[0] != !cfg.proxy.tls_key[0])
		abort();
	if (cfg.mtu < 576 || cfg.mtu > 9000 || cfg.keepalive < 1 || cfg.keepalive > 3600 ||
	    !cfg.proxy.device_http_port || !cfg.proxy.device_https_port)
		abort();
	for (const char *c = cfg.domain; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			abort();
	return 0;
}
