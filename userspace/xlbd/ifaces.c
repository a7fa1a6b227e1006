// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the program on interfaces
 *
 * At start and on every configuration change the attached set is made to
 * match the configured interfaces. For each interface:
 *
 * - our program, same tag and same load-time constants (.rodata:
 *   lb.outer_ttl, the sizes; xlb_dp_prog_same()), bound to our maps:
 *   re-adopted, untouched (a restart of xlbd);
 * - our program with another tag, other constants or other maps: replaced
 *   atomically by the one just loaded (an upgrade; the pinned connection
 *   table carries the flows over);
 * - nothing: attached, native mode unless generic was asked for.
 *
 * Another program alone on the interface is an error: xlb does not take an
 * interface from someone else.
 *
 * A change is all or nothing: every interface is checked before anything
 * moves (ifaces_check(), also run by `xlbd --check`), new interfaces are
 * attached before old ones are detached, and if one attach fails the ones
 * this change attached are detached again, so the program stays where it
 * was.
 *
 * ifaces_verify() runs on every tick and after every change (through
 * core_dp_verify()): the program xlbd attached must still be there, and
 * it, the pins and xlbd must use the same maps. Otherwise the core marks
 * the data path unhealthy and every VIP is withdrawn until it holds again.
 *
 * The attached program is also pinned in the pin directory (xlb_lb_prog).
 * Without CAP_SYS_ADMIN xlbd cannot open an attached program by its id, so
 * after a restart the pin is how it recognises its own program on the
 * interface, re-adopts it or replaces it atomically (attach.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "log.h"
#include "xlb.skel.h"
#include "xlbd.h"

#define PROG_PIN "xlb_lb_prog"

/* The program found pinned at start (kept open: it names the program a
 * previous xlbd attached). */
static int pinned_fd = -1;
static bool pinned_looked;

static void prog_pin_path(const struct xlbd *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->opts.pin_dir, PROG_PIN);
}

/* Register the programs the netlink path may meet: ours, and the pinned
 * one of a previous run. */
static void know_programs(struct xlbd *d, int prog_fd)
{
	char p[PATH_MAX];

	xlb_attach_add_known(prog_fd);
	if (pinned_looked)
		return;
	pinned_looked = true;
	prog_pin_path(d, p, sizeof(p));
	pinned_fd = bpf_obj_get(p);
	if (pinned_fd >= 0)
		xlb_attach_add_known(pinned_fd);
	else if (errno != ENOENT)
		pr_warn("%s: %s", p, strerror(errno));
}

/* Pin the program attached (replacing the pin of an older one). Failing
 * only costs an unprivileged restart its re-adoption: warn. */
static void pin_program(struct xlbd *d, int prog_fd)
{
	char p[PATH_MAX];
	__u8 tag[8];
	__u32 id, pid;
	int fd;

	if (!d->opts.pin_dir || xlb_prog_tag(prog_fd, tag, &id))
		return;
	prog_pin_path(d, p, sizeof(p));
	fd = bpf_obj_get(p);
	if (fd >= 0) {
		bool same = !xlb_prog_tag(fd, tag, &pid) && pid == id;

		close(fd);
		if (same)
			return;
		unlink(p);
	}
	if (bpf_obj_pin(prog_fd, p))
		pr_warn("pin %s: %s (a restart without CAP_SYS_ADMIN will not "
			"recognise the attached program)",
			p, strerror(errno));
}

/* Pin the attached program and its .rodata (what a restart compares). */
static void pin_attached(struct xlbd *d, int prog_fd)
{
	int r;

	pin_program(d, prog_fd);
	r = xlb_dp_rodata_pin(d->dp, prog_fd);
	if (r)
		pr_warn("pin the program's .rodata in %s: %s (a restart "
			"without CAP_SYS_ADMIN will replace the program)",
			d->opts.pin_dir, strerror(-r));
}

/* What a replaced program's flows became: said, never assumed. */
static const char *replace_note(struct xlbd *d)
{
	unsigned int adopted, created;

	xlb_dp_maps_origin(d->dp, &adopted, &created);
	if (!adopted)
		return "its maps were not pinned here: flows start over";
	if (xlb_dp_conns_created(d->dp))
		return "upgrade: a connection table was created empty, its "
		       "flows start over on the ring";
	return "upgrade: the flows are in the re-adopted maps";
}

static int attach_one(struct xlbd *d, struct iface_rt *f, char *err,
		      size_t errlen)
{
	int prog_fd = xlb_dp_prog_fd(d->dp);
	struct xlb_attached a;
	char why[256];
	__u8 tag[8];
	__u32 id;
	int r;

	f->ifindex = (int)if_nametoindex(f->cfg.name);
	if (!f->ifindex) {
		snprintf(err, errlen, "interface %s: does not exist",
			 f->cfg.name);
		return -ENODEV;
	}
	know_programs(d, prog_fd);
	r = xlb_prog_tag(prog_fd, tag, &id);
	r = r ?: xlb_attach_query(f->ifindex, &a);
	if (r) {
		snprintf(err, errlen, "interface %s: query XDP: %s",
			 f->cfg.name, strerror(-r));
		return r;
	}
	if (a.prog_id) {
		const char *differs = "other maps or mode";
		bool same = xlb_dp_prog_same(d->dp, a.prog_fd, &differs) > 0 &&
			    !xlb_dp_verify(d->dp, NULL, a.prog_fd, false, why,
					   sizeof(why)) &&
			    a.generic == f->cfg.generic;

		if (same) {
			f->attached = true;
			f->prog_id = a.prog_id;
			f->dispatcher = a.dispatcher;
			pr_info("interface %s: re-adopted attached program "
				"(id %u%s): it uses xlbd's maps",
				f->cfg.name, a.prog_id,
				a.dispatcher ? ", libxdp dispatcher" : "");
			pin_attached(d, a.prog_fd);
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
		f->prog_id = id;
		pin_attached(d, prog_fd);
		pr_info("interface %s: replaced program %u by %u, %s (%s)",
			f->cfg.name, a.prog_id, id, differs, replace_note(d));
		return 0;
	}
	if (a.unidentified) {
		snprintf(err, errlen,
			 "interface %s: XDP program %u is attached and cannot "
			 "be identified without CAP_SYS_ADMIN (not the one "
			 "pinned in %s); detach it first (xlbd --cleanup as "
			 "root, or ip link set dev %s xdp off)",
			 f->cfg.name, a.other_id, d->opts.pin_dir, f->cfg.name);
		return -EBUSY;
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
	f->prog_id = id;
	pin_attached(d, prog_fd);
	pr_info("interface %s: attached (program %u, %s mode%s)", f->cfg.name,
		id, f->cfg.generic ? "generic" : "native",
		f->dispatcher ? ", libxdp dispatcher" :
		xlb_attach_libxdp_usable(prog_fd) ?
				"" :
				", netlink: libxdp needs CAP_SYS_ADMIN");
	return 0;
}

int ifaces_check(const struct xlb_cfg *c, char *err, size_t errlen)
{
	struct xlb_attached a;
	size_t i;
	int ifindex, r;

	for (i = 0; i < c->n_ifaces; i++) {
		ifindex = (int)if_nametoindex(c->ifaces[i].name);
		if (!ifindex) {
			snprintf(err, errlen, "interface %s: does not exist",
				 c->ifaces[i].name);
			return -ENODEV;
		}
		r = xlb_attach_query(ifindex, &a);
		if (r)
			continue; /* no right to look (--check as a user) */
		if (a.prog_fd >= 0)
			close(a.prog_fd);
		/* a program that cannot be named without CAP_SYS_ADMIN may
		 * be xlb's: attach_one() tells, once the pins are open */
		if (!a.prog_id && a.other && !a.dispatcher && !a.unidentified) {
			snprintf(err, errlen,
				 "interface %s: another XDP program is "
				 "attached; detach it first",
				 c->ifaces[i].name);
			return -EBUSY;
		}
	}
	return 0;
}

static struct iface_rt *iface_find(struct xlbd *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i].cfg.name, name))
			return &d->ifaces[i];
	return NULL;
}

static void iface_detach(struct iface_rt *f)
{
	int r;

	if (!f->attached || !f->ifindex)
		return;
	r = xlb_detach(f->ifindex);
	if (r)
		pr_err("interface %s: detach: %s", f->cfg.name, strerror(-r));
	else
		pr_info("interface %s: detached", f->cfg.name);
	f->attached = false;
	f->prog_id = 0;
}

static void update_attached(struct xlbd *d)
{
	size_t i;

	d->dp_attached = d->n_ifaces > 0;
	for (i = 0; i < d->n_ifaces; i++)
		d->dp_attached &= d->ifaces[i].attached;
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
	size_t i, j, n_old = d->n_ifaces;
	struct iface_rt *prev = NULL, *nf, *f;
	bool *touched = NULL, keep;
	char rerr[256];
	int r = 0;

	r = ifaces_check(c, err, errlen);
	if (r)
		return r;
	/* what was there, for a rollback */
	prev = calloc(n_old + c->n_ifaces + 1, sizeof(*prev));
	touched = calloc(n_old + c->n_ifaces + 1, sizeof(*touched));
	if (!prev || !touched) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (n_old)
		memcpy(prev, d->ifaces, n_old * sizeof(*prev));

	/* 1. attach what is new (or in another mode) */
	for (j = 0; j < c->n_ifaces; j++) {
		f = iface_find(d, c->ifaces[j].name);
		if (f && f->attached && f->cfg.generic == c->ifaces[j].generic)
			continue;
		if (!f) {
			nf = realloc(d->ifaces,
				     (d->n_ifaces + 1) * sizeof(*nf));
			if (!nf) {
				r = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				break;
			}
			d->ifaces = nf;
			f = &d->ifaces[d->n_ifaces++];
			memset(f, 0, sizeof(*f));
		}
		touched[f - d->ifaces] = true;
		f->cfg = c->ifaces[j];
		r = attach_one(d, f, err, errlen);
		if (r)
			break;
	}
	if (r) {
		/* roll back: every interface as it was */
		for (i = 0; i < d->n_ifaces; i++) {
			f = &d->ifaces[i];
			if (!touched[i])
				continue;
			if (i >= n_old || !prev[i].attached) {
				iface_detach(f);
				continue;
			}
			if (f->attached &&
			    f->cfg.generic == prev[i].cfg.generic)
				continue;
			/* a mode change: back to the old mode */
			f->cfg = prev[i].cfg;
			if (attach_one(d, f, rerr, sizeof(rerr)))
				pr_err("rollback: %s", rerr);
		}
		d->n_ifaces = n_old;
		for (i = 0; i < n_old; i++) {
			bool attached = d->ifaces[i].attached;
			__u32 id = d->ifaces[i].prog_id;

			d->ifaces[i] = prev[i];
			if (touched[i]) {
				d->ifaces[i].attached = attached;
				d->ifaces[i].prog_id = id;
			}
		}
		goto out;
	}

	/* 2. only then detach interfaces no longer configured */
	for (i = 0; i < d->n_ifaces;) {
		keep = false;
		for (j = 0; j < c->n_ifaces; j++)
			if (!strcmp(c->ifaces[j].name, d->ifaces[i].cfg.name))
				keep = true;
		if (keep) {
			i++;
			continue;
		}
		iface_detach(&d->ifaces[i]);
		d->ifaces[i] = d->ifaces[--d->n_ifaces];
	}
out:
	ifaces_dp_limits(d);
	update_attached(d);
	free(prev);
	free(touched);
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
		f->prog_id = 0;
		pr_info("interface %s: detached", f->cfg.name);
	}
	d->dp_attached = false;
	return err;
}

/* One interface: is xlbd's program still there, on xlbd's maps? */
static int verify_iface(struct xlbd *d, struct iface_rt *f, char *err,
			size_t errlen)
{
	struct xlb_attached a;
	int ifindex, r;

	ifindex = (int)if_nametoindex(f->cfg.name);
	if (!ifindex) {
		snprintf(err, errlen, "interface %s: gone", f->cfg.name);
		f->attached = false;
		return -ENODEV;
	}
	r = xlb_attach_query(ifindex, &a);
	if (r) {
		snprintf(err, errlen, "interface %s: query XDP: %s",
			 f->cfg.name, strerror(-r));
		return r;
	}
	if (ifindex != f->ifindex || a.prog_id != f->prog_id) {
		if (a.prog_id)
			snprintf(err, errlen,
				 "interface %s: xlb program %u is attached "
				 "instead of %u",
				 f->cfg.name, a.prog_id, f->prog_id);
		else
			snprintf(err, errlen,
				 "interface %s: the xlb program (id %u) is "
				 "no longer attached%s",
				 f->cfg.name, f->prog_id,
				 a.other ? " (another program is)" : "");
		if (a.prog_fd >= 0)
			close(a.prog_fd);
		f->attached = false; /* a reload attaches it again */
		return -ENOENT;
	}
	r = xlb_dp_verify(d->dp, NULL, a.prog_fd, false, err, errlen);
	close(a.prog_fd);
	if (r) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (interface %s)", f->cfg.name);
	}
	return r;
}

int ifaces_verify(struct xlbd *d, char *err, size_t errlen)
{
	size_t i;
	int r;

	/* the pins first: a missing one is pinned again (no flow lost) */
	r = xlb_dp_verify(d->dp, d->opts.pin_dir, -1, true, err, errlen);
	for (i = 0; !r && !d->opts.no_attach && i < d->n_ifaces; i++) {
		if (!d->ifaces[i].attached)
			continue;
		r = verify_iface(d, &d->ifaces[i], err, errlen);
	}
	update_attached(d);
	return r;
}
