/* The gateway's interface name for a device: short names as they are, long
 * names hashed so that every device fits in IFNAMSIZ and stays stable. */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "netlink/ifname.h"

_Static_assert(sizeof(NL_IFNAME_PREFIX) - 1 + NL_IFNAME_SHORT_MAX < IFNAMSIZ, "short name fits");
_Static_assert(sizeof(NL_IFNAME_PREFIX) - 1 + NL_IFNAME_HASH_CHARS < IFNAMSIZ, "hash fits");
_Static_assert(NL_IFNAME_HASH_CHARS <= 2 * crypto_generichash_BYTES_MIN, "hash is long enough");

bool nl_ifname_device_valid(const char *name)
{
	size_t len = strnlen(name, NL_DEVICE_NAME_MAX + 1);

	if (len == 0 || len > NL_DEVICE_NAME_MAX || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

int nl_ifname_for_device(const char *name, char ifname[IFNAMSIZ])
{
	unsigned char hash[crypto_generichash_BYTES_MIN];
	char hex[2 * sizeof(hash) + 1];
	size_t len;

	if (!nl_ifname_device_valid(name))
		return -EINVAL;
	len = strlen(name);
	if (len <= NL_IFNAME_SHORT_MAX) {
		memcpy(ifname, NL_IFNAME_PREFIX, sizeof(NL_IFNAME_PREFIX) - 1);
		memcpy(ifname + sizeof(NL_IFNAME_PREFIX) - 1, name, len + 1);
		return 0;
	}
	/* BLAKE2b with a 16-byte output (libsodium's smallest), unkeyed; the
	 * output length is part of BLAKE2b's parameters, so this is not a
	 * truncation of the 32-byte hash. Changing it renames interfaces. */
	if (sodium_init() < 0)
		return -EIO;
	if (crypto_generichash(hash, sizeof(hash), (const unsigned char *)name, len, NULL, 0))
		return -EINVAL;
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	memcpy(ifname, NL_IFNAME_PREFIX, sizeof(NL_IFNAME_PREFIX) - 1);
	memcpy(ifname + sizeof(NL_IFNAME_PREFIX) - 1, hex, NL_IFNAME_HASH_CHARS);
	ifname[sizeof(NL_IFNAME_PREFIX) - 1 + NL_IFNAME_HASH_CHARS] = '\0';
	return 0;
}
