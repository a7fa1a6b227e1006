// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the program on interfaces
 *
 * At start and on every configuration change the attached set is made to
 * match the configured interfaces. For each interface:
 *
 * - our program, same tag, bound to our maps: re-adopted, untouched
 *   (a restart of xlbd);
 * - our program with another tag or other maps: replaced atomically by the
 *   one just loaded (an upgrade; the pinned connection table carries the
 *   flows over);
 * - nothing: attached, native mode unless generic was asked for.
 *
 * Another program alone on the interface is an error: xlb does not take an
 * interface from someone else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "log.h"
#include "xlb.skel.h"
#include "xlbd.h"

static int attach_one(struct xlbd *d, struct iface_rt *f, char *err,
		      size_t errlen)
{
	int prog_fd = xlb_dp_prog_fd(d->dp);
	int map_fd = bpf_map__fd(xlb_dp_skel(d->dp)->maps.xlb_vip4);
	struct xlb_attached a;
	__u8 tag[8];
	__u32 id;
	int r;

	f->ifindex = (int)if_nametoindex(f->cfg.name);
	if (!f->ifindex) {
		snprintf(err, errlen, "interface %s: does not exist",
			 f->cfg.name);
		return -ENODEV;
	}
	r = xlb_prog_tag(prog_fd, tag, &id);
	r = r ?: xlb_attach_query(f->ifindex, &a);
	if (r) {
		snprintf(err, errlen, "interface %s: query XDP: %s",
			 f->cfg.name, strerror(-r));
		return r;
	}
	if (a.prog_id) {
		bool same = !memcmp(a.tag, tag, 8) &&
			    xlb_prog_uses_map(a.prog_fd, map_fd) &&
			    a.generic == f->cfg.generic;

		if (same) {
			f->attached = true;
			f->dispatcher = a.dispatcher;
			pr_info("interface %s: re-adopted attached program "
				"(id %u%s)",
				f->cfg.name, a.prog_id,
				a.dispatcher ? ", libxdp dispatcher" : "");
			close(a.prog_fd);
			return 0;
		}
		r = xlb_attach_replace(f->ifindex, &a, prog_fd, f->cfg.generic,
				       &f->dispatcher);
		close(a.prog_fd);
		if (r) {
			snprintf(err, errlen,
				 "interface %s: replace program "
				 "%u: %s",
				 f->cfg.name, a.prog_id, strerror(-r));
			return r;
		}
		f->attached = true;
		pr_info("interface %s: replaced program %u by %u (upgrade; "
			"flows kept in the pinned maps)",
			f->cfg.name, a.prog_id, id);
		return 0;
	}
	if (a.other && !a.dispatcher) {
		snprintf(err, errlen,
			 "interface %s: another XDP program is "
			 "attached; detach it first",
			 f->cfg.name);
		return -EBUSY;
	}
	r = xlb_attach(f->ifindex, prog_fd, f->cfg.generic, &f->dispatcher);
	if (r) {
		snprintf(err, errlen, "interface %s: attach XDP (%s mode): %s",
			 f->cfg.name, f->cfg.generic ? "generic" : "native",
			 strerror(-r));
		return r;
	}
	f->attached = true;
	pr_info("interface %s: attached (program %u, %s mode%s)", f->cfg.name,
		id, f->cfg.generic ? "generic" : "native",
		f->dispatcher ? ", libxdp dispatcher" : "");
	return 0;
}

/* The MTU of link @name, or 0 if it cannot be read. */
static __u32 link_mtu(const char *name)
{
	struct ifreq ifr = {};
	int fd, r;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return r || ifr.ifr_mtu <= 0 ? 0 : (__u32)ifr.ifr_mtu;
}

/*
 * The data path's path MTU (bpf/pmtu.h): each interface's, from its `mtu:`
 * or else the link's, and the smallest as the default for packets leaving
 * by another port; then the per-CPU rate limits (lb.icmp_rate,
 * lb.new_flow_rate). Written on every reconcile, from the configuration
 * (an attached interface keeps its iface_rt copy of an older one). A
 * failure is logged, not fatal: packets then go out unchecked.
 */
static void ifaces_dp_limits(struct xlbd *d)
{
	const struct xlb_cfg *c = d->cfg;
	struct xlb_limits l = {};
	__u32 mtu, min = 0, k;
	size_t i, j;
	int r;

	/* slots of interfaces no longer attached (or of an earlier run, in
	 * the pinned map) would hold the default down */
	for (k = 1; k < XLB_MTU_SLOTS; k++) {
		bool ours = false;

		for (i = 0; i < d->n_ifaces; i++)
			ours |= d->ifaces[i].ifindex == (int)k;
		if (!ours && !xlb_dp_mtu_get(d->dp, k, &mtu) && mtu)
			xlb_dp_mtu_set(d->dp, k, 0);
	}
	for (i = 0; i < d->n_ifaces; i++) {
		const struct iface_rt *f = &d->ifaces[i];

		if (f->ifindex <= 0)
			continue;
		mtu = 0;
		for (j = 0; j < c->n_ifaces; j++)
			if (!strcmp(c->ifaces[j].name, f->cfg.name))
				mtu = c->ifaces[j].mtu;
		if (!mtu)
			mtu = link_mtu(f->cfg.name);
		if (mtu && mtu < XLB_MTU_MIN) {
			pr_warn("interface %s: MTU %u is below %u: packets "
				"leaving by it are not checked",
				f->cfg.name, mtu, XLB_MTU_MIN);
			mtu = 0;
		}
		r = xlb_dp_mtu_set(d->dp, (__u32)f->ifindex, mtu);
		if (r)
			pr_warn("interface %s: writing its MTU: %s",
				f->cfg.name, strerror(-r));
		else
			pr_debug("interface %s: encapsulation MTU %u",
				 f->cfg.name, mtu);
		if (mtu && (!min || mtu < min))
			min = mtu;
	}
	r = xlb_dp_mtu_set(d->dp, 0, min);
	if (r)
		pr_warn("default MTU %u: %s", min, strerror(-r));
	l.icmp_rate = c->icmp_rate;
	l.conn_rate = c->new_flow_rate;
	r = xlb_dp_limits_set(d->dp, &l);
	if (r)
		pr_warn("rate limits: %s", strerror(-r));
}

int ifaces_reconcile(struct xlbd *d, char *err, size_t errlen)
{
	const struct xlb_cfg *c = d->cfg;
	struct iface_rt *nf;
	size_t i, j;
	int r = 0;

	/* interfaces no longer configured */
	for (i = 0; i < d->n_ifaces;) {
		bool keep = false;

		for (j = 0; j < c->n_ifaces; j++)
			if (!strcmp(c->ifaces[j].name, d->ifaces[i].cfg.name))
				keep = true;
		if (keep) {
			i++;
			continue;
		}
		if (d->ifaces[i].attached && d->ifaces[i].ifindex) {
			xlb_detach(d->ifaces[i].ifindex);
			pr_info("interface %s: detached",
				d->ifaces[i].cfg.name);
		}
		d->ifaces[i] = d->ifaces[--d->n_ifaces];
	}
	for (j = 0; j < c->n_ifaces; j++) {
		struct iface_rt *f = NULL;

		for (i = 0; i < d->n_ifaces; i++)
			if (!strcmp(c->ifaces[j].name, d->ifaces[i].cfg.name))
				f = &d->ifaces[i];
		if (f && f->attached && f->cfg.generic == c->ifaces[j].generic)
			continue;
		if (!f) {
			nf = realloc(d->ifaces,
				     (d->n_ifaces + 1) * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			d->ifaces = nf;
			f = &d->ifaces[d->n_ifaces++];
			memset(f, 0, sizeof(*f));
		}
		f->cfg = c->ifaces[j];
		r = attach_one(d, f, err, errlen);
		if (r)
			break;
	}
	ifaces_dp_limits(d);
	d->dp_attached = !r && d->n_ifaces > 0;
	for (i = 0; i < d->n_ifaces; i++)
		d->dp_attached &= d->ifaces[i].attached;
	return r;
}

int ifaces_detach_all(struct xlbd *d)
{
	size_t i;
	int r, err = 0;

	for (i = 0; i < d->n_ifaces; i++) {
		struct iface_rt *f = &d->ifaces[i];

		if (!f->ifindex)
			f->ifindex = (int)if_nametoindex(f->cfg.name);
		if (!f->ifindex)
			continue;
		r = xlb_detach(f->ifindex);
		if (r) {
			pr_err("interface %s: detach: %s", f->cfg.name,
			       strerror(-r));
			err = r;
			continue;
		}
		f->attached = false;
		pr_info("interface %s: detached", f->cfg.name);
	}
	d->dp_attached = false;
	return err;
}
