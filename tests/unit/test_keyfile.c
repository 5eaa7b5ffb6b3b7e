/* Private key files: the mode check the daemons rely on, the strict format
 * (44 base64 characters, optional newline), and creation that never
 * replaces an existing key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/keyfile.h"

#define KEY "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="

static char dir[] = "/tmp/tether-test-keyfile.XXXXXX";
static char path[256];
static char err[512];

static void setup(void)
{
	cr_assert(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/test.key", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

static void put(const char *data, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, mode), 0);
	cr_assert_eq(close(fd), 0);
}

static int read_key(uint8_t key[KEYFILE_KEY_LEN])
{
	err[0] = '\0';
	return keyfile_read(path, key, err, sizeof(err));
}

TestSuite(keyfile, .init = setup, .fini = teardown);

Test(keyfile, good)
{
	uint8_t key[KEYFILE_KEY_LEN];
	char b64[KEYFILE_B64_LEN + 1];

	put(KEY, 44, 0600);
	cr_assert_eq(read_key(key), 0, "%s", err);
	cr_expect_eq(key[0], 0x1c);
	cr_expect_eq(key[31], 0x4c);
	keyfile_encode(b64, key);
	cr_expect_str_eq(b64, KEY);

	put(KEY "\n", 45, 0400);
	cr_assert_eq(read_key(key), 0, "%s", err);
	cr_expect_eq(key[0], 0x1c);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
}

Test(keyfile, refuses_loose_modes)
{
	static const struct {
		mode_t mode;
		const char *says;
	} cases[] = {
		{0644, "mode 0644 lets others read the private key; chmod 600 it"},
		{0640, "mode 0640 lets its group read the private key; chmod 600 it"},
		{0620, "mode 0620 lets its group write the private key; chmod 600 it"},
		{0602, "mode 0602 lets others write the private key; chmod 600 it"},
		{0666, "mode 0666 lets others read the private key; chmod 600 it"},
	};
	uint8_t key[KEYFILE_KEY_LEN];
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(KEY "\n", 45, cases[i].mode);
		cr_expect_eq(read_key(key), -EPERM, "mode %04o", cases[i].mode);
		snprintf(want, sizeof(want), "refusing %s: %s", path, cases[i].says);
		cr_expect_str_eq(err, want);
		cr_expect(sodium_is_zero(key, sizeof(key)), "key left in the buffer");
	}
	/* exec bits alone expose nothing */
	put(KEY "\n", 45, 0711);
	cr_expect_eq(read_key(key), 0, "%s", err);
}

Test(keyfile, refuses_garbage)
{
	static const char *const bad[] = {
		"",
		"\n",
		KEY "\n\n",
		KEY "\r\n",
		KEY " ",
		" " KEY,
		KEY "\nsecond line\n",
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw\n",  /* 43 */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykx=\n", /* padding bits */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8yk-=\n", /* URL-safe */
		"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIA==\n-----END PRIVATE "
		"KEY-----\n",
	};
	uint8_t key[KEYFILE_KEY_LEN];
	char want[512];
	size_t i;

	snprintf(want, sizeof(want),
		 "%s: not a private key (expected 44 base64 characters and an optional newline)",
		 path);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(bad[i], strlen(bad[i]), 0600);
		memset(key, 0xaa, sizeof(key));
		cr_expect_eq(read_key(key), -EINVAL, "accepted case %zu", i);
		cr_expect_str_eq(err, want);
		cr_expect(sodium_is_zero(key, sizeof(key)), "case %zu left bytes in the key", i);
	}
}

Test(keyfile, not_found_and_not_regular)
{
	uint8_t key[KEYFILE_KEY_LEN];
	char want[512];

	cr_expect_eq(read_key(key), -ENOENT);
	snprintf(want, sizeof(want), "cannot open %s: No such file or directory", path);
	cr_expect_str_eq(err, want);

	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_eq(read_key(key), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	cr_expect_str_eq(err, want);
}

Test(keyfile, decode)
{
	uint8_t key[KEYFILE_KEY_LEN];

	cr_expect_eq(keyfile_decode(KEY "\n", 45, key, err, sizeof(err)), 0);
	cr_expect_eq(keyfile_decode(KEY, 44, key, err, sizeof(err)), 0);
	cr_expect_eq(keyfile_decode(KEY "\n", 44 + 2, key, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(
		err, "not a private key (expected 44 base64 characters and an optional newline)");
	cr_expect_eq(keyfile_decode(KEY, 43, key, err, sizeof(err)), -EINVAL);
}

Test(keyfile, create)
{
	uint8_t key[KEYFILE_KEY_LEN], back[KEYFILE_KEY_LEN], other[KEYFILE_KEY_LEN];
	char want[512], cmd[512];
	struct stat st;
	mode_t old;

	randombytes_buf(key, sizeof(key));
	/* the mode is exact whatever the umask */
	old = umask(0);
	cr_assert_eq(keyfile_create(path, key, err, sizeof(err)), 0, "%s", err);
	umask(old);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	cr_expect_eq(st.st_size, 45);
	cr_assert_eq(read_key(back), 0, "%s", err);
	cr_expect_eq(memcmp(key, back, sizeof(key)), 0);

	/* never replaced: the old key stays */
	randombytes_buf(other, sizeof(other));
	cr_expect_eq(keyfile_create(path, other, err, sizeof(err)), -EEXIST);
	snprintf(want, sizeof(want), "refusing to replace %s: it already exists", path);
	cr_expect_str_eq(err, want);
	cr_assert_eq(read_key(back), 0, "%s", err);
	cr_expect_eq(memcmp(key, back, sizeof(key)), 0);

	/* not even a dangling symlink is followed */
	cr_assert_eq(unlink(path), 0);
	snprintf(want, sizeof(want), "%s/elsewhere", dir);
	cr_assert_eq(symlink(want, path), 0);
	cr_expect_eq(keyfile_create(path, other, err, sizeof(err)), -EEXIST);
	cr_expect_neq(access(want, F_OK), 0);

	/* and no temp file is left behind */
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	cr_expect_eq(system(cmd), 0);

	snprintf(want, sizeof(want), "%s/no/such/dir/k", dir);
	cr_expect_eq(keyfile_create(want, key, err, sizeof(err)), -ENOENT);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(back, sizeof(back));
	sodium_memzero(other, sizeof(other));
}
