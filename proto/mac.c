/* mac1, mac2, cookies and cookie replies (PROTOCOL.md 3.3, 3.4). Labels
 * are the bare ASCII words "mac1" and "cookie" (no padding, no NUL,
 * unlike WireGuard), and every BLAKE2b here uses its outlen parameter:
 * a 16-byte BLAKE2b is not a truncated 64-byte one. */
#include "proto/mac.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == WIRE_COOKIE_NONCE_LEN,
	       "cookie nonce");
_Static_assert(WIRE_COOKIE_OFF_NONCE + WIRE_COOKIE_NONCE_LEN == WIRE_COOKIE_OFF_COOKIE,
	       "cookie reply layout");

static void labelled_key(uint8_t key[MAC_KEY_LEN], const char *label, size_t label_len,
			 const uint8_t pub[WIRE_KEY_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, MAC_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)label, label_len);
	crypto_generichash_update(&st, pub, WIRE_KEY_LEN);
	crypto_generichash_final(&st, key, MAC_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}

void mac_key_mac1(uint8_t key[MAC_KEY_LEN], const uint8_t receiver_pub[WIRE_KEY_LEN])
{
	labelled_key(key, WIRE_LABEL_MAC1, sizeof(WIRE_LABEL_MAC1) - 1, receiver_pub);
}

void mac_key_cookie(uint8_t key[MAC_KEY_LEN], const uint8_t concentrator_pub[WIRE_KEY_LEN])
{
	labelled_key(key, WIRE_LABEL_COOKIE, sizeof(WIRE_LABEL_COOKIE) - 1, concentrator_pub);
}

void mac_mac1(uint8_t mac[WIRE_MAC_LEN], const uint8_t key[MAC_KEY_LEN], const uint8_t *msg,
	      size_t len)
{
	crypto_generichash(mac, WIRE_MAC_LEN, msg, len - 2 * WIRE_MAC_LEN, key, MAC_KEY_LEN);
}

void mac_mac2(uint8_t mac[WIRE_MAC_LEN], const uint8_t cookie[WIRE_MAC_LEN], const uint8_t *msg,
	      size_t len)
{
	crypto_generichash(mac, WIRE_MAC_LEN, msg, len - WIRE_MAC_LEN, cookie, WIRE_MAC_LEN);
}

void mac_stamp(uint8_t *msg, size_t len, const uint8_t mac1_key[MAC_KEY_LEN], const uint8_t *cookie)
{
	/* mac1 first: mac2 covers it */
	mac_mac1(msg + len - 2 * WIRE_MAC_LEN, mac1_key, msg, len);
	if (cookie)
		mac_mac2(msg + len - WIRE_MAC_LEN, cookie, msg, len);
	else
		memset(msg + len - WIRE_MAC_LEN, 0, WIRE_MAC_LEN);
}

enum proto_reason mac_check_mac1(const uint8_t key[MAC_KEY_LEN], const uint8_t *msg, size_t len)
{
	uint8_t mac[WIRE_MAC_LEN];
	enum proto_reason ret = PROTO_BAD_LENGTH;

	if (len < 2 * WIRE_MAC_LEN)
		goto out;
	mac_mac1(mac, key, msg, len);
	ret = crypto_verify_16(mac, msg + len - 2 * WIRE_MAC_LEN) == 0 ? PROTO_OK : PROTO_BAD_MAC1;
out:
	sodium_memzero(mac, sizeof(mac));
	return ret;
}

enum proto_reason mac_check_mac2(const uint8_t cookie[WIRE_MAC_LEN], const uint8_t *msg, size_t len)
{
	uint8_t mac[WIRE_MAC_LEN];
	enum proto_reason ret = PROTO_BAD_LENGTH;

	if (len < 2 * WIRE_MAC_LEN)
		goto out;
	mac_mac2(mac, cookie, msg, len);
	ret = crypto_verify_16(mac, msg + len - WIRE_MAC_LEN) == 0 ? PROTO_OK : PROTO_NEED_COOKIE;
out:
	sodium_memzero(mac, sizeof(mac));
	return ret;
}

enum proto_reason mac_source_from_bytes(struct mac_source *src, const uint8_t *addr, size_t len,
					uint16_t port)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	enum proto_reason ret = PROTO_BAD_LENGTH;

	memset(src, 0, sizeof(*src));
	if (len == 16 && memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		/* 3.4: an IPv4-mapped IPv6 address counts as IPv4 */
		addr += sizeof(v4mapped);
		len = 4;
	}
	if (len != 4 && len != 16)
		goto out;
	memcpy(src->addr, addr, len);
	src->addr_len = len;
	src->port = port;
	ret = PROTO_OK;
out:
	return ret;
}

enum proto_reason mac_source_from_sockaddr(struct mac_source *src,
					   const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	enum proto_reason ret;

	switch (ss->ss_family) {
	case AF_INET:
		ret = mac_source_from_bytes(src, (const uint8_t *)&sin->sin_addr, 4,
					    ntohs(sin->sin_port));
		break;
	case AF_INET6:
		ret = mac_source_from_bytes(src, sin6->sin6_addr.s6_addr, 16,
					    ntohs(sin6->sin6_port));
		break;
	default:
		/* no other family carries UDP to us */
		memset(src, 0, sizeof(*src));
		ret = PROTO_BAD_LENGTH;
		break;
	}
	return ret;
}

void mac_cookie_compute(uint8_t cookie[WIRE_MAC_LEN], const uint8_t secret[MAC_SECRET_LEN],
			const struct mac_source *src)
{
	uint8_t in[MAC_ADDR_MAX + 2];

	memcpy(in, src->addr, src->addr_len);
	in[src->addr_len] = (uint8_t)src->port;
	in[src->addr_len + 1] = (uint8_t)(src->port >> 8);
	crypto_generichash(cookie, WIRE_MAC_LEN, in, src->addr_len + 2, secret, MAC_SECRET_LEN);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void mac_cookie_reply_seal(uint8_t out[WIRE_COOKIE_LEN], const uint8_t cookie_key[MAC_KEY_LEN],
			   uint32_t receiver_index, const uint8_t mac1[WIRE_MAC_LEN],
			   const uint8_t cookie[WIRE_MAC_LEN], const uint8_t *nonce)
{
	memset(out, 0, WIRE_COOKIE_OFF_RECEIVER);
	out[0] = WIRE_TYPE_COOKIE;
	put_le32(out + WIRE_COOKIE_OFF_RECEIVER, receiver_index);
	if (nonce)
		memcpy(out + WIRE_COOKIE_OFF_NONCE, nonce, WIRE_COOKIE_NONCE_LEN);
	else
		randombytes_buf(out + WIRE_COOKIE_OFF_NONCE, WIRE_COOKIE_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + WIRE_COOKIE_OFF_COOKIE, NULL, cookie,
						   WIRE_MAC_LEN, mac1, WIRE_MAC_LEN, NULL,
						   out + WIRE_COOKIE_OFF_NONCE, cookie_key);
}

enum proto_reason mac_cookie_reply_open(uint8_t cookie[WIRE_MAC_LEN],
					const uint8_t cookie_key[MAC_KEY_LEN],
					uint32_t sender_index, const uint8_t mac1[WIRE_MAC_LEN],
					const uint8_t *msg, size_t len)
{
	enum proto_reason ret;
	uint8_t plain[WIRE_MAC_LEN];

	ret = PROTO_BAD_LENGTH;
	if (len != WIRE_COOKIE_LEN)
		goto out;
	ret = PROTO_BAD_TYPE;
	if (msg[0] != WIRE_TYPE_COOKIE)
		goto out;
	ret = PROTO_BAD_RESERVED;
	if (msg[1] || msg[2] || msg[3])
		goto out;
	ret = PROTO_UNKNOWN_INDEX;
	if (get_le32(msg + WIRE_COOKIE_OFF_RECEIVER) != sender_index)
		goto out;
	ret = PROTO_BAD_COOKIE;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    plain, NULL, NULL, msg + WIRE_COOKIE_OFF_COOKIE, WIRE_MAC_LEN + WIRE_TAG_LEN,
		    mac1, WIRE_MAC_LEN, msg + WIRE_COOKIE_OFF_NONCE, cookie_key) != 0)
		goto out;
	memcpy(cookie, plain, WIRE_MAC_LEN);
	ret = PROTO_OK;
out:
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

void mac_checker_init(struct mac_checker *c, const uint8_t local_pub[WIRE_KEY_LEN])
{
	sodium_memzero(c, sizeof(*c));
	mac_key_cookie(c->cookie_key, local_pub);
}

void mac_checker_set_secret(struct mac_checker *c, const uint8_t secret[MAC_SECRET_LEN],
			    uint64_t now)
{
	memcpy(c->secret, secret, MAC_SECRET_LEN);
	c->secret_birth = now;
	c->has_secret = true;
}

void mac_checker_cookie(struct mac_checker *c, uint64_t now, const struct mac_source *src,
			uint8_t cookie[WIRE_MAC_LEN])
{
	/* a clock that went back (now < birth) also rotates */
	if (!c->has_secret || now - c->secret_birth >= MAC_COOKIE_LIFETIME) {
		randombytes_buf(c->secret, MAC_SECRET_LEN);
		c->secret_birth = now;
		c->has_secret = true;
	}
	mac_cookie_compute(cookie, c->secret, src);
}

enum proto_reason mac_checker_check_mac2(struct mac_checker *c, uint64_t now,
					 const struct mac_source *src, const uint8_t *msg,
					 size_t len)
{
	uint8_t cookie[WIRE_MAC_LEN];
	enum proto_reason ret = PROTO_BAD_LENGTH;

	if (len < WIRE_INIT_MIN_LEN || len > WIRE_INIT_MAX_LEN)
		goto out;
	mac_checker_cookie(c, now, src, cookie);
	ret = mac_check_mac2(cookie, msg, len);
out:
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

enum proto_reason mac_checker_reply(struct mac_checker *c, uint64_t now,
				    const struct mac_source *src, const uint8_t *msg, size_t len,
				    const uint8_t *nonce, uint8_t out[WIRE_COOKIE_LEN])
{
	uint8_t cookie[WIRE_MAC_LEN];
	enum proto_reason ret = PROTO_BAD_LENGTH;

	if (len < WIRE_INIT_MIN_LEN || len > WIRE_INIT_MAX_LEN)
		goto out;
	mac_checker_cookie(c, now, src, cookie);
	mac_cookie_reply_seal(out, c->cookie_key, get_le32(msg + WIRE_INIT_OFF_SENDER),
			      msg + len - 2 * WIRE_MAC_LEN, cookie, nonce);
	ret = PROTO_OK;
out:
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

void mac_checker_clear(struct mac_checker *c)
{
	sodium_memzero(c, sizeof(*c));
}

void mac_cookie_store(struct mac_cookie *c, const uint8_t cookie[WIRE_MAC_LEN], uint64_t now)
{
	memcpy(c->cookie, cookie, WIRE_MAC_LEN);
	c->birth = now;
	c->valid = true;
}

const uint8_t *mac_cookie_get(const struct mac_cookie *c, uint64_t now)
{
	if (!c->valid || now - c->birth >= MAC_COOKIE_LIFETIME) {
		errno = ENOENT;
		return NULL;
	}
	return c->cookie;
}
