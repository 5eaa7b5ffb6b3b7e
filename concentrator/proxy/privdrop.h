/* Giving up privileges once the listening sockets are bound, as relayd's
 * unprivileged processes do: the proxy faces the internet, so it keeps no
 * root, no capability and no way back to either. */
#ifndef TETHER_PROXY_PRIVDROP_H
#define TETHER_PROXY_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/* Started as root: become `user` (setgroups to its primary group only,
 * setresgid, setresuid). Started as anyone else (systemd's User= with
 * CAP_NET_BIND_SERVICE): stay that user. Either way then clear every
 * capability (effective, permitted, inheritable, ambient), set
 * no_new_privs, and check that uid 0 and capabilities cannot come back.
 * Returns 0 or -errno with err saying what failed (-ESRCH: no such user,
 * -EPERM: user is root, or a check failed). */
int privdrop(const char *user, char *err, size_t errlen);

/* The uid and gid privdrop() would switch to, for -n: 0 or -errno. */
int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);

#endif
