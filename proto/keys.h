/* Static X25519 keys (PROTOCOL.md 2): generation, public from private,
 * the 44-character base64 form of configuration files and the CLI, and a
 * short fingerprint that names a key in logs without showing it whole. */
#ifndef TETHER_PROTO_KEYS_H
#define TETHER_PROTO_KEYS_H

#include <stdint.h>

#include "proto/wire.h"

enum keys_sizes {
	KEYS_B64_SIZE = WIRE_KEY_B64_LEN + 1, /* with the NUL */
	KEYS_FINGERPRINT_LEN = 8,	      /* first base64 characters of the public key */
	KEYS_FINGERPRINT_SIZE = KEYS_FINGERPRINT_LEN + 1,
};

/* A fresh private key: 32 random bytes, clamped as X25519 wants. */
void keys_generate(uint8_t priv[WIRE_KEY_LEN]);

/* The public key of priv. 0, or -EINVAL if libsodium refuses the scalar. */
int keys_public(uint8_t pub[WIRE_KEY_LEN], const uint8_t priv[WIRE_KEY_LEN]);

/* Standard base64 with padding, 44 characters and a NUL. */
void keys_to_base64(char out[KEYS_B64_SIZE], const uint8_t key[WIRE_KEY_LEN]);

/* Strict inverse of keys_to_base64: exactly 44 characters of the standard
 * alphabet ending in one '=', canonical (the unused low bits of the last
 * character zero), no whitespace. 0, or -EINVAL (key left zeroed). */
int keys_from_base64(uint8_t key[WIRE_KEY_LEN], const char *b64);

/* The first 8 base64 characters of a public key, for log lines. */
void keys_fingerprint(char out[KEYS_FINGERPRINT_SIZE], const uint8_t pub[WIRE_KEY_LEN]);

#endif
