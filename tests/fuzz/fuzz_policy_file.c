/* libFuzzer harness for the policy file parser, and for the renderer behind it: whatever the
 * parser accepts must render, and every error must be one bounded, terminated line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy pol;

/* nft refuses comments of 128 characters or more: the renderer must cut them. */
static void check_comments(const char *text)
{
	for (const char *c = strstr(text, "comment \""); c; c = strstr(c + 1, "comment \"")) {
		const char *end = strchr(c + 9, '"');

		if (!end || end - (c + 9) >= 128 || memchr(c + 9, '\n', (size_t)(end - (c + 9))))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct policy_device devs[] = {
		{.name = "an12345678", .ifname = "tt-an12345678", .addr4 = {0x02004064}},
		{.name = "an12345678901234",
		 .ifname = "tt-0a1b2c3d4e5f",
		 .addr4 = {0x03004064},
		 .has_addr6 = true,
		 .addr6 = {.s6_addr = {0xfd, [15] = 3}}},
	};
	struct policy_error err;
	char *text = NULL;
	int ret;

	policy_init(&pol);
	pol.proxy_uid = 998;
	ret = policy_file_parse(&pol, "policy.conf", (const char *)data, size, &err);
	if (ret) {
		if (strnlen(err.message, sizeof(err.message)) == sizeof(err.message) ||
		    strchr(err.message, '\n') || strncmp(err.message, "policy.conf:", 12))
			abort();
		return 0;
	}
	if (pol.nrules > POLICY_MAX_RULES)
		abort();
	if (policy_render(&pol, devs, 2, &text, &err) || !text)
		abort(); /* the parser let through something the renderer refuses */
	check_comments(text);
	free(text);
	if (policy_render_elements(&pol, devs, 2, POLICY_OP_REMOVE, &text, &err))
		abort();
	free(text);
	return 0;
}
