/* The gateway's packet policy as a model, rendered to nftables text for table `inet tether`
 * (anti-spoofing, isolation, access; docs/nftables.md) and applied through libnftables, one
 * transaction per change. Device changes touch set elements only, never rules. */
#ifndef TETHER_POLICY_POLICY_H
#define TETHER_POLICY_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	POLICY_MAX_RULES = 256,		    /* rules in one policy file */
	POLICY_MAX_PORTS = 32,		    /* port items of one rule, after merging */
	POLICY_PATTERN_MAX = 64,	    /* characters of a device pattern */
	POLICY_NAME_MAX = 63,		    /* a device name is a DNS label (PROTOCOL.md 2) */
	POLICY_IFNAME_MAX = 15,		    /* IFNAMSIZ - 1 */
	POLICY_DEFAULT_MAX_DEVICES = 65536, /* the `size` of every set: a /16 pool */
};

/* No proxy user: no local process may open a connection to a device. */
#define POLICY_UID_NONE UINT32_MAX

/* Every device interface starts with this (INTERFACE.md, Kernel objects). */
#define POLICY_IFPREFIX "tt-"

enum policy_proto {
	POLICY_PROTO_TCP,
	POLICY_PROTO_UDP,
};

/* An inclusive port range; a single port has lo == hi. */
struct policy_ports {
	uint16_t lo;
	uint16_t hi;
};

/* One `allow SOURCE to PATTERN PROTO PORTS` line. */
struct policy_rule {
	unsigned int line; /* line in the policy file, shown in the rule's comment */
	int family;	   /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src;
	unsigned int prefix; /* host bits of src are zero */
	char pattern[POLICY_PATTERN_MAX + 1];
	enum policy_proto proto;
	unsigned int nports;
	struct policy_ports ports[POLICY_MAX_PORTS]; /* sorted, disjoint, not adjacent */
};

/* What the ruleset is made from: the [tetherd]/[proxy] settings that shape it, and the rules
 * of the policy file. policy_init() sets the defaults; the config fills the rest. */
struct policy {
	uint32_t proxy_uid;	 /* the proxy_user's uid, or POLICY_UID_NONE */
	uint16_t http_port;	 /* device_http_port */
	uint16_t https_port;	 /* device_https_port */
	struct in_addr gateway4; /* the gateway's tunnel address; 0: devices may not ping */
	bool has_gateway6;
	struct in6_addr gateway6;
	uint32_t max_devices; /* bound of every set, enforced by the kernel */
	unsigned int nrules;
	struct policy_rule rules[POLICY_MAX_RULES];
};

/* A device as the ruleset knows it. The name decides which rules apply (patterns match names);
 * the interface carries the traffic (names over 12 characters have hashed interface names). */
struct policy_device {
	const char *name;   /* [a-z0-9][a-z0-9-]{0,62} */
	const char *ifname; /* tt-..., at most 15 characters */
	struct in_addr addr4;
	bool has_addr6;
	struct in6_addr addr6;
};

/* Every error says what and where. For the policy file: file, line and the offending token;
 * for nftables: nft's own message. `message` always holds the whole text, ready to log, e.g.
 * "policy.conf:3: bad port '70000'". */
struct policy_error {
	char file[128];
	unsigned int line; /* 0: not about a line */
	char token[64];
	char message[1024];
};

enum policy_op {
	POLICY_OP_ADD,
	POLICY_OP_REMOVE,
};

/* A libnftables context. It acts in the network namespace of the thread that created it, and
 * must only be used by one thread at a time: create one per thread. */
struct policy_nft;

/* NULL with errno set on failure. */
struct policy_nft *policy_nft_create(void);
void policy_nft_free(struct policy_nft *nft);

/* Defaults: no proxy user, ports 80 and 443, no gateway address, no rules. */
void policy_init(struct policy *p);

/* True if `name` matches `pattern`, where `*` stands for any run of characters. */
bool policy_pattern_match(const char *pattern, const char *name);

/* The whole table with these devices as one nft script that replaces any previous table in the
 * same transaction. *text is malloc'd; free() it. */
int policy_render(const struct policy *p, const struct policy_device *devs, size_t n, char **text,
		  struct policy_error *err);

/* Only the set elements for these devices: the anti-spoofing sets and the sets of the rules
 * whose patterns match their names. *text is malloc'd; free() it. */
int policy_render_elements(const struct policy *p, const struct policy_device *devs, size_t n,
			   enum policy_op op, char **text, struct policy_error *err);

/* Replaces the table atomically (one transaction): on failure the previous table stays in
 * force, untouched. */
int policy_apply(struct policy_nft *nft, const struct policy *p, const struct policy_device *devs,
		 size_t n, struct policy_error *err);

/* One device's elements in one transaction. `p` must be the policy last applied. Adding a
 * present device and removing an absent one both succeed. addr6 may be NULL. */
int policy_device_add(struct policy_nft *nft, const struct policy *p, const char *name,
		      const char *ifname, const struct in_addr *addr4, const struct in6_addr *addr6,
		      struct policy_error *err);
int policy_device_remove(struct policy_nft *nft, const struct policy *p, const char *name,
			 const char *ifname, const struct in_addr *addr4,
			 const struct in6_addr *addr6, struct policy_error *err);

/* Many devices' elements in one transaction. */
int policy_devices_add(struct policy_nft *nft, const struct policy *p,
		       const struct policy_device *devs, size_t n, struct policy_error *err);
int policy_devices_remove(struct policy_nft *nft, const struct policy *p,
			  const struct policy_device *devs, size_t n, struct policy_error *err);

/* Removes the table; succeeds if there is none. */
int policy_remove(struct policy_nft *nft, struct policy_error *err);

#endif
