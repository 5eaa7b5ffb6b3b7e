/* X25519 key pairs and their text forms (PROTOCOL.md 2). Private keys
 * pass through here on their way to and from files: every temporary copy
 * is wiped before returning. */
#include "proto/keys.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

_Static_assert(WIRE_KEY_B64_LEN == 44, "32 bytes are 44 base64 characters with padding");

void keys_generate(uint8_t priv[WIRE_KEY_LEN])
{
	randombytes_buf(priv, WIRE_KEY_LEN);
	/* RFC 7748 5: clear the cofactor bits, set the top bit */
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
}

int keys_public(uint8_t pub[WIRE_KEY_LEN], const uint8_t priv[WIRE_KEY_LEN])
{
	if (crypto_scalarmult_base(pub, priv) != 0) {
		sodium_memzero(pub, WIRE_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

void keys_to_base64(char out[KEYS_B64_SIZE], const uint8_t key[WIRE_KEY_LEN])
{
	sodium_bin2base64(out, KEYS_B64_SIZE, key, WIRE_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int keys_from_base64(uint8_t key[WIRE_KEY_LEN], const char *b64)
{
	uint8_t buf[WIRE_KEY_LEN + 1];
	size_t len = 0;
	int ret = -EINVAL;

	sodium_memzero(key, WIRE_KEY_LEN);
	/* strnlen: anything longer than 44 is wrong, however long it is */
	if (strnlen(b64, WIRE_KEY_B64_LEN + 1) != WIRE_KEY_B64_LEN)
		goto out;
	/* libsodium rejects characters outside the alphabet, missing or
	 * extra padding and non-zero trailing bits when ignore is NULL and
	 * the end pointer is not asked for */
	if (sodium_base642bin(buf, sizeof(buf), b64, WIRE_KEY_B64_LEN, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		goto out;
	if (len != WIRE_KEY_LEN)
		goto out;
	memcpy(key, buf, WIRE_KEY_LEN);
	ret = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

void keys_fingerprint(char out[KEYS_FINGERPRINT_SIZE], const uint8_t pub[WIRE_KEY_LEN])
{
	char b64[KEYS_B64_SIZE];

	keys_to_base64(b64, pub);
	memcpy(out, b64, KEYS_FINGERPRINT_LEN);
	out[KEYS_FINGERPRINT_LEN] = '\0';
}
