/* libFuzzer: message 2 as a waiting agent consumes it (PROTOCOL.md 3.2,
 * 3.3, 3.5). The first input byte picks how deep to reach: 0 the raw
 * bytes, 1 the raw bytes with our header, receiver index and a valid
 * mac1, 2 the rest as a TLV payload sealed by the concentrator. The
 * handshake is case1 of tests/vectors/tether-v1.json, built once. */
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
static const uint8_t agent_eph[32] = {0x68, 0xd1, 0x03, 0x11, 0xc8, 0x70, 0x98, 0x9a,
				      0xc8, 0xbb, 0xac, 0xeb, 0x1b, 0xc6, 0xe4, 0x73,
				      0x8f, 0xc2, 0x77, 0x05, 0xae, 0x40, 0x67, 0x07,
				      0x92, 0x14, 0x56, 0x01, 0xe6, 0x7c, 0xea, 0x66};
static const uint8_t concentrator_eph[32] = {0xd8, 0xce, 0x14, 0x13, 0x88, 0x2d, 0x9d, 0xce,
					     0x82, 0x07, 0x38, 0xa4, 0x13, 0x59, 0x7a, 0x3d,
					     0xf1, 0xa9, 0xa1, 0x93, 0x7a, 0x7c, 0x83, 0xa6,
					     0x00, 0xf8, 0x74, 0x14, 0xf6, 0xa6, 0x11, 0x5f};
static const uint8_t timestamp[12] = {0x40, 0,	  0,	0,    0x65, 0x53,
				      0xf1, 0x00, 0x07, 0x5b, 0xcd, 0x15};
static const uint32_t agent_index = 287454020;

static struct handshake_identity concentrator, agent;
static struct handshake_peer server;
static struct handshake waiting, answering;

static void setup(void)
{
	struct tlv_msg1 p = {.name = "an12345678", .name_len = 10};
	uint8_t msg[WIRE_INIT_MAX_LEN];
	size_t len;

	memcpy(p.timestamp, timestamp, sizeof(timestamp));
	if (sodium_init() < 0 || handshake_identity_init(&concentrator, concentrator_priv) ||
	    handshake_identity_init(&agent, agent_priv))
		abort();
	handshake_peer_init(&server, concentrator.public_key);
	if (handshake_initiation_create(&waiting, &agent, &server, agent_index, &p, NULL, agent_eph,
					msg, sizeof(msg), &len) != PROTO_OK ||
	    handshake_initiation_consume(&answering, &concentrator, msg, len, NULL, NULL, &p) !=
		    PROTO_OK)
		abort();
}

static size_t seal(const uint8_t *payload, size_t len, uint8_t *out)
{
	struct noise_handshake n = answering.noise;

	memset(out, 0, WIRE_RESP_OFF_E);
	out[0] = WIRE_TYPE_RESPONSE;
	out[1] = WIRE_VERSION;
	out[4] = 0xd4;
	memcpy(out + WIRE_RESP_OFF_RECEIVER, "\x44\x33\x22\x11", 4);
	if (noise_ik_write_msg2(&n, concentrator_eph, payload, len, out + WIRE_RESP_OFF_E) !=
	    PROTO_OK)
		abort();
	noise_handshake_clear(&n);
	mac_stamp(out, WIRE_RESP_OVERHEAD + len, agent.mac1_key, NULL);
	return WIRE_RESP_OVERHEAD + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	uint8_t msg[WIRE_RESP_MAX_LEN + 64];
	struct handshake hs;
	struct session_keys keys;
	struct tlv_msg2 p;
	enum proto_reason ret;
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
		if (len >= WIRE_RESP_OFF_E) {
			memcpy(msg, "\x02\x01\x00\x00", 4);
			memcpy(msg + WIRE_RESP_OFF_RECEIVER, "\x44\x33\x22\x11", 4);
		}
		if (len >= 2 * WIRE_MAC_LEN)
			mac_stamp(msg, len, agent.mac1_key, NULL);
		break;
	case 2:
		if (size - 1 > WIRE_PAYLOAD_MAX)
			return 0;
		len = seal(data + 1, size - 1, msg);
		break;
	}
	memcpy(&hs, &waiting, sizeof(hs));
	ret = handshake_response_consume(&hs, &agent, msg, len, &p, &keys);
	/* a refused message leaves the agent waiting; an accepted one finishes it */
	if (ret != PROTO_OK && memcmp(&hs, &waiting, sizeof(hs)) != 0)
		abort();
	if (ret == PROTO_OK &&
	    (hs.state != HANDSHAKE_DONE || (p.status == WIRE_STATUS_OK) == (keys.local_index == 0)))
		abort();
	handshake_clear(&hs);
	sodium_memzero(&keys, sizeof(keys));
	return 0;
}
