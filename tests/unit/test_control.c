/* The control protocol's request parser and validators: every command's
 * shape, and every way a request can be wrong getting bad_request with a
 * message that names the problem. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "concentrator/control/control.h"

#define KEY "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="

static int parse(const char *line, struct control_request *req, struct control_error *err)
{
	memset(err, 0, sizeof(*err));
	return control_request_parse(line, strlen(line), req, err);
}

/* line must be refused with a message containing want */
static void refused(const char *line, const char *want)
{
	struct control_request req;
	struct control_error err;

	cr_assert_eq(parse(line, &req, &err), -EINVAL, "accepted: %s", line);
	cr_assert_eq(err.code, CONTROL_BAD_REQUEST, "%s", line);
	cr_assert_not_null(strstr(err.msg, want), "%s: message \"%s\" lacks \"%s\"", line, err.msg,
			   want);
}

Test(control, every_command)
{
	static const struct {
		const char *line;
		enum control_cmd cmd;
	} ok[] = {
		{"{\"cmd\":\"status\"}", CONTROL_CMD_STATUS},
		{"{\"cmd\":\"device.list\"}", CONTROL_CMD_DEVICE_LIST},
		{"{\"cmd\":\"device.show\",\"name\":\"an12345678\"}", CONTROL_CMD_DEVICE_SHOW},
		{"{\"cmd\":\"device.disable\",\"name\":\"a\"}", CONTROL_CMD_DEVICE_DISABLE},
		{"{\"cmd\":\"device.enable\",\"name\":\"0-\"}", CONTROL_CMD_DEVICE_ENABLE},
		{"{\"cmd\":\"device.remove\",\"name\":\"a-b\"}", CONTROL_CMD_DEVICE_REMOVE},
		{" {\"cmd\": \"watch\"} \r", CONTROL_CMD_WATCH},
	};
	struct control_request req;
	struct control_error err;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(parse(ok[i].line, &req, &err), 0, "%s: %s", ok[i].line, err.msg);
		cr_assert_eq(req.cmd, ok[i].cmd);
	}
}

Test(control, device_add)
{
	struct control_request req;
	struct control_error err;

	cr_assert_eq(
		parse("{\"cmd\":\"device.add\",\"name\":\"an1\",\"key\":\"" KEY "\"}", &req, &err),
		0, "%s", err.msg);
	cr_assert_str_eq(req.name, "an1");
	cr_assert_str_eq(req.key, KEY);
	cr_assert_not(req.token);

	cr_assert_eq(parse("{\"cmd\":\"device.add\",\"name\":\"an1\",\"token\":true}", &req, &err),
		     0, "%s", err.msg);
	cr_assert(req.token);
	cr_assert_eq(req.ttl, CONTROL_TTL_DEFAULT);
	cr_assert_str_eq(req.key, "");

	cr_assert_eq(parse("{\"ttl\":3600,\"cmd\":\"device.add\",\"name\":\"an1\",\"token\":true}",
			   &req, &err),
		     0, "%s", err.msg);
	cr_assert_eq(req.ttl, 3600);
}

Test(control, malformed_json)
{
	refused("", "invalid JSON");
	refused("{", "invalid JSON");
	refused("{\"cmd\":\"status\"} x", "invalid JSON");
	refused("{\"cmd\":\"status\",\"cmd\":\"status\"}", "duplicate");
	refused("[\"status\"]", "must be a JSON object");
	refused("\"status\"", "invalid JSON");
	refused("{\"cmd\":\"st\\u0000atus\"}", "invalid JSON");
	refused("{\"cmd\":\"\xff\"}", "invalid JSON");
}

Test(control, embedded_nul)
{
	struct control_request req;
	struct control_error err;
	const char line[] = "{\"cmd\":\"status\"}\0junk";

	cr_assert_eq(control_request_parse(line, sizeof(line) - 1, &req, &err), -EINVAL);
}

Test(control, unknown_cmd_and_members)
{
	refused("{}", "missing \"cmd\"");
	refused("{\"cmd\":\"reboot\"}", "unknown command \"reboot\"");
	refused("{\"cmd\":\"\\u001b[31m\"}", "unknown command \"?[31m\"");
	refused("{\"cmd\":\"status\",\"name\":\"a\"}", "unknown member \"name\" for status");
	refused("{\"cmd\":\"device.show\",\"nmae\":\"a\"}", "unknown member \"nmae\"");
	refused("{\"cmd\":\"device.show\",\"name\":\"a\",\"key\":\"" KEY "\"}",
		"unknown member \"key\"");
	refused("{\"cmd\":\"device.list\",\"ttl\":60}", "unknown member \"ttl\"");
}

Test(control, wrong_types)
{
	refused("{\"cmd\":1}", "\"cmd\" must be a string");
	refused("{\"cmd\":null}", "\"cmd\" must be a string");
	refused("{\"cmd\":\"device.show\",\"name\":5}", "\"name\" must be a string");
	refused("{\"cmd\":\"device.show\",\"name\":[\"a\"]}", "\"name\" must be a string");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":false}",
		"\"token\" must be true");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":1}", "\"token\" must be true");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,\"ttl\":\"1h\"}",
		"\"ttl\" must be an integer");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,\"ttl\":3600.0}",
		"\"ttl\" must be an integer");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"key\":7}", "\"key\" must be a string");
}

Test(control, names)
{
	char long_name[80];

	refused("{\"cmd\":\"device.show\"}", "device.show needs \"name\"");
	refused("{\"cmd\":\"device.show\",\"name\":\"\"}", "device name is empty");
	refused("{\"cmd\":\"device.show\",\"name\":\"Foo\"}", "invalid device name \"Foo\"");
	refused("{\"cmd\":\"device.show\",\"name\":\"-a\"}", "invalid device name");
	refused("{\"cmd\":\"device.show\",\"name\":\"a.b\"}", "invalid device name");
	refused("{\"cmd\":\"device.show\",\"name\":\"a b\"}", "invalid device name");
	refused("{\"cmd\":\"device.show\",\"name\":\"\\u00e9\"}", "invalid device name");
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	cr_assert_not(control_name_valid(long_name, NULL));
	long_name[63] = '\0';
	cr_assert(control_name_valid(long_name, NULL));
	cr_assert(control_name_valid("0", NULL));
	cr_assert(control_name_valid("a-", NULL));
	refused("{\"cmd\":\"device.show\",\"name\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		"\"name\" is too long");
}

Test(control, keys)
{
	struct control_error err;

	cr_assert(control_key_valid(KEY, &err));
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"key\":\"abc\"}", "invalid public key");
	/* 44 characters but not canonical: the last symbol's low bits set */
	cr_assert_not(control_key_valid("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykx=", &err));
	cr_assert_not(control_key_valid("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8yk==", &err));
	cr_assert_not(control_key_valid("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw", &err));
	cr_assert_not(control_key_valid("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8yk-=", &err));
	cr_assert_not(control_key_valid(" HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", &err));
	/* the message never echoes what might be a private key */
	cr_assert_null(strstr(err.msg, "HIgo"));
}

Test(control, add_shape_and_ttl)
{
	refused("{\"cmd\":\"device.add\",\"name\":\"a\"}", "needs \"key\" or \"token\"");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,\"key\":\"" KEY "\"}",
		"not both");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"key\":\"" KEY "\",\"ttl\":60}",
		"\"ttl\" goes with \"token\"");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,\"ttl\":59}",
		"out of range");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,\"ttl\":2592001}",
		"out of range");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,\"ttl\":-1}",
		"out of range");
	refused("{\"cmd\":\"device.add\",\"name\":\"a\",\"token\":true,"
		"\"ttl\":99999999999999999999999}",
		"invalid JSON");
	cr_assert(control_ttl_valid(60, NULL));
	cr_assert(control_ttl_valid(30 * 86400, NULL));
}

Test(control, too_long)
{
	static char line[CONTROL_LINE_MAX + 2];
	struct control_request req;
	struct control_error err;

	memset(line, ' ', sizeof(line) - 1);
	memcpy(line, "{\"cmd\":\"status\"}", 16);
	cr_assert_eq(control_request_parse(line, CONTROL_LINE_MAX, &req, &err), 0);
	cr_assert_eq(control_request_parse(line, CONTROL_LINE_MAX + 1, &req, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "longer than 4096"));
}

Test(control, codes_round_trip)
{
	for (int c = CONTROL_OK; c <= CONTROL_INTERNAL; c++)
		cr_assert_eq(control_code_parse(control_code_name(c)), c);
	cr_assert_str_eq(control_code_name(CONTROL_READ_ONLY), "read_only");
	cr_assert_eq(control_code_parse("nonsense"), CONTROL_INTERNAL);
	cr_assert_eq(control_code_parse(NULL), CONTROL_INTERNAL);
	cr_assert_str_eq(control_code_name(99), "internal");
	cr_assert(control_cmd_changes(CONTROL_CMD_DEVICE_ADD));
	cr_assert(control_cmd_changes(CONTROL_CMD_DEVICE_REMOVE));
	cr_assert_not(control_cmd_changes(CONTROL_CMD_WATCH));
	cr_assert_not(control_cmd_changes(CONTROL_CMD_DEVICE_SHOW));
}

/* What a client builds, the server parses back to the same request. */
Test(control, request_json_round_trip)
{
	struct control_request in[] = {
		{.cmd = CONTROL_CMD_STATUS},
		{.cmd = CONTROL_CMD_DEVICE_SHOW, .name = "an1"},
		{.cmd = CONTROL_CMD_DEVICE_ADD, .name = "an1", .key = KEY},
		{.cmd = CONTROL_CMD_DEVICE_ADD, .name = "an1", .token = true, .ttl = 600},
		{.cmd = CONTROL_CMD_WATCH},
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct control_request out;
		struct control_error err;
		json_t *j = control_request_json(&in[i]);
		char *line = json_dumps(j, JSON_COMPACT);

		cr_assert_not_null(line);
		cr_assert_eq(parse(line, &out, &err), 0, "%s: %s", line, err.msg);
		cr_assert_eq(out.cmd, in[i].cmd);
		cr_assert_str_eq(out.name, in[i].name);
		cr_assert_str_eq(out.key, in[i].key);
		cr_assert_eq(out.token, in[i].token);
		if (in[i].token)
			cr_assert_eq(out.ttl, in[i].ttl);
		free(line);
		json_decref(j);
	}
}
