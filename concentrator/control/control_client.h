/* The client end of the control protocol: connect to tetherd's socket,
 * send requests, read answer lines with a deadline, and follow a watch
 * stream (blocking with a timeout, or non-blocking from an event loop). */
#ifndef TETHER_CONTROL_CONTROL_CLIENT_H
#define TETHER_CONTROL_CONTROL_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "concentrator/control/control.h"

enum {
	/* an answer line may be long (device.list of every device), but
	 * not endless */
	CONTROL_CLIENT_LINE_MAX = 64 * 1024 * 1024,
};

struct control_client {
	int fd; /* register it in an event loop to follow a watch stream */
	char *buf;
	size_t off, len, cap;
};

/* Connect to the socket at path within timeout_ms. Returns 0 or -errno
 * (-ENOENT: no socket there, -ECONNREFUSED: nobody listens, -EACCES). */
int control_client_open(struct control_client *client, const char *path, int timeout_ms);

/* Close the connection; a closed client, or one that failed to open, is fine. */
void control_client_close(struct control_client *client);

/* Send one request line. Returns 0 or -errno (-ETIMEDOUT). */
int control_client_send(struct control_client *client, const json_t *request, int timeout_ms);

/* Read one line, waiting up to timeout_ms (0: only what has arrived; -1:
 * forever). *line points into the client's buffer, NUL-terminated without
 * its '\n', valid until the next call. Returns 0 or -errno: -EAGAIN
 * (timeout 0, no whole line yet), -ETIMEDOUT, -ECONNRESET (tetherd closed
 * the connection), -EMSGSIZE (longer than CONTROL_CLIENT_LINE_MAX). */
int control_client_read_line(struct control_client *client, int timeout_ms, const char **line,
			     size_t *len);

/* Read one line as a JSON object (an answer or a watch event) into *msg,
 * a new reference. Returns 0 or -errno as above, -EBADMSG if it is not a
 * JSON object. */
int control_client_read(struct control_client *client, int timeout_ms, json_t **msg);

/* Send a request and read its answer within timeout_ms in all. On
 * {"ok": true, ...} returns 0 with *answer set (a new reference); on
 * {"ok": false} returns -EREMOTEIO with err holding tetherd's code and
 * message; otherwise -errno as above. */
int control_client_call(struct control_client *client, const json_t *request, int timeout_ms,
			json_t **answer, struct control_error *err);

#endif
