/* The control client: round trips with the real server (in a thread),
 * and every way tetherd can fail it - missing, silent, closing, talking
 * nonsense - ending in an error code within the timeout, never a hang. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "concentrator/control/control_client.h"
#include "control_fake.h"

static struct fake f;

static void setup(void)
{
	fake_init(&f);
}

static void teardown(void)
{
	fake_fini(&f);
}

TestSuite(control_client, .init = setup, .fini = teardown);

static uint64_t ms_now(void)
{
	return evloop_now() / 1000000;
}

/* A listening socket that we drive by hand (the server's stand-in). */
static int raw_listen(const char *name, char *path, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(path, size, "%s/%s", f.dir, name);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

Test(control_client, round_trip)
{
	struct control_client c;
	struct control_error err;
	struct control_request req = {.cmd = CONTROL_CMD_DEVICE_SHOW, .name = "an12345678"};
	json_t *rq = control_request_json(&req), *ans = NULL;

	fake_start(&f);
	cr_assert_eq(control_client_open(&c, f.rw_path, 1000), 0);
	cr_assert_eq(control_client_call(&c, rq, 2000, &ans, &err), 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ans, "device"), "name")),
			 "an12345678");
	json_decref(ans);
	json_decref(rq);

	/* a refusal carries tetherd's code and message */
	snprintf(req.name, sizeof(req.name), "ghost");
	rq = control_request_json(&req);
	cr_assert_eq(control_client_call(&c, rq, 2000, &ans, &err), -EREMOTEIO);
	cr_assert_null(ans);
	cr_assert_eq(err.code, CONTROL_NOT_FOUND);
	cr_assert_str_eq(err.msg, "no device named ghost");
	json_decref(rq);
	control_client_close(&c);
}

Test(control_client, watch_stream)
{
	struct control_client c;
	struct control_error err;
	struct control_request req = {.cmd = CONTROL_CMD_WATCH};
	json_t *rq = control_request_json(&req), *msg = NULL;
	const char *line;
	size_t len;

	fake_start(&f);
	cr_assert_eq(control_client_open(&c, f.ro_path, 1000), 0);
	cr_assert_eq(control_client_call(&c, rq, 2000, &msg, &err), 0);
	cr_assert_eq(json_array_size(json_object_get(msg, "devices")), 1);
	json_decref(msg);
	/* nothing more yet: a non-blocking read says so at once */
	cr_assert_eq(control_client_read_line(&c, 0, &line, &len), -EAGAIN);
	cr_assert_eq(control_client_read(&c, 100, &msg), -ETIMEDOUT);
	json_decref(rq);
	control_client_close(&c);
}

Test(control_client, missing_and_refused)
{
	struct control_client c;
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/none.sock", f.dir);
	cr_assert_eq(control_client_open(&c, path, 1000), -ENOENT);
	control_client_close(&c);
	fd = raw_listen("dead.sock", path, sizeof(path));
	close(fd);
	cr_assert_eq(control_client_open(&c, path, 1000), -ECONNREFUSED);
	cr_assert_eq(
		control_client_open(&c,
				    "/tmp/"
				    "a-path-far-too-long-for-a-unix-socket-address-"
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				    1000),
		-ENAMETOOLONG);
}

/* A server that accepts nothing and answers nothing: the call ends with
 * -ETIMEDOUT after about the timeout. */
Test(control_client, timeout)
{
	struct control_client c;
	struct control_error err;
	json_t *rq = json_pack("{s:s}", "cmd", "status"), *ans = NULL;
	char path[160];
	int lfd = raw_listen("silent.sock", path, sizeof(path));
	uint64_t start;

	cr_assert_eq(control_client_open(&c, path, 1000), 0);
	start = ms_now();
	cr_assert_eq(control_client_call(&c, rq, 300, &ans, &err), -ETIMEDOUT);
	cr_assert_geq(ms_now() - start, 290);
	cr_assert_lt(ms_now() - start, 1500);
	cr_assert_null(ans);
	control_client_close(&c);
	json_decref(rq);
	close(lfd);
}

/* Lines split across writes, a long line, a line that is not JSON, and
 * the server closing: each read says what happened. */
Test(control_client, lines_and_failures)
{
	struct control_client c;
	char path[160];
	int lfd = raw_listen("hand.sock", path, sizeof(path)), sfd;
	size_t big = 3u << 20, len;
	char *long_line = malloc(big + 3);
	const char *line;
	json_t *msg;

	cr_assert_eq(control_client_open(&c, path, 1000), 0);
	sfd = accept(lfd, NULL, NULL);
	cr_assert_geq(sfd, 0);

	cr_assert_eq(write(sfd, "{\"a\":", 5), 5);
	cr_assert_eq(control_client_read(&c, 0, &msg), -EAGAIN);
	cr_assert_eq(write(sfd, "1}\n[1]\nnonsense\n", 16), 16);
	cr_assert_eq(control_client_read(&c, 1000, &msg), 0);
	cr_assert_eq(json_integer_value(json_object_get(msg, "a")), 1);
	json_decref(msg);
	cr_assert_eq(control_client_read(&c, 1000, &msg), -EBADMSG);
	cr_assert_eq(control_client_read_line(&c, 1000, &line, &len), 0);
	cr_assert_str_eq(line, "nonsense");
	cr_assert_eq(len, 8);

	/* 3 MiB in one line, through a socket buffer much smaller: a
	 * writer in a child process, the reader here */
	memset(long_line, 'x', big + 3);
	long_line[0] = '"';
	long_line[big + 1] = '"';
	long_line[big + 2] = '\n';
	if (fork() == 0) {
		size_t off = 0;

		while (off < big + 3) {
			ssize_t n = write(sfd, long_line + off, big + 3 - off);

			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(0);
	}
	cr_assert_eq(control_client_read_line(&c, 5000, &line, &len), 0);
	cr_assert_eq(len, big + 2);

	close(sfd);
	cr_assert_eq(control_client_read_line(&c, 1000, &line, &len), -ECONNRESET);
	control_client_close(&c);
	close(lfd);
	free(long_line);
}

/* A server that answers with something other than an answer. */
Test(control_client, bad_answer)
{
	struct control_client c;
	struct control_error err;
	json_t *rq = json_pack("{s:s}", "cmd", "status"), *ans = NULL;
	char path[160];
	int lfd = raw_listen("odd.sock", path, sizeof(path)), sfd;

	cr_assert_eq(control_client_open(&c, path, 1000), 0);
	sfd = accept(lfd, NULL, NULL);
	cr_assert_eq(write(sfd, "{\"event\":\"online\"}\n{\"ok\":false,\"code\":\"busy\"}\n", 47),
		     47);
	cr_assert_eq(control_client_call(&c, rq, 1000, &ans, &err), -EBADMSG);
	cr_assert_eq(control_client_call(&c, rq, 1000, &ans, &err), -EREMOTEIO);
	cr_assert_eq(err.code, CONTROL_BUSY);
	cr_assert_str_eq(err.msg, "tetherd refused without saying why");
	close(sfd);
	cr_assert_eq(control_client_call(&c, rq, 1000, &ans, &err), -ECONNRESET);
	control_client_close(&c);
	json_decref(rq);
	close(lfd);
}
