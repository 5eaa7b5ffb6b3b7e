/* The agent's protocol state (agent/tunnel.c) against a responder made of
 * proto/'s concentrator side: message 1 contents, fresh attempts, OK with
 * key confirmation and data both ways, REJECTED and RETRY_LATER backoff,
 * cookies, and answers that are not ours. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/tunnel.h"
#include "common/log.h"
#include "proto/data.h"
#include "proto/inner.h"
#include "proto/keys.h"
#include "proto/tai64n.h"

#define SEC   1000000000ULL
#define WALL  (1700000000 * SEC)
#define TOKEN "0123456789abcdef-token"

static char dir[64], err[512];
static uint8_t dev_priv[32], gw_priv[32];
static struct handshake_identity gw;
static struct tunnel t;
static uint8_t msg[WIRE_DATA_OFF_PAYLOAD + 2048];
static size_t len;

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	log_init("test", LOG_TARGET_STDERR, LOG_LEVEL_ERR);
	strcpy(dir, "/tmp/test_agent_tunnel.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	keys_generate(dev_priv);
	keys_generate(gw_priv);
	cr_assert_eq(handshake_identity_init(&gw, gw_priv), PROTO_OK);
}

static void teardown(void)
{
	char path[128];

	tunnel_clear(&t);
	snprintf(path, sizeof(path), "%s/%s", dir, STAMP_FILE);
	unlink(path);
	rmdir(dir);
}

TestSuite(agent_tunnel, .init = setup, .fini = teardown);

static void init(const char *token)
{
	cr_assert_eq(tunnel_init(&t, dev_priv, gw.public_key, "an12345678", token, dir, err,
				 sizeof(err)),
		     0, "%s", err);
}

static void initiate(uint64_t now)
{
	cr_assert_eq(
		tunnel_initiation(&t, now, WALL + now, msg, sizeof(msg), &len, err, sizeof(err)), 0,
		"%s", err);
}

/* The concentrator's side of one message 1: consume, answer with status. */
static void respond(struct handshake *hs, struct tlv_msg1 *m1, uint8_t status,
		    struct session_peer *gw_sessions, uint64_t now)
{
	struct tlv_msg2 m2 = {.status = status};
	struct session_keys keys;

	cr_assert_eq(handshake_initiation_consume(hs, &gw, msg, len, NULL, NULL, m1), PROTO_OK);
	if (status == WIRE_STATUS_OK) {
		m2.addr4[0] = 100, m2.addr4[1] = 64, m2.addr4[3] = 7;
		m2.peer4[0] = 100, m2.peer4[1] = 64, m2.peer4[3] = 1;
		m2.mtu = 1420;
		m2.keepalive = 10;
		strcpy(m2.url, "https://an12345678.example.com");
		m2.url_len = strlen(m2.url);
	}
	cr_assert_eq(handshake_response_create(hs, 0, &m2, NULL, msg, sizeof(msg), &len, &keys),
		     PROTO_OK);
	if (status == WIRE_STATUS_OK)
		session_install(gw_sessions, &keys, SESSION_RESPONDER, now, NULL);
}

Test(agent_tunnel, message1_carries_name_agent_and_increasing_stamps)
{
	struct handshake hs;
	struct tlv_msg1 m1;
	uint8_t first_ts[12];
	uint32_t first_index;
	uint8_t first_e[32];

	init(NULL);
	cr_expect_eq(tunnel_next(&t, 0), TIMERS_SEND_HANDSHAKE);
	initiate(0);
	first_index = t.hs.local_index;
	memcpy(first_e, msg + WIRE_INIT_OFF_E, 32);
	cr_assert_eq(handshake_initiation_consume(&hs, &gw, msg, len, NULL, NULL, &m1), PROTO_OK);
	cr_expect_str_eq(m1.name, "an12345678");
	cr_expect(!strncmp(m1.agent, "tether-agent/", 13), "%s", m1.agent);
	cr_expect_eq(m1.token_len, 0);
	cr_expect(memcmp(hs.remote_static, t.id.public_key, 32) == 0);
	memcpy(first_ts, m1.timestamp, 12);

	/* silence: the next attempt is due 4-6 s later and is all new */
	cr_expect_eq(tunnel_next(&t, 3 * SEC), TIMERS_NONE);
	cr_expect_eq(tunnel_next(&t, 7 * SEC), TIMERS_SEND_HANDSHAKE);
	initiate(7 * SEC);
	cr_expect_neq(t.hs.local_index, first_index);
	cr_expect(memcmp(first_e, msg + WIRE_INIT_OFF_E, 32) != 0);
	cr_assert_eq(handshake_initiation_consume(&hs, &gw, msg, len, NULL, NULL, &m1), PROTO_OK);
	cr_expect_gt(tai64n_compare(m1.timestamp, first_ts), 0);
}

Test(agent_tunnel, enrollment_token_sent)
{
	struct handshake hs;
	struct tlv_msg1 m1;

	init(TOKEN);
	initiate(0);
	cr_assert_eq(handshake_initiation_consume(&hs, &gw, msg, len, NULL, NULL, &m1), PROTO_OK);
	cr_expect_str_eq(m1.token, TOKEN);
	tlv_msg1_clear(&m1);
}

Test(agent_tunnel, ok_then_confirmation_and_data_both_ways)
{
	struct handshake hs;
	struct tlv_msg1 m1;
	struct tlv_msg2 m2;
	struct session_peer gws;
	struct session_rx rx;
	struct session_tx tx;
	struct data_header hdr;
	struct inner_packet pkt;
	enum proto_reason why;
	static const uint8_t ping[28] = {0x45, 0,   0,	28, 0, 0,   0,	0, 64, 1, 0,
					 0,    100, 64, 0,  7, 100, 64, 0, 1,  8, 0};
	size_t plain, out;

	session_init(&gws);
	init(NULL);
	initiate(0);
	respond(&hs, &m1, WIRE_STATUS_OK, &gws, SEC);
	cr_assert_eq(tunnel_answer(&t, msg, len, SEC, &m2, &why), TUNNEL_OK);
	cr_expect_eq(m2.mtu, 1420);
	cr_expect_eq(m2.keepalive, 10);
	cr_expect_str_eq(m2.url, "https://an12345678.example.com");
	cr_expect(tunnel_online(&t, SEC));
	cr_expect_eq(t.handshakes, 1);
	/* the answer to an old attempt is no longer ours */
	cr_expect_eq(tunnel_answer(&t, msg, len, SEC, &m2, &why), TUNNEL_DROPPED);
	cr_expect_eq(why, PROTO_UNKNOWN_INDEX);

	/* key confirmation: a keepalive at once, which confirms the gateway's session */
	cr_assert_eq(tunnel_next(&t, SEC), TIMERS_SEND_KEEPALIVE);
	cr_assert_eq(tunnel_keepalive(&t, msg, sizeof(msg), SEC, &out), PROTO_OK);
	cr_assert_eq(data_parse(msg, out, &hdr), PROTO_OK);
	cr_assert_eq(session_decrypt(&gws, &hdr, msg, out, msg + 16, out - 16, SEC, &rx), PROTO_OK);
	cr_expect(rx.confirmed);
	cr_expect_eq(rx.len, 0);
	cr_expect_eq(tunnel_next(&t, SEC), TIMERS_NONE);
	/* the keepalive interval of message 2 */
	cr_expect_eq(tunnel_next(&t, 11 * SEC + 1), TIMERS_SEND_KEEPALIVE);

	/* device -> gateway */
	memcpy(msg + WIRE_DATA_OFF_PAYLOAD, ping, sizeof(ping));
	cr_assert_eq(tunnel_encrypt(&t, msg, sizeof(msg), sizeof(ping), 1420, 2 * SEC, &out),
		     PROTO_OK);
	cr_assert_eq(data_parse(msg, out, &hdr), PROTO_OK);
	cr_assert_eq(session_decrypt(&gws, &hdr, msg, out, msg + 16, out - 16, 2 * SEC, &rx),
		     PROTO_OK);
	cr_assert_eq(inner_parse(msg + 16, rx.len, &pkt), PROTO_OK);
	cr_expect_eq(pkt.len, sizeof(ping));
	cr_expect(memcmp(pkt.data, ping, sizeof(ping)) == 0);

	/* gateway -> device */
	memcpy(msg + WIRE_DATA_OFF_PAYLOAD, ping, sizeof(ping));
	cr_assert_eq(session_encrypt(&gws, msg, sizeof(msg), sizeof(ping), 1420, 2 * SEC, &tx),
		     PROTO_OK);
	cr_assert_eq(tunnel_decrypt(&t, msg, tx.len, 2 * SEC, &plain), PROTO_OK);
	cr_assert_geq(plain, sizeof(ping));
	cr_expect(memcmp(msg + 16, ping, sizeof(ping)) == 0);
	/* and the same message again is a replay */
	cr_assert_eq(session_encrypt(&gws, msg, sizeof(msg), 0, 1420, 2 * SEC, &tx), PROTO_OK);
	memcpy(msg + 1024, msg, tx.len);
	cr_expect_eq(tunnel_decrypt(&t, msg, tx.len, 2 * SEC, &plain), PROTO_OK);
	cr_expect_eq(tunnel_decrypt(&t, msg + 1024, tx.len, 2 * SEC, &plain), PROTO_REPLAY);

	/* a rekey is due at 120 s; without one the session ends at 180 s */
	cr_expect_eq(tunnel_next(&t, 121 * SEC + SEC), TIMERS_SEND_HANDSHAKE);
	cr_expect_not(tunnel_online(&t, 182 * SEC));

	/* a rekey REJECTED (the device was disabled) ends the session at once */
	initiate(3 * SEC);
	respond(&hs, &m1, WIRE_STATUS_REJECTED, &gws, 3 * SEC);
	cr_assert_eq(tunnel_answer(&t, msg, len, 3 * SEC, &m2, &why), TUNNEL_REJECTED);
	cr_expect_not(tunnel_online(&t, 3 * SEC));
	cr_expect_eq(tunnel_encrypt(&t, msg, sizeof(msg), 0, 1420, 3 * SEC, &out),
		     PROTO_SESSION_EXPIRED);
	session_clear(&gws, NULL);
}

Test(agent_tunnel, refusals_back_off)
{
	struct handshake hs;
	struct tlv_msg1 m1;
	struct tlv_msg2 m2;
	struct session_peer gws;
	enum proto_reason why;
	uint64_t d;

	session_init(&gws);
	init(NULL);
	initiate(0);
	respond(&hs, &m1, WIRE_STATUS_REJECTED, &gws, SEC);
	cr_assert_eq(tunnel_answer(&t, msg, len, SEC, &m2, &why), TUNNEL_REJECTED);
	cr_expect_not(tunnel_online(&t, SEC));
	cr_expect_eq(tunnel_next(&t, SEC), TIMERS_NONE);
	d = tunnel_deadline(&t, SEC);
	cr_expect(d >= 5 * SEC && d <= 7 * SEC, "first backoff %llu", (unsigned long long)d);

	initiate(d);
	respond(&hs, &m1, WIRE_STATUS_RETRY_LATER, &gws, d);
	cr_assert_eq(tunnel_answer(&t, msg, len, d, &m2, &why), TUNNEL_RETRY_LATER);
	/* the second failure in a row waits about twice as long */
	cr_expect_geq(tunnel_deadline(&t, d) - d, 8 * SEC);
	cr_expect_eq(t.timers.failures, 2);
}

Test(agent_tunnel, cookie_then_fresh_message_with_mac2)
{
	struct mac_checker checker;
	struct mac_source src;
	struct tlv_msg2 m2;
	enum proto_reason why;
	uint8_t reply[WIRE_COOKIE_LEN];
	static const uint8_t ip[4] = {198, 18, 0, 2};

	init(NULL);
	mac_checker_init(&checker, gw.public_key);
	cr_assert_eq(mac_source_from_bytes(&src, ip, 4, 40000), PROTO_OK);
	initiate(0);
	cr_expect_eq(mac_checker_check_mac2(&checker, 0, &src, msg, len), PROTO_NEED_COOKIE);
	cr_assert_eq(mac_checker_reply(&checker, 0, &src, msg, len, NULL, reply), PROTO_OK);
	cr_assert_eq(tunnel_answer(&t, reply, sizeof(reply), SEC / 10, &m2, &why), TUNNEL_COOKIE);
	/* at once, a new message 1 that passes under load */
	cr_assert_eq(tunnel_next(&t, SEC / 10), TIMERS_SEND_HANDSHAKE);
	initiate(SEC / 10);
	cr_expect_eq(mac_checker_check_mac2(&checker, SEC / 10, &src, msg, len), PROTO_OK);
	/* a reply to the attempt before is not ours any more */
	cr_expect_eq(tunnel_answer(&t, reply, sizeof(reply), SEC / 5, &m2, &why), TUNNEL_DROPPED);
	mac_checker_clear(&checker);
}

Test(agent_tunnel, foreign_answers_dropped)
{
	struct handshake_identity other;
	struct handshake hs;
	struct tlv_msg1 m1;
	struct tlv_msg2 m2 = {.status = WIRE_STATUS_OK};
	struct session_keys keys;
	enum proto_reason why;
	uint8_t other_priv[32];

	init(NULL);
	initiate(0);
	/* garbage and short messages */
	cr_expect_eq(tunnel_answer(&t, (const uint8_t *)"\x02", 1, 0, &m2, &why), TUNNEL_DROPPED);
	cr_expect_eq(tunnel_answer(&t, (const uint8_t *)"", 0, 0, &m2, &why), TUNNEL_DROPPED);
	cr_expect_eq(tunnel_answer(&t, (const uint8_t *)"\x09zzzz", 5, 0, &m2, &why),
		     TUNNEL_DROPPED);
	/* a gateway with another key cannot even read message 1 */
	keys_generate(other_priv);
	cr_assert_eq(handshake_identity_init(&other, other_priv), PROTO_OK);
	cr_expect_neq(handshake_initiation_consume(&hs, &other, msg, len, NULL, NULL, &m1),
		      PROTO_OK);
	/* a tampered message 2 is dropped and the attempt still waits */
	cr_assert_eq(handshake_initiation_consume(&hs, &gw, msg, len, NULL, NULL, &m1), PROTO_OK);
	m2.addr4[0] = 100, m2.peer4[0] = 100, m2.mtu = 1420, m2.keepalive = 25;
	cr_assert_eq(handshake_response_create(&hs, 0, &m2, NULL, msg, sizeof(msg), &len, &keys),
		     PROTO_OK);
	msg[len - 40] ^= 1;
	cr_expect_eq(tunnel_answer(&t, msg, len, 0, &m2, &why), TUNNEL_DROPPED);
	msg[len - 40] ^= 1;
	cr_expect_eq(tunnel_answer(&t, msg, len, 0, &m2, &why), TUNNEL_OK);
	sodium_memzero(&keys, sizeof(keys));
}
