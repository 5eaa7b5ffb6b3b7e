/* The control request parser on arbitrary bytes: it never crashes, a
 * refusal is bad_request with a printable message, and an accepted
 * request obeys every rule and survives the client's encoding unchanged. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator/control/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(const struct control_error *err)
{
	size_t len = strnlen(err->msg, sizeof(err->msg));

	assert(err->code == CONTROL_BAD_REQUEST);
	assert(len > 0 && len < sizeof(err->msg));
	/* it goes back in a JSON string and onto an admin's terminal */
	for (size_t i = 0; i < len; i++)
		assert(err->msg[i] >= 0x20 && err->msg[i] < 0x7f);
}

static void check_request(const struct control_request *req)
{
	struct control_request again;
	struct control_error err;
	json_t *j;
	char *line;

	switch (req->cmd) {
	case CONTROL_CMD_DEVICE_ADD:
		assert(req->token != (req->key[0] != '\0'));
		assert(req->token ? control_ttl_valid(req->ttl, NULL)
				  : control_key_valid(req->key, NULL));
		/* fall through */
	case CONTROL_CMD_DEVICE_SHOW:
	case CONTROL_CMD_DEVICE_DISABLE:
	case CONTROL_CMD_DEVICE_ENABLE:
	case CONTROL_CMD_DEVICE_REMOVE:
		assert(control_name_valid(req->name, NULL));
		break;
	case CONTROL_CMD_STATUS:
	case CONTROL_CMD_DEVICE_LIST:
	case CONTROL_CMD_WATCH:
		assert(req->name[0] == '\0' && req->key[0] == '\0' && !req->token);
		break;
	default:
		abort();
	}

	j = control_request_json(req);
	assert(j);
	line = json_dumps(j, JSON_COMPACT);
	assert(line && !strchr(line, '\n'));
	assert(control_request_parse(line, strlen(line), &again, &err) == 0);
	assert(again.cmd == req->cmd && again.token == req->token);
	assert(!strcmp(again.name, req->name) && !strcmp(again.key, req->key));
	assert(!req->token || again.ttl == req->ttl);
	free(line);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req;
	struct control_error err = {CONTROL_OK, ""};

	if (control_request_parse((const char *)data, size, &req, &err) < 0)
		check_refusal(&err);
	else
		check_request(&req);
	return 0;
}
