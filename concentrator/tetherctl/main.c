/* tetherctl: the admin CLI for tetherd. A table of subcommands, each group
 * in its own file, as wg(8) does; every listing has a human form and a
 * --json form for scripts. */
#include <stdio.h>
#include <string.h>

#include "concentrator/control/control.h"
#include "concentrator/tetherctl/cmd_device.h"
#include "concentrator/tetherctl/cmd_key.h"
#include "concentrator/tetherctl/cmd_status.h"
#include "concentrator/tetherctl/cmd_watch.h"
#include "concentrator/tetherctl/ctl.h"

enum {
	TIMEOUT_MS = 10000,
};

static const char usage[] =
	"usage: tetherctl [-s SOCKET] COMMAND ...\n"
	"  genkey                                      print a new private key\n"
	"  pubkey < private.key                        print its public key\n"
	"  device add NAME --key PUBKEY                register a device by its key\n"
	"  device add NAME --token [--ttl 24h]         print a one-time enrollment token\n"
	"  device list [--json]                        all devices\n"
	"  device show NAME [--json]                   one device in detail\n"
	"  device disable|enable|remove NAME           change a device\n"
	"  status [--json]                             the gateway at a glance\n"
	"  watch [--json]                              follow device events\n"
	"Options:\n"
	"  -s, --socket SOCKET   tetherd's control socket (default " CTL_SOCKET_DEFAULT ")\n"
	"  -h, --help            this text; COMMAND --help for a command's\n"
	"  --version             tetherctl's version\n"
	"Exit status: 0 success, 1 runtime error, 2 usage error.\n";

static const struct ctl_command commands[] = {
	{"genkey", cmd_key_genkey, "print a new private key"},
	{"pubkey", cmd_key_pubkey, "print the public key of the private key on stdin"},
	{"device", cmd_device, "add, list, show, disable, enable or remove devices"},
	{"status", cmd_status, "the gateway at a glance"},
	{"watch", cmd_watch, "follow device events"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	struct ctl ctl = {.socket = CTL_SOCKET_DEFAULT, .timeout_ms = TIMEOUT_MS};
	enum ctl_exit ex;
	int i;

	control_json_wipe_on_free();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			return CTL_EXIT_OK;
		}
		if (!strcmp(arg, "--version")) {
			printf("tetherctl %s\n", TETHER_VERSION);
			return CTL_EXIT_OK;
		}
		if (!strcmp(arg, "-s") || !strcmp(arg, "--socket")) {
			if (++i == argc)
				return ctl_usage_error(usage, "%s needs a socket path", arg);
			ctl.socket = argv[i];
		} else if (!strncmp(arg, "--socket=", 9)) {
			ctl.socket = arg + 9;
		} else if (!strncmp(arg, "-s", 2)) {
			ctl.socket = arg + 2;
		} else {
			return ctl_usage_error(usage, "unknown option \"%s\"", arg);
		}
		if (!ctl.socket[0])
			return ctl_usage_error(usage, "empty socket path");
	}
	ex = ctl_dispatch(&ctl, commands, "tetherctl", usage, argc - i, argv + i);
	if (fflush(stdout) == EOF && ex == CTL_EXIT_OK) {
		ctl_err("cannot write to stdout");
		ex = CTL_EXIT_FAIL;
	}
	return ex;
}
