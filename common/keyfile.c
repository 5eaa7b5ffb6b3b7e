/* Private key files: strict base64 through libsodium, the permission check
 * the daemons rely on, and creation that never replaces a key. Every buffer
 * that held key material is wiped before it goes out of scope. */
#include "common/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/conf.h"

/* Read one byte more than a valid file can hold to see that it is too long. */
enum { FILE_MAX = KEYFILE_B64_LEN + 1 };

static int decode(const char *buf, size_t len, uint8_t key[KEYFILE_KEY_LEN])
{
	const char *end = NULL;
	size_t n = 0;

	if (len == KEYFILE_B64_LEN + 1 && buf[KEYFILE_B64_LEN] == '\n')
		len--;
	/* sodium refuses non-zero padding bits: one key, one spelling */
	if (len != KEYFILE_B64_LEN ||
	    sodium_base642bin(key, KEYFILE_KEY_LEN, buf, len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    n != KEYFILE_KEY_LEN || end != buf + len) {
		sodium_memzero(key, KEYFILE_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

int keyfile_decode(const char *buf, size_t len, uint8_t key[KEYFILE_KEY_LEN], char *err,
		   size_t errlen)
{
	int ret = decode(buf, len, key);

	if (ret)
		snprintf(err, errlen,
			 "not a private key (expected 44 base64 characters and an optional "
			 "newline)");
	return ret;
}

void keyfile_encode(char out[KEYFILE_B64_LEN + 1], const uint8_t key[KEYFILE_KEY_LEN])
{
	sodium_bin2base64(out, KEYFILE_B64_LEN + 1, key, KEYFILE_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

int keyfile_read(const char *path, uint8_t key[KEYFILE_KEY_LEN], char *err, size_t errlen)
{
	char buf[FILE_MAX + 1];
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	sodium_memzero(key, KEYFILE_KEY_LEN);
	/* O_NONBLOCK: a FIFO in place of the key must not hang the daemon */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		goto out;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* checked before reading: a key others could read is already lost,
	 * one they could write may be theirs */
	if (st.st_mode & 0066) {
		ret = -EPERM;
		snprintf(err, errlen,
			 "refusing %s: mode %04o lets %s %s the private key; chmod 600 it", path,
			 (unsigned int)(st.st_mode & 07777),
			 st.st_mode & 0006 ? "others" : "its group",
			 st.st_mode & 0044 ? "read" : "write");
		goto out;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = decode(buf, len, key);
	if (ret)
		snprintf(err, errlen,
			 "%s: not a private key (expected 44 base64 characters and an optional "
			 "newline)",
			 path);
out:
	sodium_memzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return ret;
}

int keyfile_create(const char *path, const uint8_t key[KEYFILE_KEY_LEN], char *err, size_t errlen)
{
	char text[KEYFILE_B64_LEN + 2];
	int ret;

	keyfile_encode(text, key);
	text[KEYFILE_B64_LEN] = '\n';
	text[KEYFILE_B64_LEN + 1] = '\0';
	ret = conf_write_file(path, text, KEYFILE_B64_LEN + 1, 0600, CONF_WRITE_NEW, err, errlen);
	sodium_memzero(text, sizeof(text));
	return ret;
}
