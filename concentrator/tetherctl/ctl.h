/* What every tetherctl command shares: exit codes, the error and usage
 * messages, the option parser, and one request-answer round trip with
 * tetherd. */
#ifndef TETHER_TETHERCTL_CTL_H
#define TETHER_TETHERCTL_CTL_H

#include <jansson.h>
#include <stdbool.h>

#include "concentrator/control/control.h"

#define CTL_SOCKET_DEFAULT "/run/tether/tetherd.sock"

/* INTERFACE.md: 0 success, 1 runtime error, 2 usage error */
enum ctl_exit {
	CTL_CONTINUE = -1, /* ctl_parse: go on with the command */
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,
	CTL_EXIT_USAGE = 2,
};

struct ctl {
	const char *socket;
	int timeout_ms;
};

/* A command's entry in a table of subcommands; argv[0] is its own word. */
struct ctl_command {
	const char *name;
	enum ctl_exit (*fn)(const struct ctl *ctl, int argc, char **argv);
	const char *summary;
};

/* An option of a command: "--key" with a value, or a flag. */
struct ctl_opt {
	const char *name;
	const char **value; /* NULL for a flag */
	bool *flag;	    /* set when given */
};

/* "tetherctl: ..." on stderr */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Say what was wrong and how the command is used; returns CTL_EXIT_USAGE. */
enum ctl_exit ctl_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse argv[1..] into opts and positional arguments (between min_pos and
 * max_pos of them, into pos[]). -h/--help prints usage on stdout.
 * Returns CTL_CONTINUE, or the exit code for a shown help or a usage
 * error. */
enum ctl_exit ctl_parse(int argc, char **argv, const char *usage, const struct ctl_opt *opts,
			const char **pos, int min_pos, int max_pos);

/* Find argv[0] in a table and run it, or explain. what names the table
 * ("tetherctl", "tetherctl device") for messages. */
enum ctl_exit ctl_dispatch(const struct ctl *ctl, const struct ctl_command *cmds, const char *what,
			   const char *usage, int argc, char **argv);

struct control_client;

/* Connect to tetherd's socket, or print why not (with a hint) and return
 * CTL_EXIT_FAIL. */
enum ctl_exit ctl_connect(const struct ctl *ctl, struct control_client *client);

/* Send req to tetherd and wait for the answer. On success *answer holds
 * it; otherwise the error is printed and the result is CTL_EXIT_FAIL. */
enum ctl_exit ctl_call(const struct ctl *ctl, const struct control_request *req, json_t **answer);

/* Print JSON for scripts (indented, one document). */
enum ctl_exit ctl_print_json(const json_t *json);

#endif
