/* tests/vectors/tether-v1.json, handshake half: every case's payloads, mac1
 * keys, messages 1 and 2, macs, hashes and split keys built byte for byte
 * from the inputs, and each message consumed by the other role recovering
 * the same payload and keys; then the cookie case. (The data messages of
 * the same file are checked by test_vectors_data.c.) */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>

#include "proto/handshake.h"
#include "proto/keys.h"
#include "proto/mac.h"
#include "proto/noise.h"
#include "proto/tlv.h"

#define TETHER_VECTORS TETHER_VECTORS_DIR "/tether-v1.json"

static json_t *root;

static void setup(void)
{
	json_error_t err;

	cr_assert_geq(sodium_init(), 0);
	root = json_load_file(TETHER_VECTORS, 0, &err);
	cr_assert_not_null(root, "%s: %s", TETHER_VECTORS, err.text);
}

static void teardown(void)
{
	json_decref(root);
}

TestSuite(vectors_handshake, .init = setup, .fini = teardown);

static size_t unhex(uint8_t *out, size_t size, const char *hex)
{
	size_t len = 0;

	cr_assert_eq(sodium_hex2bin(out, size, hex, strlen(hex), NULL, &len, NULL), 0,
		     "bad hex or too long: %.40s", hex);
	return len;
}

static const char *str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert(json_is_string(v), "missing string %s", key);
	return json_string_value(v);
}

static size_t hex(uint8_t *out, size_t size, json_t *obj, const char *key)
{
	return unhex(out, size, str(obj, key));
}

static long long num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert(json_is_integer(v), "missing number %s", key);
	return json_integer_value(v);
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static void assert_hex(const uint8_t *got, size_t len, json_t *obj, const char *key, const char *id)
{
	uint8_t want[2048];
	size_t want_len = hex(want, sizeof(want), obj, key);

	cr_assert_eq(len, want_len, "%s %s: length %zu, want %zu", id, key, len, want_len);
	cr_assert(memcmp(got, want, len) == 0, "%s %s differs", id, key);
}

/* Inputs of one case, as the two roles would hold them. */
struct vcase {
	const char *id;
	uint8_t agent_priv[32], agent_pub[32], conc_priv[32], conc_pub[32];
	uint8_t agent_eph[32], conc_eph[32];
	uint32_t agent_index, conc_index;
	struct tlv_msg1 m1;
	struct tlv_msg2 m2;
	struct handshake_identity agent, conc;
	struct handshake_peer server;
};

static void set_string(char *dst, size_t *len, json_t *v)
{
	if (json_is_null(v) || !v) {
		*len = 0;
		return;
	}
	*len = strlen(json_string_value(v));
	memcpy(dst, json_string_value(v), *len + 1);
}

static void load_case(struct vcase *c, json_t *j)
{
	json_t *in1 = json_object_get(j, "msg1_inputs");
	json_t *in2 = json_object_get(j, "msg2_inputs");
	const char *status = str(in2, "status");
	json_t *v;

	memset(c, 0, sizeof(*c));
	c->id = str(j, "id");
	hex(c->agent_priv, 32, j, "agent_static_private");
	hex(c->agent_pub, 32, j, "agent_static_public");
	hex(c->conc_priv, 32, j, "concentrator_static_private");
	hex(c->conc_pub, 32, j, "concentrator_static_public");
	hex(c->agent_eph, 32, j, "agent_ephemeral_private");
	hex(c->conc_eph, 32, j, "concentrator_ephemeral_private");
	c->agent_index = (uint32_t)num(j, "agent_sender_index");
	c->conc_index = (uint32_t)num(j, "concentrator_sender_index");

	hex(c->m1.timestamp, sizeof(c->m1.timestamp), in1, "timestamp_tai64n");
	set_string(c->m1.name, &c->m1.name_len, json_object_get(in1, "name"));
	set_string(c->m1.token, &c->m1.token_len, json_object_get(in1, "enroll_token_ascii"));
	set_string(c->m1.agent, &c->m1.agent_len, json_object_get(in1, "agent"));

	if (strcmp(status, "OK") == 0) {
		c->m2.status = WIRE_STATUS_OK;
		cr_assert_eq(inet_pton(AF_INET, str(in2, "addr4"), c->m2.addr4), 1);
		cr_assert_eq(inet_pton(AF_INET, str(in2, "peer4"), c->m2.peer4), 1);
		c->m2.mtu = (uint16_t)num(in2, "mtu");
		c->m2.keepalive = (uint16_t)num(in2, "keepalive");
		v = json_object_get(in2, "addr6");
		if (json_is_string(v)) {
			cr_assert_eq(inet_pton(AF_INET6, json_string_value(v), c->m2.addr6), 1);
			c->m2.has_addr6 = true;
		}
		v = json_object_get(in2, "peer6");
		if (json_is_string(v)) {
			cr_assert_eq(inet_pton(AF_INET6, json_string_value(v), c->m2.peer6), 1);
			c->m2.has_peer6 = true;
		}
		set_string(c->m2.url, &c->m2.url_len, json_object_get(in2, "url"));
	} else if (strcmp(status, "REJECTED") == 0) {
		c->m2.status = WIRE_STATUS_REJECTED;
	} else {
		cr_assert_str_eq(status, "RETRY_LATER");
		c->m2.status = WIRE_STATUS_RETRY_LATER;
	}

	cr_assert_eq(handshake_identity_init(&c->agent, c->agent_priv), PROTO_OK);
	cr_assert_eq(handshake_identity_init(&c->conc, c->conc_priv), PROTO_OK);
	handshake_peer_init(&c->server, c->conc_pub);
}

static void assert_msg1_payload(const struct tlv_msg1 *got, const struct tlv_msg1 *want)
{
	cr_assert(memcmp(got->timestamp, want->timestamp, 12) == 0);
	cr_assert_eq(got->name_len, want->name_len);
	cr_assert_str_eq(got->name, want->name);
	cr_assert(got->name_valid);
	cr_assert_eq(got->token_len, want->token_len);
	cr_assert_str_eq(got->token, want->token);
	cr_assert_eq(got->agent_len, want->agent_len);
	cr_assert_str_eq(got->agent, want->agent);
}

static void assert_msg2_payload(const struct tlv_msg2 *got, const struct tlv_msg2 *want)
{
	cr_assert_eq(got->status, want->status);
	cr_assert(memcmp(got->addr4, want->addr4, 4) == 0);
	cr_assert(memcmp(got->peer4, want->peer4, 4) == 0);
	cr_assert_eq(got->mtu, want->mtu);
	cr_assert_eq(got->keepalive, want->keepalive);
	cr_assert_eq(got->has_addr6, want->has_addr6);
	cr_assert(memcmp(got->addr6, want->addr6, 16) == 0);
	cr_assert_eq(got->has_peer6, want->has_peer6);
	cr_assert(memcmp(got->peer6, want->peer6, 16) == 0);
	cr_assert_eq(got->url_len, want->url_len);
	cr_assert_str_eq(got->url, want->url);
}

static void check_case(json_t *j)
{
	struct vcase c;
	struct handshake agent_hs, conc_hs;
	struct session_keys agent_keys, conc_keys;
	struct tlv_msg1 got1;
	struct tlv_msg2 got2;
	uint8_t buf[WIRE_RESP_MAX_LEN + WIRE_INIT_MAX_LEN], key[32], pub[32], zero[32] = {0};
	uint8_t msg1[WIRE_INIT_MAX_LEN], msg2[WIRE_RESP_MAX_LEN], k1[32], k2[32];
	char b64[KEYS_B64_SIZE];
	size_t len, msg1_len, msg2_len;

	load_case(&c, j);

	/* keys and their text forms */
	cr_assert(memcmp(c.agent.public_key, c.agent_pub, 32) == 0, "%s agent public", c.id);
	cr_assert(memcmp(c.conc.public_key, c.conc_pub, 32) == 0, "%s concentrator public", c.id);
	keys_to_base64(b64, c.agent_pub);
	cr_assert_str_eq(b64, str(j, "agent_static_public_b64"));
	keys_to_base64(b64, c.conc_pub);
	cr_assert_str_eq(b64, str(j, "concentrator_static_public_b64"));
	cr_assert_eq(keys_from_base64(pub, str(j, "agent_static_public_b64")), 0);
	cr_assert(memcmp(pub, c.agent_pub, 32) == 0);
	cr_assert_eq(keys_public(pub, c.agent_eph), 0);
	assert_hex(pub, 32, j, "agent_ephemeral_public", c.id);
	cr_assert_eq(keys_public(pub, c.conc_eph), 0);
	assert_hex(pub, 32, j, "concentrator_ephemeral_public", c.id);
	{
		uint8_t le[4];

		hex(le, 4, j, "agent_sender_index_le_hex");
		cr_assert_eq(le[0] | le[1] << 8 | le[2] << 16 | (uint32_t)le[3] << 24,
			     c.agent_index);
		hex(le, 4, j, "concentrator_sender_index_le_hex");
		cr_assert_eq(le[0] | le[1] << 8 | le[2] << 16 | (uint32_t)le[3] << 24,
			     c.conc_index);
	}

	/* message 1 payload and mac1 key */
	cr_assert_eq(tlv_msg1_encode(&c.m1, buf, sizeof(buf), &len), PROTO_OK);
	assert_hex(buf, len, j, "msg1_payload_tlv", c.id);
	cr_assert_eq(len, (size_t)num(j, "msg1_payload_len"));
	mac_key_mac1(key, c.conc_pub);
	assert_hex(key, 32, j, "mac1_key_for_msg1", c.id);
	cr_assert(memcmp(key, c.conc.mac1_key, 32) == 0 && memcmp(key, c.server.mac1_key, 32) == 0);

	/* agent builds message 1 */
	cr_assert_eq(handshake_initiation_create(&agent_hs, &c.agent, &c.server, c.agent_index,
						 &c.m1, NULL, c.agent_eph, buf, sizeof(buf), &len),
		     PROTO_OK, "%s", c.id);
	assert_hex(buf, len, j, "msg1", c.id);
	cr_assert_eq(len, (size_t)num(j, "msg1_len"));
	assert_hex(buf + len - 32, 16, j, "msg1_mac1", c.id);
	assert_hex(buf + len - 16, 16, j, "msg1_mac2", c.id);
	assert_hex(agent_hs.h_after_msg1, 64, j, "h_after_msg1", c.id);
	cr_assert(memcmp(agent_hs.mac1, buf + len - 32, 16) == 0);
	cr_assert_eq(agent_hs.local_index, c.agent_index);

	/* concentrator consumes the vector's message 1 */
	msg1_len = hex(msg1, sizeof(msg1), j, "msg1");
	cr_assert_eq(handshake_initiation_check(&c.conc, msg1, msg1_len), PROTO_OK);
	cr_assert_eq(
		handshake_initiation_consume(&conc_hs, &c.conc, msg1, msg1_len, NULL, NULL, &got1),
		PROTO_OK, "%s", c.id);
	assert_msg1_payload(&got1, &c.m1);
	cr_assert(memcmp(conc_hs.remote_static, c.agent_pub, 32) == 0);
	cr_assert_eq(conc_hs.remote_index, c.agent_index);
	assert_hex(conc_hs.h_after_msg1, 64, j, "h_after_msg1", c.id);

	/* message 2 payload and mac1 key */
	cr_assert_eq(tlv_msg2_encode(&c.m2, buf, sizeof(buf), &len), PROTO_OK);
	assert_hex(buf, len, j, "msg2_payload_tlv", c.id);
	cr_assert_eq(len, (size_t)num(j, "msg2_payload_len"));
	mac_key_mac1(key, c.agent_pub);
	assert_hex(key, 32, j, "mac1_key_for_msg2", c.id);
	cr_assert(memcmp(key, c.agent.mac1_key, 32) == 0);

	/* concentrator builds message 2 */
	cr_assert_eq(handshake_response_create(&conc_hs, c.conc_index, &c.m2, c.conc_eph, buf,
					       sizeof(buf), &len, &conc_keys),
		     PROTO_OK, "%s", c.id);
	assert_hex(buf, len, j, "msg2", c.id);
	cr_assert_eq(len, (size_t)num(j, "msg2_len"));
	assert_hex(buf + len - 32, 16, j, "msg2_mac1", c.id);
	assert_hex(buf + len - 16, 16, j, "msg2_mac2", c.id);
	assert_hex(conc_hs.hash, 64, j, "handshake_hash", c.id);
	cr_assert_eq(conc_hs.state, HANDSHAKE_DONE);
	cr_assert(memcmp(conc_hs.noise.sym.ck, zero, 32) == 0, "secrets wiped");

	/* agent consumes the vector's message 2 */
	msg2_len = hex(msg2, sizeof(msg2), j, "msg2");
	cr_assert_eq(
		handshake_response_consume(&agent_hs, &c.agent, msg2, msg2_len, &got2, &agent_keys),
		PROTO_OK, "%s", c.id);
	assert_msg2_payload(&got2, &c.m2);
	assert_hex(agent_hs.hash, 64, j, "handshake_hash", c.id);
	cr_assert_eq(agent_hs.remote_index, c.conc_index);
	cr_assert_eq(agent_hs.state, HANDSHAKE_DONE);

	hex(k1, 32, j, "k1_agent_to_concentrator");
	hex(k2, 32, j, "k2_concentrator_to_agent");
	if (c.m2.status == WIRE_STATUS_OK) {
		cr_assert(memcmp(agent_keys.send, k1, 32) == 0, "%s agent sends k1", c.id);
		cr_assert(memcmp(agent_keys.recv, k2, 32) == 0, "%s agent receives k2", c.id);
		cr_assert(memcmp(conc_keys.send, k2, 32) == 0, "%s concentrator sends k2", c.id);
		cr_assert(memcmp(conc_keys.recv, k1, 32) == 0, "%s concentrator receives k1", c.id);
		cr_assert_eq(agent_keys.local_index, c.agent_index);
		cr_assert_eq(agent_keys.remote_index, c.conc_index);
		cr_assert_eq(conc_keys.local_index, c.conc_index);
		cr_assert_eq(conc_keys.remote_index, c.agent_index);
	} else {
		/* no session: the caller gets no keys, though Split() would give k1, k2 */
		struct noise_handshake ini, res;
		struct noise_cipher tx, rx;
		uint8_t plain[WIRE_PAYLOAD_MAX];

		cr_assert(all_zero(&agent_keys, sizeof(agent_keys)));
		cr_assert(all_zero(&conc_keys, sizeof(conc_keys)));
		noise_ik_init(&ini, NOISE_INITIATOR, (const uint8_t *)WIRE_PROLOGUE, 8, c.agent_priv, NULL, c.conc_pub);
		noise_ik_init(&res, NOISE_RESPONDER, (const uint8_t *)WIRE_PROLOGUE, 8, c.conc_priv, NULL, NULL);
		cr_assert_eq(noise_ik_read_msg1(&res, msg1 + 8, msg1_len - 40, NULL, NULL, plain),
			     PROTO_OK);
		cr_assert_eq(noise_ik_write_msg2(&res, c.conc_eph, (const uint8_t *)"\x10\x01\x01",
						 3, buf),
			     PROTO_OK);
		cr_assert(memcmp(buf, msg2 + 12, msg2_len - 44) == 0);
		noise_ik_split(&res, &tx, &rx);
		cr_assert(memcmp(tx.key, k2, 32) == 0 && memcmp(rx.key, k1, 32) == 0);
		noise_handshake_clear(&ini);
	}
}

Test(vectors_handshake, file_shape)
{
	uint8_t prologue[16];

	cr_assert_str_eq(str(root, "protocol_name"), WIRE_PROTOCOL_NAME);
	cr_assert_eq(hex(prologue, sizeof(prologue), root, "prologue"), 8);
	cr_assert(memcmp(prologue, WIRE_PROLOGUE, 8) == 0);
	cr_assert_geq(json_array_size(json_object_get(root, "cases")), 3);
}

Test(vectors_handshake, every_case)
{
	json_t *cases = json_object_get(root, "cases");

	for (size_t i = 0; i < json_array_size(cases); i++)
		check_case(json_array_get(cases, i));
}

/* the concentrator's ss cache: one agent key, counting the lookups */
struct ss_cache {
	uint8_t key[32];
	uint8_t ss[32];
	unsigned int lookups;
};

static const uint8_t *ss_lookup(void *ctx, const uint8_t rs[32])
{
	struct ss_cache *cache = ctx;

	cache->lookups++;
	return memcmp(rs, cache->key, 32) == 0 ? cache->ss : NULL;
}

/* Both sides with ss precomputed, as the daemons run: every byte, hash
 * and key of the vectors again, the ss DH never done per handshake. */
static void check_case_cached(json_t *j)
{
	struct vcase c;
	struct ss_cache cache = {.lookups = 0};
	struct handshake agent_hs, conc_hs;
	struct session_keys agent_keys, conc_keys;
	struct tlv_msg1 got1;
	struct tlv_msg2 got2;
	uint8_t msg1[WIRE_INIT_MAX_LEN], msg2[WIRE_RESP_MAX_LEN], k1[32], k2[32];
	size_t msg1_len, msg2_len;

	load_case(&c, j);
	cr_assert_eq(handshake_peer_precompute(&c.server, &c.agent), PROTO_OK);
	cr_assert(c.server.has_ss);
	memcpy(cache.key, c.agent_pub, 32);
	cr_assert_eq(handshake_ss_compute(cache.ss, &c.conc, c.agent_pub), PROTO_OK);
	cr_assert(memcmp(cache.ss, c.server.ss, 32) == 0, "%s: DH(a, C) == DH(c, A)", c.id);

	cr_assert_eq(handshake_initiation_create(&agent_hs, &c.agent, &c.server, c.agent_index,
						 &c.m1, NULL, c.agent_eph, msg1, sizeof(msg1),
						 &msg1_len),
		     PROTO_OK, "%s", c.id);
	assert_hex(msg1, msg1_len, j, "msg1", c.id);
	assert_hex(agent_hs.h_after_msg1, 64, j, "h_after_msg1", c.id);

	cr_assert_eq(handshake_initiation_consume(&conc_hs, &c.conc, msg1, msg1_len, ss_lookup,
						  &cache, &got1),
		     PROTO_OK, "%s", c.id);
	cr_assert_eq(cache.lookups, 1);
	assert_msg1_payload(&got1, &c.m1);
	cr_assert(memcmp(conc_hs.remote_static, c.agent_pub, 32) == 0);
	assert_hex(conc_hs.h_after_msg1, 64, j, "h_after_msg1", c.id);

	cr_assert_eq(handshake_response_create(&conc_hs, c.conc_index, &c.m2, c.conc_eph, msg2,
					       sizeof(msg2), &msg2_len, &conc_keys),
		     PROTO_OK, "%s", c.id);
	assert_hex(msg2, msg2_len, j, "msg2", c.id);
	assert_hex(conc_hs.hash, 64, j, "handshake_hash", c.id);
	cr_assert_eq(
		handshake_response_consume(&agent_hs, &c.agent, msg2, msg2_len, &got2, &agent_keys),
		PROTO_OK, "%s", c.id);
	assert_hex(agent_hs.hash, 64, j, "handshake_hash", c.id);

	hex(k1, 32, j, "k1_agent_to_concentrator");
	hex(k2, 32, j, "k2_concentrator_to_agent");
	if (c.m2.status == WIRE_STATUS_OK) {
		cr_assert(memcmp(agent_keys.send, k1, 32) == 0, "%s agent sends k1", c.id);
		cr_assert(memcmp(agent_keys.recv, k2, 32) == 0, "%s agent receives k2", c.id);
		cr_assert(memcmp(conc_keys.send, k2, 32) == 0, "%s concentrator sends k2", c.id);
		cr_assert(memcmp(conc_keys.recv, k1, 32) == 0, "%s concentrator receives k1", c.id);
	}
	handshake_peer_clear(&c.server);
	cr_assert(all_zero(&c.server, sizeof(c.server)));
	sodium_memzero(&cache, sizeof(cache));
}

Test(vectors_handshake, every_case_with_cached_ss)
{
	json_t *cases = json_object_get(root, "cases");

	for (size_t i = 0; i < json_array_size(cases); i++)
		check_case_cached(json_array_get(cases, i));
}

Test(vectors_handshake, cookie)
{
	json_t *ck = json_object_get(root, "cookie");
	json_t *case1 = json_array_get(json_object_get(root, "cases"), 0);
	struct vcase c;
	struct mac_source src, src6;
	struct mac_checker checker;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct handshake hs;
	uint8_t secret[32], nonce[24], mac1[16], cookie[16], key[32], reply[WIRE_COOKIE_LEN];
	uint8_t msg1[WIRE_INIT_MAX_LEN], buf[WIRE_INIT_MAX_LEN], in[18];
	size_t msg1_len, len;
	const uint64_t now = 1000 * WIRE_NSEC_PER_SEC;

	load_case(&c, case1);
	hex(key, 32, ck, "concentrator_static_public");
	cr_assert(memcmp(c.conc_pub, key, 32) == 0);
	hex(secret, 32, ck, "secret");
	hex(nonce, 24, ck, "nonce");
	hex(mac1, 16, ck, "associated_data_mac1");
	hex(key, 32, case1, "msg1_mac1");
	cr_assert(memcmp(mac1, key, 16) == 0, "the reply answers case1's message 1");

	/* cookie input: 4 address bytes || LE16(port) */
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)num(ck, "source_port"));
	cr_assert_eq(inet_pton(AF_INET, str(ck, "source_ip"), &sin->sin_addr), 1);
	cr_assert_eq(mac_source_from_sockaddr(&src, &ss), PROTO_OK);
	cr_assert_eq(src.addr_len, 4);
	memcpy(in, src.addr, 4);
	in[4] = (uint8_t)src.port;
	in[5] = (uint8_t)(src.port >> 8);
	assert_hex(in, 6, ck, "cookie_input", "cookie");

	mac_cookie_compute(cookie, secret, &src);
	assert_hex(cookie, 16, ck, "cookie", "cookie");

	/* the same source as an IPv4-mapped IPv6 address gives the same cookie */
	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)num(ck, "source_port"));
	cr_assert_eq(inet_pton(AF_INET6, "::ffff:192.0.2.10", &sin6->sin6_addr), 1);
	cr_assert_eq(mac_source_from_sockaddr(&src6, &ss), PROTO_OK);
	cr_assert_eq(src6.addr_len, 4);
	mac_cookie_compute(key, secret, &src6);
	cr_assert(memcmp(key, cookie, 16) == 0);

	mac_key_cookie(key, c.conc_pub);
	assert_hex(key, 32, ck, "cookie_encryption_key", "cookie");
	cr_assert(memcmp(key, c.server.cookie_key, 32) == 0);

	mac_cookie_reply_seal(reply, key, (uint32_t)num(ck, "receiver_index"), mac1, cookie, nonce);
	assert_hex(reply, sizeof(reply), ck, "cookie_reply", "cookie");
	cr_assert_eq(num(ck, "cookie_reply_len"), WIRE_COOKIE_LEN);

	/* the concentrator's checker, given the secret, answers case1's message 1 alike */
	msg1_len = hex(msg1, sizeof(msg1), case1, "msg1");
	mac_checker_init(&checker, c.conc_pub);
	mac_checker_set_secret(&checker, secret, now);
	cr_assert_eq(mac_checker_check_mac2(&checker, now, &src, msg1, msg1_len),
		     PROTO_NEED_COOKIE);
	memset(reply, 0, sizeof(reply));
	cr_assert_eq(mac_checker_reply(&checker, now, &src, msg1, msg1_len, nonce, reply),
		     PROTO_OK);
	assert_hex(reply, sizeof(reply), ck, "cookie_reply", "cookie");

	/* the agent, holding case1's attempt, takes the cookie */
	cr_assert_eq(handshake_initiation_create(&hs, &c.agent, &c.server, c.agent_index, &c.m1,
						 NULL, c.agent_eph, buf, sizeof(buf), &len),
		     PROTO_OK);
	cr_assert_eq(handshake_cookie_consume(&hs, &c.server, reply, sizeof(reply), key), PROTO_OK);
	cr_assert(memcmp(key, cookie, 16) == 0);

	/* and sends message 1 again, now with mac2 */
	cr_assert_eq(handshake_initiation_create(&hs, &c.agent, &c.server, c.agent_index, &c.m1,
						 cookie, c.agent_eph, buf, sizeof(buf), &len),
		     PROTO_OK);
	assert_hex(buf, len, ck, "msg1_with_mac2", "cookie");
	assert_hex(buf + len - 16, 16, ck, "msg1_mac2", "cookie");
	cr_assert_eq(handshake_initiation_check(&c.conc, buf, len), PROTO_OK);
	cr_assert_eq(mac_checker_check_mac2(&checker, now, &src, buf, len), PROTO_OK);
	cr_assert_eq(mac_checker_check_mac2(&checker, now, &src6, buf, len), PROTO_OK);
	mac_checker_clear(&checker);
	handshake_clear(&hs);
}
