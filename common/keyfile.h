/* Private key files of tetherd and tether-agent: 44 base64 characters and
 * an optional newline, mode 0600. A key readable or writable by anyone but
 * its owner is refused, so the daemons will not start with it. */
#ifndef TETHER_COMMON_KEYFILE_H
#define TETHER_COMMON_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

enum {
	KEYFILE_KEY_LEN = 32,
	KEYFILE_B64_LEN = 44,
};

/* Read the private key at path into key. Refuses (-EPERM) a file whose mode
 * lets the group or others read or write it, and (-EINVAL) anything but a
 * regular file holding exactly 44 base64 characters (32 bytes) and an
 * optional "\n". Messages name the file, never its content. The caller owns
 * key and must sodium_memzero() it after use; on error it is zeroed here. */
int keyfile_read(const char *path, uint8_t key[KEYFILE_KEY_LEN], char *err, size_t errlen);

/* The same rules for len bytes already read (e.g. `pubkey` on stdin). */
int keyfile_decode(const char *buf, size_t len, uint8_t key[KEYFILE_KEY_LEN], char *err,
		   size_t errlen);

/* key as 44 base64 characters and a NUL. out holds a secret when key does:
 * the caller wipes it. */
void keyfile_encode(char out[KEYFILE_B64_LEN + 1], const uint8_t key[KEYFILE_KEY_LEN]);

/* Create path holding key (base64 and "\n"), mode 0600, atomically: it
 * appears complete or not at all. Never replaces an existing file: -EEXIST
 * ("creates a 0600 key if absent" is keyfile_read, then this on -ENOENT). */
int keyfile_create(const char *path, const uint8_t key[KEYFILE_KEY_LEN], char *err, size_t errlen);

#endif
