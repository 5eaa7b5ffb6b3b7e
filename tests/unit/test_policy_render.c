/* The rendered nft text for the model: the atomic-replace header, every chain and set, the
 * policy lines, the device elements, and refusal of anything that could inject nft syntax. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_file.h"

static struct policy pol;
static struct policy_error err;
static struct policy_device devs[3];

static void setup(void)
{
	policy_init(&pol);
	pol.proxy_uid = 998;
	inet_pton(AF_INET, "100.64.0.1", &pol.gateway4);
	const char text[] = "allow 198.18.9.0/24 to * tcp 22\n"
			    "allow 198.18.9.7 to an1234* tcp 502,80\n"
			    "allow 2001:db8::/32 to an1234* udp 161-162\n";
	cr_assert_eq(policy_file_parse(&pol, "policy.conf", text, sizeof(text) - 1, &err), 0);

	devs[0] = (struct policy_device){.name = "meter-a", .ifname = "tt-meter-a"};
	inet_pton(AF_INET, "100.64.0.2", &devs[0].addr4);
	devs[1] = (struct policy_device){.name = "an12345678901234", .ifname = "tt-0a1b2c3d4e5f"};
	inet_pton(AF_INET, "100.64.0.3", &devs[1].addr4);
	devs[1].has_addr6 = true;
	inet_pton(AF_INET6, "fd00::3", &devs[1].addr6);
	devs[2] = (struct policy_device){.name = "an1234", .ifname = "tt-an1234"};
	inet_pton(AF_INET, "100.64.0.4", &devs[2].addr4);
}

TestSuite(policy_render, .init = setup);

static char *render(size_t n)
{
	char *text = NULL;
	int ret = policy_render(&pol, devs, n, &text, &err);

	cr_assert_eq(ret, 0, "render: %s", err.message);
	cr_assert_not_null(text);
	return text;
}

/* The text of one set block, from "set NAME {" to its closing brace. */
static char *set_block(const char *text, const char *name)
{
	char head[64];
	const char *s, *e;

	snprintf(head, sizeof(head), "\tset %s {\n", name);
	s = strstr(text, head);
	if (!s)
		return NULL;
	e = strstr(s, "\n\t}\n");
	cr_assert_not_null(e);
	return strndup(s, (size_t)(e - s) + 4);
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

Test(policy_render, replaces_the_table_in_one_script)
{
	char *text = render(3);

	cr_assert(!strncmp(text,
			   "add table inet tether\ndelete table inet tether\n"
			   "table inet tether {\n",
			   60),
		  "%s", text);
	cr_assert_eq(count(text, "table inet tether"), 3);
	free(text);
}

Test(policy_render, chains_hooks_and_priorities)
{
	char *text = render(0);

	cr_assert(strstr(text,
			 "\tchain prerouting {\n\t\ttype filter hook prerouting priority raw; "
			 "policy accept;\n"));
	cr_assert(strstr(text, "\tchain input {\n\t\ttype filter hook input priority filter; "
			       "policy accept;\n"));
	cr_assert(strstr(text, "\tchain forward {\n\t\ttype filter hook forward priority filter; "
			       "policy accept;\n"));
	cr_assert(strstr(text, "\tchain output {\n\t\ttype filter hook output priority filter; "
			       "policy accept;\n"));
	free(text);
}

/* Every rule counts and explains itself, so `nft list table inet tether` reads well. */
Test(policy_render, every_rule_has_a_counter_and_a_comment)
{
	char *text = render(3), *save = NULL;
	size_t rules = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "\t\tiifname", 9) && strncmp(line, "\t\toifname", 9))
			continue;
		rules++;
		cr_assert(strstr(line, " counter "), "no counter: %s", line);
		cr_assert(strstr(line, " comment \""), "no comment: %s", line);
		cr_assert(strlen(strstr(line, " comment \"")) - 11 < 128, "comment too long: %s",
			  line);
	}
	cr_assert_eq(rules, 3 + 3 + 4 + 3 + 3, "3 prerouting, 3 input, 4+3 forward, 3 output");
	free(text);
}

Test(policy_render, anti_spoofing_sets_hold_every_device)
{
	char *text = render(3);
	char *s4 = set_block(text, "spoof4"), *s6 = set_block(text, "spoof6");

	cr_assert_not_null(s4);
	cr_assert(strstr(s4, "type ifname . ipv4_addr\n"));
	cr_assert(strstr(s4, "size 65536\n"));
	cr_assert(strstr(s4, "\"tt-meter-a\" . 100.64.0.2 comment \"meter-a\""), "%s", s4);
	cr_assert(strstr(s4, "\"tt-0a1b2c3d4e5f\" . 100.64.0.3 comment \"an12345678901234\""));
	cr_assert(strstr(s4, "\"tt-an1234\" . 100.64.0.4 comment \"an1234\""));
	cr_assert(strstr(s6, "type ifname . ipv6_addr\n"));
	cr_assert(strstr(s6, "\"tt-0a1b2c3d4e5f\" . fd00::3 comment"), "%s", s6);
	cr_assert_eq(count(s6, " . "), 2, "the type and the one device with IPv6");
	cr_assert(strstr(text, "iifname \"tt-*\" iifname . ip saddr @spoof4 counter accept"));
	cr_assert(strstr(text, "iifname \"tt-*\" iifname . ip6 saddr @spoof6 counter accept"));
	cr_assert(strstr(text, "iifname \"tt-*\" counter drop comment \"anti-spoofing:"));
	free(s4);
	free(s6);
	free(text);
}

/* Patterns match device names, not interface names, which may be hashes. */
Test(policy_render, rule_sets_hold_the_matching_devices)
{
	char *text = render(3);
	char *r2 = set_block(text, "rule2_v4"), *r3 = set_block(text, "rule3_v6");

	cr_assert_null(set_block(text, "rule1_v4"), "'*' needs no set");
	cr_assert_not_null(r2);
	cr_assert(strstr(r2, "type ipv4_addr\n"));
	cr_assert(strstr(r2, "comment \"addresses of the devices matching 'an1234*' "
			     "(policy line 2)\""));
	cr_assert(strstr(r2, "100.64.0.3 comment \"an12345678901234\""), "%s", r2);
	cr_assert(strstr(r2, "100.64.0.4 comment \"an1234\""));
	cr_assert_null(strstr(r2, "100.64.0.2"), "meter-a does not match an1234*");
	cr_assert_not_null(r3);
	cr_assert(strstr(r3, "type ipv6_addr\n"));
	cr_assert(strstr(r3, "fd00::3 comment"), "%s", r3);
	cr_assert_eq(count(r3, "comment"), 2, "set comment and the one IPv6 device");
	free(r2);
	free(r3);
	free(text);
}

Test(policy_render, policy_lines_become_forward_rules)
{
	char *text = render(0);

	cr_assert(strstr(text, "\t\toifname \"tt-*\" ip saddr 198.18.9.0/24 tcp dport 22 ct state "
			       "new counter accept comment \"policy line 1: allow 198.18.9.0/24 to "
			       "* tcp 22\"\n"),
		  "%s", text);
	cr_assert(strstr(text, "\t\toifname \"tt-*\" ip saddr 198.18.9.7 ip daddr @rule2_v4 tcp "
			       "dport { 80, 502 } ct state new counter accept comment \"policy "
			       "line 2: allow 198.18.9.7 to an1234* tcp 80,502\"\n"),
		  "%s", text);
	cr_assert(strstr(text, "\t\toifname \"tt-*\" ip6 saddr 2001:db8::/32 ip6 daddr @rule3_v6 "
			       "udp dport 161-162 ct state new counter accept comment"));
	/* the policy rules sit between the established accept and the final drop */
	char *est = strstr(text, "oifname \"tt-*\" ct state established,related counter accept");
	char *drop = strstr(text, "oifname \"tt-*\" counter drop comment \"access: nothing else");

	cr_assert(est && drop && est < strstr(text, "policy line 1") &&
		  strstr(text, "policy line 3") < drop);
	free(text);
}

Test(policy_render, isolation_rules)
{
	char *text = render(0);

	cr_assert(strstr(text, "iifname \"tt-*\" ct state established,related ct direction reply "
			       "counter accept comment \"isolation: answers to connections the "
			       "gateway opened\""));
	cr_assert(strstr(text, "iifname \"tt-*\" ip daddr 100.64.0.1 icmp type echo-request "
			       "counter accept"));
	cr_assert(strstr(text, "iifname \"tt-*\" counter drop comment \"isolation: devices open "
			       "no connection to the gateway\""));
	cr_assert(strstr(text, "iifname \"tt-*\" counter drop comment \"isolation: nothing else "
			       "is forwarded from a device\""));
	cr_assert_null(strstr(text, "icmpv6"), "no IPv6 gateway address, no IPv6 ping rule");
	free(text);

	pol.gateway4.s_addr = 0;
	pol.has_gateway6 = true;
	inet_pton(AF_INET6, "fd00::1", &pol.gateway6);
	text = render(0);
	cr_assert_null(strstr(text, "icmp type echo-request"));
	cr_assert(strstr(text, "iifname \"tt-*\" ip6 daddr fd00::1 icmpv6 type echo-request "
			       "counter accept"));
	free(text);
}

Test(policy_render, proxy_rule)
{
	char *text = render(0);

	cr_assert(strstr(text, "oifname \"tt-*\" meta skuid 998 tcp dport { 80, 443 } ct state new "
			       "counter accept comment \"access: the proxy user (uid 998) to the "
			       "devices' web ports\""));
	cr_assert(strstr(text, "oifname \"tt-*\" counter drop comment \"access: no other local "
			       "process reaches a device\""));
	free(text);

	pol.http_port = 8080;
	pol.https_port = 8080;
	text = render(0);
	cr_assert(strstr(text, "meta skuid 998 tcp dport 8080 ct state new"));
	free(text);

	pol.proxy_uid = POLICY_UID_NONE;
	text = render(0);
	cr_assert_null(strstr(text, "skuid"), "no proxy user, no way out of the gateway");
	free(text);
}

Test(policy_render, long_comments_are_cut)
{
	const char text[] = "allow 2001:db8:1234:5678:9abc:def0:1234:0/112 to "
			    "an1234567890-very-long-pattern-*-for-a-comment tcp "
			    "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33\n";
	char *out;

	cr_assert_eq(policy_file_parse(&pol, "p", text, sizeof(text) - 1, &err), 0, "%s",
		     err.message);
	out = render(0);
	char *c = strstr(out, "comment \"policy line 1: ");

	cr_assert_not_null(c);
	cr_assert_eq(strcspn(c + 9, "\""), 127, "%s", c);
	cr_assert(!strncmp(c + 9 + 124, "...\"", 4));
	free(out);

	/* a set's comment with the longest pattern and a far line */
	memset(pol.rules[0].pattern, 'a', POLICY_PATTERN_MAX);
	pol.rules[0].pattern[POLICY_PATTERN_MAX] = '\0';
	pol.rules[0].line = 1000000;
	out = render(0);
	c = strstr(out, "comment \"addresses of the devices matching 'aaaa");
	cr_assert_not_null(c);
	cr_assert_lt(strcspn(c + 9, "\""), 128, "%s", c);
	free(out);
}

Test(policy_render, refuses_what_could_inject_nft_syntax)
{
	char *text = NULL;
	struct policy_device d = devs[0];

	d.ifname = "tt-a\" ; flush ruleset";
	cr_assert_eq(policy_render(&pol, &d, 1, &text, &err), -EINVAL);
	cr_assert(strstr(err.message, "device 'meter-a': bad interface name 'tt-a\"?;?flush"), "%s",
		  err.message);
	d.ifname = "eth0";
	cr_assert_eq(policy_render(&pol, &d, 1, &text, &err), -EINVAL, "not a tt-* interface");
	d.ifname = "tt-0123456789abc";
	cr_assert_eq(policy_render(&pol, &d, 1, &text, &err), -EINVAL, "16 characters");
	d.ifname = "tt-a*";
	cr_assert_eq(policy_render(&pol, &d, 1, &text, &err), -EINVAL, "a wildcard");
	d = devs[0];
	d.name = "Meter";
	cr_assert_eq(policy_render(&pol, &d, 1, &text, &err), -EINVAL);
	cr_assert_str_eq(err.message, "bad device name 'Meter'");
	d.name = "a\"b";
	cr_assert_eq(policy_render(&pol, &d, 1, &text, &err), -EINVAL);
	d.name = NULL;
	cr_assert_eq(policy_render(&pol, &d, 1, &text, &err), -EINVAL);

	strcpy(pol.rules[1].pattern, "an\"*");
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL);
	cr_assert(strstr(err.message, "bad device pattern"), "%s", err.message);
	strcpy(pol.rules[1].pattern, "an*");
	pol.rules[0].prefix = 16; /* 198.18.9.0/16 has host bits set */
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL);
	pol.rules[0].prefix = 24;
	pol.rules[0].ports[0].lo = 0;
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL);
	pol.rules[0].ports[0] = (struct policy_ports){22, 22};
	pol.rules[1].ports[1] = pol.rules[1].ports[0];
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL, "overlapping ports");
	cr_assert_null(text);
}

Test(policy_render, device_elements_only)
{
	char *text = NULL, *save = NULL;

	cr_assert_eq(policy_render_elements(&pol, &devs[1], 1, POLICY_OP_ADD, &text, &err), 0);
	cr_assert_str_eq(text, "add element inet tether spoof4 { \"tt-0a1b2c3d4e5f\" . 100.64.0.3 "
			       "comment \"an12345678901234\" }\n"
			       "add element inet tether spoof6 { \"tt-0a1b2c3d4e5f\" . fd00::3 "
			       "comment \"an12345678901234\" }\n"
			       "add element inet tether rule2_v4 { 100.64.0.3 comment "
			       "\"an12345678901234\" }\n"
			       "add element inet tether rule3_v6 { fd00::3 comment "
			       "\"an12345678901234\" }\n");
	free(text);

	cr_assert_eq(policy_render_elements(&pol, &devs[0], 1, POLICY_OP_REMOVE, &text, &err), 0);
	cr_assert_str_eq(text,
			 "add element inet tether spoof4 { \"tt-meter-a\" . 100.64.0.2 }\n"
			 "delete element inet tether spoof4 { \"tt-meter-a\" . 100.64.0.2 }\n");
	free(text);

	cr_assert_eq(policy_render_elements(&pol, devs, 3, POLICY_OP_ADD, &text, &err), 0);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		cr_assert(!strncmp(l, "add element inet tether ", 24), "%s", l);
	free(text);

	cr_assert_eq(policy_render_elements(&pol, devs, 0, POLICY_OP_ADD, &text, &err), 0);
	cr_assert_str_eq(text, "");
	free(text);
}

Test(policy_render, pattern_match)
{
	cr_assert(policy_pattern_match("*", "an12345678"));
	cr_assert(policy_pattern_match("an1234*", "an12345678"));
	cr_assert(policy_pattern_match("an1234*", "an1234"));
	cr_assert_not(policy_pattern_match("an1234*", "an123"));
	cr_assert(policy_pattern_match("*78", "an12345678"));
	cr_assert(policy_pattern_match("a*3*8", "an12345678"));
	cr_assert_not(policy_pattern_match("a*3*9", "an12345678"));
	cr_assert(policy_pattern_match("meter-a", "meter-a"));
	cr_assert_not(policy_pattern_match("meter-a", "meter-ab"));
	cr_assert(policy_pattern_match("**a**", "a"));
	cr_assert(policy_pattern_match("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
	cr_assert_not(
		policy_pattern_match("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

Test(policy_render, bad_model_fields)
{
	char *text = NULL;

	pol.max_devices = 0;
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL);
	pol.max_devices = 10;
	pol.http_port = 0;
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL);
	pol.http_port = 80;
	pol.nrules = POLICY_MAX_RULES + 1;
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL);
	pol.nrules = 1;
	pol.rules[0].family = AF_UNIX;
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), -EINVAL);
	pol.rules[0].family = AF_INET;
	cr_assert_eq(policy_render(&pol, devs, 0, &text, &err), 0);
	cr_assert(strstr(text, "size 10\n"));
	free(text);
}
