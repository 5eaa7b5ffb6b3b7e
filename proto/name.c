/* Device names (PROTOCOL.md 2). One rule for the agent's configuration,
 * tetherctl and the concentrator's answer to message 1: a NAME that breaks
 * it is answered REJECTED, never silently dropped (3.5). */
#include "proto/name.h"

#include "proto/wire.h"

static bool lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool name_valid(const char *name, size_t len)
{
	size_t i;

	if (len < 1 || len > WIRE_NAME_MAX)
		return false;
	/* the first character may not be '-'; a trailing '-' is allowed */
	if (!lower_or_digit(name[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!lower_or_digit(name[i]) && name[i] != '-')
			return false;
	return true;
}
