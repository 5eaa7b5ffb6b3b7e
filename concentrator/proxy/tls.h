/* TLS termination for the https listener with OpenSSL: one server context
 * with the wildcard certificate (TLS 1.2 and 1.3 only), non-blocking
 * handshakes, reads and writes that say which way they are waiting. The
 * SNI is only checked (it must be <name>.<domain>, or absent); the Host of
 * each request routes. */
#ifndef TETHER_PROXY_TLS_H
#define TETHER_PROXY_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "concentrator/proxy/host.h"

struct tls_server {
	SSL_CTX *ctx;
	char domain[256];
};

/* What a -EAGAIN from the functions below waits for. */
enum tls_want {
	TLS_WANT_READ = 1,
	TLS_WANT_WRITE = 2,
};

/* Load cert (PEM chain) and key; the key is read now, so call it before
 * dropping privileges. Returns 0 or -errno (-EINVAL: a file that OpenSSL
 * rejects, -ENOENT/-EACCES: cannot read it), err naming the file. */
int tls_server_init(struct tls_server *t, const char *cert, const char *key, const char *domain,
		    char *err, size_t errlen);
void tls_server_free(struct tls_server *t);

/* A server-side SSL on fd, or NULL (errno ENOMEM). */
SSL *tls_server_new(struct tls_server *t, int fd);

/* Returns 0 when the handshake is done, -EAGAIN with *want set, or
 * -EPROTO when it failed (bad client, refused SNI, EOF). */
int tls_handshake(SSL *ssl, enum tls_want *want);

/* n > 0 bytes, 0 at the end of the stream (close_notify or EOF), -EAGAIN
 * with *want set, or -EPROTO / -ECONNRESET. */
int tls_read(SSL *ssl, void *buf, size_t len, enum tls_want *want);
/* n > 0 bytes written (a partial write is fine), -EAGAIN with *want set,
 * or -EPIPE. Repeat a write that returned -EAGAIN with the same bytes
 * (more may follow them). */
int tls_write(SSL *ssl, const void *buf, size_t len, enum tls_want *want);

/* Send close_notify once, without waiting for the peer's. */
void tls_shutdown(SSL *ssl);

/* The device name the client's SNI asked for: 1 with name set, 0 if it
 * sent no SNI, -EINVAL if it is not <name>.<domain> (the handshake refuses
 * those, so this does not happen). */
int tls_sni_device(SSL *ssl, const char *domain, char name[HOST_DEVICE_NAME_MAX + 1]);

#endif
