/* libFuzzer: the TLV decoders of both handshake payloads (PROTOCOL.md 3.5).
 * Whatever decodes must re-encode (the encoders refuse exactly what the
 * decoders drop) and decode again to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tlv.h"

static void msg1(const uint8_t *data, size_t size)
{
	struct tlv_msg1 a, b;
	uint8_t out[WIRE_PAYLOAD_MAX];
	size_t len;

	if (tlv_msg1_decode(&a, data, size) != PROTO_OK)
		return;
	if (tlv_msg1_encode(&a, out, sizeof(out), &len) != PROTO_OK || len > size)
		abort();
	if (tlv_msg1_decode(&b, out, len) != PROTO_OK)
		abort();
	if (memcmp(a.timestamp, b.timestamp, sizeof(a.timestamp)) || a.name_len != b.name_len ||
	    memcmp(a.name, b.name, a.name_len) || a.name_valid != b.name_valid ||
	    a.token_len != b.token_len || memcmp(a.token, b.token, a.token_len) ||
	    a.agent_len != b.agent_len || memcmp(a.agent, b.agent, a.agent_len))
		abort();
}

static void msg2(const uint8_t *data, size_t size)
{
	struct tlv_msg2 a, b;
	uint8_t out[WIRE_PAYLOAD_MAX];
	size_t len;

	if (tlv_msg2_decode(&a, data, size) != PROTO_OK)
		return;
	if (tlv_msg2_encode(&a, out, sizeof(out), &len) != PROTO_OK || len > size)
		abort();
	if (tlv_msg2_decode(&b, out, len) != PROTO_OK)
		abort();
	if (a.status != b.status || memcmp(a.addr4, b.addr4, 4) || memcmp(a.peer4, b.peer4, 4) ||
	    a.mtu != b.mtu || a.keepalive != b.keepalive || a.has_addr6 != b.has_addr6 ||
	    memcmp(a.addr6, b.addr6, 16) || a.has_peer6 != b.has_peer6 ||
	    memcmp(a.peer6, b.peer6, 16) || a.url_len != b.url_len ||
	    memcmp(a.url, b.url, a.url_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msg1(data, size);
	msg2(data, size);
	return 0;
}
