/* The HTTP/1.1 response head parser for what devices answer (RFC 9112 4-6):
 * incremental like the request parser, it finds the status, whether the
 * connection stays open, and where the body ends (RFC 9112 6.3). */
#ifndef TETHER_PROXY_HTTP_RESPONSE_H
#define TETHER_PROXY_HTTP_RESPONSE_H

#include "concentrator/proxy/http.h"

struct http_response {
	struct http_head head;
	uint8_t state;	      /* private */
	uint8_t result;	      /* private: sticky once the head is done */
	bool head_request;    /* set by init: answer to a HEAD */
	bool upgrade_request; /* set by init: the request asked to upgrade */
	/* valid once http_response_parse() returned HTTP_OK: */
	uint16_t head_len;	 /* bytes of head */
	uint16_t status;	 /* 100..599 */
	struct http_span line;	 /* status line without CRLF */
	struct http_span reason; /* reason-phrase, maybe empty */
	uint8_t version;	 /* minor version: 0 or 1 */
	uint8_t framing;	 /* enum http_framing */
	bool interim;		 /* 1xx but 101: another head follows */
	bool keep_alive;	 /* the device keeps the connection open */
	uint64_t content_length; /* for HTTP_FRAMING_LENGTH */
};

/* head_request and upgrade_request describe the request this answers:
 * they decide whether the response can have a body or switch protocols. */
void http_response_init(struct http_response *res, struct http_field *fields, size_t max_fields,
			size_t max_head, bool head_request, bool upgrade_request);

/* Same contract as http_request_parse(); failures mean a 502 for the
 * client and closing the connection to the device. */
enum http_result http_response_parse(struct http_response *res, const char *buf, size_t len);

#endif
