/* policy_* against the kernel, each test in a network namespace of its own: atomic replace, a
 * failing reload that changes nothing, device changes that touch only set elements, flat cost at
 * 10,000 devices, one context per thread, clean removal. Criterion runs every test in its own
 * process; unshare() gives that process an anonymous namespace that dies with it, so nothing
 * is left behind even when a test fails. Traffic is tested in tests/netns/policy.sh. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy_file.h"

enum { MANY = 10000 };

static struct policy pol;
static struct policy_error err;
static struct policy_device devs[MANY];
static char names[MANY][2][24];

/* Root and namespaces are needed; outside CI a plain user skips, in CI that is a failure. */
static void enter_netns(void)
{
	const char *ci = getenv("CI");

	if (geteuid() != 0 && !(ci && !strcmp(ci, "true")))
		cr_skip_test("needs root for network namespaces");
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
}

static void make_devices(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i][0], sizeof(names[i][0]), "an%08zu", i);
		snprintf(names[i][1], sizeof(names[i][1]), "tt-an%08zu", i);
		devs[i] = (struct policy_device){.name = names[i][0], .ifname = names[i][1]};
		devs[i].addr4.s_addr = htonl(0x64400000u + 2 + (uint32_t)i); /* 100.64.0.2 on */
		if (i % 2 == 0) {
			devs[i].has_addr6 = true;
			inet_pton(AF_INET6, "fd00::", &devs[i].addr6);
			devs[i].addr6.s6_addr[14] = (uint8_t)(i >> 8);
			devs[i].addr6.s6_addr[15] = (uint8_t)i;
		}
	}
}

static void setup(void)
{
	const char text[] = "allow 198.18.9.0/24 to * tcp 22\n"
			    "allow 198.18.9.7 to an0000000* tcp 502\n"
			    "allow 2001:db8::/32 to an00000001 udp 161\n";

	enter_netns();
	policy_init(&pol);
	pol.proxy_uid = 998;
	inet_pton(AF_INET, "100.64.0.1", &pol.gateway4);
	cr_assert_eq(policy_file_parse(&pol, "policy.conf", text, sizeof(text) - 1, &err), 0);
	make_devices(MANY);
}

TestSuite(policy_nft, .init = setup, .timeout = 120);

/* The output of a command run in this process's namespace. */
static char *output(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	size_t cap = 1 << 16, len = 0, got;
	char *buf = malloc(cap);

	cr_assert(f && buf);
	while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	buf[len] = '\0';
	pclose(f);
	return buf;
}

static json_t *ruleset(void)
{
	char *text = output("nft -j list ruleset");
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);

	cr_assert_not_null(root, "nft -j: %s", jerr.text);
	free(text);
	return root;
}

/* Number of elements in a set, -1 if there is no such set. */
static long set_size(json_t *root, const char *name)
{
	json_t *items = json_object_get(root, "nftables"), *item;
	size_t i;

	json_array_foreach(items, i, item)
	{
		json_t *set = json_object_get(item, "set");

		if (set && !strcmp(json_string_value(json_object_get(set, "name")), name))
			return (long)json_array_size(json_object_get(set, "elem"));
	}
	return -1;
}

/* Every rule with its handle, as one string: equal strings mean untouched rules. */
static char *rules(json_t *root)
{
	json_t *items = json_object_get(root, "nftables"), *item, *all = json_array();
	char *s;
	size_t i;

	json_array_foreach(items, i, item)
	{
		json_t *rule = json_object_get(item, "rule");

		if (rule)
			json_array_append(all, rule);
	}
	s = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(all);
	return s;
}

static size_t count_rules(json_t *root)
{
	json_t *items = json_object_get(root, "nftables"), *item;
	size_t i, n = 0;

	json_array_foreach(items, i, item) n += json_object_get(item, "rule") != NULL;
	return n;
}

static const char *strrstr(const char *s, const char *needle)
{
	const char *last = NULL;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		last = p;
	return last;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(policy_nft, apply_builds_the_table)
{
	struct policy_nft *nft = policy_nft_create();
	json_t *root;

	cr_assert_not_null(nft);
	cr_assert_eq(policy_apply(nft, &pol, devs, 20, &err), 0, "%s", err.message);
	root = ruleset();
	cr_assert_eq(set_size(root, "spoof4"), 20);
	cr_assert_eq(set_size(root, "spoof6"), 10);
	cr_assert_eq(set_size(root, "rule1_v4"), -1, "'*' has no set");
	cr_assert_eq(set_size(root, "rule2_v4"), 10, "an00000000 .. an00000009");
	cr_assert_eq(set_size(root, "rule3_v6"), 0, "an00000001 has no IPv6 address");
	cr_assert_eq(count_rules(root), 3 + 3 + 4 + 3 + 3);
	json_decref(root);

	char *text = output("nft list chain inet tether output");

	cr_assert(strstr(text,
			 "meta skuid 998 tcp dport { 80, 443 } ct state new counter packets 0 "
			 "bytes 0 accept"),
		  "%s", text);
	free(text);
	policy_nft_free(nft);
}

/* Reload replaces the table in one transaction; a reload the kernel refuses leaves the old
 * table exactly as it was: same handles, same elements. */
Test(policy_nft, failing_reload_keeps_the_old_table)
{
	struct policy_nft *nft = policy_nft_create();
	struct policy small = pol;
	char *before, *after;

	cr_assert_eq(policy_apply(nft, &pol, devs, 3, &err), 0, "%s", err.message);
	before = output("nft -a list ruleset");
	cr_assert(strstr(before, "table inet tether"));

	/* the kernel enforces the sets' size: three devices do not fit in two */
	small.max_devices = 2;
	small.nrules = 1;
	int ret = policy_apply(nft, &small, devs, 3, &err);

	cr_assert_lt(ret, 0);
	cr_assert(strstr(err.message, "applying table inet tether: "), "%s", err.message);
	cr_assert(strstr(err.message, "Error:"), "nft's own words: %s", err.message);
	cr_assert_null(strchr(err.message, '\n'), "one line: %s", err.message);
	after = output("nft -a list ruleset");
	cr_assert_str_eq(before, after);
	free(after);

	/* a good reload replaces everything: new handles, new rules */
	cr_assert_eq(policy_apply(nft, &small, devs, 2, &err), 0, "%s", err.message);
	after = output("nft -a list ruleset");
	cr_assert_str_neq(before, after);
	cr_assert_null(strstr(after, "policy line 2"));
	cr_assert_eq(strstr(after, "table inet tether"), strrstr(after, "table inet tether"),
		     "exactly one table");
	free(before);
	free(after);
	policy_nft_free(nft);
}

Test(policy_nft, device_changes_touch_only_elements)
{
	struct policy_nft *nft = policy_nft_create();
	const struct policy_device *d = &devs[5];
	json_t *root;
	char *r0, *r1;

	cr_assert_eq(policy_apply(nft, &pol, devs, 4, &err), 0, "%s", err.message);
	root = ruleset();
	r0 = rules(root);
	cr_assert_eq(set_size(root, "spoof4"), 4);
	json_decref(root);

	cr_assert_eq(policy_device_add(nft, &pol, d->name, d->ifname, &d->addr4, NULL, &err), 0,
		     "%s", err.message);
	cr_assert_eq(policy_device_add(nft, &pol, d->name, d->ifname, &d->addr4, NULL, &err), 0,
		     "adding twice is fine: %s", err.message);
	root = ruleset();
	r1 = rules(root);
	cr_assert_str_eq(r0, r1, "rules untouched by an added device");
	cr_assert_eq(set_size(root, "spoof4"), 5);
	cr_assert_eq(set_size(root, "rule2_v4"), 5);
	json_decref(root);
	free(r1);

	cr_assert_eq(policy_device_remove(nft, &pol, d->name, d->ifname, &d->addr4, NULL, &err), 0,
		     "%s", err.message);
	cr_assert_eq(policy_device_remove(nft, &pol, d->name, d->ifname, &d->addr4, NULL, &err), 0,
		     "removing an absent device is fine: %s", err.message);
	root = ruleset();
	r1 = rules(root);
	cr_assert_str_eq(r0, r1, "rules untouched by a removed device");
	cr_assert_eq(set_size(root, "spoof4"), 4);
	cr_assert_eq(set_size(root, "rule2_v4"), 4);
	json_decref(root);
	free(r1);

	/* a batch, with IPv6 */
	cr_assert_eq(policy_devices_add(nft, &pol, devs + 4, 6, &err), 0, "%s", err.message);
	root = ruleset();
	cr_assert_eq(set_size(root, "spoof4"), 10);
	cr_assert_eq(set_size(root, "spoof6"), 5);
	json_decref(root);
	cr_assert_eq(policy_devices_remove(nft, &pol, devs, 10, &err), 0, "%s", err.message);
	root = ruleset();
	cr_assert_eq(set_size(root, "spoof4"), 0);
	cr_assert_eq(set_size(root, "spoof6"), 0);
	cr_assert_eq(set_size(root, "rule2_v4"), 0);
	r1 = rules(root);
	cr_assert_str_eq(r0, r1);
	json_decref(root);
	free(r0);
	free(r1);
	policy_nft_free(nft);
}

Test(policy_nft, errors_carry_nft_words)
{
	struct policy_nft *nft = policy_nft_create();
	const struct policy_device *d = &devs[0];
	int ret;

	ret = policy_device_add(nft, &pol, d->name, d->ifname, &d->addr4, NULL, &err);
	cr_assert_eq(ret, -ENOENT, "no table yet: %d %s", ret, err.message);
	cr_assert(strstr(err.message, "adding devices: "), "%s", err.message);
	cr_assert(strstr(err.message, "No such file or directory"), "%s", err.message);
	cr_assert(strstr(err.message, "add element inet tether spoof4"), "the command: %s",
		  err.message);

	ret = policy_device_add(nft, &pol, "bad name", d->ifname, &d->addr4, NULL, &err);
	cr_assert_eq(ret, -EINVAL);
	cr_assert_str_eq(err.message, "bad device name 'bad?name'");
	cr_assert_eq(policy_device_add(nft, &pol, d->name, d->ifname, NULL, NULL, &err), -EINVAL);
	policy_nft_free(nft);
}

/* Adding a device costs the same with 10 or 10,000 devices present: only elements change. */
Test(policy_nft, flat_cost_with_10000_devices)
{
	struct policy_nft *nft = policy_nft_create();
	struct in_addr a;
	double t0, small, big, apply;
	enum { ROUNDS = 50 };
	json_t *root;

	a.s_addr = htonl(0x64410000u); /* 100.65.0.0, away from the others */
	cr_assert_eq(policy_apply(nft, &pol, devs, 10, &err), 0, "%s", err.message);
	t0 = now();
	for (int i = 0; i < ROUNDS; i++) {
		cr_assert_eq(policy_device_add(nft, &pol, "an0000000x", "tt-x", &a, NULL, &err), 0,
			     "%s", err.message);
		cr_assert_eq(policy_device_remove(nft, &pol, "an0000000x", "tt-x", &a, NULL, &err),
			     0, "%s", err.message);
	}
	small = (now() - t0) / ROUNDS;

	t0 = now();
	cr_assert_eq(policy_apply(nft, &pol, devs, MANY, &err), 0, "%s", err.message);
	apply = now() - t0;
	t0 = now();
	for (int i = 0; i < ROUNDS; i++) {
		cr_assert_eq(policy_device_add(nft, &pol, "an0000000x", "tt-x", &a, NULL, &err), 0,
			     "%s", err.message);
		cr_assert_eq(policy_device_remove(nft, &pol, "an0000000x", "tt-x", &a, NULL, &err),
			     0, "%s", err.message);
	}
	big = (now() - t0) / ROUNDS;
	cr_log_info("apply of %d devices: %.0f ms; add+remove of one device: %.2f ms with 10, "
		    "%.2f ms with %d",
		    MANY, apply * 1e3, small * 1e3, big * 1e3, MANY);
	fprintf(stderr,
		"policy_nft: apply %d devices %.0f ms; add+remove one device %.2f ms (10 "
		"present), %.2f ms (%d present)\n",
		MANY, apply * 1e3, small * 1e3, big * 1e3, MANY);
	/* flat: not a thousandfold like the device count, allowing for a noisy shared machine */
	cr_assert_lt(big, small * 4 + 0.005, "%.2f ms vs %.2f ms", big * 1e3, small * 1e3);

	root = ruleset();
	cr_assert_eq(set_size(root, "spoof4"), MANY);
	cr_assert_eq(set_size(root, "spoof6"), MANY / 2);
	cr_assert_eq(set_size(root, "rule2_v4"), 10);
	json_decref(root);
	policy_nft_free(nft);
}

struct worker {
	size_t first;
	size_t n;
	int ret;
	char message[sizeof(err.message)];
};

/* Each thread has its own context: sharing one across threads crashes libnftables. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct policy_nft *nft = policy_nft_create();
	struct policy_error e;

	w->ret = nft ? 0 : -errno;
	for (size_t i = w->first; nft && !w->ret && i < w->first + w->n; i++) {
		w->ret = policy_device_add(nft, &pol, devs[i].name, devs[i].ifname, &devs[i].addr4,
					   NULL, &e);
		if (w->ret)
			snprintf(w->message, sizeof(w->message), "%s", e.message);
	}
	policy_nft_free(nft);
	return NULL;
}

Test(policy_nft, one_context_per_thread)
{
	struct policy_nft *nft = policy_nft_create();
	struct worker w[4];
	pthread_t t[4];
	json_t *root;

	cr_assert_eq(policy_apply(nft, &pol, devs, 0, &err), 0, "%s", err.message);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.first = (size_t)i * 100, .n = 100};
		cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].ret, 0, "thread %d: %s", i, w[i].message);
	}
	root = ruleset();
	cr_assert_eq(set_size(root, "spoof4"), 400);
	json_decref(root);
	policy_nft_free(nft);
}

Test(policy_nft, remove_leaves_nothing)
{
	struct policy_nft *nft = policy_nft_create();
	char *text;

	cr_assert_eq(policy_remove(nft, &err), 0, "no table is fine: %s", err.message);
	cr_assert_eq(policy_apply(nft, &pol, devs, 5, &err), 0, "%s", err.message);
	cr_assert_eq(policy_remove(nft, &err), 0, "%s", err.message);
	text = output("nft list ruleset");
	cr_assert_str_eq(text, "");
	free(text);
	cr_assert_eq(policy_remove(nft, &err), 0, "twice is fine: %s", err.message);
	policy_nft_free(nft);
}
