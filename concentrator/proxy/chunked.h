/* Framing of a chunked message body (RFC 9112 7.1): an incremental state
 * machine that tells the proxy which bytes belong to the body, so it can
 * relay them unchanged and know where the message ends. */
#ifndef TETHER_PROXY_CHUNKED_H
#define TETHER_PROXY_CHUNKED_H

#include "concentrator/proxy/http.h"

struct chunked {
	uint8_t state;			/* private */
	uint8_t result;			/* private: sticky error */
	uint8_t digits;			/* private: chunk-size digits so far */
	uint16_t ext;			/* private: extension bytes on this line */
	uint16_t trailer;		/* private: trailer section bytes so far */
	uint8_t name_len;		/* private: trailer field name so far */
	char name[HTTP_KNOWN_NAME_MAX]; /* private: its first bytes */
	uint64_t size;			/* private: chunk-size being read */
	uint64_t left;			/* private: data bytes left in this chunk */
	uint64_t data;			/* chunk-data bytes seen, for the log */
};

void chunked_init(struct chunked *c);

/* Feed the next len bytes of the body. Returns HTTP_NEED_MORE when all of
 * them belong to the body and it goes on (*used = len); HTTP_OK when the
 * body ends, *used bytes into buf (what follows is the next message); or
 * an HTTP_CHUNK_* / HTTP_*TRAILER* error, *used at the offending byte. */
enum http_result chunked_feed(struct chunked *c, const char *buf, size_t len, size_t *used);

/* Chunk-data bytes that come next and may be relayed without being seen
 * (with splice); chunked_skip() then accounts for n <= that many. */
uint64_t chunked_data_left(const struct chunked *c);
void chunked_skip(struct chunked *c, uint64_t n);

#endif
