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
