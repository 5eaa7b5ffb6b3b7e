/* Request heads from the internet: the request line (RFC 9112 3), then the
 * field lines through the shared core, then the rules only requests have:
 * exactly one Host, HTTP/1.0 semantics, Upgrade and Expect, and no body
 * framing that a device might read differently from us (smuggling). */
#include <string.h>
#include <strings.h>

#include "concentrator/proxy/http_request.h"

enum {
	STATE_START = 0, /* before the request line */
	STATE_FIELDS,	 /* between the request line and the empty line */
	STATE_DONE,	 /* result is final */
};

void http_request_init(struct http_request *req, struct http_field *fields, size_t max_fields,
		       size_t max_head)
{
	memset(req, 0, sizeof(*req));
	http_head_init(&req->head, fields, max_fields, max_head);
}

const struct http_field *http_request_field(const struct http_request *req, enum http_field_id id)
{
	for (size_t i = 0; i < req->head.nfields; i++) {
		if (req->head.fields[i].id == id)
			return &req->head.fields[i];
	}
	return NULL;
}

/* path-abempty / absolute-path [ "?" query ], pct-encodings well formed */
static bool target_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3 || !http_is(s[i + 1], HTTP_C_HEX) ||
			    !http_is(s[i + 2], HTTP_C_HEX))
				return false;
			i += 2;
		} else if (!http_is(s[i], HTTP_C_TARGET)) {
			return false;
		}
	}
	return true;
}

/* absolute-form (RFC 9112 3.2.2): only http and https, an authority with a
 * host and no userinfo (RFC 9110 4.2.4 says treat userinfo as an error). */
static enum http_result absolute_form(struct http_request *req, const char *buf)
{
	const char *s = buf + req->target.off;
	size_t n = req->target.len, a, i;

	if (n > 7 && !strncasecmp(s, "http://", 7))
		a = 7;
	else if (n > 8 && !strncasecmp(s, "https://", 8))
		a = 8;
	else
		return HTTP_BAD_TARGET;
	for (i = a; i < n && s[i] != '/' && s[i] != '?'; i++)
		;
	/* an empty host is invalid in an http URI (RFC 9110 4.2.1) */
	if (i == a || s[a] == ':' || !http_host_valid(s + a, i - a))
		return HTTP_BAD_TARGET;
	if (!target_chars(s + i, n - i))
		return HTTP_BAD_TARGET;
	req->form = HTTP_TARGET_ABSOLUTE;
	req->host.off = (uint16_t)(req->target.off + a);
	req->host.len = (uint16_t)(i - a);
	req->path.off = (uint16_t)(req->target.off + i);
	req->path.len = (uint16_t)(n - i);
	return HTTP_OK;
}

static enum http_result request_target(struct http_request *req, const char *buf)
{
	const char *s = buf + req->target.off;
	size_t n = req->target.len;

	req->path = req->target;
	if (s[0] == '/') {
		req->form = HTTP_TARGET_ORIGIN;
		return target_chars(s, n) ? HTTP_OK : HTTP_BAD_TARGET;
	}
	if (n == 1 && s[0] == '*') {
		/* asterisk-form only for a server-wide OPTIONS (3.2.4) */
		if (req->method.len != 7 || memcmp(buf + req->method.off, "OPTIONS", 7))
			return HTTP_BAD_TARGET;
		req->form = HTTP_TARGET_ASTERISK;
		return HTTP_OK;
	}
	/* authority-form is for CONNECT, which a reverse proxy does not do */
	return absolute_form(req, buf);
}

/* request-line = method SP request-target SP HTTP-version, single spaces:
 * we do not take RFC 9112 3's leave to split on any whitespace. */
static enum http_result request_line(struct http_request *req, const char *buf,
				     struct http_span line)
{
	const char *s = buf + line.off, *v;
	size_t n = line.len, i = 0, t;

	while (i < n && http_is(s[i], HTTP_C_TCHAR))
		i++;
	if (i == 0 || i > HTTP_METHOD_MAX || (i < n && s[i] != ' '))
		return HTTP_BAD_METHOD;
	if (i == n)
		return HTTP_BAD_REQUEST_LINE;
	t = ++i;
	while (i < n && s[i] != ' ')
		i++;
	if (i == t || i == n)
		return HTTP_BAD_REQUEST_LINE;

	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (2.3) */
	v = s + i + 1;
	if (n - i - 1 != 8 || memcmp(v, "HTTP/", 5) || !http_is(v[5], HTTP_C_DIGIT) ||
	    v[6] != '.' || !http_is(v[7], HTTP_C_DIGIT))
		return HTTP_BAD_REQUEST_LINE;
	if (v[5] != '1')
		return HTTP_BAD_VERSION;
	/* a higher minor version is processed as 1.1 (RFC 9110 2.5) */
	req->version = v[7] == '0' ? 0 : 1;

	req->line = line;
	req->method.off = line.off;
	req->method.len = (uint16_t)(t - 1);
	req->target.off = (uint16_t)(line.off + t);
	req->target.len = (uint16_t)(i - t);
	req->head_method = req->method.len == 4 && !memcmp(s, "HEAD", 4);
	return request_target(req, buf);
}

/* While the request line is incomplete, refuse early what cannot become a
 * method (a TLS ClientHello on port 80, binary junk) rather than wait for
 * max_head bytes or the header timeout. Bounded by HTTP_METHOD_MAX. */
static enum http_result partial_method(const struct http_request *req, const char *buf, size_t len)
{
	size_t start = req->head.pos;

	for (size_t i = start; i < len; i++) {
		/* the end of the method, or a line end for request_line() and
		 * http_head_line() to judge once the line is complete */
		if (buf[i] == ' ' || buf[i] == '\r' || buf[i] == '\n')
			return HTTP_NEED_MORE;
		if (!http_is(buf[i], HTTP_C_TCHAR) || i - start >= HTTP_METHOD_MAX)
			return HTTP_BAD_METHOD;
	}
	return HTTP_NEED_MORE;
}

static enum http_result field_line(struct http_request *req, const char *buf, struct http_span line)
{
	struct http_field *f;
	enum http_result r;

	r = http_head_field(&req->head, buf, line, &f);
	if (r != HTTP_OK)
		return r;
	switch (f->id) {
	case HTTP_FIELD_HOST:
		/* RFC 9112 3.2: exactly one Host, and a valid one */
		if (++req->nhost > 1)
			return HTTP_DUPLICATE_HOST;
		if (!http_host_valid(buf + f->value.off, f->value.len))
			return HTTP_BAD_HOST;
		/* an absolute-form target's authority wins (3.2.2) */
		if (req->form != HTTP_TARGET_ABSOLUTE)
			req->host = f->value;
		break;
	case HTTP_FIELD_EXPECT:
		/* a 1.0 request's 100-continue is ignored (RFC 9110 10.1.1) */
		if (req->version == 1 &&
		    http_case_eq(buf + f->value.off, f->value.len, "100-continue"))
			req->expect_continue = true;
		break;
	case HTTP_FIELD_UPGRADE:
		/* only with Connection: upgrade, and never in 1.0 (RFC 9110 7.8) */
		req->upgrade = req->version == 1;
		break;
	default:
		break;
	}
	return HTTP_OK;
}

static enum http_result finish(struct http_request *req, const char *buf)
{
	struct http_head *h = &req->head;

	if (req->version == 1 && req->nhost == 0)
		return HTTP_NO_HOST;
	http_head_finish(h, buf);

	/* RFC 9112 6.1 and 6.3: TE in 1.0 is faulty framing; TE with CL is
	 * how requests are smuggled, so refuse rather than pick one; a request
	 * whose last coding is not chunked has no knowable length. */
	if (h->has_te) {
		if (req->version == 0)
			return HTTP_TE_IN_HTTP10;
		if (h->has_content_length)
			return HTTP_CONTENT_LENGTH_AND_TE;
		if (!h->te_chunked_last)
			return HTTP_BAD_TRANSFER_ENCODING;
		req->framing = HTTP_FRAMING_CHUNKED;
	} else if (h->has_content_length && h->content_length) {
		req->framing = HTTP_FRAMING_LENGTH;
		req->content_length = h->content_length;
	} else {
		req->framing = HTTP_FRAMING_NONE; /* 6.3 item 7 */
	}

	/* RFC 9112 9.3: close wins; 1.1 persists; 1.0 only with keep-alive */
	req->keep_alive = !h->conn_close && (req->version == 1 || h->conn_keep_alive);
	req->upgrade = req->upgrade && h->conn_upgrade;
	req->head_len = h->pos;
	return HTTP_OK;
}

static enum http_result parse(struct http_request *req, const char *buf, size_t len)
{
	struct http_span line;
	enum http_result r;

	for (;;) {
		r = http_head_line(&req->head, buf, len, &line);
		if (r == HTTP_NEED_MORE && req->state == STATE_START)
			return partial_method(req, buf, len);
		if (r != HTTP_OK)
			return r;

		if (req->state == STATE_START) {
			/* empty lines before the request line are ignored
			 * (RFC 9112 2.2); they still count against max_head */
			if (!line.len)
				continue;
			r = request_line(req, buf, line);
			if (r != HTTP_OK)
				return r;
			req->state = STATE_FIELDS;
		} else if (!line.len) {
			return finish(req, buf);
		} else {
			r = field_line(req, buf, line);
			if (r != HTTP_OK)
				return r;
		}
	}
}

enum http_result http_request_parse(struct http_request *req, const char *buf, size_t len)
{
	enum http_result r;

	if (req->state == STATE_DONE)
		return req->result;
	r = parse(req, buf, len);
	if (r != HTTP_NEED_MORE) {
		req->state = STATE_DONE;
		req->result = (uint8_t)r;
	}
	return r;
}
