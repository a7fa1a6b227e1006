/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the probe program (tc egress) for via_vip health checks
 *
 * Loads bpf/xlb_probe.bpf.c with the balancer's own xlb_backends and
 * xlb_cfg maps (reused by fd, so both programs read the same entries) and
 * attaches it as a tc egress filter on the balancer's interfaces. See
 * docs/health.md for the design and its limits.
 *
 * The filter is (handle XLB_PROBE_TC_HANDLE, priority XLB_PROBE_TC_PRIO) on
 * the clsact qdisc, which is created when missing and never removed (other
 * tools may have filters on it). Attaching replaces our previous filter,
 * so a restarted xlbd takes over the one its predecessor left.
 */
#ifndef XLB_PROBE_LIB_H
#define XLB_PROBE_LIB_H

#include <linux/types.h>

#include "maps/xlb_probe.h"

#define XLB_PROBE_TC_HANDLE  0x5842
#define XLB_PROBE_TC_PRIO    1
#define XLB_PROBE_MAX_IFACES 32

struct xlb_probe;
struct xlb_dp;

/**
 * struct xlb_probe_opts - the balancer's maps to share
 * @backends_fd: fd of xlb_backends
 * @cfg_fd: fd of xlb_cfg
 * @outer_ttl: the outer TTL / hop limit (lb.outer_ttl; 0: the default, 64)
 */
struct xlb_probe_opts {
	int backends_fd;
	int cfg_fd;
	__u8 outer_ttl;
};

/**
 * xlb_probe_open() - load the probe program on the given maps
 * @o: map fds (duplicated; the caller keeps its own)
 * @out: the loaded program, to free with xlb_probe_close()
 *
 * Return: 0 or a negative errno.
 */
int xlb_probe_open(const struct xlb_probe_opts *o, struct xlb_probe **out);

/** xlb_probe_open_dp() - xlb_probe_open() on the maps of an open data path */
int xlb_probe_open_dp(struct xlb_dp *dp, struct xlb_probe **out);

/**
 * xlb_probe_attach() - attach to the egress of @ifindex (tc clsact)
 *
 * Return: 0 or a negative errno (-E2BIG past XLB_PROBE_MAX_IFACES).
 */
int xlb_probe_attach(struct xlb_probe *pr, int ifindex);

/** xlb_probe_detach() - remove our filter from @ifindex */
int xlb_probe_detach(struct xlb_probe *pr, int ifindex);

/** xlb_probe_stats() - counters summed over CPUs */
int xlb_probe_stats(struct xlb_probe *pr, struct xlb_probe_stats *out);

/**
 * xlb_probe_close() - detach from every interface attached through @pr
 * and unload; NULL is fine
 */
void xlb_probe_close(struct xlb_probe *pr);

#endif /* XLB_PROBE_LIB_H */
