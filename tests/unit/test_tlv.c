/* TLV payloads (proto/tlv.c), every rule of PROTOCOL.md 3.5: ascending
 * encoding, any-order decoding, unknown tags skipped, and each invalid
 * list refused with its own reason; a NAME breaking the character rule
 * decodes (it is answered REJECTED) while a NAME of bad length does not. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/tlv.h"

/* a payload built item by item */
struct buf {
	uint8_t b[1024];
	size_t len;
};

static void item(struct buf *p, uint8_t tag, uint8_t len, const void *value)
{
	p->b[p->len++] = tag;
	p->b[p->len++] = len;
	if (len)
		memcpy(p->b + p->len, value, len);
	p->len += len;
}

static void fill(struct buf *p, uint8_t tag, uint8_t len, char c)
{
	char v[255];

	memset(v, c, sizeof(v));
	item(p, tag, len, v);
}

static const uint8_t ts[12] = {0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, 0x07, 0x5b, 0xcd, 0x15};

static void timestamp(struct buf *p)
{
	item(p, 0x01, 12, ts);
}

static void name(struct buf *p, const char *s)
{
	item(p, 0x02, (uint8_t)strlen(s), s);
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static enum proto_reason dec1(const struct buf *p, struct tlv_msg1 *m)
{
	return tlv_msg1_decode(m, p->b, p->len);
}

static enum proto_reason dec2(const struct buf *p, struct tlv_msg2 *m)
{
	return tlv_msg2_decode(m, p->b, p->len);
}

static void set(char *dst, size_t *len, const char *s)
{
	*len = strlen(s);
	memcpy(dst, s, *len + 1);
}

static struct tlv_msg1 full_msg1(void)
{
	struct tlv_msg1 m = {0};

	memcpy(m.timestamp, ts, 12);
	set(m.name, &m.name_len, "an12345678");
	set(m.token, &m.token_len, "tok-0123456789abcdef0123456789ab");
	set(m.agent, &m.agent_len, "tether-agent/1.0.0 (linux; x86_64)");
	return m;
}

static struct tlv_msg2 full_msg2(void)
{
	struct tlv_msg2 m = {0};

	m.status = WIRE_STATUS_OK;
	memcpy(m.addr4, "\x64\x40\x00\x02", 4);
	memcpy(m.peer4, "\x64\x40\x00\x01", 4);
	m.mtu = 1420;
	m.keepalive = 25;
	m.has_addr6 = true;
	memset(m.addr6, 0xfd, 16);
	m.has_peer6 = true;
	memset(m.peer6, 0xfe, 16);
	set(m.url, &m.url_len, "https://an12345678.example.net/");
	return m;
}

/* STATUS OK and its four required items */
static void ok_items(struct buf *p)
{
	item(p, 0x10, 1, "\x00");
	item(p, 0x11, 4, "\x64\x40\x00\x02");
	item(p, 0x12, 4, "\x64\x40\x00\x01");
	item(p, 0x13, 2, "\x8c\x05");
	item(p, 0x14, 2, "\x19\x00");
}

Test(tlv, msg1_round_trip)
{
	struct tlv_msg1 in = full_msg1(), out;
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t len;

	cr_assert_eq(tlv_msg1_encode(&in, b, sizeof(b), &len), PROTO_OK);
	cr_assert_eq(len, 14 + 12 + 34 + 36);
	/* ascending tags */
	cr_assert_eq(b[0], 0x01);
	cr_assert_eq(b[14], 0x02);
	cr_assert_eq(b[26], 0x03);
	cr_assert_eq(b[60], 0x04);
	cr_assert_eq(tlv_msg1_decode(&out, b, len), PROTO_OK);
	cr_assert(memcmp(out.timestamp, ts, 12) == 0);
	cr_assert_str_eq(out.name, "an12345678");
	cr_assert(out.name_valid);
	cr_assert_str_eq(out.token, in.token);
	cr_assert_eq(out.token_len, 32);
	cr_assert_str_eq(out.agent, in.agent);

	/* optional items absent */
	in.token_len = 0;
	in.agent_len = 0;
	cr_assert_eq(tlv_msg1_encode(&in, b, sizeof(b), &len), PROTO_OK);
	cr_assert_eq(len, 26);
	cr_assert_eq(tlv_msg1_decode(&out, b, len), PROTO_OK);
	cr_assert_eq(out.token_len, 0);
	cr_assert_eq(out.agent_len, 0);
	cr_assert_str_eq(out.token, "");
}

Test(tlv, msg2_round_trip)
{
	struct tlv_msg2 in = full_msg2(), out;
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t len;

	cr_assert_eq(tlv_msg2_encode(&in, b, sizeof(b), &len), PROTO_OK);
	cr_assert_eq(len, 3 + 6 + 6 + 4 + 4 + 18 + 18 + 2 + in.url_len);
	cr_assert_eq(tlv_msg2_decode(&out, b, len), PROTO_OK);
	cr_assert_eq(out.status, in.status);
	cr_assert(memcmp(out.addr4, in.addr4, 4) == 0 && memcmp(out.peer4, in.peer4, 4) == 0);
	cr_assert_eq(out.mtu, 1420);
	cr_assert_eq(out.keepalive, 25);
	cr_assert(out.has_addr6 && memcmp(out.addr6, in.addr6, 16) == 0);
	cr_assert(out.has_peer6 && memcmp(out.peer6, in.peer6, 16) == 0);
	cr_assert_eq(out.url_len, in.url_len);
	cr_assert_str_eq(out.url, in.url);
	/* MTU and KEEPALIVE are little-endian */
	cr_assert_eq(b[3 + 6 + 6 + 2], 0x8c);
	cr_assert_eq(b[3 + 6 + 6 + 3], 0x05);
}

Test(tlv, msg2_not_ok_is_status_only)
{
	struct tlv_msg2 in = full_msg2(), out;
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t len;

	for (uint8_t st = WIRE_STATUS_REJECTED; st <= WIRE_STATUS_RETRY_LATER; st++) {
		in.status = st;
		in.mtu = 0; /* ignored: not written */
		cr_assert_eq(tlv_msg2_encode(&in, b, sizeof(b), &len), PROTO_OK);
		cr_assert_eq(len, 3);
		cr_assert_eq(b[2], st);
		cr_assert_eq(tlv_msg2_decode(&out, b, len), PROTO_OK);
		cr_assert_eq(out.status, st);
		cr_assert_eq(out.mtu, 0);
	}
}

Test(tlv, any_order_and_unknown_tags)
{
	struct buf p = {0};
	struct tlv_msg1 m1;
	struct tlv_msg2 m2;

	item(&p, 0x00, 0, NULL);
	fill(&p, 0xff, 255, 'x');
	item(&p, 0x04, 3, "ag1");
	name(&p, "dev");
	item(&p, 0x10, 1, "\x01"); /* a message 2 tag means nothing in message 1 */
	timestamp(&p);
	item(&p, 0x05, 0, NULL);
	cr_assert_eq(dec1(&p, &m1), PROTO_OK);
	cr_assert_str_eq(m1.name, "dev");
	cr_assert_str_eq(m1.agent, "ag1");

	p.len = 0;
	item(&p, 0x14, 2, "\x10\x0e");
	item(&p, 0x01, 3, "abc"); /* a message 1 tag means nothing in message 2 */
	item(&p, 0x13, 2, "\x40\x02");
	item(&p, 0x12, 4, "\x0a\x00\x00\x01");
	item(&p, 0x18, 1, "?");
	item(&p, 0x11, 4, "\x0a\x00\x00\x02");
	item(&p, 0x10, 1, "\x00");
	cr_assert_eq(dec2(&p, &m2), PROTO_OK);
	cr_assert_eq(m2.mtu, 576);
	cr_assert_eq(m2.keepalive, 3600);
	cr_assert_eq(m2.addr4[3], 2);
	cr_assert_eq(m2.peer4[3], 1);
}

Test(tlv, name_breaking_rule_decodes_flagged)
{
	static const char *const bad[] = {"Bad_Name", "-x", "a.b", "UPPER", "sp ace"};
	struct buf p;
	struct tlv_msg1 m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.len = 0;
		timestamp(&p);
		name(&p, bad[i]);
		cr_assert_eq(dec1(&p, &m), PROTO_OK, "%s", bad[i]);
		cr_assert(!m.name_valid, "%s", bad[i]);
		cr_assert_str_eq(m.name, bad[i]);
	}
	/* a NUL inside: decodes, invalid, length kept */
	p.len = 0;
	timestamp(&p);
	item(&p, 0x02, 3, "a\0b");
	cr_assert_eq(dec1(&p, &m), PROTO_OK);
	cr_assert(!m.name_valid);
	cr_assert_eq(m.name_len, 3);
	/* 63 valid characters */
	p.len = 0;
	timestamp(&p);
	fill(&p, 0x02, 63, 'z');
	cr_assert_eq(dec1(&p, &m), PROTO_OK);
	cr_assert(m.name_valid);
}

Test(tlv, msg1_lengths_out_of_range)
{
	static const struct {
		uint8_t tag, len;
	} bad[] = {
		{0x01, 0}, {0x01, 11}, {0x01, 13}, {0x02, 0}, {0x02, 64}, {0x02, 255},
		{0x03, 0}, {0x03, 15}, {0x03, 65}, {0x04, 0}, {0x04, 65}, {0x04, 255},
	};
	struct buf p;
	struct tlv_msg1 m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.len = 0;
		if (bad[i].tag != 0x01)
			timestamp(&p);
		if (bad[i].tag != 0x02)
			name(&p, "dev");
		fill(&p, bad[i].tag, bad[i].len, 'a');
		cr_assert_eq(dec1(&p, &m), PROTO_TLV_LENGTH, "tag %u len %u", bad[i].tag,
			     bad[i].len);
	}
	/* the bounds themselves are fine */
	p.len = 0;
	timestamp(&p);
	name(&p, "dev");
	fill(&p, 0x03, 16, 'a');
	fill(&p, 0x04, 64, 'a');
	cr_assert_eq(dec1(&p, &m), PROTO_OK);
	p.len = 0;
	timestamp(&p);
	name(&p, "dev");
	fill(&p, 0x03, 64, 'a');
	fill(&p, 0x04, 1, 'a');
	cr_assert_eq(dec1(&p, &m), PROTO_OK);
}

Test(tlv, msg2_lengths_out_of_range)
{
	static const struct {
		uint8_t tag, len;
	} bad[] = {
		{0x10, 0},  {0x10, 2},	{0x11, 3},  {0x11, 5}, {0x12, 0}, {0x12, 16},
		{0x13, 1},  {0x13, 3},	{0x14, 1},  {0x14, 4}, {0x15, 4}, {0x15, 15},
		{0x15, 17}, {0x16, 15}, {0x16, 17}, {0x17, 0},
	};
	struct buf p;
	struct tlv_msg2 m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.len = 0;
		/* the bad item first, so it is met before any duplicate */
		fill(&p, bad[i].tag, bad[i].len, 1);
		ok_items(&p);
		cr_assert_eq(dec2(&p, &m), PROTO_TLV_LENGTH, "tag 0x%x len %u", bad[i].tag,
			     bad[i].len);
	}
	p.len = 0;
	ok_items(&p);
	fill(&p, 0x17, 255, 'u');
	cr_assert_eq(dec2(&p, &m), PROTO_OK);
	cr_assert_eq(m.url_len, 255);
}

Test(tlv, duplicates)
{
	struct buf p;
	struct tlv_msg1 m1;
	struct tlv_msg2 m2;
	static const uint8_t tags1[] = {0x01, 0x02, 0x03, 0x04};
	static const uint8_t tags2[] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17};
	static const uint8_t lens2[] = {1, 4, 4, 2, 2, 16, 16, 5};

	for (size_t i = 0; i < sizeof(tags1); i++) {
		p.len = 0;
		timestamp(&p);
		name(&p, "dev");
		fill(&p, 0x03, 20, 't');
		fill(&p, 0x04, 5, 'g');
		if (tags1[i] == 0x01)
			timestamp(&p);
		else if (tags1[i] == 0x02)
			name(&p, "dev");
		else
			fill(&p, tags1[i], tags1[i] == 0x03 ? 20 : 5, 'x');
		cr_assert_eq(dec1(&p, &m1), PROTO_TLV_DUPLICATE, "tag %u", tags1[i]);
	}
	for (size_t i = 0; i < sizeof(tags2); i++) {
		p.len = 0;
		ok_items(&p);
		fill(&p, 0x15, 16, 1);
		fill(&p, 0x16, 16, 2);
		fill(&p, 0x17, 5, 'u');
		/* even an identical repeat is a duplicate */
		if (tags2[i] == 0x10)
			item(&p, 0x10, 1, "\x00");
		else if (tags2[i] == 0x13)
			item(&p, 0x13, 2, "\x8c\x05");
		else if (tags2[i] == 0x14)
			item(&p, 0x14, 2, "\x19\x00");
		else
			fill(&p, tags2[i], lens2[i], 1);
		cr_assert_eq(dec2(&p, &m2), PROTO_TLV_DUPLICATE, "tag 0x%x", tags2[i]);
	}
	/* unknown tags may repeat */
	p.len = 0;
	timestamp(&p);
	name(&p, "dev");
	item(&p, 0x42, 0, NULL);
	item(&p, 0x42, 0, NULL);
	cr_assert_eq(dec1(&p, &m1), PROTO_OK);
}

Test(tlv, missing_required)
{
	struct buf p = {0};
	struct tlv_msg1 m1;
	struct tlv_msg2 m2;

	cr_assert_eq(tlv_msg1_decode(&m1, p.b, 0), PROTO_TLV_MISSING);
	cr_assert_eq(tlv_msg2_decode(&m2, p.b, 0), PROTO_TLV_MISSING);
	timestamp(&p);
	cr_assert_eq(dec1(&p, &m1), PROTO_TLV_MISSING);
	p.len = 0;
	name(&p, "dev");
	item(&p, 0x03, 16, "0123456789abcdef");
	cr_assert_eq(dec1(&p, &m1), PROTO_TLV_MISSING);

	/* STATUS missing */
	p.len = 0;
	ok_items(&p);
	memmove(p.b, p.b + 3, p.len - 3);
	p.len -= 3;
	cr_assert_eq(dec2(&p, &m2), PROTO_TLV_MISSING);

	/* each item OK requires */
	for (uint8_t skip = 0x11; skip <= 0x14; skip++) {
		p.len = 0;
		item(&p, 0x10, 1, "\x00");
		if (skip != 0x11)
			item(&p, 0x11, 4, "\x64\x40\x00\x02");
		if (skip != 0x12)
			item(&p, 0x12, 4, "\x64\x40\x00\x01");
		if (skip != 0x13)
			item(&p, 0x13, 2, "\x8c\x05");
		if (skip != 0x14)
			item(&p, 0x14, 2, "\x19\x00");
		cr_assert_eq(dec2(&p, &m2), PROTO_TLV_MISSING, "without 0x%x", skip);
		/* the same list with REJECTED is fine: STATUS only is required */
		p.b[2] = WIRE_STATUS_REJECTED;
		cr_assert_eq(dec2(&p, &m2), PROTO_OK);
		cr_assert_eq(m2.status, WIRE_STATUS_REJECTED);
		cr_assert_eq(m2.mtu, 0, "only status is reported");
	}
}

Test(tlv, values_out_of_range)
{
	struct buf p;
	struct tlv_msg2 m;
	static const struct {
		uint8_t tag;
		uint8_t v[2];
		enum proto_reason want;
	} cases[] = {
		{0x10, {3}, PROTO_TLV_VALUE},	       {0x10, {0xff}, PROTO_TLV_VALUE},
		{0x13, {0x3f, 0x02}, PROTO_TLV_VALUE}, /* 575 */
		{0x13, {0x40, 0x02}, PROTO_OK},	       /* 576 */
		{0x13, {0x28, 0x23}, PROTO_OK},	       /* 9000 */
		{0x13, {0x29, 0x23}, PROTO_TLV_VALUE}, /* 9001 */
		{0x13, {0x40, 0x00}, PROTO_TLV_VALUE}, /* 64: big-endian 576 read LE */
		{0x14, {0x00, 0x00}, PROTO_TLV_VALUE}, {0x14, {0x01, 0x00}, PROTO_OK},
		{0x14, {0x10, 0x0e}, PROTO_OK},	       /* 3600 */
		{0x14, {0x11, 0x0e}, PROTO_TLV_VALUE}, /* 3601 */
		{0x14, {0xff, 0xff}, PROTO_TLV_VALUE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.len = 0;
		item(&p, cases[i].tag, cases[i].tag == 0x10 ? 1 : 2, cases[i].v);
		if (cases[i].tag != 0x10)
			item(&p, 0x10, 1, "\x00");
		item(&p, 0x11, 4, "\x64\x40\x00\x02");
		item(&p, 0x12, 4, "\x64\x40\x00\x01");
		if (cases[i].tag != 0x13)
			item(&p, 0x13, 2, "\x8c\x05");
		if (cases[i].tag != 0x14)
			item(&p, 0x14, 2, "\x19\x00");
		cr_assert_eq(dec2(&p, &m), cases[i].want, "case %zu", i);
	}
	/* a value out of range is invalid whatever the status */
	p.len = 0;
	item(&p, 0x10, 1, "\x01");
	item(&p, 0x13, 2, "\x00\x00");
	cr_assert_eq(dec2(&p, &m), PROTO_TLV_VALUE);
}

Test(tlv, token_and_agent_characters)
{
	struct buf p;
	struct tlv_msg1 m;
	char v[64];

	for (int c = 0; c < 256; c++) {
		bool printable = c >= 0x20 && c <= 0x7e;

		memset(v, 'a', sizeof(v));
		v[7] = (char)c;
		p.len = 0;
		timestamp(&p);
		name(&p, "dev");
		item(&p, 0x03, 20, v);
		cr_assert_eq(dec1(&p, &m), printable ? PROTO_OK : PROTO_BAD_TOKEN, "0x%02x", c);
		p.len = 0;
		timestamp(&p);
		name(&p, "dev");
		item(&p, 0x04, 10, v);
		cr_assert_eq(dec1(&p, &m), printable ? PROTO_OK : PROTO_BAD_AGENT, "0x%02x", c);
	}
}

Test(tlv, truncations)
{
	struct tlv_msg1 in1 = full_msg1(), m1;
	struct tlv_msg2 in2 = full_msg2(), m2;
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t len, i;

	/* message 1: items end at 14, 26, 60, 96; TIMESTAMP and NAME required */
	cr_assert_eq(tlv_msg1_encode(&in1, b, sizeof(b), &len), PROTO_OK);
	for (i = 0; i < len; i++) {
		enum proto_reason want;

		if (i == 0 || i == 14)
			want = PROTO_TLV_MISSING;
		else if (i == 26 || i == 60)
			want = PROTO_OK;
		else
			want = PROTO_TLV_TRUNCATED;
		cr_assert_eq(tlv_msg1_decode(&m1, b, i), want, "msg1 cut at %zu", i);
	}
	/* message 2: STATUS 3, ADDR4 9, PEER4 15, MTU 19, KEEPALIVE 23, ADDR6 41, PEER6 59 */
	cr_assert_eq(tlv_msg2_encode(&in2, b, sizeof(b), &len), PROTO_OK);
	for (i = 0; i < len; i++) {
		enum proto_reason want;

		if (i == 0 || i == 3 || i == 9 || i == 15 || i == 19)
			want = PROTO_TLV_MISSING;
		else if (i == 23 || i == 41 || i == 59)
			want = PROTO_OK;
		else
			want = PROTO_TLV_TRUNCATED;
		cr_assert_eq(tlv_msg2_decode(&m2, b, i), want, "msg2 cut at %zu", i);
	}
}

Test(tlv, item_past_the_end)
{
	struct buf p = {0};
	struct tlv_msg1 m;

	timestamp(&p);
	name(&p, "dev");
	/* unknown tag claiming more than is left */
	item(&p, 0x77, 5, "abcde");
	cr_assert_eq(tlv_msg1_decode(&m, p.b, p.len - 1), PROTO_TLV_TRUNCATED);
	/* a lone tag byte */
	cr_assert_eq(tlv_msg1_decode(&m, p.b, p.len - 6), PROTO_TLV_TRUNCATED);
	cr_assert_eq(dec1(&p, &m), PROTO_OK);
}

Test(tlv, failures_zero_the_struct)
{
	struct buf p = {0};
	struct tlv_msg1 m;

	timestamp(&p);
	name(&p, "dev");
	fill(&p, 0x03, 20, 't');
	item(&p, 0x04, 1, "\x01");
	cr_assert_eq(dec1(&p, &m), PROTO_BAD_AGENT);
	cr_assert(all_zero(&m, sizeof(m)));
}

Test(tlv, msg1_encoder_refuses_what_decoder_drops)
{
	struct tlv_msg1 m;
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t len = 99;

	m = full_msg1();
	m.name_len = 0;
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_TLV_LENGTH);
	cr_assert_eq(len, 0);
	m.name_len = 64;
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_TLV_LENGTH);
	m = full_msg1();
	m.token_len = 15;
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_TLV_LENGTH);
	m.token_len = 65;
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_TLV_LENGTH);
	m = full_msg1();
	m.token[3] = '\n';
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_BAD_TOKEN);
	m = full_msg1();
	m.agent_len = 65;
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_TLV_LENGTH);
	m = full_msg1();
	m.agent[0] = 0x7f;
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_BAD_AGENT);

	/* a name of valid length but bad characters is written: it is answered */
	m = full_msg1();
	set(m.name, &m.name_len, "Not_A_Label");
	cr_assert_eq(tlv_msg1_encode(&m, b, sizeof(b), &len), PROTO_OK);
}

Test(tlv, msg2_encoder_refuses_what_decoder_drops)
{
	struct tlv_msg2 m;
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t len;

	m = full_msg2();
	m.status = 3;
	cr_assert_eq(tlv_msg2_encode(&m, b, sizeof(b), &len), PROTO_TLV_VALUE);
	m = full_msg2();
	m.mtu = 575;
	cr_assert_eq(tlv_msg2_encode(&m, b, sizeof(b), &len), PROTO_TLV_VALUE);
	m.mtu = 9001;
	cr_assert_eq(tlv_msg2_encode(&m, b, sizeof(b), &len), PROTO_TLV_VALUE);
	m = full_msg2();
	m.keepalive = 0;
	cr_assert_eq(tlv_msg2_encode(&m, b, sizeof(b), &len), PROTO_TLV_VALUE);
	m.keepalive = 3601;
	cr_assert_eq(tlv_msg2_encode(&m, b, sizeof(b), &len), PROTO_TLV_VALUE);
	m = full_msg2();
	m.url_len = 256;
	cr_assert_eq(tlv_msg2_encode(&m, b, sizeof(b), &len), PROTO_TLV_LENGTH);
}

Test(tlv, encoders_need_room)
{
	struct tlv_msg1 m1 = full_msg1();
	struct tlv_msg2 m2 = full_msg2();
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t need1, need2, len;

	cr_assert_eq(tlv_msg1_encode(&m1, b, sizeof(b), &need1), PROTO_OK);
	cr_assert_eq(tlv_msg2_encode(&m2, b, sizeof(b), &need2), PROTO_OK);
	for (size_t size = 0; size < need1; size++)
		cr_assert_eq(tlv_msg1_encode(&m1, b, size, &len), PROTO_TLV_TOO_BIG, "%zu", size);
	for (size_t size = 0; size < need2; size++)
		cr_assert_eq(tlv_msg2_encode(&m2, b, size, &len), PROTO_TLV_TOO_BIG, "%zu", size);
	cr_assert_eq(tlv_msg1_encode(&m1, b, need1, &len), PROTO_OK);
	cr_assert_eq(tlv_msg2_encode(&m2, b, need2, &len), PROTO_OK);
}

Test(tlv, largest_known_payloads_fit)
{
	struct tlv_msg1 m1 = full_msg1();
	struct tlv_msg2 m2 = full_msg2();
	uint8_t b[WIRE_PAYLOAD_MAX];
	size_t len;

	memset(m1.name, 'a', 63);
	m1.name_len = 63;
	memset(m1.token, 'b', 64);
	m1.token_len = 64;
	memset(m1.agent, 'c', 64);
	m1.agent_len = 64;
	cr_assert_eq(tlv_msg1_encode(&m1, b, sizeof(b), &len), PROTO_OK);
	cr_assert_eq(len, 14 + 65 + 66 + 66);
	memset(m2.url, 'u', 255);
	m2.url_len = 255;
	cr_assert_eq(tlv_msg2_encode(&m2, b, sizeof(b), &len), PROTO_OK);
	cr_assert_eq(len, 3 + 6 + 6 + 4 + 4 + 18 + 18 + 257);
}

Test(tlv, clear_wipes)
{
	struct tlv_msg1 m = full_msg1();

	tlv_msg1_clear(&m);
	cr_assert(all_zero(&m, sizeof(m)));
}
