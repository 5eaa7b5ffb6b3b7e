/* Host values and SNI names to device names: the one shape that maps, and
 * every near miss that must not. */
#include <criterion/criterion.h>
#include <string.h>

#include "concentrator/proxy/host.h"

static const char *domain = "remote.example.com";
static char name[HOST_DEVICE_NAME_MAX + 1];

static enum host_result map(const char *host)
{
	memset(name, 'x', sizeof(name));
	return host_device(host, strlen(host), domain, name);
}

#define device(host, want)                                                                         \
	do {                                                                                       \
		cr_assert_eq(map(host), HOST_DEVICE, "%s: %s", host, host_result_str(map(host)));  \
		cr_assert_str_eq(name, want);                                                      \
	} while (0)

#define not_device(host, why)                                                                      \
	cr_assert_eq(map(host), (why), "%s: got %s", host, host_result_str(map(host)))

Test(host, maps)
{
	device("an12345678.remote.example.com", "an12345678");
	device("AN1.Remote.Example.COM", "an1");
	device("an1.remote.example.com:8443", "an1");
	device("an1.remote.example.com.", "an1");
	device("an1.remote.example.com.:80", "an1");
	device("0.remote.example.com", "0");
	device("a-b-.remote.example.com", "a-b-");
	device("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0.remote.example.com",
	       "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0");
}

Test(host, domain_forms)
{
	domain = "Remote.Example.com.";
	device("an1.remote.example.com", "an1");
	domain = "remote.example.com";
}

Test(host, refuses)
{
	not_device("", HOST_EMPTY);
	not_device(":443", HOST_EMPTY);
	not_device(".", HOST_EMPTY);
	not_device("remote.example.com", HOST_BARE_DOMAIN);
	not_device("REMOTE.example.com.:80", HOST_BARE_DOMAIN);
	not_device("a.an1.remote.example.com", HOST_TOO_DEEP);
	not_device("an1.example.com", HOST_OTHER_DOMAIN);
	not_device("an1.remote.example.com.evil.net", HOST_OTHER_DOMAIN);
	not_device("an1remote.example.com", HOST_OTHER_DOMAIN);
	not_device("xremote.example.com", HOST_OTHER_DOMAIN);
	not_device("emote.example.com", HOST_OTHER_DOMAIN);
	not_device("localhost", HOST_OTHER_DOMAIN);
	not_device(".remote.example.com", HOST_BAD_NAME);
	not_device("-an1.remote.example.com", HOST_BAD_NAME);
	not_device("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01.remote."
		   "example.com",
		   HOST_BAD_NAME);
	not_device("an_1.remote.example.com", HOST_BAD_CHAR);
	not_device("an 1.remote.example.com", HOST_BAD_CHAR);
	not_device("an1.remote.example.com\r\n", HOST_BAD_CHAR);
	not_device("an%31.remote.example.com", HOST_BAD_CHAR);
	not_device("an\xc3\xa9.remote.example.com", HOST_BAD_CHAR);
	not_device("an1.remote.example.com:", HOST_BAD_PORT);
	not_device("an1.remote.example.com:65536", HOST_BAD_PORT);
	not_device("an1.remote.example.com:80x", HOST_BAD_PORT);
	not_device("an1.remote.example.com:-1", HOST_BAD_PORT);
	not_device("192.0.2.1", HOST_IP_LITERAL);
	not_device("192.0.2.1:80", HOST_IP_LITERAL);
	not_device("[::1]", HOST_IP_LITERAL);
	not_device("[2001:db8::1]:443", HOST_IP_LITERAL);
	not_device("::1", HOST_BAD_CHAR);
	not_device("an1..remote.example.com", HOST_TOO_DEEP);
}

Test(host, lengths)
{
	static char big[300];

	memset(big, 'a', sizeof(big) - 1);
	not_device(big, HOST_TOO_LONG);
	big[254] = '\0';
	not_device(big, HOST_TOO_LONG);
	/* a name is copied only when it maps */
	cr_assert_eq(name[0], 'x');
}

Test(host, names_are_distinct)
{
	for (int i = 0; i < HOST_RESULT_COUNT; i++) {
		cr_assert_neq(strcmp(host_result_str(i), "unknown"), 0);
		for (int j = i + 1; j < HOST_RESULT_COUNT; j++)
			cr_assert_neq(strcmp(host_result_str(i), host_result_str(j)), 0);
	}
	cr_assert_str_eq(host_result_str(HOST_RESULT_COUNT), "unknown");
}

Test(host, not_nul_terminated)
{
	const char buf[] = "an1.remote.example.comXYZ";

	cr_assert_eq(host_device(buf, 22, domain, name), HOST_DEVICE);
	cr_assert_str_eq(name, "an1");
}
