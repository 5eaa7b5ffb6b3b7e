/* Per-device kernel cost on the gateway: brings N devices up the way tetherd
 * does (persistent TUN, alias, group, IPv4 p2p address, IPv6 off, up), down,
 * up again, lists them, and deletes them all by group. Run it only inside a
 * network namespace of its own: scripts/bench/kernel.sh does. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route.h"
#include "netlink/tun.h"
#include "policy/policy.h"

enum bench_ipv6 {
	IPV6_SYSCTL,  /* nl_link_set_ipv6(off): disable_ipv6 = 1, what tetherd does */
	IPV6_GENMODE, /* IFLA_INET6_ADDR_GEN_MODE none only */
	IPV6_ON,      /* left to the kernel: link-local, DAD, RS */
};

/* Where the gateway's tunnel address lives. */
enum bench_addr {
	ADDR_P2P, /* on every TUN: <gateway> peer <device>/32 (DESIGN.md) */
	ADDR_LO,  /* once on lo; each TUN only routes <device>/32, src <gateway> */
};

struct bench {
	size_t n;
	enum bench_ipv6 ipv6;
	enum bench_addr addr;
	bool batch;
	uint32_t group;
	struct nl_sock *nl;
	struct nl_tun *tuns;
	/* nftables: set elements go in one transaction per POLICY_BATCH
	 * devices, as tetherd adds the devices of one event-loop turn */
	struct policy_nft *nft;
	struct policy policy;
	char (*names)[16];
	struct policy_device pending[256];
	size_t npending;
};

enum { POLICY_BATCH = 256 };

struct meminfo {
	long free_kb, slab_kb, percpu_kb, vmalloc_kb;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int read_meminfo(struct meminfo *m)
{
	char line[256];
	long v;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -errno;
	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %ld", &v) == 1)
			m->free_kb = v;
		else if (sscanf(line, "Slab: %ld", &v) == 1)
			m->slab_kb = v;
		else if (sscanf(line, "Percpu: %ld", &v) == 1)
			m->percpu_kb = v;
		else if (sscanf(line, "VmallocUsed: %ld", &v) == 1)
			m->vmalloc_kb = v;
	}
	fclose(f);
	return 0;
}

static int policy_flush(struct bench *b)
{
	struct policy_error err;
	int ret = 0;

	if (b->npending)
		ret = policy_devices_add(b->nft, &b->policy, b->pending, b->npending, &err);
	if (ret)
		fprintf(stderr, "bench_kernel: set elements: %s\n", err.message);
	b->npending = 0;
	return ret;
}

/* The nftables part of "up": the device's anti-spoofing element
 * (`ifname . ipv4_addr`) and its access-rule elements. */
static int policy_up(struct bench *b, size_t i, const struct nl_addr *addr)
{
	struct policy_device *d = &b->pending[b->npending++];

	d->name = b->names[i];
	d->ifname = b->tuns[i].ifname;
	d->addr4 = addr->peer.v4;
	d->has_addr6 = false;
	return b->npending == POLICY_BATCH ? policy_flush(b) : 0;
}

static void device_addr(size_t i, struct nl_addr *a)
{
	uint32_t gw = ntohl(inet_addr("100.64.0.1"));

	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->prefixlen = 32;
	a->local.v4.s_addr = htonl(gw);
	a->peer.v4.s_addr = htonl(gw + 1 + (uint32_t)i);
}

static int device_down(struct bench *b, size_t i)
{
	return nl_link_set_down(b->nl, b->tuns[i].ifindex);
}

/* Up again after down. Without the address on the TUN, its route went
 * with the down and comes back by hand. */
static int device_reup(struct bench *b, size_t i)
{
	struct nl_route r = {.family = AF_INET, .dst_len = 32, .type = RTN_UNICAST};
	struct nl_addr addr;
	int ret;

	ret = nl_link_set_up(b->nl, b->tuns[i].ifindex);
	if (ret || b->addr == ADDR_P2P)
		goto out;
	device_addr(i, &addr);
	r.dst = addr.peer;
	r.ifindex = b->tuns[i].ifindex;
	ret = nl_route_add(b->nl, &r);
out:
	return ret;
}

static int device_up(struct bench *b, size_t i)
{
	struct nl_link_conf conf = {
		.set = NL_LINK_SET_MTU | NL_LINK_SET_GROUP,
		.mtu = 1420,
		.group = b->group,
	};
	struct nl_tun *tun = &b->tuns[i];
	struct nl_addr addr;
	int ret;

	snprintf(b->names[i], sizeof(b->names[i]), "bench%zu", i);
	ret = nl_tun_open(b->nl, b->names[i], NL_TUN_PERSIST, tun);
	if (ret)
		goto out;
	if (b->ipv6 == IPV6_GENMODE)
		conf.set |= NL_LINK_SET_ADDRGEN_NONE;
	if (b->ipv6 == IPV6_SYSCTL) {
		ret = nl_link_set_ipv6(tun->ifname, false);
		if (ret)
			goto out;
	}
	ret = nl_link_configure(b->nl, tun->ifindex, &conf);
	if (ret)
		goto out;
	device_addr(i, &addr);
	if (b->addr == ADDR_P2P) {
		ret = nl_addr_add(b->nl, tun->ifindex, &addr);
		if (ret)
			goto out;
	}
	ret = policy_up(b, i, &addr);
	if (ret)
		goto out;
	ret = device_reup(b, i);
out:
	return ret;
}

/* Runs `step` over every device, in batches when asked, into *ms; `marks`
 * (may be NULL) gets the time at every tenth of the devices. */
static int run(struct bench *b, const char *what, int (*step)(struct bench *, size_t), double *ms,
	       double marks[11])
{
	size_t failed = 0, tenth = b->n >= 10 ? b->n / 10 : 1;
	double t0 = now_ms();
	int ret = 0, end;

	if (b->batch) {
		ret = nl_batch_begin(b->nl);
		if (ret)
			goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		ret = step(b, i);
		if (ret) {
			failed = i;
			break;
		}
		if (marks && (i + 1) % tenth == 0 && (i + 1) / tenth <= 10)
			marks[(i + 1) / tenth] = now_ms() - t0;
	}
	if (b->batch) {
		end = nl_batch_end(b->nl, &failed);
		if (!ret)
			ret = end;
	}
out:
	*ms = now_ms() - t0;
	if (ret)
		fprintf(stderr, "bench_kernel: %s failed near request %zu: %s\n", what, failed,
			strerror(-ret));
	return ret;
}

/* lo is ifindex 1 in every namespace */
static int gateway_on_lo(struct nl_sock *nl, bool on)
{
	struct nl_addr a;
	int ret;

	ret = nl_addr_parse_p2p(&a, "100.64.0.1", "100.64.0.1");
	if (!ret && on)
		ret = nl_addr_add(nl, 1, &a);
	if (!ret && on)
		ret = nl_link_set_up(nl, 1);
	if (!ret && !on)
		ret = nl_addr_del(nl, 1, &a);
	if (ret)
		fprintf(stderr, "bench_kernel: gateway address on lo: %s\n", strerror(-ret));
	return ret;
}

static int raise_nofile(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= n + 64)
		return 0;
	rl.rlim_cur = n + 64;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_kernel -n N [-6 sysctl|genmode|on] [-a p2p|lo] [-s] [-g GROUP]\n"
		"  -6  how IPv6 is turned off (default sysctl)\n"
		"  -a  gateway address on each TUN (p2p, default) or once on lo\n"
		"  -s  one request at a time instead of batches\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = {.ipv6 = IPV6_SYSCTL, .addr = ADDR_P2P, .batch = true, .group = 4242};
	struct meminfo m0, m1;
	struct nl_link_list list = {0};
	struct policy_error perr;
	double up, down, reup, dump, closing, teardown, t0, marks[11] = {0};
	int c, ret = 1;

	while ((c = getopt(argc, argv, "n:6:a:sg:")) != -1) {
		switch (c) {
		case 'n':
			b.n = strtoul(optarg, NULL, 10);
			break;
		case '6':
			if (!strcmp(optarg, "genmode"))
				b.ipv6 = IPV6_GENMODE;
			else if (!strcmp(optarg, "sysctl"))
				b.ipv6 = IPV6_SYSCTL;
			else if (!strcmp(optarg, "on"))
				b.ipv6 = IPV6_ON;
			else
				usage();
			break;
		case 'a':
			if (!strcmp(optarg, "p2p"))
				b.addr = ADDR_P2P;
			else if (!strcmp(optarg, "lo"))
				b.addr = ADDR_LO;
			else
				usage();
			break;
		case 's':
			b.batch = false;
			break;
		case 'g':
			b.group = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (b.n == 0 || b.n > 60000 || b.group == 0)
		usage();
	if (raise_nofile(b.n) < 0) {
		fprintf(stderr, "bench_kernel: cannot open %zu files\n", b.n);
		goto out;
	}
	b.tuns = calloc(b.n, sizeof(*b.tuns));
	b.nl = nl_sock_create();
	if (!b.tuns || !b.nl) {
		perror("bench_kernel");
		goto out;
	}
	for (size_t i = 0; i < b.n; i++)
		b.tuns[i].fd = -1;

	b.names = calloc(b.n, sizeof(*b.names));
	b.nft = policy_nft_create();
	if (!b.names || !b.nft) {
		perror("bench_kernel");
		goto out;
	}
	policy_init(&b.policy);
	b.policy.proxy_uid = 65534;
	b.policy.gateway4.s_addr = inet_addr("100.64.0.1");
	b.policy.max_devices = (uint32_t)b.n + 16;
	if (policy_apply(b.nft, &b.policy, NULL, 0, &perr)) {
		fprintf(stderr, "bench_kernel: ruleset: %s\n", perr.message);
		goto out;
	}

	if (b.addr == ADDR_LO && gateway_on_lo(b.nl, true))
		goto out;
	if (read_meminfo(&m0) || run(&b, "up", device_up, &up, marks))
		goto out;
	t0 = now_ms();
	if (policy_flush(&b))
		goto out;
	up += now_ms() - t0;
	if (read_meminfo(&m1))
		goto out;
	t0 = now_ms();
	if (nl_link_list(b.nl, "tt-", &list) || list.count != b.n) {
		fprintf(stderr, "bench_kernel: listed %zu links of %zu\n", list.count, b.n);
		goto out;
	}
	dump = now_ms() - t0;
	if (run(&b, "down", device_down, &down, NULL) ||
	    run(&b, "up again", device_reup, &reup, NULL))
		goto out;

	/* the TUNs persist: closing the fds leaves them, only the group
	 * delete removes them */
	t0 = now_ms();
	for (size_t i = 0; i < b.n; i++)
		nl_tun_close(&b.tuns[i]);
	closing = now_ms() - t0;
	t0 = now_ms();
	if (nl_link_del_group(b.nl, b.group)) {
		fprintf(stderr, "bench_kernel: group delete failed\n");
		goto out;
	}
	teardown = now_ms() - t0;
	nl_link_list_free(&list);
	if (nl_link_list(b.nl, "tt-", &list) || list.count != 0) {
		fprintf(stderr, "bench_kernel: %zu links left after the group delete\n",
			list.count);
		goto out;
	}

	if (b.addr == ADDR_LO && gateway_on_lo(b.nl, false))
		goto out;

	printf("n=%zu ipv6=%s addr=%s %s up_ms_per_dev=%.4f "
	       "last_tenth_up_ms_per_dev=%.4f "
	       "down_ms_per_dev=%.4f reup_ms_per_dev=%.4f list_ms=%.1f close_ms=%.1f "
	       "group_delete_ms=%.1f slab_percpu_vmalloc_kb_per_dev=%.2f memfree_kb_per_dev=%.2f\n",
	       b.n,
	       b.ipv6 == IPV6_GENMODE  ? "genmode"
	       : b.ipv6 == IPV6_SYSCTL ? "sysctl"
				       : "on",
	       b.addr == ADDR_P2P ? "p2p" : "lo", b.batch ? "batch" : "single", up / (double)b.n,
	       (marks[10] - marks[9]) / (double)(b.n >= 10 ? b.n / 10 : 1), down / (double)b.n,
	       reup / (double)b.n, dump, closing, teardown,
	       (double)((m1.slab_kb + m1.percpu_kb + m1.vmalloc_kb) -
			(m0.slab_kb + m0.percpu_kb + m0.vmalloc_kb)) /
		       (double)b.n,
	       (double)(m0.free_kb - m1.free_kb) / (double)b.n);
	ret = 0;
out:
	nl_link_list_free(&list);
	if (b.tuns) {
		for (size_t i = 0; i < b.n; i++)
			nl_tun_close(&b.tuns[i]);
	}
	free(b.tuns);
	free(b.names);
	if (b.nft) {
		policy_remove(b.nft, &perr);
		policy_nft_free(b.nft);
	}
	nl_sock_free(b.nl);
	return ret;
}
