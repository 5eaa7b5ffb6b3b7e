/* The TIMESTAMP of message 1, strictly increasing across restarts even
 * without a reliable clock (PROTOCOL.md 3.5): the last one sent is kept in
 * state_dir/timestamp and each new one is max(now, last + 1 ns), stored
 * before the message that carries it is sent. The file holds the TAI64N
 * label as daemontools prints it: "@" and 24 hex digits. */
#ifndef TETHER_AGENT_STAMP_H
#define TETHER_AGENT_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "proto/wire.h"

#define STAMP_FILE "timestamp"

enum stamp_sizes {
	STAMP_TEXT_LEN = 1 + 2 * WIRE_TAI64N_LEN, /* "@" and 24 hex digits, then "\n" */
	STAMP_PATH_MAX = CONF_PATH_MAX + sizeof("/" STAMP_FILE),
};

struct stamp {
	char dir[CONF_PATH_MAX + 1];
	char path[STAMP_PATH_MAX + 1];
	uint8_t last[WIRE_TAI64N_LEN]; /* the last one this process stored */
	bool has_last;
};

/* Where the stamps live; nothing is read yet. -ENAMETOOLONG. */
int stamp_init(struct stamp *s, const char *state_dir, char *err, size_t errlen);

/* The next TIMESTAMP for a message 1 at wall-clock time wall_ns (Unix ns):
 * max(now, last + 1 ns) over the file and this process's own last one,
 * written to the file (atomically, fsync'd) before it is returned. The
 * state_dir is locked meanwhile, so `enroll` and a running daemon never
 * hand out the same stamp. A file that is not a stamp is overwritten with a
 * warning. -errno with err naming the file when it cannot be written: then
 * the message must not be sent. */
int stamp_next(struct stamp *s, uint64_t wall_ns, uint8_t out[WIRE_TAI64N_LEN], char *err,
	       size_t errlen);

/* "@4000000065a1b2c30a1b2c3d" and a NUL. */
void stamp_format(char out[STAMP_TEXT_LEN + 1], const uint8_t ts[WIRE_TAI64N_LEN]);

/* The inverse, with an optional trailing newline; -EINVAL otherwise. */
int stamp_parse(const char *buf, size_t len, uint8_t ts[WIRE_TAI64N_LEN]);

/* The stamp in path: 0, -ENOENT when there is none, -EINVAL when the file
 * holds something else, or the error of reading it. */
int stamp_read(const char *path, uint8_t ts[WIRE_TAI64N_LEN]);

#endif
