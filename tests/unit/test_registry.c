/* The device registry: every operation and every refusal, token rules
 * (expiry, single use, bound to the name, never stored in clear), pinned
 * keys, stable addresses, reopening, schema versions, file modes. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "concentrator/tetherd/pool.h"
#include "concentrator/tetherd/registry.h"

#define NOW 1800000000 /* a fixed clock; tests move it by hand */
#define DAY (24 * 3600)

static char tmp[64];
static char state[96];
static char msg[REGISTRY_MSG_SIZE];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/tether-registry.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	/* a directory the registry has to create itself */
	snprintf(state, sizeof(state), "%s/state", tmp);
	msg[0] = '\0';
}

static void teardown(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(registry, .init = setup, .fini = teardown);

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static const char *ipstr(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int n;

	n = (n + 1) % 4;
	inet_ntop(AF_INET, &a, buf[n], INET_ADDRSTRLEN);
	return buf[n];
}

static struct registry *open_pool(const char *cidr, const char *gateway)
{
	struct registry_config cfg = {.state_dir = state, .gateway = ip(gateway)};
	struct registry *reg;
	int ret;

	cr_assert_eq(pool_parse(cidr, &cfg.pool, &cfg.pool_prefix), 0);
	ret = registry_open(&reg, &cfg, msg, sizeof(msg));
	cr_assert_eq(ret, 0, "open: %d %s", ret, msg);
	return reg;
}

static struct registry *open_default(void)
{
	return open_pool("100.64.0.0/24", "100.64.0.1");
}

/* A key per seed, never all zeros. */
static void key_of(uint8_t key[REGISTRY_KEY_LEN], int seed)
{
	crypto_generichash(key, REGISTRY_KEY_LEN, (const uint8_t *)&seed, sizeof(seed), NULL, 0);
}

static void add_key(struct registry *reg, const char *name, int seed, struct registry_device *out)
{
	uint8_t key[REGISTRY_KEY_LEN];
	int ret;

	key_of(key, seed);
	ret = registry_add_key(reg, name, key, NOW, out, msg, sizeof(msg));
	cr_assert_eq(ret, 0, "add %s: %d %s", name, ret, msg);
}

static void add_token(struct registry *reg, const char *name, char token[REGISTRY_TOKEN_LEN + 1])
{
	int ret = registry_add_token(reg, name, DAY, NOW, token, NULL, msg, sizeof(msg));

	cr_assert_eq(ret, 0, "add %s --token: %d %s", name, ret, msg);
}

static enum registry_outcome enroll(struct registry *reg, const char *name, const char *token,
				    int seed, int64_t now)
{
	uint8_t key[REGISTRY_KEY_LEN];
	enum registry_outcome outcome;
	struct registry_device dev;
	int ret;

	key_of(key, seed);
	ret = registry_enroll(reg, name, token, strlen(token), key, now, &outcome, &dev, msg,
			      sizeof(msg));
	cr_assert_eq(ret, 0, "enroll %s: %d %s", name, ret, msg);
	cr_assert_neq(msg[0], '\0', "enroll gave no reason");
	return outcome;
}

static struct registry_device get(struct registry *reg, const char *name)
{
	struct registry_device dev;
	int ret = registry_get_by_name(reg, name, &dev, msg, sizeof(msg));

	cr_assert_eq(ret, 0, "get %s: %d %s", name, ret, msg);
	return dev;
}

static bool has(const char *haystack, const char *needle)
{
	return strstr(haystack, needle) != NULL;
}

Test(registry, creates_private_directory_and_file)
{
	struct registry *reg = open_default();
	char path[160];
	struct stat st;
	sqlite3 *db;
	sqlite3_stmt *q;

	cr_assert_eq(stat(state, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "state dir mode %o", st.st_mode & 07777);
	snprintf(path, sizeof(path), "%s/registry.db", state);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "db mode %o", st.st_mode & 07777);
	add_key(reg, "an1", 1, NULL);
	snprintf(path, sizeof(path), "%s/registry.db-wal", state);
	cr_assert_eq(stat(path, &st), 0, "no WAL file while open");
	cr_assert_eq(st.st_mode & 07777, 0600, "wal mode %o", st.st_mode & 07777);

	/* a second process (or tetherd) on the same state directory is refused */
	struct registry_config cfg = {.state_dir = state, .gateway = ip("100.64.0.1")};
	struct registry *other;

	cr_assert_eq(pool_parse("100.64.0.0/24", &cfg.pool, &cfg.pool_prefix), 0);
	cr_assert_eq(registry_open(&other, &cfg, msg, sizeof(msg)), -EBUSY);
	cr_assert(has(msg, "in use"), "%s", msg);
	registry_close(reg);

	/* WAL is a property of the file; check it from outside */
	snprintf(path, sizeof(path), "%s/registry.db", state);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
	cr_assert_eq(sqlite3_finalize(q), SQLITE_OK);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

Test(registry, loose_file_mode_is_tightened)
{
	char path[160];
	struct stat st;
	struct registry *reg = open_default();

	registry_close(reg);
	snprintf(path, sizeof(path), "%s/registry.db", state);
	cr_assert_eq(chmod(path, 0644), 0);
	reg = open_default();
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	registry_close(reg);
}

Test(registry, add_key_assigns_lowest_addresses)
{
	struct registry *reg = open_default();
	struct registry_device a, b;
	uint8_t key[REGISTRY_KEY_LEN];

	add_key(reg, "an1", 1, &a);
	add_key(reg, "an2", 2, &b);
	cr_assert_str_eq(ipstr(a.address4), "100.64.0.2", "network and gateway are skipped");
	cr_assert_str_eq(ipstr(b.address4), "100.64.0.3");
	cr_assert_eq(a.state, REGISTRY_ACTIVE);
	cr_assert(a.has_key);
	key_of(key, 1);
	cr_assert_arr_eq(a.public_key, key, REGISTRY_KEY_LEN);
	cr_assert_eq(a.created, NOW);
	cr_assert_eq(a.token_expires, 0);
	cr_assert_eq(a.last_handshake, 0);
	cr_assert_str_eq(a.last_endpoint, "");
	registry_close(reg);
}

Test(registry, add_key_refusals)
{
	struct registry *reg = open_default();
	uint8_t key[REGISTRY_KEY_LEN], zero[REGISTRY_KEY_LEN] = {0};
	char token[REGISTRY_TOKEN_LEN + 1];

	add_key(reg, "an1", 1, NULL);
	key_of(key, 2);
	cr_assert_eq(registry_add_key(reg, "an1", key, NOW, NULL, msg, sizeof(msg)), -EEXIST);
	cr_assert(has(msg, "an1") && has(msg, "name already taken"), "%s", msg);
	cr_assert_eq(registry_add_token(reg, "an1", DAY, NOW, token, NULL, msg, sizeof(msg)),
		     -EEXIST);
	cr_assert_str_eq(token, "", "a refused add shows no token");

	/* the same key cannot take a second name, and the message says whose it is */
	key_of(key, 1);
	cr_assert_eq(registry_add_key(reg, "an2", key, NOW, NULL, msg, sizeof(msg)), -EEXIST);
	cr_assert(has(msg, "an2") && has(msg, "already bound to device an1"), "%s", msg);
	cr_assert_eq(
		registry_get_by_name(reg, "an2", &(struct registry_device){0}, msg, sizeof(msg)),
		-ENOENT);

	cr_assert_eq(registry_add_key(reg, "an3", zero, NOW, NULL, msg, sizeof(msg)), -EINVAL);
	cr_assert(has(msg, "an3"), "%s", msg);
	registry_close(reg);
}

Test(registry, bad_names_refused)
{
	static const char *const bad[] = {
		"",
		"-an1",
		"An1",
		"an_1",
		"an.1",
		"an 1",
		"an1\n",
		"\xc3\xa9t\xc3\xa9",
		"a123456789012345678901234567890123456789012345678901234567890123", /* 64 */
	};
	static const char *const good[] = {
		"a",
		"0",
		"an-",
		"9-x",
		"a12345678901234567890123456789012345678901234567890123456789012",
	};
	struct registry *reg = open_default();
	uint8_t key[REGISTRY_KEY_LEN];
	char token[REGISTRY_TOKEN_LEN + 1];
	enum registry_outcome outcome;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		key_of(key, 100 + (int)i);
		cr_expect_eq(registry_add_key(reg, bad[i], key, NOW, NULL, msg, sizeof(msg)),
			     -EINVAL, "accepted \"%s\"", bad[i]);
		cr_expect(has(msg, "invalid device name"), "%s", msg);
		cr_expect_eq(
			registry_add_token(reg, bad[i], DAY, NOW, token, NULL, msg, sizeof(msg)),
			-EINVAL);
		cr_expect_eq(registry_enroll(reg, bad[i], "0123456789abcdef", 16, key, NOW,
					     &outcome, NULL, msg, sizeof(msg)),
			     0);
		cr_expect_eq(outcome, REGISTRY_REJECTED_BAD_NAME, "\"%s\"", bad[i]);
		/* the message never carries raw control bytes off the wire */
		cr_expect(!has(msg, "\n"), "%s", msg);
		cr_expect_eq(registry_disable(reg, bad[i], msg, sizeof(msg)), -EINVAL);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		add_key(reg, good[i], 200 + (int)i, NULL);
	registry_close(reg);
}

Test(registry, pool_exhaustion)
{
	/* /29 with the gateway at .1: five device addresses */
	struct registry *reg = open_pool("100.64.0.0/29", "100.64.0.1");
	struct registry_device dev;
	uint8_t key[REGISTRY_KEY_LEN];
	char token[REGISTRY_TOKEN_LEN + 1];
	char name[16];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		add_key(reg, name, i, &dev);
		cr_assert_eq(ntohl(dev.address4.s_addr),
			     ntohl(ip("100.64.0.2").s_addr) + (uint32_t)i);
	}
	key_of(key, 99);
	cr_assert_eq(registry_add_key(reg, "m5", key, NOW, NULL, msg, sizeof(msg)), -ENOSPC);
	cr_assert(has(msg, "m5") && has(msg, "exhausted"), "%s", msg);
	cr_assert_eq(registry_add_token(reg, "m5", DAY, NOW, token, NULL, msg, sizeof(msg)),
		     -ENOSPC);
	cr_assert_eq(registry_get_by_name(reg, "m5", &dev, msg, sizeof(msg)), -ENOENT);

	/* still full after a reopen: the addresses are marked on load */
	registry_close(reg);
	reg = open_pool("100.64.0.0/29", "100.64.0.1");
	cr_assert_eq(registry_add_key(reg, "m5", key, NOW, NULL, msg, sizeof(msg)), -ENOSPC);

	/* removing frees exactly that address, for the next device */
	cr_assert_eq(registry_remove(reg, "m2", msg, sizeof(msg)), 0, "%s", msg);
	add_key(reg, "m5", 99, &dev);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.4");
	registry_close(reg);
}

Test(registry, add_token_issues_a_token)
{
	struct registry *reg = open_default();
	char token[REGISTRY_TOKEN_LEN + 1], token2[REGISTRY_TOKEN_LEN + 1];
	struct registry_device dev;
	size_t i;

	cr_assert_eq(registry_add_token(reg, "an1", DAY, NOW, token, &dev, msg, sizeof(msg)), 0);
	cr_assert_eq(strlen(token), REGISTRY_TOKEN_LEN);
	for (i = 0; i < REGISTRY_TOKEN_LEN; i++)
		cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				 token[i]),
			  "token character %c is not base64url", token[i]);
	cr_assert_eq(dev.state, REGISTRY_PENDING);
	cr_assert(!dev.has_key);
	cr_assert_eq(dev.token_expires, NOW + DAY);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.2", "address assigned at add");
	add_token(reg, "an2", token2);
	cr_assert_str_neq(token, token2);

	cr_assert_eq(registry_add_token(reg, "an3", 0, NOW, token, NULL, msg, sizeof(msg)),
		     -EINVAL);
	cr_assert(has(msg, "an3"), "%s", msg);
	cr_assert_eq(registry_add_token(reg, "an3", -5, NOW, token, NULL, msg, sizeof(msg)),
		     -EINVAL);
	cr_assert_eq(registry_add_token(reg, "an3", REGISTRY_TTL_MAX + 1, NOW, token, NULL, msg,
					sizeof(msg)),
		     -EINVAL);
	registry_close(reg);
}

/* Every byte the registry wrote, in any file of the state directory. */
static bool state_holds(const void *needle, size_t len)
{
	char path[sizeof(state) + 256];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(state);

	cr_assert_not_null(d);
	while (!found && (de = readdir(d))) {
		FILE *f;
		char *buf;
		long size;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", state, de->d_name);
		f = fopen(path, "rb");
		cr_assert_not_null(f, "%s", path);
		cr_assert_eq(fseek(f, 0, SEEK_END), 0);
		size = ftell(f);
		rewind(f);
		buf = malloc((size_t)size + 1);
		cr_assert_not_null(buf);
		cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
		found = memmem(buf, (size_t)size, needle, len) != NULL;
		free(buf);
		fclose(f);
	}
	closedir(d);
	return found;
}

Test(registry, token_never_stored_in_clear)
{
	struct registry *reg = open_default();
	char token[REGISTRY_TOKEN_LEN + 1];
	uint8_t key[REGISTRY_KEY_LEN];

	add_token(reg, "an1", token);
	/* while open (WAL) and after close (checkpointed into the db file) */
	cr_assert(!state_holds(token, strlen(token)), "token found in the state directory");
	cr_assert(!state_holds(token, REGISTRY_TOKEN_MIN), "token prefix found");
	/* the name and a key are there: the search itself works */
	cr_assert(state_holds("an1", 3));
	add_key(reg, "an2", 2, NULL);
	key_of(key, 2);
	cr_assert(state_holds(key, sizeof(key)));
	registry_close(reg);
	cr_assert(!state_holds(token, strlen(token)), "token found in the state directory");
	cr_assert(!state_holds(token, REGISTRY_TOKEN_MIN), "token prefix found");
}

Test(registry, enroll_pins_key_and_consumes_token)
{
	struct registry *reg = open_default();
	char token[REGISTRY_TOKEN_LEN + 1];
	struct registry_device dev, by_key;
	enum registry_outcome outcome;
	uint8_t key[REGISTRY_KEY_LEN];

	add_token(reg, "an1", token);
	cr_assert_eq(enroll(reg, "an1", token, 1, NOW + 10), REGISTRY_OK, "%s", msg);
	cr_assert(has(msg, "an1") && has(msg, "100.64.0.2"), "%s", msg);
	cr_assert(!has(msg, token), "token in a message");
	dev = get(reg, "an1");
	cr_assert_eq(dev.state, REGISTRY_ACTIVE);
	cr_assert(dev.has_key);
	cr_assert_eq(dev.token_expires, 0, "token consumed");
	key_of(key, 1);
	cr_assert_arr_eq(dev.public_key, key, REGISTRY_KEY_LEN);
	cr_assert_eq(registry_get_by_key(reg, key, &by_key, msg, sizeof(msg)), 0);
	cr_assert_str_eq(by_key.name, "an1");
	cr_assert_str_eq(ipstr(by_key.address4), "100.64.0.2");

	/* the agent retries (its OK got lost): same key, same name, accepted */
	cr_assert_eq(registry_enroll(reg, "an1", token, strlen(token), key, NOW + 11, &outcome,
				     &dev, msg, sizeof(msg)),
		     0);
	cr_assert_eq(outcome, REGISTRY_OK, "%s", msg);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.2");

	/* single use: another key with the same token is refused */
	cr_assert_eq(enroll(reg, "an1", token, 2, NOW + 12), REGISTRY_REJECTED_ENROLLED);
	cr_assert(has(msg, "an1"), "%s", msg);
	/* and the name keeps its key */
	dev = get(reg, "an1");
	cr_assert_arr_eq(dev.public_key, key, REGISTRY_KEY_LEN);

	/* survives a reopen */
	registry_close(reg);
	reg = open_default();
	dev = get(reg, "an1");
	cr_assert_eq(dev.state, REGISTRY_ACTIVE);
	cr_assert_arr_eq(dev.public_key, key, REGISTRY_KEY_LEN);
	cr_assert_eq(enroll(reg, "an1", token, 3, NOW + 13), REGISTRY_REJECTED_ENROLLED);
	registry_close(reg);
}

Test(registry, token_expires)
{
	struct registry *reg = open_default();
	char token[REGISTRY_TOKEN_LEN + 1];

	add_token(reg, "an1", token);
	/* one second past: refused, and the device stays pending */
	cr_assert_eq(enroll(reg, "an1", token, 1, NOW + DAY + 1), REGISTRY_REJECTED_EXPIRED);
	cr_assert(has(msg, "an1") && has(msg, "expired 1 s ago"), "%s", msg);
	cr_assert_eq(get(reg, "an1").state, REGISTRY_PENDING);
	/* a wrong token is "does not match", never "expired" */
	cr_assert_eq(enroll(reg, "an1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, NOW + DAY + 1),
		     REGISTRY_REJECTED_BAD_TOKEN);
	/* the last second is still valid */
	cr_assert_eq(enroll(reg, "an1", token, 1, NOW + DAY), REGISTRY_OK, "%s", msg);
	registry_close(reg);
}

Test(registry, token_bound_to_its_name)
{
	struct registry *reg = open_default();
	char t1[REGISTRY_TOKEN_LEN + 1], t2[REGISTRY_TOKEN_LEN + 1], t[REGISTRY_TOKEN_LEN + 1];

	add_token(reg, "an1", t1);
	add_token(reg, "an2", t2);
	/* a token issued for another name */
	cr_assert_eq(enroll(reg, "an2", t1, 1, NOW), REGISTRY_REJECTED_BAD_TOKEN);
	cr_assert(has(msg, "an2") && has(msg, "does not match"), "%s", msg);
	cr_assert_eq(get(reg, "an2").state, REGISTRY_PENDING);
	cr_assert_eq(enroll(reg, "an1", t2, 1, NOW), REGISTRY_REJECTED_BAD_TOKEN);
	/* wrong, short and long tokens */
	cr_assert_eq(enroll(reg, "an1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, NOW),
		     REGISTRY_REJECTED_BAD_TOKEN);
	cr_assert_eq(enroll(reg, "an1", "short", 1, NOW), REGISTRY_REJECTED_BAD_TOKEN);
	cr_assert(has(msg, "5 bytes"), "%s", msg);
	cr_assert_eq(
		enroll(reg, "an1",
		       "0123456789012345678901234567890123456789012345678901234567890123456789", 1,
		       NOW),
		REGISTRY_REJECTED_BAD_TOKEN);
	/* one character off, and a prefix */
	memcpy(t, t1, sizeof(t));
	t[5] = t[5] == 'A' ? 'B' : 'A';
	cr_assert_eq(enroll(reg, "an1", t, 1, NOW), REGISTRY_REJECTED_BAD_TOKEN);
	memcpy(t, t1, sizeof(t));
	t[REGISTRY_TOKEN_LEN - 1] = '\0';
	cr_assert_eq(enroll(reg, "an1", t, 1, NOW), REGISTRY_REJECTED_BAD_TOKEN);
	/* none of that used anything up */
	cr_assert_eq(enroll(reg, "an1", t1, 1, NOW), REGISTRY_OK, "%s", msg);
	cr_assert_eq(enroll(reg, "an2", t2, 2, NOW), REGISTRY_OK, "%s", msg);
	registry_close(reg);
}

Test(registry, unknown_name)
{
	struct registry *reg = open_default();

	cr_assert_eq(enroll(reg, "ghost", "0123456789abcdef0123", 1, NOW),
		     REGISTRY_REJECTED_UNKNOWN_NAME);
	cr_assert(has(msg, "ghost") && has(msg, "unknown"), "%s", msg);
	registry_close(reg);
}

Test(registry, key_cannot_take_another_name)
{
	struct registry *reg = open_default();
	char token[REGISTRY_TOKEN_LEN + 1];

	add_key(reg, "an1", 1, NULL);
	add_token(reg, "an2", token);
	/* an1's key with an2's valid token */
	cr_assert_eq(enroll(reg, "an2", token, 1, NOW), REGISTRY_REJECTED_KEY_TAKEN);
	cr_assert(has(msg, "an2") && has(msg, "bound to device an1"), "%s", msg);
	/* nothing consumed: an2's own device can still enroll */
	cr_assert_eq(get(reg, "an2").state, REGISTRY_PENDING);
	cr_assert_eq(enroll(reg, "an2", token, 2, NOW), REGISTRY_OK, "%s", msg);
	/* and then neither key can rename itself */
	cr_assert_eq(enroll(reg, "an1", token, 2, NOW), REGISTRY_REJECTED_KEY_TAKEN);
	registry_close(reg);
}

Test(registry, disabled_device_refused)
{
	struct registry *reg = open_default();
	char token[REGISTRY_TOKEN_LEN + 1];
	struct registry_device dev;

	add_token(reg, "an1", token);
	add_key(reg, "an2", 2, NULL);
	cr_assert_eq(registry_disable(reg, "an1", msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(registry_disable(reg, "an2", msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(enroll(reg, "an1", token, 1, NOW), REGISTRY_REJECTED_DISABLED);
	cr_assert(has(msg, "an1") && has(msg, "disabled"), "%s", msg);
	/* a disabled device with its own key is refused too */
	cr_assert_eq(enroll(reg, "an2", token, 2, NOW), REGISTRY_REJECTED_DISABLED);

	/* enable: back to pending (never enrolled), token still good */
	cr_assert_eq(registry_enable(reg, "an1", msg, sizeof(msg)), 0, "%s", msg);
	dev = get(reg, "an1");
	cr_assert_eq(dev.state, REGISTRY_PENDING);
	cr_assert_eq(enroll(reg, "an1", token, 1, NOW), REGISTRY_OK, "%s", msg);
	registry_close(reg);
}

Test(registry, address_stable_across_disable_enable_and_reopen)
{
	struct registry *reg = open_default();
	struct registry_device dev;
	uint8_t key[REGISTRY_KEY_LEN];

	add_key(reg, "an1", 1, NULL);
	add_key(reg, "an2", 2, NULL);
	add_key(reg, "an3", 3, NULL);
	cr_assert_eq(registry_disable(reg, "an2", msg, sizeof(msg)), 0);
	/* idempotent */
	cr_assert_eq(registry_disable(reg, "an2", msg, sizeof(msg)), 0);
	dev = get(reg, "an2");
	cr_assert_eq(dev.state, REGISTRY_DISABLED);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.3");
	key_of(key, 2);
	cr_assert_arr_eq(dev.public_key, key, REGISTRY_KEY_LEN, "disable keeps the key");
	/* a disabled device still holds its address */
	add_key(reg, "an4", 4, &dev);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.5");

	registry_close(reg);
	reg = open_default();
	dev = get(reg, "an2");
	cr_assert_eq(dev.state, REGISTRY_DISABLED);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.3");
	cr_assert_eq(registry_enable(reg, "an2", msg, sizeof(msg)), 0);
	cr_assert_eq(registry_enable(reg, "an2", msg, sizeof(msg)), 0);
	dev = get(reg, "an2");
	cr_assert_eq(dev.state, REGISTRY_ACTIVE);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.3");
	add_key(reg, "an5", 5, &dev);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.6", "loaded addresses are not reused");

	cr_assert_eq(registry_disable(reg, "nope", msg, sizeof(msg)), -ENOENT);
	cr_assert(has(msg, "nope"), "%s", msg);
	cr_assert_eq(registry_enable(reg, "nope", msg, sizeof(msg)), -ENOENT);
	registry_close(reg);
}

Test(registry, remove_frees_name_key_and_address)
{
	struct registry *reg = open_default();
	struct registry_device dev;
	uint8_t key[REGISTRY_KEY_LEN];

	add_key(reg, "an1", 1, NULL);
	add_key(reg, "an2", 2, NULL);
	cr_assert_eq(registry_remove(reg, "an1", msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(registry_remove(reg, "an1", msg, sizeof(msg)), -ENOENT);
	cr_assert(has(msg, "an1"), "%s", msg);
	cr_assert_eq(registry_get_by_name(reg, "an1", &dev, msg, sizeof(msg)), -ENOENT);
	key_of(key, 1);
	cr_assert_eq(registry_get_by_key(reg, key, &dev, msg, sizeof(msg)), -ENOENT);
	cr_assert(has(msg, "no device with key"), "%s", msg);
	/* a removed device is unknown: its key enrolls nowhere without a new add */
	cr_assert_eq(enroll(reg, "an1", "0123456789abcdef", 1, NOW),
		     REGISTRY_REJECTED_UNKNOWN_NAME);
	/* the freed address goes to the next device */
	add_key(reg, "an3", 3, &dev);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.2");
	/* the name can be added again, with the old key */
	add_key(reg, "an1", 1, &dev);
	cr_assert_str_eq(ipstr(dev.address4), "100.64.0.4");
	registry_close(reg);
}

Test(registry, lookups_return_what_was_stored)
{
	struct registry *reg = open_default();
	struct registry_device dev, a;
	uint8_t key[REGISTRY_KEY_LEN];
	char token[REGISTRY_TOKEN_LEN + 1];

	add_key(reg, "an1", 1, &a);
	add_token(reg, "an2", token);
	key_of(key, 1);
	cr_assert_eq(registry_get_by_key(reg, key, &dev, msg, sizeof(msg)), 0);
	cr_assert_eq(memcmp(&dev, &a, sizeof(dev)), 0, "get_by_key differs from what add gave");
	dev = get(reg, "an1");
	cr_assert_eq(memcmp(&dev, &a, sizeof(dev)), 0, "get_by_name differs from what add gave");
	dev = get(reg, "an2");
	cr_assert_str_eq(dev.name, "an2");
	cr_assert_eq(dev.state, REGISTRY_PENDING);
	cr_assert(!dev.has_key);
	cr_assert_eq(dev.token_expires, NOW + DAY);
	cr_assert_eq(dev.created, NOW);
	cr_assert_eq(registry_get_by_name(reg, "an9", &dev, msg, sizeof(msg)), -ENOENT);
	cr_assert(has(msg, "an9") && has(msg, "no such device"), "%s", msg);
	cr_assert_eq(registry_get_by_name(reg, "AN1", &dev, msg, sizeof(msg)), -EINVAL);
	registry_close(reg);
}

struct collected {
	struct registry_device dev[8];
	int n;
	int stop_after;
};

static int collect(const struct registry_device *dev, void *arg)
{
	struct collected *c = arg;

	if (c->stop_after && c->n == c->stop_after)
		return -ECANCELED;
	c->dev[c->n++] = *dev;
	return 0;
}

Test(registry, foreach_lists_in_name_order)
{
	struct registry *reg = open_default();
	struct collected c = {0};
	char token[REGISTRY_TOKEN_LEN + 1];

	add_key(reg, "zz", 1, NULL);
	add_token(reg, "aa", token);
	add_key(reg, "mm", 3, NULL);
	cr_assert_eq(registry_disable(reg, "mm", msg, sizeof(msg)), 0);
	cr_assert_eq(registry_foreach(reg, collect, &c, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.dev[0].name, "aa");
	cr_assert_eq(c.dev[0].state, REGISTRY_PENDING);
	cr_assert_str_eq(c.dev[1].name, "mm");
	cr_assert_eq(c.dev[1].state, REGISTRY_DISABLED);
	cr_assert_str_eq(c.dev[2].name, "zz");
	cr_assert_str_eq(ipstr(c.dev[2].address4), "100.64.0.2");

	/* the callback's error stops the walk and comes back; the next walk works */
	c = (struct collected){.stop_after = 1};
	cr_assert_eq(registry_foreach(reg, collect, &c, msg, sizeof(msg)), -ECANCELED);
	cr_assert_eq(c.n, 1);
	c = (struct collected){0};
	cr_assert_eq(registry_foreach(reg, collect, &c, msg, sizeof(msg)), 0);
	cr_assert_eq(c.n, 3);
	registry_close(reg);
}

Test(registry, record_seen_in_batches)
{
	struct registry *reg = open_default();
	struct registry_device dev;
	char long_ep[REGISTRY_ENDPOINT_MAX + 2];
	struct registry_seen batch[] = {
		{.name = "an1", .last_handshake = NOW + 60, .endpoint = "198.18.0.10:40000"},
		{.name = "gone", .last_handshake = NOW + 61, .endpoint = "198.18.0.11:1"},
		{.name = "an2", .last_handshake = NOW + 62, .endpoint = "[2001:db8::1]:51900"},
	};

	add_key(reg, "an1", 1, NULL);
	add_key(reg, "an2", 2, NULL);
	add_key(reg, "an3", 3, NULL);
	cr_assert_eq(registry_record_seen(reg, batch, 3, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(registry_record_seen(reg, batch, 0, msg, sizeof(msg)), 0);

	memset(long_ep, '1', sizeof(long_ep) - 1);
	long_ep[sizeof(long_ep) - 1] = '\0';
	batch[0].endpoint = long_ep;
	batch[2].last_handshake = NOW + 999;
	cr_assert_eq(registry_record_seen(reg, batch, 3, msg, sizeof(msg)), -EINVAL);
	cr_assert(has(msg, "an1"), "%s", msg);

	registry_close(reg);
	reg = open_default();
	dev = get(reg, "an1");
	cr_assert_eq(dev.last_handshake, NOW + 60);
	cr_assert_str_eq(dev.last_endpoint, "198.18.0.10:40000");
	dev = get(reg, "an2");
	cr_assert_eq(dev.last_handshake, NOW + 62, "a refused batch stores nothing");
	cr_assert_str_eq(dev.last_endpoint, "[2001:db8::1]:51900");
	dev = get(reg, "an3");
	cr_assert_eq(dev.last_handshake, 0);
	cr_assert_str_eq(dev.last_endpoint, "");
	/* enroll/disable do not lose the last handshake */
	cr_assert_eq(registry_disable(reg, "an1", msg, sizeof(msg)), 0);
	cr_assert_eq(get(reg, "an1").last_handshake, NOW + 60);
	registry_close(reg);
}

Test(registry, reopen_keeps_everything)
{
	struct registry *reg = open_default();
	struct collected before = {0}, after = {0};
	char token[REGISTRY_TOKEN_LEN + 1];
	struct registry_seen seen = {
		.name = "an1", .last_handshake = NOW + 5, .endpoint = "198.18.0.1:9"};

	add_key(reg, "an1", 1, NULL);
	add_token(reg, "an2", token);
	add_token(reg, "an3", token);
	cr_assert_eq(enroll(reg, "an3", token, 3, NOW), REGISTRY_OK);
	add_key(reg, "an4", 4, NULL);
	cr_assert_eq(registry_disable(reg, "an4", msg, sizeof(msg)), 0);
	cr_assert_eq(registry_record_seen(reg, &seen, 1, msg, sizeof(msg)), 0);
	cr_assert_eq(registry_foreach(reg, collect, &before, msg, sizeof(msg)), 0);
	registry_close(reg);

	reg = open_default();
	cr_assert_eq(registry_foreach(reg, collect, &after, msg, sizeof(msg)), 0);
	cr_assert_eq(after.n, before.n);
	for (int i = 0; i < before.n; i++)
		cr_assert_eq(memcmp(&before.dev[i], &after.dev[i], sizeof(before.dev[i])), 0,
			     "%s changed across reopen", before.dev[i].name);
	registry_close(reg);
}

static void set_pragma(const char *pragma)
{
	char path[160];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/registry.db", state);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

Test(registry, newer_schema_refused)
{
	struct registry_config cfg = {.state_dir = state, .gateway = ip("100.64.0.1")};
	struct registry *reg = open_default();

	add_key(reg, "an1", 1, NULL);
	registry_close(reg);
	set_pragma("PRAGMA user_version = 99");
	cr_assert_eq(pool_parse("100.64.0.0/24", &cfg.pool, &cfg.pool_prefix), 0);
	cr_assert_eq(registry_open(&reg, &cfg, msg, sizeof(msg)), -ENOTSUP);
	cr_assert_null(reg);
	cr_assert(has(msg, "99"), "%s", msg);

	/* an older tetherd never touched the file: our version still there */
	set_pragma("PRAGMA user_version = 1");
	reg = open_default();
	cr_assert_str_eq(get(reg, "an1").name, "an1");
	registry_close(reg);
}

Test(registry, foreign_database_refused)
{
	struct registry_config cfg = {.state_dir = state, .gateway = ip("100.64.0.1")};
	struct registry *reg;

	cr_assert_eq(mkdir(state, 0700), 0);
	set_pragma("PRAGMA application_id = 42; CREATE TABLE t (x)");
	cr_assert_eq(pool_parse("100.64.0.0/24", &cfg.pool, &cfg.pool_prefix), 0);
	cr_assert_eq(registry_open(&reg, &cfg, msg, sizeof(msg)), -EINVAL);
	cr_assert(has(msg, "not a Tether registry"), "%s", msg);
}

Test(registry, pool_changes_on_reopen)
{
	struct registry_config cfg = {.state_dir = state};
	struct registry *reg = open_default();
	struct registry_device dev;

	add_key(reg, "an1", 1, NULL); /* .2 */
	add_key(reg, "an2", 2, NULL); /* .3 */
	registry_close(reg);

	/* a new pool elsewhere: old devices keep their addresses */
	reg = open_pool("100.65.0.0/24", "100.65.0.1");
	cr_assert_str_eq(ipstr(get(reg, "an1").address4), "100.64.0.2");
	add_key(reg, "an3", 3, &dev);
	cr_assert_str_eq(ipstr(dev.address4), "100.65.0.2");
	cr_assert_eq(registry_remove(reg, "an1", msg, sizeof(msg)), 0, "%s", msg);
	registry_close(reg);

	/* a gateway moved onto a device's address is refused, naming the device */
	cr_assert_eq(pool_parse("100.64.0.0/24", &cfg.pool, &cfg.pool_prefix), 0);
	cfg.gateway = ip("100.64.0.3");
	cr_assert_eq(registry_open(&reg, &cfg, msg, sizeof(msg)), -EEXIST);
	cr_assert(has(msg, "an2") && has(msg, "100.64.0.3"), "%s", msg);

	/* a pool the bitmap cannot hold */
	cr_assert_eq(pool_parse("10.0.0.0/4", &cfg.pool, &cfg.pool_prefix), -EINVAL);
	cfg.pool = ip("16.0.0.0");
	cfg.pool_prefix = 4;
	cr_assert_eq(registry_open(&reg, &cfg, msg, sizeof(msg)), -EINVAL);
	cr_assert(has(msg, "16.0.0.0/4"), "%s", msg);
}

Test(registry, strings)
{
	enum registry_state st;

	cr_assert_str_eq(registry_state_str(REGISTRY_PENDING), "pending");
	cr_assert_str_eq(registry_state_str(REGISTRY_ACTIVE), "active");
	cr_assert_str_eq(registry_state_str(REGISTRY_DISABLED), "disabled");
	cr_assert_eq(registry_state_parse("disabled", &st), 0);
	cr_assert_eq(st, REGISTRY_DISABLED);
	cr_assert_eq(registry_state_parse("gone", &st), -EINVAL);
	for (int i = 0; i < REGISTRY_OUTCOME_COUNT; i++) {
		cr_assert_str_neq(registry_outcome_str(i), "unknown", "outcome %d", i);
		for (int j = i + 1; j < REGISTRY_OUTCOME_COUNT; j++)
			cr_assert_str_neq(registry_outcome_str(i), registry_outcome_str(j));
	}
	cr_assert_str_eq(registry_outcome_str(REGISTRY_OUTCOME_COUNT), "unknown");
}
