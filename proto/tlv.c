/* TLV payloads of the handshake (PROTOCOL.md 3.5). Decoding is two steps,
 * as with netlink attributes: walk the items into a table indexed by the
 * message's tag table (checking bounds, duplicates and lengths), then read
 * and validate the values from the table. */
#include "proto/tlv.h"

#include <string.h>

#include <sodium.h>

#include "proto/name.h"

/* One known tag of a message's table and the lengths its value may have. */
struct rule {
	uint8_t tag;
	uint8_t min;
	uint8_t max;
	bool required;
};

/* Where a known item's value sits in the payload, once walked. */
struct item {
	const uint8_t *value;
	uint8_t len;
	bool present;
};

enum msg1_slot { M1_TIMESTAMP, M1_NAME, M1_TOKEN, M1_AGENT, M1_COUNT };

static const struct rule msg1_rules[M1_COUNT] = {
	[M1_TIMESTAMP] = {WIRE_TAG_TIMESTAMP, WIRE_TAI64N_LEN, WIRE_TAI64N_LEN, true},
	[M1_NAME] = {WIRE_TAG_NAME, 1, WIRE_NAME_MAX, true},
	[M1_TOKEN] = {WIRE_TAG_ENROLL_TOKEN, WIRE_TOKEN_MIN, WIRE_TOKEN_MAX, false},
	[M1_AGENT] = {WIRE_TAG_AGENT, 1, WIRE_AGENT_MAX, false},
};

enum msg2_slot {
	M2_STATUS,
	M2_ADDR4,
	M2_PEER4,
	M2_MTU,
	M2_KEEPALIVE,
	M2_ADDR6,
	M2_PEER6,
	M2_URL,
	M2_COUNT
};

/* ADDR4..KEEPALIVE are required only with STATUS OK: checked after the walk */
static const struct rule msg2_rules[M2_COUNT] = {
	[M2_STATUS] = {WIRE_TAG_STATUS, 1, 1, true},
	[M2_ADDR4] = {WIRE_TAG_ADDR4, 4, 4, false},
	[M2_PEER4] = {WIRE_TAG_PEER4, 4, 4, false},
	[M2_MTU] = {WIRE_TAG_MTU, 2, 2, false},
	[M2_KEEPALIVE] = {WIRE_TAG_KEEPALIVE, 2, 2, false},
	[M2_ADDR6] = {WIRE_TAG_ADDR6, 16, 16, false},
	[M2_PEER6] = {WIRE_TAG_PEER6, 16, 16, false},
	[M2_URL] = {WIRE_TAG_URL, 1, WIRE_URL_MAX, false},
};

_Static_assert(WIRE_URL_MAX <= UINT8_MAX && WIRE_TOKEN_MAX <= UINT8_MAX, "lengths fit a u8");

static enum proto_reason walk(const uint8_t *in, size_t len, const struct rule *rules, int n,
			      struct item *items)
{
	enum proto_reason ret = PROTO_OK;
	size_t pos = 0;
	int i;

	memset(items, 0, n * sizeof(*items));
	while (pos < len) {
		uint8_t tag, item_len;

		ret = PROTO_TLV_TRUNCATED;
		if (len - pos < 2)
			goto out;
		tag = in[pos];
		item_len = in[pos + 1];
		pos += 2;
		if (item_len > len - pos)
			goto out;
		for (i = 0; i < n; i++)
			if (rules[i].tag == tag)
				break;
		/* unknown tags are skipped: each message has its own table */
		if (i < n) {
			ret = PROTO_TLV_DUPLICATE;
			if (items[i].present)
				goto out;
			ret = PROTO_TLV_LENGTH;
			if (item_len < rules[i].min || item_len > rules[i].max)
				goto out;
			items[i].value = in + pos;
			items[i].len = item_len;
			items[i].present = true;
		}
		pos += item_len;
	}
	ret = PROTO_TLV_MISSING;
	for (i = 0; i < n; i++)
		if (rules[i].required && !items[i].present)
			goto out;
	ret = PROTO_OK;
out:
	return ret;
}

/* 3.5: token and AGENT are printable ASCII, space included */
static bool printable(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static void copy_string(char *dst, size_t *dst_len, const struct item *it)
{
	memcpy(dst, it->value, it->len);
	dst[it->len] = '\0';
	*dst_len = it->len;
}

enum proto_reason tlv_msg1_decode(struct tlv_msg1 *out, const uint8_t *in, size_t len)
{
	struct item items[M1_COUNT];
	enum proto_reason ret;

	memset(out, 0, sizeof(*out));
	ret = walk(in, len, msg1_rules, M1_COUNT, items);
	if (ret != PROTO_OK)
		goto out;

	if (items[M1_TOKEN].present && !printable(items[M1_TOKEN].value, items[M1_TOKEN].len)) {
		ret = PROTO_BAD_TOKEN;
		goto out;
	}
	if (items[M1_AGENT].present && !printable(items[M1_AGENT].value, items[M1_AGENT].len)) {
		ret = PROTO_BAD_AGENT;
		goto out;
	}

	memcpy(out->timestamp, items[M1_TIMESTAMP].value, WIRE_TAI64N_LEN);
	copy_string(out->name, &out->name_len, &items[M1_NAME]);
	out->name_valid = name_valid((const char *)items[M1_NAME].value, items[M1_NAME].len);
	if (items[M1_TOKEN].present)
		copy_string(out->token, &out->token_len, &items[M1_TOKEN]);
	if (items[M1_AGENT].present)
		copy_string(out->agent, &out->agent_len, &items[M1_AGENT]);
out:
	if (ret != PROTO_OK)
		sodium_memzero(out, sizeof(*out));
	return ret;
}

enum proto_reason tlv_msg2_decode(struct tlv_msg2 *out, const uint8_t *in, size_t len)
{
	struct item items[M2_COUNT];
	enum proto_reason ret;
	uint16_t mtu = 0, keepalive = 0;
	uint8_t status;

	memset(out, 0, sizeof(*out));
	ret = walk(in, len, msg2_rules, M2_COUNT, items);
	if (ret != PROTO_OK)
		goto out;

	status = items[M2_STATUS].value[0];
	if (status > WIRE_STATUS_RETRY_LATER) {
		ret = PROTO_TLV_VALUE;
		goto out;
	}
	/* values are checked whatever the status: a known tag out of range
	 * makes the message invalid (3.5) */
	if (items[M2_MTU].present) {
		mtu = get_le16(items[M2_MTU].value);
		if (mtu < WIRE_MTU_MIN || mtu > WIRE_MTU_MAX) {
			ret = PROTO_TLV_VALUE;
			goto out;
		}
	}
	if (items[M2_KEEPALIVE].present) {
		keepalive = get_le16(items[M2_KEEPALIVE].value);
		if (keepalive < WIRE_KEEPALIVE_MIN || keepalive > WIRE_KEEPALIVE_MAX) {
			ret = PROTO_TLV_VALUE;
			goto out;
		}
	}

	out->status = status;
	if (status != WIRE_STATUS_OK)
		goto out;
	if (!items[M2_ADDR4].present || !items[M2_PEER4].present || !items[M2_MTU].present ||
	    !items[M2_KEEPALIVE].present) {
		ret = PROTO_TLV_MISSING;
		goto out;
	}
	memcpy(out->addr4, items[M2_ADDR4].value, 4);
	memcpy(out->peer4, items[M2_PEER4].value, 4);
	out->mtu = mtu;
	out->keepalive = keepalive;
	if (items[M2_ADDR6].present) {
		memcpy(out->addr6, items[M2_ADDR6].value, 16);
		out->has_addr6 = true;
	}
	if (items[M2_PEER6].present) {
		memcpy(out->peer6, items[M2_PEER6].value, 16);
		out->has_peer6 = true;
	}
	if (items[M2_URL].present)
		copy_string(out->url, &out->url_len, &items[M2_URL]);
out:
	if (ret != PROTO_OK)
		memset(out, 0, sizeof(*out));
	return ret;
}

/* Append one item; the caller has checked the value's length fits a u8. */
static enum proto_reason put(uint8_t *out, size_t size, size_t *pos, uint8_t tag, const void *value,
			     size_t len)
{
	if (size - *pos < 2 + len)
		return PROTO_TLV_TOO_BIG;
	out[*pos] = tag;
	out[*pos + 1] = (uint8_t)len;
	memcpy(out + *pos + 2, value, len);
	*pos += 2 + len;
	return PROTO_OK;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

enum proto_reason tlv_msg1_encode(const struct tlv_msg1 *in, uint8_t *out, size_t out_size,
				  size_t *out_len)
{
	enum proto_reason ret;
	size_t pos = 0;

	*out_len = 0;
	ret = PROTO_TLV_LENGTH;
	if (in->name_len < 1 || in->name_len > WIRE_NAME_MAX)
		goto out;
	if (in->token_len && (in->token_len < WIRE_TOKEN_MIN || in->token_len > WIRE_TOKEN_MAX))
		goto out;
	if (in->agent_len > WIRE_AGENT_MAX)
		goto out;
	ret = PROTO_BAD_TOKEN;
	if (!printable((const uint8_t *)in->token, in->token_len))
		goto out;
	ret = PROTO_BAD_AGENT;
	if (!printable((const uint8_t *)in->agent, in->agent_len))
		goto out;

	/* ascending tags (3.5) */
	ret = put(out, out_size, &pos, WIRE_TAG_TIMESTAMP, in->timestamp, WIRE_TAI64N_LEN);
	if (ret == PROTO_OK)
		ret = put(out, out_size, &pos, WIRE_TAG_NAME, in->name, in->name_len);
	if (ret == PROTO_OK && in->token_len)
		ret = put(out, out_size, &pos, WIRE_TAG_ENROLL_TOKEN, in->token, in->token_len);
	if (ret == PROTO_OK && in->agent_len)
		ret = put(out, out_size, &pos, WIRE_TAG_AGENT, in->agent, in->agent_len);
out:
	if (ret == PROTO_OK)
		*out_len = pos;
	return ret;
}

enum proto_reason tlv_msg2_encode(const struct tlv_msg2 *in, uint8_t *out, size_t out_size,
				  size_t *out_len)
{
	uint8_t mtu[2], keepalive[2];
	enum proto_reason ret;
	size_t pos = 0;

	*out_len = 0;
	ret = PROTO_TLV_VALUE;
	if (in->status > WIRE_STATUS_RETRY_LATER)
		goto out;
	if (in->status == WIRE_STATUS_OK) {
		if (in->mtu < WIRE_MTU_MIN || in->mtu > WIRE_MTU_MAX)
			goto out;
		if (in->keepalive < WIRE_KEEPALIVE_MIN || in->keepalive > WIRE_KEEPALIVE_MAX)
			goto out;
		ret = PROTO_TLV_LENGTH;
		if (in->url_len > WIRE_URL_MAX)
			goto out;
	}
	put_le16(mtu, in->mtu);
	put_le16(keepalive, in->keepalive);

	/* REJECTED and RETRY_LATER carry STATUS only (3.5) */
	ret = put(out, out_size, &pos, WIRE_TAG_STATUS, &in->status, 1);
	if (ret != PROTO_OK || in->status != WIRE_STATUS_OK)
		goto out;
	ret = put(out, out_size, &pos, WIRE_TAG_ADDR4, in->addr4, 4);
	if (ret == PROTO_OK)
		ret = put(out, out_size, &pos, WIRE_TAG_PEER4, in->peer4, 4);
	if (ret == PROTO_OK)
		ret = put(out, out_size, &pos, WIRE_TAG_MTU, mtu, 2);
	if (ret == PROTO_OK)
		ret = put(out, out_size, &pos, WIRE_TAG_KEEPALIVE, keepalive, 2);
	if (ret == PROTO_OK && in->has_addr6)
		ret = put(out, out_size, &pos, WIRE_TAG_ADDR6, in->addr6, 16);
	if (ret == PROTO_OK && in->has_peer6)
		ret = put(out, out_size, &pos, WIRE_TAG_PEER6, in->peer6, 16);
	if (ret == PROTO_OK && in->url_len)
		ret = put(out, out_size, &pos, WIRE_TAG_URL, in->url, in->url_len);
out:
	if (ret == PROTO_OK)
		*out_len = pos;
	return ret;
}

void tlv_msg1_clear(struct tlv_msg1 *m)
{
	sodium_memzero(m, sizeof(*m));
}
