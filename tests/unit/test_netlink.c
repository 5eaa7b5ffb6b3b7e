/* netlink/ against the kernel: every test runs in a network namespace of
 * its own (unshare in Criterion's per-test process), checks what it did
 * with `ip -j` as an admin would see it, and ends with only lo left.
 * Tunnel addresses are from 100.64.0.0/10; nothing is routed out. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if.h>

#include "netlink/addr.h"
#include "netlink/ifname.h"
#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route.h"
#include "netlink/tun.h"

static struct nl_sock *nl;

/* A test that cannot make its namespace fails: it never runs in, or
 * touches, the machine's own. */
static void enter_netns(void)
{
	struct stat before, after;

	cr_assert_eq(stat("/proc/self/ns/net", &before), 0);
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "cannot create a network namespace (root?): %s",
		     strerror(errno));
	cr_assert_eq(stat("/proc/self/ns/net", &after), 0);
	cr_assert_neq(before.st_ino, after.st_ino, "still in the first namespace");
	nl = nl_sock_create();
	cr_assert(nl, "nl_sock_create: %s", strerror(errno));
}

static void leave_netns(void)
{
	nl_sock_free(nl);
	nl = NULL;
}

TestSuite(netlink, .init = enter_netns, .fini = leave_netns, .timeout = 60);

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* `ip -j ARGS` in this namespace, parsed; no output is an empty array. */
__attribute__((format(printf, 1, 2))) static json_t *ipj(const char *fmt, ...)
{
	char cmd[512], out[1 << 16];
	size_t len = 0, n;
	json_error_t err;
	json_t *j;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	strcpy(cmd, "ip -j ");
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	cr_assert(p, "%s", cmd);
	while (len < sizeof(out) - 1 && (n = fread(out + len, 1, sizeof(out) - 1 - len, p)) > 0)
		len += n;
	out[len] = '\0';
	pclose(p);
	if (strspn(out, " \n") == len)
		return json_array();
	j = json_loads(out, 0, &err);
	cr_assert(j, "%s: %s", cmd, err.text);
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static bool jhas(json_t *array, const char *s)
{
	size_t i;
	json_t *v;

	for (i = 0; i < json_array_size(array); i++) {
		v = json_array_get(array, i);
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

/* The last check of every test: all it created is gone. A TUN that does
 * not persist leaves when its fd closes, which the kernel may finish a
 * moment later: wait for that, up to 2 s. */
/* `ip -j link show group N` of iproute2 6.1 puts an empty object first */
static size_t count_links(json_t *array)
{
	size_t i, n = 0;
	json_t *o;

	for (i = 0; i < json_array_size(array); i++) {
		o = json_array_get(array, i);
		n += json_object_get(o, "ifname") != NULL;
	}
	return n;
}

/* whether the route list holds one to `dst` */
static bool has_route(json_t *array, const char *dst)
{
	size_t i;
	json_t *o;

	for (i = 0; i < json_array_size(array); i++) {
		o = json_array_get(array, i);
		if (!strcmp(jstr(o, "dst"), dst))
			return true;
	}
	return false;
}

static void assert_only_lo(void)
{
	json_t *links = NULL;

	for (int i = 0; i < 100; i++) {
		json_decref(links);
		links = ipj("link show");
		if (json_array_size(links) == 1)
			break;
		usleep(20000);
	}
	cr_assert_eq(json_array_size(links), 1, "links left behind");
	cr_assert_str_eq(jstr(json_array_get(links, 0), "ifname"), "lo");
	json_decref(links);
}

/* A persistent TUN for `device`, IPv6 off, MTU 1420, in `group`, with
 * 100.64.0.1 peer `peer`, and up if asked. */
static void device_up(const char *device, const char *peer, uint32_t group, bool up,
		      struct nl_tun *tun)
{
	struct nl_link_conf conf = {
		.set = NL_LINK_SET_MTU | NL_LINK_SET_GROUP | (up ? NL_LINK_SET_UP : 0),
		.mtu = 1420,
		.group = group,
	};
	struct nl_addr a;

	cr_assert_eq(nl_tun_open(nl, device, NL_TUN_PERSIST, tun), 0, "open %s", device);
	cr_assert_eq(nl_link_set_ipv6(tun->ifname, false), 0);
	cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0.1", peer), 0);
	cr_assert_eq(nl_addr_add(nl, tun->ifindex, &a), 0);
	cr_assert_eq(nl_link_configure(nl, tun->ifindex, &conf), 0);
}

/* connect() to addr:80 without blocking; its errno (EINPROGRESS: a SYN
 * went out) and how long it took. */
static int try_connect(const char *addr, double *ms)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
	double t0 = now_ms();
	int fd, err;

	cr_assert_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	err = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? errno : 0;
	*ms = now_ms() - t0;
	close(fd);
	return err;
}

/* Whether the TUN's fd gets a packet within `ms`; if so, its first bytes. */
static ssize_t tun_read(int fd, int ms, unsigned char *buf, size_t size)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return read(fd, buf, size);
}

Test(netlink, create_configure_as_ip_shows)
{
	struct nl_link_conf conf = {
		.set = NL_LINK_SET_MTU | NL_LINK_SET_GROUP | NL_LINK_SET_UP,
		.mtu = 1420,
		.group = 77,
	};
	struct nl_route r;
	struct nl_addr a;
	struct nl_tun t;
	json_t *j, *o, *ai;

	cr_assert_eq(nl_tun_open(nl, "an12345678", NL_TUN_PERSIST, &t), 0);
	cr_assert(t.created);
	cr_assert_str_eq(t.ifname, "tt-an12345678");
	cr_assert_eq(fcntl(t.fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	cr_assert_eq(fcntl(t.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	cr_assert_eq(nl_link_set_ipv6(t.ifname, false), 0);
	cr_assert_eq(nl_link_configure(nl, t.ifindex, &conf), 0);
	cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0.1", "100.64.0.7"), 0);
	cr_assert_eq(nl_addr_add(nl, t.ifindex, &a), 0);
	cr_assert_eq(nl_addr_add(nl, t.ifindex, &a), -EEXIST);

	j = ipj("link show dev tt-an12345678");
	o = json_array_get(j, 0);
	cr_assert_eq(json_integer_value(json_object_get(o, "ifindex")), t.ifindex);
	cr_assert_str_eq(jstr(o, "ifalias"), "an12345678");
	cr_assert_eq(json_integer_value(json_object_get(o, "mtu")), 1420);
	cr_assert_str_eq(jstr(o, "group"), "77");
	cr_assert_str_eq(jstr(o, "link_type"), "none");
	cr_assert(jhas(json_object_get(o, "flags"), "UP"));
	cr_assert(jhas(json_object_get(o, "flags"), "POINTOPOINT"));
	json_decref(j);

	j = ipj("addr show dev tt-an12345678");
	ai = json_object_get(json_array_get(j, 0), "addr_info");
	cr_assert_eq(json_array_size(ai), 1, "one address, no IPv6 link-local");
	o = json_array_get(ai, 0);
	cr_assert_str_eq(jstr(o, "family"), "inet");
	cr_assert_str_eq(jstr(o, "local"), "100.64.0.1");
	cr_assert_str_eq(jstr(o, "address"), "100.64.0.7");
	cr_assert_eq(json_integer_value(json_object_get(o, "prefixlen")), 32);
	json_decref(j);

	/* the peer route comes by itself */
	j = ipj("route show dev tt-an12345678");
	cr_assert_eq(json_array_size(j), 1);
	o = json_array_get(j, 0);
	cr_assert_str_eq(jstr(o, "dst"), "100.64.0.7");
	cr_assert_str_eq(jstr(o, "protocol"), "kernel");
	cr_assert_str_eq(jstr(o, "scope"), "link");
	cr_assert_str_eq(jstr(o, "prefsrc"), "100.64.0.1");
	json_decref(j);

	/* a network behind the device, by hand */
	cr_assert_eq(nl_route_parse(&r, "100.65.7.0/24", t.ifindex), 0);
	cr_assert_eq(nl_route_add(nl, &r), 0);
	cr_assert_eq(nl_route_add(nl, &r), -EEXIST);
	j = ipj("route show 100.65.7.0/24");
	cr_assert_eq(json_array_size(j), 1);
	o = json_array_get(j, 0);
	cr_assert_str_eq(jstr(o, "dev"), "tt-an12345678");
	cr_assert_str_eq(jstr(o, "protocol"), "static");
	cr_assert_str_eq(jstr(o, "scope"), "link");
	json_decref(j);
	cr_assert_eq(nl_route_del(nl, &r), 0);
	j = ipj("route show 100.65.7.0/24");
	cr_assert_eq(json_array_size(j), 0);
	json_decref(j);

	cr_assert_eq(nl_addr_del(nl, t.ifindex, &a), 0);
	j = ipj("addr show dev tt-an12345678");
	cr_assert_eq(json_array_size(json_object_get(json_array_get(j, 0), "addr_info")), 0);
	json_decref(j);

	/* deleting it while the fd is open works too */
	cr_assert_eq(nl_link_del(nl, t.ifindex), 0);
	nl_tun_close(&t);
	assert_only_lo();
}

Test(netlink, down_fails_fast_and_up_restores)
{
	struct nl_route pool;
	unsigned char pkt[256];
	struct nl_tun t;
	ssize_t n;
	double ms;
	json_t *j;

	device_up("meter1", "100.64.0.7", 0, true, &t);
	cr_assert_eq(try_connect("100.64.0.7", &ms), EINPROGRESS);
	/* the SYN reaches the TUN: the route is live */
	n = tun_read(t.fd, 1000, pkt, sizeof(pkt));
	cr_assert_geq(n, 20, "no packet on the TUN");
	cr_assert_eq(pkt[0] >> 4, 4);
	cr_assert_eq(pkt[9], IPPROTO_TCP);
	cr_assert_eq(memcmp(pkt + 16, (unsigned char[]){100, 64, 0, 7}, 4), 0);

	cr_assert_eq(nl_link_set_down(nl, t.ifindex), 0);
	j = ipj("route show dev tt-meter1");
	cr_assert_eq(json_array_size(j), 0, "down leaves a route");
	json_decref(j);
	cr_assert_eq(try_connect("100.64.0.7", &ms), ENETUNREACH);
	cr_assert_lt(ms, 100, "connect took %.1f ms", ms);

	/* with an unreachable route over the pool, as tetherd keeps one so
	 * that an offline device never takes a default route out */
	cr_assert_eq(nl_route_parse(&pool, "100.64.0.0/10", 0), 0);
	pool.type = RTN_UNREACHABLE;
	cr_assert_eq(nl_route_add(nl, &pool), 0);
	cr_assert_eq(try_connect("100.64.0.7", &ms), EHOSTUNREACH);
	cr_assert_lt(ms, 100, "connect took %.1f ms", ms);

	cr_assert_eq(nl_link_set_up(nl, t.ifindex), 0);
	j = ipj("route show dev tt-meter1");
	cr_assert_eq(json_array_size(j), 1, "up did not bring the route back");
	cr_assert_str_eq(jstr(json_array_get(j, 0), "dst"), "100.64.0.7");
	json_decref(j);
	cr_assert_eq(try_connect("100.64.0.7", &ms), EINPROGRESS);

	cr_assert_eq(nl_route_del(nl, &pool), 0);
	cr_assert_eq(nl_link_del(nl, t.ifindex), 0);
	nl_tun_close(&t);
	assert_only_lo();
}

Test(netlink, ipv6_stays_off)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_ADDRGEN_NONE | NL_LINK_SET_UP};
	unsigned char pkt[256];
	struct nl_tun off, on, v6;
	struct nl_addr a;
	json_t *j, *ai;
	bool seen = false;

	/* a control: left alone, a TUN gets a link-local address */
	cr_assert_eq(nl_tun_open(nl, "control", 0, &on), 0);
	cr_assert_eq(nl_link_set_up(nl, on.ifindex), 0);
	device_up("quiet", "100.64.0.7", 0, true, &off);
	for (int i = 0; i < 100 && !seen; i++) {
		j = ipj("-6 addr show dev tt-control");
		seen = json_array_size(json_object_get(json_array_get(j, 0), "addr_info")) > 0;
		json_decref(j);
		if (!seen)
			usleep(20000);
	}
	cr_assert(seen, "the control TUN never got an IPv6 address");

	/* IPv6 off: no address, and not a packet from the kernel */
	j = ipj("-6 addr show dev tt-quiet");
	cr_assert_eq(json_array_size(j), 0, "IPv6 address on an IPv4-only TUN");
	json_decref(j);
	cr_assert_eq(tun_read(off.fd, 300, pkt, sizeof(pkt)), 0, "the kernel sent into the TUN");

	/* a device with an IPv6 address: that address and no link-local */
	cr_assert_eq(nl_tun_open(nl, "six", NL_TUN_PERSIST, &v6), 0);
	cr_assert_eq(nl_link_configure(nl, v6.ifindex, &conf), 0);
	cr_assert_eq(nl_link_set_ipv6(v6.ifname, true), 0);
	cr_assert_eq(nl_addr_parse_p2p(&a, "fd74::1", "fd74::7"), 0);
	cr_assert_eq(nl_addr_add(nl, v6.ifindex, &a), 0);
	usleep(200000);
	j = ipj("-6 addr show dev tt-six");
	ai = json_object_get(json_array_get(j, 0), "addr_info");
	cr_assert_eq(json_array_size(ai), 1);
	cr_assert_str_eq(jstr(json_array_get(ai, 0), "local"), "fd74::1");
	cr_assert_str_eq(jstr(json_array_get(ai, 0), "address"), "fd74::7");
	json_decref(j);
	j = ipj("-6 route show dev tt-six");
	cr_assert(has_route(j, "fd74::7"), "no route to the IPv6 peer");
	json_decref(j);

	cr_assert_eq(nl_link_del(nl, off.ifindex), 0);
	cr_assert_eq(nl_link_del(nl, v6.ifindex), 0);
	nl_tun_close(&off);
	nl_tun_close(&v6);
	nl_tun_close(&on); /* not persistent: goes with its fd */
	assert_only_lo();
}

Test(netlink, group_delete_removes_all)
{
	struct nl_tun t[6];
	char name[32], peer[32];
	json_t *j;

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		snprintf(peer, sizeof(peer), "100.64.0.%d", 10 + i);
		device_up(name, peer, 91, i % 2, &t[i]);
		if (i < 3)
			nl_tun_close(&t[i]); /* persistent: stays */
	}
	device_up("other", "100.64.0.20", 92, true, &t[5]);
	j = ipj("link show group 91");
	cr_assert_eq(count_links(j), 5);
	json_decref(j);

	cr_assert_eq(nl_link_del_group(nl, 91), 0);
	j = ipj("link show");
	cr_assert_eq(json_array_size(j), 2, "group 91 not all gone");
	cr_assert_str_eq(jstr(json_array_get(j, 1), "ifname"), "tt-other");
	json_decref(j);
	cr_assert_eq(nl_link_del_group(nl, 91), -ENODEV);
	cr_assert_eq(nl_link_del_group(nl, 0), -EPERM);

	cr_assert_eq(nl_link_del_group(nl, 92), 0);
	for (int i = 3; i < 6; i++)
		nl_tun_close(&t[i]);
	assert_only_lo();
}

Test(netlink, reconcile_finds_what_a_previous_run_left)
{
	struct nl_link_list list;
	struct nl_tun t, gone;
	char name[32], peer[32], buf[INET_ADDRSTRLEN];
	json_t *j;

	/* a "previous tetherd": three persistent TUNs, one up, fds closed */
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		snprintf(peer, sizeof(peer), "100.64.1.%d", i + 2);
		device_up(name, peer, 93, i == 1, &t);
		nl_tun_close(&t);
	}
	/* a TUN that does not persist leaves with its fd */
	cr_assert_eq(nl_tun_open(nl, "transient", 0, &gone), 0);
	nl_tun_close(&gone);

	cr_assert_eq(nl_link_list(nl, NL_IFNAME_PREFIX, &list), 0);
	cr_assert_eq(list.count, 3);
	for (size_t i = 0; i < list.count; i++) {
		struct nl_link *l = &list.links[i];

		snprintf(name, sizeof(name), "dev%zu", i);
		snprintf(peer, sizeof(peer), "100.64.1.%zu", i + 2);
		cr_assert_str_eq(l->alias, name);
		cr_assert_str_eq(l->name + 3, name);
		cr_assert_str_eq(l->kind, "tun");
		cr_assert_eq(l->mtu, 1420);
		cr_assert_eq(l->group, 93);
		cr_assert_eq(l->admin_up, i == 1);
		/* no fd, no carrier: not up whatever the admin state */
		cr_assert_not(l->carrier);
		cr_assert_neq(l->operstate, IF_OPER_UP);
		cr_assert_eq(l->naddrs, 1);
		cr_assert_eq(l->addrs[0].family, AF_INET);
		cr_assert_eq(l->addrs[0].prefixlen, 32);
		cr_assert_str_eq(inet_ntop(AF_INET, &l->addrs[0].local, buf, sizeof(buf)),
				 "100.64.0.1");
		cr_assert_str_eq(inet_ntop(AF_INET, &l->addrs[0].peer, buf, sizeof(buf)), peer);
		j = ipj("link show dev %s", l->name);
		cr_assert_eq(json_integer_value(json_object_get(json_array_get(j, 0), "ifindex")),
			     l->ifindex);
		json_decref(j);
	}

	/* reattach: same interface, same index, carrier back */
	cr_assert_eq(nl_tun_open(nl, "dev1", NL_TUN_PERSIST, &t), 0);
	cr_assert_not(t.created);
	cr_assert_eq(t.ifindex, list.links[1].ifindex);
	cr_assert_eq(nl_link_get(nl, t.ifname, &list.links[1]), 0);
	cr_assert(list.links[1].carrier);
	cr_assert_str_eq(list.links[1].alias, "dev1");
	cr_assert_eq(nl_tun_open(nl, "dev1", NL_TUN_PERSIST, &gone), -EBUSY, "two fds on one TUN");
	nl_tun_close(&t);
	nl_link_list_free(&list);

	cr_assert_eq(nl_link_list(nl, NULL, &list), 0);
	cr_assert_eq(list.count, 4, "lo and the three");
	nl_link_list_free(&list);

	cr_assert_eq(nl_link_del_group(nl, 93), 0);
	assert_only_lo();
}

Test(netlink, long_names_and_collisions)
{
	const char *longname = "averyveryverylongdevicename-0001";
	struct nl_tun t, clash;
	char ifname[IFNAMSIZ];
	json_t *j;
	int ret;

	cr_assert_eq(nl_tun_open(nl, longname, NL_TUN_PERSIST, &t), 0);
	cr_assert_str_eq(t.ifname, "tt-7c092ad10cb9");
	j = ipj("link show dev tt-7c092ad10cb9");
	cr_assert_str_eq(jstr(json_array_get(j, 0), "ifalias"), longname);
	json_decref(j);

	/* a 12-character device whose name is that hash: same interface
	 * name, another device; refused, and the first left alone */
	cr_assert_eq(nl_ifname_for_device("7c092ad10cb9", ifname), 0);
	cr_assert_str_eq(ifname, t.ifname);
	cr_assert_eq(nl_tun_open(nl, "7c092ad10cb9", NL_TUN_PERSIST, &clash), -EEXIST);
	cr_assert_eq(clash.fd, -1);
	nl_tun_close(&t);
	cr_assert_eq(nl_tun_open(nl, "7c092ad10cb9", NL_TUN_PERSIST, &clash), -EEXIST,
		     "refused only while the fd was held");
	j = ipj("link show dev tt-7c092ad10cb9");
	cr_assert_str_eq(jstr(json_array_get(j, 0), "ifalias"), longname);
	json_decref(j);
	cr_assert_eq(nl_tun_open(nl, longname, NL_TUN_PERSIST, &t), 0);
	cr_assert_not(t.created);

	/* an admin changed the alias: no longer provably ours */
	cr_assert_eq(nl_link_set_alias(nl, t.ifindex, "someone-else"), 0);
	nl_tun_close(&t);
	cr_assert_eq(nl_tun_open(nl, longname, NL_TUN_PERSIST, &t), -EEXIST);

	/* a link of the same name that is no TUN */
	ret = system("ip link add tt-foreign type dummy 2>/dev/null || "
		     "ip link add tt-foreign type veth peer name tnlpeer");
	cr_assert_eq(ret, 0, "cannot make a foreign link");
	cr_assert_eq(nl_tun_open(nl, "foreign", NL_TUN_PERSIST, &clash), -EEXIST);
	j = ipj("link show dev tt-foreign");
	cr_assert_eq(json_array_size(j), 1);
	json_decref(j);
	cr_assert_eq(system("ip link del tt-foreign"), 0);

	cr_assert_eq(nl_link_del(nl, (int)if_nametoindex("tt-7c092ad10cb9")), 0);
	assert_only_lo();
}

Test(netlink, errors_are_the_right_errno)
{
	struct nl_link link;
	struct nl_route r;
	struct nl_addr a;
	struct nl_tun t;
	int ifindex = 0;

	cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0.1", "100.64.0.7"), 0);
	cr_assert_eq(nl_link_del(nl, 999), -ENODEV);
	cr_assert_eq(nl_link_set_up(nl, 999), -ENODEV);
	cr_assert_eq(nl_link_set_mtu(nl, 999, 1420), -ENODEV);
	cr_assert_eq(nl_addr_add(nl, 999, &a), -ENODEV);
	cr_assert_eq(nl_addr_del(nl, 1, &a), -EADDRNOTAVAIL);
	cr_assert_eq(nl_link_get(nl, "tt-none", &link), -ENODEV);
	cr_assert_eq(nl_ifindex(nl, "tt-none", &ifindex), -ENODEV);
	cr_assert_eq(nl_ifindex(nl, "lo", &ifindex), 0);
	cr_assert_eq(ifindex, 1);
	cr_assert_eq(nl_link_set_ipv6("tt-none", false), -ENODEV);
	cr_assert_eq(nl_link_set_ipv6("../all", false), -EINVAL);
	cr_assert_eq(nl_link_del_group(nl, 4000), -ENODEV);
	cr_assert_eq(nl_route_parse(&r, "100.65.0.0/16", 1), 0);
	cr_assert_eq(nl_route_del(nl, &r), -ESRCH);
	cr_assert_eq(nl_route_parse(&r, "100.65.0.0/16", 999), 0);
	cr_assert_eq(nl_route_add(nl, &r), -ENODEV);
	cr_assert_eq(nl_tun_open(nl, "Bad_Name", 0, &t), -EINVAL);
	cr_assert_eq(t.fd, -1);

	/* a failed request leaves the socket in step for the next one */
	cr_assert_eq(nl_link_get(nl, "lo", &link), 0);
	cr_assert_eq(link.ifindex, 1);
	cr_assert_str_eq(link.name, "lo");
	assert_only_lo();
}

Test(netlink, batch_runs_all_and_names_the_failure)
{
	enum { N = 40, BAD = 17 };
	struct nl_tun t[N];
	struct nl_addr a;
	size_t failed = 0;
	char name[32];
	json_t *j;
	size_t count = 0, i;
	json_t *o;

	for (int k = 0; k < N; k++) {
		snprintf(name, sizeof(name), "b%d", k);
		cr_assert_eq(nl_tun_open(nl, name, NL_TUN_PERSIST, &t[k]), 0);
		cr_assert_eq(nl_link_set_ipv6(t[k].ifname, false), 0);
	}
	cr_assert_eq(nl_batch_begin(nl), 0);
	cr_assert_eq(nl_batch_begin(nl), -EBUSY);
	for (int k = 0; k < N; k++) {
		cr_assert_eq(nl_link_set_group(nl, t[k].ifindex, 94), 0);
		cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0.1", "100.64.2.1"), 0);
		a.peer.v4.s_addr = htonl(ntohl(a.peer.v4.s_addr) + (uint32_t)k);
		/* request 2k + 1: one of them to a link that is not there */
		cr_assert_eq(nl_addr_add(nl, k == BAD ? 999 : t[k].ifindex, &a), 0, "queued");
	}
	cr_assert_eq(nl_batch_end(nl, &failed), -ENODEV);
	cr_assert_eq(failed, 2 * BAD + 1);

	j = ipj("addr show group 94");
	cr_assert_eq(count_links(j), N);
	for (i = 0; i < json_array_size(j); i++) {
		o = json_array_get(j, i);
		count += json_array_size(json_object_get(o, "addr_info"));
	}
	cr_assert_eq(count, N - 1, "the requests after the failure ran too");
	json_decref(j);

	/* a dump inside a batch sends what is queued first */
	cr_assert_eq(nl_batch_begin(nl), 0);
	for (int k = 0; k < N; k++)
		cr_assert_eq(nl_link_set_up(nl, t[k].ifindex), 0);
	struct nl_link_list list;
	cr_assert_eq(nl_link_list(nl, "tt-b", &list), 0);
	cr_assert_eq(list.count, N);
	for (size_t k = 0; k < list.count; k++)
		cr_assert(list.links[k].admin_up);
	nl_link_list_free(&list);
	cr_assert_eq(nl_batch_end(nl, NULL), 0);
	cr_assert_eq(nl_batch_end(nl, NULL), -EINVAL);

	cr_assert_eq(nl_link_del_group(nl, 94), 0);
	for (int k = 0; k < N; k++)
		nl_tun_close(&t[k]);
	assert_only_lo();
}

Test(netlink, agent_tun_by_plain_name)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_MTU | NL_LINK_SET_UP, .mtu = 1420};
	struct nl_addr a;
	struct nl_tun t;
	json_t *j, *o;

	cr_assert_eq(nl_tun_open_name(nl, "tether0", 0, &t), 0);
	cr_assert(t.created);
	cr_assert_eq(nl_link_set_ipv6(t.ifname, false), 0);
	cr_assert_eq(nl_addr_parse_p2p(&a, "100.64.0.7", "100.64.0.1"), 0);
	cr_assert_eq(nl_addr_add(nl, t.ifindex, &a), 0);
	cr_assert_eq(nl_link_configure(nl, t.ifindex, &conf), 0);
	j = ipj("addr show dev tether0");
	o = json_array_get(j, 0);
	cr_assert_str_eq(jstr(o, "ifalias"), "");
	cr_assert_str_eq(jstr(json_array_get(json_object_get(o, "addr_info"), 0), "local"),
			 "100.64.0.7");
	json_decref(j);

	/* not persistent: closing the fd removes it */
	nl_tun_close(&t);
	assert_only_lo();
}
