/* Data message framing (PROTOCOL.md section 4): header checks, the padding
 * rule, seal/open round trips and every way a message can fail to open. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "proto/data.h"

#define BUF_LEN 2048

static uint8_t key[WIRE_KEY_LEN];

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	randombytes_buf(key, sizeof(key));
}

TestSuite(data, .init = setup);

/* A sealed message of len random bytes at counter 7; returns its length. */
static size_t sealed(uint8_t *buf, uint8_t *plain, size_t len, size_t mtu)
{
	size_t n;

	randombytes_buf(plain, len);
	memcpy(buf + WIRE_DATA_OFF_PAYLOAD, plain, len);
	cr_assert_eq(data_seal(buf, BUF_LEN, key, 0x11223344, 7, len, mtu, &n), PROTO_OK);
	return n;
}

Test(data, parse_reads_le_fields)
{
	/* type, reserved, LE32 receiver, LE64 counter, then an empty ciphertext's tag */
	uint8_t msg[WIRE_DATA_OVERHEAD] = {
		4, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	struct data_header hdr;

	cr_assert_eq(data_parse(msg, sizeof(msg), &hdr), PROTO_OK);
	cr_assert_eq(hdr.receiver, 0x11223344);
	cr_assert_eq(hdr.counter, 0x0807060504030201ULL);
}

Test(data, parse_rejects_bad_framing)
{
	uint8_t msg[WIRE_DATA_OVERHEAD] = {WIRE_TYPE_DATA};
	struct data_header hdr;

	/* the length is checked before any byte is read */
	cr_assert_eq(data_parse(NULL, 0, &hdr), PROTO_BAD_LENGTH);
	cr_assert_eq(data_parse(msg, WIRE_DATA_OVERHEAD - 1, &hdr), PROTO_BAD_LENGTH);
	for (uint8_t t = 0; t < 8; t++) {
		msg[0] = t;
		cr_assert_eq(data_parse(msg, sizeof(msg), &hdr),
			     t == WIRE_TYPE_DATA ? PROTO_OK : PROTO_BAD_TYPE);
	}
	msg[0] = WIRE_TYPE_DATA;
	for (int i = 1; i < 4; i++) {
		msg[i] = 0x80;
		cr_assert_eq(data_parse(msg, sizeof(msg), &hdr), PROTO_BAD_RESERVED, "byte %d", i);
		msg[i] = 0;
	}
}

Test(data, padding_rule)
{
	cr_assert_eq(data_padded_len(0, 1420), 0, "a keepalive stays empty");
	cr_assert_eq(data_padded_len(1, 1420), 16);
	cr_assert_eq(data_padded_len(16, 1420), 16);
	cr_assert_eq(data_padded_len(17, 1420), 32);
	cr_assert_eq(data_padded_len(84, 1420), 96);
	cr_assert_eq(data_padded_len(1409, 1420), 1420, "never past the MTU");
	cr_assert_eq(data_padded_len(1420, 1420), 1420);
	cr_assert_eq(data_padded_len(1279, 1280), 1280);
	cr_assert_eq(data_padded_len(84, 84), 84, "no room, no padding");
	cr_assert_eq(data_padded_len(1500, 1420), 1500, "never shorter than the packet");
}

Test(data, round_trip_every_length)
{
	uint8_t buf[BUF_LEN], plain[BUF_LEN], out[BUF_LEN];

	for (size_t len = 0; len <= WIRE_MTU_DEFAULT; len++) {
		size_t n = sealed(buf, plain, len, WIRE_MTU_DEFAULT), got;
		size_t padded = data_padded_len(len, WIRE_MTU_DEFAULT);
		struct data_header hdr;

		cr_assert_eq(n, WIRE_DATA_OVERHEAD + padded);
		cr_assert_eq(data_parse(buf, n, &hdr), PROTO_OK);
		cr_assert_eq(hdr.receiver, 0x11223344);
		cr_assert_eq(hdr.counter, 7);
		cr_assert_eq(data_open(key, &hdr, buf, n, out, sizeof(out), &got), PROTO_OK);
		cr_assert_eq(got, padded);
		cr_assert_arr_eq(out, plain, len);
		for (size_t i = len; i < padded; i++)
			cr_assert_eq(out[i], 0, "padding is zeros");
	}
}

Test(data, open_in_place)
{
	uint8_t buf[BUF_LEN], plain[BUF_LEN];
	size_t n = sealed(buf, plain, 100, WIRE_MTU_DEFAULT), got;
	struct data_header hdr;

	cr_assert_eq(data_parse(buf, n, &hdr), PROTO_OK);
	cr_assert_eq(data_open(key, &hdr, buf, n, buf + WIRE_DATA_OFF_PAYLOAD,
			       BUF_LEN - WIRE_DATA_OFF_PAYLOAD, &got),
		     PROTO_OK);
	cr_assert_eq(got, 112);
	cr_assert_arr_eq(buf + WIRE_DATA_OFF_PAYLOAD, plain, 100);
}

Test(data, seal_refuses_what_does_not_fit)
{
	uint8_t buf[BUF_LEN], before[BUF_LEN];
	size_t n = 0;

	memset(buf, 0xa5, sizeof(buf));
	memcpy(before, buf, sizeof(buf));
	cr_assert_eq(data_seal(buf, sizeof(buf), key, 1, 0, 1421, 1420, &n), PROTO_TOO_BIG);
	cr_assert_eq(data_seal(buf, 100 + WIRE_DATA_OVERHEAD - 1, key, 1, 0, 100, 1420, &n),
		     PROTO_TOO_BIG);
	cr_assert_eq(data_seal(buf, WIRE_DATA_OVERHEAD - 1, key, 1, 0, 0, 1420, &n), PROTO_TOO_BIG);
	cr_assert_arr_eq(buf, before, sizeof(buf), "nothing written");
	cr_assert_eq(n, 0);

	/* room for the packet but not its padding: it goes unpadded */
	cr_assert_eq(data_seal(buf, 100 + WIRE_DATA_OVERHEAD, key, 1, 0, 100, 1420, &n), PROTO_OK);
	cr_assert_eq(n, 100 + WIRE_DATA_OVERHEAD);
	cr_assert_eq(data_seal(buf, WIRE_DATA_OVERHEAD, key, 1, 0, 0, 1420, &n), PROTO_OK);
	cr_assert_eq(n, WIRE_DATA_OVERHEAD);
}

Test(data, open_rejects_tampering)
{
	uint8_t buf[BUF_LEN], plain[BUF_LEN], copy[BUF_LEN], out[BUF_LEN];
	size_t n = sealed(buf, plain, 64, WIRE_MTU_DEFAULT), got;
	struct data_header hdr;

	/* every single bit that the AEAD covers: counter (the nonce), ciphertext, tag */
	for (size_t i = WIRE_DATA_OFF_COUNTER; i < n; i++) {
		memcpy(copy, buf, n);
		copy[i] ^= 0x01;
		cr_assert_eq(data_parse(copy, n, &hdr), PROTO_OK);
		cr_assert_eq(data_open(key, &hdr, copy, n, out, sizeof(out), &got), PROTO_DECRYPT,
			     "byte %zu", i);
	}
	/* a truncated message */
	cr_assert_eq(data_parse(buf, n - 1, &hdr), PROTO_OK);
	cr_assert_eq(data_open(key, &hdr, buf, n - 1, out, sizeof(out), &got), PROTO_DECRYPT);
	/* another key */
	uint8_t other[WIRE_KEY_LEN];

	randombytes_buf(other, sizeof(other));
	cr_assert_eq(data_parse(buf, n, &hdr), PROTO_OK);
	cr_assert_eq(data_open(other, &hdr, buf, n, out, sizeof(out), &got), PROTO_DECRYPT);
	/* a plaintext that does not fit the output */
	cr_assert_eq(data_open(key, &hdr, buf, n, out, n - WIRE_DATA_OVERHEAD - 1, &got),
		     PROTO_TOO_BIG);
	cr_assert_eq(data_open(key, &hdr, buf, n, out, n - WIRE_DATA_OVERHEAD, &got), PROTO_OK);
	cr_assert_eq(data_open(key, &hdr, buf, WIRE_DATA_OVERHEAD - 1, out, sizeof(out), &got),
		     PROTO_BAD_LENGTH);
}

Test(data, keepalive_is_header_and_tag)
{
	uint8_t buf[BUF_LEN], out[1];
	size_t n, got = 99;
	struct data_header hdr;

	cr_assert_eq(data_seal(buf, sizeof(buf), key, 5, 2, 0, WIRE_MTU_DEFAULT, &n), PROTO_OK);
	cr_assert_eq(n, WIRE_DATA_OVERHEAD);
	cr_assert_eq(data_parse(buf, n, &hdr), PROTO_OK);
	cr_assert_eq(data_open(key, &hdr, buf, n, out, 0, &got), PROTO_OK);
	cr_assert_eq(got, 0);
}
