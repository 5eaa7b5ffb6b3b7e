/* tether-agent's command line (agent/cli.c): commands and their options,
 * values checked with agent.conf's parsers, usage errors with their
 * messages, and the token wiped. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "agent/cli.h"
#include "common/agent_config.h"

#define KEY   "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define TOKEN "abcdefghijklmnop0123"

static struct cli c;
static char err[256];

static int parse(int argc, char **argv)
{
	err[0] = '\0';
	return cli_parse(&c, argc, argv, err, sizeof(err));
}

#define PARSE(...)                                                                                 \
	({                                                                                         \
		char *argv_[] = {"tether-agent", __VA_ARGS__, NULL};                               \
		parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_);                         \
	})

static void expect_usage(int ret, const char *want)
{
	cr_expect_eq(ret, -EINVAL, "accepted, wanted \"%s\"", want);
	cr_expect_str_eq(err, want);
}

Test(agent_cli, daemon_defaults)
{
	char *argv[] = {"tether-agent", NULL};

	cr_assert_eq(parse(1, argv), 0, "%s", err);
	cr_expect_eq(c.command, CLI_DAEMON);
	cr_expect_str_eq(c.config, AGENT_CONFIG_PATH);
	cr_expect_not(c.config_given);
	cr_expect_not(c.foreground || c.verbose || c.check || c.help);
}

Test(agent_cli, daemon_flags)
{
	cr_assert_eq(PARSE("-f", "/tmp/a.conf", "-d", "-v", "-n"), 0, "%s", err);
	cr_expect_str_eq(c.config, "/tmp/a.conf");
	cr_expect(c.config_given && c.foreground && c.verbose && c.check);

	/* clustered flags and attached values, as getopt would take them */
	cr_assert_eq(PARSE("-dvf/tmp/b.conf"), 0, "%s", err);
	cr_expect(c.foreground && c.verbose && !c.check);
	cr_expect_str_eq(c.config, "/tmp/b.conf");
	cr_assert_eq(PARSE("--config=/tmp/c.conf"), 0, "%s", err);
	cr_expect_str_eq(c.config, "/tmp/c.conf");
}

Test(agent_cli, daemon_usage_errors)
{
	expect_usage(PARSE("-x"), "unknown option \"-x\"");
	expect_usage(PARSE("-f"), "-f needs a value");
	expect_usage(PARSE("-f", ""), "-f: empty path");
	expect_usage(PARSE("--json"), "unknown option \"--json\"");
	expect_usage(PARSE("-d", "stray"), "unexpected argument \"stray\"");
	expect_usage(PARSE("frobnicate"), "unknown command \"frobnicate\"");
	expect_usage(PARSE("-d=1"), "unknown option \"-=\"");
	expect_usage(PARSE("--help=1"), "--help takes no value");
}

Test(agent_cli, help_everywhere)
{
	cr_assert_eq(PARSE("--help"), 0);
	cr_expect(c.help);
	cr_expect_eq(c.command, CLI_DAEMON);
	cr_assert_eq(PARSE("enroll", "-h"), 0);
	cr_expect(c.help);
	cr_expect_eq(c.command, CLI_ENROLL);
	/* help wins over what would be missing or wrong after it */
	cr_assert_eq(PARSE("status", "--help", "--bogus"), 0);
	cr_expect_eq(c.command, CLI_STATUS);
	cr_assert_eq(PARSE("genkey", "--help"), 0);
	cr_expect_eq(c.command, CLI_GENKEY);
	cr_expect_neq(strstr(cli_usage(CLI_ENROLL), "--server-key"), NULL);
	cr_expect_neq(strstr(cli_usage(CLI_STATUS), "--json"), NULL);
	cr_expect_neq(strstr(cli_usage(CLI_DAEMON), "-n"), NULL);
	cr_assert_eq(PARSE("--version"), 0);
	cr_expect(c.version);
}

Test(agent_cli, key_commands_take_nothing)
{
	cr_assert_eq(PARSE("genkey"), 0);
	cr_expect_eq(c.command, CLI_GENKEY);
	cr_assert_eq(PARSE("pubkey"), 0);
	cr_expect_eq(c.command, CLI_PUBKEY);
	expect_usage(PARSE("genkey", "-f", "x"), "unknown option \"-f\"");
	expect_usage(PARSE("pubkey", "key"), "unexpected argument \"key\"");
}

Test(agent_cli, status)
{
	cr_assert_eq(PARSE("status"), 0);
	cr_expect_eq(c.command, CLI_STATUS);
	cr_expect_not(c.json);
	cr_assert_eq(PARSE("status", "-f", "/etc/x.conf", "--json"), 0);
	cr_expect(c.json);
	cr_expect_str_eq(c.config, "/etc/x.conf");
	expect_usage(PARSE("status", "-n"), "unknown option \"-n\"");
}

Test(agent_cli, enroll_complete)
{
	uint8_t key[32];

	cr_assert_eq(PARSE("enroll", "--server", "gw.example.com:51900", "--server-key", KEY,
			   "--name", "an12345678", "--token", TOKEN, "-f", "/tmp/agent.conf"),
		     0, "%s", err);
	cr_expect_eq(c.command, CLI_ENROLL);
	cr_expect_str_eq(c.server.host, "gw.example.com");
	cr_expect_eq(c.server.port, 51900);
	cr_expect_not(c.server.none);
	sodium_base642bin(key, sizeof(key), KEY, strlen(KEY), NULL, NULL, NULL,
			  sodium_base64_VARIANT_ORIGINAL);
	cr_expect(memcmp(c.server_key, key, 32) == 0);
	cr_expect_str_eq(c.name, "an12345678");
	cr_expect_str_eq(c.token, TOKEN);
	cr_expect_eq(c.token_len, strlen(TOKEN));
	cr_expect_str_eq(c.config, "/tmp/agent.conf");

	/* --opt=value and an IPv6 server */
	cr_assert_eq(PARSE("enroll", "--server=[2001:db8::1]:4000", "--server-key=" KEY, "--name=a",
			   "--token=" TOKEN),
		     0, "%s", err);
	cr_expect_str_eq(c.server.host, "2001:db8::1");
	cr_expect_eq(c.server.port, 4000);
}

Test(agent_cli, enroll_missing)
{
	expect_usage(PARSE("enroll"), "enroll needs --server");
	expect_usage(PARSE("enroll", "--server", "gw:1"), "enroll needs --server-key");
	expect_usage(PARSE("enroll", "--server", "gw:1", "--server-key", KEY),
		     "enroll needs --name");
	expect_usage(PARSE("enroll", "--server", "gw:1", "--server-key", KEY, "--name", "a"),
		     "enroll needs --token");
	expect_usage(PARSE("enroll", "--server"), "--server needs a value");
}

Test(agent_cli, enroll_bad_values)
{
	cr_expect_eq(PARSE("enroll", "--server", "none"), -EINVAL);
	cr_expect_neq(strstr(err, "enroll needs a gateway"), NULL, "%s", err);
	cr_expect_eq(PARSE("enroll", "--server-key", "short"), -EINVAL);
	cr_expect(!strncmp(err, "--server-key: ", 14), "%s", err);
	cr_expect_eq(PARSE("enroll", "--name", "Bad_Name"), -EINVAL);
	cr_expect(!strncmp(err, "--name: ", 8), "%s", err);
	cr_expect_neq(strstr(err, "Bad_Name"), NULL, "the message quotes the value: %s", err);
	expect_usage(PARSE("enroll", "--token", "short"),
		     "--token: a token has 16 to 64 characters, this one 5");
	expect_usage(PARSE("enroll", "--token", "0123456789abcdef\x01"),
		     "--token: character 17 is not printable ASCII");
	/* a token is a secret: never quoted */
	cr_expect_eq(PARSE("enroll", "--token", "secret-secret-secret\x7f"), -EINVAL);
	cr_expect_null(strstr(err, "secret"), "%s", err);
}

Test(agent_cli, token_wiped)
{
	cr_assert_eq(PARSE("enroll", "--server", "gw:1", "--server-key", KEY, "--name", "a",
			   "--token", TOKEN),
		     0, "%s", err);
	cli_clear(&c);
	cr_expect(sodium_is_zero((const unsigned char *)c.token, sizeof(c.token)));
	cr_expect_eq(c.token_len, 0);
}
