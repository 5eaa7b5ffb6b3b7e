/* Session rotation of PROTOCOL.md sections 4 and 5 over three fixed slots:
 * rotation only renames slots, a dropped session is wiped in place, and the
 * per-packet calls touch one slot and never allocate. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "proto/session.h"

static bool expired(const struct session *s, uint64_t now)
{
	return now >= s->created + WIRE_REJECT_AFTER_TIME;
}

/* Wipe the session in *which (keys and replay window) and report its index. */
static void drop(struct session_peer *p, int8_t *which, struct session_drops *drops)
{
	struct session *s;

	if (*which == SESSION_NONE)
		return;
	s = &p->slot[*which];
	if (drops && drops->count < SESSION_SLOTS)
		drops->index[drops->count++] = s->keys.local_index;
	sodium_memzero(s, sizeof(*s));
	*which = SESSION_NONE;
}

/* current becomes previous: it only receives from now on, so its send key
 * goes at once. */
static void demote(struct session_peer *p)
{
	struct session *s;

	if (p->current == SESSION_NONE)
		return;
	s = &p->slot[p->current];
	sodium_memzero(s->keys.send, sizeof(s->keys.send));
	s->can_send = false;
	p->previous = p->current;
	p->current = SESSION_NONE;
}

static int8_t free_slot(const struct session_peer *p)
{
	for (int8_t i = 0; i < SESSION_SLOTS; i++)
		if (i != p->current && i != p->previous && i != p->next)
			return i;
	return SESSION_NONE; /* cannot happen: callers drop one first */
}

void session_init(struct session_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->current = p->previous = p->next = SESSION_NONE;
}

void session_clear(struct session_peer *p, struct session_drops *drops)
{
	drop(p, &p->next, drops);
	drop(p, &p->current, drops);
	drop(p, &p->previous, drops);
}

void session_install(struct session_peer *p, struct session_keys *keys, enum session_role role,
		     uint64_t now, struct session_drops *drops)
{
	struct session *s;
	int8_t i;

	if (role == SESSION_INITIATOR) {
		/* the agent has message 2: the concentrator holds the keys */
		drop(p, &p->next, drops);
		drop(p, &p->previous, drops);
		demote(p);
	} else {
		/* a newer handshake replaces an unconfirmed one */
		drop(p, &p->next, drops);
	}
	i = free_slot(p);
	s = &p->slot[i];
	memset(s, 0, sizeof(*s));
	memcpy(&s->keys, keys, sizeof(s->keys));
	sodium_memzero(keys, sizeof(*keys));
	replay_init(&s->replay);
	s->created = now;
	s->role = role;
	s->can_send = true;
	s->confirmed = role == SESSION_INITIATOR;
	if (role == SESSION_INITIATOR)
		p->current = i;
	else
		p->next = i;
}

enum proto_reason session_encrypt(struct session_peer *p, uint8_t *msg, size_t cap, size_t len,
				  size_t mtu, uint64_t now, struct session_tx *tx)
{
	struct session *s;
	enum proto_reason reason;

	if (p->current == SESSION_NONE)
		return PROTO_SESSION_EXPIRED;
	s = &p->slot[p->current];
	if (expired(s, now))
		return PROTO_SESSION_EXPIRED;
	if (s->send_counter >= WIRE_REJECT_AFTER_MESSAGES)
		return PROTO_COUNTER_LIMIT;
	reason = data_seal(msg, cap, s->keys.send, s->keys.remote_index, s->send_counter, len, mtu,
			   &tx->len);
	if (reason != PROTO_OK)
		return reason;
	tx->rekey = s->send_counter >= WIRE_REKEY_AFTER_MESSAGES;
	s->send_counter++;
	return PROTO_OK;
}

/* Which of the peer's slots has this local index: the member naming it. */
static int8_t *find(struct session_peer *p, uint32_t index)
{
	int8_t *order[] = {&p->current, &p->previous, &p->next};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (*order[i] != SESSION_NONE && p->slot[*order[i]].keys.local_index == index)
			return order[i];
	return NULL;
}

enum proto_reason session_decrypt(struct session_peer *p, const struct data_header *hdr,
				  const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap,
				  uint64_t now, struct session_rx *rx)
{
	struct session *s;
	enum proto_reason reason;
	int8_t *which = find(p, hdr->receiver);

	rx->dropped.count = 0;
	rx->confirmed = false;
	if (!which)
		return PROTO_UNKNOWN_INDEX;
	s = &p->slot[*which];
	if (expired(s, now))
		return PROTO_SESSION_EXPIRED;
	reason = replay_check(&s->replay, hdr->counter);
	if (reason != PROTO_OK)
		return reason;
	reason = data_open(s->keys.recv, hdr, msg, len, out, out_cap, &rx->len);
	if (reason != PROTO_OK)
		return reason;
	reason = replay_update(&s->replay, hdr->counter);
	if (reason != PROTO_OK)
		return reason;
	rx->created = s->created;

	if (which == &p->next) {
		/* section 4: a data message on the new session, keepalive or not,
		 * proves the agent has its keys */
		drop(p, &p->previous, &rx->dropped);
		demote(p);
		p->current = p->next;
		p->next = SESSION_NONE;
		s->confirmed = true;
		rx->confirmed = true;
	}
	return PROTO_OK;
}

void session_expire(struct session_peer *p, uint64_t now, struct session_drops *drops)
{
	int8_t *members[] = {&p->current, &p->previous, &p->next};

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (*members[i] != SESSION_NONE && expired(&p->slot[*members[i]], now))
			drop(p, members[i], drops);
}

uint64_t session_deadline(const struct session_peer *p)
{
	const int8_t members[] = {p->current, p->previous, p->next};
	uint64_t deadline = UINT64_MAX;

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		uint64_t t;

		if (members[i] == SESSION_NONE)
			continue;
		t = p->slot[members[i]].created + WIRE_REJECT_AFTER_TIME;
		if (t < deadline)
			deadline = t;
	}
	return deadline;
}

const struct session *session_current(const struct session_peer *p)
{
	if (p->current == SESSION_NONE) {
		errno = ENOENT;
		return NULL;
	}
	return &p->slot[p->current];
}
