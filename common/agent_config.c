/* agent.conf: the key table of [agent], its defaults, the required keys,
 * and the writer `enroll` uses, which renders the same INI it parses. */
#include "common/agent_config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define A   "agent"
#define CFG struct agent_config

enum key {
	K_SERVER,
	K_SERVER_KEY,
	K_NAME,
	K_PRIVATE_KEY,
	K_INTERFACE,
	K_EXPOSE,
	K_STATE_DIR,
	K_LOG_LEVEL,
	K_COUNT,
};

static const struct conf_key keys[K_COUNT] = {
	[K_SERVER] = CONF_KEY_SERVER(A, "server", CFG, server),
	[K_SERVER_KEY] = CONF_KEY_PUBKEY(A, "server_key", CFG, server_key),
	[K_NAME] = CONF_KEY_NAME(A, "name", CFG, name),
	[K_PRIVATE_KEY] = CONF_KEY_PATH(A, "private_key", CFG, private_key, 0),
	[K_INTERFACE] = CONF_KEY_IFNAME(A, "interface", CFG, interface),
	[K_EXPOSE] = CONF_KEY_EXPOSE(A, "expose", CFG, expose),
	[K_STATE_DIR] = CONF_KEY_PATH(A, "state_dir", CFG, state_dir, 0),
	[K_LOG_LEVEL] = CONF_KEY_LOG_LEVEL(A, "log_level", CFG, log_level),
};

/* A rendered file: 8 lines of at most CONF_LINE_MAX, a comment. */
enum { TEXT_MAX = 2048 };

void agent_config_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->private_key, "/etc/tether/agent.key");
	strcpy(cfg->interface, "tether0");
	strcpy(cfg->expose, "80,443");
	strcpy(cfg->state_dir, "/var/lib/tether-agent");
	cfg->log_level = LOG_LEVEL_INFO;
}

static int check(const char *path, const struct agent_config *cfg, const unsigned int *lines,
		 char *err, size_t errlen)
{
	const char *missing = NULL;

	if (!lines[K_SERVER])
		missing = "server";
	else if (cfg->server.none)
		return 0; /* remote access off: nothing else is needed */
	else if (!lines[K_SERVER_KEY])
		missing = "server_key";
	else if (!lines[K_NAME])
		missing = "name";
	if (!missing)
		return 0;
	conf_error(err, errlen, path, 0, NULL, "missing required key '%s' in [agent]", missing);
	return -EINVAL;
}

/* buf NULL: read path. cfg is written only when everything checked out. */
static int load(const char *path, const char *buf, size_t len, struct agent_config *cfg, char *err,
		size_t errlen)
{
	struct agent_config c;
	unsigned int lines[K_COUNT];
	struct conf_file f = {
		.path = path, .keys = keys, .nkeys = K_COUNT, .cfg = &c, .lines = lines};
	int ret;

	agent_config_defaults(&c);
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

int agent_config_parse(const char *path, const char *buf, size_t len, struct agent_config *cfg,
		       char *err, size_t errlen)
{
	return load(path, buf ? buf : "", len, cfg, err, errlen);
}

int agent_config_load(const char *path, struct agent_config *cfg, char *err, size_t errlen)
{
	return load(path, NULL, 0, cfg, err, errlen);
}

/* The INI text of cfg; -ENOSPC if it does not fit (it always does for a
 * cfg the parser produced). */
static int render(const struct agent_config *cfg, char *out, size_t outlen, size_t *len)
{
	char key[CONF_KEY_B64_LEN + 1];
	size_t o = 0;
	int n;

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		n = snprintf(out + o, outlen - o, __VA_ARGS__);                                    \
		if (n < 0 || (size_t)n >= outlen - o)                                              \
			return -ENOSPC;                                                            \
		o += (size_t)n;                                                                    \
	} while (0)

	EMIT("# tether-agent configuration (see INTERFACE.md); written by tether-agent enroll\n");
	EMIT("[agent]\n");
	if (cfg->server.none)
		EMIT("server = none\n");
	else if (strchr(cfg->server.host, ':'))
		EMIT("server = [%s]:%u\n", cfg->server.host, cfg->server.port);
	else
		EMIT("server = %s:%u\n", cfg->server.host, cfg->server.port);
	if (!sodium_is_zero(cfg->server_key, sizeof(cfg->server_key))) {
		sodium_bin2base64(key, sizeof(key), cfg->server_key, sizeof(cfg->server_key),
				  sodium_base64_VARIANT_ORIGINAL);
		EMIT("server_key = %s\n", key);
	}
	if (cfg->name[0])
		EMIT("name = %s\n", cfg->name);
	EMIT("private_key = %s\n", cfg->private_key);
	EMIT("interface = %s\n", cfg->interface);
	EMIT("expose = %s\n", cfg->expose);
	EMIT("state_dir = %s\n", cfg->state_dir);
	EMIT("log_level = %s\n", conf_log_level_name(cfg->log_level));
#undef EMIT
	*len = o;
	return 0;
}

int agent_config_write(const char *path, const struct agent_config *cfg, char *err, size_t errlen)
{
	char text[TEXT_MAX], msg[CONF_ERR_MAX];
	struct agent_config back;
	size_t len = 0;
	int ret;

	ret = render(cfg, text, sizeof(text), &len);
	if (ret) {
		snprintf(err, errlen, "%s: configuration too large to write", path);
		goto out;
	}
	/* refuse to write what the agent would refuse to read */
	ret = agent_config_parse(path, text, len, &back, msg, sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "not writing an invalid configuration: %s", msg);
		goto out;
	}
	ret = conf_write_file(path, text, len, 0644, CONF_WRITE_REPLACE, err, errlen);
out:
	return ret;
}
