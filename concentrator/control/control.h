/* The control protocol's messages (docs/control.md), shared by tetherd's
 * server, tetherctl and tether-proxy: request parsing and validation, the
 * error codes, and the rules for device names, keys and token lifetimes. */
#ifndef TETHER_CONTROL_CONTROL_H
#define TETHER_CONTROL_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CONTROL_LINE_MAX = 4096, /* request bytes, not counting the '\n' */
	CONTROL_NAME_MAX = 63,	 /* ^[a-z0-9][a-z0-9-]{0,62}$ */
	CONTROL_KEY_LEN = 44,	 /* base64 of 32 bytes, '=' padded */
	CONTROL_ERROR_MAX = 256, /* error text, NUL included */
	CONTROL_TTL_MIN = 60,	 /* token lifetimes in seconds */
	CONTROL_TTL_MAX = 30 * 86400,
	CONTROL_TTL_DEFAULT = 86400,
};

/* The "code" member of a failed answer. */
enum control_code {
	CONTROL_OK = 0,
	CONTROL_BAD_REQUEST,
	CONTROL_NOT_FOUND,
	CONTROL_EXISTS,
	CONTROL_KEY_TAKEN,
	CONTROL_POOL_EXHAUSTED,
	CONTROL_READ_ONLY,
	CONTROL_BUSY,
	CONTROL_INTERNAL,
};

enum control_cmd {
	CONTROL_CMD_STATUS,
	CONTROL_CMD_DEVICE_LIST,
	CONTROL_CMD_DEVICE_SHOW,
	CONTROL_CMD_DEVICE_ADD,
	CONTROL_CMD_DEVICE_DISABLE,
	CONTROL_CMD_DEVICE_ENABLE,
	CONTROL_CMD_DEVICE_REMOVE,
	CONTROL_CMD_WATCH,
};

struct control_error {
	enum control_code code;
	char msg[CONTROL_ERROR_MAX];
};

/* A validated request; the strings are copies, NUL-terminated. */
struct control_request {
	enum control_cmd cmd;
	char name[CONTROL_NAME_MAX + 1]; /* device.* only */
	char key[CONTROL_KEY_LEN + 1];	 /* device.add by key, else "" */
	bool token;			 /* device.add by token */
	uint32_t ttl;			 /* with token; CONTROL_TTL_DEFAULT if absent */
};

/* "bad_request", ...; "internal" for values out of range */
const char *control_code_name(enum control_code code);
/* the inverse; an unknown name is CONTROL_INTERNAL */
enum control_code control_code_parse(const char *name);

/* "device.show", ... */
const char *control_cmd_name(enum control_cmd cmd);
/* true for the commands a read-only socket refuses */
bool control_cmd_changes(enum control_cmd cmd);

void control_error_set(struct control_error *err, enum control_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Validators: true if valid, else false with err (may be NULL) saying why. */
bool control_name_valid(const char *name, struct control_error *err);
bool control_key_valid(const char *key, struct control_error *err);
bool control_ttl_valid(long long ttl, struct control_error *err);

/* Parse one request line (without its '\n'; it need not be NUL-terminated)
 * strictly: one JSON object, a known "cmd", only the members that command
 * takes, with their types and values checked. Returns 0, or -EINVAL with
 * err saying what was wrong (code CONTROL_BAD_REQUEST). */
int control_request_parse(const char *line, size_t len, struct control_request *req,
			  struct control_error *err);

/* The request as a JSON object for the wire, or NULL with errno set. */
json_t *control_request_json(const struct control_request *req);

/* Make jansson wipe every block it frees: answers carry one-time tokens,
 * and jansson would otherwise leave their text in freed memory. Call once
 * at start, before any JSON is made. */
void control_json_wipe_on_free(void);

#endif
