/* meterd: the small web server that stands in for a meter's own web UI in
 * the tests and the demo. It answers GET / with a page naming the meter and
 * a few readings, GET /headers with the request head it received (so tests
 * can check forwarding headers), GET /slow with a reply after a delay, and
 * upgrades /ws to a WebSocket echo. Single process, poll(), keep-alive. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sodium.h>

enum { MAX_CONNS = 512, BUF = 16384 };

struct conn {
	int fd;
	size_t len;
	bool ws;
	char buf[BUF];
};

static const char *meter_name = "meter";
static struct conn *conns[MAX_CONNS];
static struct pollfd pfds[MAX_CONNS + 1];

static void conn_close(int i)
{
	close(conns[i]->fd);
	free(conns[i]);
	conns[i] = NULL;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd w = { .fd = fd, .events = POLLOUT };

			if (poll(&w, 1, 2000) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int reply(int fd, int status, const char *ctype, const char *body, size_t blen,
		 bool keep)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "X-Meter: %s\r\nConnection: %s\r\n\r\n",
			 status, status == 200 ? "OK" : "Not Found", ctype, blen, meter_name,
			 keep ? "keep-alive" : "close");

	if (write_all(fd, head, (size_t)n) || write_all(fd, body, blen))
		return -1;
	return 0;
}

static const char *header_value(const char *head, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;

		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			const char *end = strstr(v, "\r\n");
			size_t len;

			while (*v == ' ')
				v++;
			len = (size_t)(end - v);
			if (len >= cap)
				len = cap - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
	}
	return NULL;
}

/* SHA-1 (FIPS 180-4), only for the WebSocket handshake of this test server */
static uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_digest(const void *data, size_t len, unsigned char out[20])
{
	uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
	size_t total = ((len + 8) / 64 + 1) * 64;
	unsigned char *m = calloc(1, total);

	memcpy(m, data, len);
	m[len] = 0x80;
	for (int i = 0; i < 8; i++)
		m[total - 1 - i] = (unsigned char)(((uint64_t)len * 8) >> (8 * i));
	for (size_t off = 0; off < total; off += 64) {
		uint32_t w[80], a, b, c, d, e;

		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 |
			       (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
		for (int i = 16; i < 80; i++)
			w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
		a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
		for (int i = 0; i < 80; i++) {
			uint32_t f, k, t;

			if (i < 20)
				f = (b & c) | (~b & d), k = 0x5A827999;
			else if (i < 40)
				f = b ^ c ^ d, k = 0x6ED9EBA1;
			else if (i < 60)
				f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
			else
				f = b ^ c ^ d, k = 0xCA62C1D6;
			t = rol(a, 5) + f + e + k + w[i];
			e = d, d = c, c = rol(b, 30), b = a, a = t;
		}
		h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
	}
	free(m);
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

static int ws_accept(struct conn *c, const char *head)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char key[128], cat[256], acc[64], resp[256];
	unsigned char d[20];

	if (!header_value(head, "Sec-WebSocket-Key", key, sizeof(key)))
		return -1;
	snprintf(cat, sizeof(cat), "%s%s", key, guid);
	sha1_digest(cat, strlen(cat), d);
	sodium_bin2base64(acc, sizeof(acc), d, sizeof(d), sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			 acc);
	c->ws = true;
	return write_all(c->fd, resp, (size_t)n);
}

/* Echo complete WebSocket frames back unmasked (RFC 6455 5.2); close on
 * a close frame. Returns bytes consumed, 0 if incomplete, -1 to close. */
static ssize_t ws_echo(struct conn *c)
{
	unsigned char *p = (unsigned char *)c->buf;
	size_t need = 2, plen;
	unsigned char out[BUF + 16];
	size_t hl;

	if (c->len < 2)
		return 0;
	plen = p[1] & 0x7f;
	if (plen == 126) {
		need = 4;
		if (c->len < need)
			return 0;
		plen = (size_t)p[2] << 8 | p[3];
	} else if (plen == 127) {
		return -1;
	}
	bool masked = p[1] & 0x80;
	size_t hdr = need + (masked ? 4 : 0);
	if (plen > BUF - hdr)
		return -1;
	if (c->len < hdr + plen)
		return 0;
	if ((p[0] & 0x0f) == 0x8)
		return -1;
	out[0] = p[0];
	if (plen < 126) {
		out[1] = (unsigned char)plen;
		hl = 2;
	} else {
		out[1] = 126;
		out[2] = (unsigned char)(plen >> 8);
		out[3] = (unsigned char)plen;
		hl = 4;
	}
	for (size_t i = 0; i < plen; i++)
		out[hl + i] = p[hdr + i] ^ (masked ? p[need + (i & 3)] : 0);
	if (write_all(c->fd, out, hl + plen))
		return -1;
	return (ssize_t)(hdr + plen);
}

/* Serve every complete request in the buffer; -1 closes the connection. */
static int serve(struct conn *c)
{
	for (;;) {
		if (c->ws) {
			ssize_t used = ws_echo(c);

			if (used <= 0)
				return (int)used;
			memmove(c->buf, c->buf + used, c->len - (size_t)used);
			c->len -= (size_t)used;
			continue;
		}
		c->buf[c->len] = '\0';
		char *end = strstr(c->buf, "\r\n\r\n");
		if (!end)
			return c->len >= BUF - 1 ? -1 : 0;
		size_t hlen = (size_t)(end - c->buf) + 4;
		char head[BUF], val[256], path[1024] = "/", body[BUF];
		memcpy(head, c->buf, hlen);
		head[hlen] = '\0';
		size_t clen = 0;
		if (header_value(head, "Content-Length", val, sizeof(val)))
			clen = strtoul(val, NULL, 10);
		if (clen > BUF - 1 - hlen)
			return -1;
		if (c->len < hlen + clen)
			return 0;
		sscanf(head, "%*s %1023s", path);
		bool keep = !(header_value(head, "Connection", val, sizeof(val)) &&
			      strcasecmp(val, "close") == 0) &&
			    !strstr(head, "HTTP/1.0");
		int n;

		if (strcmp(path, "/ws") == 0) {
			if (ws_accept(c, head))
				return -1;
		} else if (strcmp(path, "/headers") == 0) {
			if (reply(c->fd, 200, "text/plain", head, hlen, keep))
				return -1;
		} else if (strcmp(path, "/slow") == 0) {
			sleep(3);
			if (reply(c->fd, 200, "text/plain", "slow\n", 5, keep))
				return -1;
		} else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
			time_t now = time(NULL);
			unsigned h = 0;

			for (const char *s = meter_name; *s; s++)
				h = h * 31 + (unsigned char)*s;
			n = snprintf(body, sizeof(body),
				     "<!doctype html><title>%s</title><h1>meter %s</h1>\n"
				     "<p>energy: %u.%u kWh<br>power: %u W<br>voltage: 23%u V</p>\n"
				     "<p>read at %ld</p>\n",
				     meter_name, meter_name, 1000 + h % 9000 + (unsigned)(now / 60 % 100),
				     (unsigned)(now % 10), 200 + h % 2800, h % 10, (long)now);
			if (reply(c->fd, 200, "text/html", body, (size_t)n, keep))
				return -1;
		} else if (strncmp(path, "/name", 5) == 0) {
			n = snprintf(body, sizeof(body), "%s\n", meter_name);
			if (reply(c->fd, 200, "text/plain", body, (size_t)n, keep))
				return -1;
		} else {
			if (reply(c->fd, 404, "text/plain", "not found\n", 10, keep))
				return -1;
		}
		memmove(c->buf, c->buf + hlen + clen, c->len - hlen - clen);
		c->len -= hlen + clen;
		if (!keep && !c->ws)
			return -1;
	}
}

int main(int argc, char **argv)
{
	int port = 80, opt, lfd, one = 1;
	const char *bind_addr = "0.0.0.0";
	struct sockaddr_in sin = { .sin_family = AF_INET };

	while ((opt = getopt(argc, argv, "p:n:b:")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			meter_name = optarg;
			break;
		case 'b':
			bind_addr = optarg;
			break;
		default:
			fprintf(stderr, "usage: meterd [-p PORT] [-n NAME] [-b ADDR]\n");
			return 2;
		}
	}
	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, bind_addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "meterd: bad address '%s'\n", bind_addr);
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 1024)) {
		perror("meterd: listen");
		return 1;
	}
	for (;;) {
		int n = 0, map[MAX_CONNS + 1];

		pfds[n].fd = lfd;
		pfds[n].events = POLLIN;
		map[n++] = -1;
		for (int i = 0; i < MAX_CONNS; i++) {
			if (!conns[i])
				continue;
			pfds[n].fd = conns[i]->fd;
			pfds[n].events = POLLIN;
			map[n++] = i;
		}
		if (poll(pfds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("meterd: poll");
			return 1;
		}
		if (pfds[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			for (int i = 0; fd >= 0 && i < MAX_CONNS; i++) {
				if (conns[i])
					continue;
				conns[i] = calloc(1, sizeof(struct conn));
				if (!conns[i])
					break;
				conns[i]->fd = fd;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				fd = -1;
			}
			if (fd >= 0)
				close(fd);
		}
		for (int k = 1; k < n; k++) {
			int i = map[k];
			struct conn *c = conns[i];
			ssize_t r;

			if (!(pfds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(c->fd, c->buf + c->len, BUF - 1 - c->len);
			if (r <= 0) {
				conn_close(i);
				continue;
			}
			c->len += (size_t)r;
			if (serve(c) < 0)
				conn_close(i);
		}
	}
}
