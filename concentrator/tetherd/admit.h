/* The responder's decision on an authenticated message 1 (PROTOCOL.md 3.5):
 * drop a replayed TIMESTAMP, or answer OK, REJECTED or RETRY_LATER, with
 * the reason for the log. Decided from the device table; only an
 * enrollment by token goes to the registry (behind struct admit_registry,
 * so tests can use a fake), and it is durable before the answer is OK. */
#ifndef TETHER_TETHERD_ADMIT_H
#define TETHER_TETHERD_ADMIT_H

#include <stdint.h>

#include "concentrator/tetherd/device.h"
#include "concentrator/tetherd/registry.h"
#include "proto/tlv.h"
#include "proto/wire.h"

enum admit_verdict {
	ADMIT_DROP,	   /* no answer at all */
	ADMIT_OK,	   /* STATUS OK and a session */
	ADMIT_REJECTED,	   /* STATUS REJECTED */
	ADMIT_RETRY_LATER, /* STATUS RETRY_LATER */
};

/* Why, for the log and for the refusal counters. */
enum admit_reason {
	ADMIT_ACCEPTED,	       /* an enrolled key under its own name */
	ADMIT_ENROLLED,	       /* a token enrolled this key just now */
	ADMIT_STALE_TIMESTAMP, /* TIMESTAMP not greater than the last one: dropped */
	ADMIT_BAD_NAME,	       /* NAME breaks the rule of section 2 */
	ADMIT_RENAME,	       /* an enrolled key under another name */
	ADMIT_DISABLED,
	ADMIT_NAME_TAKEN,    /* the name is bound to another key */
	ADMIT_UNKNOWN_KEY,   /* not enrolled, and no token */
	ADMIT_TOKEN_REFUSED, /* the registry refused the token (outcome says why) */
	ADMIT_REGISTRY,	     /* the registry failed or disagrees with the table */
	ADMIT_REASON_COUNT,
};

const char *admit_reason_str(enum admit_reason reason);

/* What the decision needs from the registry. */
struct admit_registry {
	int (*enroll)(void *ctx, const char *name, const char *token, size_t token_len,
		      const uint8_t key[REGISTRY_KEY_LEN], int64_t now,
		      enum registry_outcome *outcome, struct registry_device *out, char *msg,
		      size_t msglen);
	void *ctx;
};

/* registry_enroll() with ctx a struct registry: what tetherd plugs in. */
int admit_registry_enroll(void *reg, const char *name, const char *token, size_t token_len,
			  const uint8_t key[REGISTRY_KEY_LEN], int64_t now,
			  enum registry_outcome *outcome, struct registry_device *out, char *msg,
			  size_t msglen);

struct admit_result {
	enum admit_verdict verdict;
	enum admit_reason reason;
	enum registry_outcome outcome; /* ADMIT_TOKEN_REFUSED, ADMIT_ENROLLED */
	struct device *dev;	       /* OK: the device; else the one concerned, or NULL */
	char msg[REGISTRY_MSG_SIZE];   /* the whole reason, ready to log; no secret */
};

/* Decide for a message 1 that authenticated key and carried m1. now is
 * Unix seconds (token expiry). On an enrollment the table learns the pinned
 * key and the active state. Returns the verdict (also in res). */
enum admit_verdict admit_decide(struct device_table *t, const struct admit_registry *reg,
				const uint8_t key[WIRE_KEY_LEN], const struct tlv_msg1 *m1,
				int64_t now, struct admit_result *res);

#endif
