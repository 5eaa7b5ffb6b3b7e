/* libFuzzer: cookie replies as the agent parses them, and the
 * concentrator's mac2 check and reply on message 1-sized input
 * (PROTOCOL.md 3.3, 3.4). Fixed keys, index, secret and clock. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/mac.h"

static const uint8_t concentrator_pub[32] = {0x09, 0x6c, 0x4a, 0xdd, 0xd2, 0x00, 0xdb, 0x12,
					     0x21, 0x9f, 0xdf, 0x2b, 0xf0, 0xf8, 0x46, 0xdc,
					     0xcc, 0x87, 0x83, 0x44, 0x47, 0x20, 0x55, 0x04,
					     0x70, 0xd4, 0xed, 0xc9, 0xdf, 0x16, 0x53, 0x68};
static const uint8_t mac1[16] = {0xa4, 0x30, 0xe3, 0x31, 0xbe, 0xca, 0x31, 0x84,
				 0x5d, 0x10, 0xe5, 0x62, 0x0f, 0x42, 0xd8, 0xfc};
static const uint32_t sender_index = 287454020;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mac_checker checker;
	static bool ready;
	struct mac_source src;
	uint8_t cookie[16], again[16], reply[WIRE_COOKIE_LEN], secret[32] = {1, 2, 3};
	const uint64_t now = 1000;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		mac_checker_init(&checker, concentrator_pub);
		mac_checker_set_secret(&checker, secret, now);
		ready = true;
	}

	/* the agent's parser on raw bytes */
	mac_cookie_reply_open(cookie, checker.cookie_key, sender_index, mac1, data, size);

	/* a source from the first bytes, then the concentrator's side */
	if (size < 18)
		return 0;
	if (mac_source_from_bytes(&src, data + 2, data[0] & 1 ? 16 : 4,
				  (uint16_t)(data[1] | data[2] << 8)) != PROTO_OK)
		abort();
	mac_checker_check_mac2(&checker, now, &src, data, size);
	if (mac_checker_reply(&checker, now, &src, data, size, data, reply) != PROTO_OK)
		return 0;
	/* a reply we made opens for the message it answers */
	memcpy(again, data + size - 32, 16);
	if (mac_cookie_reply_open(cookie, checker.cookie_key,
				  (uint32_t)data[4] | (uint32_t)data[5] << 8 |
					  (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24,
				  again, reply, sizeof(reply)) != PROTO_OK)
		abort();
	mac_checker_cookie(&checker, now, &src, again);
	if (memcmp(cookie, again, 16) != 0 ||
	    mac_check_mac2(cookie, data, size) == PROTO_BAD_LENGTH)
		abort();
	return 0;
}
