/* tetherctl watch: the snapshot, then one line per device event until
 * tetherd goes away. --json passes the stream through as JSON lines, the
 * way tether-proxy sees it. */
#include "concentrator/tetherctl/cmd_watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "concentrator/control/control_client.h"
#include "concentrator/tetherctl/fmt.h"

static const char watch_usage[] = "usage: tetherctl watch [--json]\n"
				  "Print device events (added, removed, online, offline, address)\n"
				  "as they happen; --json prints the stream as JSON lines.\n";

static void print_event(const json_t *msg)
{
	const json_t *dev = json_object_get(msg, "device");
	char stamp[32], event[FMT_CELL], name[FMT_CELL], addr[FMT_CELL], ep[FMT_CELL];
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm))
		snprintf(stamp, sizeof(stamp), "-");
	printf("%s  %-8s %s  %s  %s\n", stamp, fmt_member(event, msg, "event"),
	       fmt_member(name, dev, "name"), fmt_member(addr, dev, "address"),
	       fmt_member(ep, dev, "endpoint"));
}

static void print_snapshot(const json_t *answer)
{
	const json_t *devices = json_object_get(answer, "devices");
	size_t online = 0;

	for (size_t i = 0; i < json_array_size(devices); i++)
		online += json_is_true(json_object_get(json_array_get(devices, i), "online"));
	printf("watching %zu devices, %zu online\n", json_array_size(devices), online);
}

enum ctl_exit cmd_watch(const struct ctl *ctl, int argc, char **argv)
{
	bool json = false;
	const struct ctl_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
	struct control_request req = {.cmd = CONTROL_CMD_WATCH};
	struct control_client client = {.fd = -1};
	struct control_error err = {CONTROL_OK, ""};
	json_t *request = NULL, *msg = NULL;
	enum ctl_exit ex;
	int ret;

	ex = ctl_parse(argc, argv, watch_usage, opts, NULL, 0, 0);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = CTL_EXIT_FAIL;
	request = control_request_json(&req);
	if (!request) {
		ctl_err("cannot build the watch request: %s", strerror(errno));
		goto out;
	}
	if (ctl_connect(ctl, &client) != CTL_EXIT_OK)
		goto out;
	ret = control_client_call(&client, request, ctl->timeout_ms, &msg, &err);
	if (ret == -EREMOTEIO) {
		ctl_err("%s", err.msg);
		goto out;
	}
	while (ret == 0) {
		if (json && json_dumpf(msg, stdout, JSON_COMPACT) == 0)
			putchar('\n');
		else if (!json && json_object_get(msg, "ok"))
			print_snapshot(msg);
		else if (!json)
			print_event(msg);
		if (ferror(stdout) || fflush(stdout) == EOF) {
			ctl_err("cannot write to stdout: %s", strerror(errno));
			goto out;
		}
		json_decref(msg);
		msg = NULL;
		ret = control_client_read(&client, -1, &msg);
	}
	if (ret == -ECONNRESET)
		ctl_err("tetherd closed the watch stream on %s", ctl->socket);
	else
		ctl_err("watching %s: %s", ctl->socket, strerror(-ret));
out:
	json_decref(msg);
	json_decref(request);
	control_client_close(&client);
	return ex;
}
