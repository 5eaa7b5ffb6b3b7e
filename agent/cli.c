/* Argument parsing for every tether-agent command: a table of commands,
 * each with the options it takes; values are checked with the same
 * parsers agent.conf uses, so the messages read the same. */
#include "agent/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/agent_config.h"

static const char daemon_usage[] =
	"usage: tether-agent [-f CONFIG] [-d] [-v] [-n]\n"
	"       tether-agent genkey | pubkey\n"
	"       tether-agent enroll --server HOST:PORT --server-key PUBKEY --name NAME --token "
	"TOKEN "
	"[-f CONFIG]\n"
	"       tether-agent status [-f CONFIG] [--json]\n"
	"Runs the remote access tunnel of this device to its Tether gateway.\n"
	"  -f CONFIG   the configuration (default " AGENT_CONFIG_PATH ")\n"
	"  -d          stay in the foreground and log to stderr\n"
	"  -v          log more (debug)\n"
	"  -n          check the configuration and the key, then exit 0 or 1\n"
	"  -h, --help  this text; COMMAND --help for a command's\n"
	"  --version   the agent's version\n"
	"Exit status: 0 success, 1 runtime error, 2 usage error.\n";

static const char genkey_usage[] = "usage: tether-agent genkey > private.key\n"
				   "Print a new private key (base64) on stdout.\n";

static const char pubkey_usage[] = "usage: tether-agent pubkey < private.key\n"
				   "Print the public key of the private key read from stdin.\n";

static const char enroll_usage[] =
	"usage: tether-agent enroll --server HOST:PORT --server-key PUBKEY --name NAME "
	"--token TOKEN [-f CONFIG]\n"
	"Enroll this device with a gateway by a one-time token: create the device key\n"
	"(private_key of the configuration, mode 0600) if there is none, make a handshake\n"
	"carrying the token, and on success write the configuration and print the\n"
	"device's URL. Settings already in CONFIG other than server, server_key and name\n"
	"are kept.\n"
	"  --server HOST:PORT    the gateway (a name or an address; [v6]:port)\n"
	"  --server-key PUBKEY   the gateway's public key (tetherctl status shows it)\n"
	"  --name NAME           this device's name, e.g. an12345678\n"
	"  --token TOKEN         the token from `tetherctl device add NAME --token`\n"
	"  -f CONFIG             the configuration to write (default " AGENT_CONFIG_PATH ")\n"
	"  -v                    show each attempt\n"
	"Exit status: 0 enrolled, 1 refused or no answer, 2 usage error.\n";

static const char status_usage[] =
	"usage: tether-agent status [-f CONFIG] [--json]\n"
	"Show the tunnel's state as the running agent last wrote it in its state_dir.\n"
	"  -f CONFIG   the configuration naming state_dir (default " AGENT_CONFIG_PATH ")\n"
	"  --json      one JSON object, for scripts\n"
	"Exit status: 0 shown, 1 no status to show, 2 usage error.\n";

/* What an option of a command is. */
enum opt_id {
	OPT_HELP,
	OPT_VERSION,
	OPT_CONFIG,
	OPT_FOREGROUND,
	OPT_VERBOSE,
	OPT_CHECK,
	OPT_JSON,
	OPT_SERVER,
	OPT_SERVER_KEY,
	OPT_NAME,
	OPT_TOKEN,
};

struct opt {
	const char *name; /* "-f" or "--server" */
	enum opt_id id;
	bool value;
};

static const struct opt daemon_opts[] = {
	{"-h", OPT_HELP, false},	   {"--help", OPT_HELP, false},
	{"--version", OPT_VERSION, false}, {"-f", OPT_CONFIG, true},
	{"--config", OPT_CONFIG, true},	   {"-d", OPT_FOREGROUND, false},
	{"-v", OPT_VERBOSE, false},	   {"-n", OPT_CHECK, false},
	{NULL, OPT_HELP, false},
};

static const struct opt key_opts[] = {
	{"-h", OPT_HELP, false},
	{"--help", OPT_HELP, false},
	{NULL, OPT_HELP, false},
};

static const struct opt enroll_opts[] = {
	{"-h", OPT_HELP, false},
	{"--help", OPT_HELP, false},
	{"-f", OPT_CONFIG, true},
	{"--config", OPT_CONFIG, true},
	{"-v", OPT_VERBOSE, false},
	{"--server", OPT_SERVER, true},
	{"--server-key", OPT_SERVER_KEY, true},
	{"--name", OPT_NAME, true},
	{"--token", OPT_TOKEN, true},
	{NULL, OPT_HELP, false},
};

static const struct opt status_opts[] = {
	{"-h", OPT_HELP, false},	{"--help", OPT_HELP, false}, {"-f", OPT_CONFIG, true},
	{"--config", OPT_CONFIG, true}, {"--json", OPT_JSON, false}, {NULL, OPT_HELP, false},
};

struct command {
	const char *word; /* NULL: the daemon, which has no command word */
	enum cli_command command;
	const struct opt *opts;
	const char *usage;
};

static const struct command commands[] = {
	{NULL, CLI_DAEMON, daemon_opts, daemon_usage},
	{"genkey", CLI_GENKEY, key_opts, genkey_usage},
	{"pubkey", CLI_PUBKEY, key_opts, pubkey_usage},
	{"enroll", CLI_ENROLL, enroll_opts, enroll_usage},
	{"status", CLI_STATUS, status_opts, status_usage},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *cli_usage(enum cli_command command)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].command == command)
			return commands[i].usage;
	return daemon_usage;
}

/* 16..64 bytes of 0x20..0x7e, as the TLV encoder wants (PROTOCOL.md 3.5) */
static int set_token(struct cli *c, const char *v, char *err, size_t errlen)
{
	size_t len = strlen(v);

	if (len < WIRE_TOKEN_MIN || len > WIRE_TOKEN_MAX) {
		snprintf(err, errlen, "--token: a token has %d to %d characters, this one %zu",
			 WIRE_TOKEN_MIN, WIRE_TOKEN_MAX, len);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (v[i] < 0x20 || v[i] > 0x7e) {
			/* never quote a secret, not even a wrong one */
			snprintf(err, errlen, "--token: character %zu is not printable ASCII",
				 i + 1);
			return -EINVAL;
		}
	}
	memcpy(c->token, v, len + 1);
	c->token_len = len;
	return 0;
}

/* Store one option's value, checked. */
static int set_value(struct cli *c, const struct opt *o, const char *v, char *err, size_t errlen)
{
	char why[CONF_ERR_MAX];
	int ret = 0;

	why[0] = '\0';
	switch (o->id) {
	case OPT_CONFIG:
		if (!v[0]) {
			snprintf(err, errlen, "%s: empty path", o->name);
			return -EINVAL;
		}
		c->config = v;
		c->config_given = true;
		return 0;
	case OPT_SERVER:
		ret = conf_parse_server(v, &c->server, why, sizeof(why));
		if (!ret && c->server.none) {
			snprintf(why, sizeof(why), "enroll needs a gateway, not 'none'");
			ret = -EINVAL;
		}
		break;
	case OPT_SERVER_KEY:
		ret = conf_parse_pubkey(v, c->server_key, why, sizeof(why));
		break;
	case OPT_NAME:
		ret = conf_parse_name(v, c->name, why, sizeof(why));
		break;
	case OPT_TOKEN:
		return set_token(c, v, err, errlen);
	default:
		break;
	}
	if (ret)
		snprintf(err, errlen, "%s: %s", o->name, why);
	return ret;
}

static void set_flag(struct cli *c, enum opt_id id)
{
	switch (id) {
	case OPT_HELP:
		c->help = true;
		break;
	case OPT_VERSION:
		c->version = true;
		break;
	case OPT_FOREGROUND:
		c->foreground = true;
		break;
	case OPT_VERBOSE:
		c->verbose = true;
		break;
	case OPT_CHECK:
		c->check = true;
		break;
	case OPT_JSON:
		c->json = true;
		break;
	default:
		break;
	}
}

static const struct opt *find_opt(const struct opt *opts, const char *name, size_t len)
{
	for (const struct opt *o = opts; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

/* A cluster of short flags such as "-dv", or "-fPATH". */
static int short_cluster(struct cli *c, const struct opt *opts, const char *arg, int *i, int argc,
			 char *const argv[], char *err, size_t errlen)
{
	for (const char *p = arg + 1; *p; p++) {
		char name[3] = {'-', *p, '\0'};
		const struct opt *o = find_opt(opts, name, 2);

		if (!o) {
			snprintf(err, errlen, "unknown option \"%s\"", name);
			return -EINVAL;
		}
		if (!o->value) {
			set_flag(c, o->id);
			continue;
		}
		if (p[1])
			return set_value(c, o, p + 1, err, errlen);
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "%s needs a value", name);
			return -EINVAL;
		}
		return set_value(c, o, argv[++*i], err, errlen);
	}
	return 0;
}

static int parse_opts(struct cli *c, const struct command *cmd, int first, int argc,
		      char *const argv[], char *err, size_t errlen)
{
	int ret = 0;

	for (int i = first; i < argc && !ret && !c->help; i++) {
		const char *arg = argv[i];
		const struct opt *o;
		const char *eq;

		if (arg[0] != '-' || !arg[1]) {
			snprintf(err, errlen, "unexpected argument \"%s\"", arg);
			return -EINVAL;
		}
		if (arg[1] != '-') {
			ret = short_cluster(c, cmd->opts, arg, &i, argc, argv, err, errlen);
			continue;
		}
		eq = strchr(arg, '=');
		o = find_opt(cmd->opts, arg, eq ? (size_t)(eq - arg) : strlen(arg));
		if (!o) {
			snprintf(err, errlen, "unknown option \"%.*s\"",
				 eq ? (int)(eq - arg) : (int)strlen(arg), arg);
			return -EINVAL;
		}
		if (!o->value) {
			if (eq) {
				snprintf(err, errlen, "%s takes no value", o->name);
				return -EINVAL;
			}
			set_flag(c, o->id);
		} else if (eq) {
			ret = set_value(c, o, eq + 1, err, errlen);
		} else if (i + 1 >= argc) {
			snprintf(err, errlen, "%s needs a value", o->name);
			return -EINVAL;
		} else {
			ret = set_value(c, o, argv[++i], err, errlen);
		}
	}
	return ret;
}

static int check_enroll(const struct cli *c, char *err, size_t errlen)
{
	const char *missing = NULL;

	if (!c->server.host[0])
		missing = "--server";
	else if (sodium_is_zero(c->server_key, sizeof(c->server_key)))
		missing = "--server-key";
	else if (!c->name[0])
		missing = "--name";
	else if (!c->token_len)
		missing = "--token";
	if (!missing)
		return 0;
	snprintf(err, errlen, "enroll needs %s", missing);
	return -EINVAL;
}

int cli_parse(struct cli *c, int argc, char *const argv[], char *err, size_t errlen)
{
	const struct command *cmd = &commands[0];
	int first = 1, ret;

	memset(c, 0, sizeof(*c));
	c->config = AGENT_CONFIG_PATH;
	err[0] = '\0';
	if (argc > 1 && argv[1][0] != '-') {
		cmd = NULL;
		for (size_t i = 1; i < N_COMMANDS; i++)
			if (!strcmp(argv[1], commands[i].word))
				cmd = &commands[i];
		if (!cmd) {
			snprintf(err, errlen, "unknown command \"%s\"", argv[1]);
			return -EINVAL;
		}
		first = 2;
	}
	c->command = cmd->command;
	ret = parse_opts(c, cmd, first, argc, argv, err, errlen);
	if (ret || c->help || c->version)
		goto out;
	if (c->command == CLI_ENROLL)
		ret = check_enroll(c, err, errlen);
out:
	if (ret)
		cli_clear(c);
	return ret;
}

void cli_clear(struct cli *c)
{
	sodium_memzero(c->token, sizeof(c->token));
	c->token_len = 0;
}
