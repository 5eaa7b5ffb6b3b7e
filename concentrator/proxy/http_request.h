/* The HTTP/1.1 request head parser (RFC 9112 2-6): fed a buffer that grows
 * as bytes arrive, it says when the head is complete, indexes it without
 * copying, and works out the host, connection semantics and body framing. */
#ifndef TETHER_PROXY_HTTP_REQUEST_H
#define TETHER_PROXY_HTTP_REQUEST_H

#include "concentrator/proxy/http.h"

enum http_target_form {
	HTTP_TARGET_ORIGIN = 0, /* /path?query */
	HTTP_TARGET_ABSOLUTE,	/* http://authority/path?query */
	HTTP_TARGET_ASTERISK,	/* OPTIONS * */
};

struct http_request {
	struct http_head head;
	uint8_t state;	/* private */
	uint8_t result; /* private: sticky once the head is done */
	uint16_t nhost; /* private */
	/* valid once http_request_parse() returned HTTP_OK: */
	uint16_t head_len;     /* bytes of head; a pipelined request follows */
	struct http_span line; /* request line without CRLF */
	struct http_span method;
	struct http_span target;
	struct http_span path;	 /* target's path and query ("*" for asterisk) */
	struct http_span host;	 /* absolute-form authority, else Host value */
	uint8_t version;	 /* minor version: 0 or 1 (1.2+ treated as 1.1) */
	uint8_t form;		 /* enum http_target_form */
	uint8_t framing;	 /* HTTP_FRAMING_NONE, _LENGTH or _CHUNKED */
	bool head_method;	 /* HEAD: the response has no body */
	bool keep_alive;	 /* RFC 9112 9.3 */
	bool upgrade;		 /* Connection: upgrade and Upgrade, in 1.1 */
	bool expect_continue;	 /* Expect: 100-continue, in 1.1 */
	uint64_t content_length; /* for HTTP_FRAMING_LENGTH */
};

/* fields: the caller's array of max_fields entries, which the index fills;
 * max_head: largest head in bytes (at most HTTP_HEAD_LIMIT). */
void http_request_init(struct http_request *req, struct http_field *fields, size_t max_fields,
		       size_t max_head);

/* Parse buf[0..len), the same bytes as the last call plus any new ones.
 * HTTP_NEED_MORE until the empty line that ends the head; then HTTP_OK or
 * the reason the request is refused (http_result_status() gives 400, 431
 * or 505). Both are sticky: later calls return the same result. */
enum http_result http_request_parse(struct http_request *req, const char *buf, size_t len);

/* The first field with that id, or NULL. */
const struct http_field *http_request_field(const struct http_request *req, enum http_field_id id);

#endif
