/* Every drop reason has a distinct, printable name. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/reason.h"

Test(reason, names_are_distinct)
{
	for (int i = 0; i < PROTO_REASON_COUNT; i++) {
		const char *a = proto_reason_str(i);
		cr_assert_neq(strcmp(a, "unknown"), 0, "reason %d has no name", i);
		for (int j = i + 1; j < PROTO_REASON_COUNT; j++)
			cr_assert_neq(strcmp(a, proto_reason_str(j)), 0, "%d and %d share %s", i, j, a);
	}
}

Test(reason, out_of_range)
{
	cr_assert_str_eq(proto_reason_str(PROTO_REASON_COUNT), "unknown");
	cr_assert_str_eq(proto_reason_str(-1), "unknown");
}
