/* tetherd.conf: defaults, the example of INTERFACE.md, every key's bad
 * values with the exact "file:line: key: 'value' ..." message, and the
 * grammar errors (unknown, duplicate, missing, long lines, NUL bytes). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tetherd_config.h"

#define HEAD "[tetherd]\nprivate_key = /etc/tether/tetherd.key\ndomain = remote.example.com\n"

static char err[CONF_ERR_MAX];
static struct tetherd_config cfg;

static int parse(const char *text)
{
	err[0] = '\0';
	return tetherd_config_parse("t.conf", text, strlen(text), &cfg, err, sizeof(err));
}

static void expect_err(const char *text, const char *want)
{
	cr_expect_eq(parse(text), -EINVAL, "accepted:\n%s", text);
	cr_expect_str_eq(err, want, "for:\n%s", text);
}

static const char *ntop(const void *addr, int af)
{
	static char buf[INET6_ADDRSTRLEN];

	return inet_ntop(af, addr, buf, sizeof(buf));
}

static void expect_addr(const struct conf_addr *a, const char *ip, uint16_t port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;

	cr_assert_eq(sin->sin_family, AF_INET);
	cr_expect_str_eq(ntop(&sin->sin_addr, AF_INET), ip);
	cr_expect_eq(ntohs(sin->sin_port), port);
}

Test(tetherd_config, defaults)
{
	cr_assert_eq(parse(HEAD), 0, "%s", err);
	expect_addr(&cfg.listen, "0.0.0.0", 51900);
	cr_expect_str_eq(cfg.private_key, "/etc/tether/tetherd.key");
	cr_expect_str_eq(cfg.domain, "remote.example.com");
	cr_expect_str_eq(ntop(&cfg.pool.addr, AF_INET), "100.64.0.0");
	cr_expect_eq(cfg.pool.prefix, 16);
	cr_expect_str_eq(ntop(&cfg.gateway, AF_INET), "100.64.0.1");
	cr_expect_eq(cfg.mtu, 1420);
	cr_expect_eq(cfg.keepalive, 25);
	cr_expect_str_eq(cfg.state_dir, "/var/lib/tether");
	cr_expect_str_eq(cfg.control, "/run/tether/tetherd.sock");
	cr_expect_str_eq(cfg.control_ro, "/run/tether/tetherd-ro.sock");
	cr_expect_str_eq(cfg.policy, "/etc/tether/policy.conf");
	cr_expect_str_eq(cfg.proxy_user, "tether-proxy");
	cr_expect_eq(cfg.log_level, LOG_LEVEL_INFO);
	expect_addr(&cfg.proxy.http, "0.0.0.0", 80);
	expect_addr(&cfg.proxy.https, "0.0.0.0", 443);
	cr_expect_str_eq(cfg.proxy.tls_cert, "");
	cr_expect_str_eq(cfg.proxy.tls_key, "");
	cr_expect_eq(cfg.proxy.device_http_port, 80);
	cr_expect_eq(cfg.proxy.device_https_port, 443);
	cr_expect_eq(cfg.proxy.log_level, LOG_LEVEL_INFO);

	struct tetherd_config d;

	tetherd_config_defaults(&d);
	cr_expect_str_eq(d.private_key, "");
	cr_expect_str_eq(d.domain, "");
	cr_expect_eq(d.mtu, 1420);
}

/* The example of INTERFACE.md as an admin would paste it, comments and all. */
Test(tetherd_config, interface_example)
{
	static const char text[] =
		"[tetherd]\n"
		"listen = [::]:51901            # UDP; [::]:51900 for IPv6\n"
		"private_key = /etc/tether/tetherd.key\n"
		"domain = remote.example.com       # devices are <name>.<domain>\n"
		"pool = 10.10.0.0/20              # device tunnel addresses\n"
		"gateway = 10.10.15.254           # the gateway's own tunnel address\n"
		"mtu = 1380\n"
		"keepalive = 15\n"
		"state_dir = /srv/tether       # registry lives here\n"
		"control = /run/t/c.sock\n"
		"control_ro = /run/t/ro.sock\n"
		"policy = /etc/tether/p.conf\n"
		"proxy_user = www-data         # the only local user allowed to reach devices\n"
		"log_level = debug\n"
		"\n"
		"[proxy]\n"
		"http = 127.0.0.1:8080\n"
		"https = [::1]:8443\n"
		"tls_cert = /etc/tether/wildcard.pem   # absent: TLS is passed through by SNI\n"
		"tls_key = /etc/tether/wildcard.key\n"
		"device_http_port = 8081\n"
		"device_https_port = 8444\n"
		"log_level = warning ; semicolons too\n";
	const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&cfg.listen.ss;

	cr_assert_eq(parse(text), 0, "%s", err);
	cr_expect_eq(l6->sin6_family, AF_INET6);
	cr_expect_eq(ntohs(l6->sin6_port), 51901);
	cr_expect_str_eq(ntop(&cfg.pool.addr, AF_INET), "10.10.0.0");
	cr_expect_eq(cfg.pool.prefix, 20);
	cr_expect_str_eq(ntop(&cfg.gateway, AF_INET), "10.10.15.254");
	cr_expect_eq(cfg.mtu, 1380);
	cr_expect_eq(cfg.keepalive, 15);
	cr_expect_str_eq(cfg.state_dir, "/srv/tether");
	cr_expect_str_eq(cfg.control, "/run/t/c.sock");
	cr_expect_str_eq(cfg.control_ro, "/run/t/ro.sock");
	cr_expect_str_eq(cfg.policy, "/etc/tether/p.conf");
	cr_expect_str_eq(cfg.proxy_user, "www-data");
	cr_expect_eq(cfg.log_level, LOG_LEVEL_DEBUG);
	expect_addr(&cfg.proxy.http, "127.0.0.1", 8080);
	cr_expect_str_eq(cfg.proxy.tls_cert, "/etc/tether/wildcard.pem");
	cr_expect_str_eq(cfg.proxy.tls_key, "/etc/tether/wildcard.key");
	cr_expect_eq(cfg.proxy.device_http_port, 8081);
	cr_expect_eq(cfg.proxy.device_https_port, 8444);
	cr_expect_eq(cfg.proxy.log_level, LOG_LEVEL_WARN);
}

Test(tetherd_config, layout_tolerated)
{
	/* BOM, CRLF, indentation, blank and comment lines, no final newline,
	 * sections in any order, an uppercase domain (stored lowercase) */
	static const char text[] = "\xef\xbb\xbf# tetherd\r\n"
				   "[proxy]\r\n"
				   "\thttp = 0.0.0.0:8080\r\n"
				   "\r\n"
				   "; comment\n"
				   "   [tetherd]   \n"
				   "  private_key=/k\n"
				   "    domain   =   Remote.Example.COM";

	cr_assert_eq(parse(text), 0, "%s", err);
	cr_expect_str_eq(cfg.domain, "remote.example.com");
	cr_expect_str_eq(cfg.private_key, "/k");
	expect_addr(&cfg.proxy.http, "0.0.0.0", 8080);
}

struct bad_value {
	const char *key, *value, *msg;
};

/* Line 4 of [tetherd] (after HEAD) or line 5 of [proxy]. */
static const struct bad_value tetherd_bad[] = {
	{"listen", "0.0.0.0", "'0.0.0.0' is not IPv4:port or [IPv6]:port (port 1..65535)"},
	{"listen", "0.0.0.0:0", "'0.0.0.0:0' is not IPv4:port or [IPv6]:port (port 1..65535)"},
	{"listen", "gw.example.com:51900",
	 "'gw.example.com:51900' is not IPv4:port or [IPv6]:port (port 1..65535)"},
	{"listen", "::51900", "'::51900' is not IPv4:port or [IPv6]:port (port 1..65535)"},
	{"pool", "100.64.0.0/33", "'100.64.0.0/33' is not an IPv4 CIDR (prefix 0..32)"},
	{"pool", "100.64.0.1/16",
	 "'100.64.0.1/16' has host bits set (the network is 100.64.0.0/16)"},
	{"pool", "100.64.0.0/31", "'100.64.0.0/31' has a prefix outside /8../30"},
	{"pool", "0.0.0.0/0", "'0.0.0.0/0' has a prefix outside /8../30"},
	{"gateway", "100.64.0.256", "'100.64.0.256' is not an IPv4 address"},
	{"mtu", "575", "'575' is out of range (576..9000)"},
	{"mtu", "9001", "'9001' is out of range (576..9000)"},
	{"mtu", "1420 bytes", "'1420 bytes' is not a number (576..9000)"},
	{"keepalive", "0", "'0' is out of range (1..3600)"},
	{"keepalive", "3601", "'3601' is out of range (1..3600)"},
	{"keepalive", "-5", "'-5' is not a number (1..3600)"},
	{"state_dir", "var/lib/tether", "'var/lib/tether' is not an absolute path"},
	{"control", "tetherd.sock", "'tetherd.sock' is not an absolute path"},
	{"control",
	 "/run/tether/"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaa",
	 "'/run/tether/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is longer than 107 "
	 "characters"},
	{"control_ro", "./ro.sock", "'./ro.sock' is not an absolute path"},
	{"policy", "policy.conf", "'policy.conf' is not an absolute path"},
	{"proxy_user", "Tether-Proxy",
	 "'Tether-Proxy' is not a user name ([a-z_][a-z0-9_-]{0,31})"},
	{"proxy_user", "1000", "'1000' is not a user name ([a-z_][a-z0-9_-]{0,31})"},
	{"log_level", "loud", "'loud' is not a log level (error, warning, notice, info, debug)"},
};

static const struct bad_value proxy_bad[] = {
	{"http", "80", "'80' is not IPv4:port or [IPv6]:port (port 1..65535)"},
	{"https", "0.0.0.0:443x", "'0.0.0.0:443x' is not IPv4:port or [IPv6]:port (port 1..65535)"},
	{"tls_cert", "wildcard.pem", "'wildcard.pem' is not an absolute path"},
	{"tls_key", "wildcard.key", "'wildcard.key' is not an absolute path"},
	{"device_http_port", "0", "'0' is out of range (1..65535)"},
	{"device_https_port", "65536", "'65536' is out of range (1..65535)"},
	{"device_https_port", "https", "'https' is not a number (1..65535)"},
	{"log_level", "INFO", "'INFO' is not a log level (error, warning, notice, info, debug)"},
};

Test(tetherd_config, bad_values)
{
	char text[1024], want[CONF_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(tetherd_bad) / sizeof(tetherd_bad[0]); i++) {
		snprintf(text, sizeof(text), HEAD "%s = %s\n", tetherd_bad[i].key,
			 tetherd_bad[i].value);
		snprintf(want, sizeof(want), "t.conf:4: %s: %s", tetherd_bad[i].key,
			 tetherd_bad[i].msg);
		expect_err(text, want);
	}
	for (i = 0; i < sizeof(proxy_bad) / sizeof(proxy_bad[0]); i++) {
		snprintf(text, sizeof(text), HEAD "[proxy]\n%s = %s\n", proxy_bad[i].key,
			 proxy_bad[i].value);
		snprintf(want, sizeof(want), "t.conf:5: %s: %s", proxy_bad[i].key,
			 proxy_bad[i].msg);
		expect_err(text, want);
	}
	expect_err("[tetherd]\nprivate_key = key\n",
		   "t.conf:2: private_key: 'key' is not an absolute path");
	expect_err("[tetherd]\n\ndomain = remote_example.com\n",
		   "t.conf:3: domain: 'remote_example.com' is not a DNS name (labels of a-z, 0-9 "
		   "and '-', 1..63 characters)");
	expect_err("[tetherd]\nprivate_key = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n",
		   "t.conf:2: private_key: expects the path of a key file, not a key (value not "
		   "shown)");
	expect_err(HEAD "mtu =\n", "t.conf:4: mtu: no value");
	expect_err(HEAD "mtu = # only a comment\n", "t.conf:4: mtu: no value");
}

Test(tetherd_config, unknown_and_duplicate)
{
	expect_err(HEAD "mut = 1400\n", "t.conf:4: unknown key 'mut' in [tetherd]");
	expect_err(HEAD "Listen = 0.0.0.0:1\n", "t.conf:4: unknown key 'Listen' in [tetherd]");
	expect_err(HEAD "http = 0.0.0.0:80\n",
		   "t.conf:4: unknown key 'http' in [tetherd] (it belongs in [proxy])");
	expect_err(HEAD "[proxy]\nmtu = 1400\n",
		   "t.conf:5: unknown key 'mtu' in [proxy] (it belongs in [tetherd])");
	expect_err(HEAD "[agent]\n",
		   "t.conf:4: unknown section [agent] (expected [tetherd] or [proxy])");
	expect_err(HEAD "[Proxy]\nhttp = 0.0.0.0:80\n",
		   "t.conf:4: unknown section [Proxy] (expected [tetherd] or [proxy])");
	expect_err(HEAD "[]\n", "t.conf:4: '[]' is not '[section]' or 'key = value'");
	expect_err(HEAD "[proxy] http = 0.0.0.0:80\n",
		   "t.conf:4: '[proxy] http = 0.0.0.0:80' is not '[section]' or 'key = value'");
	expect_err(HEAD "[proxy\n", "t.conf:4: '[proxy' is not '[section]' or 'key = value'");
	expect_err("domain = x.example\n[tetherd]\n",
		   "t.conf:1: key 'domain' comes before any section (start with [tetherd] or "
		   "[proxy])");
	expect_err(HEAD "mtu = 1400\nmtu = 1400\n", "t.conf:5: mtu: given twice (first on line 4)");
	expect_err(HEAD "[proxy]\nhttp = 0.0.0.0:80\n[tetherd]\n[proxy]\nhttp = 0.0.0.0:81\n",
		   "t.conf:8: http: given twice (first on line 5)");
	expect_err(HEAD "mtu 1400\n", "t.conf:4: 'mtu 1400' is not '[section]' or 'key = value'");
	expect_err(HEAD "= 1400\n", "t.conf:4: '= 1400' is not '[section]' or 'key = value'");
	/* inih's "name: value" is refused: one separator only */
	expect_err(HEAD "mtu: 1400\n", "t.conf:4: 'mtu: 1400' is not '[section]' or 'key = value'");
	/* an indented line is a key of its own, not an inih continuation line */
	expect_err(HEAD "mtu = 1400\n  1500\n",
		   "t.conf:5: '1500' is not '[section]' or 'key = value'");
}

Test(tetherd_config, missing_required)
{
	expect_err("[tetherd]\ndomain = remote.example.com\n",
		   "t.conf: missing required key 'private_key' in [tetherd]");
	expect_err("[tetherd]\nprivate_key = /k\n",
		   "t.conf: missing required key 'domain' in [tetherd]");
	expect_err("", "t.conf: missing required key 'private_key' in [tetherd]");
	expect_err("# nothing\n[proxy]\n",
		   "t.conf: missing required key 'private_key' in [tetherd]");
}

Test(tetherd_config, across_keys)
{
	expect_err(HEAD "gateway = 100.65.0.1\n",
		   "t.conf:4: gateway: '100.65.0.1' is not inside pool "
		   "100.64.0.0/16");
	expect_err(HEAD "gateway = 100.64.0.0\n",
		   "t.conf:4: gateway: '100.64.0.0' is the network address of pool 100.64.0.0/16");
	expect_err(HEAD "pool = 10.0.0.0/24\ngateway = 10.0.0.255\n",
		   "t.conf:5: gateway: '10.0.0.255' is the broadcast address of pool 10.0.0.0/24");
	expect_err(HEAD "pool = 10.0.0.0/8\n",
		   "t.conf:4: pool: '10.0.0.0/8' does not contain the default gateway 100.64.0.1; "
		   "set gateway");
	cr_expect_eq(parse(HEAD "pool = 10.0.0.0/30\ngateway = 10.0.0.2\n"), 0, "%s", err);
	cr_expect_eq(parse(HEAD "gateway = 100.64.255.254\n"), 0, "%s", err);
	expect_err(HEAD "[proxy]\ntls_cert = /etc/tether/wildcard.pem\n",
		   "t.conf:5: tls_cert: given without tls_key (set both or neither)");
	expect_err(HEAD "[proxy]\ntls_key = /etc/tether/wildcard.key\n",
		   "t.conf:5: tls_key: given without tls_cert (set both or neither)");
	expect_err(HEAD "[proxy]\nhttps = 0.0.0.0:80\n", "t.conf:5: https: same address as http");
	expect_err(HEAD "[proxy]\nhttp = 0.0.0.0:443\n", "t.conf:5: http: same address as https");
	cr_expect_eq(parse(HEAD "[proxy]\nhttp = 0.0.0.0:443\nhttps = [::]:443\n"), 0, "%s", err);
	expect_err(
		HEAD "control_ro = /run/tether/tetherd.sock\n",
		"t.conf:4: control_ro: '/run/tether/tetherd.sock' is also the read-write control "
		"socket");
}

Test(tetherd_config, bounds)
{
	char text[CONF_FILE_MAX + 200];
	size_t n;

	/* 190 characters is the longest line; 191 is refused, never split */
	n = (size_t)snprintf(text, sizeof(text), HEAD "state_dir = /");
	memset(text + n, 'a', 190 - 13);
	strcpy(text + n + 190 - 13, "\n");
	cr_expect_eq(parse(text), 0, "%s", err);
	memset(text + n, 'a', 191 - 13);
	strcpy(text + n + 191 - 13, "\n");
	expect_err(text, "t.conf:4: line longer than 190 characters");
	/* also in a comment */
	n = (size_t)snprintf(text, sizeof(text), HEAD "#");
	memset(text + n, '#', 400);
	strcpy(text + n + 400, "\n");
	expect_err(text, "t.conf:4: line longer than 190 characters");

	cr_expect_eq(tetherd_config_parse("t.conf", HEAD "mtu = 1400\0\n", sizeof(HEAD) + 11, &cfg,
					  err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "t.conf:4: line contains a NUL byte");

	/* over CONF_FILE_MAX: blank lines make it long without a long line */
	n = (size_t)snprintf(text, sizeof(text), HEAD);
	memset(text + n, '\n', CONF_FILE_MAX);
	cr_expect_eq(
		tetherd_config_parse("t.conf", text, n + CONF_FILE_MAX, &cfg, err, sizeof(err)),
		-EFBIG);
	cr_expect_str_eq(err, "t.conf: larger than 65536 bytes");
	cr_expect_eq(tetherd_config_parse("t.conf", text, CONF_FILE_MAX, &cfg, err, sizeof(err)), 0,
		     "%s", err);
}

Test(tetherd_config, error_leaves_cfg_untouched)
{
	cr_assert_eq(parse(HEAD "mtu = 1300\n"), 0);
	cr_assert_eq(parse(HEAD "mtu = 1400\nkeepalive = 0\n"), -EINVAL);
	cr_expect_eq(cfg.mtu, 1300);
	cr_expect_eq(cfg.keepalive, 25);
}

static char dir[] = "/tmp/tether-test-tetherd-config.XXXXXX";

static void setup(void)
{
	cr_assert(mkdtemp(dir), "mkdtemp");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(tetherd_config, load_file, .init = setup, .fini = teardown)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tetherd.conf", dir);
	cr_expect_eq(tetherd_config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "cannot open ") && strstr(err, path) &&
			  strstr(err, "No such file or directory"),
		  "%s", err);

	f = fopen(path, "w");
	cr_assert(f);
	fputs(HEAD "\n\n\npool = 100.64.0.0/33\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_expect_eq(tetherd_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	char want[512];
	snprintf(want, sizeof(want),
		 "%s:7: pool: '100.64.0.0/33' is not an IPv4 CIDR (prefix 0..32)", path);
	cr_expect_str_eq(err, want);

	f = fopen(path, "w");
	cr_assert(f);
	fputs(HEAD "mtu = 1280\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_expect_eq(tetherd_config_load(path, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(cfg.mtu, 1280);

	cr_expect_eq(tetherd_config_load(dir, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	cr_expect_str_eq(err, want);

	/* a FIFO in place of the file: refused at once, no hang */
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_eq(tetherd_config_load(path, &cfg, err, sizeof(err)), -EINVAL);

	/* a file over the size bound */
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(HEAD, f);
	for (int i = 0; i < CONF_FILE_MAX; i++)
		fputc('\n', f);
	cr_assert_eq(fclose(f), 0);
	cr_expect_eq(tetherd_config_load(path, &cfg, err, sizeof(err)), -EFBIG);
}
