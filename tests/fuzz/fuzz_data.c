/* libFuzzer: arbitrary bytes as a data message (header parse, open with the
 * fixed key of vector case1, as data_open and through a session, then the
 * inner checks), and the same bytes as a plaintext sealed and reopened. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/data.h"
#include "proto/inner.h"
#include "proto/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { BUF_LEN = 65536 + WIRE_DATA_OVERHEAD };

/* tests/vectors/tether-v1.json, case1: k1 (agent to concentrator) and the
 * concentrator's index, so the seeds taken from it decrypt */
/* clang-format off */
static const uint8_t key[WIRE_KEY_LEN] = {
	0x83, 0xad, 0x8f, 0x49, 0x6e, 0x95, 0x6c, 0xc7,
	0x96, 0x82, 0x63, 0x3f, 0x0b, 0x6b, 0x4f, 0x14,
	0x95, 0x89, 0x32, 0x4d, 0xa6, 0x95, 0x2a, 0x6a,
	0x83, 0xd4, 0x1c, 0xdc, 0x40, 0x0f, 0xc5, 0x89,
};
/* clang-format on */
static const uint32_t conc_index = 2712847316u;
static const struct inner_addrs dev = {.addr4 = {100, 64, 0, 2}};

static uint8_t buf[BUF_LEN], out[BUF_LEN];
static struct session_peer peer;

static void check_inner(const uint8_t *plain, size_t len)
{
	struct inner_packet pkt;

	if (len == 0 || inner_parse(plain, len, &pkt) != PROTO_OK)
		return;
	if (pkt.len > len || pkt.data != plain || (pkt.version != 4 && pkt.version != 6))
		abort();
	(void)inner_check_source(&pkt, &dev);
	(void)inner_dst(&pkt)[0];
}

/* the input as a received datagram */
static void as_message(const uint8_t *data, size_t size)
{
	struct data_header hdr;
	struct session_keys k = {.local_index = conc_index, .remote_index = 1};
	struct session_rx rx;
	size_t len = 0;
	bool opened;

	if (data_parse(data, size, &hdr) != PROTO_OK)
		return;
	opened = data_open(key, &hdr, data, size, out, sizeof(out), &len) == PROTO_OK;
	if (opened) {
		if (len != size - WIRE_DATA_OVERHEAD)
			abort();
		check_inner(out, len);
	}

	/* in place through a fresh responder session: the first message
	 * that opens must confirm it */
	memcpy(k.recv, key, sizeof(key));
	session_init(&peer);
	session_install(&peer, &k, SESSION_RESPONDER, 0, NULL);
	memcpy(buf, data, size);
	if (session_decrypt(&peer, &hdr, buf, size, buf + WIRE_DATA_OFF_PAYLOAD,
			    sizeof(buf) - WIRE_DATA_OFF_PAYLOAD, 1, &rx) == PROTO_OK) {
		if (!opened || !rx.confirmed || peer.current == SESSION_NONE || rx.len != len)
			abort();
		if (memcmp(buf + WIRE_DATA_OFF_PAYLOAD, out, len) != 0)
			abort();
		memcpy(buf, data, size);
		if (session_decrypt(&peer, &hdr, buf, size, buf + WIRE_DATA_OFF_PAYLOAD,
				    sizeof(buf) - WIRE_DATA_OFF_PAYLOAD, 1, &rx) != PROTO_REPLAY)
			abort();
	}
	session_clear(&peer, NULL);
}

/* the input as an inner packet: seal, parse, open, and get it back */
static void as_plaintext(const uint8_t *data, size_t size)
{
	struct data_header hdr;
	size_t mtu = size + (size & 0x1f), len, plain_len;

	if (size > BUF_LEN - WIRE_DATA_OVERHEAD)
		return;
	memcpy(buf + WIRE_DATA_OFF_PAYLOAD, data, size);
	if (data_seal(buf, sizeof(buf), key, conc_index, size, size, mtu, &len) != PROTO_OK)
		abort();
	if (len != WIRE_DATA_OVERHEAD + data_padded_len(size, mtu))
		abort();
	if (data_parse(buf, len, &hdr) != PROTO_OK || hdr.receiver != conc_index ||
	    hdr.counter != size)
		abort();
	if (data_open(key, &hdr, buf, len, buf + WIRE_DATA_OFF_PAYLOAD,
		      sizeof(buf) - WIRE_DATA_OFF_PAYLOAD, &plain_len) != PROTO_OK)
		abort();
	if (memcmp(buf + WIRE_DATA_OFF_PAYLOAD, data, size) != 0)
		abort();
	for (size_t i = size; i < plain_len; i++)
		if (buf[WIRE_DATA_OFF_PAYLOAD + i] != 0)
			abort();
	check_inner(buf + WIRE_DATA_OFF_PAYLOAD, plain_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > BUF_LEN)
		return 0;
	as_message(data, size);
	as_plaintext(data, size);
	return 0;
}
