/* The Noise core (proto/noise.c): HMAC and HKDF against known answers
 * (Python's hmac over hashlib.blake2b), the CipherState rules, every
 * message of every official Noise_IK_25519_ChaChaPoly_BLAKE2b vector in
 * both roles, and low-order keys and tampering refused with their reason. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "proto/noise.h"

#define NOISE_VECTORS TETHER_VECTORS_DIR "/noise-ik-25519-chachapoly-blake2b.json"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(noise, .init = setup);

/* hex into out (at most size bytes); returns the byte count */
static size_t unhex(uint8_t *out, size_t size, const char *hex)
{
	size_t len = 0;

	cr_assert_eq(sodium_hex2bin(out, size, hex, strlen(hex), NULL, &len, NULL), 0,
		     "bad hex or too long: %.40s", hex);
	return len;
}

static size_t json_hex(uint8_t *out, size_t size, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert(json_is_string(v), "missing %s", key);
	return unhex(out, size, json_string_value(v));
}

static void assert_hex(const uint8_t *got, size_t len, const char *hex, const char *what)
{
	uint8_t want[2048];
	size_t want_len = unhex(want, sizeof(want), hex);

	cr_assert_eq(len, want_len, "%s: length %zu, want %zu", what, len, want_len);
	cr_assert(memcmp(got, want, len) == 0, "%s differs", what);
}

/* Known answers from Python: hmac.new(key, msg, hashlib.blake2b) */
Test(noise, hmac_known_answers)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	uint8_t key[200], msg[100], out[NOISE_HASH_LEN];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;

	noise_hmac(out, NULL, 0, NULL, 0);
	assert_hex(out, sizeof(out),
		   "198cd2006f66ff83fbbd913f78aca2251caf4f19fe9475aade8cf2091b99a684"
		   "66775177424f58286886cbae8229644cec747237d4b721735485e17372fdf59c",
		   "empty");
	noise_hmac(out, (const uint8_t *)"key", 3, (const uint8_t *)fox, strlen(fox));
	assert_hex(out, sizeof(out),
		   "92294f92c0dfb9b00ec9ae8bd94d7e7d8a036b885a499f149dfe2fd2199394aa"
		   "af6b8894a1730cccb2cd050f9bcf5062a38b51b0dab33207f8ef35ae2c9df51b",
		   "fox");
	noise_hmac(out, key, 64, (const uint8_t *)"\x01", 1);
	assert_hex(out, sizeof(out),
		   "b7b5d574009695761d348b4bc1b58c61eb470672ad6444fb5d81585fefa50dea"
		   "17294447cdbc700a47964b2315eb9c9e8154422ee3f73de73ad55f42739828cc",
		   "64-byte key");
	/* a key longer than the 128-byte block is hashed first */
	noise_hmac(out, key, 200, msg, 100);
	assert_hex(out, sizeof(out),
		   "e229934202091b084441d27a428e1a1f70baad3b3c7787f62d66ffb67afd704e"
		   "302ae290c29571912d67910011f6238388e158219be3f4381ae62ee0644ff0cb",
		   "long key");
}

/* HMAC is not keyed BLAKE2b: the two must differ (PROTOCOL.md 3) */
Test(noise, hmac_is_not_keyed_blake2b)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	uint8_t hmac[NOISE_HASH_LEN], keyed[NOISE_HASH_LEN];

	noise_hmac(hmac, (const uint8_t *)"key", 3, (const uint8_t *)fox, strlen(fox));
	crypto_generichash(keyed, sizeof(keyed), (const uint8_t *)fox, strlen(fox),
			   (const uint8_t *)"key", 3);
	assert_hex(keyed, sizeof(keyed),
		   "66f642208454bf2e066dac9eab68fae0146bb544c1d46e1f427008f068a45d87"
		   "2cd0c1fc23e7ba82a95d084aadf5e4af9edaf761fb6ced9e485a28c59a3f714c",
		   "keyed blake2b");
	cr_assert(memcmp(hmac, keyed, sizeof(hmac)) != 0);
}

Test(noise, hkdf_known_answers)
{
	uint8_t ck[NOISE_HASH_LEN], o1[NOISE_HASH_LEN], o2[NOISE_HASH_LEN], o3[NOISE_HASH_LEN];
	uint8_t t1[NOISE_HASH_LEN], t2[NOISE_HASH_LEN];

	for (size_t i = 0; i < sizeof(ck); i++)
		ck[i] = (uint8_t)i;
	noise_hkdf(ck, (const uint8_t *)"tether", 6, o1, o2, o3);
	assert_hex(o1, sizeof(o1),
		   "732b91e7d150e335468dd6dceaf24b19378af11e395f658f14c16d07e2d73bed"
		   "f49da6c3a42220330e6030c2e75f13082724e37113c5f1bd74b038c254757707",
		   "out1");
	assert_hex(o2, sizeof(o2),
		   "916901fa528fff2f6fefa83afe8e85e0a3287a7bd5d2c54b5ae3de5dc71395aa"
		   "bf0028bd28fc9f7589f291206fc8f35fd6aa0adb8fea83f7fb44303635e94166",
		   "out2");
	assert_hex(o3, sizeof(o3),
		   "c3e174e3fcefdb7a74610b02c749c504057db1e395521c5d8352aabcba6abc00"
		   "3f5218b9533cc603cd7e1be11c4e404aab04a09eaaf6c6864cbad7dcd859e6ca",
		   "out3");

	/* two outputs are the first two of three; out1 may alias ck */
	noise_hkdf(ck, (const uint8_t *)"tether", 6, t1, t2, NULL);
	cr_assert(memcmp(t1, o1, sizeof(o1)) == 0 && memcmp(t2, o2, sizeof(o2)) == 0);
	noise_hkdf(ck, (const uint8_t *)"tether", 6, ck, t2, NULL);
	cr_assert(memcmp(ck, o1, sizeof(o1)) == 0);
}

Test(noise, cipher_without_key_passes_through)
{
	struct noise_cipher cs;
	uint8_t in[5] = {1, 2, 3, 4, 5}, out[5];

	noise_cipher_init(&cs, NULL);
	cr_assert_eq(noise_cipher_encrypt(&cs, NULL, 0, in, sizeof(in), out), PROTO_OK);
	cr_assert(memcmp(in, out, sizeof(in)) == 0);
	cr_assert_eq(cs.nonce, 0);
	cr_assert_eq(noise_cipher_decrypt(&cs, NULL, 0, out, sizeof(out), in), PROTO_OK);
}

Test(noise, cipher_nonce_counts_and_failures_keep_it)
{
	struct noise_cipher tx, rx;
	uint8_t key[NOISE_KEY_LEN] = {7};
	uint8_t m[3] = {'a', 'b', 'c'}, c0[3 + 16], c1[3 + 16], p[3];

	noise_cipher_init(&tx, key);
	noise_cipher_init(&rx, key);
	cr_assert_eq(noise_cipher_encrypt(&tx, (const uint8_t *)"ad", 2, m, 3, c0), PROTO_OK);
	cr_assert_eq(noise_cipher_encrypt(&tx, (const uint8_t *)"ad", 2, m, 3, c1), PROTO_OK);
	cr_assert_eq(tx.nonce, 2);
	cr_assert(memcmp(c0, c1, sizeof(c0)) != 0, "nonce must change the ciphertext");

	/* out of order: c1 under nonce 0 fails and leaves the nonce */
	cr_assert_eq(noise_cipher_decrypt(&rx, (const uint8_t *)"ad", 2, c1, sizeof(c1), p),
		     PROTO_DECRYPT);
	cr_assert_eq(rx.nonce, 0);
	/* wrong associated data */
	cr_assert_eq(noise_cipher_decrypt(&rx, (const uint8_t *)"AD", 2, c0, sizeof(c0), p),
		     PROTO_DECRYPT);
	cr_assert_eq(noise_cipher_decrypt(&rx, (const uint8_t *)"ad", 2, c0, sizeof(c0), p),
		     PROTO_OK);
	cr_assert(memcmp(p, m, 3) == 0);
	cr_assert_eq(noise_cipher_decrypt(&rx, (const uint8_t *)"ad", 2, c1, sizeof(c1), p),
		     PROTO_OK);
	/* shorter than a tag */
	cr_assert_eq(noise_cipher_decrypt(&rx, NULL, 0, c0, 15, p), PROTO_BAD_LENGTH);
}

Test(noise, cipher_nonce_limit)
{
	struct noise_cipher cs;
	uint8_t key[NOISE_KEY_LEN] = {1}, c[16], p[1];

	noise_cipher_init(&cs, key);
	cs.nonce = UINT64_MAX - 1;
	cr_assert_eq(noise_cipher_encrypt(&cs, NULL, 0, NULL, 0, c), PROTO_OK);
	cr_assert_eq(noise_cipher_encrypt(&cs, NULL, 0, NULL, 0, c), PROTO_COUNTER_LIMIT);
	cr_assert_eq(noise_cipher_decrypt(&cs, NULL, 0, c, sizeof(c), p), PROTO_COUNTER_LIMIT);
	noise_cipher_clear(&cs);
	cr_assert_eq(cs.has_key, false);
}

/* One official vector: both roles from their own inputs, each message
 * written by its sender byte for byte and read back by its receiver;
 * after the handshake, transport messages alternate, initiator first. */
static void run_vector(json_t *v, size_t index)
{
	struct noise_handshake ini, res;
	struct noise_cipher ini_tx, ini_rx, res_tx, res_rx;
	uint8_t ip[64], rp[64], is[32], ie[32], irs[32], rs[32], re[32];
	uint8_t payload[1024], want[1100], out[1100], back[1024], hash[64];
	size_t ipl, rpl, plen, wlen;
	json_t *msgs = json_object_get(v, "messages");
	size_t i;

	ipl = json_hex(ip, sizeof(ip), v, "init_prologue");
	rpl = json_hex(rp, sizeof(rp), v, "resp_prologue");
	json_hex(is, sizeof(is), v, "init_static");
	json_hex(ie, sizeof(ie), v, "init_ephemeral");
	json_hex(irs, sizeof(irs), v, "init_remote_static");
	json_hex(rs, sizeof(rs), v, "resp_static");
	json_hex(re, sizeof(re), v, "resp_ephemeral");
	cr_assert(json_array_size(msgs) >= 2, "vector %zu: no handshake", index);

	noise_ik_init(&ini, NOISE_INITIATOR, ip, ipl, is, NULL, irs);
	noise_ik_init(&res, NOISE_RESPONDER, rp, rpl, rs, NULL, NULL);

	/* -> e, es, s, ss */
	plen = json_hex(payload, sizeof(payload), json_array_get(msgs, 0), "payload");
	wlen = json_hex(want, sizeof(want), json_array_get(msgs, 0), "ciphertext");
	cr_assert_eq(wlen, plen + NOISE_MSG1_OVERHEAD);
	cr_assert_eq(noise_ik_write_msg1(&ini, ie, NULL, payload, plen, out), PROTO_OK);
	cr_assert(memcmp(out, want, wlen) == 0, "vector %zu message 0 differs", index);
	cr_assert_eq(noise_ik_read_msg1(&res, want, wlen, NULL, NULL, back), PROTO_OK);
	cr_assert(memcmp(back, payload, plen) == 0);
	cr_assert(memcmp(res.rs, ini.s_pub, 32) == 0, "responder learnt the initiator's key");

	/* <- e, ee, se */
	plen = json_hex(payload, sizeof(payload), json_array_get(msgs, 1), "payload");
	wlen = json_hex(want, sizeof(want), json_array_get(msgs, 1), "ciphertext");
	cr_assert_eq(wlen, plen + NOISE_MSG2_OVERHEAD);
	cr_assert_eq(noise_ik_write_msg2(&res, re, payload, plen, out), PROTO_OK);
	cr_assert(memcmp(out, want, wlen) == 0, "vector %zu message 1 differs", index);
	cr_assert_eq(noise_ik_read_msg2(&ini, want, wlen, back), PROTO_OK);
	cr_assert(memcmp(back, payload, plen) == 0);

	cr_assert(memcmp(ini.sym.h, res.sym.h, 64) == 0);
	if (json_object_get(v, "handshake_hash")) {
		json_hex(hash, sizeof(hash), v, "handshake_hash");
		cr_assert(memcmp(ini.sym.h, hash, 64) == 0, "vector %zu handshake hash", index);
	}

	noise_ik_split(&ini, &ini_tx, &ini_rx);
	noise_ik_split(&res, &res_tx, &res_rx);
	cr_assert(memcmp(ini_tx.key, res_rx.key, 32) == 0 &&
		  memcmp(ini_rx.key, res_tx.key, 32) == 0);
	cr_assert_eq(ini.s_priv[0] | ini.e_priv[0] | ini.sym.ck[0] | res.e_priv[31], 0,
		     "split wipes the secrets");

	for (i = 2; i < json_array_size(msgs); i++) {
		bool from_initiator = i % 2 == 0;
		struct noise_cipher *tx = from_initiator ? &ini_tx : &res_tx;
		struct noise_cipher *rx = from_initiator ? &res_rx : &ini_rx;

		plen = json_hex(payload, sizeof(payload), json_array_get(msgs, i), "payload");
		wlen = json_hex(want, sizeof(want), json_array_get(msgs, i), "ciphertext");
		cr_assert_eq(noise_cipher_encrypt(tx, NULL, 0, payload, plen, out), PROTO_OK);
		cr_assert_eq(wlen, plen + NOISE_TAG_LEN);
		cr_assert(memcmp(out, want, wlen) == 0, "vector %zu message %zu differs", index, i);
		cr_assert_eq(noise_cipher_decrypt(rx, NULL, 0, want, wlen, back), PROTO_OK);
		cr_assert(memcmp(back, payload, plen) == 0);
	}
}

Test(noise, official_vectors)
{
	json_error_t err;
	json_t *root = json_load_file(NOISE_VECTORS, 0, &err);
	json_t *vectors;
	size_t i;

	cr_assert_not_null(root, "%s: %s", NOISE_VECTORS, err.text);
	vectors = json_object_get(root, "vectors");
	cr_assert(json_array_size(vectors) >= 3, "expected every official entry");
	for (i = 0; i < json_array_size(vectors); i++) {
		json_t *v = json_array_get(vectors, i);
		json_t *name = json_object_get(v, "protocol_name");

		if (!name)
			name = json_object_get(v, "name");
		cr_assert_str_eq(json_string_value(name), "Noise_IK_25519_ChaChaPoly_BLAKE2b");
		run_vector(v, i);
	}
	json_decref(root);
}

/* small-order points libsodium refuses: 0 and 1, and a point of order 8 */
static const uint8_t low_order[][32] = {
	{0},
	{1},
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
	/* p - 1, non-canonical encodings of low-order points are refused too */
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

struct pair {
	uint8_t ini_s[32], res_s[32], res_pub[32];
};

static void make_pair(struct pair *p)
{
	randombytes_buf(p->ini_s, 32);
	randombytes_buf(p->res_s, 32);
	crypto_scalarmult_base(p->res_pub, p->res_s);
}

Test(noise, low_order_remote_static_refused_by_initiator)
{
	struct noise_handshake ini;
	uint8_t s[32] = {9}, out[NOISE_MSG1_OVERHEAD];

	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		noise_ik_init(&ini, NOISE_INITIATOR, NULL, 0, s, NULL, low_order[i]);
		cr_assert_eq(noise_ik_write_msg1(&ini, NULL, NULL, NULL, 0, out), PROTO_LOW_ORDER,
			     "point %zu", i);
	}
}

Test(noise, low_order_ephemeral_in_msg1)
{
	struct noise_handshake ini, res;
	struct pair p;
	uint8_t msg[NOISE_MSG1_OVERHEAD + 4], payload[4] = "ping";

	make_pair(&p);
	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		noise_ik_init(&ini, NOISE_INITIATOR, NULL, 0, p.ini_s, NULL, p.res_pub);
		cr_assert_eq(noise_ik_write_msg1(&ini, NULL, NULL, payload, 4, msg), PROTO_OK);
		memcpy(msg, low_order[i], 32);
		noise_ik_init(&res, NOISE_RESPONDER, NULL, 0, p.res_s, NULL, NULL);
		cr_assert_eq(noise_ik_read_msg1(&res, msg, sizeof(msg), NULL, NULL, payload),
			     PROTO_LOW_ORDER, "point %zu", i);
	}
}

Test(noise, low_order_static_in_msg1)
{
	struct noise_handshake ini, res;
	struct pair p;
	uint8_t msg[NOISE_MSG1_OVERHEAD], none[1];

	make_pair(&p);
	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		/* an initiator claiming a low-order static key: ss must refuse it */
		noise_ik_init(&ini, NOISE_INITIATOR, NULL, 0, p.ini_s, NULL, p.res_pub);
		memcpy(ini.s_pub, low_order[i], 32);
		cr_assert_eq(noise_ik_write_msg1(&ini, NULL, NULL, NULL, 0, msg), PROTO_OK);
		noise_ik_init(&res, NOISE_RESPONDER, NULL, 0, p.res_s, NULL, NULL);
		cr_assert_eq(noise_ik_read_msg1(&res, msg, sizeof(msg), NULL, NULL, none),
			     PROTO_LOW_ORDER, "point %zu", i);
	}
}

/* an ss cache holding one value, whatever the key */
static const uint8_t *fixed_ss(void *ctx, const uint8_t rs[32])
{
	(void)rs;
	return ctx;
}

Test(noise, cached_ss_same_messages)
{
	struct noise_handshake ini[2], res[2];
	struct noise_cipher tx[2], rx[2];
	struct pair p;
	uint8_t ss[32], ss_res[32], ini_pub[32], ie[32], re[32], back[4];
	uint8_t m1[2][NOISE_MSG1_OVERHEAD + 4], m2[2][NOISE_MSG2_OVERHEAD + 4];

	make_pair(&p);
	randombytes_buf(ie, 32);
	randombytes_buf(re, 32);
	crypto_scalarmult_base(ini_pub, p.ini_s);
	cr_assert_eq(noise_ik_static_dh(ss, p.ini_s, p.res_pub), PROTO_OK);
	cr_assert_eq(noise_ik_static_dh(ss_res, p.res_s, ini_pub), PROTO_OK);
	cr_assert(memcmp(ss, ss_res, 32) == 0);
	/* [0] computes ss, [1] is given it on both sides */
	for (int i = 0; i < 2; i++) {
		noise_ik_init(&ini[i], NOISE_INITIATOR, (const uint8_t *)"x", 1, p.ini_s, NULL,
			      p.res_pub);
		noise_ik_init(&res[i], NOISE_RESPONDER, (const uint8_t *)"x", 1, p.res_s, NULL,
			      NULL);
		cr_assert_eq(noise_ik_write_msg1(&ini[i], ie, i ? ss : NULL,
						 (const uint8_t *)"ping", 4, m1[i]),
			     PROTO_OK);
		cr_assert_eq(noise_ik_read_msg1(&res[i], m1[i], sizeof(m1[i]), i ? fixed_ss : NULL,
						ss_res, back),
			     PROTO_OK);
		cr_assert(memcmp(back, "ping", 4) == 0);
		cr_assert_eq(noise_ik_write_msg2(&res[i], re, (const uint8_t *)"pong", 4, m2[i]),
			     PROTO_OK);
		cr_assert_eq(noise_ik_read_msg2(&ini[i], m2[i], sizeof(m2[i]), back), PROTO_OK);
		noise_ik_split(&ini[i], &tx[i], &rx[i]);
	}
	cr_assert(memcmp(m1[0], m1[1], sizeof(m1[0])) == 0);
	cr_assert(memcmp(m2[0], m2[1], sizeof(m2[0])) == 0);
	cr_assert(memcmp(ini[0].sym.h, ini[1].sym.h, 64) == 0);
	cr_assert(memcmp(tx[0].key, tx[1].key, 32) == 0 && memcmp(rx[0].key, rx[1].key, 32) == 0);
}

Test(noise, cached_ss_low_order_and_wrong)
{
	struct noise_handshake ini, res;
	struct pair p;
	uint8_t ss[32], zero[32] = {0}, msg[NOISE_MSG1_OVERHEAD], none[1];

	make_pair(&p);
	/* the cache is filled by a checked DH: nothing for a low-order point */
	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		memset(ss, 0x55, 32);
		cr_assert_eq(noise_ik_static_dh(ss, p.res_s, low_order[i]), PROTO_LOW_ORDER,
			     "point %zu", i);
		cr_assert(memcmp(ss, zero, 32) == 0);
	}
	/* an all-zero ss is what such a point gives: refused on both sides */
	noise_ik_init(&ini, NOISE_INITIATOR, NULL, 0, p.ini_s, NULL, p.res_pub);
	cr_assert_eq(noise_ik_write_msg1(&ini, NULL, zero, NULL, 0, msg), PROTO_LOW_ORDER);
	noise_ik_init(&ini, NOISE_INITIATOR, NULL, 0, p.ini_s, NULL, p.res_pub);
	cr_assert_eq(noise_ik_write_msg1(&ini, NULL, NULL, NULL, 0, msg), PROTO_OK);
	noise_ik_init(&res, NOISE_RESPONDER, NULL, 0, p.res_s, NULL, NULL);
	cr_assert_eq(noise_ik_read_msg1(&res, msg, sizeof(msg), fixed_ss, zero, none),
		     PROTO_LOW_ORDER);
	/* a wrong one fails the payload's tag */
	memset(ss, 0x55, 32);
	noise_ik_init(&res, NOISE_RESPONDER, NULL, 0, p.res_s, NULL, NULL);
	cr_assert_eq(noise_ik_read_msg1(&res, msg, sizeof(msg), fixed_ss, ss, none), PROTO_DECRYPT);
	/* NULL from the lookup: computed */
	noise_ik_init(&res, NOISE_RESPONDER, NULL, 0, p.res_s, NULL, NULL);
	cr_assert_eq(noise_ik_read_msg1(&res, msg, sizeof(msg), fixed_ss, NULL, none), PROTO_OK);
}

Test(noise, low_order_ephemeral_in_msg2)
{
	struct noise_handshake ini, res, copy;
	struct pair p;
	uint8_t m1[NOISE_MSG1_OVERHEAD], m2[NOISE_MSG2_OVERHEAD], none[1];

	make_pair(&p);
	noise_ik_init(&ini, NOISE_INITIATOR, NULL, 0, p.ini_s, NULL, p.res_pub);
	noise_ik_init(&res, NOISE_RESPONDER, NULL, 0, p.res_s, NULL, NULL);
	cr_assert_eq(noise_ik_write_msg1(&ini, NULL, NULL, NULL, 0, m1), PROTO_OK);
	cr_assert_eq(noise_ik_read_msg1(&res, m1, sizeof(m1), NULL, NULL, none), PROTO_OK);
	cr_assert_eq(noise_ik_write_msg2(&res, NULL, NULL, 0, m2), PROTO_OK);
	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		uint8_t bad[NOISE_MSG2_OVERHEAD];

		memcpy(bad, m2, sizeof(bad));
		memcpy(bad, low_order[i], 32);
		copy = ini;
		cr_assert_eq(noise_ik_read_msg2(&copy, bad, sizeof(bad), none), PROTO_LOW_ORDER,
			     "point %zu", i);
	}
	cr_assert_eq(noise_ik_read_msg2(&ini, m2, sizeof(m2), none), PROTO_OK);
}

Test(noise, every_flipped_bit_refused)
{
	struct noise_handshake ini, res, copy;
	struct pair p;
	uint8_t m1[NOISE_MSG1_OVERHEAD + 3], m2[NOISE_MSG2_OVERHEAD + 3], out[3];

	make_pair(&p);
	noise_ik_init(&ini, NOISE_INITIATOR, (const uint8_t *)"x", 1, p.ini_s, NULL, p.res_pub);
	noise_ik_init(&res, NOISE_RESPONDER, (const uint8_t *)"x", 1, p.res_s, NULL, NULL);
	cr_assert_eq(noise_ik_write_msg1(&ini, NULL, NULL, (const uint8_t *)"abc", 3, m1),
		     PROTO_OK);
	for (size_t bit = 0; bit < sizeof(m1) * 8; bit++) {
		m1[bit / 8] ^= 1 << (bit % 8);
		copy = res;
		cr_assert_eq(noise_ik_read_msg1(&copy, m1, sizeof(m1), NULL, NULL, out),
			     PROTO_DECRYPT, "bit %zu", bit);
		m1[bit / 8] ^= 1 << (bit % 8);
	}
	cr_assert_eq(noise_ik_read_msg1(&res, m1, sizeof(m1), NULL, NULL, out), PROTO_OK);
	cr_assert_eq(noise_ik_write_msg2(&res, NULL, (const uint8_t *)"def", 3, m2), PROTO_OK);
	for (size_t bit = 0; bit < sizeof(m2) * 8; bit++) {
		m2[bit / 8] ^= 1 << (bit % 8);
		copy = ini;
		cr_assert_eq(noise_ik_read_msg2(&copy, m2, sizeof(m2), out), PROTO_DECRYPT,
			     "bit %zu", bit);
		m2[bit / 8] ^= 1 << (bit % 8);
	}
	cr_assert_eq(noise_ik_read_msg2(&ini, m2, sizeof(m2), out), PROTO_OK);
	cr_assert(memcmp(out, "def", 3) == 0);
}

Test(noise, prologue_mismatch_refused)
{
	struct noise_handshake ini, res;
	struct pair p;
	uint8_t m1[NOISE_MSG1_OVERHEAD], none[1];

	make_pair(&p);
	noise_ik_init(&ini, NOISE_INITIATOR, (const uint8_t *)"tether/1", 8, p.ini_s, NULL, p.res_pub);
	noise_ik_init(&res, NOISE_RESPONDER, (const uint8_t *)"tether/2", 8, p.res_s, NULL, NULL);
	cr_assert_eq(noise_ik_write_msg1(&ini, NULL, NULL, NULL, 0, m1), PROTO_OK);
	cr_assert_eq(noise_ik_read_msg1(&res, m1, sizeof(m1), NULL, NULL, none), PROTO_DECRYPT);
}

Test(noise, short_messages_refused)
{
	struct noise_handshake hs;
	uint8_t buf[NOISE_MSG1_OVERHEAD] = {0}, none[1], s[32] = {1};

	noise_ik_init(&hs, NOISE_RESPONDER, NULL, 0, s, NULL, NULL);
	cr_assert_eq(noise_ik_read_msg1(&hs, buf, NOISE_MSG1_OVERHEAD - 1, NULL, NULL, none),
		     PROTO_BAD_LENGTH);
	noise_ik_init(&hs, NOISE_INITIATOR, NULL, 0, s, NULL, s);
	cr_assert_eq(noise_ik_read_msg2(&hs, buf, NOISE_MSG2_OVERHEAD - 1, none), PROTO_BAD_LENGTH);
}

Test(noise, fresh_ephemerals_differ)
{
	struct noise_handshake a, b;
	struct pair p;
	uint8_t m1[NOISE_MSG1_OVERHEAD], m2[NOISE_MSG1_OVERHEAD];

	make_pair(&p);
	noise_ik_init(&a, NOISE_INITIATOR, NULL, 0, p.ini_s, NULL, p.res_pub);
	noise_ik_init(&b, NOISE_INITIATOR, NULL, 0, p.ini_s, NULL, p.res_pub);
	cr_assert_eq(noise_ik_write_msg1(&a, NULL, NULL, NULL, 0, m1), PROTO_OK);
	cr_assert_eq(noise_ik_write_msg1(&b, NULL, NULL, NULL, 0, m2), PROTO_OK);
	cr_assert(memcmp(m1, m2, 32) != 0);
	noise_handshake_clear(&a);
	cr_assert_eq(a.s_priv[0] | a.e_priv[5] | a.sym.cipher.key[0], 0);
}
