/* Reads the status file of the state_dir that CONFIG names and prints it;
 * a status whose daemon is gone (pid not alive) is shown as not running. */
#include "agent/cmd_status.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/status.h"
#include "common/agent_config.h"

enum { ERR_MAX = 512 };

/* Is pid alive? EPERM means it is, under another user. */
static bool alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

enum cli_exit cmd_status(const struct cli *cli)
{
	char err[ERR_MAX], path[STATUS_PATH_MAX + 1];
	struct agent_config cfg;
	struct agent_status st;
	bool running;
	int ret;

	ret = agent_config_load(cli->config, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "tether-agent: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s", cfg.state_dir, STATUS_FILE);
	ret = status_read(path, &st, err, sizeof(err));
	if (ret == -ENOENT) {
		fprintf(stderr, "tether-agent: no status in %s: the agent has not run with %s\n",
			cfg.state_dir, cli->config);
		return CLI_EXIT_FAIL;
	}
	if (ret) {
		fprintf(stderr, "tether-agent: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	running = st.state != STATUS_STOPPED && alive(st.pid);
	if (cli->json)
		ret = status_print_json(stdout, &st, running);
	else
		ret = status_print(stdout, &st, running, (uint64_t)time(NULL));
	if (ret || fflush(stdout) == EOF) {
		fprintf(stderr, "tether-agent: cannot write to stdout\n");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
