/* Persistent, strictly increasing TIMESTAMPs: read, advance and write the
 * state file under a lock on its directory, so two processes of one device
 * (the daemon and `enroll`) never send the same stamp twice. */
#include "agent/stamp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/tai64n.h"

int stamp_init(struct stamp *s, const char *state_dir, char *err, size_t errlen)
{
	int n;

	memset(s, 0, sizeof(*s));
	n = snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, STAMP_FILE);
	if (n < 0 || (size_t)n >= sizeof(s->path) || strlen(state_dir) >= sizeof(s->dir)) {
		snprintf(err, errlen, "%s: state_dir too long", state_dir);
		return -ENAMETOOLONG;
	}
	memcpy(s->dir, state_dir, strlen(state_dir) + 1);
	return 0;
}

void stamp_format(char out[STAMP_TEXT_LEN + 1], const uint8_t ts[WIRE_TAI64N_LEN])
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '@';
	for (size_t i = 0; i < WIRE_TAI64N_LEN; i++) {
		out[1 + 2 * i] = hex[ts[i] >> 4];
		out[2 + 2 * i] = hex[ts[i] & 0xf];
	}
	out[STAMP_TEXT_LEN] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int stamp_parse(const char *buf, size_t len, uint8_t ts[WIRE_TAI64N_LEN])
{
	uint8_t v[WIRE_TAI64N_LEN];

	if (len == STAMP_TEXT_LEN + 1 && buf[STAMP_TEXT_LEN] == '\n')
		len--;
	if (len != STAMP_TEXT_LEN || buf[0] != '@')
		return -EINVAL;
	for (size_t i = 0; i < WIRE_TAI64N_LEN; i++) {
		int hi = nibble(buf[1 + 2 * i]), lo = nibble(buf[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		v[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(ts, v, sizeof(v));
	return 0;
}

int stamp_read(const char *path, uint8_t ts[WIRE_TAI64N_LEN])
{
	char buf[STAMP_TEXT_LEN + 2];
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		ret = -errno;
	else
		ret = stamp_parse(buf, (size_t)n, ts);
	close(fd);
	return ret;
}

/* Unix ns as TAI64N */
static void wall_tai(uint8_t out[WIRE_TAI64N_LEN], uint64_t wall_ns)
{
	tai64n_encode(out, wall_ns / WIRE_NSEC_PER_SEC, (uint32_t)(wall_ns % WIRE_NSEC_PER_SEC));
}

int stamp_next(struct stamp *s, uint64_t wall_ns, uint8_t out[WIRE_TAI64N_LEN], char *err,
	       size_t errlen)
{
	char text[STAMP_TEXT_LEN + 2];
	uint8_t ts[WIRE_TAI64N_LEN], disk[WIRE_TAI64N_LEN];
	int dfd, ret;

	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open state_dir %s: %s", s->dir, strerror(-ret));
		goto out;
	}
	if (flock(dfd, LOCK_EX)) {
		ret = -errno;
		snprintf(err, errlen, "cannot lock state_dir %s: %s", s->dir, strerror(-ret));
		goto out;
	}
	wall_tai(ts, wall_ns);
	ret = stamp_read(s->path, disk);
	if (ret == 0)
		tai64n_next(ts, ts, disk);
	else if (ret == -EINVAL)
		log_warn("%s: not a timestamp, replacing it (replay protection restarts from the "
			 "clock)",
			 s->path);
	else if (ret != -ENOENT) {
		/* the last stamp is unknown: sending could repeat one */
		snprintf(err, errlen, "cannot read %s: %s", s->path, strerror(-ret));
		goto out;
	}
	if (s->has_last)
		tai64n_next(ts, ts, s->last);
	stamp_format(text, ts);
	text[STAMP_TEXT_LEN] = '\n';
	ret = conf_write_file(s->path, text, STAMP_TEXT_LEN + 1, 0644, CONF_WRITE_REPLACE, err,
			      errlen);
	if (ret)
		goto out;
	memcpy(s->last, ts, sizeof(ts));
	s->has_last = true;
	memcpy(out, ts, sizeof(ts));
out:
	if (dfd >= 0)
		close(dfd); /* and the lock with it */
	return ret;
}
