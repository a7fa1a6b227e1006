/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: next hops toward backends
 *
 * For each backend the data path needs the egress interface, its MAC (the
 * outer source MAC) and the MAC of the next hop (the backend itself when
 * on-link, else the gateway of the route). They come from the kernel's
 * routing and neighbour tables through libnl-route: the route by asking the
 * kernel (RTM_GETROUTE, the same lookup the stack would do), the neighbour
 * and link from caches that libnl keeps current. xlbd polls xlb_nh_fd() and
 * re-resolves every backend when xlb_nh_process() reports a change.
 *
 * An unresolved neighbour is never written as a zero MAC: the caller marks
 * the backend's next hop invalid, reports it, and calls xlb_nh_probe() to
 * make the kernel resolve it.
 */
#ifndef XLB_NEXTHOP_H
#define XLB_NEXTHOP_H

#include <net/if.h>
#include <linux/types.h>

#include "addr.h"

enum xlb_nh_state {
	XLB_NH_OK = 0, /* resolved */
	XLB_NH_NO_ROUTE, /* no usable route (unreachable, local, ...) */
	XLB_NH_INCOMPLETE, /* neighbour not (yet) resolved */
	XLB_NH_NO_L2, /* egress has no MAC (not Ethernet) */
};

/**
 * struct xlb_nh_result - where packets to an address go
 * @state: enum xlb_nh_state
 * @ifindex: egress interface
 * @ifname: its name
 * @gw: next-hop address (the gateway, or the destination when on-link)
 * @mac: next-hop MAC (valid when @state is XLB_NH_OK)
 * @src_mac: MAC of @ifindex
 */
struct xlb_nh_result {
	enum xlb_nh_state state;
	int ifindex;
	char ifname[IFNAMSIZ];
	struct xlb_addr gw;
	__u8 mac[6];
	__u8 src_mac[6];
};

struct xlb_nh;

int xlb_nh_open(struct xlb_nh **out);
void xlb_nh_close(struct xlb_nh *nh);

/** xlb_nh_fds() - file descriptors to poll for readability (2 of them) */
void xlb_nh_fds(struct xlb_nh *nh, int fds[2]);

/**
 * xlb_nh_process() - read pending netlink messages
 * Return: 1 if links, neighbours or routes changed, 0 if not, or -errno.
 */
int xlb_nh_process(struct xlb_nh *nh);

/** xlb_nh_resolve() - next hop of @dst (0 with r->state set, or -errno) */
int xlb_nh_resolve(struct xlb_nh *nh, const struct xlb_addr *dst,
		   struct xlb_nh_result *r);

/** xlb_nh_probe() - make the kernel resolve r->gw on r->ifindex */
int xlb_nh_probe(struct xlb_nh *nh, const struct xlb_nh_result *r);

const char *xlb_nh_state_str(enum xlb_nh_state s);

#endif /* XLB_NEXTHOP_H */
