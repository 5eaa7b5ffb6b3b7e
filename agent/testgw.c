/* tether-agent-testgw: a minimal concentrator for the agent's network
 * tests (tests/netns/agent_*.sh), built from proto/ like tetherd, so the
 * agent can be tested end to end before and besides tetherd. One device,
 * one TUN, no registry: it answers message 1 as told (OK, REJECTED,
 * RETRY_LATER, a cookie first, or nothing), checks an enrollment token,
 * drops stale TIMESTAMPs, roams to the latest source and forwards between
 * its TUN and the session. Each event is one line on stdout for the test
 * to read: "init ts=@... name=... token=yes|no from=IP:PORT", "ok", ... */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/endpoint.h"
#include "agent/stamp.h"
#include "common/conf.h"
#include "common/evloop.h"
#include "common/keyfile.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/tun.h"
#include "proto/data.h"
#include "proto/handshake.h"
#include "proto/inner.h"
#include "proto/mac.h"
#include "proto/session.h"
#include "proto/tai64n.h"

enum mode { M_OK, M_REJECT, M_RETRY, M_COOKIE, M_SILENT };

static const char usage[] =
	"usage: tether-agent-testgw -l ADDR:PORT -k KEYFILE -a DEVICE4 -g GATEWAY4 [-A DEVICE6 -G "
	"GATEWAY6]\n"
	"       [-i IFNAME]\n"
	"       [-m MTU] [-K KEEPALIVE] [-u URL] [-t TOKEN] [-M ok|reject|retry|cookie|silent]\n";

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint8_t buf[WIRE_DATA_OFF_PAYLOAD + WIRE_MTU_MAX + 64];

int main(int argc, char **argv)
{
	const char *listen = NULL, *keyfile = NULL, *dev4 = NULL, *gw4 = NULL, *ifname = NULL;
	const char *url = NULL, *token = NULL, *dev6 = NULL, *gw6 = NULL;
	unsigned mtu = WIRE_MTU_DEFAULT, keepalive = 25;
	enum mode mode = M_OK;
	struct handshake_identity id;
	struct mac_checker checker;
	struct session_peer sessions;
	struct conf_addr laddr;
	struct sockaddr_storage peer;
	socklen_t peer_len = 0;
	uint8_t priv[WIRE_KEY_LEN], last_ts[WIRE_TAI64N_LEN] = {0}, pinned[WIRE_KEY_LEN] = {0};
	struct nl_tun tun = {.fd = -1};
	struct nl_sock *nl = NULL;
	char err[512];
	int opt, fd;

	while ((opt = getopt(argc, argv, "l:k:a:g:A:G:i:m:K:u:t:M:h")) != -1) {
		switch (opt) {
		case 'l':
			listen = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'a':
			dev4 = optarg;
			break;
		case 'g':
			gw4 = optarg;
			break;
		case 'A':
			dev6 = optarg;
			break;
		case 'G':
			gw6 = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			mtu = (unsigned)atoi(optarg);
			break;
		case 'K':
			keepalive = (unsigned)atoi(optarg);
			break;
		case 'u':
			url = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'M':
			mode = !strcmp(optarg, "reject")   ? M_REJECT
			       : !strcmp(optarg, "retry")  ? M_RETRY
			       : !strcmp(optarg, "cookie") ? M_COOKIE
			       : !strcmp(optarg, "silent") ? M_SILENT
							   : M_OK;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!listen || !keyfile || !dev4 || !gw4 || sodium_init() < 0) {
		fputs(usage, stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (conf_parse_addr(listen, &laddr, err, sizeof(err)) ||
	    keyfile_read(keyfile, priv, err, sizeof(err))) {
		fprintf(stderr, "testgw: %s\n", err);
		return 1;
	}
	if (handshake_identity_init(&id, priv) != PROTO_OK)
		return 1;
	mac_checker_init(&checker, id.public_key);
	session_init(&sessions);
	fd = socket(laddr.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&laddr.ss, laddr.len)) {
		perror("testgw: bind");
		return 1;
	}
	if (ifname) {
		struct nl_addr a;

		nl = nl_sock_create();
		if (!nl || nl_tun_open_name(nl, ifname, 0, &tun) ||
		    nl_addr_parse_p2p(&a, gw4, dev4) || nl_addr_add(nl, tun.ifindex, &a) ||
		    nl_link_set_mtu(nl, tun.ifindex, mtu) || nl_link_set_up(nl, tun.ifindex)) {
			fprintf(stderr, "testgw: cannot set up %s\n", ifname);
			return 1;
		}
	}
	printf("listening\n");
	while (!stop) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = tun.fd, .events = POLLIN}};
		uint64_t now = evloop_now();

		if (poll(p, tun.fd >= 0 ? 2 : 1, 500) <= 0)
			continue;
		if (p[1].revents & POLLIN) {
			ssize_t n = read(tun.fd, buf + WIRE_DATA_OFF_PAYLOAD,
					 sizeof(buf) - WIRE_DATA_OFF_PAYLOAD - 32);
			struct session_tx tx;

			if (n > 0 && peer_len &&
			    session_encrypt(&sessions, buf, sizeof(buf), (size_t)n, mtu, now,
					    &tx) == PROTO_OK &&
			    sendto(fd, buf, tx.len, 0, (struct sockaddr *)&peer, peer_len) < 0)
				perror("testgw: sendto");
		}
		if (p[0].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n =
				recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			char where[ENDPOINT_STR_MAX], ts[STAMP_TEXT_LEN + 1];

			if (n <= 0)
				continue;
			endpoint_format(&from, where, sizeof(where));
			if (buf[0] == WIRE_TYPE_INITIATION) {
				struct handshake hs;
				struct tlv_msg1 m1;
				struct tlv_msg2 m2 = {0};
				struct session_keys keys;
				struct mac_source src;
				uint8_t out[WIRE_RESP_MAX_LEN];
				size_t len;
				bool fresh;

				if (handshake_initiation_check(&id, buf, (size_t)n) != PROTO_OK) {
					printf("bad-init from=%s\n", where);
					continue;
				}
				mac_source_from_sockaddr(&src, &from);
				if (mode == M_COOKIE &&
				    mac_checker_check_mac2(&checker, now, &src, buf, (size_t)n) !=
					    PROTO_OK) {
					uint8_t c[WIRE_COOKIE_LEN];

					mac_checker_reply(&checker, now, &src, buf, (size_t)n, NULL,
							  c);
					sendto(fd, c, sizeof(c), 0, (struct sockaddr *)&from, flen);
					printf("cookie from=%s\n", where);
					continue;
				}
				if (handshake_initiation_consume(&hs, &id, buf, (size_t)n, NULL,
								 NULL, &m1) != PROTO_OK) {
					printf("bad-init from=%s\n", where);
					continue;
				}
				stamp_format(ts, m1.timestamp);
				fresh = tai64n_compare(m1.timestamp, last_ts) > 0;
				printf("init ts=%s name=%s token=%s agent=%s from=%s%s\n", ts,
				       m1.name, m1.token_len ? "yes" : "no", m1.agent, where,
				       fresh ? "" : " stale");
				if (!fresh || mode == M_SILENT)
					continue;
				memcpy(last_ts, m1.timestamp, sizeof(last_ts));
				m2.status = WIRE_STATUS_OK;
				if (mode == M_REJECT)
					m2.status = WIRE_STATUS_REJECTED;
				else if (mode == M_RETRY)
					m2.status = WIRE_STATUS_RETRY_LATER;
				else if (!sodium_is_zero(pinned, sizeof(pinned)) &&
					 memcmp(pinned, hs.remote_static, sizeof(pinned)))
					m2.status = WIRE_STATUS_REJECTED;
				else if (sodium_is_zero(pinned, sizeof(pinned)) && token &&
					 (m1.token_len != strlen(token) ||
					  memcmp(m1.token, token, m1.token_len)))
					m2.status = WIRE_STATUS_REJECTED;
				if (m2.status == WIRE_STATUS_OK) {
					inet_pton(AF_INET, dev4, m2.addr4);
					inet_pton(AF_INET, gw4, m2.peer4);
					m2.mtu = (uint16_t)mtu;
					m2.keepalive = (uint16_t)keepalive;
					if (dev6 && gw6) {
						m2.has_addr6 = m2.has_peer6 = true;
						inet_pton(AF_INET6, dev6, m2.addr6);
						inet_pton(AF_INET6, gw6, m2.peer6);
					}
					if (url) {
						m2.url_len = strlen(url);
						memcpy(m2.url, url, m2.url_len);
					}
				}
				if (handshake_response_create(&hs, 0, &m2, NULL, out, sizeof(out),
							      &len, &keys) != PROTO_OK)
					continue;
				if (m2.status == WIRE_STATUS_OK) {
					memcpy(pinned, hs.remote_static, sizeof(pinned));
					session_install(&sessions, &keys, SESSION_RESPONDER, now,
							NULL);
					memcpy(&peer, &from, flen);
					peer_len = flen;
				}
				sendto(fd, out, len, 0, (struct sockaddr *)&from, flen);
				printf("%s\n", m2.status == WIRE_STATUS_OK	   ? "ok"
					       : m2.status == WIRE_STATUS_REJECTED ? "rejected"
										   : "retry-later");
				handshake_clear(&hs);
				tlv_msg1_clear(&m1);
			} else if (buf[0] == WIRE_TYPE_DATA) {
				struct data_header hdr;
				struct session_rx rx;
				uint8_t *plain = buf + WIRE_DATA_OFF_PAYLOAD;

				if (data_parse(buf, (size_t)n, &hdr) != PROTO_OK ||
				    session_decrypt(&sessions, &hdr, buf, (size_t)n, plain,
						    (size_t)n - WIRE_DATA_OFF_PAYLOAD, now,
						    &rx) != PROTO_OK)
					continue;
				if (rx.confirmed)
					printf("confirmed from=%s\n", where);
				if (peer_len != flen || memcmp(&peer, &from, flen)) {
					printf("roamed from=%s\n", where);
					memcpy(&peer, &from, flen);
					peer_len = flen;
				}
				if (!rx.len) {
					printf("keepalive from=%s\n", where);
				} else if (tun.fd >= 0) {
					struct inner_packet pkt;

					if (inner_parse(plain, rx.len, &pkt) == PROTO_OK &&
					    write(tun.fd, pkt.data, pkt.len) < 0)
						perror("testgw: tun write");
				}
			}
		}
	}
	session_clear(&sessions, NULL);
	handshake_identity_clear(&id);
	sodium_memzero(priv, sizeof(priv));
	if (tun.fd >= 0)
		nl_tun_close(&tun);
	if (nl)
		nl_sock_free(nl);
	close(fd);
	return 0;
}
