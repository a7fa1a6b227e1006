/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: which VIPs to announce, and the file BIRD reads
 *
 * Pure decisions (no I/O but the file functions at the end), so they are
 * tested alone.
 *
 * A VIP is announced when it is servable (data path attached, first checks
 * done, at least min_healthy backends up: core_update_servable() in xlbd).
 * Withdrawal is immediate. A VIP that was withdrawn during this run is
 * announced again only once it has been servable without a break for the
 * hold-down, so a flapping VIP does not flap the route; the first
 * announcement after start waits for nothing more than servability.
 *
 * The include file (format in bgp/README.md) defines, for bird.conf's
 * export filter:
 *
 *   define XLB_DRAIN = 0;          # 1: GRACEFUL_SHUTDOWN and prepend
 *   define XLB_PREPEND = 0;        # prepend the AS path N more times
 *   define XLB_VIPS4 = [ 0.0.0.0/32, 192.0.2.10/32 ];
 *   define XLB_VIPS6 = [ ::/128 ];
 *   protocol static xlb_vips4 { ipv4; route 192.0.2.10/32 blackhole; }
 *   protocol static xlb_vips6 { ipv6; }
 *
 * 0.0.0.0/32 and ::/128 are always in the sets (BIRD has no empty set
 * literal) and are never routes nor inside an allowed range. The static
 * protocols hold every VIP that may be announced; the sets say which are.
 * With no VIP at all (xlb_ann_render(NULL, 0, false, 0, ...)) it is the
 * file BIRD needs before xlbd first runs: xlbctl bgp init writes it, and
 * deploy/xlb-tmpfiles.conf holds the same text (a unit test compares).
 */
#ifndef XLB_ANNOUNCE_H
#define XLB_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "addr.h"

/**
 * struct xlb_ann - one VIP address's announcement state
 * @announced: in the sets now
 * @withdrawn_once: withdrawn during this run (hold-down applies)
 * @servable_since: ms since which it is servable without a break, 0 if
 *                  not servable
 */
struct xlb_ann {
	bool announced;
	bool withdrawn_once;
	__u64 servable_since;
};

/**
 * xlb_ann_step() - decide at @now_ms
 * @a: the VIP's state, updated
 * @servable: what xlbd sees now
 * @hold_down_ms: see above
 * @recheck_ms: set to when to call again if the answer may change with
 *              time alone (hold-down running), else left alone
 *
 * Return: true if @a->announced changed.
 */
bool xlb_ann_step(struct xlb_ann *a, bool servable, __u64 now_ms,
		  __u32 hold_down_ms, __u64 *recheck_ms);

/**
 * struct xlb_ann_vip - one VIP address as the file sees it
 * @addr: the address (/32 or /128)
 * @announced: in XLB_VIPS4/6
 */
struct xlb_ann_vip {
	struct xlb_addr addr;
	bool announced;
};

/**
 * xlb_ann_render() - the include file's text
 * @v: every VIP address that may be announced (duplicates are written once)
 * @n: entries
 * @drain: XLB_DRAIN (1: GRACEFUL_SHUTDOWN community and prepend)
 * @prepend: XLB_PREPEND (bgp.prepend, 0..8)
 * @buf: output, @len bytes
 *
 * Return: length written, or -ENOSPC.
 */
int xlb_ann_render(const struct xlb_ann_vip *v, size_t n, bool drain,
		   unsigned int prepend, char *buf, size_t len);

/**
 * xlb_ann_prepend() - XLB_PREPEND of a file's text
 *
 * Return: its value, or -ENOENT if the file has none (written by an xlbd
 * older than bgp.prepend), -EPROTO if it is not a number.
 */
int xlb_ann_prepend(const char *text);

/**
 * xlb_ann_parse() - read back what a file (ours) announces
 * @text: the file's text
 * @out: announced addresses (placeholders left out), @max of them
 * @drain: set to XLB_DRAIN
 *
 * Return: number of addresses, or -EPROTO if the text is not ours.
 */
int xlb_ann_parse(const char *text, struct xlb_addr *out, size_t max,
		  bool *drain);

/**
 * xlb_ann_write() - replace @path by @text atomically (temporary file in
 * the same directory, fsync, rename, fsync of the directory); creates the
 * directory (0755) if it is missing.
 *
 * Return: 0 or a negative errno, with @err set.
 */
int xlb_ann_write(const char *path, const char *text, char *err, size_t errlen);

/**
 * xlb_ann_read() - read @path into a malloc'd string (*@out), at most 1 MiB
 *
 * Return: 0, -ENOENT, or another negative errno.
 */
int xlb_ann_read(const char *path, char **out);

#endif
