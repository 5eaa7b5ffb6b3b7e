/* PROTOCOL.md 3.5 for the responder, in the order the section gives it: an
 * enrolled key has its TIMESTAMP checked and recorded before anything else
 * is decided; an unknown key is never remembered. */
#include "concentrator/tetherd/admit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "proto/keys.h"

const char *admit_reason_str(enum admit_reason reason)
{
	static const char *const names[ADMIT_REASON_COUNT] = {
		[ADMIT_ACCEPTED] = "accepted",
		[ADMIT_ENROLLED] = "enrolled",
		[ADMIT_STALE_TIMESTAMP] = "stale_timestamp",
		[ADMIT_BAD_NAME] = "bad_name",
		[ADMIT_RENAME] = "rename",
		[ADMIT_DISABLED] = "disabled",
		[ADMIT_NAME_TAKEN] = "name_taken",
		[ADMIT_UNKNOWN_KEY] = "unknown_key",
		[ADMIT_TOKEN_REFUSED] = "token_refused",
		[ADMIT_REGISTRY] = "registry",
	};

	if ((unsigned int)reason >= ADMIT_REASON_COUNT)
		return "unknown";
	return names[reason];
}

int admit_registry_enroll(void *reg, const char *name, const char *token, size_t token_len,
			  const uint8_t key[REGISTRY_KEY_LEN], int64_t now,
			  enum registry_outcome *outcome, struct registry_device *out, char *msg,
			  size_t msglen)
{
	return registry_enroll(reg, name, token, token_len, key, now, outcome, out, msg, msglen);
}

static enum admit_verdict set(struct admit_result *res, enum admit_verdict verdict,
			      enum admit_reason reason, struct device *dev)
{
	res->verdict = verdict;
	res->reason = reason;
	res->dev = dev;
	return verdict;
}

/* A NAME off the wire as it may appear in a log line: printable, quoted. */
static const char *shown(const struct tlv_msg1 *m1, char out[WIRE_NAME_MAX + 1])
{
	size_t i;

	for (i = 0; i < m1->name_len && i < WIRE_NAME_MAX; i++)
		out[i] = m1->name[i] >= 0x20 && m1->name[i] < 0x7f && m1->name[i] != '"'
				 ? m1->name[i]
				 : '?';
	out[i] = '\0';
	return out;
}

/* The device the registry just enrolled: the table learns its key. */
static enum admit_verdict enrolled(struct device_table *t, const uint8_t key[WIRE_KEY_LEN],
				   const struct registry_device *rd, struct admit_result *res)
{
	struct device *dev = device_by_name(t, rd->name);
	int ret;

	if (!dev) {
		snprintf(res->msg, sizeof(res->msg),
			 "device %s: enrolled in the registry but not in memory", rd->name);
		return set(res, ADMIT_RETRY_LATER, ADMIT_REGISTRY, NULL);
	}
	if (!dev->has_key) {
		ret = device_set_key(t, dev, key);
		if (ret) {
			snprintf(res->msg, sizeof(res->msg), "device %s: indexing its key: %s",
				 dev->name, strerror(-ret));
			return set(res, ADMIT_RETRY_LATER, ADMIT_REGISTRY, dev);
		}
	}
	dev->state = rd->state;
	/* the key is enrolled from now on: its TIMESTAMPs count (3.5) */
	return set(res, ADMIT_OK, ADMIT_ENROLLED, dev);
}

enum admit_verdict admit_decide(struct device_table *t, const struct admit_registry *reg,
				const uint8_t key[WIRE_KEY_LEN], const struct tlv_msg1 *m1,
				int64_t now, struct admit_result *res)
{
	struct registry_device rd;
	struct device *dev, *named;
	char fp[KEYS_FINGERPRINT_SIZE], name[WIRE_NAME_MAX + 1];
	enum admit_verdict verdict;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&rd, 0, sizeof(rd));
	keys_fingerprint(fp, key);
	shown(m1, name);

	dev = device_by_key(t, key);
	if (dev) {
		if (!device_timestamp_fresh(dev, m1->timestamp)) {
			snprintf(res->msg, sizeof(res->msg),
				 "device %s: replayed or old handshake (TIMESTAMP not newer)",
				 dev->name);
			verdict = set(res, ADMIT_DROP, ADMIT_STALE_TIMESTAMP, dev);
		} else if (!m1->name_valid) {
			snprintf(res->msg, sizeof(res->msg),
				 "device %s: handshake with an invalid name \"%s\"", dev->name,
				 name);
			verdict = set(res, ADMIT_REJECTED, ADMIT_BAD_NAME, dev);
		} else if (strcmp(dev->name, m1->name) != 0) {
			snprintf(res->msg, sizeof(res->msg),
				 "device %s: its key %s asked for the name \"%s\" (rename refused)",
				 dev->name, fp, name);
			verdict = set(res, ADMIT_REJECTED, ADMIT_RENAME, dev);
		} else if (dev->state == REGISTRY_DISABLED) {
			snprintf(res->msg, sizeof(res->msg), "device %s: disabled", dev->name);
			verdict = set(res, ADMIT_REJECTED, ADMIT_DISABLED, dev);
		} else {
			verdict = set(res, ADMIT_OK, ADMIT_ACCEPTED, dev);
		}
		goto out;
	}

	if (!m1->name_valid) {
		snprintf(res->msg, sizeof(res->msg), "key %s: invalid name \"%s\"", fp, name);
		verdict = set(res, ADMIT_REJECTED, ADMIT_BAD_NAME, NULL);
		goto out;
	}
	named = device_by_name(t, m1->name);
	if (named && named->has_key) {
		snprintf(res->msg, sizeof(res->msg),
			 "device %s: bound to another key, refused key %s", named->name, fp);
		verdict = set(res, ADMIT_REJECTED, ADMIT_NAME_TAKEN, named);
		goto out;
	}
	if (m1->token_len == 0) {
		snprintf(res->msg, sizeof(res->msg), "%s %s: unknown key %s and no token",
			 named ? "device" : "unknown device", name, fp);
		verdict = set(res, ADMIT_REJECTED, ADMIT_UNKNOWN_KEY, named);
		goto out;
	}

	ret = reg->enroll(reg->ctx, m1->name, m1->token, m1->token_len, key, now, &res->outcome,
			  &rd, res->msg, sizeof(res->msg));
	if (ret) {
		verdict = set(res, ADMIT_RETRY_LATER, ADMIT_REGISTRY, named);
		goto out;
	}
	switch (res->outcome) {
	case REGISTRY_OK:
		verdict = enrolled(t, key, &rd, res);
		if (verdict == ADMIT_OK)
			(void)device_timestamp_fresh(res->dev, m1->timestamp);
		break;
	case REGISTRY_RETRY_LATER:
		verdict = set(res, ADMIT_RETRY_LATER, ADMIT_REGISTRY, named);
		break;
	default:
		verdict = set(res, ADMIT_REJECTED, ADMIT_TOKEN_REFUSED, named);
		break;
	}
out:
	sodium_memzero(&rd, sizeof(rd));
	return verdict;
}
