/* tether-agent: the device side of Tether. A table of commands, as
 * tetherctl has: the daemon (no command word), genkey, pubkey, enroll,
 * status. libsodium is initialised before anything else runs. */
#include <stdio.h>

#include <sodium.h>

#include "agent/cli.h"
#include "agent/cmd_enroll.h"
#include "agent/cmd_key.h"
#include "agent/cmd_status.h"
#include "agent/daemon.h"

typedef enum cli_exit (*command_fn)(const struct cli *cli);

static const command_fn commands[] = {
	[CLI_DAEMON] = daemon_main, [CLI_GENKEY] = cmd_key_genkey, [CLI_PUBKEY] = cmd_key_pubkey,
	[CLI_ENROLL] = cmd_enroll,  [CLI_STATUS] = cmd_status,
};

int main(int argc, char **argv)
{
	static struct cli cli; /* holds the token: static, wiped below */
	char err[256];
	enum cli_exit ex;

	if (sodium_init() < 0) {
		fputs("tether-agent: libsodium failed to initialise\n", stderr);
		return CLI_EXIT_FAIL;
	}
	if (cli_parse(&cli, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "tether-agent: %s\nTry 'tether-agent%s --help'.\n", err,
			cli.command == CLI_ENROLL   ? " enroll"
			: cli.command == CLI_STATUS ? " status"
						    : "");
		return CLI_EXIT_USAGE;
	}
	if (cli.help) {
		fputs(cli_usage(cli.command), stdout);
		return fflush(stdout) == EOF ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	if (cli.version) {
		printf("tether-agent %s\n", TETHER_VERSION);
		return fflush(stdout) == EOF ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	ex = commands[cli.command](&cli);
	cli_clear(&cli);
	return ex;
}
