/* The chunked coding (RFC 9112 7.1) one byte at a time, except chunk-data,
 * which is skipped whole. Strict where parsers disagree in the wild (bare
 * LF, junk after the size, overlong sizes) since those disagreements are
 * what request smuggling is made of. */
#include <string.h>

#include "concentrator/proxy/chunked.h"

enum {
	S_SIZE_START = 0, /* first hex digit of chunk-size */
	S_SIZE,		  /* more digits, ";", BWS or CR */
	S_EXT_BWS,	  /* BWS after the size: only ";" may follow */
	S_EXT,		  /* chunk-ext up to CR */
	S_SIZE_LF,
	S_DATA,
	S_DATA_CR,
	S_DATA_LF,
	S_TRAILER_START, /* a trailer field line, or the final CRLF */
	S_TRAILER_NAME,
	S_TRAILER_VALUE,
	S_TRAILER_LF,
	S_FINAL_LF,
	S_DONE,
	S_ERROR,
};

void chunked_init(struct chunked *c)
{
	memset(c, 0, sizeof(*c));
}

uint64_t chunked_data_left(const struct chunked *c)
{
	return c->state == S_DATA ? c->left : 0;
}

void chunked_skip(struct chunked *c, uint64_t n)
{
	if (c->state != S_DATA || n > c->left)
		return;
	c->left -= n;
	c->data += n;
	if (!c->left)
		c->state = S_DATA_CR;
}

static unsigned hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return (unsigned)(ch - '0');
	return (unsigned)((ch | 0x20) - 'a' + 10);
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Keep the start of a trailer name: enough to know a field by name; a
 * longer name counts as HTTP_KNOWN_NAME_MAX + 1 and is no known field. */
static void name_byte(struct chunked *c, char ch)
{
	if (c->name_len < HTTP_KNOWN_NAME_MAX)
		c->name[c->name_len] = ch;
	if (c->name_len <= HTTP_KNOWN_NAME_MAX)
		c->name_len++;
}

/* One byte outside chunk-data: the next state, or S_ERROR with *err. */
static int step(struct chunked *c, char ch, enum http_result *err)
{
	switch (c->state) {
	case S_SIZE_START:
		if (!http_is(ch, HTTP_C_HEX))
			goto bad_size;
		c->size = hex(ch);
		c->digits = 1;
		return S_SIZE;
	case S_SIZE:
		if (http_is(ch, HTTP_C_HEX)) {
			/* 15 digits stay below 2^60: no overflow to check */
			if (++c->digits > HTTP_CHUNK_DIGITS_MAX)
				goto overflow;
			c->size = c->size << 4 | hex(ch);
			return S_SIZE;
		}
		if (ch == '\r')
			return S_SIZE_LF;
		/* the extension bound counts from here, ";" or BWS included */
		c->ext = 1;
		if (ch == ';')
			return S_EXT;
		if (is_ows(ch))
			return S_EXT_BWS;
		goto bad_size;
	case S_EXT_BWS:
		/* chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ) */
		if (++c->ext > HTTP_CHUNK_EXT_MAX)
			goto ext_too_long;
		if (ch == ';')
			return S_EXT;
		if (is_ows(ch))
			return S_EXT_BWS;
		goto bad_ext;
	case S_EXT:
		/* names, values and quoted-strings hold no CTL, so the first
		 * CR ends the line and must be followed by LF */
		if (ch == '\r')
			return S_SIZE_LF;
		if (++c->ext > HTTP_CHUNK_EXT_MAX)
			goto ext_too_long;
		if (http_is(ch, HTTP_C_FIELD) || is_ows(ch))
			return S_EXT;
		goto bad_ext;
	case S_SIZE_LF:
		if (ch != '\n')
			goto bad_crlf;
		if (!c->size)
			return S_TRAILER_START; /* last-chunk */
		c->left = c->size;
		return S_DATA;
	case S_DATA_CR:
		if (ch != '\r')
			goto bad_crlf;
		return S_DATA_LF;
	case S_DATA_LF:
		if (ch != '\n')
			goto bad_crlf;
		return S_SIZE_START;
	}

	/* trailer-section = *( field-line CRLF ) CRLF, bounded as a whole */
	if (++c->trailer > HTTP_TRAILER_MAX) {
		*err = HTTP_TRAILER_TOO_LARGE;
		return S_ERROR;
	}
	switch (c->state) {
	case S_TRAILER_START:
		if (ch == '\r')
			return S_FINAL_LF;
		if (!http_is(ch, HTTP_C_TCHAR))
			goto bad_trailer; /* obs-fold, CTL, empty name */
		c->name_len = 0;
		name_byte(c, ch);
		return S_TRAILER_NAME;
	case S_TRAILER_NAME:
		if (http_is(ch, HTTP_C_TCHAR)) {
			name_byte(c, ch);
			return S_TRAILER_NAME;
		}
		if (ch != ':')
			goto bad_trailer;
		/* the body is relayed as it came, trailers too, so a device
		 * that merges trailers into the head would otherwise take a
		 * forged X-Forwarded-For or Content-Length from here */
		if (c->name_len <= HTTP_KNOWN_NAME_MAX &&
		    http_field_lookup(c->name, c->name_len) != HTTP_FIELD_OTHER) {
			*err = HTTP_FORBIDDEN_TRAILER;
			return S_ERROR;
		}
		return S_TRAILER_VALUE;
	case S_TRAILER_VALUE:
		if (ch == '\r')
			return S_TRAILER_LF;
		if (http_is(ch, HTTP_C_FIELD) || is_ows(ch))
			return S_TRAILER_VALUE;
		goto bad_trailer;
	case S_TRAILER_LF:
		if (ch != '\n')
			goto bad_trailer;
		return S_TRAILER_START;
	case S_FINAL_LF:
		if (ch != '\n')
			goto bad_crlf;
		return S_DONE;
	}
	/* S_DATA, S_DONE and S_ERROR never get here */

bad_size:
	*err = HTTP_CHUNK_BAD_SIZE;
	return S_ERROR;
overflow:
	*err = HTTP_CHUNK_SIZE_OVERFLOW;
	return S_ERROR;
bad_ext:
	*err = HTTP_CHUNK_BAD_EXTENSION;
	return S_ERROR;
ext_too_long:
	*err = HTTP_CHUNK_EXTENSION_TOO_LONG;
	return S_ERROR;
bad_crlf:
	*err = HTTP_CHUNK_BAD_CRLF;
	return S_ERROR;
bad_trailer:
	*err = HTTP_BAD_TRAILER;
	return S_ERROR;
}

enum http_result chunked_feed(struct chunked *c, const char *buf, size_t len, size_t *used)
{
	enum http_result err = HTTP_CHUNK_BAD_SIZE;
	size_t i = 0;

	*used = 0;
	if (c->state == S_ERROR)
		return c->result;
	if (c->state == S_DONE)
		return HTTP_OK;
	while (i < len) {
		if (c->state == S_DATA) {
			uint64_t n = len - i < c->left ? len - i : c->left;

			chunked_skip(c, n);
			i += n;
			continue;
		}
		c->state = (uint8_t)step(c, buf[i], &err);
		if (c->state == S_ERROR) {
			c->result = (uint8_t)err;
			*used = i;
			return err;
		}
		i++;
		if (c->state == S_DONE) {
			*used = i;
			return HTTP_OK;
		}
	}
	*used = len;
	return HTTP_NEED_MORE;
}
