/* The agent's status file (agent/status.c): format and parse round trip,
 * atomic write and read back, hostile values kept on their line, and the
 * human and JSON forms. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/status.h"

static struct agent_status sample(void)
{
	struct agent_status st;

	memset(&st, 0, sizeof(st));
	st.state = STATUS_CONNECTED;
	st.pid = 4242;
	st.updated = 1700000100;
	strcpy(st.name, "an12345678");
	strcpy(st.interface, "tether0");
	strcpy(st.server, "gw.example.com:51900");
	strcpy(st.endpoint, "198.18.0.1:51900");
	strcpy(st.address, "100.64.0.7");
	strcpy(st.peer, "100.64.0.1");
	st.mtu = 1420;
	st.keepalive = 25;
	strcpy(st.url, "https://an12345678.remote.example.com");
	st.last_handshake = 1700000090;
	st.handshakes = 3;
	st.rx_bytes = 123456789012ULL;
	st.rx_packets = 1000;
	st.tx_bytes = 42;
	st.tx_packets = 7;
	st.drops = 5;
	st.filtered = 2;
	strcpy(st.drop_reasons, "port:2,decrypt:3");
	return st;
}

Test(agent_status, round_trip)
{
	struct agent_status st = sample(), back;
	char text[STATUS_TEXT_MAX];
	size_t len;

	for (int s = 0; s < STATUS_STATE_COUNT; s++) {
		st.state = (enum status_state)s;
		cr_assert_eq(status_format(&st, text, sizeof(text), &len), 0);
		cr_assert_eq(status_parse(&back, text, len), 0, "%.*s", (int)len, text);
		cr_expect(memcmp(&st, &back, sizeof(st)) == 0, "state %s",
			  status_state_str((enum status_state)s));
	}
	cr_expect_neq(strstr(text, "state=backing off\n"), NULL);
}

Test(agent_status, unknown_keys_and_comments_ignored)
{
	static const char text[] = "# written by a newer agent\nstate=connecting\nfuture=1\n"
				   "pid=7\n\nrx_bytes=9";
	struct agent_status st;

	cr_assert_eq(status_parse(&st, text, strlen(text)), 0);
	cr_expect_eq(st.state, STATUS_CONNECTING);
	cr_expect_eq(st.pid, 7);
	cr_expect_eq(st.rx_bytes, 9);
}

Test(agent_status, malformed)
{
	static const char *const bad[] = {
		"",						    /* no state */
		"pid=1\n",					    /* no state */
		"state=flying\n",				    /* unknown state */
		"state=connected\npid=x\n",			    /* not a number */
		"state=connected\nmtu=99999999999\n",		    /* past u32 */
		"state=connected\nrx_bytes=18446744073709551616\n", /* past u64 */
		"state=connected\nno equals sign\n",
	};
	struct agent_status st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(status_parse(&st, bad[i], strlen(bad[i])), -EINVAL, "accepted %s",
			     bad[i]);
}

Test(agent_status, text_is_sanitised)
{
	struct agent_status st = sample(), back;
	char text[STATUS_TEXT_MAX];
	static const char url[] = "http://x\nstate=disabled\x1b[2J";
	size_t len;

	status_set_text(st.url, sizeof(st.url), url, strlen(url));
	cr_expect_str_eq(st.url, "http://x?state=disabled?[2J");
	cr_assert_eq(status_format(&st, text, sizeof(text), &len), 0);
	cr_assert_eq(status_parse(&back, text, len), 0);
	cr_expect_eq(back.state, STATUS_CONNECTED);
	cr_expect_str_eq(back.url, st.url);
	/* bounded by the destination, and by a NUL in the source */
	status_set_text(st.name, 4, "abcdef", 6);
	cr_expect_str_eq(st.name, "abc");
	status_set_text(st.name, sizeof(st.name), "ab\0cd", 5);
	cr_expect_str_eq(st.name, "ab");
}

Test(agent_status, write_and_read)
{
	char dir[] = "/tmp/test_agent_status.XXXXXX", path[128], err[256], tmp[140];
	struct agent_status st = sample(), back;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, STATUS_FILE);
	cr_expect_eq(status_read(path, &back, err, sizeof(err)), -ENOENT);
	cr_assert_eq(status_write(path, &st, err, sizeof(err)), 0, "%s", err);
	st.rx_packets++;
	cr_assert_eq(status_write(path, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(status_read(path, &back, err, sizeof(err)), 0, "%s", err);
	cr_expect(memcmp(&st, &back, sizeof(st)) == 0);
	/* the temp file is gone after the rename */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_expect_neq(access(tmp, F_OK), 0);
	/* garbage is refused with the file named */
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("hello\n", f);
	fclose(f);
	cr_expect_eq(status_read(path, &back, err, sizeof(err)), -EINVAL);
	cr_expect_neq(strstr(err, path), NULL, "%s", err);
	unlink(path);
	rmdir(dir);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A write that fails (here: past RLIMIT_FSIZE, as on a full disk) still
 * closes the temp file: the daemon retries every second. */
Test(agent_status, failed_write_closes)
{
	char dir[] = "/tmp/test_agent_status.XXXXXX", path[128], err[256], tmp[140];
	struct agent_status st = sample();
	struct rlimit rl;
	int before;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, STATUS_FILE);
	cr_assert_neq(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = 16;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	before = open_fds();
	for (int i = 0; i < 8; i++)
		cr_expect_lt(status_write(path, &st, err, sizeof(err)), 0);
	cr_expect_eq(open_fds(), before, "a failed write leaked descriptors");
	/* no half-written file is left behind either */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_expect_neq(access(tmp, F_OK), 0);
	cr_expect_neq(access(path, F_OK), 0);
	rmdir(dir);
}

static char *render(const struct agent_status *st, bool running, bool json)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	cr_assert_not_null(f);
	if (json)
		cr_assert_eq(status_print_json(f, st, running), 0);
	else
		cr_assert_eq(status_print(f, st, running, 1700000100), 0);
	fclose(f);
	return out;
}

Test(agent_status, human)
{
	struct agent_status st = sample();
	char *out = render(&st, true, false);

	cr_expect_neq(strstr(out, "tether-agent: connected, pid 4242\n"), NULL, "%s", out);
	cr_expect_neq(strstr(out, "tether0, 100.64.0.7 peer 100.64.0.1, mtu 1420"), NULL, "%s",
		      out);
	cr_expect_neq(strstr(out, "last handshake:  10 s ago"), NULL, "%s", out);
	cr_expect_neq(strstr(out, "115.0 GiB received (1000 packets)"), NULL, "%s", out);
	cr_expect_neq(strstr(out, "port:2,decrypt:3"), NULL, "%s", out);
	free(out);

	out = render(&st, false, false);
	cr_expect_neq(strstr(out, "not running"), NULL, "%s", out);
	free(out);

	st.state = STATUS_BACKING_OFF;
	st.next_attempt = 1700000140;
	strcpy(st.last_error, "no answer from 198.18.0.1:51900");
	out = render(&st, true, false);
	cr_expect_neq(strstr(out, "next attempt:    in 40 s (no answer from 198.18.0.1:51900)"),
		      NULL, "%s", out);
	free(out);

	memset(&st, 0, sizeof(st));
	st.state = STATUS_DISABLED;
	st.pid = 9;
	out = render(&st, true, false);
	cr_expect_neq(strstr(out, "remote access off (server = none)"), NULL, "%s", out);
	free(out);
}

Test(agent_status, json)
{
	struct agent_status st = sample();
	char *out;

	strcpy(st.url, "say \"hi\" \\o/");
	out = render(&st, true, true);
	cr_expect_neq(strstr(out, "{\"state\":\"connected\",\"pid\":4242,"), NULL, "%s", out);
	cr_expect_neq(strstr(out, "\"url\":\"say \\\"hi\\\" \\\\o/\""), NULL, "%s", out);
	cr_expect_neq(strstr(out, "\"address6\":null"), NULL, "%s", out);
	cr_expect_neq(strstr(out, "\"next_attempt\":null"), NULL, "%s", out);
	cr_expect_neq(strstr(out, "\"rx_bytes\":123456789012,"), NULL, "%s", out);
	cr_expect_neq(strstr(out, "\"running\":true}\n"), NULL, "%s", out);
	free(out);
	/* a dead daemon's last word is "stopped" */
	out = render(&st, false, true);
	cr_expect_neq(strstr(out, "{\"state\":\"stopped\""), NULL, "%s", out);
	cr_expect_neq(strstr(out, "\"running\":false}"), NULL, "%s", out);
	free(out);
}
