/* genkey prints a new private key, pubkey the public key of the private
 * key on stdin. The private key only sits in buffers wiped on the way out. */
#include "agent/cmd_key.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/keyfile.h"
#include "proto/keys.h"

/* As wg genkey does: a key going to a file others can read is worth a
 * warning, since the umask chose the mode before we ran. */
static void warn_if_readable(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		fputs("Warning: writing a private key to a world accessible file.\n"
		      "Consider setting the umask to 077 and trying again.\n",
		      stderr);
}

static enum cli_exit print_key(const uint8_t key[WIRE_KEY_LEN])
{
	char b64[KEYS_B64_SIZE];
	enum cli_exit ex = CLI_EXIT_OK;

	keys_to_base64(b64, key);
	if (printf("%s\n", b64) < 0 || fflush(stdout) == EOF) {
		fprintf(stderr, "tether-agent: cannot write the key to stdout: %s\n",
			strerror(errno));
		ex = CLI_EXIT_FAIL;
	}
	sodium_memzero(b64, sizeof(b64));
	return ex;
}

enum cli_exit cmd_key_genkey(const struct cli *cli)
{
	uint8_t priv[WIRE_KEY_LEN];
	enum cli_exit ex;

	(void)cli;
	warn_if_readable();
	keys_generate(priv);
	ex = print_key(priv);
	sodium_memzero(priv, sizeof(priv));
	return ex;
}

enum cli_exit cmd_key_pubkey(const struct cli *cli)
{
	uint8_t priv[WIRE_KEY_LEN], pub[WIRE_KEY_LEN];
	char buf[KEYFILE_B64_LEN + 4], why[128];
	enum cli_exit ex = CLI_EXIT_FAIL;
	size_t len = 0;

	(void)cli;
	sodium_memzero(priv, sizeof(priv));
	/* a key file is 44 characters and a newline; read one more to see excess */
	while (len < sizeof(buf)) {
		ssize_t n = read(STDIN_FILENO, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "tether-agent: cannot read stdin: %s\n", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* an editor may have saved it with CRLF */
	if (len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n') {
		buf[len - 2] = '\n';
		len--;
	}
	if (keyfile_decode(buf, len, priv, why, sizeof(why))) {
		fprintf(stderr, "tether-agent: stdin: %s\n", why);
		goto out;
	}
	if (keys_public(pub, priv)) {
		fprintf(stderr, "tether-agent: stdin: not a usable X25519 private key\n");
		goto out;
	}
	ex = print_key(pub);
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(priv, sizeof(priv));
	return ex;
}
