/* Enrollment by token. A one-shot command, so it may block: the name
 * lookup is a plain getaddrinfo() and the exchange a poll() loop. Each
 * attempt is a fresh message 1 (new ephemeral, index and stamped
 * TIMESTAMP), resent after REKEY_TIMEOUT of silence, at once after a
 * cookie reply; the configuration is written only after an OK. */
#include "agent/cmd_enroll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "agent/endpoint.h"
#include "agent/tunnel.h"
#include "common/agent_config.h"
#include "common/evloop.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "proto/keys.h"

enum {
	ENROLL_ATTEMPTS = 4, /* each waits REKEY_TIMEOUT: 20 s of silence in all */
	ENROLL_COOKIES = 2,  /* cookie replies answered per attempt */
	ERR_MAX = 1024,
};

/* mkdir -p with mode for the directories it makes. */
static int make_dirs(const char *path, mode_t mode, char *err, size_t errlen)
{
	char p[CONF_PATH_MAX + 1];
	size_t len = strlen(path);

	if (len >= sizeof(p)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(p, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) && errno != EEXIST) {
			int ret = -errno;

			snprintf(err, errlen, "cannot create %s: %s", p, strerror(-ret));
			return ret;
		}
		p[i] = path[i];
	}
	return 0;
}

/* The directory part of path ("/" for "/x"). */
static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* The directory of path exists (made 0755 if need be) and is writable. */
static int writable_dir(const char *path, char *err, size_t errlen)
{
	char dir[CONF_PATH_MAX + 1];
	int ret;

	dir_of(path, dir, sizeof(dir));
	ret = make_dirs(dir, 0755, err, errlen);
	if (ret)
		return ret;
	if (access(dir, W_OK | X_OK)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write the configuration in %s: %s", dir,
			 strerror(-ret));
	}
	return ret;
}

/* The device key: read it, or make it (0600) if there is none. */
static int device_key(const char *path, uint8_t priv[WIRE_KEY_LEN], char *err, size_t errlen)
{
	char dir[CONF_PATH_MAX + 1], why[CONF_ERR_MAX], fp[KEYS_FINGERPRINT_SIZE];
	uint8_t pub[WIRE_KEY_LEN];
	int ret;

	ret = keyfile_read(path, priv, why, sizeof(why));
	if (ret != -ENOENT) {
		if (ret)
			snprintf(err, errlen, "device key: %s", why);
		return ret;
	}
	dir_of(path, dir, sizeof(dir));
	ret = make_dirs(dir, 0755, err, errlen);
	if (ret)
		return ret;
	keys_generate(priv);
	ret = keyfile_create(path, priv, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "cannot create the device key: %s", why);
		sodium_memzero(priv, WIRE_KEY_LEN);
		return ret;
	}
	ret = keys_public(pub, priv);
	if (ret) {
		snprintf(err, errlen, "%s: not a usable X25519 key", path);
		return ret;
	}
	keys_fingerprint(fp, pub);
	fprintf(stderr, "created the device key %s (public key %s...)\n", path, fp);
	return 0;
}

/* The configuration to write: what CONFIG holds already, or the defaults,
 * with this enrollment's server, key and name. */
static int make_config(const struct cli *cli, struct agent_config *cfg, char *err, size_t errlen)
{
	char why[CONF_ERR_MAX];
	int ret = agent_config_load(cli->config, cfg, why, sizeof(why));

	if (ret == -ENOENT) {
		agent_config_defaults(cfg);
		ret = 0;
	} else if (ret) {
		snprintf(err, errlen, "%s; fix or remove it first", why);
		return ret;
	}
	cfg->server = cli->server;
	memcpy(cfg->server_key, cli->server_key, sizeof(cfg->server_key));
	memcpy(cfg->name, cli->name, sizeof(cfg->name));
	return 0;
}

/* What one exchange ended with. */
enum outcome {
	OUT_SILENCE,
	OUT_OK,
	OUT_REJECTED,
	OUT_RETRY_LATER,
	OUT_UNSENT, /* the send failed (no route for that address family...) */
	OUT_ERROR,
};

/* Send a fresh message 1 and wait REKEY_TIMEOUT for its answer; a cookie
 * reply makes the message go again at once, with mac2. */
static enum outcome attempt(struct tunnel *t, int fd, const struct sockaddr_storage *to,
			    socklen_t tolen, struct tlv_msg2 *m2, int *send_err, char *err,
			    size_t errlen)
{
	uint8_t buf[WIRE_RESP_MAX_LEN > WIRE_INIT_MAX_LEN ? WIRE_RESP_MAX_LEN : WIRE_INIT_MAX_LEN];
	int cookies = 0;
	uint64_t deadline = 0;
	bool send_now = true;

	for (;;) {
		uint64_t now = evloop_now();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		enum tunnel_answer ans;
		enum proto_reason why;
		size_t len;
		ssize_t n;
		int ret;

		if (send_now) {
			ret = tunnel_initiation(t, now, evloop_wall_ns(), buf, sizeof(buf), &len,
						err, errlen);
			if (ret)
				return OUT_ERROR;
			if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, tolen) < 0) {
				*send_err = errno;
				return OUT_UNSENT;
			}
			deadline = now + WIRE_REKEY_TIMEOUT;
			send_now = false;
		}
		if (now >= deadline)
			return OUT_SILENCE;
		ret = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (ret < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return OUT_ERROR;
		}
		if (ret <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		ans = tunnel_answer(t, buf, (size_t)n, evloop_now(), m2, &why);
		switch (ans) {
		case TUNNEL_OK:
			return OUT_OK;
		case TUNNEL_REJECTED:
			return OUT_REJECTED;
		case TUNNEL_RETRY_LATER:
			return OUT_RETRY_LATER;
		case TUNNEL_COOKIE:
			log_info("the gateway is under load: sending again with its cookie");
			send_now = ++cookies <= ENROLL_COOKIES;
			break;
		case TUNNEL_DROPPED:
		default:
			log_debug("ignored a datagram: %s", proto_reason_str(why));
			break;
		}
	}
}

/* The socket for family (fds[0] IPv4, fds[1] IPv6), made once: its fd,
 * or -errno. */
static int open_socket(int fds[2], int family)
{
	int i = family == AF_INET6;

	if (fds[i] < 0)
		fds[i] = endpoint_socket(family);
	return fds[i];
}

/* Print the URL: display text from the gateway, so only printable ASCII. */
static void print_url(const struct tlv_msg2 *m2)
{
	for (size_t i = 0; i < m2->url_len; i++) {
		char ch = m2->url[i];

		putchar(ch >= 0x21 && ch < 0x7f ? ch : '?');
	}
	putchar('\n');
}

/* A daemon holding the state_dir's lock learns of the new configuration. */
static void tell_daemon(const char *state_dir, const char *config)
{
	char path[CONF_PATH_MAX + 8], text[24];
	ssize_t n;
	long pid;
	int fd;

	snprintf(path, sizeof(path), "%s/pid", state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		goto none;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		close(fd);
		goto none; /* nobody holds it: no agent runs */
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		goto none;
	text[n] = '\0';
	pid = strtol(text, NULL, 10);
	if (pid > 1 && kill((pid_t)pid, SIGHUP) == 0) {
		fprintf(stderr, "the running tether-agent (pid %ld) reloads %s\n", pid, config);
		return;
	}
none:
	fprintf(stderr, "start the agent: tether-agent -f %s (or systemctl restart tether-agent)\n",
		config);
}

enum cli_exit cmd_enroll(const struct cli *cli)
{
	char err[ERR_MAX], where[ENDPOINT_STR_MAX], server[ENDPOINT_STR_MAX + CONF_HOST_MAX];
	char addr[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN], why[CONF_ERR_MAX];
	const struct sockaddr_storage *to;
	uint8_t priv[WIRE_KEY_LEN];
	struct agent_config cfg;
	struct tlv_msg2 m2;
	struct tunnel t;
	struct endpoint ep;
	enum outcome out = OUT_SILENCE;
	enum cli_exit ex = CLI_EXIT_FAIL;
	bool tunnel_made = false, ep_made = false;
	socklen_t tolen;
	int unsent = 0; /* errno of the last failed send */
	int fds[2] = {-1, -1}, ret;

	sodium_memzero(priv, sizeof(priv));
	log_init("tether-agent", LOG_TARGET_STDERR,
		 cli->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_NOTICE);
	ret = make_config(cli, &cfg, err, sizeof(err));
	if (ret)
		goto fail;
	ret = device_key(cfg.private_key, priv, err, sizeof(err));
	if (ret)
		goto fail;
	/* the stamps of enroll and the daemon are one sequence */
	ret = make_dirs(cfg.state_dir, 0700, err, sizeof(err));
	if (ret)
		goto fail;
	/* an OK uses the token up: be sure the configuration can be written */
	ret = writable_dir(cli->config, err, sizeof(err));
	if (ret)
		goto fail;
	ret = tunnel_init(&t, priv, cfg.server_key, cfg.name, cli->token, cfg.state_dir, err,
			  sizeof(err));
	if (ret)
		goto fail;
	tunnel_made = true;
	ret = endpoint_init(&ep, &cfg.server);
	if (ret) {
		snprintf(err, sizeof(err), "cannot make an eventfd: %s", strerror(-ret));
		goto fail;
	}
	ep_made = true;
	endpoint_server_str(&ep, server, sizeof(server));
	ret = endpoint_resolve(&ep, err, sizeof(err));
	if (ret)
		goto fail;
	/* each attempt to the next address the name has, IPv4 or IPv6 */
	for (int i = 1; i <= ENROLL_ATTEMPTS; i++) {
		if (ep.addrs.count)
			ep.cur = (size_t)(i - 1) % ep.addrs.count;
		to = endpoint_addr(&ep, &tolen);
		if (!to) {
			snprintf(err, sizeof(err), "no address for %s", server);
			goto fail;
		}
		endpoint_format(to, where, sizeof(where));
		ret = open_socket(fds, to->ss_family);
		if (ret < 0) {
			snprintf(err, sizeof(err), "cannot open a UDP socket: %s", strerror(-ret));
			goto fail;
		}
		log_info("enrolling %s with %s (%s), attempt %d of %d", cfg.name, server, where, i,
			 ENROLL_ATTEMPTS);
		out = attempt(&t, ret, to, tolen, &m2, &unsent, err, sizeof(err));
		if (out == OUT_OK || out == OUT_REJECTED || out == OUT_ERROR)
			break;
		if (out == OUT_UNSENT)
			log_info("cannot send to %s: %s", where, strerror(unsent));
		if (out == OUT_RETRY_LATER && i < ENROLL_ATTEMPTS) {
			/* the gateway is busy: give it the backoff's first step */
			log_info("the gateway is busy (RETRY_LATER), waiting %llu s",
				 (unsigned long long)(WIRE_BACKOFF_MIN / WIRE_NSEC_PER_SEC));
			sleep((unsigned)(WIRE_BACKOFF_MIN / WIRE_NSEC_PER_SEC));
		}
	}
	switch (out) {
	case OUT_OK:
		break;
	case OUT_REJECTED:
		snprintf(err, sizeof(err),
			 "the gateway %s refused to enroll %s: the token is wrong, expired, "
			 "already used or issued for another name, or the name belongs to another "
			 "device; %s is unchanged",
			 server, cfg.name, cli->config);
		goto fail;
	case OUT_RETRY_LATER:
		snprintf(err, sizeof(err),
			 "the gateway %s cannot serve now (RETRY_LATER); try again later", server);
		goto fail;
	case OUT_SILENCE:
	case OUT_UNSENT:
		snprintf(err, sizeof(err),
			 "no answer from %s (%s) after %d attempts%s%s: check --server and "
			 "--server-key, and that UDP to port %u is allowed; %s is unchanged",
			 server, where, ENROLL_ATTEMPTS, unsent ? "; the last send failed: " : "",
			 unsent ? strerror(unsent) : "", cfg.server.port, cli->config);
		goto fail;
	case OUT_ERROR:
	default:
		goto fail;
	}
	ret = agent_config_write(cli->config, &cfg, why, sizeof(why));
	if (ret) {
		snprintf(err, sizeof(err),
			 "%s enrolled %s, but %s; once that is fixed, enroll again (the key is "
			 "enrolled now, so the used token is accepted and ignored)",
			 server, cfg.name, why);
		goto fail;
	}
	inet_ntop(AF_INET, m2.addr4, addr, sizeof(addr));
	inet_ntop(AF_INET, m2.peer4, peer, sizeof(peer));
	fprintf(stderr, "enrolled %s with %s: tunnel address %s (gateway %s)\n", cfg.name, server,
		addr, peer);
	fprintf(stderr, "configuration written to %s\n", cli->config);
	if (m2.url_len) {
		fprintf(stderr, "the device's URL:\n");
		print_url(&m2);
		fflush(stdout); /* the URL before the next line, also into a pipe */
	} else {
		fprintf(stderr, "the gateway gave no URL for the device\n");
	}
	tell_daemon(cfg.state_dir, cli->config);
	ex = CLI_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "tether-agent: %s\n", err);
out:
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (ep_made)
		endpoint_free(&ep);
	if (tunnel_made)
		tunnel_clear(&t);
	sodium_memzero(priv, sizeof(priv));
	if (fflush(stdout) == EOF && ex == CLI_EXIT_OK)
		ex = CLI_EXIT_FAIL;
	return ex;
}
