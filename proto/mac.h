/* mac1, mac2 and cookies (PROTOCOL.md 3.3, 3.4): the stealth and DoS
 * protection around the handshake. mac1 proves the sender knows the
 * receiver's public key; mac2 proves, under load, that it can receive at
 * its source address. */
#ifndef TETHER_PROTO_MAC_H
#define TETHER_PROTO_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/reason.h"
#include "proto/wire.h"

enum mac_sizes {
	MAC_KEY_LEN = 32,
	MAC_SECRET_LEN = 32,
	MAC_ADDR_MAX = 16,
};

/* 3.4: the agent keeps a cookie as long as the concentrator keeps a secret */
#define MAC_COOKIE_LIFETIME WIRE_COOKIE_SECRET_LIFETIME

/* A message's source as a cookie is bound to it: 4 address bytes for IPv4
 * (IPv4-mapped IPv6 included), 16 for IPv6; the port in host order. */
struct mac_source {
	uint8_t addr[MAC_ADDR_MAX];
	size_t addr_len;
	uint16_t port;
};

/* K = BLAKE2b(outlen 32, "mac1" || receiver's static public key). */
void mac_key_mac1(uint8_t key[MAC_KEY_LEN], const uint8_t receiver_pub[WIRE_KEY_LEN]);

/* Cookie reply key = BLAKE2b(outlen 32, "cookie" || concentrator's public key). */
void mac_key_cookie(uint8_t key[MAC_KEY_LEN], const uint8_t concentrator_pub[WIRE_KEY_LEN]);

/* mac1 = BLAKE2b(outlen 16, key, msg[0, len-32)); len >= 32. */
void mac_mac1(uint8_t mac[WIRE_MAC_LEN], const uint8_t key[MAC_KEY_LEN], const uint8_t *msg,
	      size_t len);

/* mac2 = BLAKE2b(outlen 16, key=cookie, msg[0, len-16)); len >= 32. */
void mac_mac2(uint8_t mac[WIRE_MAC_LEN], const uint8_t cookie[WIRE_MAC_LEN], const uint8_t *msg,
	      size_t len);

/* Write mac1 at len-32 and mac2 at len-16 of an otherwise complete
 * message; mac2 is zero when cookie is NULL (3.3). */
void mac_stamp(uint8_t *msg, size_t len, const uint8_t mac1_key[MAC_KEY_LEN],
	       const uint8_t *cookie);

/* Constant-time checks. PROTO_BAD_LENGTH under 32 bytes, else
 * PROTO_BAD_MAC1, or PROTO_NEED_COOKIE for a missing or wrong mac2. */
enum proto_reason mac_check_mac1(const uint8_t key[MAC_KEY_LEN], const uint8_t *msg, size_t len);
enum proto_reason mac_check_mac2(const uint8_t cookie[WIRE_MAC_LEN], const uint8_t *msg,
				 size_t len);

/* Sources: from a socket address (AF_INET or AF_INET6) or from bytes (4,
 * or 16 of which IPv4-mapped count as 4). PROTO_BAD_LENGTH for any other
 * family or length. */
enum proto_reason mac_source_from_sockaddr(struct mac_source *src,
					   const struct sockaddr_storage *ss);
enum proto_reason mac_source_from_bytes(struct mac_source *src, const uint8_t *addr, size_t len,
					uint16_t port);

/* cookie = BLAKE2b(outlen 16, key=secret, addr || LE16(port)). */
void mac_cookie_compute(uint8_t cookie[WIRE_MAC_LEN], const uint8_t secret[MAC_SECRET_LEN],
			const struct mac_source *src);

/* Cookie reply (3.4): XChaCha20-Poly1305 of the cookie, AD = mac1 of the
 * answered message. nonce NULL draws a random one. */
void mac_cookie_reply_seal(uint8_t out[WIRE_COOKIE_LEN], const uint8_t cookie_key[MAC_KEY_LEN],
			   uint32_t receiver_index, const uint8_t mac1[WIRE_MAC_LEN],
			   const uint8_t cookie[WIRE_MAC_LEN], const uint8_t *nonce);

/* Agent side: open a cookie reply to the message 1 we sent with
 * sender_index and mac1. PROTO_BAD_LENGTH (not 64 bytes), PROTO_BAD_TYPE,
 * PROTO_BAD_RESERVED, PROTO_UNKNOWN_INDEX (not our sender_index),
 * PROTO_BAD_COOKIE (does not decrypt: wrong key or mac1). */
enum proto_reason mac_cookie_reply_open(uint8_t cookie[WIRE_MAC_LEN],
					const uint8_t cookie_key[MAC_KEY_LEN],
					uint32_t sender_index, const uint8_t mac1[WIRE_MAC_LEN],
					const uint8_t *msg, size_t len);

/* The concentrator's cookie state: a 32-byte secret replaced every
 * MAC_COOKIE_LIFETIME, driven by the caller's monotonic `now` (ns). */
struct mac_checker {
	uint8_t secret[MAC_SECRET_LEN];
	uint64_t secret_birth;
	bool has_secret;
	uint8_t cookie_key[MAC_KEY_LEN];
};

void mac_checker_init(struct mac_checker *c, const uint8_t local_pub[WIRE_KEY_LEN]);

/* Use this secret from now on (tests; normally drawn at random). */
void mac_checker_set_secret(struct mac_checker *c, const uint8_t secret[MAC_SECRET_LEN],
			    uint64_t now);

/* The cookie for src under the current secret, rotating it when due. */
void mac_checker_cookie(struct mac_checker *c, uint64_t now, const struct mac_source *src,
			uint8_t cookie[WIRE_MAC_LEN]);

/* Under load: does message 1 from src carry the right mac2? PROTO_OK or
 * PROTO_NEED_COOKIE; PROTO_BAD_LENGTH if msg is not message 1-sized. */
enum proto_reason mac_checker_check_mac2(struct mac_checker *c, uint64_t now,
					 const struct mac_source *src, const uint8_t *msg,
					 size_t len);

/* The cookie reply to a message 1 (already checked for size and mac1) from
 * src: its receiver_index is the message's sender_index, its AD the
 * message's mac1. nonce NULL draws one. PROTO_BAD_LENGTH if msg is not
 * message 1-sized. */
enum proto_reason mac_checker_reply(struct mac_checker *c, uint64_t now,
				    const struct mac_source *src, const uint8_t *msg, size_t len,
				    const uint8_t *nonce, uint8_t out[WIRE_COOKIE_LEN]);

void mac_checker_clear(struct mac_checker *c);

/* The agent's latest cookie, kept MAC_COOKIE_LIFETIME from its arrival. */
struct mac_cookie {
	uint8_t cookie[WIRE_MAC_LEN];
	uint64_t birth;
	bool valid;
};

void mac_cookie_store(struct mac_cookie *c, const uint8_t cookie[WIRE_MAC_LEN], uint64_t now);

/* The cookie to put in mac2 now, or NULL (errno ENOENT) when there is
 * none or it is older than MAC_COOKIE_LIFETIME. */
const uint8_t *mac_cookie_get(const struct mac_cookie *c, uint64_t now);

#endif
