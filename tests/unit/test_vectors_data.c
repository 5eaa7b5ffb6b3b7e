/* Every data message of tests/vectors/tether-v1.json, both directions:
 * sealed byte for byte through data_seal and through sessions built from
 * the case's split keys and indices, then opened back to the plaintext. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "proto/data.h"
#include "proto/inner.h"
#include "proto/session.h"

#define BUF_LEN 2048

static json_t *vectors;

static void load(void)
{
	json_error_t err;

	vectors = json_load_file(TETHER_VECTORS_DIR "/tether-v1.json", 0, &err);
	cr_assert_not_null(vectors, "tether-v1.json: line %d: %s", err.line, err.text);
}

static void unload(void)
{
	json_decref(vectors);
}

TestSuite(vectors_data, .init = load, .fini = unload);

/* Hex string member `name` of obj into out; returns its length in bytes. */
static size_t hex(const json_t *obj, const char *name, uint8_t *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(obj, name));
	size_t n;

	cr_assert_not_null(s, "missing hex member %s", name);
	n = strlen(s);
	cr_assert(n % 2 == 0 && n / 2 <= cap, "bad hex member %s", name);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		cr_assert_eq(sscanf(s + 2 * i, "%2x", &v), 1, "bad hex in %s", name);
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

static uint64_t num(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	cr_assert(json_is_integer(v), "missing integer member %s", name);
	return (uint64_t)json_integer_value(v);
}

static void ipv4(const json_t *obj, const char *name, uint8_t out[4])
{
	const char *s = json_string_value(json_object_get(obj, name));
	unsigned a, b, c, d;

	cr_assert(s && sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) == 4, "bad %s", name);
	out[0] = (uint8_t)a, out[1] = (uint8_t)b, out[2] = (uint8_t)c, out[3] = (uint8_t)d;
}

static bool to_concentrator(const json_t *m)
{
	const char *dir = json_string_value(json_object_get(m, "direction"));

	cr_assert(dir && (strcmp(dir, "agent_to_concentrator") == 0 ||
			  strcmp(dir, "concentrator_to_agent") == 0));
	return strcmp(dir, "agent_to_concentrator") == 0;
}

/* The MTU a sender uses to produce this entry: the case's MTU pads it, an
 * MTU equal to the packet leaves no room for padding (section 4). */
static size_t mtu_for(const json_t *c, const json_t *m, size_t len)
{
	if (json_is_true(json_object_get(m, "padded_to_16")))
		return num(json_object_get(c, "msg2_inputs"), "mtu");
	return len;
}

/* Open an expected message, check the plaintext and the inner packet. */
static void check_open(const json_t *c, const json_t *m, const uint8_t *key)
{
	uint8_t msg[BUF_LEN], plain[BUF_LEN], inner_pkt[BUF_LEN], out[BUF_LEN];
	size_t msg_len = hex(m, "message", msg, sizeof(msg));
	size_t plain_len = hex(m, "plaintext", plain, sizeof(plain));
	size_t inner_len = hex(m, "inner_packet", inner_pkt, sizeof(inner_pkt));
	struct data_header hdr;
	size_t got;

	cr_assert_eq(data_parse(msg, msg_len, &hdr), PROTO_OK);
	cr_assert_eq(hdr.receiver, num(m, "receiver_index"));
	cr_assert_eq(hdr.counter, num(m, "counter"));

	/* into a separate buffer, then in place */
	cr_assert_eq(data_open(key, &hdr, msg, msg_len, out, sizeof(out), &got), PROTO_OK);
	cr_assert_eq(got, plain_len);
	cr_assert_arr_eq(out, plain, plain_len);
	cr_assert_eq(data_open(key, &hdr, msg, msg_len, msg + WIRE_DATA_OFF_PAYLOAD,
			       msg_len - WIRE_DATA_OFF_PAYLOAD, &got),
		     PROTO_OK);
	cr_assert_eq(got, plain_len);
	cr_assert_arr_eq(msg + WIRE_DATA_OFF_PAYLOAD, plain, plain_len);

	if (plain_len == 0) {
		cr_assert(json_is_true(json_object_get(m, "keepalive")));
		return;
	}
	struct inner_packet pkt;
	struct inner_addrs dev = {0};

	cr_assert_eq(inner_parse(plain, plain_len, &pkt), PROTO_OK);
	cr_assert_eq(pkt.len, inner_len, "padding ignored");
	cr_assert_arr_eq(pkt.data, inner_pkt, inner_len);
	ipv4(json_object_get(c, "msg2_inputs"), "addr4", dev.addr4);
	if (to_concentrator(m)) {
		cr_assert_eq(inner_check_source(&pkt, &dev), PROTO_OK);
	} else {
		/* the concentrator's packets go to the device */
		cr_assert_arr_eq(inner_dst(&pkt), dev.addr4, 4);
		cr_assert_eq(inner_check_source(&pkt, &dev), PROTO_INNER_SOURCE);
	}
}

Test(vectors_data, data_seal_and_open_every_message)
{
	size_t cases = json_array_size(json_object_get(vectors, "cases")), seen = 0;

	cr_assert_gt(cases, 0);
	for (size_t i = 0; i < cases; i++) {
		const json_t *c = json_array_get(json_object_get(vectors, "cases"), i);
		const json_t *msgs = json_object_get(c, "data_messages");

		for (size_t j = 0; j < json_array_size(msgs); j++) {
			const json_t *m = json_array_get(msgs, j);
			uint8_t key[WIRE_KEY_LEN], want[BUF_LEN], buf[BUF_LEN];
			size_t want_len = hex(m, "message", want, sizeof(want));
			size_t len, got;

			cr_assert_eq(hex(m, "key", key, sizeof(key)), WIRE_KEY_LEN);
			cr_assert_eq(want_len, num(m, "message_len"));
			len = hex(m, "inner_packet", buf + WIRE_DATA_OFF_PAYLOAD,
				  sizeof(buf) - WIRE_DATA_OFF_PAYLOAD);
			cr_assert_eq(data_seal(buf, sizeof(buf), key, num(m, "receiver_index"),
					       num(m, "counter"), len, mtu_for(c, m, len), &got),
				     PROTO_OK);
			cr_assert_eq(got, want_len, "%s message %zu: length",
				     json_string_value(json_object_get(c, "id")), j);
			cr_assert_arr_eq(buf, want, want_len, "%s message %zu: bytes",
					 json_string_value(json_object_get(c, "id")), j);
			check_open(c, m, key);
			seen++;
		}
	}
	cr_assert_geq(seen, 12, "only %zu data messages in the vectors", seen);
}

/* The same messages through sessions: the agent's keys are (k1, k2) with
 * its sender index local, the concentrator's the opposite (section 3). */
static void keys_for(const json_t *c, bool agent, struct session_keys *k)
{
	uint8_t k1[WIRE_KEY_LEN], k2[WIRE_KEY_LEN];
	uint32_t ai = (uint32_t)num(c, "agent_sender_index");
	uint32_t ci = (uint32_t)num(c, "concentrator_sender_index");

	hex(c, "k1_agent_to_concentrator", k1, sizeof(k1));
	hex(c, "k2_concentrator_to_agent", k2, sizeof(k2));
	memcpy(k->send, agent ? k1 : k2, WIRE_KEY_LEN);
	memcpy(k->recv, agent ? k2 : k1, WIRE_KEY_LEN);
	k->local_index = agent ? ai : ci;
	k->remote_index = agent ? ci : ai;
}

Test(vectors_data, sessions_reproduce_both_directions)
{
	size_t cases = json_array_size(json_object_get(vectors, "cases")), seen = 0;

	for (size_t i = 0; i < cases; i++) {
		const json_t *c = json_array_get(json_object_get(vectors, "cases"), i);
		const json_t *msgs = json_object_get(c, "data_messages");
		struct session_peer agent, conc;
		struct session_keys k;

		if (json_array_size(msgs) == 0)
			continue;
		session_init(&agent);
		session_init(&conc);
		keys_for(c, true, &k);
		session_install(&agent, &k, SESSION_INITIATOR, 0, NULL);
		keys_for(c, false, &k);
		session_install(&conc, &k, SESSION_RESPONDER, 0, NULL);

		/* the vectors list the agent's messages first: they confirm the
		 * concentrator's session before it sends */
		for (size_t j = 0; j < json_array_size(msgs); j++) {
			const json_t *m = json_array_get(msgs, j);
			bool up = to_concentrator(m);
			struct session_peer *tx = up ? &agent : &conc, *rx = up ? &conc : &agent;
			uint8_t want[BUF_LEN], buf[BUF_LEN], plain[BUF_LEN];
			size_t want_len = hex(m, "message", want, sizeof(want));
			size_t plain_len = hex(m, "plaintext", plain, sizeof(plain));
			size_t len = hex(m, "inner_packet", buf + WIRE_DATA_OFF_PAYLOAD,
					 sizeof(buf) - WIRE_DATA_OFF_PAYLOAD);
			struct session_tx t;
			struct session_rx r;
			struct data_header hdr;

			cr_assert_eq(session_encrypt(tx, buf, sizeof(buf), len, mtu_for(c, m, len),
						     1, &t),
				     PROTO_OK);
			cr_assert_eq(t.len, want_len);
			cr_assert_arr_eq(buf, want, want_len);
			cr_assert_eq(data_parse(buf, t.len, &hdr), PROTO_OK);
			cr_assert_eq(session_decrypt(rx, &hdr, buf, t.len,
						     buf + WIRE_DATA_OFF_PAYLOAD,
						     sizeof(buf) - WIRE_DATA_OFF_PAYLOAD, 2, &r),
				     PROTO_OK);
			cr_assert_eq(r.len, plain_len);
			cr_assert_arr_eq(buf + WIRE_DATA_OFF_PAYLOAD, plain, plain_len);
			cr_assert_eq(r.confirmed, up && j == 0, "only the first message confirms");
			seen++;
		}
		session_clear(&agent, NULL);
		session_clear(&conc, NULL);
	}
	cr_assert_geq(seen, 12);
}
