// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: loading and attaching the probe program (see probe.h)
 *
 * The skeleton is opened, its xlb_backends and xlb_cfg are replaced by the
 * balancer's maps with bpf_map__reuse_fd() (which also takes their sizes),
 * and the program is loaded; libbpf's tc API (netlink underneath) attaches
 * it. Attachments are remembered so that closing detaches them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp.h"
#include "log.h"
#include "probe.h"
#include "xlb.skel.h"
#include "xlb_probe.skel.h"

struct xlb_probe {
	struct xlb_probe_bpf *skel;
	int ifindex[XLB_PROBE_MAX_IFACES];
	int n_if;
	int ncpus;
};

static void ifname(int ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "ifindex %d", ifindex);
}

int xlb_probe_open(const struct xlb_probe_opts *o, struct xlb_probe **out)
{
	struct xlb_probe *pr;
	int err;

	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	pr->ncpus = libbpf_num_possible_cpus();
	if (pr->ncpus <= 0) {
		err = pr->ncpus ? pr->ncpus : -EINVAL;
		goto err;
	}
	pr->skel = xlb_probe_bpf__open();
	if (!pr->skel) {
		err = -errno;
		pr_err("open xlb_probe.bpf.o: %s", strerror(-err));
		goto err;
	}
	/* the balancer's outer TTL, so the probe's packets are its own */
	if (o->outer_ttl)
		pr->skel->rodata->outer_ttl = o->outer_ttl;
	err = bpf_map__reuse_fd(pr->skel->maps.xlb_backends, o->backends_fd);
	err = err ?: bpf_map__reuse_fd(pr->skel->maps.xlb_cfg, o->cfg_fd);
	if (err) {
		pr_err("probe: cannot share the balancer's maps: %s",
		       strerror(-err));
		goto err;
	}
	err = xlb_probe_bpf__load(pr->skel);
	if (err) {
		pr_err("load xlb_probe.bpf.o: %s", strerror(-err));
		goto err;
	}
	*out = pr;
	return 0;
err:
	xlb_probe_close(pr);
	return err;
}

int xlb_probe_open_dp(struct xlb_dp *dp, struct xlb_probe **out)
{
	struct xlb_bpf *skel = xlb_dp_skel(dp);
	struct xlb_probe_opts o = {
		.backends_fd = bpf_map__fd(skel->maps.xlb_backends),
		.cfg_fd = bpf_map__fd(skel->maps.xlb_cfg),
		.outer_ttl = xlb_dp_outer_ttl(dp),
	};

	return xlb_probe_open(&o, out);
}

int xlb_probe_attach(struct xlb_probe *pr, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_PROBE_TC_HANDLE,
		    .priority = XLB_PROBE_TC_PRIO,
		    .prog_fd = bpf_program__fd(pr->skel->progs.xlb_probe),
		    .flags = BPF_TC_F_REPLACE);
	char name[IF_NAMESIZE];
	int err, i;

	ifname(ifindex, name);
	for (i = 0; i < pr->n_if; i++)
		if (pr->ifindex[i] == ifindex)
			break;
	if (i == pr->n_if && pr->n_if >= XLB_PROBE_MAX_IFACES)
		return -E2BIG;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_err("probe: %s: create clsact qdisc: %s", name,
		       strerror(-err));
		return err;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		pr_err("probe: %s: attach tc egress: %s", name, strerror(-err));
		return err;
	}
	if (i == pr->n_if)
		pr->ifindex[pr->n_if++] = ifindex;
	pr_debug("probe: attached to %s egress (prog id %u)", name,
		 opts.prog_id);
	return 0;
}

int xlb_probe_detach(struct xlb_probe *pr, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_PROBE_TC_HANDLE,
		    .priority = XLB_PROBE_TC_PRIO);
	char name[IF_NAMESIZE];
	int err, i;

	for (i = 0; i < pr->n_if; i++) {
		if (pr->ifindex[i] != ifindex)
			continue;
		pr->ifindex[i] = pr->ifindex[--pr->n_if];
		break;
	}
	err = bpf_tc_detach(&hook, &opts);
	/* The interface may be gone already: nothing left to detach. */
	if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) {
		ifname(ifindex, name);
		pr_warn("probe: %s: detach tc egress: %s", name,
			strerror(-err));
		return err;
	}
	return 0;
}

int xlb_probe_stats(struct xlb_probe *pr, struct xlb_probe_stats *out)
{
	struct xlb_probe_stats *per;
	__u32 zero = 0;
	int cpu, i, err = 0;

	per = calloc(pr->ncpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(pr->skel->maps.xlb_probe_stats),
				&zero, per)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < pr->ncpus; cpu++)
		for (i = 0; i < XLB_PC_MAX; i++)
			out->c[i] += per[cpu].c[i];
out:
	free(per);
	return err;
}

void xlb_probe_close(struct xlb_probe *pr)
{
	if (!pr)
		return;
	while (pr->n_if)
		xlb_probe_detach(pr, pr->ifindex[pr->n_if - 1]);
	xlb_probe_bpf__destroy(pr->skel);
	free(pr);
}
