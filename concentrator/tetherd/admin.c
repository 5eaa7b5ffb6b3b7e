/* The control ops. Each change goes to the registry first (durable when
 * the call returns), then to the device table and the kernel, then to the
 * log with who asked, and to the watchers as an event. */
#include "concentrator/tetherd/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "concentrator/control/control.h"
#include "concentrator/control/control_server.h"
#include "concentrator/tetherd/datapath.h"
#include "proto/keys.h"

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static const char *addr_str(struct in_addr a, char out[INET_ADDRSTRLEN])
{
	if (!inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN))
		snprintf(out, INET_ADDRSTRLEN, "?");
	return out;
}

json_t *admin_device_json(const struct daemon *d, const struct device *dev, bool detail)
{
	char key[KEYS_B64_SIZE] = "", addr[INET_ADDRSTRLEN], ep[DEVICE_ENDPOINT_STR],
	     url[CONF_DOMAIN_MAX + WIRE_NAME_MAX + 16];
	json_t *o, *drops;

	if (dev->has_key)
		keys_to_base64(key, dev->public_key);
	addr_str(dev->addr4, addr);
	device_endpoint_str(dev, ep);
	daemon_url(d, dev, url, sizeof(url));
	o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:b, s:I, s:o, s:o, s:I, s:I, s:s, s:I}", "name",
		      dev->name, "public_key", str_or_null(key), "state",
		      registry_state_str(dev->state), "address", addr, "interface", dev->ifname,
		      "online", dev->online, "since", (json_int_t)dev->since, "endpoint",
		      str_or_null(ep), "last_handshake",
		      dev->last_handshake ? json_integer(dev->last_handshake) : json_null(),
		      "rx_bytes", (json_int_t)dev->c.rx_bytes, "tx_bytes",
		      (json_int_t)dev->c.tx_bytes, "url", url, "created", (json_int_t)dev->created);
	if (!o || !detail)
		return o;
	drops = json_object();
	if (!drops)
		goto fail;
	for (unsigned int r = PROTO_OK + 1; r < DEVICE_DROP_COUNT; r++)
		if (json_object_set_new(drops, device_drop_str(r),
					json_integer((json_int_t)dev->c.drops[r])))
			goto fail;
	if (json_object_set_new(o, "drops", drops)) {
		drops = NULL;
		goto fail;
	}
	drops = NULL;
	if (json_object_set_new(o, "rx_packets", json_integer((json_int_t)dev->c.rx_packets)) ||
	    json_object_set_new(o, "tx_packets", json_integer((json_int_t)dev->c.tx_packets)) ||
	    json_object_set_new(o, "rx_keepalives",
				json_integer((json_int_t)dev->c.rx_keepalives)) ||
	    json_object_set_new(o, "interface_up", json_boolean(dev->online && dev->ifindex)))
		goto fail;
	return o;
fail:
	json_decref(drops);
	json_decref(o);
	return NULL;
}

static json_t *answer_device(const struct daemon *d, const struct device *dev, bool detail,
			     struct control_error *err)
{
	json_t *j = admin_device_json(d, dev, detail);

	if (!j) {
		control_error_set(err, CONTROL_INTERNAL, "device %s: out of memory", dev->name);
		return NULL;
	}
	return json_pack("{s:o}", "device", j);
}

static struct device *find(struct daemon *d, const char *name, struct control_error *err)
{
	struct device *dev = device_by_name(&d->devs, name);

	if (!dev)
		control_error_set(err, CONTROL_NOT_FOUND, "device %s: no such device", name);
	return dev;
}

/* Who asked, for the log line of a change. */
static void who(const struct control_peer *peer, char *out, size_t size)
{
	snprintf(out, size, "uid %u, pid %d", (unsigned int)peer->uid, (int)peer->pid);
}

static json_t *counters_json(const uint64_t *v, unsigned int from, unsigned int to,
			     const char *(*name)(unsigned int))
{
	json_t *o = json_object();

	for (unsigned int i = from; o && i < to; i++)
		if (json_object_set_new(o, name(i), json_integer((json_int_t)v[i]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static const char *admit_name(unsigned int r)
{
	return admit_reason_str((enum admit_reason)r);
}

static json_t *op_status(void *ctx, const struct control_request *req,
			 const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	char listen[DEVICE_ENDPOINT_STR], key[KEYS_B64_SIZE], pool[INET_ADDRSTRLEN + 4],
		net[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	json_int_t n[REGISTRY_DISABLED + 1] = {0};
	json_t *o;

	(void)req;
	(void)peer;
	for (size_t i = 0; i < d->devs.count; i++)
		n[d->devs.all[i]->state]++;
	datapath_listen_str(d, listen, sizeof(listen));
	keys_to_base64(key, d->id.public_key);
	snprintf(pool, sizeof(pool), "%s/%u", addr_str(d->cfg.pool.addr, net), d->cfg.pool.prefix);
	addr_str(d->cfg.gateway, gw);
	o = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:o, "
		      "s:o, s:I}}",
		      "status", "version", TETHER_VERSION, "listen", listen, "public_key", key,
		      "domain", d->cfg.domain, "pool", pool, "gateway", gw, "uptime",
		      (json_int_t)((evloop_now() - d->started) / WIRE_NSEC_PER_SEC), "devices",
		      "total", (json_int_t)d->devs.count, "active", n[REGISTRY_ACTIVE], "pending",
		      n[REGISTRY_PENDING], "disabled", n[REGISTRY_DISABLED], "online",
		      (json_int_t)d->online, "drops",
		      counters_json(d->drops, PROTO_OK + 1, DEVICE_DROP_COUNT, device_drop_str),
		      "handshakes", counters_json(d->admits, 0, ADMIT_REASON_COUNT, admit_name),
		      "cookies_sent", (json_int_t)d->cookies_sent);
	if (!o)
		control_error_set(err, CONTROL_INTERNAL, "status: out of memory");
	return o;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct device *const *)a)->name, (*(struct device *const *)b)->name);
}

static json_t *op_device_list(void *ctx, const struct control_request *req,
			      const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	struct device **sorted = NULL;
	json_t *arr = json_array(), *o = NULL;

	(void)req;
	(void)peer;
	if (!arr)
		goto fail;
	if (d->devs.count) {
		sorted = malloc(d->devs.count * sizeof(*sorted));
		if (!sorted)
			goto fail;
		memcpy(sorted, d->devs.all, d->devs.count * sizeof(*sorted));
		qsort(sorted, d->devs.count, sizeof(*sorted), by_name);
	}
	for (size_t i = 0; i < d->devs.count; i++)
		if (json_array_append_new(arr, admin_device_json(d, sorted[i], false)))
			goto fail;
	o = json_pack("{s:o}", "devices", arr);
	arr = NULL;
	if (!o)
		goto fail;
	free(sorted);
	return o;
fail:
	free(sorted);
	json_decref(arr);
	control_error_set(err, CONTROL_INTERNAL, "device list: out of memory");
	return NULL;
}

static json_t *op_device_show(void *ctx, const struct control_request *req,
			      const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	struct device *dev = find(d, req->name, err);

	(void)peer;
	return dev ? answer_device(d, dev, true, err) : NULL;
}

static enum control_code add_code(struct daemon *d, const char *name, int ret)
{
	switch (ret) {
	case -EINVAL:
		return CONTROL_BAD_REQUEST;
	case -EEXIST:
		return device_by_name(&d->devs, name) ? CONTROL_EXISTS : CONTROL_KEY_TAKEN;
	case -ENOSPC:
		return CONTROL_POOL_EXHAUSTED;
	default:
		return CONTROL_INTERNAL;
	}
}

/* The registry added rd: the table follows, or the registry is rolled
 * back so both stay the same. */
static struct device *learn(struct daemon *d, const struct registry_device *rd,
			    struct control_error *err)
{
	char msg[REGISTRY_MSG_SIZE];
	struct device *dev = device_create(rd);
	int ret = dev ? device_table_add(&d->devs, dev) : -errno;

	if (!ret) {
		dev->since = daemon_wall();
		timers_set_keepalive(&dev->timers, d->cfg.keepalive * WIRE_NSEC_PER_SEC);
		return dev;
	}
	device_free(dev);
	log_err("device %s: added to the registry but not to memory: %s", rd->name, strerror(-ret));
	if (registry_remove(d->reg, rd->name, msg, sizeof(msg)))
		log_err("device %s: rolling the registry back: %s", rd->name, msg);
	control_error_set(err, CONTROL_INTERNAL, "device %s: %s", rd->name, strerror(-ret));
	return NULL;
}

static json_t *op_device_add_key(void *ctx, const struct control_request *req,
				 const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	struct registry_device rd;
	struct device *dev;
	char msg[REGISTRY_MSG_SIZE], fp[KEYS_FINGERPRINT_SIZE], by[64], a[INET_ADDRSTRLEN];
	uint8_t key[WIRE_KEY_LEN];
	json_t *o = NULL;
	int ret;

	if (keys_from_base64(key, req->key)) {
		control_error_set(err, CONTROL_BAD_REQUEST,
				  "device %s: the key is not base64 of "
				  "32 bytes",
				  req->name);
		goto out;
	}
	ret = registry_add_key(d->reg, req->name, key, daemon_wall(), &rd, msg, sizeof(msg));
	if (ret) {
		control_error_set(err, add_code(d, req->name, ret), "%s", msg);
		goto out;
	}
	dev = learn(d, &rd, err);
	if (!dev)
		goto out;
	keys_fingerprint(fp, key);
	who(peer, by, sizeof(by));
	log_notice("device %s added with key %s, address %s (%s)", dev->name, fp,
		   addr_str(dev->addr4, a), by);
	daemon_event(d, "added", dev);
	o = answer_device(d, dev, false, err);
out:
	sodium_memzero(key, sizeof(key));
	return o;
}

static json_t *op_device_add_token(void *ctx, const struct control_request *req,
				   const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	struct registry_device rd;
	struct device *dev;
	char msg[REGISTRY_MSG_SIZE], token[REGISTRY_TOKEN_LEN + 1], by[64], a[INET_ADDRSTRLEN];
	json_t *o = NULL, *j;
	int ret;

	ret = registry_add_token(d->reg, req->name, req->ttl, daemon_wall(), token, &rd, msg,
				 sizeof(msg));
	if (ret) {
		control_error_set(err, add_code(d, req->name, ret), "%s", msg);
		goto out;
	}
	dev = learn(d, &rd, err);
	if (!dev)
		goto out;
	who(peer, by, sizeof(by));
	log_notice("device %s added with a one-time token valid %u s, address %s (%s)", dev->name,
		   req->ttl, addr_str(dev->addr4, a), by);
	daemon_event(d, "added", dev);
	j = admin_device_json(d, dev, false);
	o = json_pack("{s:o, s:s, s:I}", "device", j, "token", token, "token_expires",
		      (json_int_t)rd.token_expires);
	if (!o)
		control_error_set(err, CONTROL_INTERNAL, "device %s: out of memory", dev->name);
out:
	sodium_memzero(token, sizeof(token));
	return o;
}

static json_t *op_device_disable(void *ctx, const struct control_request *req,
				 const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	struct device *dev = find(d, req->name, err);
	char msg[REGISTRY_MSG_SIZE], by[64];

	if (!dev)
		return NULL;
	if (registry_disable(d->reg, dev->name, msg, sizeof(msg))) {
		control_error_set(err, CONTROL_INTERNAL, "%s", msg);
		return NULL;
	}
	who(peer, by, sizeof(by));
	if (dev->state != REGISTRY_DISABLED)
		log_notice("device %s disabled (%s)", dev->name, by);
	dev->state = REGISTRY_DISABLED;
	daemon_device_kick(d, dev);
	return answer_device(d, dev, false, err);
}

static json_t *op_device_enable(void *ctx, const struct control_request *req,
				const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	struct device *dev = find(d, req->name, err);
	char msg[REGISTRY_MSG_SIZE], by[64];

	if (!dev)
		return NULL;
	if (registry_enable(d->reg, dev->name, msg, sizeof(msg))) {
		control_error_set(err, CONTROL_INTERNAL, "%s", msg);
		return NULL;
	}
	who(peer, by, sizeof(by));
	if (dev->state == REGISTRY_DISABLED)
		log_notice("device %s enabled (%s)", dev->name, by);
	dev->state = dev->has_key ? REGISTRY_ACTIVE : REGISTRY_PENDING;
	return answer_device(d, dev, false, err);
}

static json_t *op_device_remove(void *ctx, const struct control_request *req,
				const struct control_peer *peer, struct control_error *err)
{
	struct daemon *d = ctx;
	struct device *dev = find(d, req->name, err);
	char msg[REGISTRY_MSG_SIZE], by[64];
	json_t *o;

	if (!dev)
		return NULL;
	o = answer_device(d, dev, false, err);
	if (!o)
		return NULL;
	if (registry_remove(d->reg, dev->name, msg, sizeof(msg))) {
		json_decref(o);
		control_error_set(err, CONTROL_INTERNAL, "%s", msg);
		return NULL;
	}
	who(peer, by, sizeof(by));
	log_notice("device %s removed (%s)", dev->name, by);
	daemon_device_forget(d, dev);
	return o;
}

static const struct control_ops ops = {
	.status = op_status,
	.device_list = op_device_list,
	.device_show = op_device_show,
	.device_add_key = op_device_add_key,
	.device_add_token = op_device_add_token,
	.device_disable = op_device_disable,
	.device_enable = op_device_enable,
	.device_remove = op_device_remove,
};

static int listen_on(struct daemon *d, const char *path, gid_t gid, bool read_only)
{
	int ret = control_server_listen(d->ctl, path, 0660, gid, read_only);

	if (ret)
		log_err("control socket %s: %s%s", path, strerror(-ret),
			ret == -EADDRINUSE ? " (another tetherd answers there)"
			: ret == -EEXIST   ? " (the path is not a socket)"
			: ret == -EPERM && gid != (gid_t)-1
				? " (tetherd's user must be a member of proxy_user's group)"
				: "");
	return ret;
}

int admin_listen(struct daemon *d)
{
	int ret;

	d->ctl = control_server_create(&d->loop, &ops, d);
	if (!d->ctl) {
		ret = -errno;
		log_err("control: %s", strerror(-ret));
		return ret;
	}
	ret = listen_on(d, d->cfg.control, (gid_t)-1, false);
	if (!ret)
		ret = listen_on(d, d->cfg.control_ro, d->proxy_gid, true);
	return ret;
}
