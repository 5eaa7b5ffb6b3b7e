/* Persistent TIMESTAMPs (agent/stamp.c): the file's format, strictly
 * increasing stamps within a process and across "restarts" (a new struct
 * stamp on the same state_dir), a clock that steps back or stands still,
 * a corrupt file, and a state_dir that cannot be written. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/stamp.h"
#include "common/log.h"
#include "proto/tai64n.h"

#define SEC 1000000000ULL

static char dir[64];
static char err[512];

static void setup(void)
{
	strcpy(dir, "/tmp/test_agent_stamp.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	log_init("test", LOG_TARGET_STDERR, LOG_LEVEL_ERR);
}

static void teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, STAMP_FILE);
	unlink(path);
	rmdir(dir);
}

TestSuite(agent_stamp, .init = setup, .fini = teardown);

static void next(struct stamp *s, uint64_t wall, uint8_t out[12])
{
	cr_assert_eq(stamp_next(s, wall, out, err, sizeof(err)), 0, "%s", err);
}

Test(agent_stamp, format_and_parse)
{
	uint8_t ts[12], back[12];
	char text[STAMP_TEXT_LEN + 1];

	tai64n_encode(ts, 1700000000, 123456789);
	stamp_format(text, ts);
	cr_expect_str_eq(text, "@400000006553f100075bcd15");
	cr_assert_eq(stamp_parse(text, strlen(text), back), 0);
	cr_expect(memcmp(ts, back, 12) == 0);
	cr_assert_eq(stamp_parse("@400000006553f100075bcd15\n", 26, back), 0);
	cr_expect_eq(stamp_parse("400000006553f100075bcd15", 24, back), -EINVAL);
	cr_expect_eq(stamp_parse("@400000006553F100075BCD15", 25, back), -EINVAL);
	cr_expect_eq(stamp_parse("@400000006553f100075bcd1", 24, back), -EINVAL);
	cr_expect_eq(stamp_parse("@400000006553f100075bcd15\n\n", 27, back), -EINVAL);
}

Test(agent_stamp, follows_a_good_clock)
{
	struct stamp s;
	uint8_t a[12], want[12];

	cr_assert_eq(stamp_init(&s, dir, err, sizeof(err)), 0);
	next(&s, 1700000000 * SEC + 5, a);
	tai64n_encode(want, 1700000000, 5);
	cr_expect(memcmp(a, want, 12) == 0);
	next(&s, 1700000001 * SEC, a);
	tai64n_encode(want, 1700000001, 0);
	cr_expect(memcmp(a, want, 12) == 0);
}

Test(agent_stamp, never_repeats_when_the_clock_stands_or_steps_back)
{
	struct stamp s;
	uint8_t prev[12], cur[12];

	cr_assert_eq(stamp_init(&s, dir, err, sizeof(err)), 0);
	next(&s, 1700000000 * SEC, prev);
	for (int i = 0; i < 5; i++) {
		/* the same instant, then a clock set back to 1970 */
		next(&s, i < 2 ? 1700000000 * SEC : 0, cur);
		cr_expect_gt(tai64n_compare(cur, prev), 0, "round %d", i);
		memcpy(prev, cur, 12);
	}
}

Test(agent_stamp, increasing_across_restarts)
{
	struct stamp s1, s2;
	uint8_t first[12], on_disk[12], second[12];
	char path[128];

	cr_assert_eq(stamp_init(&s1, dir, err, sizeof(err)), 0);
	next(&s1, 1700000000 * SEC, first);
	/* the stamp is on disk before it is handed out */
	snprintf(path, sizeof(path), "%s/%s", dir, STAMP_FILE);
	cr_assert_eq(stamp_read(path, on_disk), 0);
	cr_expect(memcmp(first, on_disk, 12) == 0);
	/* a "restart" with no reliable clock: a new process, a clock at boot time */
	cr_assert_eq(stamp_init(&s2, dir, err, sizeof(err)), 0);
	next(&s2, 60 * SEC, second);
	cr_expect_gt(tai64n_compare(second, first), 0);
	/* two processes on one state_dir (enroll while the daemon runs) interleave */
	next(&s1, 61 * SEC, first);
	cr_expect_gt(tai64n_compare(first, second), 0);
}

Test(agent_stamp, corrupt_file_is_replaced)
{
	struct stamp s;
	uint8_t a[12], want[12];
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, STAMP_FILE);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("not a stamp\n", f);
	fclose(f);
	cr_assert_eq(stamp_init(&s, dir, err, sizeof(err)), 0);
	next(&s, 1700000000 * SEC, a);
	tai64n_encode(want, 1700000000, 0);
	cr_expect(memcmp(a, want, 12) == 0);
	cr_expect_eq(stamp_read(path, want), 0);
}

Test(agent_stamp, unwritable_state_dir_fails)
{
	struct stamp s;
	uint8_t a[12];
	char missing[128];

	snprintf(missing, sizeof(missing), "%s/missing", dir);
	cr_assert_eq(stamp_init(&s, missing, err, sizeof(err)), 0);
	cr_expect_lt(stamp_next(&s, 1700000000 * SEC, a, err, sizeof(err)), 0);
	cr_expect_neq(strstr(err, missing), NULL, "%s", err);
}
