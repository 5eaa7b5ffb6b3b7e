/* The command line of tether-agent (INTERFACE.md): which command, its
 * options and their values, checked as far as can be without touching a
 * file, so that every usage error exits 2 before anything happens. */
#ifndef TETHER_AGENT_CLI_H
#define TETHER_AGENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "proto/wire.h"

enum cli_command {
	CLI_DAEMON, /* tether-agent -f CONFIG [-d] [-v] [-n] */
	CLI_GENKEY,
	CLI_PUBKEY,
	CLI_ENROLL,
	CLI_STATUS,
};

/* INTERFACE.md: 0 success, 1 runtime error, 2 usage error */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,
	CLI_EXIT_USAGE = 2,
};

struct cli {
	enum cli_command command;
	bool help;	    /* -h, --help: print cli_usage(command), exit 0 */
	bool version;	    /* --version */
	const char *config; /* -f; AGENT_CONFIG_PATH when not given */
	bool config_given;
	bool foreground; /* -d */
	bool verbose;	 /* -v */
	bool check;	 /* -n */
	bool json;	 /* status --json */
	/* enroll: every value already checked */
	struct conf_server server;
	uint8_t server_key[WIRE_KEY_LEN];
	char name[WIRE_NAME_MAX + 1];
	char token[WIRE_TOKEN_MAX + 1]; /* a secret: cli_clear() wipes it */
	size_t token_len;
};

/* Parse argv (argv[0] is the program). 0, or -EINVAL with the reason in
 * err ("unknown option \"-x\"", "--name: 'A' is not ..."): a usage error.
 * With --help the rest of the line is not checked. */
int cli_parse(struct cli *c, int argc, char *const argv[], char *err, size_t errlen);

/* Wipe what the line held (the token). */
void cli_clear(struct cli *c);

/* The --help text of a command. */
const char *cli_usage(enum cli_command command);

#endif
