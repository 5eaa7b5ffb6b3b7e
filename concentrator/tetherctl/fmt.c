/* Human-readable forms of what tetherd answers. Kept apart from the
 * commands so every listing formats sizes and times the same way. */
#include "concentrator/tetherctl/fmt.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fmt_bytes(char buf[FMT_CELL], uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, FMT_CELL, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, FMT_CELL, "%.2f %s", v, units[u]);
	return buf;
}

const char *fmt_duration(char buf[FMT_CELL], uint64_t s)
{
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (d)
		snprintf(buf, FMT_CELL, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", d, h,
			 m, sec);
	else if (h)
		snprintf(buf, FMT_CELL, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m, sec);
	else if (m)
		snprintf(buf, FMT_CELL, "%" PRIu64 "m %" PRIu64 "s", m, sec);
	else
		snprintf(buf, FMT_CELL, "%" PRIu64 "s", sec);
	return buf;
}

const char *fmt_ago(char buf[FMT_CELL], time_t now, time_t t)
{
	int64_t d = (int64_t)now - (int64_t)t;
	bool future = d < 0;
	uint64_t a = future ? (uint64_t)-d : (uint64_t)d;
	const char *unit = "s";

	if (t == 0) {
		snprintf(buf, FMT_CELL, "-");
		return buf;
	}
	if (a >= 2 * 86400) {
		a /= 86400;
		unit = "d";
	} else if (a >= 2 * 3600) {
		a /= 3600;
		unit = "h";
	} else if (a >= 120) {
		a /= 60;
		unit = "m";
	}
	snprintf(buf, FMT_CELL, future ? "in %" PRIu64 "%s" : "%" PRIu64 "%s ago", a, unit);
	return buf;
}

const char *fmt_time(char buf[FMT_CELL], time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, FMT_CELL, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, FMT_CELL, "@%lld", (long long)t);
	return buf;
}

const char *fmt_member(char buf[FMT_CELL], const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		snprintf(buf, FMT_CELL, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, FMT_CELL, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, FMT_CELL, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, FMT_CELL, "-");
	return buf;
}

int64_t fmt_int(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

struct fmt_table *fmt_table_create(size_t cols, const unsigned int *right)
{
	struct fmt_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cols = cols;
	t->right = right;
	return t;
}

int fmt_table_add(struct fmt_table *t, const char *const *row)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		void *cells = reallocarray(t->cells, cap * t->cols, FMT_CELL);

		if (!cells)
			return -ENOMEM;
		t->cells = cells;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->cols; c++)
		snprintf(t->cells[t->rows * t->cols + c], FMT_CELL, "%s", row[c] ? row[c] : "-");
	t->rows++;
	return 0;
}

int fmt_table_print(const struct fmt_table *t)
{
	int width[16] = {0};
	size_t cols = t->cols < 16 ? t->cols : 16;

	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < cols; c++) {
			int len = (int)strlen(t->cells[r * t->cols + c]);

			if (len > width[c])
				width[c] = len;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < cols; c++) {
			const char *cell = t->cells[r * t->cols + c];
			bool last = c + 1 == cols;

			if (t->right && t->right[c])
				printf("%*s", width[c], cell);
			else if (last)
				fputs(cell, stdout);
			else
				printf("%-*s", width[c], cell);
			fputs(last ? "\n" : "  ", stdout);
		}
	}
	return ferror(stdout) ? -EIO : 0;
}

void fmt_table_free(struct fmt_table *t)
{
	if (!t)
		return;
	free(t->cells);
	free(t);
}
