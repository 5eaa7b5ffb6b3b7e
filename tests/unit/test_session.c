/* Session rotation (sections 4 and 5): installing on each side, key
 * confirmation, the previous session's receive side, expiry, the message
 * limits, wiping, and a rekey that loses no packet in either direction. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "proto/session.h"

#define BUF_LEN 256
#define SEC	WIRE_NSEC_PER_SEC
#define T0	(1000 * SEC)

static struct session_peer agent, conc;

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	session_init(&agent);
	session_init(&conc);
}

TestSuite(session, .init = setup);

/* One handshake's result on both sides: random keys, indices from n. */
static void handshake(uint32_t n, uint64_t now, struct session_drops *agent_drops,
		      struct session_drops *conc_drops)
{
	struct session_keys a, c;

	randombytes_buf(a.send, sizeof(a.send));
	randombytes_buf(a.recv, sizeof(a.recv));
	a.local_index = 1000 + n;
	a.remote_index = 2000 + n;
	memcpy(c.send, a.recv, sizeof(c.send));
	memcpy(c.recv, a.send, sizeof(c.recv));
	c.local_index = a.remote_index;
	c.remote_index = a.local_index;
	session_install(&conc, &c, SESSION_RESPONDER, now, conc_drops);
	session_install(&agent, &a, SESSION_INITIATOR, now, agent_drops);
}

struct packet {
	uint8_t buf[BUF_LEN];
	size_t len;
};

/* Seal one byte b (or a keepalive when b < 0) from p. */
static enum proto_reason seal_one(struct session_peer *p, int b, uint64_t now, struct packet *out)
{
	struct session_tx tx;
	enum proto_reason reason;

	out->buf[WIRE_DATA_OFF_PAYLOAD] = (uint8_t)b;
	reason = session_encrypt(p, out->buf, sizeof(out->buf), b < 0 ? 0 : 1, WIRE_MTU_DEFAULT,
				 now, &tx);
	out->len = reason == PROTO_OK ? tx.len : 0;
	return reason;
}

/* Open a copy of pkt at p; the byte it carried goes to *b. */
static enum proto_reason open_copy(struct session_peer *p, const struct packet *pkt, uint64_t now,
				   struct session_rx *rx, int *b)
{
	struct packet copy = *pkt;
	struct data_header hdr;
	struct session_rx local;
	enum proto_reason reason;

	if (!rx)
		rx = &local;
	reason = data_parse(copy.buf, copy.len, &hdr);
	if (reason != PROTO_OK)
		return reason;
	reason = session_decrypt(p, &hdr, copy.buf, copy.len, copy.buf + WIRE_DATA_OFF_PAYLOAD,
				 sizeof(copy.buf) - WIRE_DATA_OFF_PAYLOAD, now, rx);
	if (reason == PROTO_OK && b)
		*b = rx->len ? copy.buf[WIRE_DATA_OFF_PAYLOAD] : -1;
	return reason;
}

/* Whether the bytes of needle appear anywhere in the peer's memory. */
static bool holds(const struct session_peer *p, const uint8_t *needle, size_t n)
{
	const uint8_t *h = (const uint8_t *)p;

	for (size_t i = 0; i + n <= sizeof(*p); i++)
		if (memcmp(h + i, needle, n) == 0)
			return true;
	return false;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

Test(session, empty_peer_refuses)
{
	struct packet pkt = {0};

	cr_assert_eq(seal_one(&agent, 1, T0, &pkt), PROTO_SESSION_EXPIRED);
	cr_assert_null(session_current(&agent));
	cr_assert_eq(session_deadline(&agent), UINT64_MAX);
	memset(&pkt, 0, sizeof(pkt));
	pkt.buf[0] = WIRE_TYPE_DATA;
	pkt.len = WIRE_DATA_OVERHEAD;
	cr_assert_eq(open_copy(&agent, &pkt, T0, NULL, NULL), PROTO_UNKNOWN_INDEX);
}

Test(session, install_takes_and_wipes_the_keys)
{
	struct session_keys k = {.local_index = 7, .remote_index = 9};

	memset(k.send, 0x11, sizeof(k.send));
	memset(k.recv, 0x22, sizeof(k.recv));
	session_install(&agent, &k, SESSION_INITIATOR, T0, NULL);
	cr_assert(all_zero(&k, sizeof(k)), "the caller's copy is wiped");
	const struct session *s = session_current(&agent);

	cr_assert_not_null(s);
	cr_assert_eq(s->keys.local_index, 7);
	cr_assert_eq(s->keys.remote_index, 9);
	cr_assert_eq(s->keys.send[0], 0x11);
	cr_assert(s->confirmed, "message 2 confirms the agent's session");
	cr_assert_eq(s->created, T0);
}

Test(session, agent_current_at_once_concentrator_waits_for_confirmation)
{
	struct packet pkt;
	struct session_rx rx;
	int b;

	handshake(1, T0, NULL, NULL);
	cr_assert_not_null(session_current(&agent));
	cr_assert_null(session_current(&conc), "unconfirmed: nothing to send on");
	cr_assert_eq(seal_one(&conc, 1, T0, &pkt), PROTO_SESSION_EXPIRED);
	cr_assert_neq(conc.next, SESSION_NONE);

	/* the agent's keepalive confirms it */
	cr_assert_eq(seal_one(&agent, -1, T0, &pkt), PROTO_OK);
	cr_assert_eq(pkt.len, WIRE_DATA_OVERHEAD);
	cr_assert_eq(open_copy(&conc, &pkt, T0 + 1, &rx, &b), PROTO_OK);
	cr_assert_eq(b, -1);
	cr_assert(rx.confirmed);
	cr_assert_eq(rx.created, T0);
	cr_assert_eq(rx.dropped.count, 0);
	cr_assert_eq(conc.next, SESSION_NONE);
	cr_assert_not_null(session_current(&conc));
	cr_assert(session_current(&conc)->confirmed);

	/* now both ways */
	cr_assert_eq(seal_one(&conc, 42, T0 + 2, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&agent, &pkt, T0 + 2, &rx, &b), PROTO_OK);
	cr_assert_eq(b, 42);
	cr_assert_not(rx.confirmed);
	cr_assert_eq(seal_one(&agent, 43, T0 + 3, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &pkt, T0 + 3, &rx, &b), PROTO_OK);
	cr_assert_eq(b, 43);
	cr_assert_not(rx.confirmed, "only the first message confirms");
}

Test(session, concentrator_sends_on_previous_until_confirmed)
{
	struct packet pkt, ka;
	struct session_rx rx;
	uint32_t first;
	int b;

	handshake(1, T0, NULL, NULL);
	cr_assert_eq(seal_one(&agent, -1, T0, &ka), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &ka, T0, NULL, NULL), PROTO_OK);
	first = session_current(&conc)->keys.local_index;

	/* rekey: the concentrator has the new session in next only */
	handshake(2, T0 + 120 * SEC, NULL, NULL);
	cr_assert_eq(session_current(&conc)->keys.local_index, first);
	cr_assert_eq(seal_one(&conc, 5, T0 + 120 * SEC, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&agent, &pkt, T0 + 120 * SEC, &rx, &b), PROTO_OK,
		     "the agent still receives on its previous session");
	cr_assert_eq(b, 5);

	/* the agent's keepalive on the new session rotates the concentrator */
	cr_assert_eq(seal_one(&agent, -1, T0 + 120 * SEC, &ka), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &ka, T0 + 121 * SEC, &rx, NULL), PROTO_OK);
	cr_assert(rx.confirmed);
	cr_assert_eq(rx.created, T0 + 120 * SEC);
	cr_assert_eq(session_current(&conc)->keys.local_index, 2002);
	cr_assert_eq(conc.slot[conc.previous].keys.local_index, first);
	cr_assert_eq(seal_one(&conc, 6, T0 + 121 * SEC, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&agent, &pkt, T0 + 121 * SEC, &rx, &b), PROTO_OK);
	cr_assert_eq(b, 6);
}

Test(session, previous_keeps_only_its_receive_key)
{
	const struct session *old;

	handshake(1, T0, NULL, NULL);
	handshake(2, T0 + SEC, NULL, NULL);
	cr_assert_neq(agent.previous, SESSION_NONE);
	old = &agent.slot[agent.previous];
	cr_assert_eq(old->keys.local_index, 1001);
	cr_assert_not(old->can_send);
	cr_assert(all_zero(old->keys.send, sizeof(old->keys.send)), "send key wiped");
	cr_assert_not(all_zero(old->keys.recv, sizeof(old->keys.recv)));
}

Test(session, third_handshake_drops_and_wipes_the_oldest)
{
	struct session_drops ad = {0}, cd = {0};
	struct packet pkt;
	struct session_rx rx;
	uint8_t old_recv[WIRE_KEY_LEN];

	handshake(1, T0, &ad, &cd);
	cr_assert_eq(ad.count + cd.count, 0);
	cr_assert_eq(seal_one(&agent, -1, T0, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &pkt, T0, NULL, NULL), PROTO_OK);
	handshake(2, T0 + SEC, &ad, &cd);
	cr_assert_eq(ad.count + cd.count, 0);
	cr_assert_eq(seal_one(&agent, -1, T0 + SEC, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &pkt, T0 + SEC, &rx, NULL), PROTO_OK);
	cr_assert_eq(rx.dropped.count, 0, "nothing older than previous yet");

	memcpy(old_recv, agent.slot[agent.previous].keys.recv, sizeof(old_recv));
	cr_assert(holds(&agent, old_recv, sizeof(old_recv)));
	handshake(3, T0 + 2 * SEC, &ad, &cd);
	cr_assert_eq(ad.count, 1);
	cr_assert_eq(ad.index[0], 1001);
	cr_assert_eq(cd.count, 0);
	cr_assert_not(holds(&agent, old_recv, sizeof(old_recv)), "the dropped key is wiped");
	cr_assert_eq(agent.slot[agent.previous].keys.local_index, 1002);
	cr_assert_eq(session_current(&agent)->keys.local_index, 1003);

	/* the concentrator drops its oldest when the third one is confirmed */
	cr_assert_eq(seal_one(&agent, -1, T0 + 2 * SEC, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &pkt, T0 + 2 * SEC, &rx, NULL), PROTO_OK);
	cr_assert(rx.confirmed);
	cr_assert_eq(rx.dropped.count, 1);
	cr_assert_eq(rx.dropped.index[0], 2001);
	cr_assert_eq(conc.slot[conc.previous].keys.local_index, 2002);

	/* a message on a dropped session has nowhere to go */
	struct packet late;

	late.len = WIRE_DATA_OVERHEAD;
	memset(late.buf, 0, sizeof(late.buf));
	late.buf[0] = WIRE_TYPE_DATA;
	late.buf[4] = 2001 & 0xff, late.buf[5] = 2001 >> 8;
	cr_assert_eq(open_copy(&conc, &late, T0 + 2 * SEC, NULL, NULL), PROTO_UNKNOWN_INDEX);
}

Test(session, newer_unconfirmed_replaces_next)
{
	struct session_drops cd = {0};
	struct packet stale, fresh;
	struct session_rx rx;

	/* two message 1s answered (the first message 2 lost): only the last
	 * one's keys reach the agent */
	handshake(1, T0, NULL, &cd);
	cr_assert_eq(seal_one(&agent, -1, T0, &stale), PROTO_OK);
	handshake(2, T0 + 5 * SEC, NULL, &cd);
	cr_assert_eq(cd.count, 1, "the unconfirmed next is dropped");
	cr_assert_eq(cd.index[0], 2001);
	cr_assert_eq(open_copy(&conc, &stale, T0 + 5 * SEC, NULL, NULL), PROTO_UNKNOWN_INDEX);
	cr_assert_eq(seal_one(&agent, -1, T0 + 5 * SEC, &fresh), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &fresh, T0 + 5 * SEC, &rx, NULL), PROTO_OK);
	cr_assert(rx.confirmed);
}

Test(session, rekey_loses_nothing)
{
	enum { N = 40 };
	struct packet up[2 * N], down[2 * N];
	int nup = 0, ndown = 0, b;
	bool got_up[2 * N] = {false}, got_down[2 * N] = {false};
	uint64_t now = T0;

	handshake(1, now, NULL, NULL);
	cr_assert_eq(seal_one(&agent, -1, now, &up[0]), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &up[0], now, NULL, NULL), PROTO_OK);

	/* traffic on the old session, some of it still in flight ... */
	for (int i = 0; i < N; i++) {
		cr_assert_eq(seal_one(&agent, nup, now, &up[nup]), PROTO_OK);
		nup++;
		cr_assert_eq(seal_one(&conc, ndown, now, &down[ndown]), PROTO_OK);
		ndown++;
	}
	/* ... while the rekey completes: the agent sends on the new session
	 * at once, the concentrator still on the old one until confirmed */
	now += 120 * SEC;
	handshake(2, now, NULL, NULL);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(seal_one(&agent, nup, now, &up[nup]), PROTO_OK);
		nup++;
		cr_assert_eq(seal_one(&conc, ndown, now, &down[ndown]), PROTO_OK);
		ndown++;
	}
	/* deliver everything in a scrambled order, well before expiry */
	now += 10 * SEC;
	for (int k = 0; k < 2 * N; k++) {
		int i = (k * 37) % (2 * N);

		cr_assert_eq(open_copy(&conc, &up[i], now, NULL, &b), PROTO_OK, "up %d", i);
		cr_assert_eq(b, i);
		got_up[i] = true;
		cr_assert_eq(open_copy(&agent, &down[i], now, NULL, &b), PROTO_OK, "down %d", i);
		cr_assert_eq(b, i);
		got_down[i] = true;
	}
	for (int i = 0; i < 2 * N; i++)
		cr_assert(got_up[i] && got_down[i]);
	/* the concentrator has rotated; it now sends on the new session */
	cr_assert_eq(session_current(&conc)->keys.local_index, 2002);
	cr_assert_eq(seal_one(&conc, 7, now, &down[0]), PROTO_OK);
	cr_assert_eq(open_copy(&agent, &down[0], now, NULL, &b), PROTO_OK);
	cr_assert_eq(b, 7);
	/* and every replay of them is refused */
	for (int i = 1; i < 2 * N; i++)
		cr_assert_eq(open_copy(&conc, &up[i], now, NULL, NULL), PROTO_REPLAY);
}

Test(session, expiry)
{
	struct packet pkt, early;
	struct session_drops d = {0};

	handshake(1, T0, NULL, NULL);
	cr_assert_eq(session_deadline(&agent), T0 + WIRE_REJECT_AFTER_TIME);
	cr_assert_eq(session_deadline(&conc), T0 + WIRE_REJECT_AFTER_TIME, "next expires too");
	cr_assert_eq(seal_one(&agent, 1, T0 + WIRE_REJECT_AFTER_TIME - 1, &early), PROTO_OK);
	cr_assert_eq(seal_one(&agent, 1, T0 + WIRE_REJECT_AFTER_TIME, &pkt), PROTO_SESSION_EXPIRED);
	cr_assert_eq(open_copy(&conc, &early, T0 + WIRE_REJECT_AFTER_TIME, NULL, NULL),
		     PROTO_SESSION_EXPIRED);

	session_expire(&agent, T0 + WIRE_REJECT_AFTER_TIME - 1, &d);
	cr_assert_eq(d.count, 0);
	cr_assert_not_null(session_current(&agent));
	session_expire(&agent, T0 + WIRE_REJECT_AFTER_TIME, &d);
	session_expire(&conc, T0 + WIRE_REJECT_AFTER_TIME, &d);
	cr_assert_eq(d.count, 2);
	cr_assert_eq(d.index[0], 1001);
	cr_assert_eq(d.index[1], 2001);
	cr_assert_null(session_current(&agent));
	cr_assert_eq(conc.next, SESSION_NONE);
	cr_assert(all_zero(agent.slot, sizeof(agent.slot)));
	cr_assert(all_zero(conc.slot, sizeof(conc.slot)));
	cr_assert_eq(session_deadline(&agent), UINT64_MAX);
}

Test(session, previous_expires_on_its_own_clock)
{
	struct packet old_pkt;
	struct session_drops d = {0};

	handshake(1, T0, NULL, NULL);
	cr_assert_eq(seal_one(&agent, -1, T0, &old_pkt), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &old_pkt, T0, NULL, NULL), PROTO_OK);
	cr_assert_eq(seal_one(&conc, 9, T0, &old_pkt), PROTO_OK);
	handshake(2, T0 + 120 * SEC, NULL, NULL);
	cr_assert_eq(session_deadline(&agent), T0 + WIRE_REJECT_AFTER_TIME);
	cr_assert_eq(open_copy(&agent, &old_pkt, T0 + WIRE_REJECT_AFTER_TIME, NULL, NULL),
		     PROTO_SESSION_EXPIRED);
	session_expire(&agent, T0 + WIRE_REJECT_AFTER_TIME, &d);
	cr_assert_eq(d.count, 1);
	cr_assert_eq(d.index[0], 1001);
	cr_assert_eq(agent.previous, SESSION_NONE);
	cr_assert_eq(session_current(&agent)->keys.local_index, 1002);
	cr_assert_eq(session_deadline(&agent), T0 + 120 * SEC + WIRE_REJECT_AFTER_TIME);
}

Test(session, message_limits)
{
	struct packet pkt;
	struct session_tx tx;
	struct session_rx rx;
	struct session *s;

	handshake(1, T0, NULL, NULL);
	s = &agent.slot[agent.current];

	s->send_counter = WIRE_REKEY_AFTER_MESSAGES - 1;
	cr_assert_eq(session_encrypt(&agent, pkt.buf, sizeof(pkt.buf), 0, 1420, T0, &tx), PROTO_OK);
	cr_assert_not(tx.rekey);
	cr_assert_eq(session_encrypt(&agent, pkt.buf, sizeof(pkt.buf), 0, 1420, T0, &tx), PROTO_OK);
	cr_assert(tx.rekey, "REKEY_AFTER_MESSAGES reached");

	/* the last counter goes out and is accepted; after it, nothing */
	s->send_counter = WIRE_REJECT_AFTER_MESSAGES - 1;
	cr_assert_eq(seal_one(&agent, 1, T0, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &pkt, T0, &rx, NULL), PROTO_OK);
	cr_assert_eq(seal_one(&agent, 1, T0, &pkt), PROTO_COUNTER_LIMIT);
	cr_assert_eq(s->send_counter, WIRE_REJECT_AFTER_MESSAGES, "refused: no counter used");
}

Test(session, refusals_use_no_counter_and_forgeries_move_nothing)
{
	struct packet pkt, forged;
	struct session_tx tx;
	const struct session *s;

	handshake(1, T0, NULL, NULL);
	s = session_current(&agent);
	cr_assert_eq(session_encrypt(&agent, pkt.buf, 40, 100, 1420, T0, &tx), PROTO_TOO_BIG);
	cr_assert_eq(session_encrypt(&agent, pkt.buf, sizeof(pkt.buf), 100, 50, T0, &tx),
		     PROTO_TOO_BIG);
	cr_assert_eq(s->send_counter, 0);

	/* a forged message far ahead does not move the window */
	cr_assert_eq(seal_one(&agent, 1, T0, &pkt), PROTO_OK);
	forged = pkt;
	forged.buf[WIRE_DATA_OFF_COUNTER + 6] = 0x10;
	cr_assert_eq(open_copy(&conc, &forged, T0, NULL, NULL), PROTO_DECRYPT);
	cr_assert_eq(conc.slot[conc.next].replay.greatest, 0);
	cr_assert_eq(open_copy(&conc, &pkt, T0, NULL, NULL), PROTO_OK, "counter 0 still accepted");
	cr_assert_eq(open_copy(&conc, &pkt, T0, NULL, NULL), PROTO_REPLAY);
	/* a forged message on next does not confirm it */
	handshake(2, T0 + SEC, NULL, NULL);
	cr_assert_eq(seal_one(&agent, 1, T0 + SEC, &pkt), PROTO_OK);
	pkt.buf[pkt.len - 1] ^= 1;
	cr_assert_eq(open_copy(&conc, &pkt, T0 + SEC, NULL, NULL), PROTO_DECRYPT);
	cr_assert_neq(conc.next, SESSION_NONE, "still unconfirmed");
	cr_assert_eq(session_current(&conc)->keys.local_index, 2001);
}

Test(session, clear_wipes_everything)
{
	struct session_drops d = {0};
	struct packet pkt;

	handshake(1, T0, NULL, NULL);
	cr_assert_eq(seal_one(&agent, -1, T0, &pkt), PROTO_OK);
	cr_assert_eq(open_copy(&conc, &pkt, T0, NULL, NULL), PROTO_OK);
	handshake(2, T0 + SEC, NULL, NULL);
	session_clear(&conc, &d);
	cr_assert_eq(d.count, 2);
	cr_assert_eq(d.index[0] + d.index[1], 2001 + 2002);
	cr_assert(all_zero(conc.slot, sizeof(conc.slot)));
	cr_assert_eq(conc.current, SESSION_NONE);
	cr_assert_eq(conc.previous, SESSION_NONE);
	cr_assert_eq(conc.next, SESSION_NONE);
	session_clear(&agent, NULL);
	cr_assert(all_zero(agent.slot, sizeof(agent.slot)));
}
