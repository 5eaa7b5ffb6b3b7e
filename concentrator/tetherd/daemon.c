/* tetherd's life: start-up in the order that keeps the gateway safe (the
 * ruleset in force before any tunnel carries a packet), the single-threaded
 * loop with a periodic sweep, reload on SIGHUP inside the loop (relayd's
 * way: the new configuration replaces the old only once all of it is
 * good), and a clean stop that leaves interfaces for the next start. */
#include "concentrator/tetherd/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <sodium.h>

#include "common/keyfile.h"
#include "common/notify.h"
#include "concentrator/tetherd/admin.h"
#include "concentrator/tetherd/datapath.h"
#include "concentrator/tetherd/lifecycle.h"
#include "netlink/link.h"
#include "policy/policy_file.h"
#include "proto/keys.h"

enum {
	ERR_SIZE = 1024,
	SWEEP_ACTIONS = 4, /* timer actions per device and sweep: bounds the loop */
};

int64_t daemon_wall(void)
{
	return (int64_t)(evloop_wall_ns() / WIRE_NSEC_PER_SEC);
}

void daemon_url(const struct daemon *d, const struct device *dev, char *out, size_t size)
{
	snprintf(out, size, "https://%s.%s/", dev->name, d->cfg.domain);
}

void daemon_event(struct daemon *d, const char *event, const struct device *dev)
{
	json_t *ev;

	if (!d->ctl || !control_server_watchers(d->ctl))
		return;
	ev = json_pack("{s:s, s:o}", "event", event, "device", admin_device_json(d, dev, false));
	if (!ev || control_server_broadcast(d->ctl, ev))
		log_warn("control: the %s event of device %s was not sent: out of memory", event,
			 dev->name);
	json_decref(ev);
}

void daemon_device_online(struct daemon *d, struct device *dev)
{
	char ep[DEVICE_ENDPOINT_STR];

	if (dev->online)
		return;
	dev->online = true;
	dev->since = daemon_wall();
	d->online++;
	(void)lifecycle_link(d, dev, true);
	device_endpoint_str(dev, ep);
	log_info("device %s online from %s", dev->name, ep);
	daemon_event(d, "online", dev);
}

void daemon_device_offline(struct daemon *d, struct device *dev, const char *why)
{
	if (!dev->online)
		return;
	dev->online = false;
	dev->since = daemon_wall();
	d->online--;
	timers_went_offline(&dev->timers);
	(void)lifecycle_link(d, dev, false);
	log_info("device %s offline (%s)", dev->name, why);
	daemon_event(d, "offline", dev);
}

void daemon_device_kick(struct daemon *d, struct device *dev)
{
	device_sessions_clear(&d->devs, dev);
	daemon_device_offline(d, dev, "disabled");
	timers_init(&dev->timers, TIMERS_CONCENTRATOR, d->cfg.keepalive * WIRE_NSEC_PER_SEC);
}

void daemon_device_forget(struct daemon *d, struct device *dev)
{
	daemon_event(d, "removed", dev);
	device_sessions_clear(&d->devs, dev);
	if (dev->online) {
		dev->online = false;
		d->online--;
	}
	(void)lifecycle_destroy(d, dev);
	device_table_remove(&d->devs, dev);
	/* an event for its TUN may still wait in this turn's batch */
	dev->removed = true;
	dev->next_dead = d->dead;
	d->dead = dev;
}

void daemon_device_timers(struct daemon *d, struct device *dev, uint64_t now)
{
	char why[64];

	for (int i = 0; i < SWEEP_ACTIONS; i++) {
		enum timers_action a = timers_next(&dev->timers, now);

		if (a == TIMERS_GO_OFFLINE) {
			if (now >= dev->timers.created + WIRE_REJECT_AFTER_TIME)
				snprintf(why, sizeof(why), "session expired");
			else
				snprintf(why, sizeof(why), "nothing heard for %llu s",
					 (unsigned long long)((now - dev->timers.last_received) /
							      WIRE_NSEC_PER_SEC));
			timers_went_offline(&dev->timers);
			daemon_device_offline(d, dev, why);
		} else if (a == TIMERS_SEND_KEEPALIVE) {
			datapath_keepalive(d, dev, now);
			timers_data_sent(&dev->timers, now);
		} else {
			break;
		}
	}
	if (dev->timers.online && !dev->online)
		daemon_device_online(d, dev);
}

/* Every DAEMON_SWEEP_INTERVAL: expired sessions and due timers. A sweep
 * rather than a deadline heap: every received packet moves a device's
 * deadline, which a heap pays for per packet; the sweep costs a few tens
 * of ns per device with a session, 4 times a second (about 1 ms a second
 * at 10,000 devices) and needs no state. */
static void sweep(struct daemon *d, uint64_t now)
{
	for (size_t i = 0; i < d->devs.count; i++) {
		struct device *dev = d->devs.all[i];
		struct session_drops drops = {.count = 0};

		if (!dev->sessions)
			continue;
		if (session_deadline(dev->sessions) <= now) {
			session_expire(dev->sessions, now, &drops);
			device_index_drops(&d->devs, dev, &drops);
		}
		daemon_device_timers(d, dev, now);
	}
}

/* Last handshakes and endpoints to the registry, in one transaction. */
static void flush_seen(struct daemon *d)
{
	struct registry_seen *seen = NULL;
	char(*eps)[DEVICE_ENDPOINT_STR] = NULL;
	char msg[REGISTRY_MSG_SIZE];
	size_t n = 0;
	int ret;

	for (size_t i = 0; i < d->devs.count; i++)
		n += d->devs.all[i]->seen_dirty;
	if (!n || !d->reg)
		return;
	seen = calloc(n, sizeof(*seen));
	eps = calloc(n, sizeof(*eps));
	if (!seen || !eps) {
		log_warn("registry: no memory to record %zu last handshakes; next time", n);
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < d->devs.count; i++) {
		struct device *dev = d->devs.all[i];

		if (!dev->seen_dirty)
			continue;
		device_endpoint_str(dev, eps[n]);
		seen[n] = (struct registry_seen){
			.name = dev->name,
			.last_handshake = dev->last_handshake,
			.endpoint = eps[n][0] ? eps[n] : NULL,
		};
		n++;
	}
	ret = registry_record_seen(d->reg, seen, n, msg, sizeof(msg));
	if (ret) {
		log_warn("registry: recording %zu last handshakes: %s", n, msg);
		goto out;
	}
	for (size_t i = 0; i < d->devs.count; i++)
		d->devs.all[i]->seen_dirty = false;
	log_debug("registry: recorded %zu last handshakes", n);
out:
	free(seen);
	free(eps);
}

static void notify_status(struct daemon *d)
{
	char s[128];

	snprintf(s, sizeof(s), "STATUS=%zu devices, %u online", d->devs.count, d->online);
	(void)notify_send(s);
}

static int resolve_user(const char *path, const char *user, uid_t *uid, gid_t *gid, char *err,
			size_t errlen)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int r = getpwnam_r(user, &pw, buf, sizeof(buf), &found);

	if (r) {
		snprintf(err, errlen, "%s: proxy_user '%s': %s", path, user, strerror(r));
		return -r;
	}
	if (!found) {
		snprintf(err, errlen, "%s: proxy_user '%s': no such user", path, user);
		return -ENOENT;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/* The ruleset's model from a configuration and its policy file, checked
 * by rendering it (nothing is applied). A missing policy file is no rules:
 * only the proxy user reaches devices. */
static int build_policy(const struct tetherd_config *cfg, uid_t proxy_uid, struct policy **out,
			char *err, size_t errlen)
{
	struct policy_error perr;
	struct policy *p;
	uint64_t pool_size = 1ULL << (32 - cfg->pool.prefix);
	char *text = NULL;
	int ret;

	*out = NULL;
	memset(&perr, 0, sizeof(perr));
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "policy: out of memory");
		return -ENOMEM;
	}
	policy_init(p);
	p->proxy_uid = proxy_uid;
	p->http_port = cfg->proxy.device_http_port;
	p->https_port = cfg->proxy.device_https_port;
	p->gateway4 = cfg->gateway;
	if (pool_size > p->max_devices)
		p->max_devices = pool_size > UINT32_MAX ? UINT32_MAX : (uint32_t)pool_size;
	if (access(cfg->policy, F_OK) && errno == ENOENT) {
		log_notice("policy file %s absent: no admin network reaches devices", cfg->policy);
	} else {
		ret = policy_file_load(p, cfg->policy, &perr);
		if (ret) {
			snprintf(err, errlen, "%s", perr.message);
			goto out;
		}
	}
	ret = policy_render(p, NULL, 0, &text, &perr);
	if (ret) {
		snprintf(err, errlen, "%.256s: %.700s", cfg->policy, perr.message);
		goto out;
	}
	*out = p;
	p = NULL;
out:
	free(text);
	free(p);
	return ret;
}

/* Everything a reload may change, loaded and checked, nothing applied. */
struct loaded {
	struct tetherd_config cfg;
	struct policy *policy;
	uid_t proxy_uid;
	gid_t proxy_gid;
};

static int load(const char *path, struct loaded *l, char *err, size_t errlen)
{
	int ret;

	memset(l, 0, sizeof(*l));
	tetherd_config_defaults(&l->cfg);
	ret = tetherd_config_load(path, &l->cfg, err, errlen);
	if (ret)
		return ret;
	ret = resolve_user(path, l->cfg.proxy_user, &l->proxy_uid, &l->proxy_gid, err, errlen);
	if (ret)
		return ret;
	return build_policy(&l->cfg, l->proxy_uid, &l->policy, err, errlen);
}

int daemon_check(const struct daemon_options *opt)
{
	struct loaded l;
	uint8_t priv[KEYFILE_KEY_LEN], pub[WIRE_KEY_LEN];
	char err[ERR_SIZE];
	int ret;

	ret = load(opt->config_path, &l, err, sizeof(err));
	if (ret)
		goto out;
	ret = keyfile_read(l.cfg.private_key, priv, err, sizeof(err));
	if (ret)
		goto out;
	ret = keys_public(pub, priv);
	if (ret)
		snprintf(err, sizeof(err), "%s: not a usable X25519 private key",
			 l.cfg.private_key);
out:
	sodium_memzero(priv, sizeof(priv));
	if (ret)
		fprintf(stderr, "tetherd: %s\n", err);
	else
		printf("tetherd: %s: configuration OK (policy %s: %u rules)\n", opt->config_path,
		       l.cfg.policy, l.policy->nrules);
	free(l.policy);
	return ret;
}

static void signal_event(struct evloop_handler *h, uint32_t events)
{
	struct daemon *d = container_of(h, struct daemon, signal_h);
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			d->reload = true;
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("%s received: stopping",
				   si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			d->stop = true;
			break;
		default:
			break;
		}
	}
}

static int signals(struct daemon *d)
{
	sigset_t set;
	int ret;

	/* a control client that hangs up must not kill the daemon */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signal_fd < 0)
		return -errno;
	ret = evloop_add(&d->loop, &d->signal_h, d->signal_fd, EPOLLIN, signal_event);
	return ret;
}

static int load_device(const struct registry_device *rd, void *arg)
{
	struct daemon *d = arg;
	struct device *dev = device_create(rd);
	int ret;

	if (!dev) {
		ret = -errno;
		log_err("device %s: %s", rd->name, strerror(-ret));
		return ret;
	}
	dev->since = d->started_wall;
	timers_set_keepalive(&dev->timers, d->cfg.keepalive * WIRE_NSEC_PER_SEC);
	ret = device_table_add(&d->devs, dev);
	if (ret) {
		log_err("device %s: into the device table: %s", rd->name, strerror(-ret));
		device_free(dev);
	}
	return ret;
}

static int apply_policy(struct daemon *d, const struct policy *p)
{
	struct policy_device *devs = NULL;
	struct policy_error perr;
	size_t n = 0;
	int ret;

	memset(&perr, 0, sizeof(perr));
	ret = lifecycle_policy_devices(d, &devs, &n);
	if (ret) {
		log_err("nftables: out of memory");
		return ret;
	}
	ret = policy_apply(d->nft, p, devs, n, &perr);
	if (ret)
		log_err("nftables: %s", perr.message);
	else
		log_info("nftables: table inet tether applied: %u policy rules, %zu devices",
			 p->nrules, n);
	free(devs);
	return ret;
}

/* Every device holds its TUN's descriptor: the soft limit of 1024 would
 * stop tetherd near a thousand devices, so take the hard limit (systemd's
 * LimitNOFILE) and say what it allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("file descriptor limit: %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("raising the file descriptor limit to %llu: %s",
				 (unsigned long long)rl.rlim_max, strerror(errno));
			return;
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 4096)
		log_warn("at most about %llu devices can be online: the file descriptor limit "
			 "is %llu (raise LimitNOFILE)",
			 (unsigned long long)rl.rlim_cur - 64, (unsigned long long)rl.rlim_cur);
}

int daemon_start(struct daemon *d, const struct daemon_options *opt)
{
	struct registry_config rcfg;
	struct loaded l;
	uint8_t priv[KEYFILE_KEY_LEN];
	char err[ERR_SIZE], fp[KEYS_FINGERPRINT_SIZE], listen[DEVICE_ENDPOINT_STR];
	char msg[REGISTRY_MSG_SIZE];
	int ret;

	memset(d, 0, sizeof(*d));
	d->opt = *opt;
	d->signal_fd = -1;
	d->loop.epfd = -1;
	d->refusal_rl = (struct log_ratelimit){.burst = 20, .per_sec = 2, .tokens = 20};
	d->error_rl = (struct log_ratelimit){.burst = 10, .per_sec = 1, .tokens = 10};
	d->started = evloop_now();
	d->started_wall = daemon_wall();
	hashtab_seed();
	raise_fd_limit();

	ret = load(opt->config_path, &l, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	d->cfg = l.cfg;
	d->policy = l.policy;
	d->proxy_uid = l.proxy_uid;
	d->proxy_gid = l.proxy_gid;
	if (!opt->verbose)
		log_set_level(d->cfg.log_level);

	ret = keyfile_read(d->cfg.private_key, priv, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	if (handshake_identity_init(&d->id, priv) != PROTO_OK) {
		ret = -EINVAL;
		log_err("%s: not a usable X25519 private key", d->cfg.private_key);
		goto out;
	}
	mac_checker_init(&d->checker, d->id.public_key);
	ret = ratelimit_init(&d->rl, RATELIMIT_ENTRIES, RATELIMIT_LOAD_PER_SEC,
			     RATELIMIT_IP_PER_SEC, RATELIMIT_IP_BURST);
	if (ret) {
		log_err("rate limiter: %s", strerror(-ret));
		goto out;
	}

	rcfg = (struct registry_config){
		.state_dir = d->cfg.state_dir,
		.pool = d->cfg.pool.addr,
		.pool_prefix = d->cfg.pool.prefix,
		.gateway = d->cfg.gateway,
	};
	ret = registry_open(&d->reg, &rcfg, msg, sizeof(msg));
	if (ret) {
		log_err("registry in %s: %s", d->cfg.state_dir, msg);
		goto out;
	}
	d->areg = (struct admit_registry){.enroll = admit_registry_enroll, .ctx = d->reg};
	ret = device_table_init(&d->devs, 1024);
	if (ret) {
		log_err("device table: %s", strerror(-ret));
		goto out;
	}
	ret = registry_foreach(d->reg, load_device, d, msg, sizeof(msg));
	if (ret) {
		log_err("registry in %s: loading devices: %s", d->cfg.state_dir,
			ret == -ENOMEM || ret == -EEXIST ? strerror(-ret) : msg);
		goto out;
	}

	ret = evloop_init(&d->loop);
	if (!ret)
		ret = signals(d);
	if (ret) {
		log_err("event loop and signals: %s", strerror(-ret));
		goto out;
	}
	d->nl = nl_sock_create();
	if (!d->nl) {
		ret = -errno;
		log_err("netlink: %s", strerror(-ret));
		goto out;
	}
	d->nft = policy_nft_create();
	if (!d->nft) {
		ret = -errno;
		log_err("nftables: %s", strerror(-ret));
		goto out;
	}
	/* the sockets first: they fail if another tetherd runs, before this
	 * one touches its interfaces */
	ret = datapath_create(d);
	if (ret)
		goto out;
	ret = admin_listen(d);
	if (ret)
		goto out;
	ret = lifecycle_reconcile(d);
	if (ret)
		goto out;
	ret = apply_policy(d, d->policy);
	if (ret)
		goto out;

	d->next_sweep = evloop_now() + DAEMON_SWEEP_INTERVAL;
	d->next_flush = evloop_now() + DAEMON_FLUSH_INTERVAL;
	keys_fingerprint(fp, d->id.public_key);
	datapath_listen_str(d, listen, sizeof(listen));
	log_notice("tetherd %s started: listening on %s, public key %s..., %zu devices, "
		   "domain %s",
		   TETHER_VERSION, listen, fp, d->devs.count, d->cfg.domain);
out:
	sodium_memzero(priv, sizeof(priv));
	return ret;
}

/* SIGHUP. Keys whose change would cut tunnels or sockets wait for a
 * restart; the rest is replaced whole, or not at all. */
static void reload(struct daemon *d)
{
	static const char restart[] = "changed; it takes effect at the next restart";
	struct loaded l;
	char err[ERR_SIZE];
	int ret;

	(void)notify_send("RELOADING=1");
	log_notice("SIGHUP received: reloading %s", d->opt.config_path);
	ret = load(d->opt.config_path, &l, err, sizeof(err));
	if (ret) {
		log_err("reload: %s; the running configuration stays in force", err);
		goto out;
	}
	if (memcmp(&l.cfg.listen, &d->cfg.listen, sizeof(l.cfg.listen)))
		log_warn("reload: listen %s", restart);
	if (strcmp(l.cfg.private_key, d->cfg.private_key))
		log_warn("reload: private_key %s", restart);
	if (strcmp(l.cfg.state_dir, d->cfg.state_dir))
		log_warn("reload: state_dir %s", restart);
	if (strcmp(l.cfg.control, d->cfg.control) || strcmp(l.cfg.control_ro, d->cfg.control_ro) ||
	    l.proxy_gid != d->proxy_gid)
		log_warn("reload: control sockets or their group %s", restart);
	if (l.cfg.pool.addr.s_addr != d->cfg.pool.addr.s_addr ||
	    l.cfg.pool.prefix != d->cfg.pool.prefix ||
	    l.cfg.gateway.s_addr != d->cfg.gateway.s_addr)
		log_warn("reload: pool or gateway %s", restart);
	l.cfg.listen = d->cfg.listen;
	memcpy(l.cfg.private_key, d->cfg.private_key, sizeof(l.cfg.private_key));
	memcpy(l.cfg.state_dir, d->cfg.state_dir, sizeof(l.cfg.state_dir));
	memcpy(l.cfg.control, d->cfg.control, sizeof(l.cfg.control));
	memcpy(l.cfg.control_ro, d->cfg.control_ro, sizeof(l.cfg.control_ro));
	l.cfg.pool = d->cfg.pool;
	l.cfg.gateway = d->cfg.gateway;
	l.policy->gateway4 = d->cfg.gateway;

	/* the whole table again, with every current device, in one transaction */
	ret = apply_policy(d, l.policy);
	if (ret) {
		log_err("reload: the ruleset in force stays");
		free(l.policy);
		goto out;
	}
	free(d->policy);
	d->policy = l.policy;
	d->proxy_uid = l.proxy_uid;
	if (l.cfg.mtu != d->cfg.mtu) {
		d->cfg.mtu = l.cfg.mtu;
		lifecycle_set_mtu(d);
	}
	if (l.cfg.keepalive != d->cfg.keepalive)
		for (size_t i = 0; i < d->devs.count; i++)
			timers_set_keepalive(&d->devs.all[i]->timers,
					     l.cfg.keepalive * WIRE_NSEC_PER_SEC);
	d->cfg = l.cfg;
	if (!d->opt.verbose)
		log_set_level(d->cfg.log_level);
	log_notice("reloaded %s: domain %s, mtu %u, keepalive %u s, %u policy rules",
		   d->opt.config_path, d->cfg.domain, d->cfg.mtu, d->cfg.keepalive,
		   d->policy->nrules);
out:
	(void)notify_send("READY=1");
}

static void reap(struct daemon *d)
{
	while (d->dead) {
		struct device *dev = d->dead;

		d->dead = dev->next_dead;
		device_free(dev);
	}
}

int daemon_run(struct daemon *d)
{
	int ret = 0;

	(void)notify_send("READY=1");
	notify_status(d);
	while (!d->stop) {
		uint64_t now = evloop_now();
		uint64_t next = d->next_sweep < d->next_flush ? d->next_sweep : d->next_flush;
		int timeout = next > now ? (int)((next - now + 999999) / 1000000) : 0;

		ret = evloop_run_once(&d->loop, timeout);
		if (ret < 0) {
			log_err("event loop: %s", strerror(-ret));
			break;
		}
		ret = 0;
		reap(d);
		now = evloop_now();
		if (now >= d->next_sweep) {
			sweep(d, now);
			d->next_sweep = now + DAEMON_SWEEP_INTERVAL;
		}
		if (now >= d->next_flush) {
			flush_seen(d);
			notify_status(d);
			d->next_flush = now + DAEMON_FLUSH_INTERVAL;
		}
		if (d->reload) {
			d->reload = false;
			reload(d);
			notify_status(d);
		}
	}
	return ret;
}

void daemon_stop(struct daemon *d)
{
	size_t failed = 0;
	bool batch = false;

	(void)notify_send("STOPPING=1");
	flush_seen(d);
	/* down in one netlink batch: 10,000 links in one go, not one by one */
	if (d->nl && !nl_batch_begin(d->nl))
		batch = true;
	for (size_t i = 0; i < d->devs.count; i++)
		lifecycle_release(d, d->devs.all[i]);
	if (batch && nl_batch_end(d->nl, &failed))
		log_warn("kernel: setting interfaces down failed from the %zu-th on", failed + 1);
	control_server_free(d->ctl);
	d->ctl = NULL;
	datapath_free(d);
	reap(d);
	device_table_free(&d->devs);
	registry_close(d->reg);
	d->reg = NULL;
	policy_nft_free(d->nft);
	d->nft = NULL;
	nl_sock_free(d->nl);
	d->nl = NULL;
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	d->signal_fd = -1;
	evloop_close(&d->loop);
	ratelimit_free(&d->rl);
	mac_checker_clear(&d->checker);
	handshake_identity_clear(&d->id);
	free(d->policy);
	d->policy = NULL;
}
