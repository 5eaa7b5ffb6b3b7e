/* Response heads from devices: the status line (RFC 9112 4), the field
 * lines through the shared core, and the message body length of RFC 9112
 * 6.3, which tells the proxy how many bytes to relay before the next head. */
#include <string.h>

#include "concentrator/proxy/http_response.h"

enum {
	STATE_START = 0,
	STATE_FIELDS,
	STATE_DONE,
};

void http_response_init(struct http_response *res, struct http_field *fields, size_t max_fields,
			size_t max_head, bool head_request, bool upgrade_request)
{
	memset(res, 0, sizeof(*res));
	http_head_init(&res->head, fields, max_fields, max_head);
	res->head_request = head_request;
	res->upgrade_request = upgrade_request;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ]. Devices'
 * small servers often drop the second SP when there is no reason, and a
 * client ignores the reason anyway (4), so "HTTP/1.1 200" is accepted. */
static enum http_result status_line(struct http_response *res, const char *buf,
				    struct http_span line)
{
	const char *s = buf + line.off;
	size_t n = line.len;

	if (n < 12 || memcmp(s, "HTTP/", 5) || !http_is(s[5], HTTP_C_DIGIT) || s[6] != '.' ||
	    !http_is(s[7], HTTP_C_DIGIT) || s[8] != ' ')
		return HTTP_BAD_STATUS_LINE;
	if (s[5] != '1')
		return HTTP_BAD_VERSION;
	res->version = s[7] == '0' ? 0 : 1;
	for (int i = 9; i < 12; i++) {
		if (!http_is(s[i], HTTP_C_DIGIT))
			return HTTP_BAD_STATUS_LINE;
	}
	res->status = (uint16_t)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
	if (res->status < 100 || res->status > 599)
		return HTTP_BAD_STATUS;
	if (n > 12 && s[12] != ' ')
		return HTTP_BAD_STATUS_LINE;
	/* reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) */
	for (size_t i = 13; i < n; i++) {
		if (!http_is(s[i], HTTP_C_FIELD) && s[i] != ' ' && s[i] != '\t')
			return HTTP_BAD_STATUS_LINE;
	}
	res->line = line;
	res->reason.off = (uint16_t)(line.off + (n > 13 ? 13 : n));
	res->reason.len = (uint16_t)(n > 13 ? n - 13 : 0);
	return HTTP_OK;
}

/* RFC 9112 6.3, in its order. */
static enum http_result framing(struct http_response *res)
{
	struct http_head *h = &res->head;

	/* 1: HEAD, 1xx, 204 and 304 end at the empty line, whatever the fields */
	if (res->status == 101) {
		/* 2 (for CONNECT) and RFC 9110 15.2.2: a switch the client
		 * did not ask for cannot be relayed as HTTP any more */
		if (!res->upgrade_request)
			return HTTP_UNEXPECTED_SWITCH;
		res->framing = HTTP_FRAMING_TUNNEL;
		return HTTP_OK;
	}
	if (res->status < 200) {
		res->interim = true;
		res->framing = HTTP_FRAMING_NONE;
		return HTTP_OK;
	}
	if (res->head_request || res->status == 204 || res->status == 304) {
		res->framing = HTTP_FRAMING_NONE;
		return HTTP_OK;
	}
	if (h->has_te) {
		/* 6.1: TE in 1.0 means faulty framing; 6.3 item 3: TE and CL
		 * together "ought to be handled as an error" */
		if (res->version == 0)
			return HTTP_TE_IN_HTTP10;
		if (h->has_content_length)
			return HTTP_CONTENT_LENGTH_AND_TE;
		/* 4: chunked not last means read until close */
		res->framing = h->te_chunked_last ? HTTP_FRAMING_CHUNKED : HTTP_FRAMING_CLOSE;
		return HTTP_OK;
	}
	if (h->has_content_length) {
		/* 6; an invalid value already failed in the shared core (5) */
		res->framing = h->content_length ? HTTP_FRAMING_LENGTH : HTTP_FRAMING_NONE;
		res->content_length = h->content_length;
		return HTTP_OK;
	}
	res->framing = HTTP_FRAMING_CLOSE; /* 8 */
	return HTTP_OK;
}

static enum http_result finish(struct http_response *res, const char *buf)
{
	struct http_head *h = &res->head;
	enum http_result r;

	http_head_finish(h, buf);
	r = framing(res);
	if (r != HTTP_OK)
		return r;
	/* RFC 9112 9.3; a body delimited by close ends the connection, and
	 * after 101 the connection is no longer HTTP */
	res->keep_alive = !h->conn_close && (res->version == 1 || h->conn_keep_alive) &&
			  res->framing != HTTP_FRAMING_CLOSE && res->framing != HTTP_FRAMING_TUNNEL;
	res->head_len = h->pos;
	return HTTP_OK;
}

static enum http_result parse(struct http_response *res, const char *buf, size_t len)
{
	struct http_span line;
	struct http_field *f;
	enum http_result r;

	for (;;) {
		r = http_head_line(&res->head, buf, len, &line);
		if (r != HTTP_OK)
			return r;
		if (res->state == STATE_START) {
			r = status_line(res, buf, line);
			if (r != HTTP_OK)
				return r;
			res->state = STATE_FIELDS;
		} else if (!line.len) {
			return finish(res, buf);
		} else {
			r = http_head_field(&res->head, buf, line, &f);
			if (r != HTTP_OK)
				return r;
		}
	}
}

enum http_result http_response_parse(struct http_response *res, const char *buf, size_t len)
{
	enum http_result r;

	if (res->state == STATE_DONE)
		return res->result;
	r = parse(res, buf, len);
	if (r != HTTP_NEED_MORE) {
		res->state = STATE_DONE;
		res->result = (uint8_t)r;
	}
	return r;
}
