/* Opening /dev/net/tun: TUNSETIFF creates the interface or, for an existing
 * persistent one, attaches to it; IFF_TUN_EXCL tells the two apart so the
 * alias check runs only when the name is already taken. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "netlink/ifname.h"
#include "netlink/link.h"
#include "netlink/tun.h"

static int attach(const char *ifname, short excl, int *fd)
{
	struct ifreq ifr = {.ifr_flags = IFF_TUN | IFF_NO_PI | excl};
	int ret = 0;

	*fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		ret = -errno;
		goto out;
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(*fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(*fd);
		*fd = -1;
	}
out:
	return ret;
}

static int set_persist(struct nl_tun *tun, unsigned int flags)
{
	if (tun->created && !(flags & NL_TUN_PERSIST))
		return 0;
	if (ioctl(tun->fd, TUNSETPERSIST, (unsigned long)!!(flags & NL_TUN_PERSIST)) < 0)
		return -errno;
	return 0;
}

int nl_tun_open(struct nl_sock *nl, const char *device, unsigned int flags, struct nl_tun *tun)
{
	struct nl_link link;
	int ret;

	memset(tun, 0, sizeof(*tun));
	tun->fd = -1;
	ret = nl_ifname_for_device(device, tun->ifname);
	if (ret)
		goto out;
	ret = attach(tun->ifname, IFF_TUN_EXCL, &tun->fd);
	if (ret == 0) {
		tun->created = true;
		ret = nl_ifindex(nl, tun->ifname, &tun->ifindex);
		if (ret)
			goto out;
		/* Not yet persistent: if this fails, closing the fd removes
		 * the interface again. */
		ret = nl_link_set_alias(nl, tun->ifindex, device);
		if (ret)
			goto out;
	} else if (ret == -EBUSY) {
		/* The name is taken: ours only if it is a TUN carrying our
		 * device's name, never a hash collision or a foreign link. */
		ret = nl_link_get(nl, tun->ifname, &link);
		if (ret == -ENODEV)
			ret = -EAGAIN; /* deleted meanwhile; the caller may retry */
		if (ret)
			goto out;
		if (strcmp(link.kind, "tun") || strcmp(link.alias, device)) {
			ret = -EEXIST;
			goto out;
		}
		tun->ifindex = link.ifindex;
		ret = attach(tun->ifname, 0, &tun->fd);
		if (ret)
			goto out;
	} else {
		goto out;
	}
	ret = set_persist(tun, flags);
out:
	if (ret)
		nl_tun_close(tun);
	return ret;
}

int nl_tun_open_name(struct nl_sock *nl, const char *ifname, unsigned int flags, struct nl_tun *tun)
{
	int ret = -EINVAL;

	memset(tun, 0, sizeof(*tun));
	tun->fd = -1;
	if (!ifname[0] || strnlen(ifname, IFNAMSIZ) >= IFNAMSIZ)
		goto out;
	memcpy(tun->ifname, ifname, strlen(ifname) + 1);
	ret = attach(tun->ifname, IFF_TUN_EXCL, &tun->fd);
	if (ret == 0)
		tun->created = true;
	else if (ret == -EBUSY)
		ret = attach(tun->ifname, 0, &tun->fd);
	if (ret)
		goto out;
	ret = nl_ifindex(nl, tun->ifname, &tun->ifindex);
	if (ret)
		goto out;
	ret = set_persist(tun, flags);
out:
	if (ret)
		nl_tun_close(tun);
	return ret;
}

void nl_tun_close(struct nl_tun *tun)
{
	if (tun->fd >= 0)
		close(tun->fd);
	tun->fd = -1;
}
