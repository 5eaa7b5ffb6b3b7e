/* OpenSSL behind a small non-blocking interface. Errors from OpenSSL's
 * queue are cleared after each call so one connection's failure never
 * shows up in another's. */
#include "concentrator/proxy/tls.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static void ssl_err(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char reason[160] = "unknown reason";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(err, errlen, "%s: %s: %s", file, what, reason);
	ERR_clear_error();
}

/* SNI: must be <name>.<domain> when present; anything else ends the
 * handshake with unrecognized_name (RFC 6066 3), before any certificate
 * goes out. */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct tls_server *t = arg;
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	char name[HOST_DEVICE_NAME_MAX + 1];

	if (!sni)
		return SSL_TLSEXT_ERR_OK;
	if (host_device(sni, strlen(sni), t->domain, name) != HOST_DEVICE) {
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* Only HTTP/1.1 is spoken: pick it when offered, else no ALPN at all. */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char http11[] = "http/1.1";
	unsigned int i = 0;

	(void)ssl, (void)arg;
	while (i < inlen) {
		unsigned int n = in[i];

		if (i + 1 + n > inlen)
			break;
		if (n == 8 && !memcmp(in + i + 1, http11, 8)) {
			*out = in + i + 1;
			*outlen = 8;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

int tls_server_init(struct tls_server *t, const char *cert, const char *key, const char *domain,
		    char *err, size_t errlen)
{
	FILE *f;
	int ret;

	memset(t, 0, sizeof(*t));
	if (strlen(domain) >= sizeof(t->domain)) {
		snprintf(err, errlen, "domain too long");
		return -EINVAL;
	}
	strcpy(t->domain, domain);
	/* say why a file cannot be read before OpenSSL makes it vague */
	f = fopen(cert, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", cert, strerror(errno));
		return ret;
	}
	fclose(f);
	f = fopen(key, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", key, strerror(errno));
		return ret;
	}
	fclose(f);

	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx) {
		ssl_err(err, errlen, "cannot create a TLS context", cert);
		return -ENOMEM;
	}
	ret = -EINVAL;
	if (!SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(t->ctx, TLS1_3_VERSION)) {
		ssl_err(err, errlen, "cannot limit TLS versions", cert);
		goto out;
	}
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* partial writes and moving buffers: SSL_write from the relay buffer;
	 * release buffers: an idle TLS connection keeps no record buffers */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					 SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
		ssl_err(err, errlen, "not a PEM certificate chain", cert);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, "not a PEM private key", key);
		goto out;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		ssl_err(err, errlen, "the key does not match the certificate", key);
		goto out;
	}
	SSL_CTX_set_tlsext_servername_callback(t->ctx, servername_cb);
	SSL_CTX_set_tlsext_servername_arg(t->ctx, t);
	SSL_CTX_set_alpn_select_cb(t->ctx, alpn_cb, NULL);
	ret = 0;
out:
	if (ret)
		tls_server_free(t);
	return ret;
}

void tls_server_free(struct tls_server *t)
{
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
}

SSL *tls_server_new(struct tls_server *t, int fd)
{
	SSL *ssl = SSL_new(t->ctx);

	if (!ssl) {
		ERR_clear_error();
		errno = ENOMEM;
		return NULL;
	}
	if (SSL_set_fd(ssl, fd) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		errno = ENOMEM;
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

/* Map an OpenSSL result to our contract. */
static int result(SSL *ssl, int n, enum tls_want *want, int fail)
{
	int e = SSL_get_error(ssl, n);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = TLS_WANT_READ;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = TLS_WANT_WRITE;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		/* EOF without close_notify: the end of the stream all the same
		 * for HTTP, which frames its own messages */
		if (fail == -EPROTO && (errno == 0 || n == 0))
			return 0;
		return errno == EPIPE || errno == ECONNRESET ? -ECONNRESET : fail;
	default:
		ERR_clear_error();
		return fail;
	}
}

int tls_handshake(SSL *ssl, enum tls_want *want)
{
	int n;

	ERR_clear_error();
	errno = 0;
	n = SSL_do_handshake(ssl);
	if (n == 1)
		return 0;
	n = result(ssl, n, want, -EPROTO);
	return n == -EAGAIN ? n : -EPROTO;
}

int tls_read(SSL *ssl, void *buf, size_t len, enum tls_want *want)
{
	int n;

	if (len > INT32_MAX)
		len = INT32_MAX;
	ERR_clear_error();
	errno = 0;
	n = SSL_read(ssl, buf, (int)len);
	if (n > 0)
		return n;
	return result(ssl, n, want, -EPROTO);
}

int tls_write(SSL *ssl, const void *buf, size_t len, enum tls_want *want)
{
	int n;

	if (len > INT32_MAX)
		len = INT32_MAX;
	ERR_clear_error();
	errno = 0;
	n = SSL_write(ssl, buf, (int)len);
	if (n > 0)
		return n;
	n = result(ssl, n, want, -EPIPE);
	return n == 0 ? -EPIPE : n;
}

void tls_shutdown(SSL *ssl)
{
	ERR_clear_error();
	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	ERR_clear_error();
}

int tls_sni_device(SSL *ssl, const char *domain, char name[HOST_DEVICE_NAME_MAX + 1])
{
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (!sni)
		return 0;
	return host_device(sni, strlen(sni), domain, name) == HOST_DEVICE ? 1 : -EINVAL;
}
