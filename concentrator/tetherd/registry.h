/* The device registry of tetherd: the names, the key each one is pinned to,
 * its state and its tunnel address, with the enrollment rules of PROTOCOL.md
 * 3.5. Storage sits behind struct registry_backend; SQLite is the default. */
#ifndef TETHER_TETHERD_REGISTRY_H
#define TETHER_TETHERD_REGISTRY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	REGISTRY_NAME_MAX = 63,	 /* PROTOCOL.md 2: a DNS label */
	REGISTRY_KEY_LEN = 32,	 /* X25519 public key */
	REGISTRY_HASH_LEN = 32,	 /* BLAKE2b-256 of a token */
	REGISTRY_TOKEN_LEN = 32, /* what we issue: 24 random bytes, base64url */
	REGISTRY_TOKEN_MIN = 16, /* PROTOCOL.md 3.5: ENROLL_TOKEN is 16..64 bytes */
	REGISTRY_TOKEN_MAX = 64,
	REGISTRY_ENDPOINT_MAX = 63, /* "[v6 address]:port" fits */
	REGISTRY_MSG_SIZE = 256,    /* enough for any message this module writes */
};

/* A token nobody used in a year is a forgotten one. */
#define REGISTRY_TTL_MAX ((int64_t)366 * 24 * 3600)

enum registry_state {
	REGISTRY_PENDING, /* added with a token, no key yet */
	REGISTRY_ACTIVE,
	REGISTRY_DISABLED, /* refused until enabled again; keeps key and address */
};

/* What registry_enroll() decided; the concentrator answers OK, REJECTED or
 * RETRY_LATER (PROTOCOL.md 3.5) and logs the reason. */
enum registry_outcome {
	REGISTRY_OK,
	REGISTRY_REJECTED_BAD_NAME, /* breaks the rule of PROTOCOL.md 2 */
	REGISTRY_REJECTED_UNKNOWN_NAME,
	REGISTRY_REJECTED_BAD_TOKEN, /* wrong length, wrong token, or another name's */
	REGISTRY_REJECTED_EXPIRED,
	REGISTRY_REJECTED_ENROLLED,  /* name already bound to another key: token used */
	REGISTRY_REJECTED_KEY_TAKEN, /* key already bound to another name */
	REGISTRY_REJECTED_DISABLED,
	REGISTRY_RETRY_LATER, /* the registry could not decide (storage error) */
	REGISTRY_OUTCOME_COUNT,
};

struct registry_device {
	char name[REGISTRY_NAME_MAX + 1];
	enum registry_state state;
	bool has_key; /* false while pending */
	uint8_t public_key[REGISTRY_KEY_LEN];
	struct in_addr address4;		       /* assigned when added, never changed */
	int64_t created;			       /* Unix seconds */
	int64_t token_expires;			       /* pending: last valid second; else 0 */
	int64_t last_handshake;			       /* Unix seconds; 0: never */
	char last_endpoint[REGISTRY_ENDPOINT_MAX + 1]; /* "ip:port"; "": never */
};

/* The last handshake of one device, as tetherd flushes them in batches. */
struct registry_seen {
	const char *name;
	int64_t last_handshake;
	const char *endpoint; /* "ip:port" or NULL */
};

struct registry_backend;

struct registry_config {
	const char *state_dir; /* created 0700 if absent */
	struct in_addr pool;   /* device addresses: pool/pool_prefix */
	unsigned int pool_prefix;
	struct in_addr gateway;			/* the gateway's tunnel address, never assigned */
	const struct registry_backend *backend; /* NULL: registry_sqlite_backend */
};

struct registry;

/*
 * Every int function returns 0 or -errno and, on error, writes what was
 * wrong (which device, which storage error) to msg, msglen bytes at most
 * (REGISTRY_MSG_SIZE is enough; msg may be NULL). Messages never hold a
 * token. Times are Unix seconds, passed in so tests control the clock.
 * Every change is one transaction and is durable when the call returns.
 */

/* Open the registry and mark every stored address in the pool. -ENOTSUP: the
 * database is newer than this code; -EEXIST: a stored address is reserved
 * in this pool (network, broadcast or gateway); -EBUSY: in use elsewhere. */
int registry_open(struct registry **reg, const struct registry_config *cfg, char *msg,
		  size_t msglen);
void registry_close(struct registry *reg);

/* Add an active device pinned to key; out gets the stored device (NULL: not
 * wanted). -EINVAL bad name or key, -EEXIST name taken or key bound to
 * another name (the message says which), -ENOSPC pool exhausted. */
int registry_add_key(struct registry *reg, const char *name, const uint8_t key[REGISTRY_KEY_LEN],
		     int64_t now, struct registry_device *out, char *msg, size_t msglen);

/* Add a pending device with a one-time token valid for ttl seconds (1 ..
 * REGISTRY_TTL_MAX). token gets REGISTRY_TOKEN_LEN printable characters and a
 * NUL; it is shown once and stored only hashed: the caller wipes it
 * (sodium_memzero) once printed. Errors as registry_add_key(). */
int registry_add_token(struct registry *reg, const char *name, int64_t ttl, int64_t now,
		       char token[REGISTRY_TOKEN_LEN + 1], struct registry_device *out, char *msg,
		       size_t msglen);

/* Decide an enrollment: name and token (token_len bytes, not NUL-terminated,
 * as in the TLV) from an unknown key. On REGISTRY_OK the key is pinned, the
 * token consumed and the device active, durably, and out (if not NULL) gets
 * the device. A key already enrolled under this name is accepted and the
 * token ignored. msg always gets the reason, for the log. Returns 0 when
 * the outcome is a decision, -errno (outcome REGISTRY_RETRY_LATER) when the
 * storage failed. */
int registry_enroll(struct registry *reg, const char *name, const char *token, size_t token_len,
		    const uint8_t key[REGISTRY_KEY_LEN], int64_t now,
		    enum registry_outcome *outcome, struct registry_device *out, char *msg,
		    size_t msglen);

/* Lookups for the handshake path and the control socket. -ENOENT unknown. */
int registry_get_by_name(struct registry *reg, const char *name, struct registry_device *out,
			 char *msg, size_t msglen);
int registry_get_by_key(struct registry *reg, const uint8_t key[REGISTRY_KEY_LEN],
			struct registry_device *out, char *msg, size_t msglen);

/* Call fn for every device in name order; a non-zero return from fn (a
 * -errno) stops the walk and is returned. fn must not call back into
 * registry_foreach(). */
int registry_foreach(struct registry *reg, int (*fn)(const struct registry_device *dev, void *arg),
		     void *arg, char *msg, size_t msglen);

/* Disable keeps key and address and refuses the device until enabled;
 * enable returns it to active (or pending, if it never enrolled). Both are
 * no-ops on a device already in that state. -ENOENT unknown. */
int registry_disable(struct registry *reg, const char *name, char *msg, size_t msglen);
int registry_enable(struct registry *reg, const char *name, char *msg, size_t msglen);

/* Forget a device: its name and key become free again and its address goes
 * back to the pool, where the next add may take it. -ENOENT unknown. */
int registry_remove(struct registry *reg, const char *name, char *msg, size_t msglen);

/* Store the last handshake and endpoint of n devices in one transaction.
 * Names no longer in the registry (removed since) are skipped. -EINVAL an
 * endpoint too long (nothing stored). */
int registry_record_seen(struct registry *reg, const struct registry_seen *seen, size_t n,
			 char *msg, size_t msglen);

/* "pending", "active", "disabled", as tetherctl prints them; parse is the
 * reverse (-EINVAL). */
const char *registry_state_str(enum registry_state state);
int registry_state_parse(const char *s, enum registry_state *state);
/* Short names of the outcomes for logs and counters ("ok", "expired", ...). */
const char *registry_outcome_str(enum registry_outcome outcome);

/*
 * Storage backends. registry.c holds every rule; a backend stores rows and
 * runs transactions. Changes happen between begin and commit, and commit
 * returns 0 only once they are durable; rollback undoes what was not
 * committed. Row functions return -ENOENT for no such row and -EEXIST when a
 * unique column (name, key, address) is taken; any other -errno is a storage
 * failure, described in msg. A store has one user at a time.
 */
struct registry_record {
	struct registry_device dev;
	bool has_token;
	uint8_t token_hash[REGISTRY_HASH_LEN];
};

struct registry_backend {
	const char *name;
	int (*open)(void **store, const char *state_dir, char *msg, size_t msglen);
	void (*close)(void *store);
	int (*begin)(void *store, char *msg, size_t msglen);
	int (*commit)(void *store, char *msg, size_t msglen);
	void (*rollback)(void *store);
	int (*get_by_name)(void *store, const char *name, struct registry_record *rec, char *msg,
			   size_t msglen);
	int (*get_by_key)(void *store, const uint8_t key[REGISTRY_KEY_LEN],
			  struct registry_record *rec, char *msg, size_t msglen);
	int (*insert)(void *store, const struct registry_record *rec, char *msg, size_t msglen);
	/* Everything but name, address4 and created, which never change. */
	int (*update)(void *store, const struct registry_record *rec, char *msg, size_t msglen);
	int (*remove)(void *store, const char *name, char *msg, size_t msglen);
	int (*set_seen)(void *store, const char *name, int64_t last_handshake, const char *endpoint,
			char *msg, size_t msglen);
	int (*foreach)(void *store, int (*fn)(const struct registry_record *rec, void *arg),
		       void *arg, char *msg, size_t msglen);
};

/* SQLite in WAL mode at <state_dir>/registry.db (registry_sqlite.c). */
extern const struct registry_backend registry_sqlite_backend;

#endif
