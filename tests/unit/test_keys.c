/* Static keys (proto/keys.c): generation and clamping, public from
 * private, the strict 44-character base64 form both ways, fingerprints. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "proto/keys.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(keys, .init = setup);

/* case1 of tests/vectors/tether-v1.json */
static const char agent_priv_hex[] =
	"48296faabb46482598f2e1a1acdecdd788cf59e9d3210b38516b69a31c75746d";
static const char agent_pub_b64[] = "rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4=";

Test(keys, generate_clamps_and_differs)
{
	uint8_t a[32], b[32], pub[32];

	for (int i = 0; i < 64; i++) {
		keys_generate(a);
		cr_assert_eq(a[0] & 7, 0);
		cr_assert_eq(a[31] & 0x80, 0);
		cr_assert_eq(a[31] & 0x40, 0x40);
		cr_assert_eq(keys_public(pub, a), 0);
	}
	keys_generate(b);
	cr_assert(memcmp(a, b, 32) != 0);
}

Test(keys, public_from_private_and_base64)
{
	uint8_t priv[32], pub[32], back[32];
	char b64[KEYS_B64_SIZE], fp[KEYS_FINGERPRINT_SIZE];

	cr_assert_eq(sodium_hex2bin(priv, 32, agent_priv_hex, 64, NULL, NULL, NULL), 0);
	cr_assert_eq(keys_public(pub, priv), 0);
	keys_to_base64(b64, pub);
	cr_assert_str_eq(b64, agent_pub_b64);
	cr_assert_eq(strlen(b64), 44);
	cr_assert_eq(keys_from_base64(back, b64), 0);
	cr_assert(memcmp(back, pub, 32) == 0);
	keys_fingerprint(fp, pub);
	cr_assert_str_eq(fp, "rqzlJVXx");
}

Test(keys, base64_round_trip)
{
	uint8_t key[32], back[32];
	char b64[KEYS_B64_SIZE];

	for (int i = 0; i < 200; i++) {
		randombytes_buf(key, sizeof(key));
		keys_to_base64(b64, key);
		cr_assert_eq(keys_from_base64(back, b64), 0, "%s", b64);
		cr_assert(memcmp(back, key, 32) == 0);
	}
}

Test(keys, base64_rejects)
{
	static const char *const bad[] = {
		"",
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4",	  /* 43, no padding */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4A",	  /* 44, no padding */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4==",  /* 45 */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ==",	  /* 31 bytes */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ5=",	  /* non-canonical */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ7=",	  /* non-canonical */
		"rqzlJVXx_cIV79tU7wtkmvxjGqSHbV_9BwsD6tw5CQ4=",	  /* URL-safe alphabet */
		"rqzlJVXx-cIV79tU7wtkmvxjGqSHbV-9BwsD6tw5CQ4=",	  /* URL-safe alphabet */
		" qzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4=",	  /* space */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4=\n", /* newline */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4= ",  /* trailing space */
		"rqzlJVXx/cIV79tU7wtkmvxj\nqSHbV/9BwsD6tw5CQ4=",  /* inner newline */
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ=4",	  /* padding inside */
		"=qzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4A",
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4=rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/"
		"9BwsD6tw5CQ4=",
		"rqzlJVXx.cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ4=",
		"rqzlJVXx/cIV79tU7wtkmvxjGqSHbV/9BwsD6tw5CQ\xc3\xa4",
	};
	uint8_t key[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(key, 0xaa, sizeof(key));
		cr_assert_eq(keys_from_base64(key, bad[i]), -EINVAL, "accepted [%zu] %s", i,
			     bad[i]);
		for (size_t j = 0; j < sizeof(key); j++)
			cr_assert_eq(key[j], 0, "key not zeroed after [%zu]", i);
	}
}

Test(keys, base64_accepts_every_canonical_last_char)
{
	/* the last data character carries 4 bits: 16 characters are canonical */
	char b64[KEYS_B64_SIZE];
	uint8_t key[32];
	int ok = 0;

	strcpy(b64, agent_pub_b64);
	for (int c = 0; c < 256; c++) {
		b64[42] = (char)c;
		if (c && keys_from_base64(key, b64) == 0)
			ok++;
	}
	cr_assert_eq(ok, 16);
}

Test(keys, embedded_nul_is_short)
{
	char b64[KEYS_B64_SIZE + 1];
	uint8_t key[32];

	strcpy(b64, agent_pub_b64);
	b64[10] = '\0';
	cr_assert_eq(keys_from_base64(key, b64), -EINVAL);
}
