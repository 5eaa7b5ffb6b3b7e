/* libFuzzer harness for the agent.conf parser from a memory buffer. An
 * accepted configuration must hold what the agent and its writer assume. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config cfg;
	char err[CONF_ERR_MAX];

	memset(err, 0x55, sizeof(err));
	if (agent_config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err))) {
		if (!memchr(err, '\0', sizeof(err)) || strncmp(err, "fuzz.conf", 9))
			abort();
		return 0;
	}
	if (cfg.server.none) {
		if (cfg.server.host[0] || cfg.server.port)
			abort();
		return 0;
	}
	if (!cfg.server.host[0] || !cfg.server.port || !cfg.name[0] ||
	    strlen(cfg.name) > CONF_NAME_MAX || strlen(cfg.interface) > CONF_IFNAME_MAX ||
	    !cfg.expose[0] || cfg.private_key[0] != '/' || cfg.state_dir[0] != '/')
		abort();
	/* a '[' in the host would not survive agent_config_write */
	if (strchr(cfg.server.host, '[') || strchr(cfg.server.host, ']'))
		abort();
	return 0;
}
