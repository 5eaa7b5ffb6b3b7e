/* The policy file parser: what INTERFACE.md allows parses into the model, and every mistake is
 * named by file, line and token. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy_file.h"

static struct policy pol;
static struct policy_error err;

static int parse(const char *text)
{
	policy_init(&pol);
	memset(&err, 0, sizeof(err));
	return policy_file_parse(&pol, "policy.conf", text, strlen(text), &err);
}

/* The text must fail with exactly this message. */
static void bad(const char *text, const char *message)
{
	int ret = parse(text);

	cr_assert_eq(ret, -EINVAL, "'%s' parsed (ret %d)", text, ret);
	cr_assert_str_eq(err.message, message, "'%s': got \"%s\"", text, err.message);
}

Test(policy_file, interface_md_example)
{
	cr_assert_eq(parse("allow 198.18.9.0/24 to * tcp 22        # admin network may ssh\n"
			   "allow 198.18.9.7 to an1234* tcp 502    # Modbus/TCP on some devices\n"),
		     0, "%s", err.message);
	cr_assert_eq(pol.nrules, 2);

	const struct policy_rule *r = &pol.rules[0];
	char a[INET6_ADDRSTRLEN];

	cr_assert_eq(r->line, 1);
	cr_assert_eq(r->family, AF_INET);
	inet_ntop(AF_INET, &r->src.v4, a, sizeof(a));
	cr_assert_str_eq(a, "198.18.9.0");
	cr_assert_eq(r->prefix, 24);
	cr_assert_str_eq(r->pattern, "*");
	cr_assert_eq(r->proto, POLICY_PROTO_TCP);
	cr_assert_eq(r->nports, 1);
	cr_assert_eq(r->ports[0].lo, 22);
	cr_assert_eq(r->ports[0].hi, 22);

	r = &pol.rules[1];
	cr_assert_eq(r->line, 2);
	cr_assert_eq(r->prefix, 32);
	cr_assert_str_eq(r->pattern, "an1234*");
	cr_assert_eq(r->ports[0].lo, 502);
}

Test(policy_file, comments_blank_lines_and_line_numbers)
{
	cr_assert_eq(parse("# a comment\n\n   \t\n# allow nothing\r\n"
			   "\tallow  2001:db8::/32\tto an-*-x udp 161-162\r\n"
			   "allow ::1 to * tcp 1,65535"),
		     0, "%s", err.message);
	cr_assert_eq(pol.nrules, 2);
	cr_assert_eq(pol.rules[0].line, 5);
	cr_assert_eq(pol.rules[0].family, AF_INET6);
	cr_assert_eq(pol.rules[0].prefix, 32);
	cr_assert_eq(pol.rules[0].proto, POLICY_PROTO_UDP);
	cr_assert_eq(pol.rules[0].ports[0].lo, 161);
	cr_assert_eq(pol.rules[0].ports[0].hi, 162);
	cr_assert_eq(pol.rules[1].line, 6, "the last line needs no newline");
	cr_assert_eq(pol.rules[1].prefix, 128);
	cr_assert_eq(pol.rules[1].nports, 2);
	cr_assert_eq(pol.rules[1].ports[1].lo, 65535);
}

Test(policy_file, empty_file_has_no_rules)
{
	cr_assert_eq(parse(""), 0);
	cr_assert_eq(pol.nrules, 0);
	cr_assert_eq(parse("# only a comment\n"), 0);
	cr_assert_eq(pol.nrules, 0);
}

Test(policy_file, ports_are_sorted_and_merged)
{
	cr_assert_eq(parse("allow 10.0.0.0/8 to * tcp 443,80-90,85,91,22,1000-2000,1500\n"), 0,
		     "%s", err.message);
	const struct policy_rule *r = &pol.rules[0];

	cr_assert_eq(r->nports, 4);
	cr_assert_eq(r->ports[0].lo, 22);
	cr_assert_eq(r->ports[1].lo, 80);
	cr_assert_eq(r->ports[1].hi, 91, "85 inside, 91 adjacent: merged");
	cr_assert_eq(r->ports[2].lo, 443);
	cr_assert_eq(r->ports[3].lo, 1000);
	cr_assert_eq(r->ports[3].hi, 2000);
}

Test(policy_file, bad_ports)
{
	bad("allow 198.18.9.0/24 to * tcp 70000\n", "policy.conf:1: bad port '70000'");
	bad("\n\nallow 198.18.9.0/24 to * tcp 22,70000\n", "policy.conf:3: bad port '70000'");
	bad("allow 198.18.9.0/24 to * tcp 0\n", "policy.conf:1: bad port '0'");
	bad("allow 198.18.9.0/24 to * tcp 022\n", "policy.conf:1: bad port '022'");
	bad("allow 198.18.9.0/24 to * tcp -1\n", "policy.conf:1: bad port range '-1'");
	bad("allow 198.18.9.0/24 to * tcp ssh\n", "policy.conf:1: bad port 'ssh'");
	bad("allow 198.18.9.0/24 to * tcp 90-80\n",
	    "policy.conf:1: port range runs backwards '90-80'");
	bad("allow 198.18.9.0/24 to * tcp 80-\n", "policy.conf:1: bad port range '80-'");
	bad("allow 198.18.9.0/24 to * tcp 22,\n", "policy.conf:1: empty item in port list '22,'");
	bad("allow 198.18.9.0/24 to * tcp 1-2-3\n", "policy.conf:1: bad port range '1-2-3'");
	bad("allow 198.18.9.0/24 to * tcp 99999999999999999999\n",
	    "policy.conf:1: bad port '99999999999999999999'");
}

Test(policy_file, too_many_ports)
{
	char line[512] = "allow 10.0.0.1 to * tcp 1";

	for (int i = 2; i <= POLICY_MAX_PORTS; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), ",%d", i * 2);
	cr_assert_eq(parse(line), 0, "%s", err.message);
	cr_assert_eq(pol.rules[0].nports, POLICY_MAX_PORTS);
	strcat(line, ",999");
	cr_assert_eq(parse(line), -EINVAL);
	cr_assert(strstr(err.message, "policy.conf:1: more than 32 ports in '1,4,6"), "%s",
		  err.message);
}

Test(policy_file, bad_sources)
{
	bad("allow 300.1.1.1 to * tcp 22\n", "policy.conf:1: bad address '300.1.1.1'");
	bad("allow gateway.example.com to * tcp 22\n",
	    "policy.conf:1: bad address 'gateway.example.com'");
	bad("allow 198.18.9.0/33 to * tcp 22\n",
	    "policy.conf:1: bad prefix length '198.18.9.0/33'");
	bad("allow 2001:db8::/129 to * tcp 22\n",
	    "policy.conf:1: bad prefix length '2001:db8::/129'");
	bad("allow 198.18.9.0/ to * tcp 22\n", "policy.conf:1: bad prefix length '198.18.9.0/'");
	bad("allow 198.18.9.0/024 to * tcp 22\n",
	    "policy.conf:1: bad prefix length '198.18.9.0/024'");
	bad("allow 198.18.9.7/24 to * tcp 22\n", "policy.conf:1: host bits set in '198.18.9.7/24'");
	bad("allow 2001:db8::1/64 to * tcp 22\n",
	    "policy.conf:1: host bits set in '2001:db8::1/64'");
	bad("allow 010.1.1.1 to * tcp 22\n", "policy.conf:1: bad address '010.1.1.1'");
	bad("allow fe80::1%eth0 to * tcp 22\n", "policy.conf:1: bad address 'fe80::1%eth0'");
	bad("allow ::ffff:1.2.3.4 to * tcp 22\n",
	    "policy.conf:1: IPv4-mapped address (write the IPv4 form) '::ffff:1.2.3.4'");
	bad("allow /24 to * tcp 22\n", "policy.conf:1: bad address '/24'");
	cr_assert_eq(parse("allow 0.0.0.0/0 to * tcp 22\n"), 0, "the whole internet is explicit");
	cr_assert_eq(pol.rules[0].prefix, 0);
}

Test(policy_file, bad_words_and_patterns)
{
	bad("deny 198.18.9.0/24 to * tcp 22\n", "policy.conf:1: unknown keyword 'deny'");
	bad("Allow 198.18.9.0/24 to * tcp 22\n", "policy.conf:1: unknown keyword 'Allow'");
	bad("allow 198.18.9.0/24 from * tcp 22\n",
	    "policy.conf:1: expected 'to' instead of 'from'");
	bad("allow 198.18.9.0/24 to An1234* tcp 22\n",
	    "policy.conf:1: bad device pattern 'An1234*'");
	bad("allow 198.18.9.0/24 to an_1 tcp 22\n", "policy.conf:1: bad device pattern 'an_1'");
	bad("allow 198.18.9.0/24 to a\"b tcp 22\n", "policy.conf:1: bad device pattern 'a\"b'");
	bad("allow 198.18.9.0/24 to * icmp 22\n",
	    "policy.conf:1: bad protocol (tcp or udp) 'icmp'");
	bad("allow 198.18.9.0/24 to * TCP 22\n", "policy.conf:1: bad protocol (tcp or udp) 'TCP'");
	bad("allow 198.18.9.0/24 to * tcp 22 now\n", "policy.conf:1: unexpected 'now'");
	bad("allow 198.18.9.0/24 to * tcp 22, 80\n", "policy.conf:1: unexpected '80'");
}

Test(policy_file, missing_tokens)
{
	bad("allow\n", "policy.conf:1: missing source after 'allow'");
	bad("allow 198.18.9.0/24\n", "policy.conf:1: missing 'to' after '198.18.9.0/24'");
	bad("allow 198.18.9.0/24 to\n", "policy.conf:1: missing device pattern after 'to'");
	bad("allow 198.18.9.0/24 to *\n", "policy.conf:1: missing protocol after '*'");
	bad("allow 198.18.9.0/24 to * tcp # 22\n", "policy.conf:1: missing ports after 'tcp'");
}

Test(policy_file, error_fields)
{
	cr_assert_eq(parse("allow 10.0.0.0/8 to * tcp 22\nallow 10.0.0.0/8 to * tcp 70000\n"),
		     -EINVAL);
	cr_assert_str_eq(err.file, "policy.conf");
	cr_assert_eq(err.line, 2);
	cr_assert_str_eq(err.token, "70000");
}

Test(policy_file, hostile_bytes_are_quoted_safely)
{
	const char text[] = "allow 10.0.0.0/8 to a\x01'\x1b[31m tcp 22\n";

	cr_assert_eq(policy_file_parse(&pol, "policy.conf", text, sizeof(text) - 1, &err), -EINVAL);
	cr_assert_str_eq(err.message, "policy.conf:1: bad device pattern 'a???[31m'");

	const char nul[] = "allow 10.0.0.0/8 to *\0 tcp 22\n";

	cr_assert_eq(policy_file_parse(&pol, "policy.conf", nul, sizeof(nul) - 1, &err), -EINVAL);
	cr_assert_str_eq(err.message, "policy.conf:1: NUL byte in line");
}

Test(policy_file, bounds)
{
	char line[POLICY_FILE_LINE_MAX + 32];

	memset(line, ' ', sizeof(line));
	memcpy(line, "#", 1);
	line[POLICY_FILE_LINE_MAX] = '\n';
	cr_assert_eq(policy_file_parse(&pol, "p", line, POLICY_FILE_LINE_MAX + 1, &err), 0,
		     "a line of exactly the limit is fine");
	line[POLICY_FILE_LINE_MAX] = ' ';
	line[POLICY_FILE_LINE_MAX + 1] = '\n';
	cr_assert_eq(policy_file_parse(&pol, "p", line, POLICY_FILE_LINE_MAX + 2, &err), -EINVAL);
	cr_assert_str_eq(err.message, "p:1: line longer than 512 characters");

	size_t size = (POLICY_MAX_RULES + 1) * 32;
	char *many = malloc(size);
	size_t len = 0, before_last = 0;

	cr_assert_not_null(many);
	for (int i = 0; i <= POLICY_MAX_RULES; i++) {
		before_last = len;
		len += (size_t)snprintf(many + len, size - len, "allow 10.0.0.%d to * tcp 22\n",
					i % 250);
	}
	cr_assert_eq(policy_file_parse(&pol, "p", many, len, &err), -EINVAL);
	cr_assert_str_eq(err.message, "p:257: more than 256 rules");
	cr_assert_eq(policy_file_parse(&pol, "p", many, before_last, &err), 0, "%s", err.message);
	cr_assert_eq(pol.nrules, POLICY_MAX_RULES);
	free(many);

	cr_assert_eq(policy_file_parse(&pol, "p", "", POLICY_FILE_SIZE_MAX + 1, &err), -EFBIG);
}

Test(policy_file, load_from_disk)
{
	char path[] = "/tmp/tether-policy-XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "allow 198.18.9.0/24 to * tcp 22\nallow 198.18.9.7 to x tcp 1-0\n";

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	policy_init(&pol);
	cr_assert_eq(policy_file_load(&pol, path, &err), -EINVAL);
	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.message, ":2: bad port range '1-0'"), "%s", err.message);
	unlink(path);

	cr_assert_eq(policy_file_load(&pol, "/nonexistent/policy.conf", &err), -ENOENT);
	cr_assert_str_eq(err.message,
			 "/nonexistent/policy.conf: cannot open: No such file or directory");
	cr_assert_eq(policy_file_load(&pol, "/tmp", &err), -EINVAL);
}

/* A FIFO in place of the policy file is refused at once: opening it
 * blocking would hang tetherd's start or reload until a writer came. */
Test(policy_file, fifo_does_not_hang, .timeout = 10)
{
	char dir[] = "/tmp/tether-policy-XXXXXX", path[64];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	policy_init(&pol);
	cr_expect_eq(policy_file_load(&pol, path, &err), -EINVAL);
	cr_expect(strstr(err.message, "not a regular file"), "%s", err.message);
	unlink(path);
	rmdir(dir);
}
