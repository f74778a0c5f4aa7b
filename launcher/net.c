// SPDX-License-Identifier: MIT
/* Network namespace: `none` leaves lo down (no usable interface); `loopback` brings lo up. */
#include "common/macro.h"
#include "launcher/sandbox.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int ward_net_setup_child(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = -1;

	/* audit mode too: it keeps the namespaces and network mode the user chose */
	if (p->net_mode != WARD_NET_LOOPBACK || !(p->namespaces & WARD_NS_NET))
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ward_error_set(err, -errno, "socket for loopback setup");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return ward_error_set(err, -errno, "SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return ward_error_set(err, -errno, "bringing lo up");
	return 0;
}
