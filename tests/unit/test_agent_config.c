/* agent.conf: defaults, required keys and server = none, bad values with
 * their exact messages, and the round trip through agent_config_write. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent_config.h"

#define KEY  "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define HEAD "[agent]\nserver = gw.example.com:51900\nserver_key = " KEY "\nname = an12345678\n"

static char err[CONF_ERR_MAX];
static struct agent_config cfg;

static int parse(const char *text)
{
	err[0] = '\0';
	return agent_config_parse("a.conf", text, strlen(text), &cfg, err, sizeof(err));
}

static void expect_err(const char *text, const char *want)
{
	cr_expect_eq(parse(text), -EINVAL, "accepted:\n%s", text);
	cr_expect_str_eq(err, want, "for:\n%s", text);
}

Test(agent_config, defaults)
{
	cr_assert_eq(parse(HEAD), 0, "%s", err);
	cr_expect(!cfg.server.none);
	cr_expect_str_eq(cfg.server.host, "gw.example.com");
	cr_expect_eq(cfg.server.port, 51900);
	cr_expect_eq(cfg.server_key[0], 0x1c);
	cr_expect_str_eq(cfg.name, "an12345678");
	cr_expect_str_eq(cfg.private_key, "/etc/tether/agent.key");
	cr_expect_str_eq(cfg.interface, "tether0");
	cr_expect_str_eq(cfg.expose, "80,443");
	cr_expect_str_eq(cfg.state_dir, "/var/lib/tether-agent");
	cr_expect_eq(cfg.log_level, LOG_LEVEL_INFO);
}

Test(agent_config, all_keys)
{
	cr_assert_eq(parse("[agent]\n"
			   "server = [2001:db8::7]:443   # IPv6 literal\n"
			   "server_key = " KEY "\n"
			   "name = meter-7\n"
			   "private_key = /data/tether/agent.key\n"
			   "interface = tt0\n"
			   "expose = 80,443,502\n"
			   "state_dir = /data/tether\n"
			   "log_level = debug\n"),
		     0, "%s", err);
	cr_expect_str_eq(cfg.server.host, "2001:db8::7");
	cr_expect_eq(cfg.server.port, 443);
	cr_expect_str_eq(cfg.name, "meter-7");
	cr_expect_str_eq(cfg.private_key, "/data/tether/agent.key");
	cr_expect_str_eq(cfg.interface, "tt0");
	cr_expect_str_eq(cfg.expose, "80,443,502");
	cr_expect_str_eq(cfg.state_dir, "/data/tether");
	cr_expect_eq(cfg.log_level, LOG_LEVEL_DEBUG);
}

Test(agent_config, required)
{
	expect_err("[agent]\nserver_key = " KEY "\nname = a\n",
		   "a.conf: missing required key 'server' in [agent]");
	expect_err("[agent]\nserver = gw.example.com:51900\nname = a\n",
		   "a.conf: missing required key 'server_key' in [agent]");
	expect_err("[agent]\nserver = gw.example.com:51900\nserver_key = " KEY "\n",
		   "a.conf: missing required key 'name' in [agent]");
	expect_err("", "a.conf: missing required key 'server' in [agent]");
	/* remote access off: nothing else needed, but what is given is checked */
	cr_assert_eq(parse("[agent]\nserver = none\n"), 0, "%s", err);
	cr_expect(cfg.server.none);
	expect_err("[agent]\nserver = none\nname = A\n",
		   "a.conf:3: name: 'A' is not a device name ([a-z0-9][a-z0-9-]{0,62})");
}

Test(agent_config, bad_values)
{
	static const struct {
		const char *key, *value, *msg;
	} bad[] = {
		{"server", "gw.example.com",
		 "'gw.example.com' is not host:port, [IPv6]:port or none (port 1..65535)"},
		{"server", "gw_1.example.com:51900",
		 "'gw_1.example.com:51900' has no valid host (a DNS name, an IPv4 address or "
		 "[IPv6])"},
		{"server", "Off", "'Off' is not host:port, [IPv6]:port or none (port 1..65535)"},
		{"server_key", "AAAA",
		 "'AAAA' is not a base64 public key (44 characters, 32 bytes)"},
		{"name", "an_1", "'an_1' is not a device name ([a-z0-9][a-z0-9-]{0,62})"},
		{"private_key", "agent.key", "'agent.key' is not an absolute path"},
		{"interface", "tether0123456789",
		 "'tether0123456789' is not an interface name (1..15 of A-Z, a-z, 0-9, '_', '.', "
		 "'-')"},
		{"state_dir", "var", "'var' is not an absolute path"},
		{"log_level", "trace",
		 "'trace' is not a log level (error, warning, notice, info, debug)"},
	};
	char text[1024], want[CONF_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[agent]\n%s = %s\n", bad[i].key, bad[i].value);
		snprintf(want, sizeof(want), "a.conf:2: %s: %s", bad[i].key, bad[i].msg);
		expect_err(text, want);
	}
	expect_err(HEAD "expose =\n", "a.conf:5: expose: no value");
	expect_err(HEAD "name = b\n", "a.conf:5: name: given twice (first on line 4)");
	expect_err(HEAD "mtu = 1400\n", "a.conf:5: unknown key 'mtu' in [agent]");
	expect_err(HEAD "[tetherd]\n", "a.conf:5: unknown section [tetherd] (expected [agent])");
}

static char dir[] = "/tmp/tether-test-agent-config.XXXXXX";

static void setup(void)
{
	cr_assert(mkdtemp(dir), "mkdtemp");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

static void roundtrip(const struct agent_config *in)
{
	struct agent_config out;
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/agent.conf", dir);
	cr_assert_eq(agent_config_write(path, in, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(agent_config_load(path, &out, err, sizeof(err)), 0, "%s", err);
	/* defaults() zeroes the padding too, so whole structs compare */
	cr_expect_eq(memcmp(in, &out, sizeof(out)), 0);
}

Test(agent_config, write_roundtrip, .init = setup, .fini = teardown)
{
	struct agent_config in;
	char path[256], cmd[512];

	agent_config_defaults(&in);
	cr_assert_eq(conf_parse_server("gw.example.com:51900", &in.server, err, sizeof(err)), 0);
	cr_assert_eq(conf_parse_pubkey(KEY, in.server_key, err, sizeof(err)), 0);
	strcpy(in.name, "an12345678");
	roundtrip(&in);

	/* IPv6 literal gets its brackets back; every key set */
	cr_assert_eq(conf_parse_server("[2001:db8::1]:443", &in.server, err, sizeof(err)), 0);
	strcpy(in.private_key, "/data/k");
	strcpy(in.interface, "tt0");
	strcpy(in.expose, "22, 80");
	strcpy(in.state_dir, "/data/state");
	in.log_level = LOG_LEVEL_DEBUG;
	roundtrip(&in);

	/* replaced in place, no temp file left */
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	cr_expect_eq(system(cmd), 0);

	/* remote access off, no key and no name */
	agent_config_defaults(&in);
	in.server.none = true;
	roundtrip(&in);
	snprintf(path, sizeof(path), "%s/agent.conf", dir);
	snprintf(cmd, sizeof(cmd), "grep -qx 'server = none' '%s'", path);
	cr_expect_eq(system(cmd), 0);
}

Test(agent_config, write_refuses_invalid, .init = setup, .fini = teardown)
{
	struct agent_config in;
	char path[256], want[CONF_ERR_MAX];

	snprintf(path, sizeof(path), "%s/agent.conf", dir);
	agent_config_defaults(&in);
	cr_assert_eq(conf_parse_server("gw.example.com:51900", &in.server, err, sizeof(err)), 0);
	strcpy(in.name, "an12345678");
	/* no server key: the agent could not read this back */
	cr_expect_eq(agent_config_write(path, &in, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "not writing an invalid configuration: %s: missing required key 'server_key' in "
		 "[agent]",
		 path);
	cr_expect_str_eq(err, want);
	cr_expect_neq(access(path, F_OK), 0);

	cr_assert_eq(conf_parse_pubkey(KEY, in.server_key, err, sizeof(err)), 0);
	strcpy(in.name, "Bad Name");
	cr_expect_eq(agent_config_write(path, &in, err, sizeof(err)), -EINVAL);
	cr_expect_neq(access(path, F_OK), 0);

	strcpy(in.name, "ok");
	snprintf(path, sizeof(path), "%s/missing-dir/agent.conf", dir);
	cr_expect_eq(agent_config_write(path, &in, err, sizeof(err)), -ENOENT);
}
