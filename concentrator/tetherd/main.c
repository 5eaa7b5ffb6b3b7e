/* tetherd: the Tether concentrator. Flags as relayd's: -f config, -d
 * foreground with logs on stderr, -v debug, -n check the configuration and
 * exit. Exit status 0 on a clean stop, 1 on a runtime error, 2 on a usage
 * error (INTERFACE.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "concentrator/control/control.h"
#include "common/log.h"
#include "common/tetherd_config.h"
#include "concentrator/tetherd/daemon.h"

static const char usage[] =
	"usage: tetherd [-f CONFIG] [-d] [-v] [-n]\n"
	"The Tether concentrator: ends each device's encrypted tunnel on its own\n"
	"interface tt-<name>.\n"
	"  -f CONFIG  configuration file (default " TETHERD_CONFIG_PATH ")\n"
	"  -d         stay in the foreground and log to stderr (else: background, syslog)\n"
	"  -v         log debug lines too\n"
	"  -n         check the configuration, key file and policy file, then exit\n"
	"  -h, --help this text\n"
	"SIGHUP reloads the configuration and policy, SIGTERM stops.\n";

/* Without -d: into the background once started, so start-up errors still
 * reach the caller's terminal and exit status. */
static int background(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -errno;
	}
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_options opt = {.config_path = TETHERD_CONFIG_PATH};
	struct daemon *d = NULL;
	bool check = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "f:dvnh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			opt.config_path = optarg;
			break;
		case 'd':
			opt.foreground = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'n':
			check = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tetherd: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "tetherd: libsodium failed to initialise\n");
		return 1;
	}
	control_json_wipe_on_free();
	/* stderr until started, so start-up errors reach whoever started it */
	log_init("tetherd", LOG_TARGET_STDERR, opt.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (check)
		return daemon_check(&opt) ? 1 : 0;

	d = sodium_malloc(sizeof(*d));
	if (!d) {
		log_err("out of memory");
		return 1;
	}
	ret = daemon_start(d, &opt);
	if (!ret && !opt.foreground) {
		ret = background();
		if (ret)
			log_err("going to the background: %s", strerror(-ret));
		else
			log_init("tetherd", LOG_TARGET_SYSLOG,
				 opt.verbose ? LOG_LEVEL_DEBUG : d->cfg.log_level);
	}
	if (!ret)
		ret = daemon_run(d);
	daemon_stop(d);
	log_notice("tetherd stopped%s", ret ? " after an error" : "");
	sodium_free(d);
	log_close();
	return ret ? 1 : 0;
}
