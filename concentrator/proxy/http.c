/* What the request and response head parsers share: splitting a growing
 * buffer into CRLF lines, parsing field lines into an index of offsets, and
 * the framing and Connection rules of RFC 9112 6 and RFC 9110 7.6.1. */
#include <string.h>
#include <strings.h>

#include "concentrator/proxy/http.h"

#define T HTTP_C_TCHAR
#define F HTTP_C_FIELD
#define G HTTP_C_TARGET
#define R HTTP_C_REGNAME
#define H HTTP_C_HEX
#define D HTTP_C_DIGIT

/* One mask per byte. The request-target class is looser than RFC 3986:
 * browsers (WHATWG URL) send "[", "]", "|", "^", "{", "}" and "`" raw in
 * paths and queries, so it is every VCHAR except what they always encode
 * (DQUOTE, "<", ">"), "#" (a fragment is never sent, RFC 9112 3.2) and "%"
 * (which the caller checks is pct-encoded). */
const uint8_t http_class[256] = {
	['0' ... '9'] = T | F | G | R | H | D,
	['A' ... 'F'] = T | F | G | R | H,
	['G' ... 'Z'] = T | F | G | R,
	['a' ... 'f'] = T | F | G | R | H,
	['g' ... 'z'] = T | F | G | R,
	['!'] = T | F | G | R,
	['"'] = F,
	['#'] = T | F,
	['$'] = T | F | G | R,
	['%'] = T | F,
	['&'] = T | F | G | R,
	['\''] = T | F | G | R,
	['('] = F | G | R,
	[')'] = F | G | R,
	['*'] = T | F | G | R,
	['+'] = T | F | G | R,
	[','] = F | G | R,
	['-'] = T | F | G | R,
	['.'] = T | F | G | R,
	['/'] = F | G,
	[':'] = F | G,
	[';'] = F | G | R,
	['<'] = F,
	['='] = F | G | R,
	['>'] = F,
	['?'] = F | G,
	['@'] = F | G,
	['['] = F | G,
	['\\'] = F | G,
	[']'] = F | G,
	['^'] = T | F | G,
	['_'] = T | F | G | R,
	['`'] = T | F | G,
	['{'] = F | G,
	['|'] = T | F | G,
	['}'] = F | G,
	['~'] = T | F | G | R,
	[0x80 ... 0xff] = F,
};

#undef T
#undef F
#undef G
#undef R
#undef H
#undef D

static const char *const names[HTTP_RESULT_COUNT] = {
	[HTTP_OK] = "ok",
	[HTTP_NEED_MORE] = "need_more",
	[HTTP_BARE_LF] = "bare_lf",
	[HTTP_HEAD_TOO_LARGE] = "head_too_large",
	[HTTP_BAD_METHOD] = "bad_method",
	[HTTP_BAD_TARGET] = "bad_target",
	[HTTP_BAD_REQUEST_LINE] = "bad_request_line",
	[HTTP_BAD_VERSION] = "bad_version",
	[HTTP_BAD_STATUS_LINE] = "bad_status_line",
	[HTTP_BAD_STATUS] = "bad_status",
	[HTTP_UNEXPECTED_SWITCH] = "unexpected_switch",
	[HTTP_OBS_FOLD] = "obs_fold",
	[HTTP_BAD_FIELD_NAME] = "bad_field_name",
	[HTTP_BAD_FIELD_VALUE] = "bad_field_value",
	[HTTP_TOO_MANY_FIELDS] = "too_many_fields",
	[HTTP_NO_HOST] = "no_host",
	[HTTP_DUPLICATE_HOST] = "duplicate_host",
	[HTTP_BAD_HOST] = "bad_host",
	[HTTP_BAD_CONTENT_LENGTH] = "bad_content_length",
	[HTTP_CONFLICTING_CONTENT_LENGTH] = "conflicting_content_length",
	[HTTP_BAD_TRANSFER_ENCODING] = "bad_transfer_encoding",
	[HTTP_CONTENT_LENGTH_AND_TE] = "content_length_and_te",
	[HTTP_TE_IN_HTTP10] = "te_in_http10",
	[HTTP_BAD_CONNECTION] = "bad_connection",
	[HTTP_CHUNK_BAD_SIZE] = "chunk_bad_size",
	[HTTP_CHUNK_SIZE_OVERFLOW] = "chunk_size_overflow",
	[HTTP_CHUNK_BAD_EXTENSION] = "chunk_bad_extension",
	[HTTP_CHUNK_EXTENSION_TOO_LONG] = "chunk_extension_too_long",
	[HTTP_CHUNK_BAD_CRLF] = "chunk_bad_crlf",
	[HTTP_BAD_TRAILER] = "bad_trailer",
	[HTTP_FORBIDDEN_TRAILER] = "forbidden_trailer",
	[HTTP_TRAILER_TOO_LARGE] = "trailer_too_large",
};

const char *http_result_str(enum http_result result)
{
	if ((unsigned)result >= HTTP_RESULT_COUNT || !names[result])
		return "unknown";
	return names[result];
}

int http_result_status(enum http_result result)
{
	switch (result) {
	case HTTP_OK:
	case HTTP_NEED_MORE:
		return 0;
	case HTTP_HEAD_TOO_LARGE:
	case HTTP_TOO_MANY_FIELDS:
		return 431; /* RFC 6585 5 */
	case HTTP_BAD_VERSION:
		return 505; /* RFC 9110 15.6.6 */
	default:
		return 400;
	}
}

/* clang-format off */
#define FIELD(name, id) { name, sizeof(name) - 1, id }
/* clang-format on */

static const struct {
	const char *name;
	size_t len;
	enum http_field_id id;
} known_fields[] = {
	FIELD("host", HTTP_FIELD_HOST),
	FIELD("content-length", HTTP_FIELD_CONTENT_LENGTH),
	FIELD("transfer-encoding", HTTP_FIELD_TRANSFER_ENCODING),
	FIELD("connection", HTTP_FIELD_CONNECTION),
	FIELD("upgrade", HTTP_FIELD_UPGRADE),
	FIELD("expect", HTTP_FIELD_EXPECT),
	FIELD("keep-alive", HTTP_FIELD_KEEP_ALIVE),
	FIELD("proxy-connection", HTTP_FIELD_PROXY_CONNECTION),
	FIELD("te", HTTP_FIELD_TE),
	FIELD("trailer", HTTP_FIELD_TRAILER),
	FIELD("x-forwarded-for", HTTP_FIELD_X_FORWARDED_FOR),
	FIELD("x-forwarded-proto", HTTP_FIELD_X_FORWARDED_PROTO),
	FIELD("x-forwarded-host", HTTP_FIELD_X_FORWARDED_HOST),
	FIELD("forwarded", HTTP_FIELD_FORWARDED),
	FIELD("x-real-ip", HTTP_FIELD_X_REAL_IP),
};

#undef FIELD

bool http_case_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

enum http_field_id http_field_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++) {
		if (known_fields[i].len == len && !strncasecmp(name, known_fields[i].name, len))
			return known_fields[i].id;
	}
	return HTTP_FIELD_OTHER;
}

bool http_is_token(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!http_is(s[i], HTTP_C_TCHAR))
			return false;
	}
	return true;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

size_t http_list_next(const char *list, size_t len, size_t *pos, const char **elem)
{
	size_t i = *pos, start, end;

	/* empty elements ("a, , b") are legal and skipped (RFC 9110 5.6.1) */
	while (i < len && (is_ows(list[i]) || list[i] == ','))
		i++;
	start = i;
	while (i < len && list[i] != ',')
		i++;
	end = i;
	while (end > start && is_ows(list[end - 1]))
		end--;
	*pos = i;
	*elem = list + start;
	return end - start;
}

/* IP-literal without IPvFuture: hex digits, ":" and "." for an embedded
 * IPv4 address; at least one ":" (RFC 3986 3.2.2). */
static bool ip_literal_valid(const char *s, size_t len)
{
	bool colon = false;

	if (len < 2 || len > 45)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			colon = true;
		else if (s[i] != '.' && !http_is(s[i], HTTP_C_HEX))
			return false;
	}
	return colon;
}

static bool port_valid(const char *s, size_t len)
{
	unsigned port = 0;

	if (len < 1 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!http_is(s[i], HTTP_C_DIGIT))
			return false;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	return port <= 65535;
}

bool http_host_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (!len)
		return true;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close || !ip_literal_valid(s + 1, close - s - 1))
			return false;
		i = close - s + 1;
	} else {
		/* reg-name = *( unreserved / pct-encoded / sub-delims ) */
		while (i < len && s[i] != ':') {
			if (s[i] == '%') {
				if (len - i < 3 || !http_is(s[i + 1], HTTP_C_HEX) ||
				    !http_is(s[i + 2], HTTP_C_HEX))
					return false;
				i += 3;
			} else if (http_is(s[i], HTTP_C_REGNAME)) {
				i++;
			} else {
				return false;
			}
		}
		if (i == 0)
			return false;
	}
	if (i == len)
		return true;
	if (s[i] != ':')
		return false;
	return port_valid(s + i + 1, len - i - 1);
}

enum http_result http_content_length(const char *s, size_t len, uint64_t *value)
{
	const uint64_t limit = 1ULL << 62;
	uint64_t v = 0;

	if (!len)
		return HTTP_BAD_CONTENT_LENGTH;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (!http_is(s[i], HTTP_C_DIGIT))
			return HTTP_BAD_CONTENT_LENGTH;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return HTTP_BAD_CONTENT_LENGTH;
		v = v * 10 + d;
	}
	*value = v;
	return HTTP_OK;
}

void http_head_init(struct http_head *head, struct http_field *fields, size_t max_fields,
		    size_t max_head)
{
	memset(head, 0, sizeof(*head));
	head->fields = fields;
	head->max_fields = max_fields > UINT16_MAX ? UINT16_MAX : (uint16_t)max_fields;
	head->max_head = max_head > HTTP_HEAD_LIMIT ? HTTP_HEAD_LIMIT : (uint16_t)max_head;
}

enum http_result http_head_line(struct http_head *head, const char *buf, size_t len,
				struct http_span *line)
{
	size_t limit = len < head->max_head ? len : head->max_head;
	const char *lf;
	size_t end;

	if (head->scan < head->pos)
		head->scan = head->pos;
	/* scan only what is new, so a head sent a byte at a time costs O(n) */
	lf = head->scan < limit ? memchr(buf + head->scan, '\n', limit - head->scan) : NULL;
	if (!lf) {
		head->scan = (uint16_t)limit;
		return len >= head->max_head ? HTTP_HEAD_TOO_LARGE : HTTP_NEED_MORE;
	}
	end = lf - buf;
	/* RFC 9112 2.2 lets a recipient accept a bare LF; we do not, so no
	 * device behind us can split lines differently from us */
	if (end == head->pos || buf[end - 1] != '\r')
		return HTTP_BARE_LF;
	line->off = head->pos;
	line->len = (uint16_t)(end - 1 - head->pos);
	head->pos = head->scan = (uint16_t)(end + 1);
	return HTTP_OK;
}

/* RFC 9112 6.1: a list of codings; chunked at most once (6.1: "MUST NOT
 * apply chunked more than once"); no parameters, which chunked never has. */
static enum http_result transfer_encoding(struct http_head *head, const char *v, size_t len)
{
	size_t pos = 0, n;
	const char *e;
	bool any = false;

	while ((n = http_list_next(v, len, &pos, &e))) {
		bool chunked = http_case_eq(e, n, "chunked");

		if (!http_is_token(e, n))
			return HTTP_BAD_TRANSFER_ENCODING;
		if (chunked && head->te_chunked_seen)
			return HTTP_BAD_TRANSFER_ENCODING;
		head->te_chunked_seen |= chunked;
		head->te_chunked_last = chunked;
		any = true;
	}
	if (!any)
		return HTTP_BAD_TRANSFER_ENCODING;
	head->has_te = true;
	return HTTP_OK;
}

/* RFC 9110 7.6.1: Connection = #connection-option, each a token. */
static enum http_result connection(struct http_head *head, const char *v, size_t len)
{
	size_t pos = 0, n;
	const char *e;

	while ((n = http_list_next(v, len, &pos, &e))) {
		if (!http_is_token(e, n))
			return HTTP_BAD_CONNECTION;
		if (http_case_eq(e, n, "close"))
			head->conn_close = true;
		else if (http_case_eq(e, n, "keep-alive"))
			head->conn_keep_alive = true;
		else if (http_case_eq(e, n, "upgrade"))
			head->conn_upgrade = true;
		else if (++head->options > HTTP_CONNECTION_OPTIONS_MAX)
			return HTTP_BAD_CONNECTION; /* bounds http_head_finish() */
	}
	return HTTP_OK;
}

enum http_result http_head_field(struct http_head *head, const char *buf, struct http_span line,
				 struct http_field **field)
{
	const char *s = buf + line.off;
	size_t n = line.len, i = 0, vs, ve;
	struct http_field *f;
	uint64_t cl;
	enum http_result r;

	/* obs-fold (RFC 9112 5.2) and whitespace after the start line (2.2):
	 * rejected rather than unfolded */
	if (is_ows(s[0]))
		return HTTP_OBS_FOLD;
	while (i < n && http_is(s[i], HTTP_C_TCHAR))
		i++;
	/* no whitespace between name and colon (RFC 9112 5.1: MUST reject) */
	if (i == 0 || i == n || s[i] != ':')
		return HTTP_BAD_FIELD_NAME;
	vs = i + 1;
	while (vs < n && is_ows(s[vs]))
		vs++;
	ve = n;
	while (ve > vs && is_ows(s[ve - 1]))
		ve--;
	for (size_t j = vs; j < ve; j++) {
		if (!http_is(s[j], HTTP_C_FIELD) && !is_ows(s[j]))
			return HTTP_BAD_FIELD_VALUE; /* CTL, including CR, NUL, DEL */
	}
	if (head->nfields >= head->max_fields)
		return HTTP_TOO_MANY_FIELDS;

	f = &head->fields[head->nfields++];
	f->name.off = line.off;
	f->name.len = (uint16_t)i;
	f->value.off = (uint16_t)(line.off + vs);
	f->value.len = (uint16_t)(ve - vs);
	f->id = (uint8_t)http_field_lookup(s, i);
	f->flags = 0;
	*field = f;

	switch (f->id) {
	case HTTP_FIELD_CONTENT_LENGTH:
		/* one value; repeated lines only if identical (RFC 9110 8.6) */
		r = http_content_length(s + vs, ve - vs, &cl);
		if (r != HTTP_OK)
			return r;
		if (head->has_content_length && cl != head->content_length)
			return HTTP_CONFLICTING_CONTENT_LENGTH;
		head->has_content_length = true;
		head->content_length = cl;
		return HTTP_OK;
	case HTTP_FIELD_TRANSFER_ENCODING:
		return transfer_encoding(head, s + vs, ve - vs);
	case HTTP_FIELD_CONNECTION:
		return connection(head, s + vs, ve - vs);
	default:
		return HTTP_OK;
	}
}

void http_head_finish(struct http_head *head, const char *buf)
{
	if (!head->options)
		return;
	for (size_t c = 0; c < head->nfields; c++) {
		const struct http_field *conn = &head->fields[c];
		const char *v = buf + conn->value.off, *e;
		size_t pos = 0, n;

		if (conn->id != HTTP_FIELD_CONNECTION)
			continue;
		while ((n = http_list_next(v, conn->value.len, &pos, &e))) {
			if (http_case_eq(e, n, "close") || http_case_eq(e, n, "keep-alive") ||
			    http_case_eq(e, n, "upgrade"))
				continue;
			for (size_t j = 0; j < head->nfields; j++) {
				struct http_field *f = &head->fields[j];

				/* "Connection: Content-Length" must not make
				 * anyone drop the framing or the Host */
				if (f->id == HTTP_FIELD_HOST ||
				    f->id == HTTP_FIELD_CONTENT_LENGTH ||
				    f->id == HTTP_FIELD_TRANSFER_ENCODING)
					continue;
				if (f->name.len == n && !strncasecmp(buf + f->name.off, e, n))
					f->flags |= HTTP_FIELD_NOMINATED;
			}
		}
	}
}
