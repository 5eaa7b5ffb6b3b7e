/* The value parsers of common/conf.c: what each accepts, and the exact
 * message, quoting the value, for what it refuses. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/conf.h"

static char err[CONF_ERR_MAX];

#define EXPECT_BAD(call, msg)                                                                      \
	do {                                                                                       \
		err[0] = '\0';                                                                     \
		cr_expect_eq((call), -EINVAL, "%s accepted", #call);                               \
		cr_expect_str_eq(err, (msg));                                                      \
	} while (0)

static void expect_addr4(const struct conf_addr *a, const char *ip, uint16_t port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	char buf[INET_ADDRSTRLEN];

	cr_assert_eq(sin->sin_family, AF_INET);
	cr_expect_eq(a->len, sizeof(*sin));
	cr_expect_str_eq(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)), ip);
	cr_expect_eq(ntohs(sin->sin_port), port);
}

Test(conf, addr_good)
{
	struct conf_addr a;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a.ss;

	cr_assert_eq(conf_parse_addr("0.0.0.0:51900", &a, err, sizeof(err)), 0);
	expect_addr4(&a, "0.0.0.0", 51900);
	cr_assert_eq(conf_parse_addr("192.0.2.1:1", &a, err, sizeof(err)), 0);
	expect_addr4(&a, "192.0.2.1", 1);
	cr_assert_eq(conf_parse_addr("[::]:65535", &a, err, sizeof(err)), 0);
	cr_expect_eq(sin6->sin6_family, AF_INET6);
	cr_expect_eq(a.len, sizeof(*sin6));
	cr_expect_eq(ntohs(sin6->sin6_port), 65535);
	cr_expect(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	cr_assert_eq(conf_parse_addr("[2001:db8::1]:443", &a, err, sizeof(err)), 0);
}

Test(conf, addr_bad)
{
	static const char *const bad[] = {
		"0.0.0.0",
		"0.0.0.0:0",
		"0.0.0.0:65536",
		"0.0.0.0:",
		"[::]51900",
		"[::]",
		"::1:80",
		"localhost:80",
		"1.2.3:80",
		"0.0.0.0:+80",
		"0.0.0.0: 80",
		"0.0.0.0:80x",
		"[1.2.3.4]:80",
		"01.2.3.4:80",
		"[::1:80",
		":80",
		"0.0.0.0:0x50",
		"[]:80",
		"0.0.0.0:99999999999",
	};
	struct conf_addr a;
	char want[CONF_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "'%s' is not IPv4:port or [IPv6]:port (port 1..65535)",
			 bad[i]);
		EXPECT_BAD(conf_parse_addr(bad[i], &a, err, sizeof(err)), want);
	}
}

Test(conf, server_good)
{
	struct conf_server s;

	cr_assert_eq(conf_parse_server("gw.example.com:51900", &s, err, sizeof(err)), 0);
	cr_expect(!s.none);
	cr_expect_str_eq(s.host, "gw.example.com");
	cr_expect_eq(s.port, 51900);
	cr_assert_eq(conf_parse_server("GW-1.Example.COM:1", &s, err, sizeof(err)), 0);
	cr_expect_str_eq(s.host, "GW-1.Example.COM");
	cr_assert_eq(conf_parse_server("198.51.100.7:51900", &s, err, sizeof(err)), 0);
	cr_expect_str_eq(s.host, "198.51.100.7");
	cr_assert_eq(conf_parse_server("[2001:db8::1]:51900", &s, err, sizeof(err)), 0);
	cr_expect_str_eq(s.host, "2001:db8::1");
	cr_expect_eq(s.port, 51900);
	cr_assert_eq(conf_parse_server("localhost:7", &s, err, sizeof(err)), 0);
	cr_assert_eq(conf_parse_server("none", &s, err, sizeof(err)), 0);
	cr_expect(s.none);
	cr_expect_str_eq(s.host, "");
}

Test(conf, server_bad)
{
	static const char *const syntax[] = {
		"gw.example.com",
		"gw.example.com:0",
		"gw.example.com:65536",
		"gw:",
		"[::1]",
		"[::1:5",
		"NONE:x",
		"none:",
		"",
	};
	static const char *const host[] = {
		"gw_1.example.com:1",
		"-gw.example.com:1",
		"gw-.example.com:1",
		"a..b:1",
		".a:1",
		"a.:1",
		"1.2.3.999:1",
		"10.0.0:1",
		":51900",
		"[fe80::1%eth0]:1",
		"[1.2.3.4]:1",
		"gw example:1",
		"gw.example.com/x:1",
	};
	struct conf_server s;
	char want[CONF_ERR_MAX], label[80], name[300];
	size_t i;

	for (i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++) {
		snprintf(want, sizeof(want),
			 "'%s' is not host:port, [IPv6]:port or none (port 1..65535)", syntax[i]);
		EXPECT_BAD(conf_parse_server(syntax[i], &s, err, sizeof(err)), want);
	}
	for (i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		snprintf(want, sizeof(want),
			 "'%s' has no valid host (a DNS name, an IPv4 address or [IPv6])", host[i]);
		EXPECT_BAD(conf_parse_server(host[i], &s, err, sizeof(err)), want);
	}
	/* a 64-character label, and a 254-character name */
	memset(label, 'a', 64);
	strcpy(label + 64, ".com:1");
	cr_expect_eq(conf_parse_server(label, &s, err, sizeof(err)), -EINVAL);
	strcpy(label + 63, ".com:1");
	cr_expect_eq(conf_parse_server(label, &s, err, sizeof(err)), 0);
	for (i = 0; i < 254; i += 2)
		memcpy(name + i, "a.", 2);
	strcpy(name + 253, ":1");
	cr_expect_eq(conf_parse_server(name, &s, err, sizeof(err)), 0, "253 characters: %s", err);
	name[253] = 'a';
	strcpy(name + 254, ":1");
	cr_expect_eq(conf_parse_server(name, &s, err, sizeof(err)), -EINVAL);
}

Test(conf, cidr4)
{
	struct conf_cidr4 c;
	char buf[INET_ADDRSTRLEN];

	cr_assert_eq(conf_parse_cidr4("100.64.0.0/16", &c, err, sizeof(err)), 0);
	cr_expect_str_eq(inet_ntop(AF_INET, &c.addr, buf, sizeof(buf)), "100.64.0.0");
	cr_expect_eq(c.prefix, 16);
	cr_assert_eq(conf_parse_cidr4("0.0.0.0/0", &c, err, sizeof(err)), 0);
	cr_assert_eq(conf_parse_cidr4("192.0.2.7/32", &c, err, sizeof(err)), 0);
	cr_expect_eq(c.prefix, 32);

	EXPECT_BAD(conf_parse_cidr4("100.64.0.0/33", &c, err, sizeof(err)),
		   "'100.64.0.0/33' is not an IPv4 CIDR (prefix 0..32)");
	EXPECT_BAD(conf_parse_cidr4("100.64.0.0", &c, err, sizeof(err)),
		   "'100.64.0.0' is not an IPv4 CIDR (prefix 0..32)");
	EXPECT_BAD(conf_parse_cidr4("100.64.0.0/", &c, err, sizeof(err)),
		   "'100.64.0.0/' is not an IPv4 CIDR (prefix 0..32)");
	EXPECT_BAD(conf_parse_cidr4("100.64.0.0/-1", &c, err, sizeof(err)),
		   "'100.64.0.0/-1' is not an IPv4 CIDR (prefix 0..32)");
	EXPECT_BAD(conf_parse_cidr4("100.64.0.0/016", &c, err, sizeof(err)),
		   "'100.64.0.0/016' is not an IPv4 CIDR (prefix 0..32)");
	EXPECT_BAD(conf_parse_cidr4("100.64.0/16", &c, err, sizeof(err)),
		   "'100.64.0/16' is not an IPv4 CIDR (prefix 0..32)");
	EXPECT_BAD(conf_parse_cidr4("/16", &c, err, sizeof(err)),
		   "'/16' is not an IPv4 CIDR (prefix 0..32)");
	EXPECT_BAD(conf_parse_cidr4("100.64.0.1/16", &c, err, sizeof(err)),
		   "'100.64.0.1/16' has host bits set (the network is 100.64.0.0/16)");
	EXPECT_BAD(conf_parse_cidr4("10.1.2.3/0", &c, err, sizeof(err)),
		   "'10.1.2.3/0' has host bits set (the network is 0.0.0.0/0)");
}

Test(conf, ipv4)
{
	struct in_addr a;

	cr_assert_eq(conf_parse_ipv4("100.64.0.1", &a, err, sizeof(err)), 0);
	cr_expect_eq(a.s_addr, htonl(0x64400001));
	EXPECT_BAD(conf_parse_ipv4("1.2.3.4.5", &a, err, sizeof(err)),
		   "'1.2.3.4.5' is not an IPv4 address");
	EXPECT_BAD(conf_parse_ipv4("256.1.1.1", &a, err, sizeof(err)),
		   "'256.1.1.1' is not an IPv4 address");
	EXPECT_BAD(conf_parse_ipv4("01.2.3.4", &a, err, sizeof(err)),
		   "'01.2.3.4' is not an IPv4 address");
	EXPECT_BAD(conf_parse_ipv4("::1", &a, err, sizeof(err)), "'::1' is not an IPv4 address");
	EXPECT_BAD(conf_parse_ipv4("100.64.0.1/32", &a, err, sizeof(err)),
		   "'100.64.0.1/32' is not an IPv4 address");
}

Test(conf, uint)
{
	uint32_t v = 7;
	uint16_t p;

	cr_assert_eq(conf_parse_uint("576", 576, 9000, &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 576);
	cr_assert_eq(conf_parse_uint("9000", 576, 9000, &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 9000);
	EXPECT_BAD(conf_parse_uint("575", 576, 9000, &v, err, sizeof(err)),
		   "'575' is out of range (576..9000)");
	EXPECT_BAD(conf_parse_uint("9001", 576, 9000, &v, err, sizeof(err)),
		   "'9001' is out of range (576..9000)");
	EXPECT_BAD(conf_parse_uint("99999999999", 1, 3600, &v, err, sizeof(err)),
		   "'99999999999' is out of range (1..3600)");
	EXPECT_BAD(conf_parse_uint("4294967296", 1, 3600, &v, err, sizeof(err)),
		   "'4294967296' is out of range (1..3600)");
	EXPECT_BAD(conf_parse_uint("-1", 1, 3600, &v, err, sizeof(err)),
		   "'-1' is not a number (1..3600)");
	EXPECT_BAD(conf_parse_uint("+5", 1, 3600, &v, err, sizeof(err)),
		   "'+5' is not a number (1..3600)");
	EXPECT_BAD(conf_parse_uint("0x10", 1, 3600, &v, err, sizeof(err)),
		   "'0x10' is not a number (1..3600)");
	EXPECT_BAD(conf_parse_uint("25s", 1, 3600, &v, err, sizeof(err)),
		   "'25s' is not a number (1..3600)");
	EXPECT_BAD(conf_parse_uint("", 1, 3600, &v, err, sizeof(err)),
		   "'' is not a number (1..3600)");
	cr_expect_eq(v, 9000, "a refused value must not be stored");
	cr_assert_eq(conf_parse_port("65535", &p, err, sizeof(err)), 0);
	cr_expect_eq(p, 65535);
	EXPECT_BAD(conf_parse_port("0", &p, err, sizeof(err)), "'0' is out of range (1..65535)");
	EXPECT_BAD(conf_parse_port("65536", &p, err, sizeof(err)),
		   "'65536' is out of range (1..65535)");
}

Test(conf, domain)
{
	char d[CONF_DOMAIN_MAX + 1], s[300];
	const char *msg = "is not a DNS name (labels of a-z, 0-9 and '-', 1..63 characters)";
	char want[CONF_ERR_MAX];
	size_t i;

	cr_assert_eq(conf_parse_domain("remote.example.com", d, err, sizeof(err)), 0);
	cr_expect_str_eq(d, "remote.example.com");
	/* any case in, lowercase stored: Host and SNI are compared lowercase */
	cr_assert_eq(conf_parse_domain("Remote.EXAMPLE.com", d, err, sizeof(err)), 0);
	cr_expect_str_eq(d, "remote.example.com");
	cr_assert_eq(conf_parse_domain("localhost", d, err, sizeof(err)), 0);
	cr_assert_eq(conf_parse_domain("xn--bcher-kva.example", d, err, sizeof(err)), 0);

	static const char *const bad[] = {
		"a_b.example.com", "-a.example.com", "a-.example.com", "a..example.com",
		"example.com.",	   ".example.com",   "exa mple.com",   "example.com:80",
		"1.2.3.4",	   "例え.jp",
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char q[64];

		if (!strcmp(bad[i], "例え.jp"))
			snprintf(q, sizeof(q), "\\xe4\\xbe\\x8b\\xe3\\x81\\x88.jp");
		else
			snprintf(q, sizeof(q), "%s", bad[i]);
		snprintf(want, sizeof(want), "'%s' %s", q, msg);
		EXPECT_BAD(conf_parse_domain(bad[i], d, err, sizeof(err)), want);
	}
	/* 64-character label */
	memset(s, 'a', 64);
	strcpy(s + 64, ".com");
	cr_expect_eq(conf_parse_domain(s, d, err, sizeof(err)), -EINVAL);
	/* 189 characters is the most that leaves room for <63-char name>. */
	for (i = 0; i < 190; i += 2)
		memcpy(s + i, "a.", 2);
	s[189] = '\0';
	cr_expect_eq(conf_parse_domain(s, d, err, sizeof(err)), 0, "%s", err);
	s[189] = 'b';
	s[190] = '\0';
	cr_expect_eq(conf_parse_domain(s, d, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "is longer than 189 characters (<name>.<domain> must fit in 253)"),
		  "%s", err);
}

Test(conf, name)
{
	char n[CONF_NAME_MAX + 1], s[80];
	char want[CONF_ERR_MAX];
	size_t i;

	cr_assert_eq(conf_parse_name("an12345678", n, err, sizeof(err)), 0);
	cr_expect_str_eq(n, "an12345678");
	cr_assert_eq(conf_parse_name("0", n, err, sizeof(err)), 0);
	cr_assert_eq(conf_parse_name("a-", n, err, sizeof(err)), 0);
	memset(s, 'a', 63);
	s[63] = '\0';
	cr_assert_eq(conf_parse_name(s, n, err, sizeof(err)), 0);
	s[63] = 'a';
	s[64] = '\0';

	const char *bad[] = {"An1", "-a", "a_b", "a.b", "a b", "", s};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i] == s)
			snprintf(want, sizeof(want),
				 "'%s' is not a device name ([a-z0-9][a-z0-9-]{0,62})", s);
		else
			snprintf(want, sizeof(want),
				 "'%s' is not a device name ([a-z0-9][a-z0-9-]{0,62})", bad[i]);
		EXPECT_BAD(conf_parse_name(bad[i], n, err, sizeof(err)), want);
	}
}

Test(conf, pubkey)
{
	uint8_t k[CONF_KEY_LEN];
	const char *good = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
	const char *msg = "is not a base64 public key (44 characters, 32 bytes)";
	char want[CONF_ERR_MAX];
	size_t i;

	cr_assert_eq(conf_parse_pubkey(good, k, err, sizeof(err)), 0);
	cr_expect_eq(k[0], 0x1c);
	cr_expect_eq(k[31], 0x4c);

	static const char *const bad[] = {
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw",	 /* 43, no padding */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw==", /* 45 */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykx=",	 /* non-zero padding bits */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8yk-=",	 /* URL-safe alphabet */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8y w=",	 /* a space inside */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw",	 /* short */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykwA",	 /* 44 without padding: 33 bytes */
		"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8yk==",	 /* 31 bytes */
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "'%s' %s", bad[i], msg);
		EXPECT_BAD(conf_parse_pubkey(bad[i], k, err, sizeof(err)), want);
	}
	EXPECT_BAD(conf_parse_pubkey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", k, err,
				     sizeof(err)),
		   "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' is the all-zero key");
}

Test(conf, path)
{
	char p[CONF_PATH_MAX + 1], s[300];

	cr_assert_eq(conf_parse_path("/etc/tether/tetherd.key", 0, p, err, sizeof(err)), 0);
	cr_expect_str_eq(p, "/etc/tether/tetherd.key");
	EXPECT_BAD(conf_parse_path("etc/tether/tetherd.key", 0, p, err, sizeof(err)),
		   "'etc/tether/tetherd.key' is not an absolute path");
	/* a private key pasted where its path belongs is not repeated */
	EXPECT_BAD(conf_parse_path("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", 0, p, err,
				   sizeof(err)),
		   "expects the path of a key file, not a key (value not shown)");
	EXPECT_BAD(conf_parse_path("~/key", 0, p, err, sizeof(err)),
		   "'~/key' is not an absolute path");
	EXPECT_BAD(conf_parse_path("/etc/\x01key", 0, p, err, sizeof(err)),
		   "'/etc/\\x01key' contains a control character");
	EXPECT_BAD(conf_parse_path("/run/tether/a-socket", 10, p, err, sizeof(err)),
		   "'/run/tether/a-socket' is longer than 10 characters");
	s[0] = '/';
	memset(s + 1, 'a', 190);
	s[191] = '\0';
	cr_expect_eq(conf_parse_path(s, 0, p, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "is longer than 190 characters"), "%s", err);
	s[190] = '\0';
	cr_expect_eq(conf_parse_path(s, 0, p, err, sizeof(err)), 0);
}

Test(conf, user)
{
	char u[CONF_USER_MAX + 1];
	const char *msg = "is not a user name ([a-z_][a-z0-9_-]{0,31})";
	char want[CONF_ERR_MAX];
	size_t i;

	cr_assert_eq(conf_parse_user("tether-proxy", u, err, sizeof(err)), 0);
	cr_expect_str_eq(u, "tether-proxy");
	cr_assert_eq(conf_parse_user("_www", u, err, sizeof(err)), 0);
	static const char *const bad[] = {
		"Tether", "1abc", "-x", "a b", "a:b", "root!", "a234567890123456789012345678901234",
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "'%s' %s", bad[i], msg);
		EXPECT_BAD(conf_parse_user(bad[i], u, err, sizeof(err)), want);
	}
}

Test(conf, ifname)
{
	char n[CONF_IFNAME_MAX + 1];
	const char *msg = "is not an interface name (1..15 of A-Z, a-z, 0-9, '_', '.', '-')";
	char want[CONF_ERR_MAX];
	size_t i;

	cr_assert_eq(conf_parse_ifname("tether0", n, err, sizeof(err)), 0);
	cr_assert_eq(conf_parse_ifname("abcdefghijklmno", n, err, sizeof(err)), 0);
	static const char *const bad[] = {"abcdefghijklmnop", "a/b", ".", "..", "a b", "a:1", ""};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "'%s' %s", bad[i], msg);
		EXPECT_BAD(conf_parse_ifname(bad[i], n, err, sizeof(err)), want);
	}
}

Test(conf, expose)
{
	char e[CONF_EXPOSE_MAX + 1], s[200];

	cr_assert_eq(conf_parse_expose("80,443", e, err, sizeof(err)), 0);
	cr_expect_str_eq(e, "80,443");
	EXPECT_BAD(conf_parse_expose("", e, err, sizeof(err)),
		   "'' is empty (list the ports to expose)");
	EXPECT_BAD(conf_parse_expose("80,\t443", e, err, sizeof(err)),
		   "'80,\\x09443' contains a control character");
	memset(s, '1', 129);
	s[129] = '\0';
	cr_expect_eq(conf_parse_expose(s, e, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "is longer than 128 characters"), "%s", err);
	s[128] = '\0';
	cr_expect_eq(conf_parse_expose(s, e, err, sizeof(err)), 0);
}

Test(conf, log_level)
{
	enum log_level l;

	cr_assert_eq(conf_parse_log_level("debug", &l, err, sizeof(err)), 0);
	cr_expect_eq(l, LOG_LEVEL_DEBUG);
	cr_assert_eq(conf_parse_log_level("warning", &l, err, sizeof(err)), 0);
	cr_expect_eq(l, LOG_LEVEL_WARN);
	cr_expect_str_eq(conf_log_level_name(LOG_LEVEL_NOTICE), "notice");
	EXPECT_BAD(conf_parse_log_level("verbose", &l, err, sizeof(err)),
		   "'verbose' is not a log level (error, warning, notice, info, debug)");
}

Test(conf, quoting_escapes_and_cuts)
{
	struct in_addr a;
	char s[200];

	/* a terminal escape in a value must not reach a terminal or a log */
	EXPECT_BAD(conf_parse_ipv4("\x1b[31mred", &a, err, sizeof(err)),
		   "'\\x1b[31mred' is not an IPv4 address");
	EXPECT_BAD(conf_parse_ipv4("a\\b", &a, err, sizeof(err)),
		   "'a\\x5cb' is not an IPv4 address");
	memset(s, 'x', 100);
	s[100] = '\0';
	EXPECT_BAD(
		conf_parse_ipv4(s, &a, err, sizeof(err)),
		"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not an "
		"IPv4 address");
}

Test(conf, error_format)
{
	conf_error(err, sizeof(err), "/etc/t.conf", 7, "pool", "'%s' is bad", "x");
	cr_expect_str_eq(err, "/etc/t.conf:7: pool: 'x' is bad");
	conf_error(err, sizeof(err), "/etc/t.conf", 0, "pool", "bad");
	cr_expect_str_eq(err, "/etc/t.conf: pool: bad");
	conf_error(err, sizeof(err), "/etc/t.conf", 0, NULL, "bad");
	cr_expect_str_eq(err, "/etc/t.conf: bad");
	/* a short buffer truncates, never overflows */
	conf_error(err, 8, "/etc/t.conf", 7, "pool", "bad");
	cr_expect_str_eq(err, "/etc/t.");
}
