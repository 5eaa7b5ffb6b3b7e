/* A ClientHello read only as far as its server name. The handshake message
 * may be split over several records (RFC 8446 5.1), so records are first
 * mapped into segments and the message is then read through them, every
 * length checked against the message before any field is read:
 *
 *   record:     type(22) legacy_record_version(2) length(2)  fragment...
 *   handshake:  msg_type(1) length(3)
 *   ClientHello legacy_version(2) random(32) session_id<0..32>
 *               cipher_suites<2..2^16-2> legacy_compression_methods<1..2^8-1>
 *               extensions<0..2^16-1>           (absent in old clients)
 *   extension:  type(2) extension_data<0..2^16-1>
 *   server_name ServerNameList<1..2^16-1> of name_type(1) HostName<1..2^16-1>
 */
#include <stdbool.h>
#include <string.h>

#include "concentrator/proxy/sni.h"

enum {
	RECORD_HANDSHAKE = 22,
	HANDSHAKE_CLIENT_HELLO = 1,
	EXT_SERVER_NAME = 0,
	NAME_TYPE_HOST_NAME = 0,
	RECORD_MAX = 1 << 14,
};

static const char *const names[SNI_RESULT_COUNT] = {
	[SNI_OK] = "ok",
	[SNI_NEED_MORE] = "need_more",
	[SNI_NO_SNI] = "no_sni",
	[SNI_NOT_HANDSHAKE] = "not_handshake",
	[SNI_BAD_RECORD_VERSION] = "bad_record_version",
	[SNI_BAD_RECORD_LENGTH] = "bad_record_length",
	[SNI_INTERLEAVED] = "interleaved",
	[SNI_TOO_MANY_RECORDS] = "too_many_records",
	[SNI_NOT_CLIENT_HELLO] = "not_client_hello",
	[SNI_TOO_LARGE] = "too_large",
	[SNI_BAD_HELLO_LENGTH] = "bad_hello_length",
	[SNI_BAD_VERSION] = "bad_version",
	[SNI_BAD_SESSION_ID] = "bad_session_id",
	[SNI_BAD_CIPHER_SUITES] = "bad_cipher_suites",
	[SNI_BAD_COMPRESSION] = "bad_compression",
	[SNI_BAD_EXTENSIONS] = "bad_extensions",
	[SNI_DUPLICATE_SNI] = "duplicate_sni",
	[SNI_BAD_SERVER_NAME] = "bad_server_name",
	[SNI_BAD_HOST_NAME] = "bad_host_name",
};

const char *sni_result_str(enum sni_result result)
{
	if ((unsigned)result >= SNI_RESULT_COUNT || !names[result])
		return "unknown";
	return names[result];
}

/* The handshake message as segments of buf, one per record, read through
 * a cursor that cannot move past end. */
struct stream {
	const uint8_t *buf;
	struct {
		size_t off;
		size_t len;
	} seg[SNI_RECORDS_MAX];
	unsigned nseg;
	size_t total; /* message bytes in the segments */
	unsigned s;   /* cursor: segment */
	size_t in;    /* cursor: offset in that segment */
	size_t pos;   /* cursor: offset in the message */
	size_t end;   /* the message's length, <= total */
};

static uint8_t byte_at(const struct stream *st, size_t i)
{
	unsigned s = 0;

	while (i >= st->seg[s].len)
		i -= st->seg[s++].len;
	return st->buf[st->seg[s].off + i];
}

static bool skip(struct stream *st, size_t n)
{
	if (n > st->end - st->pos)
		return false;
	st->pos += n;
	while (n) {
		size_t here = st->seg[st->s].len - st->in;

		if (n < here) {
			st->in += n;
			break;
		}
		n -= here;
		st->s++;
		st->in = 0;
	}
	return true;
}

static bool get(struct stream *st, size_t n, uint32_t *v)
{
	size_t pos = st->pos;

	if (n > st->end - st->pos)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | byte_at(st, pos + i);
	return skip(st, n);
}

/* LDH labels of 1..63 bytes, at most 253 in all, no trailing dot (RFC 6066
 * 3: "without a trailing dot"; RFC 1123 2.1). Which labels make a device
 * is host_device()'s business. */
static bool dns_name_valid(const char *s, size_t n)
{
	size_t label = 0;

	if (n < 1 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* server_name extension_data (RFC 6066 3) of n bytes: exactly one entry,
 * of type host_name, filling the extension. */
static enum sni_result host_name(struct stream *st, size_t n, char *name)
{
	uint32_t list, type, len;

	if (n < 5 || !get(st, 2, &list) || list != n - 2)
		return SNI_BAD_SERVER_NAME;
	if (!get(st, 1, &type) || type != NAME_TYPE_HOST_NAME)
		return SNI_BAD_SERVER_NAME;
	if (!get(st, 2, &len) || len != list - 3)
		return SNI_BAD_SERVER_NAME;
	if (len < 1 || len > SNI_NAME_MAX)
		return SNI_BAD_HOST_NAME;
	for (size_t i = 0; i < len; i++) {
		uint32_t c;

		if (!get(st, 1, &c))
			return SNI_BAD_SERVER_NAME;
		name[i] = (char)c;
	}
	name[len] = '\0';
	if (!dns_name_valid(name, len)) {
		name[0] = '\0';
		return SNI_BAD_HOST_NAME;
	}
	return SNI_OK;
}

/* Reads inside the extension stop at its end, not the hello's. */
static enum sni_result server_name(struct stream *st, size_t n, char *name)
{
	size_t end = st->end;
	enum sni_result r;

	st->end = st->pos + n;
	r = host_name(st, n, name);
	if (r == SNI_OK && st->pos != st->end)
		r = SNI_BAD_SERVER_NAME;
	st->end = end;
	return r;
}

static enum sni_result client_hello(struct stream *st, char *name)
{
	uint32_t v, n, type;
	enum sni_result r;
	bool found = false;

	/* past msg_type and length, which sni_parse() has read */
	st->pos = st->s = st->in = 0;
	skip(st, 4);

	if (!get(st, 2, &v) || !skip(st, 32))
		return SNI_BAD_HELLO_LENGTH;
	if (v < 0x0301 || v > 0x0303)
		return SNI_BAD_VERSION;
	if (!get(st, 1, &n) || n > 32 || !skip(st, n))
		return SNI_BAD_SESSION_ID;
	if (!get(st, 2, &n) || n < 2 || n % 2 || !skip(st, n))
		return SNI_BAD_CIPHER_SUITES;
	if (!get(st, 1, &n) || n < 1 || !skip(st, n))
		return SNI_BAD_COMPRESSION;
	/* extensions are optional before TLS 1.3 (RFC 5246 7.4.1.2) */
	if (st->pos == st->end)
		return SNI_NO_SNI;
	if (!get(st, 2, &n) || n != st->end - st->pos)
		return SNI_BAD_EXTENSIONS;

	while (st->pos < st->end) {
		if (!get(st, 2, &type) || !get(st, 2, &n) || n > st->end - st->pos)
			return SNI_BAD_EXTENSIONS;
		if (type != EXT_SERVER_NAME) {
			skip(st, n);
			continue;
		}
		if (found)
			return SNI_DUPLICATE_SNI;
		found = true;
		r = server_name(st, n, name);
		if (r != SNI_OK)
			return r;
	}
	return found ? SNI_OK : SNI_NO_SNI;
}

enum sni_result sni_parse(const uint8_t *buf, size_t len, char name[SNI_NAME_MAX + 1], size_t *need)
{
	struct stream st = {.buf = buf};
	size_t off = 0, want = 4; /* the handshake header, until its length is known */
	enum sni_result r;
	bool known = false;

	name[0] = '\0';
	*need = 0;
	for (;;) {
		size_t rlen, avail, before = st.total;

		if (st.nseg == SNI_RECORDS_MAX)
			return SNI_TOO_MANY_RECORDS;
		if (len < off + 5) {
			*need = off + 5;
			return SNI_NEED_MORE;
		}
		if (buf[off] != RECORD_HANDSHAKE)
			return st.nseg ? SNI_INTERLEAVED : SNI_NOT_HANDSHAKE;
		/* RFC 8446 5.1: 0x0303, or 0x0301 in an initial ClientHello;
		 * older clients use their own version */
		if (buf[off + 1] != 3 || buf[off + 2] < 1 || buf[off + 2] > 3)
			return SNI_BAD_RECORD_VERSION;
		rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (rlen == 0 || rlen > RECORD_MAX)
			return SNI_BAD_RECORD_LENGTH;
		avail = len - off - 5 < rlen ? len - off - 5 : rlen;
		st.seg[st.nseg].off = off + 5;
		st.seg[st.nseg].len = avail;
		st.nseg++;
		st.total += avail;

		/* refuse a non-ClientHello at its first byte */
		if (st.total && byte_at(&st, 0) != HANDSHAKE_CLIENT_HELLO)
			return SNI_NOT_CLIENT_HELLO;
		if (!known && st.total >= 4) {
			size_t body = (size_t)byte_at(&st, 1) << 16 | (size_t)byte_at(&st, 2) << 8 |
				      byte_at(&st, 3);

			if (body > SNI_HELLO_MAX - 4)
				return SNI_TOO_LARGE;
			want = 4 + body;
			known = true;
		}
		if (st.total >= want && known)
			break;
		if (avail < rlen) {
			/* only up to the end of what is wanted, which keeps
			 * *need within SNI_BYTES_MAX */
			size_t more = want - before;

			*need = off + 5 + (more < rlen ? more : rlen);
			return SNI_NEED_MORE;
		}
		off += 5 + rlen;
	}

	st.end = want;
	r = client_hello(&st, name);
	if (r != SNI_OK)
		name[0] = '\0'; /* a name from a hello that fails later is no name */
	return r;
}
