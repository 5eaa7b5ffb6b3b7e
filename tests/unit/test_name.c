/* The device-name rule ^[a-z0-9][a-z0-9-]{0,62}$ (proto/name.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/name.h"

static bool ok(const char *s)
{
	return name_valid(s, strlen(s));
}

Test(name, valid)
{
	static const char *const good[] = {
		"a",	      "0",
		"an12345678", "a-",
		"a--b",	      "9-9",
		"x0-",	      "an12345678-long-device-name-with-exactly-sixty-three-chars-z9x0",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(ok(good[i]), "refused %s", good[i]);
}

Test(name, invalid)
{
	static const char *const bad[] = {
		"",
		"-",
		"-a",
		"A",
		"aB",
		"a_b",
		"a.b",
		"a b",
		" a",
		"a ",
		"a/b",
		"a:b",
		"\xc3\xa9t\xc3\xa9",
		"a\n",
		"a*",
		"a@b",
		"an12345678-long-device-name-with-exactly-sixty-four-chars-z9x0ab",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!ok(bad[i]), "accepted %s", bad[i]);
}

Test(name, lengths)
{
	char s[80];

	memset(s, 'a', sizeof(s));
	cr_assert(name_valid(s, 63));
	cr_assert(!name_valid(s, 64));
	cr_assert(!name_valid(s, 0));
}

Test(name, every_byte)
{
	for (int c = 0; c < 256; c++) {
		char s[2] = {'a', (char)c};
		bool want = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';

		cr_assert_eq(name_valid(s, 2), want, "byte 0x%02x", c);
		s[0] = (char)c;
		cr_assert_eq(name_valid(s, 1), want && c != '-', "first byte 0x%02x", c);
	}
}

Test(name, nul_inside_is_invalid)
{
	cr_assert(!name_valid("ab\0cd", 5));
}
