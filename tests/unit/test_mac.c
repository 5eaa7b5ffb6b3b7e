/* mac1, mac2, cookies and cookie replies (proto/mac.c, PROTOCOL.md 3.3,
 * 3.4): the exact labels and BLAKE2b outlen, what each mac covers, cookie
 * sources, the secret's rotation, and every malformed cookie reply. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>
#include <sys/un.h>

#include "proto/mac.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(mac, .init = setup);

#define SEC WIRE_NSEC_PER_SEC

static uint8_t pub[32];

static void message(uint8_t *msg, size_t len)
{
	for (size_t i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 7 + 1);
}

Test(mac, keys_use_short_labels_and_outlen)
{
	uint8_t key[32], want[32], in[40], full[64];

	randombytes_buf(pub, sizeof(pub));
	memcpy(in, "mac1", 4);
	memcpy(in + 4, pub, 32);
	crypto_generichash(want, 32, in, 36, NULL, 0);
	mac_key_mac1(key, pub);
	cr_assert(memcmp(key, want, 32) == 0);
	/* not a truncated 64-byte digest */
	crypto_generichash(full, 64, in, 36, NULL, 0);
	cr_assert(memcmp(key, full, 32) != 0);
	/* not WireGuard's 8-byte label */
	memcpy(in, "mac1----", 8);
	memcpy(in + 8, pub, 32);
	crypto_generichash(full, 32, in, 40, NULL, 0);
	cr_assert(memcmp(key, full, 32) != 0);

	memcpy(in, "cookie", 6);
	memcpy(in + 6, pub, 32);
	crypto_generichash(want, 32, in, 38, NULL, 0);
	mac_key_cookie(key, pub);
	cr_assert(memcmp(key, want, 32) == 0);
}

Test(mac, mac1_covers_everything_before_it)
{
	uint8_t key[32], other[32], msg[200];

	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));
	message(msg, sizeof(msg));
	mac_stamp(msg, sizeof(msg), key, NULL);
	cr_assert_eq(mac_check_mac1(key, msg, sizeof(msg)), PROTO_OK);
	cr_assert_eq(mac_check_mac1(other, msg, sizeof(msg)), PROTO_BAD_MAC1);
	for (size_t i = 0; i < sizeof(msg) - 16; i++) {
		msg[i] ^= 0x01;
		cr_assert_eq(mac_check_mac1(key, msg, sizeof(msg)), PROTO_BAD_MAC1, "byte %zu", i);
		msg[i] ^= 0x01;
	}
	/* mac2 is outside mac1 */
	for (size_t i = sizeof(msg) - 16; i < sizeof(msg); i++) {
		msg[i] ^= 0x80;
		cr_assert_eq(mac_check_mac1(key, msg, sizeof(msg)), PROTO_OK);
		msg[i] ^= 0x80;
	}
	/* a shorter message with the same bytes is not covered */
	cr_assert_eq(mac_check_mac1(key, msg, sizeof(msg) - 1), PROTO_BAD_MAC1);
	cr_assert_eq(mac_check_mac1(key, msg, 31), PROTO_BAD_LENGTH);
	cr_assert_eq(mac_check_mac1(key, msg, 0), PROTO_BAD_LENGTH);
}

Test(mac, mac2_zero_without_cookie_and_covers_mac1)
{
	uint8_t key[32], cookie[16], other[16], msg[160];

	randombytes_buf(key, sizeof(key));
	randombytes_buf(cookie, sizeof(cookie));
	randombytes_buf(other, sizeof(other));
	message(msg, sizeof(msg));

	mac_stamp(msg, sizeof(msg), key, NULL);
	for (size_t i = sizeof(msg) - 16; i < sizeof(msg); i++)
		cr_assert_eq(msg[i], 0);
	cr_assert_eq(mac_check_mac2(cookie, msg, sizeof(msg)), PROTO_NEED_COOKIE);

	mac_stamp(msg, sizeof(msg), key, cookie);
	cr_assert_eq(mac_check_mac1(key, msg, sizeof(msg)), PROTO_OK);
	cr_assert_eq(mac_check_mac2(cookie, msg, sizeof(msg)), PROTO_OK);
	cr_assert_eq(mac_check_mac2(other, msg, sizeof(msg)), PROTO_NEED_COOKIE);
	for (size_t i = 0; i < sizeof(msg); i++) {
		msg[i] ^= 0x40;
		cr_assert_eq(mac_check_mac2(cookie, msg, sizeof(msg)), PROTO_NEED_COOKIE, "%zu", i);
		msg[i] ^= 0x40;
	}
	cr_assert_eq(mac_check_mac2(cookie, msg, 31), PROTO_BAD_LENGTH);
}

Test(mac, sources)
{
	struct mac_source src;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	uint8_t v6[16];

	cr_assert_eq(mac_source_from_bytes(&src, (const uint8_t *)"\xc0\x00\x02\x0a", 4, 40000),
		     PROTO_OK);
	cr_assert_eq(src.addr_len, 4);
	cr_assert_eq(src.port, 40000);

	inet_pton(AF_INET6, "2001:db8::1", v6);
	cr_assert_eq(mac_source_from_bytes(&src, v6, 16, 1), PROTO_OK);
	cr_assert_eq(src.addr_len, 16);
	inet_pton(AF_INET6, "::ffff:192.0.2.10", v6);
	cr_assert_eq(mac_source_from_bytes(&src, v6, 16, 1), PROTO_OK);
	cr_assert_eq(src.addr_len, 4);
	cr_assert(memcmp(src.addr, "\xc0\x00\x02\x0a", 4) == 0);
	/* IPv4-compatible (::a.b.c.d) is not IPv4-mapped */
	inet_pton(AF_INET6, "::192.0.2.10", v6);
	cr_assert_eq(mac_source_from_bytes(&src, v6, 16, 1), PROTO_OK);
	cr_assert_eq(src.addr_len, 16);

	for (size_t len = 0; len < 20; len++)
		if (len != 4 && len != 16)
			cr_assert_eq(mac_source_from_bytes(&src, v6, len, 1), PROTO_BAD_LENGTH);

	sin->sin_family = AF_INET;
	sin->sin_port = htons(51900);
	inet_pton(AF_INET, "198.18.0.1", &sin->sin_addr);
	cr_assert_eq(mac_source_from_sockaddr(&src, &ss), PROTO_OK);
	cr_assert_eq(src.port, 51900);
	cr_assert(memcmp(src.addr, "\xc6\x12\x00\x01", 4) == 0);

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(7);
	inet_pton(AF_INET6, "2001:db8::2", &sin6->sin6_addr);
	cr_assert_eq(mac_source_from_sockaddr(&src, &ss), PROTO_OK);
	cr_assert_eq(src.addr_len, 16);
	cr_assert_eq(src.port, 7);

	memset(&ss, 0, sizeof(ss));
	sun->sun_family = AF_UNIX;
	cr_assert_eq(mac_source_from_sockaddr(&src, &ss), PROTO_BAD_LENGTH);
	ss.ss_family = AF_UNSPEC;
	cr_assert_eq(mac_source_from_sockaddr(&src, &ss), PROTO_BAD_LENGTH);
}

Test(mac, cookie_binds_address_and_port)
{
	struct mac_source a, b;
	uint8_t secret[32], secret2[32], ca[16], cb[16], v6[16] = {0x20, 0x01, 0x0d, 0xb8};

	randombytes_buf(secret, sizeof(secret));
	randombytes_buf(secret2, sizeof(secret2));
	mac_source_from_bytes(&a, (const uint8_t *)"\x0a\x00\x00\x01", 4, 1000);
	mac_cookie_compute(ca, secret, &a);
	mac_source_from_bytes(&b, (const uint8_t *)"\x0a\x00\x00\x01", 4, 1001);
	mac_cookie_compute(cb, secret, &b);
	cr_assert(memcmp(ca, cb, 16) != 0, "port");
	mac_source_from_bytes(&b, (const uint8_t *)"\x0a\x00\x00\x02", 4, 1000);
	mac_cookie_compute(cb, secret, &b);
	cr_assert(memcmp(ca, cb, 16) != 0, "address");
	mac_source_from_bytes(&b, v6, 16, 1000);
	mac_cookie_compute(cb, secret, &b);
	cr_assert(memcmp(ca, cb, 16) != 0, "family");
	mac_cookie_compute(cb, secret2, &a);
	cr_assert(memcmp(ca, cb, 16) != 0, "secret");
	mac_cookie_compute(cb, secret, &a);
	cr_assert(memcmp(ca, cb, 16) == 0);
}

Test(mac, checker_rotates_every_120_s)
{
	struct mac_checker c;
	struct mac_source src;
	uint8_t secret[32], want[16], got[16], first[16];
	const uint64_t t0 = 5000 * SEC;

	randombytes_buf(pub, sizeof(pub));
	randombytes_buf(secret, sizeof(secret));
	mac_source_from_bytes(&src, (const uint8_t *)"\x0a\x00\x00\x01", 4, 1000);
	mac_cookie_compute(want, secret, &src);

	mac_checker_init(&c, pub);
	mac_checker_set_secret(&c, secret, t0);
	mac_checker_cookie(&c, t0, &src, got);
	cr_assert(memcmp(got, want, 16) == 0);
	mac_checker_cookie(&c, t0 + 120 * SEC - 1, &src, got);
	cr_assert(memcmp(got, want, 16) == 0, "still the same secret");
	mac_checker_cookie(&c, t0 + 120 * SEC, &src, got);
	cr_assert(memcmp(got, want, 16) != 0, "a new secret at 120 s");
	cr_assert_eq(c.secret_birth, t0 + 120 * SEC);
	memcpy(first, got, 16);
	mac_checker_cookie(&c, t0 + 200 * SEC, &src, got);
	cr_assert(memcmp(got, first, 16) == 0);
	/* a monotonic clock never goes back; if it did, rotate rather than trust */
	mac_checker_cookie(&c, t0, &src, got);
	cr_assert(memcmp(got, first, 16) != 0);
	mac_checker_clear(&c);
	cr_assert_eq(c.has_secret, false);
}

Test(mac, checker_draws_first_secret)
{
	struct mac_checker c;
	struct mac_source src;
	uint8_t a[16], b[16];

	mac_checker_init(&c, pub);
	cr_assert_eq(c.has_secret, false);
	mac_source_from_bytes(&src, (const uint8_t *)"\x0a\x00\x00\x01", 4, 1000);
	mac_checker_cookie(&c, 0, &src, a);
	cr_assert(c.has_secret);
	mac_checker_cookie(&c, 1, &src, b);
	cr_assert(memcmp(a, b, 16) == 0);
}

Test(mac, checker_mac2_and_reply_need_message1_size)
{
	struct mac_checker c;
	struct mac_source src;
	uint8_t msg[WIRE_INIT_MAX_LEN + 1] = {0}, out[WIRE_COOKIE_LEN];

	mac_checker_init(&c, pub);
	mac_source_from_bytes(&src, (const uint8_t *)"\x0a\x00\x00\x01", 4, 1000);
	cr_assert_eq(mac_checker_check_mac2(&c, 0, &src, msg, WIRE_INIT_MIN_LEN - 1),
		     PROTO_BAD_LENGTH);
	cr_assert_eq(mac_checker_check_mac2(&c, 0, &src, msg, WIRE_INIT_MAX_LEN + 1),
		     PROTO_BAD_LENGTH);
	cr_assert_eq(mac_checker_check_mac2(&c, 0, &src, msg, WIRE_INIT_MIN_LEN),
		     PROTO_NEED_COOKIE);
	cr_assert_eq(mac_checker_reply(&c, 0, &src, msg, WIRE_INIT_MIN_LEN - 1, NULL, out),
		     PROTO_BAD_LENGTH);
	cr_assert_eq(mac_checker_reply(&c, 0, &src, msg, WIRE_INIT_MAX_LEN + 1, NULL, out),
		     PROTO_BAD_LENGTH);
}

/* one reply the agent can open: index 0x11223344, mac1 m, cookie k */
struct reply_case {
	uint8_t key[32], mac1[16], cookie[16], reply[WIRE_COOKIE_LEN];
};

static void make_reply(struct reply_case *r, const uint8_t *nonce)
{
	randombytes_buf(pub, sizeof(pub));
	mac_key_cookie(r->key, pub);
	randombytes_buf(r->mac1, sizeof(r->mac1));
	randombytes_buf(r->cookie, sizeof(r->cookie));
	mac_cookie_reply_seal(r->reply, r->key, 0x11223344, r->mac1, r->cookie, nonce);
}

Test(mac, reply_round_trip_and_layout)
{
	struct reply_case r;
	uint8_t nonce[24], got[16];

	memset(nonce, 0x5a, sizeof(nonce));
	make_reply(&r, nonce);
	cr_assert_eq(r.reply[0], WIRE_TYPE_COOKIE);
	cr_assert_eq(r.reply[1] | r.reply[2] | r.reply[3], 0);
	cr_assert(memcmp(r.reply + 4, "\x44\x33\x22\x11", 4) == 0);
	cr_assert(memcmp(r.reply + 8, nonce, 24) == 0);
	cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, r.reply, 64), PROTO_OK);
	cr_assert(memcmp(got, r.cookie, 16) == 0);
}

Test(mac, reply_random_nonces_differ)
{
	struct reply_case r;
	uint8_t again[WIRE_COOKIE_LEN];

	make_reply(&r, NULL);
	mac_cookie_reply_seal(again, r.key, 0x11223344, r.mac1, r.cookie, NULL);
	cr_assert(memcmp(again + 8, r.reply + 8, 24) != 0);
}

Test(mac, reply_refusals)
{
	struct reply_case r;
	uint8_t got[16], other[32], big[65];

	make_reply(&r, NULL);
	for (size_t len = 0; len < 64; len++)
		cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, r.reply, len),
			     PROTO_BAD_LENGTH, "%zu", len);
	memcpy(big, r.reply, 64);
	big[64] = 0;
	cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, big, 65),
		     PROTO_BAD_LENGTH);

	for (int t = 0; t < 256; t++) {
		if (t == WIRE_TYPE_COOKIE)
			continue;
		r.reply[0] = (uint8_t)t;
		cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, r.reply, 64),
			     PROTO_BAD_TYPE);
	}
	r.reply[0] = WIRE_TYPE_COOKIE;
	for (int i = 1; i <= 3; i++) {
		r.reply[i] = 1;
		cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, r.reply, 64),
			     PROTO_BAD_RESERVED, "reserved byte %d", i);
		r.reply[i] = 0;
	}

	/* a reply for another message 1 (wrong index, wrong mac1) */
	cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223345, r.mac1, r.reply, 64),
		     PROTO_UNKNOWN_INDEX);
	r.mac1[0] ^= 1;
	cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, r.reply, 64),
		     PROTO_BAD_COOKIE);
	r.mac1[0] ^= 1;
	/* from another concentrator */
	randombytes_buf(other, 32);
	cr_assert_eq(mac_cookie_reply_open(got, other, 0x11223344, r.mac1, r.reply, 64),
		     PROTO_BAD_COOKIE);
	/* any flipped bit of nonce or sealed cookie */
	for (size_t bit = 8 * 8; bit < 64 * 8; bit++) {
		r.reply[bit / 8] ^= 1 << (bit % 8);
		cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, r.reply, 64),
			     PROTO_BAD_COOKIE, "bit %zu", bit);
		r.reply[bit / 8] ^= 1 << (bit % 8);
	}
	cr_assert_eq(mac_cookie_reply_open(got, r.key, 0x11223344, r.mac1, r.reply, 64), PROTO_OK);
}

Test(mac, agent_keeps_cookie_120_s)
{
	struct mac_cookie c = {0};
	uint8_t cookie[16] = {1, 2, 3};
	const uint64_t t0 = 77 * SEC;

	errno = 0;
	cr_assert_null(mac_cookie_get(&c, t0));
	cr_assert_eq(errno, ENOENT);
	mac_cookie_store(&c, cookie, t0);
	cr_assert_not_null(mac_cookie_get(&c, t0));
	cr_assert(memcmp(mac_cookie_get(&c, t0 + 120 * SEC - 1), cookie, 16) == 0);
	cr_assert_null(mac_cookie_get(&c, t0 + 120 * SEC));
}
