/* Human output for tetherctl: byte counts, times and durations, JSON
 * members read leniently (a missing or null member prints as "-"), and
 * aligned tables. The --json forms never go through here. */
#ifndef TETHER_TETHERCTL_FMT_H
#define TETHER_TETHERCTL_FMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum {
	FMT_CELL = 128, /* one table cell or formatted value, NUL included */
};

/* "0 B", "512 B", "1.50 KiB", "3.20 MiB", ... */
const char *fmt_bytes(char buf[FMT_CELL], uint64_t bytes);
/* "3d 4h 5m 6s", "45s" */
const char *fmt_duration(char buf[FMT_CELL], uint64_t seconds);
/* "45s ago", "3m ago", "2h ago", "4d ago" ("in 23h" for the future);
 * "-" when t is 0 */
const char *fmt_ago(char buf[FMT_CELL], time_t now, time_t t);
/* "2025-11-22 01:00:00 UTC" in the local zone */
const char *fmt_time(char buf[FMT_CELL], time_t t);

/* A string member, or "-" when missing or null; numbers and booleans as
 * text ("yes"/"no"). */
const char *fmt_member(char buf[FMT_CELL], const json_t *obj, const char *key);
/* An integer member, or 0 when missing or not an integer. */
int64_t fmt_int(const json_t *obj, const char *key);

/* A table printed with aligned columns, two spaces apart. */
struct fmt_table {
	size_t cols, rows, cap;
	const unsigned int *right; /* per column: 1 to align right */
	char (*cells)[FMT_CELL];   /* rows * cols */
};

/* NULL with errno set */
struct fmt_table *fmt_table_create(size_t cols, const unsigned int *right);
/* Append one row of cols strings. Returns 0 or -ENOMEM. */
int fmt_table_add(struct fmt_table *t, const char *const *row);
/* Print it on stdout. Returns 0 or -errno. */
int fmt_table_print(const struct fmt_table *t);
void fmt_table_free(struct fmt_table *t);

#endif
