/* Privilege drop with the checks done after it rather than trusted: the
 * capability sets are read back from the kernel and a setuid(0) must fail. */
#include "concentrator/proxy/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		int e = errno ? errno : ESRCH;

		snprintf(err, errlen, "proxy_user '%s': %s", user,
			 e == ESRCH || e == ENOENT ? "no such user" : strerror(e));
		return e == ENOENT ? -ESRCH : -e;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "proxy_user '%s' is root (uid %u, gid %u): refusing", user,
			 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
		return -EPERM;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int capget_all(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};

	memset(data, 0, 2 * sizeof(*data));
	return syscall(SYS_capget, &hdr, data) < 0 ? -errno : 0;
}

static int capclear_all(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

int privdrop(const char *user, char *err, size_t errlen)
{
	struct __user_cap_data_struct caps[2];
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;
	int ret;

	if (getuid() == 0 || geteuid() == 0) {
		ret = privdrop_lookup(user, &uid, &gid, err, errlen);
		if (ret)
			return ret;
		/* groups first, while still allowed to change them */
		if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot become proxy_user '%s': %s", user,
				 strerror(errno));
			return ret;
		}
	}
	uid = getuid();
	gid = getgid();
	/* setresuid() from root already emptied the sets; a proxy started as
	 * its own user with CAP_NET_BIND_SERVICE drops it here */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		ret = -errno;
		snprintf(err, errlen, "cannot clear ambient capabilities: %s", strerror(errno));
		return ret;
	}
	ret = capclear_all();
	if (ret) {
		snprintf(err, errlen, "cannot clear capabilities: %s", strerror(-ret));
		return ret;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return ret;
	}

	/* now check, rather than trust, each of the above */
	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot read back uid and gid: %s", strerror(errno));
		return ret;
	}
	if (ruid == 0 || euid == 0 || suid == 0 || rgid == 0 || egid == 0 || sgid == 0 ||
	    ruid != uid || euid != uid || suid != uid) {
		snprintf(err, errlen,
			 "still root after dropping privileges (uid %u/%u/%u gid %u/%u/%u)",
			 (unsigned)ruid, (unsigned)euid, (unsigned)suid, (unsigned)rgid,
			 (unsigned)egid, (unsigned)sgid);
		return -EPERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "could become root again after dropping privileges");
		return -EPERM;
	}
	ret = capget_all(caps);
	if (ret) {
		snprintf(err, errlen, "cannot read back capabilities: %s", strerror(-ret));
		return ret;
	}
	if (caps[0].effective || caps[1].effective || caps[0].permitted || caps[1].permitted ||
	    caps[0].inheritable || caps[1].inheritable) {
		snprintf(err, errlen,
			 "capabilities left after dropping privileges (effective %08x%08x)",
			 caps[1].effective, caps[0].effective);
		return -EPERM;
	}
	return 0;
}
