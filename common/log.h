/* One logging module for every Tether process: to stderr (foreground, -d)
 * or syslog, with levels. Per-packet events are counters, never log lines;
 * log_ratelimit() guards the few debug lines an attacker could provoke. */
#ifndef TETHER_COMMON_LOG_H
#define TETHER_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
};

void log_init(const char *ident, enum log_target target, enum log_level level);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_close(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_enabled(LOG_LEVEL_DEBUG))                                                  \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                     \
	} while (0)

/* A token bucket: at most `burst` lines, refilled at `per_sec` a second.
 * `now` is CLOCK_MONOTONIC in nanoseconds. Returns true if a line may go. */
struct log_ratelimit {
	uint64_t last;
	uint32_t tokens;
	uint32_t burst;
	uint32_t per_sec;
	uint64_t suppressed;
};

bool log_ratelimit(struct log_ratelimit *rl, uint64_t now);

#endif
