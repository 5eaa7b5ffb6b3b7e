/* tether-proxy: maps http(s)://<name>.<domain> to each device's web
 * interface through its tunnel. Binds its listeners and reads the TLS key
 * while it may, then runs as proxy_user with no capability (relayd's
 * shape: the process that faces the internet holds no privilege). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/notify.h"
#include "common/tetherd_config.h"
#include "concentrator/proxy/privdrop.h"
#include "concentrator/proxy/proxy.h"
#include "concentrator/proxy/tls.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

static const char usage[] =
	"usage: tether-proxy [-f CONFIG] [-d] [-v] [-n]\n"
	"Reverse proxy from http(s)://<name>.<domain> to each device's web interface.\n"
	"  -f CONFIG   tetherd's configuration ([proxy], domain, control_ro, proxy_user;\n"
	"              default " TETHERD_CONFIG_PATH ")\n"
	"  -d          stay in the foreground and log to stderr\n"
	"  -v          log more (debug)\n"
	"  -n          check the configuration, TLS files and proxy_user, then exit 0 or 1\n"
	"  -h, --help  this text\n"
	"Signals: SIGTERM stops, SIGHUP re-reads the device table, SIGUSR1 logs counters.\n"
	"Exit status: 0 success, 1 runtime error, 2 usage error.\n";

struct options {
	const char *config;
	bool foreground;
	bool verbose;
	bool check;
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	o->config = TETHERD_CONFIG_PATH;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "f:dvnh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o->config = optarg;
			break;
		case 'd':
			o->foreground = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'n':
			o->check = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			if (optopt == 'f')
				fprintf(stderr, "tether-proxy: -f needs a file\n%s", usage);
			else
				fprintf(stderr, "tether-proxy: unknown option \"%s\"\n%s",
					argv[optind - 1], usage);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tether-proxy: unexpected argument \"%s\"\n%s", argv[optind],
			usage);
		return -EINVAL;
	}
	if (!o->config[0]) {
		fprintf(stderr, "tether-proxy: empty configuration path\n%s", usage);
		return -EINVAL;
	}
	return 0;
}

/* -n: everything a start would read, without binding or dropping. */
static int check(const struct options *o, const struct tetherd_config *cfg)
{
	struct tls_server tls;
	char err[CONF_ERR_MAX];
	uid_t uid;
	gid_t gid;
	int ret;

	if (cfg->proxy.tls_cert[0]) {
		ret = tls_server_init(&tls, cfg->proxy.tls_cert, cfg->proxy.tls_key, cfg->domain,
				      err, sizeof(err));
		if (ret) {
			log_err("%s", err);
			return ret;
		}
		tls_server_free(&tls);
	}
	if (getuid() == 0 || geteuid() == 0) {
		ret = privdrop_lookup(cfg->proxy_user, &uid, &gid, err, sizeof(err));
		if (ret) {
			log_err("%s: %s", o->config, err);
			return ret;
		}
	}
	printf("%s: configuration OK (%s, TLS %s)\n", o->config, cfg->domain,
	       cfg->proxy.tls_cert[0] ? "terminated with the wildcard certificate"
				      : "passed through by SNI");
	return 0;
}

int main(int argc, char **argv)
{
	static struct tetherd_config cfg;
	static struct proxy px;
	struct proxy_params params;
	struct options o = {0};
	char err[CONF_ERR_MAX];
	enum log_level level;
	bool opened = false;
	int ret, ex = EXIT_FAIL;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	log_init("tether-proxy", LOG_TARGET_STDERR, o.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	tetherd_config_defaults(&cfg);
	ret = tetherd_config_load(o.config, &cfg, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	level = o.verbose ? LOG_LEVEL_DEBUG : cfg.proxy.log_level;
	log_set_level(level);
	if (o.check) {
		ex = check(&o, &cfg) ? EXIT_FAIL : EXIT_OK;
		goto out;
	}

	proxy_params_defaults(&params);
	ret = proxy_open(&px, &cfg, &params, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	opened = true;
	ret = privdrop(cfg.proxy_user, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	log_notice("running as uid %u gid %u without capabilities", (unsigned)getuid(),
		   (unsigned)getgid());
	/* everything that can fail at start has: now leave the terminal */
	if (!o.foreground) {
		if (daemon(0, 0)) {
			log_err("cannot become a daemon: %s", strerror(errno));
			goto out;
		}
		log_init("tether-proxy", LOG_TARGET_SYSLOG, level);
	}
	ret = notify_send("READY=1");
	if (ret)
		log_warn("cannot notify systemd: %s", strerror(-ret));
	ret = proxy_run(&px);
	proxy_log_counters(&px);
	ex = ret ? EXIT_FAIL : EXIT_OK;
out:
	if (opened)
		proxy_close(&px);
	log_close();
	return ex;
}
