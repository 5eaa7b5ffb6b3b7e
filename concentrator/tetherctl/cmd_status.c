/* tetherctl status: key: value lines for people, the status object for
 * scripts (--json). */
#include "concentrator/tetherctl/cmd_status.h"

#include <inttypes.h>
#include <stdio.h>

#include "concentrator/tetherctl/fmt.h"

static const char status_usage[] = "usage: tetherctl status [--json]\n"
				   "Show the gateway's listen address, public key, device counts\n"
				   "and uptime; --json prints an object for scripts.\n";

static void print_field(const char *label, const char *value)
{
	printf("%-11s %s\n", label, value);
}

static void print_status(const json_t *st)
{
	const json_t *dev = json_object_get(st, "devices");
	char buf[FMT_CELL];

	print_field("version:", fmt_member(buf, st, "version"));
	print_field("listen:", fmt_member(buf, st, "listen"));
	print_field("public key:", fmt_member(buf, st, "public_key"));
	print_field("domain:", fmt_member(buf, st, "domain"));
	print_field("pool:", fmt_member(buf, st, "pool"));
	print_field("gateway:", fmt_member(buf, st, "gateway"));
	print_field("uptime:", fmt_duration(buf, (uint64_t)fmt_int(st, "uptime")));
	printf("%-11s %" PRId64 " total, %" PRId64 " active, %" PRId64 " pending, %" PRId64
	       " disabled, %" PRId64 " online\n",
	       "devices:", fmt_int(dev, "total"), fmt_int(dev, "active"), fmt_int(dev, "pending"),
	       fmt_int(dev, "disabled"), fmt_int(dev, "online"));
}

enum ctl_exit cmd_status(const struct ctl *ctl, int argc, char **argv)
{
	bool json = false;
	const struct ctl_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
	struct control_request req = {.cmd = CONTROL_CMD_STATUS};
	json_t *answer = NULL, *st;
	enum ctl_exit ex;

	ex = ctl_parse(argc, argv, status_usage, opts, NULL, 0, 0);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = ctl_call(ctl, &req, &answer);
	if (ex != CTL_EXIT_OK)
		goto out;
	st = json_object_get(answer, "status");
	if (!json_is_object(st)) {
		ctl_err("tetherd's answer has no \"status\" object");
		ex = CTL_EXIT_FAIL;
		goto out;
	}
	if (json)
		ex = ctl_print_json(st);
	else
		print_status(st);
out:
	json_decref(answer);
	return ex;
}
