// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: next-hop resolution with libnl-route
 *
 * Three netlink sockets: one for RTM_GETROUTE queries, one behind libnl's
 * cache manager (links and neighbours, updated from notifications), and one
 * subscribed to route notifications only. Routes are not cached: an edge
 * host may carry a large table, and the kernel's own lookup is exact.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "log.h"
#include "nexthop.h"

struct xlb_nh {
	struct nl_sock *query;
	struct nl_sock *events;
	struct nl_cache_mngr *mngr;
	struct nl_cache *links;
	struct nl_cache *neighs;
	int changed;
};

const char *xlb_nh_state_str(enum xlb_nh_state s)
{
	switch (s) {
	case XLB_NH_OK:
		return "resolved";
	case XLB_NH_NO_ROUTE:
		return "no route";
	case XLB_NH_INCOMPLETE:
		return "neighbour unresolved";
	case XLB_NH_NO_L2:
		return "egress has no MAC";
	}
	return "?";
}

static void cache_change(struct nl_cache *c, struct nl_object *o, int action,
			 void *arg)
{
	struct xlb_nh *nh = arg;

	(void)c;
	(void)o;
	(void)action;
	nh->changed = 1;
}

static int nl_err(int e)
{
	/* libnl's codes are not errnos; map the common ones */
	switch (-e) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	default:
		return -EIO;
	}
}

int xlb_nh_open(struct xlb_nh **out)
{
	struct xlb_nh *nh;
	int err;

	nh = calloc(1, sizeof(*nh));
	if (!nh)
		return -ENOMEM;

	nh->query = nl_socket_alloc();
	nh->events = nl_socket_alloc();
	if (!nh->query || !nh->events) {
		err = -ENOMEM;
		goto err;
	}
	err = nl_connect(nh->query, NETLINK_ROUTE);
	if (err)
		goto nlerr;
	/* RTM_GETROUTE answers with the route; an ACK on top would be read
	 * as the answer to the next query. */
	nl_socket_disable_auto_ack(nh->query);

	nl_socket_disable_seq_check(nh->events);
	err = nl_connect(nh->events, NETLINK_ROUTE);
	if (err)
		goto nlerr;
	err = nl_socket_add_memberships(nh->events, RTNLGRP_IPV4_ROUTE,
					RTNLGRP_IPV6_ROUTE, 0);
	if (err)
		goto nlerr;
	nl_socket_set_nonblocking(nh->events);

	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE,
				  &nh->mngr);
	if (err)
		goto nlerr;
	err = nl_cache_mngr_add(nh->mngr, "route/link", cache_change, nh,
				&nh->links);
	if (err)
		goto nlerr;
	err = nl_cache_mngr_add(nh->mngr, "route/neigh", cache_change, nh,
				&nh->neighs);
	if (err)
		goto nlerr;
	*out = nh;
	return 0;
nlerr:
	pr_err("netlink: %s", nl_geterror(err));
	err = nl_err(err);
err:
	xlb_nh_close(nh);
	return err;
}

void xlb_nh_close(struct xlb_nh *nh)
{
	if (!nh)
		return;
	if (nh->mngr)
		nl_cache_mngr_free(nh->mngr);
	nl_socket_free(nh->events);
	nl_socket_free(nh->query);
	free(nh);
}

void xlb_nh_fds(struct xlb_nh *nh, int fds[2])
{
	fds[0] = nl_cache_mngr_get_fd(nh->mngr);
	fds[1] = nl_socket_get_fd(nh->events);
}

static int route_event(struct nl_msg *msg, void *arg)
{
	struct xlb_nh *nh = arg;

	(void)msg;
	nh->changed = 1;
	return NL_OK;
}

int xlb_nh_process(struct xlb_nh *nh)
{
	int err;

	err = nl_cache_mngr_data_ready(nh->mngr);
	if (err < 0 && err != -NLE_AGAIN)
		pr_debug("netlink cache: %s", nl_geterror(err));
	nl_socket_modify_cb(nh->events, NL_CB_VALID, NL_CB_CUSTOM, route_event,
			    nh);
	while ((err = nl_recvmsgs_default(nh->events)) >= 0)
		;
	err = nh->changed;
	nh->changed = 0;
	return err;
}

struct route_ctx {
	int found;
	int type;
	int ifindex;
	struct xlb_addr gw;
};

static void nladdr_to_xlb(struct nl_addr *a, struct xlb_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4) {
		out->family = XLB_AF_INET;
		memcpy(out->a, nl_addr_get_binary_addr(a), 4);
	} else if (nl_addr_get_family(a) == AF_INET6 &&
		   nl_addr_get_len(a) == 16) {
		out->family = XLB_AF_INET6;
		memcpy(out->a, nl_addr_get_binary_addr(a), 16);
	}
}

static int route_reply(struct nl_msg *msg, void *arg)
{
	struct route_ctx *rc = arg;
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nhop;
	struct nl_addr *gw;

	if (rtnl_route_parse(nlmsg_hdr(msg), &route) < 0 || !route)
		return NL_SKIP;
	rc->found = 1;
	rc->type = rtnl_route_get_type(route);
	nhop = rtnl_route_nexthop_n(route, 0);
	if (nhop) {
		rc->ifindex = rtnl_route_nh_get_ifindex(nhop);
		gw = rtnl_route_nh_get_gateway(nhop);
		if (gw)
			nladdr_to_xlb(gw, &rc->gw);
	}
	rtnl_route_put(route);
	return NL_OK;
}

static int route_get(struct xlb_nh *nh, const struct xlb_addr *dst,
		     struct route_ctx *rc)
{
	struct rtmsg rtm = {};
	struct nl_msg *msg;
	int len, err;

	rtm.rtm_family = xlb_af_to_sys(dst->family);
	len = dst->family == XLB_AF_INET ? 4 : 16;
	rtm.rtm_dst_len = len * 8;
	msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);
	if (!msg)
		return -ENOMEM;
	err = nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO);
	err = err ?: nla_put(msg, RTA_DST, len, dst->a);
	if (err) {
		nlmsg_free(msg);
		return nl_err(err);
	}
	err = nl_send_auto(nh->query, msg);
	nlmsg_free(msg);
	if (err < 0)
		return nl_err(err);
	nl_socket_modify_cb(nh->query, NL_CB_VALID, NL_CB_CUSTOM, route_reply,
			    rc);
	err = nl_recvmsgs_default(nh->query);
	if (err < 0) {
		/* ENETUNREACH and friends come back as netlink errors */
		rc->found = 0;
		return 0;
	}
	return 0;
}

int xlb_nh_resolve(struct xlb_nh *nh, const struct xlb_addr *dst,
		   struct xlb_nh_result *r)
{
	struct route_ctx rc = {};
	struct rtnl_neigh *neigh;
	struct rtnl_link *link;
	struct nl_addr *a, *ll;
	int err, st;

	memset(r, 0, sizeof(*r));
	if (dst->family != XLB_AF_INET && dst->family != XLB_AF_INET6)
		return -EAFNOSUPPORT;
	err = route_get(nh, dst, &rc);
	if (err)
		return err;
	if (!rc.found || rc.type != RTN_UNICAST || !rc.ifindex) {
		r->state = XLB_NH_NO_ROUTE;
		return 0;
	}
	r->ifindex = rc.ifindex;
	r->gw = rc.gw.family ? rc.gw : *dst;

	link = rtnl_link_get(nh->links, rc.ifindex);
	if (!link) {
		/* the cache may lag a brand-new link: refill and retry */
		nl_cache_refill(nh->query, nh->links);
		link = rtnl_link_get(nh->links, rc.ifindex);
	}
	if (!link) {
		r->state = XLB_NH_NO_ROUTE;
		return 0;
	}
	snprintf(r->ifname, sizeof(r->ifname), "%s", rtnl_link_get_name(link));
	ll = rtnl_link_get_addr(link);
	if (!ll || nl_addr_get_len(ll) != 6) {
		rtnl_link_put(link);
		r->state = XLB_NH_NO_L2;
		return 0;
	}
	memcpy(r->src_mac, nl_addr_get_binary_addr(ll), 6);
	rtnl_link_put(link);

	a = nl_addr_build(xlb_af_to_sys(r->gw.family), r->gw.a,
			  r->gw.family == XLB_AF_INET ? 4 : 16);
	if (!a)
		return -ENOMEM;
	neigh = rtnl_neigh_get(nh->neighs, rc.ifindex, a);
	nl_addr_put(a);
	r->state = XLB_NH_INCOMPLETE;
	if (!neigh)
		return 0;
	st = rtnl_neigh_get_state(neigh);
	ll = rtnl_neigh_get_lladdr(neigh);
	if (ll && nl_addr_get_len(ll) == 6 &&
	    (st & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
		   NUD_PERMANENT | NUD_NOARP))) {
		memcpy(r->mac, nl_addr_get_binary_addr(ll), 6);
		r->state = XLB_NH_OK;
	}
	rtnl_neigh_put(neigh);
	return 0;
}

int xlb_nh_probe(struct xlb_nh *nh, const struct xlb_nh_result *r)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(9) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd, err = 0;

	(void)nh;
	if (!r->ifindex || !r->ifname[0])
		return -EINVAL;
	fd = socket(xlb_af_to_sys(r->gw.family), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A datagram to the discard port makes the kernel resolve the next
	 * hop; the neighbour cache then tells us the MAC. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->ifname,
		       strlen(r->ifname) + 1)) {
		err = -errno;
		goto out;
	}
	if (r->gw.family == XLB_AF_INET) {
		s4.sin_addr.s_addr = r->gw.a[0];
		if (sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s4,
			   sizeof(s4)) < 0)
			err = -errno;
	} else {
		memcpy(&s6.sin6_addr, r->gw.a, 16);
		s6.sin6_scope_id = r->ifindex;
		if (sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s6,
			   sizeof(s6)) < 0)
			err = -errno;
	}
out:
	close(fd);
	return err;
}
