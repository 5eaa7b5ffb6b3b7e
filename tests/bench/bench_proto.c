/* Benchmark of proto/: seal+open of full-size packets through sessions
 * (session_encrypt, data_parse, session_decrypt) against bare libsodium
 * ChaChaPoly, and each side's handshake work against bare X25519, in the
 * same run, as ratios (the machine is shared: absolute figures drift).
 * Handshakes are timed in the daemons' steady state (each side holds the
 * ss of its known peer) and cold (ss computed every time). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "proto/data.h"
#include "proto/handshake.h"
#include "proto/keys.h"
#include "proto/session.h"

enum {
	PACKET_LEN = WIRE_MTU_DEFAULT,
	BUF_LEN = PACKET_LEN + WIRE_DATA_OVERHEAD,
	DEFAULT_PACKETS = 40000,
	DEFAULT_ROUNDS = 9,
	DEFAULT_HANDSHAKES = 300,
	HANDSHAKE_ROUNDS = 7,
	DH_PER_HANDSHAKE = 4, /* es, ss, ee, se on either side */
	DH_CACHED = 3,	      /* the same with ss precomputed per peer */
};

#define GOAL	       0.95
#define HANDSHAKE_GOAL 0.9

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_proto: %s\n", what);
	exit(1);
}

static uint8_t key[WIRE_KEY_LEN];
static uint8_t plain[PACKET_LEN], cipher[BUF_LEN], opened[PACKET_LEN];
static uint64_t bare_counter;

/* The baseline: what any ChaChaPoly tunnel must do per packet. */
static uint64_t round_bare(unsigned packets)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
	unsigned long long clen, mlen;
	uint64_t start = clock_ns();

	for (unsigned i = 0; i < packets; i++) {
		uint64_t c = bare_counter++;

		memcpy(nonce + 4, &c, sizeof(c));
		crypto_aead_chacha20poly1305_ietf_encrypt(cipher, &clen, plain, sizeof(plain), NULL,
							  0, NULL, nonce, key);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(opened, &mlen, NULL, cipher, clen,
							      NULL, 0, nonce, key) != 0)
			die("bare decrypt failed");
	}
	return clock_ns() - start;
}

static struct session_peer agent, conc;
static uint8_t msg[BUF_LEN];

/* The same packets through proto/, in place: the packet sits at
 * msg + WIRE_DATA_OFF_PAYLOAD (where the TUN read puts it), is sealed
 * there, and opened back there. */
static uint64_t round_proto(unsigned packets)
{
	uint64_t start = clock_ns();

	for (unsigned i = 0; i < packets; i++) {
		struct session_tx tx;
		struct session_rx rx;
		struct data_header hdr;

		if (session_encrypt(&agent, msg, sizeof(msg), PACKET_LEN, PACKET_LEN, 1, &tx) !=
		    PROTO_OK)
			die("session_encrypt failed");
		if (data_parse(msg, tx.len, &hdr) != PROTO_OK ||
		    session_decrypt(&conc, &hdr, msg, tx.len, msg + WIRE_DATA_OFF_PAYLOAD,
				    sizeof(msg) - WIRE_DATA_OFF_PAYLOAD, 1, &rx) != PROTO_OK ||
		    rx.len != PACKET_LEN)
			die("session_decrypt failed");
	}
	return clock_ns() - start;
}

static void setup_sessions(void)
{
	struct session_keys a = {.local_index = 1, .remote_index = 2};
	struct session_keys c = {.local_index = 2, .remote_index = 1};

	randombytes_buf(a.send, sizeof(a.send));
	randombytes_buf(a.recv, sizeof(a.recv));
	memcpy(c.send, a.recv, sizeof(c.send));
	memcpy(c.recv, a.send, sizeof(c.recv));
	session_init(&agent);
	session_init(&conc);
	session_install(&agent, &a, SESSION_INITIATOR, 0, NULL);
	session_install(&conc, &c, SESSION_RESPONDER, 0, NULL);
	memcpy(msg + WIRE_DATA_OFF_PAYLOAD, plain, PACKET_LEN);
}

/* Both sides of the handshake as the daemons run them; a real exchange,
 * timed per side, so each handshake feeds the other side real messages.
 * server_ss is the agent's view with ss precomputed (tunnel_init);
 * device_key and device_ss what tetherd keeps for an enrolled device. */
struct hs_world {
	struct handshake_identity agent_id, conc_id;
	struct handshake_peer server, server_ss;
	uint8_t device_key[WIRE_KEY_LEN];
	uint8_t device_ss[WIRE_KEY_LEN];
	struct tlv_msg1 m1;
	struct tlv_msg2 ok;
};

static struct hs_world hw;

/* tetherd's lookup, less its hash table: the ss of the one known device */
static const uint8_t *device_ss(void *ctx, const uint8_t rs[WIRE_KEY_LEN])
{
	struct hs_world *w = ctx;

	return sodium_memcmp(rs, w->device_key, WIRE_KEY_LEN) == 0 ? w->device_ss : NULL;
}

static void setup_handshakes(void)
{
	uint8_t priv[WIRE_KEY_LEN];

	keys_generate(priv);
	if (handshake_identity_init(&hw.agent_id, priv) != PROTO_OK)
		die("agent identity");
	keys_generate(priv);
	if (handshake_identity_init(&hw.conc_id, priv) != PROTO_OK)
		die("concentrator identity");
	sodium_memzero(priv, sizeof(priv));
	handshake_peer_init(&hw.server, hw.conc_id.public_key);
	hw.server_ss = hw.server;
	if (handshake_peer_precompute(&hw.server_ss, &hw.agent_id) != PROTO_OK)
		die("agent ss");
	memcpy(hw.device_key, hw.agent_id.public_key, WIRE_KEY_LEN);
	if (handshake_ss_compute(hw.device_ss, &hw.conc_id, hw.device_key) != PROTO_OK)
		die("device ss");
	memset(hw.m1.timestamp, 0x40, sizeof(hw.m1.timestamp));
	hw.m1.name_len = strlen("an12345678");
	memcpy(hw.m1.name, "an12345678", hw.m1.name_len);
	hw.ok.status = WIRE_STATUS_OK;
	memcpy(hw.ok.addr4, "\x64\x40\x00\x07", 4);
	memcpy(hw.ok.peer4, "\x64\x40\x00\x01", 4);
	hw.ok.mtu = WIRE_MTU_DEFAULT;
	hw.ok.keepalive = 25;
}

struct hs_times {
	uint64_t initiator; /* initiation_create + response_consume */
	uint64_t responder; /* initiation_check + initiation_consume + response_create */
};

static struct hs_times round_handshakes(unsigned handshakes, bool cached)
{
	const struct handshake_peer *server = cached ? &hw.server_ss : &hw.server;
	struct hs_times times = {0, 0};
	uint8_t msg1[WIRE_INIT_MAX_LEN], msg2[WIRE_RESP_MAX_LEN];

	for (unsigned i = 0; i < handshakes; i++) {
		struct handshake a, c;
		struct session_keys ak, ck;
		struct tlv_msg1 p1;
		struct tlv_msg2 p2;
		size_t len1 = 0, len2 = 0;
		uint64_t t0, t1, t2, t3;

		t0 = clock_ns();
		if (handshake_initiation_create(&a, &hw.agent_id, server, 0, &hw.m1, NULL, NULL,
						msg1, sizeof(msg1), &len1) != PROTO_OK)
			die("handshake_initiation_create failed");
		t1 = clock_ns();
		if (handshake_initiation_check(&hw.conc_id, msg1, len1) != PROTO_OK ||
		    handshake_initiation_consume(&c, &hw.conc_id, msg1, len1,
						 cached ? device_ss : NULL, &hw, &p1) != PROTO_OK ||
		    handshake_response_create(&c, 0, &hw.ok, NULL, msg2, sizeof(msg2), &len2,
					      &ck) != PROTO_OK)
			die("responder failed");
		t2 = clock_ns();
		if (handshake_response_consume(&a, &hw.agent_id, msg2, len2, &p2, &ak) != PROTO_OK)
			die("handshake_response_consume failed");
		t3 = clock_ns();
		times.initiator += (t1 - t0) + (t3 - t2);
		times.responder += t2 - t1;
		if (p2.status != WIRE_STATUS_OK || memcmp(ak.send, ck.recv, sizeof(ak.send)) != 0 ||
		    memcmp(ak.recv, ck.send, sizeof(ak.recv)) != 0)
			die("the two sides disagree on the session keys");
		tlv_msg1_clear(&p1);
		sodium_memzero(&ak, sizeof(ak));
		sodium_memzero(&ck, sizeof(ck));
	}
	return times;
}

/* The baseline: variable-base X25519, each output the next input point
 * (the compiler cannot drop the chain, and it never hits a low-order
 * point). Base-point multiplications (key generation) are faster and are
 * timed apart, to account for the handshake's ephemeral. */
static uint8_t dh_scalar[WIRE_KEY_LEN], dh_point[WIRE_KEY_LEN];

static uint64_t round_x25519(unsigned ops)
{
	uint64_t start = clock_ns();

	for (unsigned i = 0; i < ops; i++)
		if (crypto_scalarmult(dh_point, dh_scalar, dh_point) != 0)
			die("crypto_scalarmult failed");
	return clock_ns() - start;
}

static uint64_t round_x25519_base(unsigned ops)
{
	uint64_t start = clock_ns();

	for (unsigned i = 0; i < ops; i++) {
		if (crypto_scalarmult_base(dh_point, dh_scalar) != 0)
			die("crypto_scalarmult_base failed");
		dh_scalar[i % WIRE_KEY_LEN] ^= dh_point[0];
	}
	return clock_ns() - start;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return v[n / 2];
}

/* One side's figures: rate, ratio to bare X25519 / 4, and to the work
 * no implementation avoids in that mode (dh X25519 and a key generation). */
static void side(const char *name, double rate, double dh_rate, double base_rate, unsigned dh,
		 bool goal)
{
	double ratio = rate / (dh_rate / DH_PER_HANDSHAKE);
	double floor_us = 1e6 * (dh / dh_rate + 1 / base_rate);

	printf("  %-22s %8.0f hs/s    %6.1f us each, ratio to X25519/4 %.3f", name, rate,
	       1e6 / rate, ratio);
	if (goal)
		printf("  (goal >= %.2f: %s)", HANDSHAKE_GOAL,
		       ratio >= HANDSHAKE_GOAL ? "met" : "NOT met");
	printf("\n  %-22s against %u X25519 + 1 key generation (%.1f us): %.3f\n", "", dh, floor_us,
	       floor_us * rate / 1e6);
}

static void bench_handshakes(unsigned handshakes)
{
	uint64_t init[HANDSHAKE_ROUNDS], resp[HANDSHAKE_ROUNDS], dh[HANDSHAKE_ROUNDS];
	uint64_t cold_init[HANDSHAKE_ROUNDS], cold_resp[HANDSHAKE_ROUNDS];
	uint64_t base[HANDSHAKE_ROUNDS];
	unsigned ops = handshakes * DH_PER_HANDSHAKE;
	double dh_rate, base_rate;

	setup_handshakes();
	keys_generate(dh_scalar);
	keys_generate(dh_point);
	crypto_scalarmult_base(dh_point, dh_point);
	round_handshakes(handshakes / 10 + 1, true);
	round_handshakes(handshakes / 10 + 1, false);
	round_x25519(ops / 10 + 1);
	/* alternate, as above; the median round of each */
	for (unsigned r = 0; r < HANDSHAKE_ROUNDS; r++) {
		struct hs_times t = round_handshakes(handshakes, true);
		struct hs_times cold = round_handshakes(handshakes, false);

		init[r] = t.initiator;
		resp[r] = t.responder;
		cold_init[r] = cold.initiator;
		cold_resp[r] = cold.responder;
		dh[r] = round_x25519(ops);
		base[r] = round_x25519_base(ops);
	}
	dh_rate = ops * 1e9 / median(dh, HANDSHAKE_ROUNDS);
	base_rate = ops * 1e9 / median(base, HANDSHAKE_ROUNDS);

	printf("handshake: Noise IK, %u handshakes x %u rounds, median round\n", handshakes,
	       HANDSHAKE_ROUNDS);
	printf("  bare X25519            %8.0f ops/s   %6.1f us each\n", dh_rate, 1e6 / dh_rate);
	printf("  bare X25519 base point %8.0f ops/s   %6.1f us each (key generation)\n", base_rate,
	       1e6 / base_rate);
	printf(" steady state: ss precomputed (the agent for its server, tetherd per device)\n");
	side("initiator", handshakes * 1e9 / median(init, HANDSHAKE_ROUNDS), dh_rate, base_rate,
	     DH_CACHED, false);
	side("responder", handshakes * 1e9 / median(resp, HANDSHAKE_ROUNDS), dh_rate, base_rate,
	     DH_CACHED, true);
	printf(" cold: ss computed in each handshake (a first handshake, an enrollment)\n");
	side("initiator cold", handshakes * 1e9 / median(cold_init, HANDSHAKE_ROUNDS), dh_rate,
	     base_rate, DH_PER_HANDSHAKE, false);
	side("responder cold", handshakes * 1e9 / median(cold_resp, HANDSHAKE_ROUNDS), dh_rate,
	     base_rate, DH_PER_HANDSHAKE, false);
	handshake_identity_clear(&hw.agent_id);
	handshake_identity_clear(&hw.conc_id);
	handshake_peer_clear(&hw.server_ss);
	sodium_memzero(hw.device_ss, sizeof(hw.device_ss));
}

static void line(const char *name, uint64_t ns, unsigned packets)
{
	double per = (double)ns / packets;

	printf("  %-22s %8.1f ns/packet  %6.2f Gbit/s\n", name, per, PACKET_LEN * 8.0 / per);
}

int main(int argc, char **argv)
{
	unsigned packets = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : DEFAULT_PACKETS;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : DEFAULT_ROUNDS;
	unsigned handshakes = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : DEFAULT_HANDSHAKES;
	uint64_t best_bare = UINT64_MAX, best_proto = UINT64_MAX;
	double ratio;

	if (sodium_init() < 0)
		die("sodium_init failed");
	if (packets == 0 || rounds == 0 || handshakes == 0)
		die("usage: bench_proto [packets] [rounds] [handshakes]");
	randombytes_buf(key, sizeof(key));
	randombytes_buf(plain, sizeof(plain));
	setup_sessions();

	/* warm up, then alternate so drift on a shared machine hits both
	 * sides alike; keep each side's best round */
	round_bare(packets / 10 + 1);
	round_proto(packets / 10 + 1);
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t b = round_bare(packets), p = round_proto(packets);

		if (b < best_bare)
			best_bare = b;
		if (p < best_proto)
			best_proto = p;
	}
	if (memcmp(msg + WIRE_DATA_OFF_PAYLOAD, plain, PACKET_LEN) != 0)
		die("proto round trip changed the packet");
	ratio = (double)best_bare / (double)best_proto;

	printf("proto: seal+open of %d-byte packets, %u packets x %u rounds, best round\n",
	       PACKET_LEN, packets, rounds);
	line("bare libsodium", best_bare, packets);
	line("proto/ sessions", best_proto, packets);
	printf("  ratio proto/bare       %8.3f  (goal >= %.2f: %s)\n", ratio, GOAL,
	       ratio >= GOAL ? "met" : "NOT met");
	session_clear(&agent, NULL);
	session_clear(&conc, NULL);
	bench_handshakes(handshakes);
	return 0;
}
