/* A small test initiator for tests/netns/tetherd_*.sh, built from proto/:
 * it speaks PROTOCOL.md to tetherd the way an agent does (message 1, the
 * answer, a confirming keepalive, data messages) and sends the broken
 * messages a scanner would. Every wait is bounded; each command prints
 * machine-readable words (OK ..., REJECTED, RETRY_LATER, NONE, PONG n). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/keyfile.h"
#include "proto/data.h"
#include "proto/handshake.h"
#include "proto/inner.h"
#include "proto/keys.h"
#include "proto/session.h"
#include "proto/tai64n.h"
#include "proto/tlv.h"

enum {
	BUF = 2048,
	MAX_SECONDS = 600,
	ICMP_ID = 0x7474,
};

struct init {
	int fd;
	struct sockaddr_in server;
	struct handshake_identity id;
	struct handshake_peer peer;
	struct session_peer sessions;
	struct tlv_msg2 answer;
	uint8_t cookie[WIRE_MAC_LEN];
	bool has_cookie;
	const char *name;
	const char *token;
	int wait_ms;
	uint64_t now;
};

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WIRE_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tt_initiator -s IP:PORT -k SERVER_PUBKEY -p KEYFILE -n NAME [-t TOKEN]\n"
		"                    [-w WAIT_MS] COMMAND\n"
		"  hello              one handshake: OK ADDR PEER MTU KEEPALIVE URL | REJECTED |\n"
		"                     RETRY_LATER | COOKIE | NONE\n"
		"  replay             one message 1 sent twice: the two answers\n"
		"  confirm            hello, then a keepalive on the new session\n"
		"  raw KIND           send garbage|short|badmac1|badtype|bigdata: ANSWER or NONE\n"
		"  ping [SRC] [N]     confirm, then N ICMP echoes to the gateway from SRC\n"
		"                     (default: our tunnel address): PONG n or NONE each\n"
		"  flood N            N message 1s back to back, then a handshake that takes\n"
		"                     the cookie under load: COOKIE, then OK ...\n"
		"  keepalive          confirm, then wait for the gateway's keepalive\n"
		"  roam               confirm, echo, change source port, echo: PONG|NONE twice\n"
		"  hold SECONDS       confirm, then a keepalive every second (at most %d s)\n",
		MAX_SECONDS);
	exit(2);
}

/* Wait for one datagram from the server: its length, 0 on timeout. */
static ssize_t receive(struct init *in, uint8_t *buf, size_t size, int wait_ms)
{
	struct pollfd p = {.fd = in->fd, .events = POLLIN};
	uint64_t end = mono() + (uint64_t)wait_ms * 1000000ULL;

	for (;;) {
		uint64_t now = mono();
		int r;

		if (now >= end)
			return 0;
		r = poll(&p, 1, (int)((end - now) / 1000000ULL) + 1);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0) {
			ssize_t n = recv(in->fd, buf, size, 0);

			if (n >= 0 || (errno != EAGAIN && errno != EINTR))
				return n;
		}
	}
}

static int make_msg1(struct init *in, struct handshake *hs, uint8_t *out, size_t *len)
{
	struct tlv_msg1 m1;
	struct timespec ts;
	enum proto_reason r;

	memset(&m1, 0, sizeof(m1));
	clock_gettime(CLOCK_REALTIME, &ts);
	tai64n_encode(m1.timestamp, (uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
	m1.name_len = strlen(in->name);
	if (m1.name_len > WIRE_NAME_MAX)
		m1.name_len = WIRE_NAME_MAX;
	memcpy(m1.name, in->name, m1.name_len);
	if (in->token) {
		m1.token_len = strlen(in->token);
		if (m1.token_len > WIRE_TOKEN_MAX)
			m1.token_len = WIRE_TOKEN_MAX;
		memcpy(m1.token, in->token, m1.token_len);
	}
	memcpy(m1.agent, "tt_initiator", 12);
	m1.agent_len = 12;
	r = handshake_initiation_create(hs, &in->id, &in->peer, 0, &m1,
					in->has_cookie ? in->cookie : NULL, NULL, out, BUF, len);
	tlv_msg1_clear(&m1);
	if (r != PROTO_OK) {
		fprintf(stderr, "message 1: %s\n", proto_reason_str(r));
		return -1;
	}
	return 0;
}

static int send_buf(struct init *in, const uint8_t *buf, size_t len)
{
	if (sendto(in->fd, buf, len, 0, (struct sockaddr *)&in->server, sizeof(in->server)) !=
	    (ssize_t)len) {
		perror("sendto");
		return -1;
	}
	return 0;
}

/* Read the answer to hs; print and return it as a word. */
static const char *answer(struct init *in, struct handshake *hs, bool print)
{
	uint8_t buf[BUF];
	struct session_keys keys;
	char a[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN];
	const char *word = "NONE";
	uint64_t end = mono() + (uint64_t)in->wait_ms * 1000000ULL;

	memset(&in->answer, 0, sizeof(in->answer));
	while (mono() < end) {
		ssize_t n = receive(in, buf, sizeof(buf), (int)((end - mono()) / 1000000ULL) + 1);

		if (n <= 0)
			break;
		if (buf[0] == WIRE_TYPE_COOKIE) {
			/* ours only if it answers this message 1 (index, mac1) */
			if (handshake_cookie_consume(hs, &in->peer, buf, (size_t)n, in->cookie) !=
			    PROTO_OK)
				continue;
			in->has_cookie = true;
			word = "COOKIE";
			break;
		}
		if (handshake_response_consume(hs, &in->id, buf, (size_t)n, &in->answer, &keys) !=
		    PROTO_OK)
			continue; /* not ours: a keepalive or a stale answer */
		if (in->answer.status == WIRE_STATUS_OK) {
			session_install(&in->sessions, &keys, SESSION_INITIATOR, mono(), NULL);
			word = "OK";
		} else {
			word = in->answer.status == WIRE_STATUS_REJECTED ? "REJECTED"
									 : "RETRY_LATER";
		}
		break;
	}
	if (!print)
		return word;
	if (strcmp(word, "OK") == 0)
		printf("OK %s %s %u %u %.*s\n", inet_ntop(AF_INET, in->answer.addr4, a, sizeof(a)),
		       inet_ntop(AF_INET, in->answer.peer4, p, sizeof(p)), in->answer.mtu,
		       in->answer.keepalive, (int)in->answer.url_len, in->answer.url);
	else
		printf("%s\n", word);
	fflush(stdout);
	return word;
}

static const char *hello(struct init *in, bool print)
{
	struct handshake hs;
	uint8_t msg[BUF];
	size_t len;
	const char *word = "NONE";

	if (make_msg1(in, &hs, msg, &len) || send_buf(in, msg, len))
		goto out;
	word = answer(in, &hs, print);
out:
	handshake_clear(&hs);
	return word;
}

/* A data message with len bytes of inner packet at buf + 16. */
static int send_data(struct init *in, uint8_t *buf, size_t len)
{
	struct session_tx tx;
	enum proto_reason r;

	r = session_encrypt(&in->sessions, buf, BUF, len, in->answer.mtu, mono(), &tx);
	if (r != PROTO_OK) {
		fprintf(stderr, "encrypt: %s\n", proto_reason_str(r));
		return -1;
	}
	return send_buf(in, buf, tx.len);
}

static int keepalive(struct init *in)
{
	uint8_t buf[BUF];

	return send_data(in, buf, 0);
}

static int confirm(struct init *in, bool print)
{
	if (strcmp(hello(in, print), "OK") != 0)
		return -1;
	return keepalive(in);
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An ICMP echo request from src to the gateway, 20 + 8 + 16 bytes. */
static size_t echo(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint16_t seq)
{
	size_t len = 20 + 8 + 16;
	uint16_t c;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 1; /* ICMP */
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	c = csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = 8; /* echo request */
	p[24] = ICMP_ID >> 8;
	p[25] = ICMP_ID & 0xff;
	p[26] = (uint8_t)(seq >> 8);
	p[27] = (uint8_t)seq;
	memcpy(p + 28, "tether echo 0123", 16);
	c = csum(p + 20, len - 20);
	p[22] = (uint8_t)(c >> 8);
	p[23] = (uint8_t)c;
	return len;
}

/* Wait for the echo reply with seq: true if it came. */
static bool pong(struct init *in, uint16_t seq)
{
	uint8_t buf[BUF];
	uint64_t end = mono() + (uint64_t)in->wait_ms * 1000000ULL;

	while (mono() < end) {
		struct data_header hdr;
		struct session_rx rx;
		struct inner_packet pkt;
		ssize_t n = receive(in, buf, sizeof(buf), (int)((end - mono()) / 1000000ULL) + 1);

		if (n <= 0)
			return false;
		if (data_parse(buf, (size_t)n, &hdr) != PROTO_OK)
			continue;
		if (session_decrypt(&in->sessions, &hdr, buf, (size_t)n, buf + 16, sizeof(buf) - 16,
				    mono(), &rx) != PROTO_OK ||
		    rx.len == 0)
			continue;
		if (inner_parse(buf + 16, rx.len, &pkt) != PROTO_OK || pkt.version != 4 ||
		    pkt.len < 28)
			continue;
		if (pkt.data[9] == 1 && pkt.data[20] == 0 && pkt.data[24] == (ICMP_ID >> 8) &&
		    pkt.data[25] == (ICMP_ID & 0xff) && pkt.data[26] == (uint8_t)(seq >> 8) &&
		    pkt.data[27] == (uint8_t)seq)
			return true;
	}
	return false;
}

static int cmd_ping(struct init *in, int argc, char **argv)
{
	uint8_t buf[BUF], src[4];
	int count = 1;

	if (confirm(in, false)) {
		printf("NONE\n");
		return 1;
	}
	memcpy(src, in->answer.addr4, 4);
	if (argc > 0 && strcmp(argv[0], "-") != 0 && inet_pton(AF_INET, argv[0], src) != 1)
		usage();
	if (argc > 1)
		count = atoi(argv[1]);
	if (count < 1 || count > 100)
		usage();
	for (int i = 1; i <= count; i++) {
		size_t len = echo(buf + 16, src, in->answer.peer4, (uint16_t)i);

		if (send_data(in, buf, len))
			return 1;
		if (pong(in, (uint16_t)i))
			printf("PONG %d\n", i);
		else
			printf("NONE\n");
		fflush(stdout);
	}
	return 0;
}

/* confirm, then wait for the gateway's own keepalive: it answers an agent's
 * keepalive (timers.h, concentrator keepalive). KEEPALIVE or NONE. */
static int cmd_keepalive(struct init *in)
{
	uint8_t buf[BUF];
	uint64_t end;

	if (confirm(in, false)) {
		printf("NONE\n");
		return 1;
	}
	end = mono() + (uint64_t)in->wait_ms * 1000000ULL;
	while (mono() < end) {
		struct data_header hdr;
		struct session_rx rx;
		ssize_t n = receive(in, buf, sizeof(buf), (int)((end - mono()) / 1000000ULL) + 1);

		if (n <= 0)
			break;
		if (data_parse(buf, (size_t)n, &hdr) == PROTO_OK &&
		    session_decrypt(&in->sessions, &hdr, buf, (size_t)n, buf + 16, sizeof(buf) - 16,
				    mono(), &rx) == PROTO_OK &&
		    rx.len == 0) {
			printf("KEEPALIVE\n");
			return 0;
		}
	}
	printf("NONE\n");
	return 0;
}

static int cmd_raw(struct init *in, const char *kind)
{
	struct handshake hs;
	uint8_t msg[BUF], buf[BUF];
	size_t len = 0;
	ssize_t n;

	if (make_msg1(in, &hs, msg, &len))
		return 1;
	handshake_clear(&hs);
	if (strcmp(kind, "garbage") == 0) {
		randombytes_buf(msg, 200);
		/* a message 1 header: what follows reaches the mac1 check */
		memcpy(msg, "\x01\x01\x00\x00", 4);
		len = 200;
	} else if (strcmp(kind, "short") == 0) {
		len = 100; /* a truncated message 1 */
	} else if (strcmp(kind, "badmac1") == 0) {
		msg[len - 20] ^= 0x55;
	} else if (strcmp(kind, "badtype") == 0) {
		msg[0] = 0x09;
	} else if (strcmp(kind, "bigdata") == 0) {
		memset(msg, 0, 48);
		msg[0] = WIRE_TYPE_DATA;
		randombytes_buf(msg + 4, 4);
		len = 48; /* an unknown receiver index */
	} else {
		usage();
	}
	if (send_buf(in, msg, len))
		return 1;
	n = receive(in, buf, sizeof(buf), in->wait_ms);
	printf("%s\n", n > 0 ? "ANSWER" : "NONE");
	return 0;
}

static int cmd_replay(struct init *in)
{
	struct handshake hs;
	uint8_t msg[BUF];
	size_t len;

	if (make_msg1(in, &hs, msg, &len) || send_buf(in, msg, len))
		return 1;
	answer(in, &hs, true);
	handshake_clear(&hs);
	/* the same bytes again: the TIMESTAMP is not newer, no answer (3.5) */
	if (send_buf(in, msg, len))
		return 1;
	{
		uint8_t buf[BUF];
		ssize_t n = receive(in, buf, sizeof(buf), in->wait_ms);

		printf("%s\n", n > 0 ? "ANSWER" : "NONE");
	}
	return 0;
}

/* N message 1s sent back to back (made first, so they queue up at the
 * gateway), then one handshake as an agent does it: a cookie reply under
 * load, at once a fresh message 1 with mac2, the answer (3.4). */
static int cmd_flood(struct init *in, int count)
{
	uint8_t(*msgs)[BUF];
	size_t *lens;
	const char *word;
	int ret = 1;

	if (count < 1 || count > 20000)
		usage();
	msgs = calloc((size_t)count, sizeof(*msgs));
	lens = calloc((size_t)count, sizeof(*lens));
	if (!msgs || !lens)
		goto out;
	for (int i = 0; i < count; i++) {
		struct handshake hs;

		if (make_msg1(in, &hs, msgs[i], &lens[i]))
			goto out;
		handshake_clear(&hs);
	}
	for (int i = 0; i < count; i++)
		if (send_buf(in, msgs[i], lens[i]))
			goto out;
	/* the answers to the flood are not ours: answer() skips them */
	word = hello(in, true);
	if (strcmp(word, "COOKIE") == 0)
		word = hello(in, true);
	ret = strcmp(word, "OK") == 0 ? 0 : 1;
out:
	free(msgs);
	free(lens);
	return ret;
}

/* Data from one source port, then from another on the same session: the
 * gateway answers wherever the device was last heard from (section 4). */
static int cmd_roam(struct init *in)
{
	uint8_t buf[BUF];
	int fd;

	if (confirm(in, false)) {
		printf("NONE\n");
		return 1;
	}
	for (uint16_t seq = 1; seq <= 2; seq++) {
		size_t len = echo(buf + 16, in->answer.addr4, in->answer.peer4, seq);

		if (send_data(in, buf, len))
			return 1;
		printf("%s\n", pong(in, seq) ? "PONG" : "NONE");
		fflush(stdout);
		if (seq == 2)
			break;
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		close(in->fd);
		in->fd = fd; /* a new source port: the device "moved" */
	}
	return 0;
}

static int cmd_hold(struct init *in, int seconds)
{
	uint64_t end;

	if (seconds < 1 || seconds > MAX_SECONDS)
		usage();
	if (confirm(in, true))
		return 1;
	end = mono() + (uint64_t)seconds * WIRE_NSEC_PER_SEC;
	while (mono() < end) {
		uint8_t buf[BUF];

		/* whatever comes (keepalives) is read and dropped */
		(void)receive(in, buf, sizeof(buf), 1000);
		if (keepalive(in))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct init in = {.fd = -1, .wait_ms = 1000};
	const char *server = NULL, *server_key = NULL, *keyfile = NULL;
	uint8_t priv[WIRE_KEY_LEN], spub[WIRE_KEY_LEN];
	char err[256], host[64], *colon;
	int c, ret = 1;

	while ((c = getopt(argc, argv, "s:k:p:n:t:w:")) != -1) {
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'k':
			server_key = optarg;
			break;
		case 'p':
			keyfile = optarg;
			break;
		case 'n':
			in.name = optarg;
			break;
		case 't':
			in.token = optarg;
			break;
		case 'w':
			in.wait_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!server || !server_key || !keyfile || !in.name || optind >= argc || in.wait_ms < 1 ||
	    in.wait_ms > 60000)
		usage();
	if (sodium_init() < 0)
		return 1;
	snprintf(host, sizeof(host), "%s", server);
	colon = strrchr(host, ':');
	if (!colon)
		usage();
	*colon = '\0';
	in.server.sin_family = AF_INET;
	in.server.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &in.server.sin_addr) != 1)
		usage();
	if (keys_from_base64(spub, server_key)) {
		fprintf(stderr, "bad server key\n");
		return 2;
	}
	if (keyfile_read(keyfile, priv, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (handshake_identity_init(&in.id, priv) != PROTO_OK)
		return 1;
	sodium_memzero(priv, sizeof(priv));
	handshake_peer_init(&in.peer, spub);
	session_init(&in.sessions);
	in.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (in.fd < 0)
		return 1;
	{
		/* room for the answers to a flood while it is still being sent */
		int size = 4 << 20;

		if (setsockopt(in.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			(void)setsockopt(in.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}

	argv += optind;
	argc -= optind;
	if (strcmp(argv[0], "hello") == 0) {
		hello(&in, true);
		ret = 0;
	} else if (strcmp(argv[0], "confirm") == 0) {
		ret = confirm(&in, true) ? 1 : 0;
	} else if (strcmp(argv[0], "replay") == 0) {
		ret = cmd_replay(&in);
	} else if (strcmp(argv[0], "raw") == 0 && argc == 2) {
		ret = cmd_raw(&in, argv[1]);
	} else if (strcmp(argv[0], "ping") == 0) {
		ret = cmd_ping(&in, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "flood") == 0 && argc == 2) {
		ret = cmd_flood(&in, atoi(argv[1]));
	} else if (strcmp(argv[0], "keepalive") == 0) {
		ret = cmd_keepalive(&in);
	} else if (strcmp(argv[0], "roam") == 0) {
		ret = cmd_roam(&in);
	} else if (strcmp(argv[0], "hold") == 0 && argc == 2) {
		ret = cmd_hold(&in, atoi(argv[1]));
	} else {
		usage();
	}
	session_clear(&in.sessions, NULL);
	handshake_identity_clear(&in.id);
	close(in.fd);
	return ret;
}
