/* tether-proxy's device table from watch JSON: a snapshot replaces the
 * table (counters kept), events add, change and remove devices, bad lines
 * leave the table as it was, and removed devices live on while referenced. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>

#include "concentrator/proxy/devtab.h"

static struct devtab t;
static char err[256];

static void setup(void)
{
	cr_assert_eq(devtab_init(&t), 0);
}

static void teardown(void)
{
	devtab_free(&t);
}

static json_t *dev(const char *name, const char *addr, int online, long since, const char *state)
{
	json_t *d = json_pack("{s:s, s:b, s:I, s:s}", "name", name, "online", online, "since",
			      (json_int_t)since, "state", state);

	json_object_set_new(d, "address", addr ? json_string(addr) : json_null());
	return d;
}

static int snapshot(json_t *devices)
{
	json_t *a = json_pack("{s:b, s:o}", "ok", 1, "devices", devices);
	int ret = devtab_snapshot(&t, a, err, sizeof(err));

	json_decref(a);
	return ret;
}

static int event(const char *type, json_t *d)
{
	json_t *e = json_pack("{s:s, s:o}", "event", type, "device", d);
	int ret = devtab_event(&t, e, err, sizeof(err));

	json_decref(e);
	return ret;
}

TestSuite(proxy_devtab, .init = setup, .fini = teardown);

Test(proxy_devtab, snapshot_fills_the_table)
{
	struct devtab_entry *e;

	cr_assert_eq(snapshot(json_pack("[o, o, o]", dev("an1", "100.64.0.2", 1, 100, "active"),
					dev("an2", "100.64.0.3", 0, 200, "active"),
					dev("an3", NULL, 0, 0, "pending"))),
		     0);
	cr_assert_eq(t.count, 3);
	e = devtab_find(&t, "an1");
	cr_assert_not_null(e);
	cr_assert_eq(e->addr.s_addr, htonl(0x64400002));
	cr_assert_eq(devtab_route(e), DEVTAB_ONLINE);
	e = devtab_find(&t, "an2");
	cr_assert_eq(devtab_route(e), DEVTAB_OFFLINE);
	cr_assert_eq(e->since, 200);
	cr_assert_eq(devtab_route(devtab_find(&t, "an3")), DEVTAB_UNKNOWN, "pending: 404");
	cr_assert_null(devtab_find(&t, "an4"));
	cr_assert_eq(devtab_route(NULL), DEVTAB_UNKNOWN);
}

Test(proxy_devtab, disabled_is_offline)
{
	cr_assert_eq(snapshot(json_pack("[o]", dev("an1", "100.64.0.2", 1, 5, "disabled"))), 0);
	cr_assert_eq(devtab_route(devtab_find(&t, "an1")), DEVTAB_OFFLINE);
}

Test(proxy_devtab, events_change_the_table)
{
	struct devtab_entry *e;

	cr_assert_eq(snapshot(json_array()), 0);
	cr_assert_eq(event("added", dev("an1", "100.64.0.2", 0, 10, "active")), 0);
	e = devtab_find(&t, "an1");
	cr_assert_eq(devtab_route(e), DEVTAB_OFFLINE);
	cr_assert_eq(event("online", dev("an1", "100.64.0.2", 1, 20, "active")), 0);
	cr_assert_eq(devtab_find(&t, "an1"), e, "updated in place");
	cr_assert_eq(devtab_route(e), DEVTAB_ONLINE);
	cr_assert_eq(event("address", dev("an1", "100.64.0.9", 1, 20, "active")), 0);
	cr_assert_eq(e->addr.s_addr, htonl(0x64400009));
	cr_assert_eq(event("offline", dev("an1", "100.64.0.9", 0, 30, "active")), 0);
	cr_assert_eq(devtab_route(e), DEVTAB_OFFLINE);
	cr_assert_eq(e->since, 30);
	/* a future event type still carries the device as it now is */
	cr_assert_eq(event("renamed-key", dev("an1", "100.64.0.9", 1, 40, "active")), 0);
	cr_assert_eq(devtab_route(e), DEVTAB_ONLINE);
	cr_assert_eq(event("removed", dev("an1", "100.64.0.9", 1, 40, "active")), 0);
	cr_assert_null(devtab_find(&t, "an1"));
	cr_assert_eq(t.count, 0);
	/* removing what is not there is no error */
	cr_assert_eq(event("removed", dev("an1", "100.64.0.9", 1, 40, "active")), 0);
}

Test(proxy_devtab, snapshot_sweeps_and_keeps_counters)
{
	struct devtab_entry *e;

	cr_assert_eq(snapshot(json_pack("[o, o]", dev("an1", "100.64.0.2", 1, 1, "active"),
					dev("an2", "100.64.0.3", 1, 1, "active"))),
		     0);
	e = devtab_find(&t, "an1");
	e->stats.requests = 7;
	/* tetherd restarted: an2 is gone, an1 went offline meanwhile */
	cr_assert_eq(snapshot(json_pack("[o]", dev("an1", "100.64.0.2", 0, 9, "active"))), 0);
	cr_assert_eq(t.count, 1);
	cr_assert_null(devtab_find(&t, "an2"));
	cr_assert_eq(devtab_find(&t, "an1"), e);
	cr_assert_eq(e->stats.requests, 7);
	cr_assert_eq(devtab_route(e), DEVTAB_OFFLINE);
}

Test(proxy_devtab, bad_snapshot_changes_nothing)
{
	cr_assert_eq(snapshot(json_pack("[o]", dev("an1", "100.64.0.2", 1, 1, "active"))), 0);
	cr_assert_eq(snapshot(json_pack("[o, o]", dev("an2", "100.64.0.3", 1, 1, "active"),
					dev("an3", "not-an-address", 1, 1, "active"))),
		     -EBADMSG);
	cr_assert_str_eq(err, "device an3: \"address\" is not an IPv4 address");
	cr_assert_not_null(devtab_find(&t, "an1"));
	cr_assert_null(devtab_find(&t, "an2"));
	cr_assert_eq(snapshot(json_pack("[o]", dev("Bad_Name", "100.64.0.3", 1, 1, "active"))),
		     -EBADMSG);
	cr_assert_eq(snapshot(json_pack("[o]", dev("an2", "100.64.0.3", 1, 1, "gone"))), -EBADMSG);
	cr_assert_eq(t.count, 1);

	json_t *notok = json_pack("{s:b, s:[]}", "ok", 0, "devices");
	cr_assert_eq(devtab_snapshot(&t, notok, err, sizeof(err)), -EBADMSG);
	json_decref(notok);
}

Test(proxy_devtab, bad_events_change_nothing)
{
	json_t *e;

	cr_assert_eq(snapshot(json_pack("[o]", dev("an1", "100.64.0.2", 1, 1, "active"))), 0);
	e = json_pack("{s:s}", "device", "an1");
	cr_assert_eq(devtab_event(&t, e, err, sizeof(err)), -EBADMSG);
	json_decref(e);
	e = json_pack("{s:s, s:{s:s, s:s}}", "event", "offline", "device", "name", "an1", "address",
		      "100.64.0.2");
	cr_assert_eq(devtab_event(&t, e, err, sizeof(err)), -EBADMSG, "online missing");
	json_decref(e);
	cr_assert_eq(devtab_route(devtab_find(&t, "an1")), DEVTAB_ONLINE);
}

Test(proxy_devtab, removed_entry_lives_while_referenced)
{
	struct devtab_entry *e;

	cr_assert_eq(snapshot(json_pack("[o]", dev("an1", "100.64.0.2", 1, 1, "active"))), 0);
	e = devtab_find(&t, "an1");
	devtab_get(e);
	cr_assert_eq(event("removed", dev("an1", "100.64.0.2", 1, 1, "active")), 0);
	cr_assert_null(devtab_find(&t, "an1"));
	cr_assert(e->removed);
	cr_assert_eq(devtab_route(e), DEVTAB_UNKNOWN);
	e->stats.requests++; /* still valid memory (ASan checks) */
	/* the same name comes back: a new entry, the old one still held */
	cr_assert_eq(event("added", dev("an1", "100.64.0.5", 1, 1, "active")), 0);
	cr_assert_neq(devtab_find(&t, "an1"), e);
	devtab_put(&t, e);
}

/* Kept connections are trusted while the epoch stays: a change of online
 * or address bumps it, and so does losing tetherd; other updates do not. */
Test(proxy_devtab, epochs)
{
	struct devtab_entry *e;
	uint32_t ep;

	cr_assert_eq(snapshot(json_pack("[o]", dev("an1", "100.64.0.2", 1, 1, "active"))), 0);
	e = devtab_find(&t, "an1");
	ep = e->epoch;
	cr_assert_eq(event("online", dev("an1", "100.64.0.2", 1, 5, "active")), 0);
	cr_assert_eq(e->epoch, ep, "nothing that matters changed");
	cr_assert_eq(event("offline", dev("an1", "100.64.0.2", 0, 6, "active")), 0);
	cr_assert_neq(e->epoch, ep);
	ep = e->epoch;
	cr_assert_eq(event("address", dev("an1", "100.64.0.3", 0, 6, "active")), 0);
	cr_assert_neq(e->epoch, ep);
	ep = e->epoch;
	devtab_distrust(&t);
	cr_assert_neq(e->epoch, ep);
}

Test(proxy_devtab, many_devices)
{
	char name[16];

	cr_assert_eq(snapshot(json_array()), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		cr_assert_eq(event("added", dev(name, "100.64.1.1", 1, 1, "active")), 0);
	}
	cr_assert_eq(t.count, 5000);
	cr_assert_geq(t.nbuckets, 4096);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		cr_assert_not_null(devtab_find(&t, name));
	}
}
