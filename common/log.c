/* Logging to stderr or syslog. Lines carry the level name on stderr so a
 * foreground run reads like the journal. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static enum log_target target = LOG_TARGET_STDERR;
static enum log_level max_level = LOG_LEVEL_INFO;
static const char *log_ident = "tether";

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warning";
	case LOG_LEVEL_NOTICE:
		return "notice";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "?";
}

void log_init(const char *ident, enum log_target to, enum log_level level)
{
	log_ident = ident;
	target = to;
	max_level = level;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	max_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= max_level;
}

void log_close(void)
{
	if (target == LOG_TARGET_SYSLOG)
		closelog();
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	if (target == LOG_TARGET_SYSLOG) {
		vsyslog((int)level, fmt, ap);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32] = "";

		if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm))
			snprintf(stamp, sizeof(stamp), "%02d:%02d:%02d.%03ld ", tm.tm_hour,
				 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
		flockfile(stderr);
		fprintf(stderr, "%s%s: %s: ", stamp, log_ident, level_name(level));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
}

bool log_ratelimit(struct log_ratelimit *rl, uint64_t now)
{
	uint64_t refill;

	if (rl->per_sec && now > rl->last) {
		refill = (now - rl->last) * rl->per_sec / 1000000000ULL;
		if (refill) {
			rl->tokens = refill >= rl->burst - rl->tokens ? rl->burst
								       : rl->tokens + (uint32_t)refill;
			rl->last = now;
		}
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	return true;
}
