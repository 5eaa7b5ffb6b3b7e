/* The policy file of INTERFACE.md: one `allow SOURCE to PATTERN PROTO PORTS` a line, `#`
 * comments, blank lines. A strict parser: every error names the file, the line and the
 * offending token ("policy.conf:3: bad port '70000'"). */
#ifndef TETHER_POLICY_POLICY_FILE_H
#define TETHER_POLICY_POLICY_FILE_H

#include <stddef.h>

#include "policy/policy.h"

enum {
	POLICY_FILE_LINE_MAX = 512,	/* characters of one line, without its newline */
	POLICY_FILE_SIZE_MAX = 1 << 20, /* bytes of a whole file, comments included */
};

/* Replaces p's rules with those of `text` (len bytes, no terminating NUL needed); `file` names
 * it in errors. Leaves the other fields of p alone. On error p's rules are unusable: keep the
 * policy in force and do not apply. */
int policy_file_parse(struct policy *p, const char *file, const char *text, size_t len,
		      struct policy_error *err);

/* Reads the file at `path` and parses it as above. */
int policy_file_load(struct policy *p, const char *path, struct policy_error *err);

#endif
