/* genkey prints a new private key, pubkey the public key of the private
 * key on stdin, both in the 44-character base64 form of the config files.
 * The private key only ever sits in buffers that are wiped on the way out. */
#include "concentrator/tetherctl/cmd_key.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/keys.h"

static const char genkey_usage[] = "usage: tetherctl genkey > private.key\n"
				   "Print a new private key (base64) on stdout.\n";

static const char pubkey_usage[] = "usage: tetherctl pubkey < private.key\n"
				   "Print the public key of the private key read from stdin.\n";

/* As wg genkey does: a key written to a file others can read is worth a
 * warning, since the umask decided the mode before we ran. */
static void warn_if_readable(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		fputs("Warning: writing to world accessible file.\n"
		      "Consider setting the umask to 077 and trying again.\n",
		      stderr);
}

static enum ctl_exit print_key(const uint8_t key[WIRE_KEY_LEN])
{
	char b64[KEYS_B64_SIZE];
	enum ctl_exit ex = CTL_EXIT_OK;

	keys_to_base64(b64, key);
	if (printf("%s\n", b64) < 0 || fflush(stdout) == EOF) {
		ctl_err("cannot write the key to stdout: %s", strerror(errno));
		ex = CTL_EXIT_FAIL;
	}
	sodium_memzero(b64, sizeof(b64));
	return ex;
}

enum ctl_exit cmd_key_genkey(const struct ctl *ctl, int argc, char **argv)
{
	uint8_t priv[WIRE_KEY_LEN];
	enum ctl_exit ex;

	(void)ctl;
	ex = ctl_parse(argc, argv, genkey_usage, NULL, NULL, 0, 0);
	if (ex != CTL_CONTINUE)
		return ex;
	if (sodium_init() < 0) {
		ctl_err("libsodium failed to initialise");
		return CTL_EXIT_FAIL;
	}
	warn_if_readable();
	keys_generate(priv);
	ex = print_key(priv);
	sodium_memzero(priv, sizeof(priv));
	return ex;
}

/* Read all of stdin, at most size - 1 bytes; -EMSGSIZE if there is more. */
static int read_stdin(char *buf, size_t size, size_t *len)
{
	*len = 0;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + *len, size - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len == size)
			return -EMSGSIZE;
	}
	buf[*len] = '\0';
	return 0;
}

enum ctl_exit cmd_key_pubkey(const struct ctl *ctl, int argc, char **argv)
{
	uint8_t priv[WIRE_KEY_LEN], pub[WIRE_KEY_LEN];
	char buf[WIRE_KEY_B64_LEN + 8];
	enum ctl_exit ex;
	size_t len;
	int ret;

	(void)ctl;
	ex = ctl_parse(argc, argv, pubkey_usage, NULL, NULL, 0, 0);
	if (ex != CTL_CONTINUE)
		return ex;
	ex = CTL_EXIT_FAIL;
	if (sodium_init() < 0) {
		ctl_err("libsodium failed to initialise");
		goto out;
	}
	ret = read_stdin(buf, sizeof(buf), &len);
	if (ret == -EMSGSIZE) {
		ctl_err("invalid private key on stdin: longer than %d characters",
			WIRE_KEY_B64_LEN);
		goto out;
	}
	if (ret < 0) {
		ctl_err("cannot read the private key from stdin: %s", strerror(-ret));
		goto out;
	}
	/* one trailing newline, as genkey wrote it or an editor saved it */
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len != WIRE_KEY_B64_LEN || keys_from_base64(priv, buf) < 0) {
		ctl_err("invalid private key on stdin: expected %d characters of base64 "
			"(a 32-byte key), got %zu characters",
			WIRE_KEY_B64_LEN, len);
		goto out;
	}
	if (keys_public(pub, priv) < 0) {
		ctl_err("invalid private key on stdin: not an X25519 scalar");
		goto out;
	}
	ex = print_key(pub);
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(priv, sizeof(priv));
	return ex;
}
