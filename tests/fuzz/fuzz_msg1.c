/* libFuzzer: message 1 as the concentrator consumes it (PROTOCOL.md 3.1,
 * 3.3, 3.5). The first input byte picks how deep to reach: 0 the raw
 * bytes, 1 the raw bytes with a valid mac1, 2 the rest as a TLV payload
 * sealed into an authentic message 1; a consumed message is answered.
 * Keys and ephemerals are those of case1 in tests/vectors/tether-v1.json. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/handshake.h"

static const uint8_t concentrator_priv[32] = {0xc8, 0xea, 0x6b, 0xdc, 0xc8, 0x1a, 0x1c, 0x82,
					      0xdc, 0xbc, 0x33, 0x68, 0xec, 0xdf, 0x0f, 0x00,
					      0xab, 0x18, 0x6f, 0xa7, 0x0e, 0x48, 0x44, 0x58,
					      0x83, 0xa2, 0x90, 0x3f, 0x1e, 0xf9, 0x97, 0x47};
static const uint8_t agent_priv[32] = {0x48, 0x29, 0x6f, 0xaa, 0xbb, 0x46, 0x48, 0x25,
				       0x98, 0xf2, 0xe1, 0xa1, 0xac, 0xde, 0xcd, 0xd7,
				       0x88, 0xcf, 0x59, 0xe9, 0xd3, 0x21, 0x0b, 0x38,
				       0x51, 0x6b, 0x69, 0xa3, 0x1c, 0x75, 0x74, 0x6d};
static const uint8_t ephemeral[32] = {0x68, 0xd1, 0x03, 0x11, 0xc8, 0x70, 0x98, 0x9a,
				      0xc8, 0xbb, 0xac, 0xeb, 0x1b, 0xc6, 0xe4, 0x73,
				      0x8f, 0xc2, 0x77, 0x05, 0xae, 0x40, 0x67, 0x07,
				      0x92, 0x14, 0x56, 0x01, 0xe6, 0x7c, 0xea, 0x66};

static struct handshake_identity concentrator, agent;
static struct handshake_peer server;

static void setup(void)
{
	if (sodium_init() < 0 || handshake_identity_init(&concentrator, concentrator_priv) ||
	    handshake_identity_init(&agent, agent_priv))
		abort();
	handshake_peer_init(&server, concentrator.public_key);
}

/* an authentic message 1 around payload, as raw bytes */
static size_t seal(const uint8_t *payload, size_t len, uint8_t *out)
{
	struct noise_handshake n;

	memset(out, 0, WIRE_INIT_OFF_E);
	out[0] = WIRE_TYPE_INITIATION;
	out[1] = WIRE_VERSION;
	out[4] = 0x44;
	noise_ik_init(&n, NOISE_INITIATOR, (const uint8_t *)WIRE_PROLOGUE,
		      sizeof(WIRE_PROLOGUE) - 1, agent.private_key, NULL, server.public_key);
	if (noise_ik_write_msg1(&n, ephemeral, NULL, payload, len, out + WIRE_INIT_OFF_E) !=
	    PROTO_OK)
		abort();
	noise_handshake_clear(&n);
	mac_stamp(out, WIRE_INIT_OVERHEAD + len, server.mac1_key, NULL);
	return WIRE_INIT_OVERHEAD + len;
}

static void answer(struct handshake *hs, const struct tlv_msg1 *p)
{
	struct tlv_msg2 reply = {.status = WIRE_STATUS_REJECTED};
	struct session_keys keys;
	uint8_t out[WIRE_RESP_MAX_LEN];
	size_t len;

	if (p->name_valid) {
		reply.status = WIRE_STATUS_OK;
		memcpy(reply.addr4, "\x64\x40\x00\x02", 4);
		memcpy(reply.peer4, "\x64\x40\x00\x01", 4);
		reply.mtu = WIRE_MTU_DEFAULT;
		reply.keepalive = 25;
	}
	if (handshake_response_create(hs, 0x01020304, &reply, ephemeral, out, sizeof(out), &len,
				      &keys) != PROTO_OK)
		abort();
	sodium_memzero(&keys, sizeof(keys));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	uint8_t msg[WIRE_INIT_MAX_LEN + 64];
	struct handshake hs;
	struct tlv_msg1 p;
	size_t len = 0;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		len = size - 1 < sizeof(msg) ? size - 1 : sizeof(msg);
		memcpy(msg, data + 1, len);
		break;
	case 1:
		len = size - 1 < sizeof(msg) ? size - 1 : sizeof(msg);
		memcpy(msg, data + 1, len);
		/* mac1 made valid, mac2 left as given */
		if (len >= 2 * WIRE_MAC_LEN)
			mac_mac1(msg + len - 2 * WIRE_MAC_LEN, server.mac1_key, msg, len);
		break;
	case 2:
		if (size - 1 > WIRE_PAYLOAD_MAX)
			return 0;
		len = seal(data + 1, size - 1, msg);
		break;
	}
	if (handshake_initiation_consume(&hs, &concentrator, msg, len, NULL, NULL, &p) == PROTO_OK)
		answer(&hs, &p);
	handshake_clear(&hs);
	tlv_msg1_clear(&p);
	return 0;
}
