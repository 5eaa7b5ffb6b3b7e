/* tetherd's device table: the four indices, key pinning, session indices
 * following installs and drops, removal that keeps the array dense, the
 * TIMESTAMP replay rule and endpoint strings. */
#include <criterion/criterion.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "concentrator/tetherd/device.h"
#include "proto/tai64n.h"

static struct registry_device rd_make(const char *name, uint32_t host, uint8_t key_byte)
{
	struct registry_device rd;

	memset(&rd, 0, sizeof(rd));
	snprintf(rd.name, sizeof(rd.name), "%s", name);
	rd.state = key_byte ? REGISTRY_ACTIVE : REGISTRY_PENDING;
	rd.has_key = key_byte != 0;
	memset(rd.public_key, key_byte, sizeof(rd.public_key));
	rd.address4.s_addr = htonl(0x64400000u + host);
	rd.created = 1700000000;
	return rd;
}

static struct device *add(struct device_table *t, const char *name, uint32_t host, uint8_t key)
{
	struct registry_device rd = rd_make(name, host, key);
	struct device *dev = device_create(&rd);

	cr_assert_not_null(dev);
	cr_assert_eq(device_table_add(t, dev), 0);
	return dev;
}

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	hashtab_seed();
}

TestSuite(tetherd_device, .init = setup);

Test(tetherd_device, lookups_by_every_index)
{
	struct device_table t;
	uint8_t key[WIRE_KEY_LEN];
	struct in_addr a = {.s_addr = htonl(0x64400003u)};

	cr_assert_eq(device_table_init(&t, 4), 0);
	struct device *x = add(&t, "an12345678", 2, 0x11);
	struct device *y = add(&t, "a-very-long-device-name-that-needs-a-hash", 3, 0x22);
	struct device *p = add(&t, "pending", 4, 0);

	cr_assert_str_eq(x->ifname, "tt-an12345678");
	cr_assert_eq(strlen(y->ifname), 15);
	cr_assert_eq(strncmp(y->ifname, "tt-", 3), 0);
	cr_assert_eq(device_by_name(&t, "an12345678"), x);
	cr_assert_null(device_by_name(&t, "an1234567"));
	memset(key, 0x22, sizeof(key));
	cr_assert_eq(device_by_key(&t, key), y);
	memset(key, 0x33, sizeof(key));
	cr_assert_null(device_by_key(&t, key));
	cr_assert_eq(device_by_addr(&t, a), y);
	cr_assert_eq(p->tun_fd, -1);
	cr_assert_eq(t.count, 3);
	device_table_free(&t);
}

Test(tetherd_device, duplicates_refused)
{
	struct device_table t;
	struct registry_device rd;
	struct device *dev;

	cr_assert_eq(device_table_init(&t, 4), 0);
	add(&t, "one", 2, 0x11);
	rd = rd_make("one", 9, 0x44); /* same name */
	dev = device_create(&rd);
	cr_assert_eq(device_table_add(&t, dev), -EEXIST);
	device_free(dev);
	rd = rd_make("two", 9, 0x11); /* same key */
	dev = device_create(&rd);
	cr_assert_eq(device_table_add(&t, dev), -EEXIST);
	device_free(dev);
	rd = rd_make("three", 2, 0x55); /* same address */
	dev = device_create(&rd);
	cr_assert_eq(device_table_add(&t, dev), -EEXIST);
	device_free(dev);
	cr_assert_eq(t.count, 1);
	device_table_free(&t);
}

Test(tetherd_device, bad_name_has_no_device)
{
	struct registry_device rd = rd_make("Not-A-Name", 2, 1);

	cr_assert_null(device_create(&rd));
	cr_assert_eq(errno, EINVAL);
}

Test(tetherd_device, pin_key_on_enrollment)
{
	struct device_table t;
	uint8_t key[WIRE_KEY_LEN];

	cr_assert_eq(device_table_init(&t, 4), 0);
	struct device *p = add(&t, "pending", 2, 0);
	struct device *q = add(&t, "other", 3, 0x77);

	memset(key, 0x77, sizeof(key));
	cr_assert_eq(device_set_key(&t, p, key), -EEXIST); /* q holds it */
	memset(key, 0x66, sizeof(key));
	cr_assert_eq(device_set_key(&t, p, key), 0);
	cr_assert_eq(device_by_key(&t, key), p);
	cr_assert_eq(device_set_key(&t, p, key), -EINVAL); /* already pinned */
	cr_assert_eq(device_set_key(&t, q, key), -EINVAL);
	device_table_free(&t);
}

static struct session_keys keys_for(uint32_t local)
{
	struct session_keys k;

	memset(&k, 0, sizeof(k));
	randombytes_buf(k.send, sizeof(k.send));
	randombytes_buf(k.recv, sizeof(k.recv));
	k.local_index = local;
	k.remote_index = 0xabcdef;
	return k;
}

Test(tetherd_device, session_indices_follow_sessions)
{
	struct device_table t;
	struct session_drops drops = {.count = 0};
	struct session_keys k;

	cr_assert_eq(device_table_init(&t, 4), 0);
	struct device *x = add(&t, "x", 2, 0x11);
	struct session_peer *s = device_sessions(x);

	cr_assert_not_null(s);
	cr_assert_null(device_by_index(&t, 1000));
	uint32_t i1 = device_table_new_index(&t);

	cr_assert_neq(i1, 0);
	k = keys_for(i1);
	cr_assert_eq(device_index_add(&t, x, i1), 0);
	session_install(s, &k, SESSION_RESPONDER, 1, &drops);
	device_index_drops(&t, x, &drops);
	cr_assert_eq(device_by_index(&t, i1), x);

	/* a second unconfirmed handshake replaces the first */
	uint32_t i2 = device_table_new_index(&t);

	cr_assert_neq(i2, i1);
	k = keys_for(i2);
	cr_assert_eq(device_index_add(&t, x, i2), 0);
	drops.count = 0;
	session_install(s, &k, SESSION_RESPONDER, 2, &drops);
	cr_assert_eq(drops.count, 1);
	cr_assert_eq(drops.index[0], i1);
	device_index_drops(&t, x, &drops);
	cr_assert_null(device_by_index(&t, i1));
	cr_assert_eq(device_by_index(&t, i2), x);

	/* disable or remove: every index goes */
	device_sessions_clear(&t, x);
	cr_assert_null(device_by_index(&t, i2));
	device_table_free(&t);
}

Test(tetherd_device, stale_index_entry_does_not_match)
{
	struct device_table t;

	cr_assert_eq(device_table_init(&t, 4), 0);
	struct device *x = add(&t, "x", 2, 0x11);

	/* indexed but no session holds it (message 2 failed): not found */
	cr_assert_eq(device_index_add(&t, x, 4242), 0);
	cr_assert_null(device_by_index(&t, 4242));
	device_table_free(&t);
}

Test(tetherd_device, remove_keeps_array_dense)
{
	struct device_table t;
	struct device *devs[50];
	char name[16];

	cr_assert_eq(device_table_init(&t, 4), 0);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		devs[i] = add(&t, name, 2 + (uint32_t)i, (uint8_t)(i + 1));
	}
	for (int i = 0; i < 50; i += 3) {
		device_table_remove(&t, devs[i]);
		cr_assert_null(device_by_name(&t, devs[i]->name));
		cr_assert_null(device_by_addr(&t, devs[i]->addr4));
		cr_assert_null(device_by_key(&t, devs[i]->public_key));
		device_free(devs[i]);
		devs[i] = NULL;
	}
	cr_assert_eq(t.count, 33);
	for (size_t i = 0; i < t.count; i++)
		cr_assert_eq(t.all[i]->pos, i);
	for (int i = 0; i < 50; i++)
		if (devs[i])
			cr_assert_eq(device_by_name(&t, devs[i]->name), devs[i]);
	device_table_free(&t);
}

Test(tetherd_device, timestamps_strictly_increase)
{
	struct registry_device rd = rd_make("x", 2, 1);
	struct device *dev = device_create(&rd);
	uint8_t a[WIRE_TAI64N_LEN], b[WIRE_TAI64N_LEN];

	tai64n_encode(a, 1700000000, 5);
	tai64n_encode(b, 1700000000, 6);
	cr_assert(device_timestamp_fresh(dev, a));
	cr_assert_not(device_timestamp_fresh(dev, a)); /* replay */
	cr_assert(device_timestamp_fresh(dev, b));
	cr_assert_not(device_timestamp_fresh(dev, a)); /* older */
	device_free(dev);
}

Test(tetherd_device, endpoint_strings)
{
	struct registry_device rd = rd_make("x", 2, 1);
	struct device *dev = device_create(&rd);
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(40000)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(51900)};
	char s[DEVICE_ENDPOINT_STR];

	device_endpoint_str(dev, s);
	cr_assert_str_eq(s, "");
	inet_pton(AF_INET, "198.18.0.5", &in.sin_addr);
	cr_assert(device_set_endpoint(dev, (struct sockaddr *)&in, sizeof(in)));
	cr_assert_not(device_set_endpoint(dev, (struct sockaddr *)&in, sizeof(in)));
	cr_assert(dev->seen_dirty);
	device_endpoint_str(dev, s);
	cr_assert_str_eq(s, "198.18.0.5:40000");
	inet_pton(AF_INET6, "::ffff:198.18.0.6", &in6.sin6_addr);
	cr_assert(device_set_endpoint(dev, (struct sockaddr *)&in6, sizeof(in6)));
	device_endpoint_str(dev, s);
	cr_assert_str_eq(s, "198.18.0.6:51900");
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	cr_assert(device_set_endpoint(dev, (struct sockaddr *)&in6, sizeof(in6)));
	device_endpoint_str(dev, s);
	cr_assert_str_eq(s, "[2001:db8::1]:51900");
	device_free(dev);
}

Test(tetherd_device, drop_names)
{
	cr_assert_str_eq(device_drop_str(PROTO_INNER_SOURCE), "inner_source");
	cr_assert_str_eq(device_drop_str(DEVICE_DROP_TUN_WRITE), "tun_write");
	cr_assert_str_eq(device_drop_str(DEVICE_DROP_TRUNCATED), "truncated");
	cr_assert_str_eq(device_drop_str(DEVICE_DROP_COUNT), "unknown");
	for (unsigned int r = 1; r < DEVICE_DROP_COUNT; r++)
		cr_assert_not_null(device_drop_str(r));
}

Test(tetherd_device, endpoint_from_the_registry)
{
	struct registry_device rd = rd_make("x", 2, 1);
	struct device *dev;
	char s[DEVICE_ENDPOINT_STR];

	snprintf(rd.last_endpoint, sizeof(rd.last_endpoint), "198.18.0.7:4242");
	dev = device_create(&rd);
	device_endpoint_str(dev, s);
	cr_assert_str_eq(s, "198.18.0.7:4242");
	device_free(dev);
	snprintf(rd.last_endpoint, sizeof(rd.last_endpoint), "[2001:db8::7]:51900");
	dev = device_create(&rd);
	device_endpoint_str(dev, s);
	cr_assert_str_eq(s, "[2001:db8::7]:51900");
	device_free(dev);
	snprintf(rd.last_endpoint, sizeof(rd.last_endpoint), "nonsense:99999");
	dev = device_create(&rd);
	device_endpoint_str(dev, s);
	cr_assert_str_eq(s, "");
	device_free(dev);
}
