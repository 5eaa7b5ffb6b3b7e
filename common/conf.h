/* Configuration files of every Tether program: strict value parsers, and the
 * glue that runs inih over a bounded file with a table of known keys so that
 * each error reads "file:line: key: 'value' is not ...". */
#ifndef TETHER_COMMON_CONF_H
#define TETHER_COMMON_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/log.h"

enum {
	CONF_FILE_MAX = 64 * 1024, /* bytes in a config file */
	CONF_LINE_MAX = 190,	   /* characters in one line, newline excluded */
	CONF_PATH_MAX = 190,	   /* characters in a path (a value cannot be longer anyway) */
	CONF_HOST_MAX = 253,	   /* a DNS name (RFC 1035 2.3.4) */
	/* Devices are <name>.<domain>; with a name of up to 63 characters the
	 * whole stays a valid 253-character DNS name only if domain <= 189. */
	CONF_DOMAIN_MAX = CONF_HOST_MAX - 64,
	CONF_NAME_MAX = 63,    /* a device name is one DNS label (PROTOCOL.md 2) */
	CONF_USER_MAX = 32,    /* useradd's limit */
	CONF_IFNAME_MAX = 15,  /* IFNAMSIZ - 1 */
	CONF_EXPOSE_MAX = 128, /* the exposure list, parsed by policy/ */
	CONF_KEY_LEN = 32,     /* a Curve25519 key */
	CONF_KEY_B64_LEN = 44, /* its base64 with padding */
	CONF_ERR_MAX = 512,    /* enough for any message of this module */
};

/* A literal IP address and port to bind: IPv4 "0.0.0.0:51900" or
 * IPv6 "[::]:51900". */
struct conf_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Where an agent dials: a DNS name or literal address kept as text, so it is
 * resolved again on every attempt; or none (remote access off). */
struct conf_server {
	bool none;		      /* "server = none" */
	char host[CONF_HOST_MAX + 1]; /* without brackets for IPv6 */
	uint16_t port;
};

/* An IPv4 network: the address has no host bits set. */
struct conf_cidr4 {
	struct in_addr addr;
	uint8_t prefix;
};

/* Value parsers. Each returns 0, or -EINVAL with a message in err that
 * quotes the bad value ("'x' is not ..."); the caller adds file, line and
 * key. Outputs are written only on success. */
int conf_parse_addr(const char *s, struct conf_addr *out, char *err, size_t errlen);
int conf_parse_server(const char *s, struct conf_server *out, char *err, size_t errlen);
int conf_parse_cidr4(const char *s, struct conf_cidr4 *out, char *err, size_t errlen);
int conf_parse_ipv4(const char *s, struct in_addr *out, char *err, size_t errlen);
int conf_parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *out, char *err,
		    size_t errlen);
int conf_parse_port(const char *s, uint16_t *out, char *err, size_t errlen);
/* Case: DNS is case-insensitive and browsers send Host and SNI in lowercase,
 * so a domain is accepted in any case and stored lowercased. */
int conf_parse_domain(const char *s, char out[CONF_DOMAIN_MAX + 1], char *err, size_t errlen);
/* ^[a-z0-9][a-z0-9-]{0,62}$ exactly; uppercase is refused, as on the wire. */
int conf_parse_name(const char *s, char out[CONF_NAME_MAX + 1], char *err, size_t errlen);
/* 44 base64 characters (original alphabet, padded) that decode to 32 bytes,
 * not all zero. Public keys only: the message quotes the value. */
int conf_parse_pubkey(const char *s, uint8_t out[CONF_KEY_LEN], char *err, size_t errlen);
/* An absolute path of at most max characters (0: CONF_PATH_MAX). */
int conf_parse_path(const char *s, size_t max, char out[CONF_PATH_MAX + 1], char *err,
		    size_t errlen);
/* A user name by syntax only, ^[a-z_][a-z0-9_-]{0,31}$; resolving it is the
 * daemon's job. */
int conf_parse_user(const char *s, char out[CONF_USER_MAX + 1], char *err, size_t errlen);
/* A network interface name: 1..15 of [A-Za-z0-9_.-], not "." or "..". */
int conf_parse_ifname(const char *s, char out[CONF_IFNAME_MAX + 1], char *err, size_t errlen);
/* Kept as text for policy/'s parser: non-empty, printable, bounded. */
int conf_parse_expose(const char *s, char out[CONF_EXPOSE_MAX + 1], char *err, size_t errlen);
/* error, warning, notice, info or debug (the names log.c prints). */
int conf_parse_log_level(const char *s, enum log_level *out, char *err, size_t errlen);
const char *conf_log_level_name(enum log_level level);

/* The glue. A config module describes its keys in a table; each entry says
 * what C type the value lands in, so conf_parse_buffer() can store it. */
enum conf_type {
	CONF_T_ADDR,	  /* struct conf_addr */
	CONF_T_SERVER,	  /* struct conf_server */
	CONF_T_CIDR4,	  /* struct conf_cidr4; prefix in [min, max] */
	CONF_T_IPV4,	  /* struct in_addr */
	CONF_T_UINT,	  /* uint32_t in [min, max] */
	CONF_T_PORT,	  /* uint16_t, 1..65535 */
	CONF_T_DOMAIN,	  /* char[CONF_DOMAIN_MAX + 1] */
	CONF_T_NAME,	  /* char[CONF_NAME_MAX + 1] */
	CONF_T_PUBKEY,	  /* uint8_t[CONF_KEY_LEN] */
	CONF_T_PATH,	  /* char[CONF_PATH_MAX + 1]; at most max characters if max != 0 */
	CONF_T_USER,	  /* char[CONF_USER_MAX + 1] */
	CONF_T_IFNAME,	  /* char[CONF_IFNAME_MAX + 1] */
	CONF_T_EXPOSE,	  /* char[CONF_EXPOSE_MAX + 1] */
	CONF_T_LOG_LEVEL, /* enum log_level */
};

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	size_t offset; /* of the field in the caller's struct */
	uint32_t min, max;
};

/* Table entries whose field type is checked at compile time: a mismatch is
 * a negative bit-field width, as in the kernel's BUILD_BUG_ON_ZERO. */
#define CONF_OFFSET(ctype, st, field)                                                              \
	(offsetof(st, field) +                                                                     \
	 0 * sizeof(struct {                                                                       \
		 int type_matches                                                                  \
		     : __builtin_types_compatible_p(__typeof__(((st *)0)->field), ctype)           \
		       ? 1                                                                         \
		       : -1;                                                                       \
	 }))
#define CONF_KEY(sec, key, t, ctype, st, field, lo, hi)                                            \
	{                                                                                          \
		.section = (sec), .name = (key), .type = (t),                                      \
		.offset = CONF_OFFSET(ctype, st, field), .min = (lo), .max = (hi)                  \
	}
#define CONF_KEY_ADDR(sec, key, st, f)                                                             \
	CONF_KEY(sec, key, CONF_T_ADDR, struct conf_addr, st, f, 0, 0)
#define CONF_KEY_SERVER(sec, key, st, f)                                                           \
	CONF_KEY(sec, key, CONF_T_SERVER, struct conf_server, st, f, 0, 0)
#define CONF_KEY_CIDR4(sec, key, st, f, lo, hi)                                                    \
	CONF_KEY(sec, key, CONF_T_CIDR4, struct conf_cidr4, st, f, lo, hi)
#define CONF_KEY_IPV4(sec, key, st, f) CONF_KEY(sec, key, CONF_T_IPV4, struct in_addr, st, f, 0, 0)
#define CONF_KEY_UINT(sec, key, st, f, lo, hi)                                                     \
	CONF_KEY(sec, key, CONF_T_UINT, uint32_t, st, f, lo, hi)
#define CONF_KEY_PORT(sec, key, st, f) CONF_KEY(sec, key, CONF_T_PORT, uint16_t, st, f, 1, 65535)
#define CONF_KEY_DOMAIN(sec, key, st, f)                                                           \
	CONF_KEY(sec, key, CONF_T_DOMAIN, char[CONF_DOMAIN_MAX + 1], st, f, 0, 0)
#define CONF_KEY_NAME(sec, key, st, f)                                                             \
	CONF_KEY(sec, key, CONF_T_NAME, char[CONF_NAME_MAX + 1], st, f, 0, 0)
#define CONF_KEY_PUBKEY(sec, key, st, f)                                                           \
	CONF_KEY(sec, key, CONF_T_PUBKEY, uint8_t[CONF_KEY_LEN], st, f, 0, 0)
#define CONF_KEY_PATH(sec, key, st, f, maxlen)                                                     \
	CONF_KEY(sec, key, CONF_T_PATH, char[CONF_PATH_MAX + 1], st, f, 0, maxlen)
#define CONF_KEY_USER(sec, key, st, f)                                                             \
	CONF_KEY(sec, key, CONF_T_USER, char[CONF_USER_MAX + 1], st, f, 0, 0)
#define CONF_KEY_IFNAME(sec, key, st, f)                                                           \
	CONF_KEY(sec, key, CONF_T_IFNAME, char[CONF_IFNAME_MAX + 1], st, f, 0, 0)
#define CONF_KEY_EXPOSE(sec, key, st, f)                                                           \
	CONF_KEY(sec, key, CONF_T_EXPOSE, char[CONF_EXPOSE_MAX + 1], st, f, 0, 0)
#define CONF_KEY_LOG_LEVEL(sec, key, st, f)                                                        \
	CONF_KEY(sec, key, CONF_T_LOG_LEVEL, enum log_level, st, f, 0, 0)

/* One parse: the file name used in messages, the key table, the struct the
 * values land in (holding its defaults beforehand), and lines[nkeys], filled
 * with the line each key was given on (0: not given, the default stands). */
struct conf_file {
	const char *path;
	const struct conf_key *keys;
	size_t nkeys;
	void *cfg;
	unsigned int *lines;
};

/* Parse len bytes (need not be NUL-terminated). Grammar: "[section]",
 * "key = value", blank lines, comments from '#' or ';' at the start of a
 * line or after whitespace; leading whitespace is ignored (no inih
 * continuation lines). Errors, each stopping the parse with -EINVAL: a line
 * over CONF_LINE_MAX, a NUL byte, a malformed line, an unknown section or
 * key, a key outside a section, a key given twice, an empty or bad value;
 * -EFBIG for more than CONF_FILE_MAX bytes. Required keys and relations
 * between keys are the caller's to check. */
int conf_parse_buffer(const struct conf_file *f, const char *buf, size_t len, char *err,
		      size_t errlen);
/* Read f->path (a regular file of at most CONF_FILE_MAX bytes) and parse
 * it. I/O errors return -errno with the file named in err. */
int conf_parse_file(const struct conf_file *f, char *err, size_t errlen);

/* For checks across keys: "path:line: key: <fmt>", or "path: key: <fmt>"
 * when line is 0 (the key was not given), or "path: <fmt>" without a key. */
void conf_error(char *err, size_t errlen, const char *path, unsigned int line, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Replace (or, with CONF_WRITE_NEW, create without ever replacing) path with
 * data atomically: a temp file in the same directory with the final mode,
 * fsync, rename (or link, which fails if path exists: -EEXIST), fsync of
 * the directory. The temp file is removed on every error path. */
enum conf_write_mode {
	CONF_WRITE_REPLACE,
	CONF_WRITE_NEW,
};
int conf_write_file(const char *path, const void *data, size_t len, mode_t mode,
		    enum conf_write_mode how, char *err, size_t errlen);

#endif
