/* tetherctl device: a table of its own subcommands. Arguments are checked
 * here first (exit 2 with the rule that was broken) so a typo never
 * reaches tetherd; tetherd checks them all again. */
#include "concentrator/tetherctl/cmd_device.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "concentrator/tetherctl/fmt.h"

static const char device_usage[] =
	"usage: tetherctl [-s SOCKET] device COMMAND ...\n"
	"  add NAME --key PUBKEY [--json]                  register a device by its key\n"
	"  add NAME --token [--ttl DURATION] [--json]      print a one-time enrollment token\n"
	"  list [--json]                                   all devices\n"
	"  show NAME [--json]                              one device in detail\n"
	"  disable NAME                                    end its session, refuse handshakes\n"
	"  enable NAME                                     allow it again\n"
	"  remove NAME                                     forget it, its interface goes too\n";

static const char add_usage[] =
	"usage: tetherctl device add NAME --key PUBKEY [--json]\n"
	"       tetherctl device add NAME --token [--ttl DURATION] [--json]\n"
	"Register a device by its public key, or create a one-time enrollment token\n"
	"for it. DURATION is seconds or a number with s, m, h or d (default 24h,\n"
	"60s to 30d). NAME: a-z, 0-9 and '-', at most 63, not starting with '-'.\n";

static const char list_usage[] = "usage: tetherctl device list [--json]\n"
				 "List all devices; --json prints an array for scripts.\n";

static const char show_usage[] = "usage: tetherctl device show NAME [--json]\n"
				 "Show one device; --json prints an object for scripts.\n";

static const char disable_usage[] = "usage: tetherctl device disable NAME\n"
				    "End the device's session within a second and refuse its\n"
				    "handshakes until it is enabled again.\n";

static const char enable_usage[] = "usage: tetherctl device enable NAME\n"
				   "Allow a disabled device to connect again.\n";

static const char remove_usage[] =
	"usage: tetherctl device remove NAME\n"
	"Forget the device; its interface and firewall entries go too.\n";

int cmd_device_parse_ttl(const char *text, uint32_t *seconds)
{
	unsigned long long v, mult = 1;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (v > UINT32_MAX / mult)
		return -ERANGE;
	*seconds = (uint32_t)(v * mult);
	return 0;
}

/* NAME as the one positional argument, checked by the device-name rule. */
static enum ctl_exit name_arg(const char *usage, const char *name, struct control_request *req)
{
	struct control_error err;

	if (!control_name_valid(name, &err))
		return ctl_usage_error(usage, "%s", err.msg);
	snprintf(req->name, sizeof(req->name), "%s", name);
	return CTL_CONTINUE;
}

static void print_field(const char *label, const char *value)
{
	printf("%-15s %s\n", label, value);
}

/* The host devices should dial: the listen address, unless that is a
 * wildcard, which says nothing about how the gateway is reached. */
static void server_address(char *buf, size_t size, const json_t *status)
{
	const char *listen = json_string_value(json_object_get(status, "listen"));
	const char *colon = listen ? strrchr(listen, ':') : NULL;

	if (!colon) {
		snprintf(buf, size, "GATEWAY:51900");
		return;
	}
	if (!strncmp(listen, "0.0.0.0:", 8) || !strncmp(listen, "[::]:", 5) ||
	    !strncmp(listen, ":::", 3) || colon == listen)
		snprintf(buf, size, "GATEWAY%s", colon);
	else
		snprintf(buf, size, "%s", listen);
}

static void print_enroll_hint(const struct ctl *ctl, const char *name, const char *token)
{
	struct control_request req = {.cmd = CONTROL_CMD_STATUS};
	json_t *answer = NULL, *status;
	const char *key = NULL;
	char server[300];

	if (ctl_call(ctl, &req, &answer) == CTL_EXIT_OK) {
		status = json_object_get(answer, "status");
		key = json_string_value(json_object_get(status, "public_key"));
		server_address(server, sizeof(server), status);
	} else {
		server_address(server, sizeof(server), NULL);
	}
	printf("\nOn the device, before the token expires, run:\n"
	       "  tether-agent enroll --server %s --server-key %s --name %s --token %s\n",
	       server, key ? key : "GATEWAY-PUBLIC-KEY", name, token);
	if (!strncmp(server, "GATEWAY", 7))
		printf("where GATEWAY is this gateway's public address or host name.\n");
	json_decref(answer);
}

static enum ctl_exit device_add(const struct ctl *ctl, int argc, char **argv)
{
	const char *name = NULL, *key = NULL, *ttl = NULL;
	bool has_key = false, token = false, has_ttl = false, json = false;
	const struct ctl_opt opts[] = {
		{"--key", &key, &has_key}, {"--token", NULL, &token}, {"--ttl", &ttl, &has_ttl},
		{"--json", NULL, &json},   {NULL, NULL, NULL},
	};
	struct control_request req = {.cmd = CONTROL_CMD_DEVICE_ADD, .ttl = CONTROL_TTL_DEFAULT};
	struct control_error err;
	json_t *answer = NULL, *dev;
	enum ctl_exit ex;
	char buf[FMT_CELL];
	const char *tok;

	ex = ctl_parse(argc, argv, add_usage, opts, &name, 1, 1);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = name_arg(add_usage, name, &req);
	if (ex != CTL_CONTINUE)
		return ex;
	if (has_key == token)
		return ctl_usage_error(add_usage,
				       "device add needs either --key PUBKEY or --token");
	if (has_ttl && !token)
		return ctl_usage_error(add_usage, "--ttl goes with --token");
	if (has_key) {
		if (!control_key_valid(key, &err))
			return ctl_usage_error(add_usage, "%s", err.msg);
		snprintf(req.key, sizeof(req.key), "%s", key);
	}
	if (has_ttl) {
		int ret = cmd_device_parse_ttl(ttl, &req.ttl);

		if (ret < 0)
			return ctl_usage_error(add_usage, "invalid --ttl \"%s\": %s", ttl,
					       ret == -ERANGE ? "too long"
							      : "use a number with s, m, h or d");
		if (!control_ttl_valid(req.ttl, &err))
			return ctl_usage_error(add_usage, "invalid --ttl \"%s\": %s", ttl, err.msg);
	}
	req.token = token;

	ex = ctl_call(ctl, &req, &answer);
	if (ex != CTL_EXIT_OK)
		goto out;
	if (json) {
		json_object_del(answer, "ok");
		ex = ctl_print_json(answer);
		goto out;
	}
	dev = json_object_get(answer, "device");
	print_field("name:", fmt_member(buf, dev, "name"));
	print_field("state:", fmt_member(buf, dev, "state"));
	print_field("address:", fmt_member(buf, dev, "address"));
	print_field("url:", fmt_member(buf, dev, "url"));
	tok = json_string_value(json_object_get(answer, "token"));
	if (token && tok) {
		time_t expires = (time_t)fmt_int(answer, "token_expires");
		char when[FMT_CELL], in[FMT_CELL];

		print_field("token:", tok);
		printf("%-15s %s (%s)\n", "expires:", fmt_time(when, expires),
		       fmt_ago(in, time(NULL), expires));
		print_enroll_hint(ctl, req.name, tok);
	}
out:
	json_decref(answer);
	return ex;
}

static void device_row(const json_t *dev, time_t now, const char *row[8], char cells[8][FMT_CELL])
{
	row[0] = fmt_member(cells[0], dev, "name");
	row[1] = fmt_member(cells[1], dev, "state");
	row[2] = fmt_member(cells[2], dev, "address");
	row[3] = fmt_member(cells[3], dev, "online");
	row[4] = fmt_member(cells[4], dev, "endpoint");
	row[5] = fmt_ago(cells[5], now, (time_t)fmt_int(dev, "last_handshake"));
	row[6] = fmt_bytes(cells[6], (uint64_t)fmt_int(dev, "rx_bytes"));
	row[7] = fmt_bytes(cells[7], (uint64_t)fmt_int(dev, "tx_bytes"));
}

static enum ctl_exit device_list(const struct ctl *ctl, int argc, char **argv)
{
	static const unsigned int right[8] = {0, 0, 0, 0, 0, 0, 1, 1};
	static const char *const header[8] = {
		"NAME", "STATE", "ADDRESS", "ONLINE", "ENDPOINT", "LAST-HANDSHAKE", "RX", "TX",
	};
	bool json = false;
	const struct ctl_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
	struct control_request req = {.cmd = CONTROL_CMD_DEVICE_LIST};
	struct fmt_table *table = NULL;
	json_t *answer = NULL, *devices;
	time_t now = time(NULL);
	enum ctl_exit ex;
	size_t i;

	ex = ctl_parse(argc, argv, list_usage, opts, NULL, 0, 0);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = ctl_call(ctl, &req, &answer);
	if (ex != CTL_EXIT_OK)
		goto out;
	devices = json_object_get(answer, "devices");
	if (!json_is_array(devices)) {
		ctl_err("tetherd's device list has no \"devices\" array");
		ex = CTL_EXIT_FAIL;
		goto out;
	}
	if (json) {
		ex = ctl_print_json(devices);
		goto out;
	}
	ex = CTL_EXIT_FAIL;
	table = fmt_table_create(8, right);
	if (!table || fmt_table_add(table, header) < 0)
		goto nomem;
	for (i = 0; i < json_array_size(devices); i++) {
		char cells[8][FMT_CELL];
		const char *row[8];

		device_row(json_array_get(devices, i), now, row, cells);
		if (fmt_table_add(table, row) < 0)
			goto nomem;
	}
	if (fmt_table_print(table) < 0) {
		ctl_err("cannot write to stdout: %s", strerror(errno));
		goto out;
	}
	ex = CTL_EXIT_OK;
	goto out;
nomem:
	ctl_err("out of memory");
out:
	fmt_table_free(table);
	json_decref(answer);
	return ex;
}

static void print_drops(const json_t *drops)
{
	bool first = true;

	printf("%-15s ", "drops:");
	for (void *it = json_object_iter((json_t *)drops); it;
	     it = json_object_iter_next((json_t *)drops, it)) {
		json_int_t count = json_integer_value(json_object_iter_value(it));

		if (!count)
			continue;
		printf("%s%s %" JSON_INTEGER_FORMAT, first ? "" : ", ", json_object_iter_key(it),
		       count);
		first = false;
	}
	puts(first ? "none" : "");
}

static void print_device(const json_t *dev)
{
	char buf[FMT_CELL], when[FMT_CELL], ago[FMT_CELL], rx[FMT_CELL], tx[FMT_CELL];
	time_t now = time(NULL), t;
	const json_t *drops = json_object_get(dev, "drops");

	print_field("name:", fmt_member(buf, dev, "name"));
	print_field("state:", fmt_member(buf, dev, "state"));
	print_field("public key:", json_is_string(json_object_get(dev, "public_key"))
					   ? fmt_member(buf, dev, "public_key")
					   : "(none yet: waiting for enrollment)");
	print_field("address:", fmt_member(buf, dev, "address"));
	print_field("interface:", fmt_member(buf, dev, "interface"));
	t = (time_t)fmt_int(dev, "since");
	if (t)
		printf("%-15s %s, since %s (%s)\n", "online:", fmt_member(buf, dev, "online"),
		       fmt_time(when, t), fmt_ago(ago, now, t));
	else
		print_field("online:", fmt_member(buf, dev, "online"));
	print_field("endpoint:", fmt_member(buf, dev, "endpoint"));
	t = (time_t)fmt_int(dev, "last_handshake");
	if (t)
		printf("%-15s %s (%s)\n", "last handshake:", fmt_time(when, t),
		       fmt_ago(ago, now, t));
	else
		print_field("last handshake:", "never");
	printf("%-15s %s received, %s sent\n",
	       "transfer:", fmt_bytes(rx, (uint64_t)fmt_int(dev, "rx_bytes")),
	       fmt_bytes(tx, (uint64_t)fmt_int(dev, "tx_bytes")));
	if (json_object_get(dev, "rx_packets"))
		printf("%-15s %" PRId64 " received, %" PRId64 " sent\n",
		       "packets:", fmt_int(dev, "rx_packets"), fmt_int(dev, "tx_packets"));
	if (json_is_object(drops))
		print_drops(drops);
	print_field("url:", fmt_member(buf, dev, "url"));
	t = (time_t)fmt_int(dev, "created");
	if (t)
		printf("%-15s %s\n", "created:", fmt_time(when, t));
}

static enum ctl_exit device_show(const struct ctl *ctl, int argc, char **argv)
{
	const char *name = NULL;
	bool json = false;
	const struct ctl_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
	struct control_request req = {.cmd = CONTROL_CMD_DEVICE_SHOW};
	json_t *answer = NULL, *dev;
	enum ctl_exit ex;

	ex = ctl_parse(argc, argv, show_usage, opts, &name, 1, 1);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = name_arg(show_usage, name, &req);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = ctl_call(ctl, &req, &answer);
	if (ex != CTL_EXIT_OK)
		goto out;
	dev = json_object_get(answer, "device");
	if (!json_is_object(dev)) {
		ctl_err("tetherd's answer about %s has no \"device\" object", req.name);
		ex = CTL_EXIT_FAIL;
		goto out;
	}
	if (json)
		ex = ctl_print_json(dev);
	else
		print_device(dev);
out:
	json_decref(answer);
	return ex;
}

/* disable, enable and remove: one NAME, nothing printed on success */
static enum ctl_exit device_change(const struct ctl *ctl, int argc, char **argv,
				   enum control_cmd cmd, const char *usage)
{
	const char *name = NULL;
	struct control_request req = {.cmd = cmd};
	json_t *answer = NULL;
	enum ctl_exit ex;

	ex = ctl_parse(argc, argv, usage, NULL, &name, 1, 1);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = name_arg(usage, name, &req);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = ctl_call(ctl, &req, &answer);
	json_decref(answer);
	return ex;
}

static enum ctl_exit device_disable(const struct ctl *ctl, int argc, char **argv)
{
	return device_change(ctl, argc, argv, CONTROL_CMD_DEVICE_DISABLE, disable_usage);
}

static enum ctl_exit device_enable(const struct ctl *ctl, int argc, char **argv)
{
	return device_change(ctl, argc, argv, CONTROL_CMD_DEVICE_ENABLE, enable_usage);
}

static enum ctl_exit device_remove(const struct ctl *ctl, int argc, char **argv)
{
	return device_change(ctl, argc, argv, CONTROL_CMD_DEVICE_REMOVE, remove_usage);
}

static const struct ctl_command device_cmds[] = {
	{"add", device_add, "register a device"},
	{"list", device_list, "all devices"},
	{"show", device_show, "one device in detail"},
	{"disable", device_disable, "end its session, refuse handshakes"},
	{"enable", device_enable, "allow it again"},
	{"remove", device_remove, "forget it"},
	{NULL, NULL, NULL},
};

enum ctl_exit cmd_device(const struct ctl *ctl, int argc, char **argv)
{
	return ctl_dispatch(ctl, device_cmds, "device", device_usage, argc - 1, argv + 1);
}
