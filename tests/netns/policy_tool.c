/* Test helper for tests/netns/policy.sh: drives the policy library (apply, add, del, remove,
 * render) and makes the probe traffic (TCP listen/connect, ICMP ping, UDP send/count) with a
 * bounded time for each, printing one machine-readable word or number as its result. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy_file.h"

enum { MAX_DEVICES = 4096, MAX_SECONDS = 120 };

struct device_line {
	char name[POLICY_NAME_MAX + 1];
	char ifname[POLICY_IFNAME_MAX + 1];
};

static struct policy pol;
static struct policy_device devs[MAX_DEVICES];
static struct device_line names[MAX_DEVICES];

static void usage(void)
{
	fprintf(stderr,
		"usage: tether-policy-tool [--proxy-uid N] [--gateway A] [--gateway6 A]\n"
		"                          [--max-devices N] COMMAND ...\n"
		"  apply POLICY [DEVICES]        replace table inet tether\n"
		"  render POLICY [DEVICES]       print the nft script\n"
		"  add|del POLICY NAME IFNAME ADDR4 [ADDR6]\n"
		"  remove                        remove the table\n"
		"  listen ADDR PORT SECONDS      TCP: greet every client with \"ok\"\n"
		"  connect ADDR PORT MS [SRC]    prints connected|timeout|refused|unreachable\n"
		"  ping ADDR MS [SRC]            ICMP echo; prints reply|timeout\n"
		"  udp-send SRC DST PORT COUNT MS   COUNT datagrams, MS apart\n"
		"  udp-count ADDR PORT SECONDS   prints the number of datagrams received\n"
		"DEVICES: one device a line: NAME IFNAME ADDR4 [ADDR6]\n");
	exit(2);
}

static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static struct sockaddr_in addr_of(const char *a, long port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	if (inet_pton(AF_INET, a, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address '%s'\n", a);
		exit(2);
	}
	return sin;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t load_devices(const char *path)
{
	char line[256], a4[64], a6[64];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		int k;

		if (n == MAX_DEVICES) {
			fprintf(stderr, "%s: more than %d devices\n", path, MAX_DEVICES);
			exit(1);
		}
		a6[0] = '\0';
		k = sscanf(line, "%63s %15s %63s %63s", names[n].name, names[n].ifname, a4, a6);
		if (k < 3)
			continue;
		devs[n].name = names[n].name;
		devs[n].ifname = names[n].ifname;
		if (inet_pton(AF_INET, a4, &devs[n].addr4) != 1 ||
		    (k == 4 && inet_pton(AF_INET6, a6, &devs[n].addr6) != 1)) {
			fprintf(stderr, "%s: bad address in '%s'\n", path, line);
			exit(1);
		}
		devs[n].has_addr6 = k == 4;
		n++;
	}
	fclose(f);
	return n;
}

static void load_policy(const char *path)
{
	struct policy_error err;

	if (policy_file_load(&pol, path, &err)) {
		fprintf(stderr, "%s\n", err.message);
		exit(1);
	}
}

static int cmd_policy(const char *cmd, int argc, char **argv)
{
	struct policy_error err;
	struct policy_nft *nft = NULL;
	char *text = NULL;
	size_t n = 0;
	int ret;

	if (!strcmp(cmd, "remove")) {
		nft = policy_nft_create();
		if (!nft) {
			perror("policy_nft_create");
			return 1;
		}
		ret = policy_remove(nft, &err);
		goto out;
	}
	if (argc < 1)
		usage();
	load_policy(argv[0]);
	if (!strcmp(cmd, "render") || !strcmp(cmd, "apply")) {
		if (argc > 2)
			usage();
		if (argc == 2)
			n = load_devices(argv[1]);
		if (!strcmp(cmd, "render")) {
			ret = policy_render(&pol, devs, n, &text, &err);
			if (!ret)
				fputs(text, stdout);
			goto out;
		}
	} else if (!strcmp(cmd, "add") || !strcmp(cmd, "del")) {
		if (argc < 4 || argc > 5)
			usage();
		snprintf(names[0].name, sizeof(names[0].name), "%s", argv[1]);
		snprintf(names[0].ifname, sizeof(names[0].ifname), "%s", argv[2]);
		devs[0].name = argv[1];
		devs[0].ifname = argv[2];
		if (inet_pton(AF_INET, argv[3], &devs[0].addr4) != 1 ||
		    (argc == 5 && inet_pton(AF_INET6, argv[4], &devs[0].addr6) != 1))
			usage();
		devs[0].has_addr6 = argc == 5;
	} else {
		usage();
	}
	nft = policy_nft_create();
	if (!nft) {
		perror("policy_nft_create");
		return 1;
	}
	if (!strcmp(cmd, "apply"))
		ret = policy_apply(nft, &pol, devs, n, &err);
	else if (!strcmp(cmd, "add"))
		ret = policy_device_add(nft, &pol, devs[0].name, devs[0].ifname, &devs[0].addr4,
					devs[0].has_addr6 ? &devs[0].addr6 : NULL, &err);
	else
		ret = policy_device_remove(nft, &pol, devs[0].name, devs[0].ifname, &devs[0].addr4,
					   devs[0].has_addr6 ? &devs[0].addr6 : NULL, &err);
out:
	if (ret)
		fprintf(stderr, "%s (%s)\n", err.message, strerror(-ret));
	free(text);
	policy_nft_free(nft);
	return ret ? 1 : 0;
}

static int cmd_listen(int argc, char **argv)
{
	struct sockaddr_in sin;
	long long deadline;
	int fd, one = 1;

	if (argc != 3)
		usage();
	sin = addr_of(argv[0], number(argv[1], 1, 65535));
	deadline = now_ms() + number(argv[2], 1, MAX_SECONDS) * 1000;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 64)) {
		perror("listen");
		return 1;
	}
	while (now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int c;

		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (write(c, "ok\n", 3) != 3)
			perror("write");
		close(c);
	}
	close(fd);
	return 0;
}

/* Connected only counts when the server's greeting arrived: both directions work. */
static int cmd_connect(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	long long deadline;
	const char *result = "timeout";
	char buf[8];
	int fd, soerr = 0;
	socklen_t len = sizeof(soerr);

	if (argc < 3 || argc > 4)
		usage();
	sin = addr_of(argv[0], number(argv[1], 1, 65535));
	deadline = now_ms() + number(argv[2], 1, MAX_SECONDS * 1000);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (argc == 4) {
		struct sockaddr_in src = addr_of(argv[3], 0);

		if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
			perror("bind");
			close(fd);
			return 1;
		}
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS) {
		result = errno == ECONNREFUSED ? "refused" : "unreachable";
		goto out;
	}
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
		goto out;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		result = soerr == ECONNREFUSED ? "refused"
			 : soerr == ETIMEDOUT  ? "timeout"
					       : "unreachable";
		goto out;
	}
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	if (now_ms() < deadline && poll(&pfd, 1, (int)(deadline - now_ms())) > 0 &&
	    read(fd, buf, sizeof(buf)) == 3 && !memcmp(buf, "ok\n", 3))
		result = "connected";
out:
	printf("%s\n", result);
	close(fd);
	return strcmp(result, "connected") ? 1 : 0;
}

static uint16_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int cmd_ping(int argc, char **argv)
{
	struct sockaddr_in dst, src;
	struct icmphdr echo = {.type = ICMP_ECHO};
	long long deadline;
	uint16_t id = (uint16_t)getpid();
	int fd;

	if (argc < 2 || argc > 3)
		usage();
	dst = addr_of(argv[0], 0);
	deadline = now_ms() + number(argv[1], 1, MAX_SECONDS * 1000);
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (argc == 3) {
		src = addr_of(argv[2], 0);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
			perror("bind");
			return 1;
		}
	}
	echo.un.echo.id = htons(id);
	echo.un.echo.sequence = htons(1);
	echo.checksum = checksum(&echo, sizeof(echo));
	if (sendto(fd, &echo, sizeof(echo), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		printf("timeout\n");
		close(fd);
		return 1;
	}
	while (now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint8_t buf[1500];
		ssize_t got;
		size_t ihl;

		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		got = recv(fd, buf, sizeof(buf), 0);
		if (got < 20)
			continue;
		ihl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)got < ihl + sizeof(struct icmphdr))
			continue;
		struct icmphdr *h = (struct icmphdr *)(buf + ihl);

		if (h->type == ICMP_ECHOREPLY && ntohs(h->un.echo.id) == id &&
		    !memcmp(buf + 12, &dst.sin_addr, 4)) {
			printf("reply\n");
			close(fd);
			return 0;
		}
	}
	printf("timeout\n");
	close(fd);
	return 1;
}

static int cmd_udp_send(int argc, char **argv)
{
	struct sockaddr_in src, dst;
	long count, gap;
	long sent = 0;
	int fd;

	if (argc != 5)
		usage();
	src = addr_of(argv[0], 0);
	dst = addr_of(argv[1], number(argv[2], 1, 65535));
	count = number(argv[3], 1, 100000);
	gap = number(argv[4], 0, 1000);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src))) {
		perror("udp");
		return 1;
	}
	for (long i = 0; i < count; i++) {
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) == 1)
			sent++;
		if (gap)
			usleep((useconds_t)gap * 1000);
	}
	printf("%ld\n", sent);
	close(fd);
	return 0;
}

static int cmd_udp_count(int argc, char **argv)
{
	struct sockaddr_in sin;
	long long deadline;
	long count = 0;
	int fd;

	if (argc != 3)
		usage();
	sin = addr_of(argv[0], number(argv[1], 1, 65535));
	deadline = now_ms() + number(argv[2], 1, MAX_SECONDS) * 1000;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("udp");
		return 1;
	}
	while (now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char buf[64];

		if (poll(&pfd, 1, (int)(deadline - now_ms())) > 0 &&
		    recv(fd, buf, sizeof(buf), 0) > 0)
			count++;
	}
	printf("%ld\n", count);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"proxy-uid", required_argument, NULL, 'u'},
		{"gateway", required_argument, NULL, 'g'},
		{"gateway6", required_argument, NULL, '6'},
		{"max-devices", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd;
	int c;

	policy_init(&pol);
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			pol.proxy_uid = (uint32_t)number(optarg, 0, 4294967294L);
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &pol.gateway4) != 1)
				usage();
			break;
		case '6':
			if (inet_pton(AF_INET6, optarg, &pol.gateway6) != 1)
				usage();
			pol.has_gateway6 = true;
			break;
		case 'm':
			pol.max_devices = (uint32_t)number(optarg, 1, 1 << 24);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(cmd, "listen"))
		return cmd_listen(argc, argv);
	if (!strcmp(cmd, "connect"))
		return cmd_connect(argc, argv);
	if (!strcmp(cmd, "ping"))
		return cmd_ping(argc, argv);
	if (!strcmp(cmd, "udp-send"))
		return cmd_udp_send(argc, argv);
	if (!strcmp(cmd, "udp-count"))
		return cmd_udp_count(argc, argv);
	return cmd_policy(cmd, argc, argv);
}
