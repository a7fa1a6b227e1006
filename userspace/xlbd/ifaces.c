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
	know_programs(d, prog_fd);
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
			pin_program(d, a.prog_fd);
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
		pin_program(d, prog_fd);
		pr_info("interface %s: replaced program %u by %u (upgrade; "
			"flows kept in the pinned maps)",
			f->cfg.name, a.prog_id, id);
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
	pin_program(d, prog_fd);
	pr_info("interface %s: attached (program %u, %s mode%s)", f->cfg.name,
		id, f->cfg.generic ? "generic" : "native",
		f->dispatcher ? ", libxdp dispatcher" :
		xlb_attach_libxdp_usable(prog_fd) ?
				"" :
				", netlink: libxdp needs CAP_SYS_ADMIN");
	return 0;
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
