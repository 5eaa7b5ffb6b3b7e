/* The responder's decision of PROTOCOL.md 3.5 over a fake registry: every
 * REJECTED case, RETRY_LATER when the registry fails, the TIMESTAMP rule
 * (recorded for enrolled keys before the outcome, never for unknown keys),
 * and enrollment by token teaching the device table the pinned key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "concentrator/tetherd/admit.h"
#include "proto/name.h"
#include "proto/tai64n.h"

#define TOKEN "abcdefghijklmnopqrstuvwxyz012345"

/* A registry that knows one pending device "pend" with TOKEN. */
struct fake {
	int calls;
	int fail;		       /* -errno to return */
	enum registry_outcome outcome; /* when not failing and the token is wrong */
	bool enrolled;
};

static int fake_enroll(void *ctx, const char *name, const char *token, size_t token_len,
		       const uint8_t key[REGISTRY_KEY_LEN], int64_t now,
		       enum registry_outcome *outcome, struct registry_device *out, char *msg,
		       size_t msglen)
{
	struct fake *f = ctx;

	(void)now;
	f->calls++;
	*outcome = REGISTRY_RETRY_LATER;
	if (f->fail) {
		snprintf(msg, msglen, "storage failed");
		return f->fail;
	}
	if (strcmp(name, "pend") || token_len != strlen(TOKEN) || memcmp(token, TOKEN, token_len) ||
	    f->enrolled) {
		*outcome = f->enrolled ? REGISTRY_REJECTED_ENROLLED : f->outcome;
		snprintf(msg, msglen, "device %s: refused", name);
		return 0;
	}
	f->enrolled = true;
	*outcome = REGISTRY_OK;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->state = REGISTRY_ACTIVE;
	out->has_key = true;
	memcpy(out->public_key, key, REGISTRY_KEY_LEN);
	snprintf(msg, msglen, "device %s: enrolled", name);
	return 0;
}

static struct device_table t;
static struct fake f;
static struct admit_registry reg = {.enroll = fake_enroll, .ctx = &f};
static uint32_t clock_ns;

static void add(const char *name, uint32_t host, uint8_t key, enum registry_state state)
{
	struct registry_device rd;
	struct device *dev;

	memset(&rd, 0, sizeof(rd));
	snprintf(rd.name, sizeof(rd.name), "%s", name);
	rd.state = state;
	rd.has_key = key != 0;
	memset(rd.public_key, key, sizeof(rd.public_key));
	rd.address4.s_addr = htonl(0x64400000u + host);
	dev = device_create(&rd);
	cr_assert_not_null(dev);
	cr_assert_eq(device_table_add(&t, dev), 0);
}

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	hashtab_seed();
	memset(&f, 0, sizeof(f));
	f.outcome = REGISTRY_REJECTED_BAD_TOKEN;
	cr_assert_eq(device_table_init(&t, 8), 0);
	add("an12345678", 2, 0x11, REGISTRY_ACTIVE);
	add("off", 3, 0x22, REGISTRY_DISABLED);
	add("pend", 4, 0, REGISTRY_PENDING);
	clock_ns = 0;
}

static void teardown(void)
{
	device_table_free(&t);
}

TestSuite(tetherd_admit, .init = setup, .fini = teardown);

/* A payload as message 1 decodes it, with a fresh timestamp. */
static struct tlv_msg1 msg1(const char *name, const char *token)
{
	struct tlv_msg1 m;

	memset(&m, 0, sizeof(m));
	tai64n_encode(m.timestamp, 1700000000, ++clock_ns);
	m.name_len = strlen(name);
	memcpy(m.name, name, m.name_len);
	m.name_valid = name_valid(m.name, m.name_len);
	if (token) {
		m.token_len = strlen(token);
		memcpy(m.token, token, m.token_len);
	}
	return m;
}

static enum admit_verdict decide(uint8_t key_byte, const struct tlv_msg1 *m,
				 struct admit_result *res)
{
	uint8_t key[WIRE_KEY_LEN];

	memset(key, key_byte, sizeof(key));
	return admit_decide(&t, &reg, key, m, 1700000000, res);
}

Test(tetherd_admit, enrolled_key_own_name_ok)
{
	struct tlv_msg1 m = msg1("an12345678", NULL);
	struct admit_result res;

	cr_assert_eq(decide(0x11, &m, &res), ADMIT_OK);
	cr_assert_eq(res.reason, ADMIT_ACCEPTED);
	cr_assert_str_eq(res.dev->name, "an12345678");
	cr_assert_eq(f.calls, 0);
}

Test(tetherd_admit, enrolled_key_with_token_ignores_it)
{
	struct tlv_msg1 m = msg1("an12345678", TOKEN);
	struct admit_result res;

	cr_assert_eq(decide(0x11, &m, &res), ADMIT_OK);
	cr_assert_eq(f.calls, 0); /* not consumed */
}

Test(tetherd_admit, replayed_timestamp_dropped)
{
	struct tlv_msg1 m = msg1("an12345678", NULL), older = m;
	struct admit_result res;

	cr_assert_eq(decide(0x11, &m, &res), ADMIT_OK);
	cr_assert_eq(decide(0x11, &m, &res), ADMIT_DROP);
	cr_assert_eq(res.reason, ADMIT_STALE_TIMESTAMP);
	tai64n_encode(older.timestamp, 1699999999, 0);
	cr_assert_eq(decide(0x11, &older, &res), ADMIT_DROP);
}

Test(tetherd_admit, timestamp_recorded_before_refusal)
{
	/* a rename attempt still moves the key's timestamp (3.5) */
	struct tlv_msg1 bad = msg1("other", NULL), good = msg1("an12345678", NULL);
	struct admit_result res;

	memcpy(good.timestamp, bad.timestamp, sizeof(good.timestamp));
	cr_assert_eq(decide(0x11, &bad, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_RENAME);
	cr_assert_eq(decide(0x11, &good, &res), ADMIT_DROP);
}

Test(tetherd_admit, bad_name_rejected)
{
	struct tlv_msg1 m = msg1("Bad_Name", NULL);
	struct admit_result res;

	cr_assert_not(m.name_valid);
	cr_assert_eq(decide(0x11, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_BAD_NAME);
	m = msg1("-x", TOKEN);
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_BAD_NAME);
	cr_assert_eq(f.calls, 0);
}

Test(tetherd_admit, disabled_rejected)
{
	struct tlv_msg1 m = msg1("off", NULL);
	struct admit_result res;

	cr_assert_eq(decide(0x22, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_DISABLED);
}

Test(tetherd_admit, second_key_for_a_name_rejected)
{
	struct tlv_msg1 m = msg1("an12345678", TOKEN);
	struct admit_result res;

	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_NAME_TAKEN);
	cr_assert_eq(f.calls, 0);
}

Test(tetherd_admit, unknown_key_without_token_rejected)
{
	struct tlv_msg1 m = msg1("pend", NULL);
	struct admit_result res;

	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_UNKNOWN_KEY);
	m = msg1("nobody", NULL);
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_UNKNOWN_KEY);
}

Test(tetherd_admit, unknown_key_timestamp_not_kept)
{
	struct tlv_msg1 m = msg1("nobody", NULL);
	struct admit_result res;

	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	/* the same message again is judged again, not dropped */
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
}

Test(tetherd_admit, enrollment_by_token_pins_key)
{
	struct tlv_msg1 m = msg1("pend", TOKEN);
	struct admit_result res;
	uint8_t key[WIRE_KEY_LEN];

	cr_assert_eq(decide(0x99, &m, &res), ADMIT_OK);
	cr_assert_eq(res.reason, ADMIT_ENROLLED);
	cr_assert_eq(f.calls, 1);
	memset(key, 0x99, sizeof(key));
	cr_assert_eq(device_by_key(&t, key), res.dev);
	cr_assert_eq(res.dev->state, REGISTRY_ACTIVE);
	/* its message 1 cannot be replayed now that the key is enrolled */
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_DROP);
	/* the used token for another key: the name is taken */
	m = msg1("pend", TOKEN);
	cr_assert_eq(decide(0x98, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_NAME_TAKEN);
	/* and the enrolled key carries on without it */
	m = msg1("pend", NULL);
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_OK);
}

Test(tetherd_admit, wrong_or_expired_token_rejected)
{
	struct tlv_msg1 m = msg1("pend", "wrong-token-0123456789");
	struct admit_result res;

	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.reason, ADMIT_TOKEN_REFUSED);
	cr_assert_eq(res.outcome, REGISTRY_REJECTED_BAD_TOKEN);
	f.outcome = REGISTRY_REJECTED_EXPIRED;
	m = msg1("pend", "another-token-0123456789");
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	cr_assert_eq(res.outcome, REGISTRY_REJECTED_EXPIRED);
	/* a token for a name the registry does not know */
	f.outcome = REGISTRY_REJECTED_UNKNOWN_NAME;
	m = msg1("ghost", TOKEN);
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_REJECTED);
	cr_assert_null(device_by_name(&t, "ghost"));
}

Test(tetherd_admit, registry_failure_retry_later)
{
	struct tlv_msg1 m = msg1("pend", TOKEN);
	struct admit_result res;
	uint8_t key[WIRE_KEY_LEN];

	f.fail = -EIO;
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_RETRY_LATER);
	cr_assert_eq(res.reason, ADMIT_REGISTRY);
	memset(key, 0x99, sizeof(key));
	cr_assert_null(device_by_key(&t, key));
	/* it works once the registry does */
	f.fail = 0;
	m = msg1("pend", TOKEN);
	cr_assert_eq(decide(0x99, &m, &res), ADMIT_OK);
}

Test(tetherd_admit, messages_name_no_secret)
{
	struct tlv_msg1 m = msg1("pend", "wrong-token-0123456789");
	struct admit_result res;

	decide(0x99, &m, &res);
	cr_assert_null(strstr(res.msg, "wrong-token"));
	cr_assert_str_eq(admit_reason_str(ADMIT_RENAME), "rename");
	cr_assert_str_eq(admit_reason_str(ADMIT_REASON_COUNT), "unknown");
}
