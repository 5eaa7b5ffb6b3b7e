/* The control protocol's messages: strict request parsing (every member
 * known, typed and in range, so a typo never passes silently), error codes,
 * and the name, key and TTL rules that tetherd and tetherctl share. */
#include "concentrator/control/control.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/keys.h"
#include "proto/name.h"
#include "proto/wire.h"

_Static_assert((int)CONTROL_NAME_MAX == (int)WIRE_NAME_MAX, "one device-name rule");
_Static_assert((int)CONTROL_KEY_LEN == (int)WIRE_KEY_B64_LEN, "one key format");

enum member {
	M_NAME = 1 << 0,
	M_KEY = 1 << 1,
	M_TOKEN = 1 << 2,
	M_TTL = 1 << 3,
};

static const struct {
	const char *name;
	unsigned int members; /* which members besides "cmd" it takes */
	bool changes;
} cmds[] = {
	[CONTROL_CMD_STATUS] = {"status", 0, false},
	[CONTROL_CMD_DEVICE_LIST] = {"device.list", 0, false},
	[CONTROL_CMD_DEVICE_SHOW] = {"device.show", M_NAME, false},
	[CONTROL_CMD_DEVICE_ADD] = {"device.add", M_NAME | M_KEY | M_TOKEN | M_TTL, true},
	[CONTROL_CMD_DEVICE_DISABLE] = {"device.disable", M_NAME, true},
	[CONTROL_CMD_DEVICE_ENABLE] = {"device.enable", M_NAME, true},
	[CONTROL_CMD_DEVICE_REMOVE] = {"device.remove", M_NAME, true},
	[CONTROL_CMD_WATCH] = {"watch", 0, false},
};

static const char *const code_names[] = {
	[CONTROL_OK] = "ok",
	[CONTROL_BAD_REQUEST] = "bad_request",
	[CONTROL_NOT_FOUND] = "not_found",
	[CONTROL_EXISTS] = "exists",
	[CONTROL_KEY_TAKEN] = "key_taken",
	[CONTROL_POOL_EXHAUSTED] = "pool_exhausted",
	[CONTROL_READ_ONLY] = "read_only",
	[CONTROL_BUSY] = "busy",
	[CONTROL_INTERNAL] = "internal",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *control_code_name(enum control_code code)
{
	if ((unsigned int)code >= ARRAY_SIZE(code_names))
		return "internal";
	return code_names[code];
}

enum control_code control_code_parse(const char *name)
{
	for (unsigned int i = 0; name && i < ARRAY_SIZE(code_names); i++)
		if (!strcmp(name, code_names[i]))
			return (enum control_code)i;
	return CONTROL_INTERNAL;
}

const char *control_cmd_name(enum control_cmd cmd)
{
	if ((unsigned int)cmd >= ARRAY_SIZE(cmds))
		return "?";
	return cmds[cmd].name;
}

bool control_cmd_changes(enum control_cmd cmd)
{
	return (unsigned int)cmd < ARRAY_SIZE(cmds) && cmds[cmd].changes;
}

void control_error_set(struct control_error *err, enum control_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* Copy untrusted text for an error message: printable ASCII only, cut
 * short, so an answer never carries control bytes back to a terminal. */
static const char *printable(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len && n + 4 < size; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	return dst;
}

bool control_name_valid(const char *name, struct control_error *err)
{
	size_t len = strlen(name);
	char shown[80];

	/* the rule itself is proto's, so tetherctl, tetherd and the handshake
	 * can never disagree on a name */
	if (name_valid(name, len))
		return true;
	if (len == 0)
		control_error_set(err, CONTROL_BAD_REQUEST, "device name is empty");
	else if (len > CONTROL_NAME_MAX)
		control_error_set(err, CONTROL_BAD_REQUEST,
				  "device name \"%s\" is longer than %d characters",
				  printable(shown, sizeof(shown), name, len), CONTROL_NAME_MAX);
	else
		control_error_set(err, CONTROL_BAD_REQUEST,
				  "invalid device name \"%s\": use a-z, 0-9 and '-', "
				  "not starting with '-'",
				  printable(shown, sizeof(shown), name, len));
	return false;
}

bool control_key_valid(const char *key, struct control_error *err)
{
	uint8_t bin[WIRE_KEY_LEN];
	int ret = keys_from_base64(bin, key);

	explicit_bzero(bin, sizeof(bin));
	if (ret == 0)
		return true;
	/* a key is public, but a private key pasted by mistake might land
	 * here: say what is wrong without echoing it */
	control_error_set(err, CONTROL_BAD_REQUEST,
			  "invalid public key: expected %d characters of base64 (a 32-byte key), "
			  "got %zu characters",
			  CONTROL_KEY_LEN, strnlen(key, 1000));
	return false;
}

bool control_ttl_valid(long long ttl, struct control_error *err)
{
	if (ttl >= CONTROL_TTL_MIN && ttl <= CONTROL_TTL_MAX)
		return true;
	control_error_set(err, CONTROL_BAD_REQUEST,
			  "token lifetime %lld s is out of range (%d s to %d s)", ttl,
			  CONTROL_TTL_MIN, CONTROL_TTL_MAX);
	return false;
}

static unsigned int member_bit(const char *key)
{
	if (!strcmp(key, "name"))
		return M_NAME;
	if (!strcmp(key, "key"))
		return M_KEY;
	if (!strcmp(key, "token"))
		return M_TOKEN;
	if (!strcmp(key, "ttl"))
		return M_TTL;
	return 0;
}

/* Copy a string member into dst, which the validators then check. */
static int get_string(json_t *v, const char *member, char *dst, size_t size,
		      struct control_error *err)
{
	size_t len;

	if (!json_is_string(v)) {
		control_error_set(err, CONTROL_BAD_REQUEST, "\"%s\" must be a string", member);
		return -EINVAL;
	}
	len = json_string_length(v);
	if (len >= size) {
		control_error_set(err, CONTROL_BAD_REQUEST,
				  "\"%s\" is too long (%zu bytes, at most %zu)", member, len,
				  size - 1);
		return -EINVAL;
	}
	/* jansson refuses \u0000 unless asked, so the string has no NUL */
	memcpy(dst, json_string_value(v), len + 1);
	return 0;
}

static int parse_members(json_t *root, struct control_request *req, struct control_error *err)
{
	unsigned int allowed = cmds[req->cmd].members, seen = 0;

	for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it)) {
		const char *key = json_object_iter_key(it);
		json_t *v = json_object_iter_value(it);
		unsigned int bit = member_bit(key);
		char shown[80];

		if (!strcmp(key, "cmd"))
			continue;
		if (!(bit & allowed)) {
			control_error_set(err, CONTROL_BAD_REQUEST, "unknown member \"%s\" for %s",
					  printable(shown, sizeof(shown), key, strlen(key)),
					  cmds[req->cmd].name);
			return -EINVAL;
		}
		seen |= bit;
		switch (bit) {
		case M_NAME:
			if (get_string(v, "name", req->name, sizeof(req->name), err) < 0)
				return -EINVAL;
			if (!control_name_valid(req->name, err))
				return -EINVAL;
			break;
		case M_KEY:
			if (get_string(v, "key", req->key, sizeof(req->key), err) < 0)
				return -EINVAL;
			if (!control_key_valid(req->key, err))
				return -EINVAL;
			break;
		case M_TOKEN:
			if (!json_is_true(v)) {
				control_error_set(err, CONTROL_BAD_REQUEST,
						  "\"token\" must be true");
				return -EINVAL;
			}
			req->token = true;
			break;
		case M_TTL:
			if (!json_is_integer(v)) {
				control_error_set(err, CONTROL_BAD_REQUEST,
						  "\"ttl\" must be an integer (seconds)");
				return -EINVAL;
			}
			if (!control_ttl_valid(json_integer_value(v), err))
				return -EINVAL;
			req->ttl = (uint32_t)json_integer_value(v);
			break;
		}
	}

	if ((allowed & M_NAME) && !(seen & M_NAME)) {
		control_error_set(err, CONTROL_BAD_REQUEST, "%s needs \"name\"",
				  cmds[req->cmd].name);
		return -EINVAL;
	}
	if (req->cmd != CONTROL_CMD_DEVICE_ADD)
		return 0;
	if ((seen & M_KEY) && (seen & M_TOKEN)) {
		control_error_set(err, CONTROL_BAD_REQUEST,
				  "device.add takes \"key\" or \"token\", not both");
		return -EINVAL;
	}
	if (!(seen & (M_KEY | M_TOKEN))) {
		control_error_set(err, CONTROL_BAD_REQUEST,
				  "device.add needs \"key\" or \"token\"");
		return -EINVAL;
	}
	if ((seen & M_TTL) && !(seen & M_TOKEN)) {
		control_error_set(err, CONTROL_BAD_REQUEST, "\"ttl\" goes with \"token\" only");
		return -EINVAL;
	}
	return 0;
}

int control_request_parse(const char *line, size_t len, struct control_request *req,
			  struct control_error *err)
{
	json_error_t jerr;
	json_t *root = NULL, *cmd;
	const char *name;
	char shown[80];
	int ret = -EINVAL;

	memset(req, 0, sizeof(*req));
	req->ttl = CONTROL_TTL_DEFAULT;
	if (len > CONTROL_LINE_MAX) {
		control_error_set(err, CONTROL_BAD_REQUEST, "request longer than %d bytes",
				  CONTROL_LINE_MAX);
		goto out;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jansson quotes the offending input in its text */
		control_error_set(err, CONTROL_BAD_REQUEST, "invalid JSON at byte %d: %s",
				  jerr.position,
				  printable(shown, sizeof(shown), jerr.text, strlen(jerr.text)));
		goto out;
	}
	if (!json_is_object(root)) {
		control_error_set(err, CONTROL_BAD_REQUEST, "a request must be a JSON object");
		goto out;
	}
	cmd = json_object_get(root, "cmd");
	if (!cmd) {
		control_error_set(err, CONTROL_BAD_REQUEST, "missing \"cmd\"");
		goto out;
	}
	if (!json_is_string(cmd)) {
		control_error_set(err, CONTROL_BAD_REQUEST, "\"cmd\" must be a string");
		goto out;
	}
	name = json_string_value(cmd);
	for (req->cmd = 0; req->cmd < ARRAY_SIZE(cmds); req->cmd++)
		if (!strcmp(name, cmds[req->cmd].name))
			break;
	if (req->cmd == ARRAY_SIZE(cmds)) {
		control_error_set(err, CONTROL_BAD_REQUEST, "unknown command \"%s\"",
				  printable(shown, sizeof(shown), name, json_string_length(cmd)));
		goto out;
	}
	ret = parse_members(root, req, err);
out:
	json_decref(root);
	return ret;
}

json_t *control_request_json(const struct control_request *req)
{
	unsigned int members;
	json_t *o;
	int ret = 0;

	if ((unsigned int)req->cmd >= ARRAY_SIZE(cmds)) {
		errno = EINVAL;
		return NULL;
	}
	members = cmds[req->cmd].members;
	o = json_object();
	if (!o)
		goto nomem;
	ret |= json_object_set_new(o, "cmd", json_string(cmds[req->cmd].name));
	if (members & M_NAME)
		ret |= json_object_set_new(o, "name", json_string(req->name));
	if (req->cmd == CONTROL_CMD_DEVICE_ADD && req->token) {
		ret |= json_object_set_new(o, "token", json_true());
		ret |= json_object_set_new(o, "ttl", json_integer(req->ttl));
	} else if (req->cmd == CONTROL_CMD_DEVICE_ADD) {
		ret |= json_object_set_new(o, "key", json_string(req->key));
	}
	if (ret)
		goto nomem;
	return o;
nomem:
	json_decref(o);
	errno = ENOMEM;
	return NULL;
}

static void *json_wipe_alloc(size_t size)
{
	return malloc(size);
}

static void json_wipe_free(void *ptr)
{
	if (!ptr)
		return;
	sodium_memzero(ptr, malloc_usable_size(ptr));
	free(ptr);
}

void control_json_wipe_on_free(void)
{
	json_set_alloc_funcs(json_wipe_alloc, json_wipe_free);
}
