/* The server name a TLS client asks for, read from the first bytes of its
 * stream (RFC 8446 4.1.2, RFC 6066 3) so that passthrough mode can pick the
 * device without terminating TLS. Strict, bounded, and it never copies
 * more than the name. */
#ifndef TETHER_PROXY_SNI_H
#define TETHER_PROXY_SNI_H

#include <stddef.h>
#include <stdint.h>

enum sni_result {
	SNI_OK = 0,    /* name holds the server name */
	SNI_NEED_MORE, /* call again with at least *need bytes */
	SNI_NO_SNI,    /* a valid ClientHello without server_name */
	/* records (RFC 8446 5.1) */
	SNI_NOT_HANDSHAKE,	/* first record not a handshake: not TLS */
	SNI_BAD_RECORD_VERSION, /* legacy_record_version not 0x0301..0x0303 */
	SNI_BAD_RECORD_LENGTH,	/* record length 0 or above 2^14 */
	SNI_INTERLEAVED,	/* another record type inside the ClientHello */
	SNI_TOO_MANY_RECORDS,	/* ClientHello spread over more than SNI_RECORDS_MAX */
	/* handshake (RFC 8446 4, 4.1.2) */
	SNI_NOT_CLIENT_HELLO,  /* first handshake message not a ClientHello */
	SNI_TOO_LARGE,	       /* ClientHello longer than SNI_HELLO_MAX */
	SNI_BAD_HELLO_LENGTH,  /* too short for version and random */
	SNI_BAD_VERSION,       /* legacy_version not 0x0301..0x0303 */
	SNI_BAD_SESSION_ID,    /* longer than 32 or past the end */
	SNI_BAD_CIPHER_SUITES, /* odd, empty or past the end */
	SNI_BAD_COMPRESSION,   /* empty or past the end */
	SNI_BAD_EXTENSIONS,    /* block length not the rest of the hello, or an
				* extension past the block */
	/* server_name (RFC 6066 3) */
	SNI_DUPLICATE_SNI,   /* two server_name extensions (RFC 8446 4.2) */
	SNI_BAD_SERVER_NAME, /* list not exactly one host_name entry */
	SNI_BAD_HOST_NAME,   /* not a DNS name, or above SNI_NAME_MAX */
	SNI_RESULT_COUNT,
};

enum sni_limit {
	SNI_NAME_MAX = 255,
	SNI_HELLO_MAX = 16384, /* whole handshake message, header included */
	SNI_RECORDS_MAX = 8,
	SNI_BYTES_MAX = SNI_HELLO_MAX + 5 * SNI_RECORDS_MAX, /* most *need can be */
};

const char *sni_result_str(enum sni_result result);

/* Parse the stream's first len bytes. Stateless: call again from the
 * start with more bytes after SNI_NEED_MORE (*need is then the total the
 * buffer must hold to get further, at most SNI_BYTES_MAX). */
enum sni_result sni_parse(const uint8_t *buf, size_t len, char name[SNI_NAME_MAX + 1],
			  size_t *need);

#endif
