/* tetherctl as an admin runs it: the built binary against the real
 * control server with a fake tetherd behind it, checking output, --json,
 * messages and the exit codes of INTERFACE.md (0 ok, 1 runtime, 2 usage). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_fake.h"

#define KEY "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
/* RFC 7748 6.1, Alice */
#define RFC_PRIV "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define RFC_PUB	 "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="

static struct fake f;

struct run {
	int code;
	char out[65536];
	char err[8192];
};

static void setup(void)
{
	fake_init(&f);
	fake_start(&f);
}

static void teardown(void)
{
	fake_fini(&f);
}

TestSuite(tetherctl, .init = setup, .fini = teardown);

/* build/tests/unit/test_tetherctl -> build/concentrator/tetherctl/tetherctl */
static const char *binary(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	cr_assert_gt(n, 0);
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../../concentrator/tetherctl/tetherctl", dirname(exe));
	cr_assert_eq(access(path, X_OK), 0, "%s: %s", path, strerror(errno));
	return path;
}

static void drain(int fd, char *buf, size_t size, size_t *len, bool *open)
{
	ssize_t n = read(fd, buf + *len, size - 1 - *len);

	if (n <= 0) {
		*open = false;
		return;
	}
	*len += (size_t)n;
	buf[*len] = '\0';
}

/* Run tetherctl with argv (NULL-terminated), stdin from in. */
static void run(struct run *r, const char *in, const char *const *args)
{
	const char *argv[32] = {"tetherctl"};
	int pin[2], pout[2], perr[2], status;
	size_t olen = 0, elen = 0;
	bool oo = true, eo = true;
	pid_t pid;
	int n = 1;

	memset(r, 0, sizeof(*r));
	for (; args[n - 1]; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	cr_assert_eq(pipe(pin), 0);
	cr_assert_eq(pipe(pout), 0);
	cr_assert_eq(pipe(perr), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		execv(binary(), (char **)argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (in)
		cr_assert_eq(write(pin[1], in, strlen(in)), (ssize_t)strlen(in));
	close(pin[1]);
	while (oo || eo) {
		struct pollfd p[2] = {{oo ? pout[0] : -1, POLLIN, 0},
				      {eo ? perr[0] : -1, POLLIN, 0}};

		cr_assert_gt(poll(p, 2, 10000), 0, "tetherctl hangs");
		if (p[0].revents)
			drain(pout[0], r->out, sizeof(r->out), &olen, &oo);
		if (p[1].revents)
			drain(perr[0], r->err, sizeof(r->err), &elen, &eo);
	}
	close(pout[0]);
	close(perr[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "tetherctl died: %d", status);
	r->code = WEXITSTATUS(status);
}

#define RUN(r, ...) run(r, NULL, (const char *const[]){__VA_ARGS__, NULL})

static void expect(const struct run *r, int code, const char *out, const char *err)
{
	cr_assert_eq(r->code, code, "exit %d, not %d; stdout: %s stderr: %s", r->code, code, r->out,
		     r->err);
	if (out)
		cr_assert_not_null(strstr(r->out, out), "stdout lacks \"%s\": %s", out, r->out);
	if (err)
		cr_assert_not_null(strstr(r->err, err), "stderr lacks \"%s\": %s", err, r->err);
}

static json_t *out_json(const struct run *r)
{
	json_error_t e;
	json_t *j = json_loads(r->out, 0, &e);

	cr_assert_not_null(j, "not JSON (%s): %s", e.text, r->out);
	return j;
}

Test(tetherctl, usage_errors_exit_2)
{
	static const char *const cases[][8] = {
		{"frob"},
		{"-x", "status"},
		{"-s"},
		{"device"},
		{"device", "frob"},
		{"device", "add"},
		{"device", "add", "a"},
		{"device", "add", "Bad", "--key", KEY},
		{"device", "add", "a", "--key", KEY, "--token"},
		{"device", "add", "a", "--key", "short"},
		{"device", "add", "a", "--key"},
		{"device", "add", "a", "--token", "--ttl", "5x"},
		{"device", "add", "a", "--token", "--ttl", "1h30m"},
		{"device", "add", "a", "--token", "--ttl", "h"},
		{"device", "add", "a", "--token", "--ttl", "10s"},
		{"device", "add", "a", "--token", "--ttl", "31d"},
		{"device", "add", "a", "--token", "--ttl", "99999999999999999999d"},
		{"device", "add", "a", "--key", KEY, "--ttl", "1h"},
		{"device", "add", "a", "--token", "--token"},
		{"device", "show"},
		{"device", "show", "a", "b"},
		{"device", "show", "a b"},
		{"device", "disable"},
		{"device", "remove", "-x"},
		{"device", "list", "--json=1"},
		{"status", "--bogus"},
		{"status", "extra"},
		{"genkey", "extra"},
		{"pubkey", "--json"},
	};
	struct run r;

	RUN(&r, "-s", f.rw_path);
	expect(&r, 2, NULL, "needs a command");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[12] = {"-s", f.rw_path};

		for (int j = 0; j < 8 && cases[i][j]; j++)
			argv[2 + j] = cases[i][j];
		run(&r, NULL, argv);
		cr_assert_eq(r.code, 2, "case %zu (%s %s %s): exit %d, stderr %s", i, cases[i][0],
			     cases[i][1] ? cases[i][1] : "", cases[i][2] ? cases[i][2] : "", r.code,
			     r.err);
		cr_assert(!strncmp(r.err, "tetherctl: ", 11), "case %zu: %s", i, r.err);
		cr_assert_not_null(strstr(r.err, "usage:"), "case %zu: %s", i, r.err);
	}
	cr_assert_eq(f.calls, 0, "a usage error reached tetherd");
}

Test(tetherctl, messages_name_the_problem)
{
	struct run r;

	RUN(&r, "-s", f.rw_path, "device", "add", "Bad", "--key", KEY);
	expect(&r, 2, NULL, "invalid device name \"Bad\"");
	RUN(&r, "-s", f.rw_path, "device", "add", "a", "--token", "--ttl", "5x");
	expect(&r, 2, NULL, "invalid --ttl \"5x\"");
	RUN(&r, "-s", f.rw_path, "device", "add", "a", "--token", "--ttl", "10s");
	expect(&r, 2, NULL, "out of range");
	RUN(&r, "-s", f.rw_path, "frob");
	expect(&r, 2, NULL, "unknown tetherctl command \"frob\"");
	RUN(&r, "-s", f.rw_path, "status", "--bogus");
	expect(&r, 2, NULL, "unknown option \"--bogus\"");
}

Test(tetherctl, help_exits_0)
{
	static const char *const cases[][4] = {
		{"--help"},
		{"-h"},
		{"help"},
		{"device", "--help"},
		{"device", "add", "--help"},
		{"device", "list", "-h"},
		{"status", "--help"},
		{"genkey", "--help"},
		{"pubkey", "-h"},
	};
	struct run r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[6] = {NULL};

		for (int j = 0; j < 4 && cases[i][j]; j++)
			argv[j] = cases[i][j];
		run(&r, NULL, argv);
		expect(&r, 0, "usage: tetherctl", NULL);
		cr_assert_str_eq(r.err, "");
	}
	RUN(&r, "--version");
	expect(&r, 0, "tetherctl ", NULL);
}

Test(tetherctl, no_socket_exits_1)
{
	char path[160], want[300];
	struct run r;

	snprintf(path, sizeof(path), "%s/missing.sock", f.dir);
	snprintf(want, sizeof(want),
		 "tetherctl: cannot connect to %s: No such file or directory (is tetherd "
		 "running?)\n",
		 path);
	RUN(&r, "-s", path, "status");
	cr_assert_eq(r.code, 1);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "");
	RUN(&r, "-s", path, "device", "list", "--json");
	cr_assert_eq(r.code, 1);
	cr_assert_str_eq(r.err, want);
}

Test(tetherctl, status)
{
	struct run r;
	json_t *j;

	RUN(&r, "-s", f.rw_path, "status");
	expect(&r, 0, "listen:     0.0.0.0:51900\n", NULL);
	expect(&r, 0, "public key: " KEY "\n", NULL);
	expect(&r, 0, "uptime:     1h 2m 5s\n", NULL);
	expect(&r, 0, "devices:    1 total, 1 active, 0 pending, 0 disabled, 0 online\n", NULL);
	RUN(&r, "--socket", f.rw_path, "status", "--json");
	expect(&r, 0, NULL, NULL);
	j = out_json(&r);
	cr_assert_str_eq(json_string_value(json_object_get(j, "domain")), "remote.example.com");
	json_decref(j);
}

Test(tetherctl, device_list_and_show)
{
	struct run r;
	json_t *j;

	RUN(&r, "-s", f.rw_path, "device", "list");
	expect(&r, 0, NULL, NULL);
	cr_assert(!strncmp(r.out,
			   "NAME        STATE   ADDRESS     ONLINE  ENDPOINT  LAST-HANDSHAKE       "
			   " RX   TX\n"
			   "an12345678  active  100.64.0.2  no      -         -               1.50 "
			   "KiB  0 B\n",
			   200),
		  "%s", r.out);
	RUN(&r, "-s", f.rw_path, "device", "list", "--json");
	expect(&r, 0, NULL, NULL);
	j = out_json(&r);
	cr_assert(json_is_array(j));
	cr_assert_eq(json_array_size(j), 1);
	cr_assert(json_is_null(json_object_get(json_array_get(j, 0), "endpoint")));
	json_decref(j);

	RUN(&r, "-s", f.rw_path, "device", "show", "an12345678");
	expect(&r, 0, "name:           an12345678\n", NULL);
	expect(&r, 0, "state:          active\n", NULL);
	expect(&r, 0, "last handshake: never\n", NULL);
	expect(&r, 0, "transfer:       1.50 KiB received, 0 B sent\n", NULL);
	RUN(&r, "-s", f.rw_path, "device", "show", "--json", "an12345678");
	j = out_json(&r);
	cr_assert_str_eq(json_string_value(json_object_get(j, "name")), "an12345678");
	json_decref(j);

	RUN(&r, "-s", f.rw_path, "device", "show", "ghost");
	expect(&r, 1, NULL, NULL);
	cr_assert_str_eq(r.err, "tetherctl: no device named ghost\n");
	cr_assert_str_eq(r.out, "");
}

Test(tetherctl, device_add_and_change)
{
	struct run r;
	json_t *j;

	RUN(&r, "-s", f.rw_path, "device", "add", "n1", "--key", KEY);
	expect(&r, 0, "state:          active\n", NULL);
	RUN(&r, "-s", f.rw_path, "device", "add", "n1", "--key=" KEY);
	expect(&r, 1, NULL, "tetherctl: device n1 exists\n");

	RUN(&r, "-s", f.rw_path, "device", "add", "t1", "--token", "--ttl", "2h");
	expect(&r, 0, "token:          tok-secret-123\n", NULL);
	expect(&r, 0,
	       "  tether-agent enroll --server GATEWAY:51900 --server-key " KEY
	       " --name t1 --token tok-secret-123\n",
	       NULL);
	RUN(&r, "-s", f.rw_path, "device", "add", "t2", "--token", "--json");
	j = out_json(&r);
	cr_assert_eq(json_integer_value(json_object_get(j, "token_expires")), 1763773200 + 86400);
	cr_assert_null(json_object_get(j, "ok"));
	json_decref(j);
	RUN(&r, "-s", f.rw_path, "device", "add", "t3", "--token", "--ttl=90m", "--json");
	j = out_json(&r);
	cr_assert_eq(json_integer_value(json_object_get(j, "token_expires")), 1763773200 + 5400);
	json_decref(j);
	RUN(&r, "-s", f.rw_path, "device", "add", "--token", "--ttl", "3600", "--json", "t4");
	j = out_json(&r);
	cr_assert_eq(json_integer_value(json_object_get(j, "token_expires")), 1763773200 + 3600);
	json_decref(j);

	RUN(&r, "-s", f.rw_path, "device", "disable", "n1");
	expect(&r, 0, NULL, NULL);
	cr_assert_str_eq(r.out, "");
	RUN(&r, "-s", f.rw_path, "device", "show", "n1", "--json");
	j = out_json(&r);
	cr_assert_str_eq(json_string_value(json_object_get(j, "state")), "disabled");
	json_decref(j);
	RUN(&r, "-s", f.rw_path, "device", "enable", "n1");
	expect(&r, 0, NULL, NULL);
	RUN(&r, "-s", f.rw_path, "device", "remove", "n1");
	expect(&r, 0, NULL, NULL);
	RUN(&r, "-s", f.rw_path, "device", "remove", "n1");
	expect(&r, 1, NULL, "tetherctl: no device named n1\n");
}

Test(tetherctl, read_only_socket)
{
	struct run r;

	RUN(&r, "-s", f.ro_path, "device", "disable", "an12345678");
	expect(&r, 1, NULL, "tetherctl: device.disable is refused on the read-only socket\n");
	RUN(&r, "-s", f.ro_path, "device", "list");
	expect(&r, 0, "an12345678", NULL);
}

Test(tetherctl, genkey_and_pubkey)
{
	struct run r, p;
	char key[64];

	RUN(&r, "genkey");
	expect(&r, 0, NULL, NULL);
	cr_assert_eq(strlen(r.out), 45);
	cr_assert_eq(r.out[44], '\n');
	memcpy(key, r.out, 46);
	run(&p, key, (const char *const[]){"pubkey", NULL});
	expect(&p, 0, NULL, NULL);
	cr_assert_eq(strlen(p.out), 45);
	cr_assert_str_neq(p.out, key);

	run(&p, RFC_PRIV "\n", (const char *const[]){"pubkey", NULL});
	expect(&p, 0, NULL, NULL);
	cr_assert_str_eq(p.out, RFC_PUB "\n");
	run(&p, RFC_PRIV, (const char *const[]){"pubkey", NULL});
	cr_assert_str_eq(p.out, RFC_PUB "\n");
	run(&p, RFC_PRIV "\r\n", (const char *const[]){"pubkey", NULL});
	cr_assert_str_eq(p.out, RFC_PUB "\n");

	run(&p, "", (const char *const[]){"pubkey", NULL});
	expect(&p, 1, NULL, "tetherctl: invalid private key on stdin");
	run(&p, RFC_PRIV "\n\n", (const char *const[]){"pubkey", NULL});
	expect(&p, 1, NULL, "invalid private key");
	run(&p, " " RFC_PRIV, (const char *const[]){"pubkey", NULL});
	expect(&p, 1, NULL, "invalid private key");
	run(&p,
	    "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=", (const char *const[]){"pubkey", NULL});
	expect(&p, 1, NULL, "invalid private key");
	/* the message never shows the key */
	cr_assert_null(strstr(p.err, "dwdt"));
	run(&p, RFC_PRIV RFC_PRIV RFC_PRIV, (const char *const[]){"pubkey", NULL});
	expect(&p, 1, NULL, "longer than 44");
}
