/* Messages 1 and 2 in both roles (proto/handshake.c): full handshakes
 * with each status, then every way a message can be wrong, each refused
 * with its own reason, and a waiting agent left intact by forgeries. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "proto/handshake.h"
#include "proto/keys.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(handshake, .init = setup);

/* an agent, its concentrator, and a default message 1 payload */
struct world {
	struct handshake_identity agent, conc;
	struct handshake_peer server;
	struct tlv_msg1 m1;
	struct tlv_msg2 ok;
};

static void set(char *dst, size_t *len, const char *s)
{
	*len = strlen(s);
	memcpy(dst, s, *len + 1);
}

static void make_world(struct world *w)
{
	uint8_t priv[32];

	memset(w, 0, sizeof(*w));
	keys_generate(priv);
	cr_assert_eq(handshake_identity_init(&w->agent, priv), PROTO_OK);
	keys_generate(priv);
	cr_assert_eq(handshake_identity_init(&w->conc, priv), PROTO_OK);
	handshake_peer_init(&w->server, w->conc.public_key);
	memset(w->m1.timestamp, 0x40, 12);
	set(w->m1.name, &w->m1.name_len, "an12345678");
	w->ok.status = WIRE_STATUS_OK;
	memcpy(w->ok.addr4, "\x64\x40\x00\x07", 4);
	memcpy(w->ok.peer4, "\x64\x40\x00\x01", 4);
	w->ok.mtu = 1420;
	w->ok.keepalive = 25;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static size_t msg1(struct world *w, struct handshake *hs, uint8_t *out)
{
	size_t len;

	cr_assert_eq(handshake_initiation_create(hs, &w->agent, &w->server, 0, &w->m1, NULL, NULL,
						 out, WIRE_INIT_MAX_LEN, &len),
		     PROTO_OK);
	return len;
}

/* concentrator side up to a consumed message 1 */
static void consume1(struct world *w, struct handshake *hs, const uint8_t *m, size_t len)
{
	struct tlv_msg1 p;

	cr_assert_eq(handshake_initiation_consume(hs, &w->conc, m, len, NULL, NULL, &p), PROTO_OK);
}

static size_t msg2(struct world *w, struct handshake *conc, const struct tlv_msg2 *p, uint8_t *out)
{
	struct session_keys keys;
	size_t len;

	(void)w;
	cr_assert_eq(
		handshake_response_create(conc, 0, p, NULL, out, WIRE_RESP_MAX_LEN, &len, &keys),
		PROTO_OK);
	return len;
}

/* re-stamp mac1 after tampering, so the check passes and Noise decides */
static void restamp(uint8_t *m, size_t len, const uint8_t key[32])
{
	mac_stamp(m, len, key, NULL);
}

/* an authenticated message 1 around any payload bytes */
static size_t raw_msg1(struct world *w, const uint8_t *payload, size_t plen, uint8_t *out)
{
	struct noise_handshake n;

	memset(out, 0, 8);
	out[0] = WIRE_TYPE_INITIATION;
	out[1] = WIRE_VERSION;
	out[4] = 0x99;
	noise_ik_init(&n, NOISE_INITIATOR, (const uint8_t *)WIRE_PROLOGUE, 8, w->agent.private_key, NULL,
		      w->conc.public_key);
	cr_assert_eq(noise_ik_write_msg1(&n, NULL, NULL, payload, plen, out + 8), PROTO_OK);
	restamp(out, WIRE_INIT_OVERHEAD + plen, w->server.mac1_key);
	noise_handshake_clear(&n);
	return WIRE_INIT_OVERHEAD + plen;
}

/* an authenticated message 2 around any payload bytes, for agent hs */
static size_t raw_msg2(struct world *w, struct handshake *conc, uint32_t receiver,
		       const uint8_t *payload, size_t plen, uint8_t *out)
{
	memset(out, 0, 12);
	out[0] = WIRE_TYPE_RESPONSE;
	out[1] = WIRE_VERSION;
	out[4] = 0x55;
	for (int i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(receiver >> (8 * i));
	cr_assert_eq(noise_ik_write_msg2(&conc->noise, NULL, payload, plen, out + 12), PROTO_OK);
	restamp(out, WIRE_RESP_OVERHEAD + plen, w->agent.mac1_key);
	return WIRE_RESP_OVERHEAD + plen;
}

Test(handshake, full_ok)
{
	struct world w;
	struct handshake a, c;
	struct session_keys ak, ck;
	struct tlv_msg1 p1;
	struct tlv_msg2 p2;
	uint8_t m1[WIRE_INIT_MAX_LEN], m2[WIRE_RESP_MAX_LEN];
	size_t l1, l2;

	make_world(&w);
	set(w.m1.token, &w.m1.token_len, "0123456789abcdef");
	l1 = msg1(&w, &a, m1);
	cr_assert_eq(l1, WIRE_INIT_OVERHEAD + 14 + 12 + 18);
	cr_assert_eq(a.state, HANDSHAKE_INITIATION_CREATED);
	cr_assert_neq(a.local_index, 0);
	cr_assert(all_zero(m1 + l1 - 16, 16), "no cookie, no mac2");

	cr_assert_eq(handshake_initiation_check(&w.conc, m1, l1), PROTO_OK);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p1), PROTO_OK);
	cr_assert_str_eq(p1.name, "an12345678");
	cr_assert(p1.name_valid);
	cr_assert_str_eq(p1.token, "0123456789abcdef");
	cr_assert(memcmp(c.remote_static, w.agent.public_key, 32) == 0);
	cr_assert_eq(c.remote_index, a.local_index);
	cr_assert(memcmp(c.h_after_msg1, a.h_after_msg1, 64) == 0);
	cr_assert_eq(c.state, HANDSHAKE_INITIATION_CONSUMED);

	cr_assert_eq(handshake_response_create(&c, 0, &w.ok, NULL, m2, sizeof(m2), &l2, &ck),
		     PROTO_OK);
	cr_assert_eq(l2, WIRE_RESP_OVERHEAD + 23);
	cr_assert(all_zero(m2 + l2 - 16, 16), "message 2 never carries mac2");
	cr_assert_eq(c.state, HANDSHAKE_DONE);
	cr_assert(all_zero(&c.noise.sym.ck, 64) && all_zero(c.noise.e_priv, 32) &&
		  all_zero(c.noise.s_priv, 32));

	cr_assert_eq(handshake_response_consume(&a, &w.agent, m2, l2, &p2, &ak), PROTO_OK);
	cr_assert_eq(p2.status, WIRE_STATUS_OK);
	cr_assert_eq(p2.mtu, 1420);
	cr_assert_eq(a.state, HANDSHAKE_DONE);
	cr_assert(all_zero(&a.noise, sizeof(a.noise)));
	cr_assert(memcmp(a.hash, c.hash, 64) == 0);

	cr_assert(memcmp(ak.send, ck.recv, 32) == 0);
	cr_assert(memcmp(ak.recv, ck.send, 32) == 0);
	cr_assert(memcmp(ak.send, ak.recv, 32) != 0);
	cr_assert_eq(ak.local_index, ck.remote_index);
	cr_assert_eq(ak.remote_index, ck.local_index);

	sodium_memzero(&ak, sizeof(ak));
	cr_assert(all_zero(&ak, sizeof(ak)));
	handshake_clear(&a);
	cr_assert(all_zero(&a, sizeof(a)));
}

Test(handshake, rejected_and_retry_later_carry_status_only)
{
	struct world w;
	struct handshake a, c;
	struct session_keys ak, ck;
	struct tlv_msg2 p2, answer;
	uint8_t m1[WIRE_INIT_MAX_LEN], m2[WIRE_RESP_MAX_LEN];
	size_t l1, l2;

	make_world(&w);
	for (uint8_t st = WIRE_STATUS_REJECTED; st <= WIRE_STATUS_RETRY_LATER; st++) {
		answer = w.ok;
		answer.status = st;
		l1 = msg1(&w, &a, m1);
		consume1(&w, &c, m1, l1);
		cr_assert_eq(
			handshake_response_create(&c, 0, &answer, NULL, m2, sizeof(m2), &l2, &ck),
			PROTO_OK);
		cr_assert_eq(l2, WIRE_RESP_MIN_LEN, "STATUS only");
		cr_assert(all_zero(&ck, sizeof(ck)), "no keys for the concentrator");
		cr_assert_eq(c.state, HANDSHAKE_DONE);
		cr_assert(all_zero(&c.noise, sizeof(c.noise)));
		cr_assert_eq(handshake_response_consume(&a, &w.agent, m2, l2, &p2, &ak), PROTO_OK);
		cr_assert_eq(p2.status, st);
		cr_assert(all_zero(&ak, sizeof(ak)), "no keys for the agent");
		cr_assert_eq(a.state, HANDSHAKE_DONE);
		cr_assert(all_zero(&a.noise, sizeof(a.noise)));
	}
}

Test(handshake, attempts_are_fresh)
{
	struct world w;
	struct handshake a, b;
	uint8_t m1[WIRE_INIT_MAX_LEN], m2[WIRE_INIT_MAX_LEN];

	make_world(&w);
	msg1(&w, &a, m1);
	msg1(&w, &b, m2);
	cr_assert_neq(a.local_index, b.local_index);
	cr_assert(memcmp(m1 + 8, m2 + 8, 32) != 0, "a new ephemeral each time");

	/* a fixed index is kept */
	size_t len;

	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &w.server, 0x01020304, &w.m1, NULL,
						 NULL, m1, sizeof(m1), &len),
		     PROTO_OK);
	cr_assert(memcmp(m1 + 4, "\x04\x03\x02\x01", 4) == 0);
}

Test(handshake, msg1_every_truncation)
{
	struct world w;
	struct handshake a, c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN + 8];
	size_t l1;

	make_world(&w);
	l1 = msg1(&w, &a, m1);
	for (size_t len = 0; len < l1; len++) {
		enum proto_reason want =
			len < WIRE_INIT_MIN_LEN ? PROTO_BAD_LENGTH : PROTO_BAD_MAC1;

		cr_assert_eq(handshake_initiation_check(&w.conc, m1, len), want, "%zu", len);
		cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, len, NULL, NULL, &p),
			     want, "%zu", len);
		cr_assert(all_zero(&c, sizeof(c)));
	}
	/* truncated and re-stamped: mac1 passes, Noise refuses */
	for (size_t len = WIRE_INIT_MIN_LEN; len < l1; len++) {
		uint8_t t[WIRE_INIT_MAX_LEN];

		memcpy(t, m1, len);
		restamp(t, len, w.server.mac1_key);
		cr_assert_eq(handshake_initiation_consume(&c, &w.conc, t, len, NULL, NULL, &p),
			     PROTO_DECRYPT);
	}
	/* too long */
	memset(m1, 0, sizeof(m1));
	m1[0] = 1;
	m1[1] = 1;
	restamp(m1, WIRE_INIT_MAX_LEN + 1, w.server.mac1_key);
	cr_assert_eq(handshake_initiation_check(&w.conc, m1, WIRE_INIT_MAX_LEN + 1),
		     PROTO_BAD_LENGTH);
}

Test(handshake, msg1_short_payload_dropped_before_dh)
{
	struct world w;
	struct handshake c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	/* TIMESTAMP alone: 14 bytes, a valid Noise message of 152 bytes */
	uint8_t payload[14] = {0x01, 12};
	size_t l1;

	make_world(&w);
	l1 = raw_msg1(&w, payload, sizeof(payload), m1);
	cr_assert_eq(l1, WIRE_INIT_MIN_LEN - 3);
	cr_assert_eq(mac_check_mac1(w.server.mac1_key, m1, l1), PROTO_OK);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
		     PROTO_BAD_LENGTH);
}

Test(handshake, msg1_header_bytes)
{
	struct world w;
	struct handshake a, c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	size_t l1;

	make_world(&w);
	l1 = msg1(&w, &a, m1);
	for (int t = 0; t < 256; t++) {
		if (t == WIRE_TYPE_INITIATION)
			continue;
		m1[0] = (uint8_t)t;
		restamp(m1, l1, w.server.mac1_key);
		cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
			     PROTO_BAD_TYPE, "type %d", t);
	}
	m1[0] = WIRE_TYPE_INITIATION;
	for (int v = 0; v < 256; v++) {
		if (v == WIRE_VERSION)
			continue;
		m1[1] = (uint8_t)v;
		restamp(m1, l1, w.server.mac1_key);
		cr_assert_eq(handshake_initiation_check(&w.conc, m1, l1), PROTO_BAD_VERSION,
			     "version %d", v);
	}
	m1[1] = WIRE_VERSION;
	for (int i = 2; i <= 3; i++) {
		m1[i] = 0x80;
		restamp(m1, l1, w.server.mac1_key);
		cr_assert_eq(handshake_initiation_check(&w.conc, m1, l1), PROTO_BAD_RESERVED,
			     "reserved byte %d", i);
		m1[i] = 0;
	}
	restamp(m1, l1, w.server.mac1_key);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p), PROTO_OK);
}

Test(handshake, msg1_wrong_mac1)
{
	struct world w, other;
	struct handshake a, c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	size_t l1;

	make_world(&w);
	make_world(&other);
	l1 = msg1(&w, &a, m1);
	/* a scanner that does not know the concentrator's key */
	cr_assert_eq(handshake_initiation_check(&other.conc, m1, l1), PROTO_BAD_MAC1);
	m1[l1 - 32] ^= 1;
	cr_assert_eq(handshake_initiation_check(&w.conc, m1, l1), PROTO_BAD_MAC1);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
		     PROTO_BAD_MAC1);
	m1[l1 - 32] ^= 1;
	/* mac2 does not matter to mac1 */
	m1[l1 - 1] ^= 1;
	cr_assert_eq(handshake_initiation_check(&w.conc, m1, l1), PROTO_OK);
	/* the right mac1 for the wrong concentrator: Noise refuses */
	restamp(m1, l1, other.server.mac1_key);
	cr_assert_eq(handshake_initiation_consume(&c, &other.conc, m1, l1, NULL, NULL, &p),
		     PROTO_DECRYPT);
}

Test(handshake, msg1_flipped_bits)
{
	struct world w;
	struct handshake a, c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	size_t l1;

	make_world(&w);
	l1 = msg1(&w, &a, m1);
	/* the Noise message, bytes [8, end-32): e, static, payload */
	for (size_t i = 8; i < l1 - 32; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			m1[i] ^= (uint8_t)(1 << bit);
			restamp(m1, l1, w.server.mac1_key);
			cr_assert_eq(
				handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
				PROTO_DECRYPT, "byte %zu bit %d", i, bit);
			cr_assert(all_zero(&p, sizeof(p)));
			m1[i] ^= (uint8_t)(1 << bit);
		}
	}
	/* the sender index is not authenticated beyond mac1 (PROTOCOL.md 5) */
	m1[4] ^= 1;
	restamp(m1, l1, w.server.mac1_key);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p), PROTO_OK);
	cr_assert_eq(c.remote_index, a.local_index ^ 1);
}

static const uint8_t order8[32] = {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
				   0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
				   0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};

Test(handshake, msg1_low_order_ephemeral)
{
	struct world w;
	struct handshake a, c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	size_t l1;

	make_world(&w);
	l1 = msg1(&w, &a, m1);
	memset(m1 + 8, 0, 32);
	restamp(m1, l1, w.server.mac1_key);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
		     PROTO_LOW_ORDER);
	memcpy(m1 + 8, order8, 32);
	restamp(m1, l1, w.server.mac1_key);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
		     PROTO_LOW_ORDER);
	cr_assert(all_zero(&c, sizeof(c)));
}

Test(handshake, agent_refuses_low_order_server_key)
{
	struct world w;
	struct handshake a;
	struct handshake_peer bad;
	uint8_t m1[WIRE_INIT_MAX_LEN], zero[32] = {0};
	size_t len = 7;

	make_world(&w);
	handshake_peer_init(&bad, zero);
	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &bad, 0, &w.m1, NULL, NULL, m1,
						 sizeof(m1), &len),
		     PROTO_LOW_ORDER);
	cr_assert_eq(len, 0);
	cr_assert(all_zero(&a, sizeof(a)));
	handshake_peer_init(&bad, order8);
	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &bad, 0, &w.m1, NULL, NULL, m1,
						 sizeof(m1), &len),
		     PROTO_LOW_ORDER);
}

/* A concentrator's ss cache with one agent key, counting its lookups; or,
 * with id set, one filled from each key looked up, as tetherd does. */
struct ss_cache {
	const struct handshake_identity *id;
	uint8_t key[32];
	uint8_t ss[32];
	unsigned int lookups;
};

static const uint8_t *ss_lookup(void *ctx, const uint8_t rs[32])
{
	struct ss_cache *cache = ctx;

	cache->lookups++;
	if (cache->id) {
		if (handshake_ss_compute(cache->ss, cache->id, rs) != PROTO_OK)
			return NULL;
		memcpy(cache->key, rs, 32);
	}
	return memcmp(rs, cache->key, 32) == 0 ? cache->ss : NULL;
}

/* an authenticated message 1 whose encrypted static key is s_pub */
static size_t msg1_claiming(struct world *w, const uint8_t s_pub[32], uint8_t *out)
{
	uint8_t plain[WIRE_PAYLOAD_MAX];
	struct noise_handshake n;
	size_t plen;

	cr_assert_eq(tlv_msg1_encode(&w->m1, plain, sizeof(plain), &plen), PROTO_OK);
	memset(out, 0, 8);
	out[0] = WIRE_TYPE_INITIATION;
	out[1] = WIRE_VERSION;
	out[4] = 0x99;
	noise_ik_init(&n, NOISE_INITIATOR, (const uint8_t *)WIRE_PROLOGUE, 8, w->agent.private_key,
		      NULL, w->conc.public_key);
	memcpy(n.s_pub, s_pub, 32);
	cr_assert_eq(noise_ik_write_msg1(&n, NULL, NULL, plain, plen, out + 8), PROTO_OK);
	restamp(out, WIRE_INIT_OVERHEAD + plen, w->server.mac1_key);
	noise_handshake_clear(&n);
	return WIRE_INIT_OVERHEAD + plen;
}

Test(handshake, cached_ss_same_bytes_and_keys)
{
	struct world w;
	struct handshake_peer cached;
	struct ss_cache cache = {.lookups = 0};
	struct handshake a[2], c[2];
	struct session_keys ak[2], ck[2];
	struct tlv_msg1 p1[2];
	struct tlv_msg2 p2[2];
	uint8_t m1[2][WIRE_INIT_MAX_LEN], m2[2][WIRE_RESP_MAX_LEN], ae[32], ce[32];
	size_t l1[2], l2[2];

	make_world(&w);
	keys_generate(ae);
	keys_generate(ce);
	cached = w.server;
	cr_assert(!cached.has_ss);
	cr_assert_eq(handshake_peer_precompute(&cached, &w.agent), PROTO_OK);
	cr_assert(cached.has_ss);
	memcpy(cache.key, w.agent.public_key, 32);
	cr_assert_eq(handshake_ss_compute(cache.ss, &w.conc, w.agent.public_key), PROTO_OK);
	cr_assert(memcmp(cache.ss, cached.ss, 32) == 0, "both sides cache the same ss");

	/* [0] computes ss in each handshake, [1] takes it from both caches */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(handshake_initiation_create(&a[i], &w.agent, i ? &cached : &w.server,
							 7, &w.m1, NULL, ae, m1[i], sizeof(m1[i]),
							 &l1[i]),
			     PROTO_OK);
		cr_assert_eq(handshake_initiation_consume(&c[i], &w.conc, m1[i], l1[i],
							  i ? ss_lookup : NULL, &cache, &p1[i]),
			     PROTO_OK);
		cr_assert_eq(handshake_response_create(&c[i], 9, &w.ok, ce, m2[i], sizeof(m2[i]),
						       &l2[i], &ck[i]),
			     PROTO_OK);
		cr_assert_eq(
			handshake_response_consume(&a[i], &w.agent, m2[i], l2[i], &p2[i], &ak[i]),
			PROTO_OK);
	}
	cr_assert_eq(cache.lookups, 1);
	cr_assert_eq(l1[0], l1[1]);
	cr_assert(memcmp(m1[0], m1[1], l1[0]) == 0, "message 1, byte for byte");
	cr_assert_eq(l2[0], l2[1]);
	cr_assert(memcmp(m2[0], m2[1], l2[0]) == 0, "message 2, byte for byte");
	cr_assert(memcmp(a[0].h_after_msg1, a[1].h_after_msg1, 64) == 0);
	cr_assert(memcmp(c[0].h_after_msg1, c[1].h_after_msg1, 64) == 0);
	cr_assert(memcmp(a[0].hash, a[1].hash, 64) == 0 && memcmp(c[0].hash, c[1].hash, 64) == 0);
	cr_assert(memcmp(&ak[0], &ak[1], sizeof(ak[0])) == 0, "agent keys");
	cr_assert(memcmp(&ck[0], &ck[1], sizeof(ck[0])) == 0, "concentrator keys");
	cr_assert(memcmp(ak[1].send, ck[1].recv, 32) == 0 &&
		  memcmp(ak[1].recv, ck[1].send, 32) == 0);
	cr_assert(memcmp(c[1].remote_static, w.agent.public_key, 32) == 0);
	cr_assert_str_eq(p1[1].name, "an12345678");

	/* a lookup that knows another key falls back to the DH */
	memset(cache.key, 0x11, 32);
	cr_assert_eq(handshake_initiation_consume(&c[0], &w.conc, m1[1], l1[1], ss_lookup, &cache,
						  &p1[0]),
		     PROTO_OK);
	cr_assert_eq(cache.lookups, 2);
	handshake_peer_clear(&cached);
	cr_assert(all_zero(&cached, sizeof(cached)));
	handshake_peer_init(&cached, w.conc.public_key);
	cr_assert(!cached.has_ss && all_zero(cached.ss, 32), "a new key drops the old ss");
}

Test(handshake, wrong_cached_ss_refused)
{
	struct world w;
	struct handshake_peer bad;
	struct ss_cache cache = {.lookups = 0};
	struct handshake a, c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	size_t l1;

	make_world(&w);
	/* the agent's ss is wrong: the concentrator cannot read its message 1 */
	bad = w.server;
	cr_assert_eq(handshake_peer_precompute(&bad, &w.agent), PROTO_OK);
	bad.ss[0] ^= 1;
	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &bad, 0, &w.m1, NULL, NULL, m1,
						 sizeof(m1), &l1),
		     PROTO_OK);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
		     PROTO_DECRYPT);
	cr_assert(all_zero(&c, sizeof(c)));

	/* the concentrator's ss is wrong: a good message 1 is refused */
	l1 = msg1(&w, &a, m1);
	memcpy(cache.key, w.agent.public_key, 32);
	cr_assert_eq(handshake_ss_compute(cache.ss, &w.conc, w.agent.public_key), PROTO_OK);
	cache.ss[31] ^= 0x80;
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, ss_lookup, &cache, &p),
		     PROTO_DECRYPT);
	cr_assert(all_zero(&c, sizeof(c)));
	cr_assert(all_zero(&p, sizeof(p)));
	/* the ss of another concentrator key is as wrong */
	cr_assert_eq(handshake_ss_compute(cache.ss, &w.agent, w.agent.public_key), PROTO_OK);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, ss_lookup, &cache, &p),
		     PROTO_DECRYPT);
	cr_assert_eq(cache.lookups, 2);
	/* and the right one reads it */
	cr_assert_eq(handshake_ss_compute(cache.ss, &w.conc, w.agent.public_key), PROTO_OK);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, ss_lookup, &cache, &p),
		     PROTO_OK);
}

Test(handshake, cached_ss_low_order)
{
	struct world w;
	struct handshake_peer bad;
	struct ss_cache cache = {.lookups = 0};
	struct handshake a, c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN], ss[32], zero[32] = {0};
	size_t l1 = 7;

	make_world(&w);
	/* filling a cache checks the key: nothing is cached for a low-order one */
	memset(ss, 0x55, 32);
	cr_assert_eq(handshake_ss_compute(ss, &w.conc, order8), PROTO_LOW_ORDER);
	cr_assert(all_zero(ss, 32));
	cr_assert_eq(handshake_ss_compute(ss, &w.conc, zero), PROTO_LOW_ORDER);
	handshake_peer_init(&bad, order8);
	cr_assert_eq(handshake_peer_precompute(&bad, &w.agent), PROTO_LOW_ORDER);
	cr_assert(!bad.has_ss && all_zero(bad.ss, 32));
	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &bad, 0, &w.m1, NULL, NULL, m1,
						 sizeof(m1), &l1),
		     PROTO_LOW_ORDER);
	cr_assert_eq(l1, 0);

	/* an agent claiming a low-order static key: refused with or without a cache */
	l1 = msg1_claiming(&w, order8, m1);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
		     PROTO_LOW_ORDER);
	cache.id = &w.conc; /* fills as tetherd does: the check refuses it */
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, ss_lookup, &cache, &p),
		     PROTO_LOW_ORDER);
	cr_assert_eq(cache.lookups, 1);
	cache.id = NULL;
	/* a cache holding what the DH gives (zeros) is refused alike */
	memcpy(cache.key, order8, 32);
	memset(cache.ss, 0, 32);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, ss_lookup, &cache, &p),
		     PROTO_LOW_ORDER);
	cr_assert(all_zero(&c, sizeof(c)));
	/* and no other value lets it authenticate */
	memset(cache.ss, 0x55, 32);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, ss_lookup, &cache, &p),
		     PROTO_DECRYPT);
	cr_assert(all_zero(&c, sizeof(c)));
}

Test(handshake, msg1_payload_errors_dropped)
{
	struct world w;
	struct handshake c;
	struct tlv_msg1 p;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	static const uint8_t ts[14] = {0x01, 12, 0x40};
	static const struct {
		const char *tail;
		size_t len;
		enum proto_reason want;
	} cases[] = {
		{"\x02\x03"
		 "abc"
		 "\x02\x03"
		 "abc",
		 10, PROTO_TLV_DUPLICATE},
		{"\x7f\x01"
		 "x",
		 3, PROTO_TLV_MISSING}, /* no NAME */
		{"\x02\x00"
		 "\x7f\x01"
		 "x",
		 5, PROTO_TLV_LENGTH}, /* NAME of length 0 */
		{"\x02\x05"
		 "abc",
		 5, PROTO_TLV_TRUNCATED},
		{"\x02\x03"
		 "abc"
		 "\x03\x0f"
		 "0123456789abcde",
		 22, PROTO_TLV_LENGTH},
		{"\x02\x03"
		 "abc"
		 "\x03\x10"
		 "0123456789abcd\x01"
		 "e",
		 23, PROTO_BAD_TOKEN},
		{"\x02\x03"
		 "abc"
		 "\x04\x01"
		 "\x7f",
		 8, PROTO_BAD_AGENT},
		{"\x02\x03"
		 "abc"
		 "\x01\x0c"
		 "\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		 19, PROTO_TLV_DUPLICATE},
	};

	make_world(&w);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t payload[64];
		size_t l1;

		memcpy(payload, ts, 14);
		memcpy(payload + 14, cases[i].tail, cases[i].len);
		l1 = raw_msg1(&w, payload, 14 + cases[i].len, m1);
		cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p),
			     cases[i].want, "case %zu", i);
		cr_assert(all_zero(&c, sizeof(c)));
	}
	/* NAME of 64 bytes */
	{
		uint8_t payload[14 + 66];

		memcpy(payload, ts, 14);
		payload[14] = 0x02;
		payload[15] = 64;
		memset(payload + 16, 'a', 64);
		cr_assert_eq(handshake_initiation_consume(
				     &c, &w.conc, m1, raw_msg1(&w, payload, sizeof(payload), m1),
				     NULL, NULL, &p),
			     PROTO_TLV_LENGTH);
	}
}

Test(handshake, msg1_bad_name_is_answered)
{
	static const char *const names[] = {"Bad_Name", "-dash", "has.dot", "UPPER"};
	struct world w;
	struct handshake a, c;
	struct session_keys ak, ck;
	struct tlv_msg1 p1;
	struct tlv_msg2 p2, rejected = {.status = WIRE_STATUS_REJECTED};
	uint8_t m1[WIRE_INIT_MAX_LEN], m2[WIRE_RESP_MAX_LEN];
	size_t l1, l2;

	make_world(&w);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		set(w.m1.name, &w.m1.name_len, names[i]);
		l1 = msg1(&w, &a, m1);
		cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p1),
			     PROTO_OK);
		cr_assert(!p1.name_valid, "%s", names[i]);
		cr_assert_str_eq(p1.name, names[i]);
		cr_assert_eq(
			handshake_response_create(&c, 0, &rejected, NULL, m2, sizeof(m2), &l2, &ck),
			PROTO_OK);
		cr_assert_eq(handshake_response_consume(&a, &w.agent, m2, l2, &p2, &ak), PROTO_OK);
		cr_assert_eq(p2.status, WIRE_STATUS_REJECTED);
	}
}

Test(handshake, response_create_states_and_payloads)
{
	struct world w;
	struct handshake a, c;
	struct session_keys ck;
	struct tlv_msg2 bad;
	uint8_t m1[WIRE_INIT_MAX_LEN], m2[WIRE_RESP_MAX_LEN];
	size_t l1, l2;

	make_world(&w);
	memset(&c, 0, sizeof(c));
	cr_assert_eq(handshake_response_create(&c, 0, &w.ok, NULL, m2, sizeof(m2), &l2, &ck),
		     PROTO_UNKNOWN_INDEX);

	l1 = msg1(&w, &a, m1);
	consume1(&w, &c, m1, l1);
	/* a payload that does not encode leaves the answer possible */
	bad = w.ok;
	bad.mtu = 100;
	cr_assert_eq(handshake_response_create(&c, 0, &bad, NULL, m2, sizeof(m2), &l2, &ck),
		     PROTO_TLV_VALUE);
	cr_assert_eq(c.state, HANDSHAKE_INITIATION_CONSUMED);
	cr_assert_eq(handshake_response_create(&c, 0, &w.ok, NULL, m2, WIRE_RESP_OVERHEAD + 22, &l2,
					       &ck),
		     PROTO_TOO_BIG);
	cr_assert_eq(c.state, HANDSHAKE_INITIATION_CONSUMED);
	bad.status = WIRE_STATUS_RETRY_LATER;
	cr_assert_eq(
		handshake_response_create(&c, 0x0a0b0c0d, &bad, NULL, m2, sizeof(m2), &l2, &ck),
		PROTO_OK);
	cr_assert(memcmp(m2 + 4, "\x0d\x0c\x0b\x0a", 4) == 0);
	/* one answer per message 1 */
	cr_assert_eq(handshake_response_create(&c, 0, &w.ok, NULL, m2, sizeof(m2), &l2, &ck),
		     PROTO_UNKNOWN_INDEX);
}

Test(handshake, initiation_create_errors)
{
	struct world w;
	struct handshake a;
	uint8_t m1[WIRE_INIT_MAX_LEN];
	size_t len;

	make_world(&w);
	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &w.server, 0, &w.m1, NULL, NULL, m1,
						 WIRE_INIT_OVERHEAD + 25, &len),
		     PROTO_TOO_BIG);
	cr_assert(all_zero(&a, sizeof(a)));
	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &w.server, 0, &w.m1, NULL, NULL, m1,
						 WIRE_INIT_OVERHEAD + 26, &len),
		     PROTO_OK);
	w.m1.name_len = 0;
	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &w.server, 0, &w.m1, NULL, NULL, m1,
						 sizeof(m1), &len),
		     PROTO_TLV_LENGTH);
	cr_assert(all_zero(&a, sizeof(a)));
}

/* an agent waiting for its answer, and the concentrator that owes it */
struct pending {
	struct world w;
	struct handshake a, c;
	uint8_t m2[WIRE_RESP_MAX_LEN];
	size_t l2;
};

static void make_pending(struct pending *s)
{
	uint8_t m1[WIRE_INIT_MAX_LEN];
	size_t l1;

	make_world(&s->w);
	l1 = msg1(&s->w, &s->a, m1);
	consume1(&s->w, &s->c, m1, l1);
}

/* the waiting agent still takes the real message 2 */
static void answer_still_works(struct pending *s)
{
	struct session_keys ak;
	struct tlv_msg2 p2;

	cr_assert_eq(s->a.state, HANDSHAKE_INITIATION_CREATED);
	s->l2 = msg2(&s->w, &s->c, &s->w.ok, s->m2);
	cr_assert_eq(handshake_response_consume(&s->a, &s->w.agent, s->m2, s->l2, &p2, &ak),
		     PROTO_OK);
	cr_assert_eq(p2.status, WIRE_STATUS_OK);
	cr_assert(!all_zero(ak.send, 32));
}

Test(handshake, msg2_every_truncation_and_header)
{
	struct pending s;
	struct session_keys ak;
	struct tlv_msg2 p2;
	struct handshake c2;
	uint8_t m2[WIRE_RESP_MAX_LEN + 1];
	size_t l2;

	make_pending(&s);
	/* a first answer from a copy of the concentrator's state */
	c2 = s.c;
	l2 = msg2(&s.w, &c2, &s.w.ok, m2);
	for (size_t len = 0; len < l2; len++) {
		enum proto_reason want =
			len < WIRE_RESP_MIN_LEN ? PROTO_BAD_LENGTH : PROTO_BAD_MAC1;

		cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, len, &p2, &ak), want,
			     "%zu", len);
	}
	for (size_t len = WIRE_RESP_MIN_LEN; len < l2; len++) {
		uint8_t t[WIRE_RESP_MAX_LEN];

		memcpy(t, m2, len);
		restamp(t, len, s.w.agent.mac1_key);
		cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, t, len, &p2, &ak),
			     PROTO_DECRYPT, "%zu", len);
	}
	cr_assert_eq(
		handshake_response_consume(&s.a, &s.w.agent, m2, WIRE_RESP_MAX_LEN + 1, &p2, &ak),
		PROTO_BAD_LENGTH);

	for (int t = 0; t < 256; t++) {
		if (t == WIRE_TYPE_RESPONSE)
			continue;
		m2[0] = (uint8_t)t;
		restamp(m2, l2, s.w.agent.mac1_key);
		cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
			     PROTO_BAD_TYPE);
	}
	m2[0] = WIRE_TYPE_RESPONSE;
	for (int v = 0; v < 256; v++) {
		if (v == WIRE_VERSION)
			continue;
		m2[1] = (uint8_t)v;
		restamp(m2, l2, s.w.agent.mac1_key);
		cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
			     PROTO_BAD_VERSION);
	}
	m2[1] = WIRE_VERSION;
	for (int i = 2; i <= 3; i++) {
		m2[i] = 1;
		restamp(m2, l2, s.w.agent.mac1_key);
		cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
			     PROTO_BAD_RESERVED);
		m2[i] = 0;
	}
	restamp(m2, l2, s.w.agent.mac1_key);
	cr_assert_eq(s.a.state, HANDSHAKE_INITIATION_CREATED);
	cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak), PROTO_OK);
}

Test(handshake, msg2_wrong_index_mac1_and_bits)
{
	struct pending s;
	struct session_keys ak;
	struct tlv_msg2 p2;
	struct handshake c2;
	uint8_t m2[WIRE_RESP_MAX_LEN];
	size_t l2;

	make_pending(&s);
	c2 = s.c;
	l2 = msg2(&s.w, &c2, &s.w.ok, m2);

	/* receiver_index not ours */
	m2[8] ^= 1;
	restamp(m2, l2, s.w.agent.mac1_key);
	cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
		     PROTO_UNKNOWN_INDEX);
	m2[8] ^= 1;
	/* mac1 under another key */
	restamp(m2, l2, s.w.server.mac1_key);
	cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
		     PROTO_BAD_MAC1);
	restamp(m2, l2, s.w.agent.mac1_key);
	/* any flipped bit of the Noise message */
	for (size_t i = 12; i < l2 - 32; i++) {
		m2[i] ^= 0x10;
		restamp(m2, l2, s.w.agent.mac1_key);
		cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
			     PROTO_DECRYPT, "byte %zu", i);
		m2[i] ^= 0x10;
	}
	/* low-order ephemerals */
	memset(m2 + 12, 0, 32);
	restamp(m2, l2, s.w.agent.mac1_key);
	cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
		     PROTO_LOW_ORDER);
	memcpy(m2 + 12, order8, 32);
	restamp(m2, l2, s.w.agent.mac1_key);
	cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
		     PROTO_LOW_ORDER);
	cr_assert(all_zero(&ak, sizeof(ak)));

	/* none of it disturbed the waiting agent */
	answer_still_works(&s);
}

Test(handshake, msg2_not_waiting)
{
	struct pending s;
	struct session_keys ak;
	struct tlv_msg2 p2;
	struct handshake idle;

	make_pending(&s);
	answer_still_works(&s);
	/* a replay after DONE */
	cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, s.m2, s.l2, &p2, &ak),
		     PROTO_UNKNOWN_INDEX);
	memset(&idle, 0, sizeof(idle));
	cr_assert_eq(handshake_response_consume(&idle, &s.w.agent, s.m2, s.l2, &p2, &ak),
		     PROTO_UNKNOWN_INDEX);
}

Test(handshake, msg2_payload_errors_dropped)
{
	static const struct {
		const char *payload;
		size_t len;
		enum proto_reason want;
	} cases[] = {
		{"\x10\x01\x03", 3, PROTO_TLV_VALUE},
		{"\x10\x01\x00", 3, PROTO_TLV_MISSING},
		{"\x10\x02\x01\x00", 4, PROTO_TLV_LENGTH},
		{"\x10\x01\x01\x10\x01\x01", 6, PROTO_TLV_DUPLICATE},
		{"\x10\x01\x01\x17\x09http", 9, PROTO_TLV_TRUNCATED},
		{"\x11\x04\x0a\x00\x00\x01", 6, PROTO_TLV_MISSING},
		{"\x10\x01\x00\x11\x04\x0a\x00\x00\x02\x12\x04\x0a\x00\x00\x01\x13\x02\x00\x00"
		 "\x14\x02\x19\x00",
		 23, PROTO_TLV_VALUE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pending s;
		struct session_keys ak;
		struct tlv_msg2 p2;
		struct handshake c2;
		uint8_t m2[WIRE_RESP_MAX_LEN];
		size_t l2;

		make_pending(&s);
		c2 = s.c;
		l2 = raw_msg2(&s.w, &c2, s.a.local_index, (const uint8_t *)cases[i].payload,
			      cases[i].len, m2);
		cr_assert_eq(handshake_response_consume(&s.a, &s.w.agent, m2, l2, &p2, &ak),
			     cases[i].want, "case %zu", i);
		answer_still_works(&s);
	}
}

Test(handshake, cookie_flow_under_load)
{
	struct world w;
	struct handshake a, c;
	struct mac_checker checker;
	struct mac_source src;
	struct mac_cookie jar = {0};
	struct tlv_msg1 p1;
	uint8_t m1[WIRE_INIT_MAX_LEN], reply[WIRE_COOKIE_LEN], cookie[16];
	const uint64_t now = 42 * WIRE_NSEC_PER_SEC;
	size_t l1;

	make_world(&w);
	mac_checker_init(&checker, w.conc.public_key);
	mac_source_from_bytes(&src, (const uint8_t *)"\xc6\x12\x00\x05", 4, 33333);

	l1 = msg1(&w, &a, m1);
	cr_assert_eq(handshake_initiation_check(&w.conc, m1, l1), PROTO_OK);
	cr_assert_eq(mac_checker_check_mac2(&checker, now, &src, m1, l1), PROTO_NEED_COOKIE);
	cr_assert_eq(mac_checker_reply(&checker, now, &src, m1, l1, NULL, reply), PROTO_OK);

	cr_assert_eq(handshake_cookie_consume(&a, &w.server, reply, sizeof(reply), cookie),
		     PROTO_OK);
	mac_cookie_store(&jar, cookie, now);

	cr_assert_eq(handshake_initiation_create(&a, &w.agent, &w.server, 0, &w.m1,
						 mac_cookie_get(&jar, now), NULL, m1, sizeof(m1),
						 &l1),
		     PROTO_OK);
	cr_assert_eq(handshake_initiation_check(&w.conc, m1, l1), PROTO_OK);
	cr_assert_eq(mac_checker_check_mac2(&checker, now, &src, m1, l1), PROTO_OK);
	/* from another port the cookie does not hold */
	src.port++;
	cr_assert_eq(mac_checker_check_mac2(&checker, now, &src, m1, l1), PROTO_NEED_COOKIE);
	cr_assert_eq(handshake_initiation_consume(&c, &w.conc, m1, l1, NULL, NULL, &p1), PROTO_OK);
}

Test(handshake, cookie_reply_for_another_attempt)
{
	struct world w;
	struct handshake a, old, idle;
	struct mac_checker checker;
	struct mac_source src;
	uint8_t m1[WIRE_INIT_MAX_LEN], m0[WIRE_INIT_MAX_LEN], reply[WIRE_COOKIE_LEN], cookie[16];
	size_t l1, l0;

	make_world(&w);
	mac_checker_init(&checker, w.conc.public_key);
	mac_source_from_bytes(&src, (const uint8_t *)"\xc6\x12\x00\x05", 4, 33333);
	l0 = msg1(&w, &old, m0);
	l1 = msg1(&w, &a, m1);

	/* answers the old attempt: its index is not ours */
	cr_assert_eq(mac_checker_reply(&checker, 0, &src, m0, l0, NULL, reply), PROTO_OK);
	cr_assert_eq(handshake_cookie_consume(&a, &w.server, reply, sizeof(reply), cookie),
		     PROTO_UNKNOWN_INDEX);
	/* our index, but sealed with another message's mac1 */
	memcpy(m0 + 4, m1 + 4, 4);
	cr_assert_eq(mac_checker_reply(&checker, 0, &src, m0, l0, NULL, reply), PROTO_OK);
	cr_assert_eq(handshake_cookie_consume(&a, &w.server, reply, sizeof(reply), cookie),
		     PROTO_BAD_COOKIE);
	/* from a concentrator that is not ours */
	{
		struct world other;
		struct mac_checker oc;

		make_world(&other);
		mac_checker_init(&oc, other.conc.public_key);
		cr_assert_eq(mac_checker_reply(&oc, 0, &src, m1, l1, NULL, reply), PROTO_OK);
		cr_assert_eq(handshake_cookie_consume(&a, &w.server, reply, sizeof(reply), cookie),
			     PROTO_BAD_COOKIE);
	}
	/* no attempt waiting */
	cr_assert_eq(mac_checker_reply(&checker, 0, &src, m1, l1, NULL, reply), PROTO_OK);
	memset(&idle, 0, sizeof(idle));
	cr_assert_eq(handshake_cookie_consume(&idle, &w.server, reply, sizeof(reply), cookie),
		     PROTO_UNKNOWN_INDEX);
	cr_assert_eq(handshake_cookie_consume(&a, &w.server, reply, sizeof(reply) - 1, cookie),
		     PROTO_BAD_LENGTH);
	cr_assert_eq(handshake_cookie_consume(&a, &w.server, reply, sizeof(reply), cookie),
		     PROTO_OK);
}

Test(handshake, identity_and_peer)
{
	struct handshake_identity id;
	struct handshake_peer peer;
	uint8_t priv[32], pub[32], k[32];

	keys_generate(priv);
	cr_assert_eq(keys_public(pub, priv), 0);
	cr_assert_eq(handshake_identity_init(&id, priv), PROTO_OK);
	cr_assert(memcmp(id.public_key, pub, 32) == 0);
	mac_key_mac1(k, pub);
	cr_assert(memcmp(id.mac1_key, k, 32) == 0);
	handshake_peer_init(&peer, pub);
	cr_assert(memcmp(peer.mac1_key, k, 32) == 0);
	mac_key_cookie(k, pub);
	cr_assert(memcmp(peer.cookie_key, k, 32) == 0);
	handshake_identity_clear(&id);
	cr_assert(all_zero(&id, sizeof(id)));
}
