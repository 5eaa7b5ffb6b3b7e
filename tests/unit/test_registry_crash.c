/* Crash safety of the registry: a child adds and enrolls devices and reports
 * each acknowledged change on a pipe; it is SIGKILLed at random moments and
 * every acknowledged change must be there after. CRASH_SEED=n repeats a run. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "concentrator/tetherd/pool.h"
#include "concentrator/tetherd/registry.h"

#define ROUNDS	     20
#define MAX_DELAY_MS 500
#define NOW	     1800000000
#define NAME_SIZE    32

/* What the child said it had done: K added with a key, P added pending
 * with a token, E enrolled (key pinned). */
struct ack {
	char kind;
	char name[NAME_SIZE];
};

static char tmp[64];
static char state[96];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/tether-crash.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(state, sizeof(state), "%s/state", tmp);
}

static void teardown(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void config(struct registry_config *cfg)
{
	/* a /8: a fast disk may add tens of thousands of devices in a run */
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_dir = state;
	cfg->pool_prefix = 8;
	inet_pton(AF_INET, "10.0.0.0", &cfg->pool);
	inet_pton(AF_INET, "10.0.0.1", &cfg->gateway);
}

static void key_of(uint8_t key[REGISTRY_KEY_LEN], const char *name)
{
	crypto_generichash(key, REGISTRY_KEY_LEN, (const uint8_t *)name, strlen(name), NULL, 0);
}

/* One short write() per line: atomic on a pipe, so a kill never splits it. */
static void tell(int fd, char kind, const char *name)
{
	char line[NAME_SIZE + 4];
	int len = snprintf(line, sizeof(line), "%c %s\n", kind, name);

	if (write(fd, line, (size_t)len) != len)
		_exit(3);
}

static void fail_child(int fd, const char *what, const char *msg)
{
	char line[REGISTRY_MSG_SIZE + 64];
	int len = snprintf(line, sizeof(line), "F %s: %.200s\n", what, msg);

	(void)!write(fd, line, (size_t)len);
	_exit(2);
}

/* Never returns; the parent kills it. */
static void child(int fd, int round)
{
	char msg[REGISTRY_MSG_SIZE] = "", name[NAME_SIZE], token[REGISTRY_TOKEN_LEN + 1];
	struct registry_config cfg;
	enum registry_outcome outcome;
	uint8_t key[REGISTRY_KEY_LEN];
	struct registry *reg;

	config(&cfg);
	if (registry_open(&reg, &cfg, msg, sizeof(msg)))
		fail_child(fd, "open", msg);
	for (int i = 0; i < 1000000; i++) {
		snprintf(name, sizeof(name), "r%02d-%06d", round, i);
		key_of(key, name);
		if (i % 2 == 0) {
			if (registry_add_key(reg, name, key, NOW, NULL, msg, sizeof(msg)))
				fail_child(fd, "add", msg);
			tell(fd, 'K', name);
			continue;
		}
		if (registry_add_token(reg, name, 3600, NOW, token, NULL, msg, sizeof(msg)))
			fail_child(fd, "add --token", msg);
		tell(fd, 'P', name);
		if (registry_enroll(reg, name, token, strlen(token), key, NOW, &outcome, NULL, msg,
				    sizeof(msg)) ||
		    outcome != REGISTRY_OK)
			fail_child(fd, "enroll", msg);
		tell(fd, 'E', name);
	}
	_exit(0);
}

struct acks {
	struct ack *a;
	size_t n, cap;
	char partial[64]; /* a line not yet complete */
	size_t plen;
};

static void take_line(struct acks *acks, const char *line)
{
	struct ack *a;

	cr_assert_neq(line[0], 'F', "child failed: %s", line + 2);
	cr_assert(strchr("KPE", line[0]) && line[1] == ' ' && strlen(line + 2) < NAME_SIZE,
		  "garbled line \"%s\"", line);
	if (acks->n == acks->cap) {
		acks->cap = acks->cap ? acks->cap * 2 : 1024;
		acks->a = realloc(acks->a, acks->cap * sizeof(*acks->a));
		cr_assert_not_null(acks->a);
	}
	a = &acks->a[acks->n++];
	a->kind = line[0];
	snprintf(a->name, sizeof(a->name), "%s", line + 2);
}

/* Read what is there; false at end of file. */
static bool drain(int fd, struct acks *acks)
{
	char buf[4096];
	ssize_t len = read(fd, buf, sizeof(buf));

	if (len < 0 && errno == EINTR)
		return true;
	cr_assert_geq(len, 0, "read: %s", strerror(errno));
	for (ssize_t i = 0; i < len; i++) {
		if (buf[i] != '\n') {
			cr_assert_lt(acks->plen, sizeof(acks->partial) - 1, "line too long");
			acks->partial[acks->plen++] = buf[i];
			continue;
		}
		acks->partial[acks->plen] = '\0';
		take_line(acks, acks->partial);
		acks->plen = 0;
	}
	return len > 0;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void integrity_check(const struct acks *acks)
{
	char path[160];
	struct stat st;
	sqlite3 *db;
	sqlite3_stmt *q;

	snprintf(path, sizeof(path), "%s/registry.db", state);
	/* killed before it created the file: then it acknowledged nothing */
	if (stat(path, &st) && errno == ENOENT) {
		cr_assert_eq(acks->n, 0);
		return;
	}
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK,
		     "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW, "%s", sqlite3_errmsg(db));
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "ok");
	cr_assert_eq(sqlite3_step(q), SQLITE_DONE, "more than one integrity problem");
	cr_assert_eq(sqlite3_finalize(q), SQLITE_OK);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

/* Every acknowledged change from index `from` on is in the registry. */
static void verify(const struct acks *acks, size_t from)
{
	char msg[REGISTRY_MSG_SIZE] = "";
	struct registry_config cfg;
	struct registry_device dev;
	uint8_t key[REGISTRY_KEY_LEN];
	struct registry *reg;
	int ret;

	config(&cfg);
	ret = registry_open(&reg, &cfg, msg, sizeof(msg));
	cr_assert_eq(ret, 0, "reopen after kill: %d %s", ret, msg);
	for (size_t i = from; i < acks->n; i++) {
		const struct ack *a = &acks->a[i];

		ret = registry_get_by_name(reg, a->name, &dev, msg, sizeof(msg));
		cr_assert_eq(ret, 0, "acknowledged %c %s lost: %s", a->kind, a->name, msg);
		key_of(key, a->name);
		if (a->kind == 'P' && dev.state == REGISTRY_PENDING) {
			/* its enrollment may have committed unacknowledged */
			cr_assert(!dev.has_key);
			continue;
		}
		cr_assert_eq(dev.state, REGISTRY_ACTIVE, "%s is %s", a->name,
			     registry_state_str(dev.state));
		cr_assert(dev.has_key);
		cr_assert_arr_eq(dev.public_key, key, REGISTRY_KEY_LEN, "%s has another key",
				 a->name);
		cr_assert_eq(ntohl(dev.address4.s_addr) >> 24, 10, "%s: address outside the pool",
			     a->name);
	}
	registry_close(reg);
}

Test(registry_crash, acknowledged_changes_survive_kill9, .init = setup, .fini = teardown,
     .timeout = 60)
{
	struct acks acks = {0};
	const char *env = getenv("CRASH_SEED");
	unsigned int seed = env ? (unsigned int)strtoul(env, NULL, 10)
				: (unsigned int)time(NULL) ^ (unsigned int)getpid();
	int64_t started = ms_now();
	int killed_busy = 0;

	cr_log_info("CRASH_SEED=%u", seed);
	srand(seed);
	for (int round = 0; round < ROUNDS; round++) {
		size_t before = acks.n;
		int p[2], status;
		int64_t deadline;
		pid_t pid;
		/* every fourth round dies early: during open, creation, recovery */
		int delay = round % 4 == 0 ? rand() % 30 : rand() % MAX_DELAY_MS;

		cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
		pid = fork();
		cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
		if (pid == 0) {
			close(p[0]);
			child(p[1], round);
		}
		close(p[1]);

		deadline = ms_now() + delay;
		for (int64_t left; (left = deadline - ms_now()) > 0;) {
			struct pollfd pfd = {.fd = p[0], .events = POLLIN};
			int n = poll(&pfd, 1, (int)left);

			cr_assert_geq(n, 0, "poll: %s", strerror(errno));
			if (n > 0 && !drain(p[0], &acks))
				break;
		}
		cr_assert_eq(kill(pid, SIGKILL), 0);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		/* the child died of the kill, not of its own failure */
		if (!WIFSIGNALED(status)) {
			while (drain(p[0], &acks))
				;
			cr_assert_fail("child exited with %d before the kill",
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		while (drain(p[0], &acks))
			;
		close(p[0]);
		if (acks.n > before)
			killed_busy++;

		integrity_check(&acks);
		verify(&acks, before);
	}
	/* the last crash lost nothing from the earlier rounds either */
	verify(&acks, 0);
	cr_log_info("%zu acknowledged changes over %d rounds (%d killed mid-work) in %lld ms",
		    acks.n, ROUNDS, killed_busy, (long long)(ms_now() - started));
	cr_assert_gt(acks.n, 0, "the child never got a change acknowledged");
	cr_assert_geq(killed_busy, ROUNDS / 4, "too few rounds were killed mid-work");
	free(acks.a);
}
