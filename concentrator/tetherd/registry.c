/* The registry's rules: name and key checks, address assignment from the
 * pool, one-time tokens (random, stored only as a hash bound to the name)
 * and the enrollment decision of PROTOCOL.md 3.5, over any storage backend. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "concentrator/tetherd/pool.h"
#include "concentrator/tetherd/registry.h"
#include "proto/name.h"
#include "proto/wire.h"

enum {
	TOKEN_RANDOM = 24, /* 192 bits: base64url gives REGISTRY_TOKEN_LEN characters */
	SHOWN_SIZE = REGISTRY_NAME_MAX + 5, /* a name past the limit, cut short with "..." */
	PRINT_SIZE = 12,		    /* a short key fingerprint */
};

_Static_assert(sodium_base64_ENCODED_LEN(TOKEN_RANDOM, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
		       REGISTRY_TOKEN_LEN + 1,
	       "a token is REGISTRY_TOKEN_LEN characters and a NUL");
_Static_assert(REGISTRY_TOKEN_LEN >= REGISTRY_TOKEN_MIN && REGISTRY_TOKEN_LEN <= REGISTRY_TOKEN_MAX,
	       "our tokens fit ENROLL_TOKEN (PROTOCOL.md 3.5)");
_Static_assert((int)REGISTRY_NAME_MAX == (int)WIRE_NAME_MAX, "one device-name rule");

struct registry {
	const struct registry_backend *be;
	void *store;
	struct pool *pool;
};

static void say(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* PROTOCOL.md 2, by proto's rule: the registry, tetherctl and the
 * handshake can never disagree on a name */
static int check_name(const char *name)
{
	return name_valid(name, strnlen(name, REGISTRY_NAME_MAX + 1)) ? 0 : -EINVAL;
}

/* A name as it may appear in a message: a bad one can come off the wire, so
 * it is cut short and anything unprintable shows as '?'. */
static const char *shown(const char *name, char buf[SHOWN_SIZE])
{
	size_t i;

	for (i = 0; name[i] && i < SHOWN_SIZE - 4; i++)
		buf[i] = (name[i] >= 0x20 && name[i] < 0x7f && name[i] != '"') ? name[i] : '?';
	if (name[i])
		buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
	buf[i] = '\0';
	return buf;
}

/* The first characters of the key's base64 form, enough to tell keys apart
 * in a log line (STYLE.md 8). */
static const char *print(const uint8_t key[REGISTRY_KEY_LEN], char buf[PRINT_SIZE])
{
	char b64[sodium_base64_ENCODED_LEN(REGISTRY_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), key, REGISTRY_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	snprintf(buf, PRINT_SIZE, "%.8s...", b64);
	return buf;
}

static const char *addr_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	if (!inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN))
		snprintf(buf, INET_ADDRSTRLEN, "?");
	return buf;
}

/* BLAKE2b-256 of name || NUL || token. Tokens carry 192 random bits, so a
 * fast unsalted hash cannot be brute-forced; the name in it binds the token
 * to the device it was issued for, even if rows were shuffled. */
static int hash_token(const char *name, const char *token, size_t token_len,
		      uint8_t hash[REGISTRY_HASH_LEN])
{
	crypto_generichash_state st;
	int ret = -EIO;

	if (crypto_generichash_init(&st, NULL, 0, REGISTRY_HASH_LEN) ||
	    crypto_generichash_update(&st, (const uint8_t *)name, strlen(name) + 1) ||
	    crypto_generichash_update(&st, (const uint8_t *)token, token_len) ||
	    crypto_generichash_final(&st, hash, REGISTRY_HASH_LEN))
		goto out;
	ret = 0;
out:
	sodium_memzero(&st, sizeof(st));
	return ret;
}

const char *registry_state_str(enum registry_state state)
{
	switch (state) {
	case REGISTRY_PENDING:
		return "pending";
	case REGISTRY_ACTIVE:
		return "active";
	case REGISTRY_DISABLED:
		return "disabled";
	}
	return "unknown";
}

int registry_state_parse(const char *s, enum registry_state *state)
{
	static const enum registry_state all[] = {REGISTRY_PENDING, REGISTRY_ACTIVE,
						  REGISTRY_DISABLED};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, registry_state_str(all[i])) == 0) {
			*state = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

const char *registry_outcome_str(enum registry_outcome outcome)
{
	static const char *const names[REGISTRY_OUTCOME_COUNT] = {
		[REGISTRY_OK] = "ok",
		[REGISTRY_REJECTED_BAD_NAME] = "bad_name",
		[REGISTRY_REJECTED_UNKNOWN_NAME] = "unknown_name",
		[REGISTRY_REJECTED_BAD_TOKEN] = "bad_token",
		[REGISTRY_REJECTED_EXPIRED] = "expired",
		[REGISTRY_REJECTED_ENROLLED] = "already_enrolled",
		[REGISTRY_REJECTED_KEY_TAKEN] = "key_taken",
		[REGISTRY_REJECTED_DISABLED] = "disabled",
		[REGISTRY_RETRY_LATER] = "retry_later",
	};

	if ((unsigned int)outcome >= REGISTRY_OUTCOME_COUNT)
		return "unknown";
	return names[outcome];
}

struct load {
	struct pool *pool;
	char *msg;
	size_t msglen;
};

static int load_one(const struct registry_record *rec, void *arg)
{
	struct load *ld = arg;
	char a[INET_ADDRSTRLEN];
	int ret = pool_mark(ld->pool, rec->dev.address4);

	/* Outside the pool: the pool changed since the device was added. Its
	 * address is kept (it never changes) and cannot meet a new one. */
	if (ret == -ERANGE)
		return 0;
	if (ret == -EEXIST)
		say(ld->msg, ld->msglen,
		    "device %s: address %s is the network, broadcast or gateway address of the "
		    "pool",
		    rec->dev.name, addr_str(rec->dev.address4, a));
	return ret;
}

int registry_open(struct registry **out, const struct registry_config *cfg, char *msg,
		  size_t msglen)
{
	struct registry *reg;
	struct load ld;
	char a[INET_ADDRSTRLEN];
	int ret;

	*out = NULL;
	reg = calloc(1, sizeof(*reg));
	if (!reg) {
		ret = -ENOMEM;
		say(msg, msglen, "registry: out of memory");
		goto out;
	}
	reg->be = cfg->backend ? cfg->backend : &registry_sqlite_backend;
	if (sodium_init() < 0) {
		ret = -EIO;
		say(msg, msglen, "registry: libsodium failed to initialise");
		goto out;
	}
	ret = pool_create(&reg->pool, cfg->pool, cfg->pool_prefix, cfg->gateway);
	if (ret) {
		say(msg, msglen, "registry: pool %s/%u: %s", addr_str(cfg->pool, a),
		    cfg->pool_prefix,
		    ret == -EINVAL ? "not a network of /8 to /30" : strerror(-ret));
		goto out;
	}
	ret = reg->be->open(&reg->store, cfg->state_dir, msg, msglen);
	if (ret)
		goto out;
	ld = (struct load){.pool = reg->pool, .msg = msg, .msglen = msglen};
	ret = reg->be->foreach (reg->store, load_one, &ld, msg, msglen);
	if (ret)
		goto out;

	*out = reg;
	reg = NULL;
out:
	registry_close(reg);
	return ret;
}

void registry_close(struct registry *reg)
{
	if (!reg)
		return;
	if (reg->store)
		reg->be->close(reg->store);
	pool_free(reg->pool);
	free(reg);
}

/* Both ways of adding: the name must be free, and the key when there is
 * one; the lowest free address goes with the row and back to the pool if
 * the row does not make it to disk. */
static int add(struct registry *reg, struct registry_record *rec, char *msg, size_t msglen)
{
	struct registry_record other;
	char p[PRINT_SIZE];
	bool began = false, allocated = false;
	int ret;

	ret = reg->be->begin(reg->store, msg, msglen);
	if (ret)
		goto out;
	began = true;

	ret = reg->be->get_by_name(reg->store, rec->dev.name, &other, msg, msglen);
	if (ret == 0) {
		ret = -EEXIST;
		say(msg, msglen, "device %s: name already taken", rec->dev.name);
		goto out;
	}
	if (ret != -ENOENT)
		goto out;
	if (rec->dev.has_key) {
		ret = reg->be->get_by_key(reg->store, rec->dev.public_key, &other, msg, msglen);
		if (ret == 0) {
			ret = -EEXIST;
			say(msg, msglen, "device %s: key %s is already bound to device %s",
			    rec->dev.name, print(rec->dev.public_key, p), other.dev.name);
			goto out;
		}
		if (ret != -ENOENT)
			goto out;
	}

	ret = pool_alloc(reg->pool, &rec->dev.address4);
	if (ret) {
		say(msg, msglen, "device %s: address pool exhausted (%u addresses, all in use)",
		    rec->dev.name, pool_capacity(reg->pool));
		goto out;
	}
	allocated = true;
	ret = reg->be->insert(reg->store, rec, msg, msglen);
	if (ret)
		goto out;
	ret = reg->be->commit(reg->store, msg, msglen);
	if (ret)
		goto out;
	began = false;
	allocated = false;
out:
	if (began)
		reg->be->rollback(reg->store);
	/* Just taken from the pool, so giving it back cannot fail. */
	if (allocated)
		(void)pool_release(reg->pool, rec->dev.address4);
	sodium_memzero(&other, sizeof(other));
	return ret;
}

int registry_add_key(struct registry *reg, const char *name, const uint8_t key[REGISTRY_KEY_LEN],
		     int64_t now, struct registry_device *out, char *msg, size_t msglen)
{
	struct registry_record rec = {0};
	char s[SHOWN_SIZE];
	int ret;

	if (check_name(name)) {
		ret = -EINVAL;
		say(msg, msglen,
		    "invalid device name \"%s\": want 1-63 of a-z, 0-9 and '-', "
		    "not starting with '-'",
		    shown(name, s));
		goto out;
	}
	/* All zeros is what a failed key decode leaves behind, and a low-order
	 * point no handshake would accept. */
	if (sodium_is_zero(key, REGISTRY_KEY_LEN)) {
		ret = -EINVAL;
		say(msg, msglen, "device %s: the public key is all zeros", name);
		goto out;
	}
	snprintf(rec.dev.name, sizeof(rec.dev.name), "%s", name);
	rec.dev.state = REGISTRY_ACTIVE;
	rec.dev.has_key = true;
	memcpy(rec.dev.public_key, key, REGISTRY_KEY_LEN);
	rec.dev.created = now;
	ret = add(reg, &rec, msg, msglen);
	if (ret)
		goto out;
	if (out)
		*out = rec.dev;
out:
	return ret;
}

int registry_add_token(struct registry *reg, const char *name, int64_t ttl, int64_t now,
		       char token[REGISTRY_TOKEN_LEN + 1], struct registry_device *out, char *msg,
		       size_t msglen)
{
	struct registry_record rec = {0};
	uint8_t random[TOKEN_RANDOM];
	char s[SHOWN_SIZE];
	int ret;

	token[0] = '\0';
	if (check_name(name)) {
		ret = -EINVAL;
		say(msg, msglen,
		    "invalid device name \"%s\": want 1-63 of a-z, 0-9 and '-', "
		    "not starting with '-'",
		    shown(name, s));
		goto out;
	}
	if (ttl <= 0 || ttl > REGISTRY_TTL_MAX || now > INT64_MAX - ttl) {
		ret = -EINVAL;
		say(msg, msglen, "device %s: token lifetime %lld s outside 1..%lld s", name,
		    (long long)ttl, (long long)REGISTRY_TTL_MAX);
		goto out;
	}

	randombytes_buf(random, sizeof(random));
	sodium_bin2base64(token, REGISTRY_TOKEN_LEN + 1, random, sizeof(random),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(rec.dev.name, sizeof(rec.dev.name), "%s", name);
	ret = hash_token(rec.dev.name, token, strlen(token), rec.token_hash);
	if (ret) {
		say(msg, msglen, "device %s: hashing the token failed", name);
		goto out;
	}
	rec.has_token = true;
	rec.dev.state = REGISTRY_PENDING;
	rec.dev.token_expires = now + ttl;
	rec.dev.created = now;
	ret = add(reg, &rec, msg, msglen);
	if (ret)
		goto out;
	if (out)
		*out = rec.dev;
out:
	/* A token that was not stored must not be shown. */
	if (ret)
		sodium_memzero(token, REGISTRY_TOKEN_LEN + 1);
	sodium_memzero(random, sizeof(random));
	sodium_memzero(&rec, sizeof(rec));
	return ret;
}

/* PROTOCOL.md 3.5, for a message 1 from a key the concentrator does not know
 * (or, idempotently, one it enrolled a moment ago). Checks run from the key
 * to the name to the token, so each refusal names the first thing wrong;
 * the token is compared before its expiry so "expired" is only ever said to
 * someone who holds the right token. */
int registry_enroll(struct registry *reg, const char *name, const char *token, size_t token_len,
		    const uint8_t key[REGISTRY_KEY_LEN], int64_t now,
		    enum registry_outcome *outcome, struct registry_device *out, char *msg,
		    size_t msglen)
{
	struct registry_record rec, other;
	uint8_t hash[REGISTRY_HASH_LEN];
	char s[SHOWN_SIZE], p[PRINT_SIZE], a[INET_ADDRSTRLEN];
	bool began = false;
	int ret;

	*outcome = REGISTRY_RETRY_LATER;
	memset(&rec, 0, sizeof(rec));
	memset(&other, 0, sizeof(other));
	if (check_name(name)) {
		ret = 0;
		*outcome = REGISTRY_REJECTED_BAD_NAME;
		say(msg, msglen, "invalid device name \"%s\"", shown(name, s));
		goto out;
	}
	if (token_len < REGISTRY_TOKEN_MIN || token_len > REGISTRY_TOKEN_MAX) {
		ret = 0;
		*outcome = REGISTRY_REJECTED_BAD_TOKEN;
		say(msg, msglen, "device %s: token of %zu bytes, not %d..%d", name, token_len,
		    REGISTRY_TOKEN_MIN, REGISTRY_TOKEN_MAX);
		goto out;
	}
	ret = hash_token(name, token, token_len, hash);
	if (ret) {
		say(msg, msglen, "device %s: hashing the token failed", name);
		goto out;
	}

	ret = reg->be->begin(reg->store, msg, msglen);
	if (ret)
		goto out;
	began = true;

	ret = reg->be->get_by_key(reg->store, key, &other, msg, msglen);
	if (ret == 0) {
		if (strcmp(other.dev.name, name) != 0) {
			*outcome = REGISTRY_REJECTED_KEY_TAKEN;
			say(msg, msglen, "device %s: key %s is already bound to device %s", name,
			    print(key, p), other.dev.name);
		} else if (other.dev.state == REGISTRY_DISABLED) {
			*outcome = REGISTRY_REJECTED_DISABLED;
			say(msg, msglen, "device %s: disabled", name);
		} else {
			/* The agent retried after its answer got lost. */
			*outcome = REGISTRY_OK;
			say(msg, msglen, "device %s: already enrolled with this key, token ignored",
			    name);
			if (out)
				*out = other.dev;
		}
		goto out;
	}
	if (ret != -ENOENT)
		goto out;

	ret = reg->be->get_by_name(reg->store, name, &rec, msg, msglen);
	if (ret == -ENOENT) {
		ret = 0;
		*outcome = REGISTRY_REJECTED_UNKNOWN_NAME;
		say(msg, msglen, "device %s: unknown device", name);
		goto out;
	}
	if (ret)
		goto out;

	if (rec.dev.state == REGISTRY_DISABLED) {
		*outcome = REGISTRY_REJECTED_DISABLED;
		say(msg, msglen, "device %s: disabled", name);
	} else if (rec.dev.has_key) {
		*outcome = REGISTRY_REJECTED_ENROLLED;
		say(msg, msglen, "device %s: already enrolled with key %s (token used)", name,
		    print(rec.dev.public_key, p));
	} else if (!rec.has_token || sodium_memcmp(hash, rec.token_hash, sizeof(hash)) != 0) {
		*outcome = REGISTRY_REJECTED_BAD_TOKEN;
		say(msg, msglen, "device %s: token does not match", name);
	} else if (now > rec.dev.token_expires) {
		*outcome = REGISTRY_REJECTED_EXPIRED;
		say(msg, msglen, "device %s: token expired %lld s ago", name,
		    (long long)(now - rec.dev.token_expires));
	} else {
		rec.dev.state = REGISTRY_ACTIVE;
		rec.dev.has_key = true;
		memcpy(rec.dev.public_key, key, REGISTRY_KEY_LEN);
		rec.has_token = false;
		sodium_memzero(rec.token_hash, sizeof(rec.token_hash));
		rec.dev.token_expires = 0;
		ret = reg->be->update(reg->store, &rec, msg, msglen);
		if (ret)
			goto out;
		/* The concentrator answers OK only after this: the pin is on disk. */
		ret = reg->be->commit(reg->store, msg, msglen);
		if (ret)
			goto out;
		began = false;
		*outcome = REGISTRY_OK;
		say(msg, msglen, "device %s: enrolled, key %s pinned, address %s", name,
		    print(key, p), addr_str(rec.dev.address4, a));
		if (out)
			*out = rec.dev;
	}
out:
	if (began)
		reg->be->rollback(reg->store);
	if (ret)
		*outcome = REGISTRY_RETRY_LATER;
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(&rec, sizeof(rec));
	sodium_memzero(&other, sizeof(other));
	return ret;
}

int registry_get_by_name(struct registry *reg, const char *name, struct registry_device *out,
			 char *msg, size_t msglen)
{
	struct registry_record rec;
	char s[SHOWN_SIZE];
	int ret;

	if (check_name(name)) {
		ret = -EINVAL;
		say(msg, msglen, "invalid device name \"%s\"", shown(name, s));
		goto out;
	}
	ret = reg->be->get_by_name(reg->store, name, &rec, msg, msglen);
	if (ret == -ENOENT)
		say(msg, msglen, "device %s: no such device", name);
	if (ret)
		goto out;
	*out = rec.dev;
out:
	sodium_memzero(&rec, sizeof(rec));
	return ret;
}

int registry_get_by_key(struct registry *reg, const uint8_t key[REGISTRY_KEY_LEN],
			struct registry_device *out, char *msg, size_t msglen)
{
	struct registry_record rec;
	char p[PRINT_SIZE];
	int ret;

	ret = reg->be->get_by_key(reg->store, key, &rec, msg, msglen);
	if (ret == -ENOENT)
		say(msg, msglen, "no device with key %s", print(key, p));
	if (ret)
		goto out;
	*out = rec.dev;
out:
	sodium_memzero(&rec, sizeof(rec));
	return ret;
}

struct walk {
	int (*fn)(const struct registry_device *dev, void *arg);
	void *arg;
};

static int walk_one(const struct registry_record *rec, void *arg)
{
	struct walk *w = arg;

	return w->fn(&rec->dev, w->arg);
}

int registry_foreach(struct registry *reg, int (*fn)(const struct registry_device *dev, void *arg),
		     void *arg, char *msg, size_t msglen)
{
	struct walk w = {.fn = fn, .arg = arg};

	return reg->be->foreach (reg->store, walk_one, &w, msg, msglen);
}

/* Opens a transaction and reads the named device, for the changes that
 * act on one existing device. *began says whether the caller must roll
 * back. */
static int begin_on_device(struct registry *reg, const char *name, struct registry_record *rec,
			   bool *began, char *msg, size_t msglen)
{
	char s[SHOWN_SIZE];
	int ret;

	if (check_name(name)) {
		say(msg, msglen, "invalid device name \"%s\"", shown(name, s));
		return -EINVAL;
	}
	ret = reg->be->begin(reg->store, msg, msglen);
	if (ret)
		return ret;
	*began = true;
	ret = reg->be->get_by_name(reg->store, name, rec, msg, msglen);
	if (ret == -ENOENT)
		say(msg, msglen, "device %s: no such device", name);
	return ret;
}

static int set_state(struct registry *reg, const char *name, bool enable, char *msg, size_t msglen)
{
	struct registry_record rec;
	enum registry_state want;
	bool began = false;
	int ret;

	memset(&rec, 0, sizeof(rec));
	ret = begin_on_device(reg, name, &rec, &began, msg, msglen);
	if (ret)
		goto out;

	if (!enable)
		want = REGISTRY_DISABLED;
	else
		want = rec.dev.has_key ? REGISTRY_ACTIVE : REGISTRY_PENDING;
	if (rec.dev.state == want)
		goto out;
	rec.dev.state = want;
	ret = reg->be->update(reg->store, &rec, msg, msglen);
	if (ret)
		goto out;
	ret = reg->be->commit(reg->store, msg, msglen);
	if (ret)
		goto out;
	began = false;
out:
	if (began)
		reg->be->rollback(reg->store);
	sodium_memzero(&rec, sizeof(rec));
	return ret;
}

int registry_disable(struct registry *reg, const char *name, char *msg, size_t msglen)
{
	return set_state(reg, name, false, msg, msglen);
}

int registry_enable(struct registry *reg, const char *name, char *msg, size_t msglen)
{
	return set_state(reg, name, true, msg, msglen);
}

int registry_remove(struct registry *reg, const char *name, char *msg, size_t msglen)
{
	struct registry_record rec;
	char a[INET_ADDRSTRLEN];
	bool began = false;
	int ret;

	memset(&rec, 0, sizeof(rec));
	ret = begin_on_device(reg, name, &rec, &began, msg, msglen);
	if (ret)
		goto out;
	ret = reg->be->remove(reg->store, name, msg, msglen);
	if (ret)
		goto out;
	ret = reg->be->commit(reg->store, msg, msglen);
	if (ret)
		goto out;
	began = false;

	/* -ERANGE: the address lies outside today's pool and was never in the
	 * bitmap. Anything else means the bitmap and the store disagree. */
	ret = pool_release(reg->pool, rec.dev.address4);
	if (ret == -ERANGE)
		ret = 0;
	if (ret)
		say(msg, msglen, "device %s removed, but its address %s was not marked in the pool",
		    name, addr_str(rec.dev.address4, a));
out:
	if (began)
		reg->be->rollback(reg->store);
	sodium_memzero(&rec, sizeof(rec));
	return ret;
}

int registry_record_seen(struct registry *reg, const struct registry_seen *seen, size_t n,
			 char *msg, size_t msglen)
{
	bool began = false;
	size_t i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		if (seen[i].endpoint && strlen(seen[i].endpoint) > REGISTRY_ENDPOINT_MAX) {
			ret = -EINVAL;
			say(msg, msglen, "device %s: endpoint longer than %d characters",
			    seen[i].name, REGISTRY_ENDPOINT_MAX);
			goto out;
		}
	}
	if (n == 0)
		goto out;

	ret = reg->be->begin(reg->store, msg, msglen);
	if (ret)
		goto out;
	began = true;
	for (i = 0; i < n; i++) {
		ret = reg->be->set_seen(reg->store, seen[i].name, seen[i].last_handshake,
					seen[i].endpoint, msg, msglen);
		/* removed since the handshake: nothing to remember */
		if (ret == -ENOENT)
			ret = 0;
		if (ret)
			goto out;
	}
	ret = reg->be->commit(reg->store, msg, msglen);
	if (ret)
		goto out;
	began = false;
out:
	if (began)
		reg->be->rollback(reg->store);
	return ret;
}
