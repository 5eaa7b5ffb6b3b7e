/* The shared core of the proxy's HTTP/1.1 head parsers (RFC 9110, RFC 9112):
 * the results every parser returns, the line splitter and field-line parser
 * both heads use, the index of fields kept as offsets into the caller's
 * buffer, and the character classes and list rules they share. */
#ifndef TETHER_PROXY_HTTP_H
#define TETHER_PROXY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a parser made of its input. Every failure has its own value so the
 * proxy can count it; http_result_status() says what a client is told. */
enum http_result {
	HTTP_OK = 0,
	HTTP_NEED_MORE, /* head (or body framing) not complete yet */
	/* lines (RFC 9112 2.2) */
	HTTP_BARE_LF,	     /* LF without CR before it */
	HTTP_HEAD_TOO_LARGE, /* no end of head within max_head (431) */
	/* request line (RFC 9112 3) */
	HTTP_BAD_METHOD,       /* method not a token, or longer than HTTP_METHOD_MAX */
	HTTP_BAD_TARGET,       /* not origin-, absolute- or asterisk-form */
	HTTP_BAD_REQUEST_LINE, /* spacing or HTTP-version syntax */
	HTTP_BAD_VERSION,      /* well-formed version other than 1.x (505) */
	/* status line (RFC 9112 4) */
	HTTP_BAD_STATUS_LINE,	/* spacing, version syntax or reason-phrase */
	HTTP_BAD_STATUS,	/* status code outside 100..599 */
	HTTP_UNEXPECTED_SWITCH, /* 101 to a request that asked for no upgrade */
	/* field lines (RFC 9112 5) */
	HTTP_OBS_FOLD,	      /* line starts with whitespace (5.2, 2.2) */
	HTTP_BAD_FIELD_NAME,  /* empty, not a token, or space before colon */
	HTTP_BAD_FIELD_VALUE, /* CTL other than HTAB in the value */
	HTTP_TOO_MANY_FIELDS, /* more than max_fields field lines (431) */
	/* field semantics */
	HTTP_NO_HOST,			 /* HTTP/1.1 request without Host (9112 3.2) */
	HTTP_DUPLICATE_HOST,		 /* more than one Host line */
	HTTP_BAD_HOST,			 /* Host or target authority not uri-host[:port] */
	HTTP_BAD_CONTENT_LENGTH,	 /* not 1*DIGIT, or too large (9110 8.6) */
	HTTP_CONFLICTING_CONTENT_LENGTH, /* Content-Length lines that differ */
	HTTP_BAD_TRANSFER_ENCODING,	 /* malformed, or chunked not last or twice */
	HTTP_CONTENT_LENGTH_AND_TE,	 /* both framings: smuggling (9112 6.3) */
	HTTP_TE_IN_HTTP10,		 /* Transfer-Encoding in 1.0 (9112 6.1) */
	HTTP_BAD_CONNECTION,		 /* Connection not a token list, or too many */
	/* chunked framing (RFC 9112 7.1) */
	HTTP_CHUNK_BAD_SIZE,	       /* chunk-size not 1*HEXDIG */
	HTTP_CHUNK_SIZE_OVERFLOW,      /* more than HTTP_CHUNK_DIGITS_MAX digits */
	HTTP_CHUNK_BAD_EXTENSION,      /* junk after the size, or CTL in an extension */
	HTTP_CHUNK_EXTENSION_TOO_LONG, /* more than HTTP_CHUNK_EXT_MAX bytes */
	HTTP_CHUNK_BAD_CRLF,	       /* chunk line or data not ended by CRLF */
	HTTP_BAD_TRAILER,	       /* trailer field line malformed */
	HTTP_FORBIDDEN_TRAILER,	       /* framing, routing, hop-by-hop or forwarding
					* field as a trailer (RFC 9110 6.5.1) */
	HTTP_TRAILER_TOO_LARGE,	       /* trailer section beyond HTTP_TRAILER_MAX */
	HTTP_RESULT_COUNT,
};

enum http_limit {
	HTTP_HEAD_LIMIT = 65535, /* largest max_head: offsets are 16 bits */
	HTTP_HEAD_DEFAULT = 16384,
	HTTP_FIELDS_DEFAULT = 100,
	HTTP_METHOD_MAX = 32,		  /* longer than any registered method */
	HTTP_CONNECTION_OPTIONS_MAX = 32, /* Connection tokens other than close etc. */
	HTTP_CHUNK_DIGITS_MAX = 15,	  /* 15 hex digits: below 2^60, no overflow */
	HTTP_CHUNK_EXT_MAX = 1024,	  /* chunk extensions on one chunk line */
	HTTP_TRAILER_MAX = 8192,	  /* whole trailer section */
	HTTP_KNOWN_NAME_MAX = 17,	  /* longest name http_field_lookup() knows */
};

/* The fields the proxy acts on; everything else is HTTP_FIELD_OTHER. */
enum http_field_id {
	HTTP_FIELD_OTHER = 0,
	HTTP_FIELD_HOST,
	HTTP_FIELD_CONTENT_LENGTH,
	HTTP_FIELD_TRANSFER_ENCODING,
	HTTP_FIELD_CONNECTION,
	HTTP_FIELD_UPGRADE,
	HTTP_FIELD_EXPECT,
	HTTP_FIELD_KEEP_ALIVE,
	HTTP_FIELD_PROXY_CONNECTION,
	HTTP_FIELD_TE,
	HTTP_FIELD_TRAILER,
	HTTP_FIELD_X_FORWARDED_FOR,
	HTTP_FIELD_X_FORWARDED_PROTO,
	HTTP_FIELD_X_FORWARDED_HOST,
	HTTP_FIELD_FORWARDED,
	HTTP_FIELD_X_REAL_IP,
	HTTP_FIELD_ID_COUNT,
};

enum http_field_flag {
	/* named as a connection option: hop-by-hop (RFC 9110 7.6.1) */
	HTTP_FIELD_NOMINATED = 1 << 0,
};

/* How the body after a head is delimited (RFC 9112 6.3). */
enum http_framing {
	HTTP_FRAMING_NONE = 0, /* no body */
	HTTP_FRAMING_LENGTH,   /* content_length bytes */
	HTTP_FRAMING_CHUNKED,  /* chunked coding: feed struct chunked */
	HTTP_FRAMING_CLOSE,    /* response body runs until the server closes */
	HTTP_FRAMING_TUNNEL,   /* 101: both directions become a raw relay */
};

/* A piece of the caller's buffer. */
struct http_span {
	uint16_t off;
	uint16_t len;
};

/* One field line: name and value (OWS trimmed) as offsets, no copies. */
struct http_field {
	struct http_span name;
	struct http_span value;
	uint8_t id;    /* enum http_field_id */
	uint8_t flags; /* enum http_field_flag */
};

/* State both head parsers keep between calls. The caller's buffer may grow
 * (and move) between calls, but the bytes already passed must not change. */
struct http_head {
	struct http_field *fields; /* caller's array of max_fields */
	uint16_t max_fields;
	uint16_t nfields;
	uint16_t max_head;
	uint16_t pos;	  /* start of the next line */
	uint16_t scan;	  /* the LF search resumes here */
	uint16_t options; /* Connection options seen */
	uint64_t content_length;
	bool has_content_length;
	bool has_te;
	bool te_chunked_last; /* the last transfer coding is chunked */
	bool te_chunked_seen;
	bool conn_close;
	bool conn_keep_alive;
	bool conn_upgrade;
};

const char *http_result_str(enum http_result result);

/* The status to answer a client whose request head got this result: 400,
 * 431 or 505; 0 for HTTP_OK and HTTP_NEED_MORE. */
int http_result_status(enum http_result result);

void http_head_init(struct http_head *head, struct http_field *fields, size_t max_fields,
		    size_t max_head);

/* Next complete line from head->pos, without its CRLF: HTTP_OK,
 * HTTP_NEED_MORE, HTTP_HEAD_TOO_LARGE or HTTP_BARE_LF. A bare CR stays in
 * the line, where every line rule rejects it as a CTL. */
enum http_result http_head_line(struct http_head *head, const char *buf, size_t len,
				struct http_span *line);

/* Parse one field line into the index and apply the framing and
 * Connection rules both heads share. *field is the new entry. */
enum http_result http_head_field(struct http_head *head, const char *buf, struct http_span line,
				 struct http_field **field);

/* After the empty line: flag the fields the Connection options name. */
void http_head_finish(struct http_head *head, const char *buf);

enum http_field_id http_field_lookup(const char *name, size_t len);

/* Next non-empty element of a comma-separated list (RFC 9110 5.6.1) from
 * *pos, OWS trimmed: its length, or 0 at the end of the list. */
size_t http_list_next(const char *list, size_t len, size_t *pos, const char **elem);

bool http_is_token(const char *s, size_t len);
bool http_case_eq(const char *a, size_t alen, const char *b);

/* uri-host [":" port] (RFC 9110 7.2, RFC 3986 3.2.2); empty is allowed. */
bool http_host_valid(const char *s, size_t len);

/* Content-Length = 1*DIGIT, at most 2^62 (RFC 9110 8.6). */
enum http_result http_content_length(const char *s, size_t len, uint64_t *value);

/* Character classes of RFC 9110 5.6.2 (tchar), 5.5 (field-vchar with
 * obs-text) and RFC 3986 (request-target, reg-name). */
enum http_class {
	HTTP_C_TCHAR = 1 << 0,
	HTTP_C_FIELD = 1 << 1,	 /* field-vchar / obs-text, not SP or HTAB */
	HTTP_C_TARGET = 1 << 2,	 /* request-target bytes but "%" (see http.c) */
	HTTP_C_REGNAME = 1 << 3, /* unreserved / sub-delims */
	HTTP_C_HEX = 1 << 4,
	HTTP_C_DIGIT = 1 << 5,
};

extern const uint8_t http_class[256];

static inline bool http_is(unsigned char c, enum http_class class)
{
	return http_class[c] & class;
}

#endif
