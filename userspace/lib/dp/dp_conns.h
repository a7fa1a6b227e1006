/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: connections per backend, counted from the connection tables
 *
 * Like ipvsadm's ActiveConn/InActConn, but approximate: the tables are
 * set-associative caches, not a list of connections. An entry is a flow the
 * data path has seen and not yet evicted; it counts as "active" when it was
 * last seen within a window (60 s by default), "inactive" when older. The
 * data path does not know when a TCP connection ends, so an idle but open
 * connection becomes inactive and a closed one stays counted until it
 * ages or is evicted. The walk is O(table size): callers cache the result.
 */
#ifndef XLB_DP_CONNS_H
#define XLB_DP_CONNS_H

#include <linux/types.h>

#include "dp.h"

/** struct xlb_conn_tally - entries of one backend id */
struct xlb_conn_tally {
	__u64 active;
	__u64 inactive;
};

/**
 * xlb_conn_clock() - now in xlb_conn.seen units, and the kernel's HZ
 * @now: out, (jiffies >> XLB_CONN_SEEN_SHIFT) modulo 2^16
 * @hz: out, the kernel's tick rate
 *
 * Reads the jiffies counter from /proc/timer_list and derives HZ from it
 * and the monotonic clock. That file is root's only: an unprivileged xlbd
 * falls back to xlb_conn_clock_estimate(). Return: 0 or -errno.
 */
int xlb_conn_clock(__u16 *now, unsigned int *hz);

/**
 * xlb_conn_clock_estimate() - now in xlb_conn.seen units without
 * /proc/timer_list: HZ is CONFIG_HZ (/proc/config.gz or
 * /boot/config-RELEASE) and jiffies are predicted from the monotonic clock
 * the way the kernel counts them (from INITIAL_JIFFIES, HZ per second);
 * measured within a fraction of one unit of the real counter.
 * Return: 0 or -ENODATA when the kernel's configuration is not readable.
 */
int xlb_conn_clock_estimate(__u16 *now, unsigned int *hz);

/**
 * xlb_dp_conn_tally() - count the connection table entries per backend id
 * @dp: the data path
 * @now: now, in xlb_conn.seen units
 * @window: an entry seen less than @window units ago is active
 * @want_gen: per backend id, the generation entries must carry to count
 *            (an entry with another one is stale: the id was reused); NULL
 *            counts every entry
 * @n_ids: entries of @want_gen and @out (backend ids 0..n_ids-1)
 * @out: zeroed and filled; ids past @n_ids are not counted
 *
 * Return: 0 or -errno (a table could not be mapped).
 */
int xlb_dp_conn_tally(struct xlb_dp *dp, __u16 now, __u16 window,
		      const __u32 *want_gen, __u32 n_ids,
		      struct xlb_conn_tally *out);

/**
 * xlb_dp_conn_per_backend() - xlb_dp_conn_tally() with now from
 * xlb_conn_clock() and a window of @active_s seconds
 */
int xlb_dp_conn_per_backend(struct xlb_dp *dp, unsigned int active_s,
			    const __u32 *want_gen, __u32 n_ids,
			    struct xlb_conn_tally *out);

#endif /* XLB_DP_CONNS_H */
