/* tetherctl's common ground: exit codes and messages as INTERFACE.md asks
 * (every error names what was wrong), a small option parser, and the one
 * place that talks to tetherd. */
#include "concentrator/tetherctl/ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "concentrator/control/control_client.h"

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("tetherctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

enum ctl_exit ctl_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("tetherctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return CTL_EXIT_USAGE;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

static const struct ctl_opt *find_opt(const struct ctl_opt *opts, const char *arg, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, arg, len))
			return opts;
	return NULL;
}

enum ctl_exit ctl_parse(int argc, char **argv, const char *usage, const struct ctl_opt *opts,
			const char **pos, int min_pos, int max_pos)
{
	bool options_end = false;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq;
		const struct ctl_opt *o;

		if (!options_end && is_help(arg)) {
			fputs(usage, stdout);
			return CTL_EXIT_OK;
		}
		if (!options_end && !strcmp(arg, "--")) {
			options_end = true;
			continue;
		}
		if (options_end || arg[0] != '-' || !arg[1]) {
			if (n == max_pos)
				return ctl_usage_error(usage, "unexpected argument \"%s\"", arg);
			pos[n++] = arg;
			continue;
		}
		eq = strchr(arg, '=');
		o = find_opt(opts, arg, eq ? (size_t)(eq - arg) : strlen(arg));
		if (!o)
			return ctl_usage_error(usage, "unknown option \"%s\"", arg);
		if (*o->flag)
			return ctl_usage_error(usage, "%s given twice", o->name);
		*o->flag = true;
		if (!o->value) {
			if (eq)
				return ctl_usage_error(usage, "%s takes no value", o->name);
			continue;
		}
		if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			return ctl_usage_error(usage, "%s needs a value", o->name);
		}
	}
	if (n < min_pos)
		return ctl_usage_error(usage, "missing argument");
	return CTL_CONTINUE;
}

enum ctl_exit ctl_dispatch(const struct ctl *ctl, const struct ctl_command *cmds, const char *what,
			   const char *usage, int argc, char **argv)
{
	if (argc < 1)
		return ctl_usage_error(usage, "%s needs a command", what);
	if (is_help(argv[0]) || !strcmp(argv[0], "help")) {
		fputs(usage, stdout);
		return CTL_EXIT_OK;
	}
	for (; cmds->name; cmds++)
		if (!strcmp(cmds->name, argv[0]))
			return cmds->fn(ctl, argc, argv);
	return ctl_usage_error(usage, "unknown %s command \"%s\"", what, argv[0]);
}

enum ctl_exit ctl_connect(const struct ctl *ctl, struct control_client *client)
{
	int ret = control_client_open(client, ctl->socket, ctl->timeout_ms);
	const char *hint = "";

	if (ret == 0)
		return CTL_EXIT_OK;

	switch (ret) {
	case -ENOENT:
	case -ECONNREFUSED:
		hint = " (is tetherd running?)";
		break;
	case -EACCES:
	case -EPERM:
		hint = " (run as root or as a member of tetherd's group)";
		break;
	}
	ctl_err("cannot connect to %s: %s%s", ctl->socket, strerror(-ret), hint);
	return CTL_EXIT_FAIL;
}

enum ctl_exit ctl_call(const struct ctl *ctl, const struct control_request *req, json_t **answer)
{
	struct control_client client;
	struct control_error err = {CONTROL_OK, ""};
	json_t *json = NULL;
	enum ctl_exit ex = CTL_EXIT_FAIL;
	int ret;

	*answer = NULL;
	json = control_request_json(req);
	if (!json) {
		ctl_err("cannot build the %s request: %s", control_cmd_name(req->cmd),
			strerror(errno));
		return CTL_EXIT_FAIL;
	}
	if (ctl_connect(ctl, &client) != CTL_EXIT_OK)
		goto out;
	ret = control_client_call(&client, json, ctl->timeout_ms, answer, &err);
	switch (ret) {
	case 0:
		ex = CTL_EXIT_OK;
		break;
	case -EREMOTEIO:
		ctl_err("%s", err.msg);
		break;
	case -ETIMEDOUT:
		ctl_err("no answer from tetherd on %s within %d s", ctl->socket,
			ctl->timeout_ms / 1000);
		break;
	case -ECONNRESET:
		ctl_err("tetherd closed the connection on %s without answering", ctl->socket);
		break;
	case -EBADMSG:
		ctl_err("tetherd on %s sent an answer that is not a control answer", ctl->socket);
		break;
	default:
		ctl_err("talking to tetherd on %s: %s", ctl->socket, strerror(-ret));
	}
out:
	control_client_close(&client);
	json_decref(json);
	return ex;
}

enum ctl_exit ctl_print_json(const json_t *json)
{
	if (json_dumpf(json, stdout, JSON_INDENT(2)) < 0 || putchar('\n') == EOF) {
		ctl_err("cannot write to stdout: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}
