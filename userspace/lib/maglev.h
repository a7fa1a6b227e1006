/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: Maglev rings
 *
 * A VIP's ring maps each slot to a backend id. It must be a pure function
 * of the configuration and the backends' health, so every PoP builds the
 * same ring and a flow moved between PoPs by ECMP reaches the same backend.
 *
 * Two layers:
 *
 * 1. The base ring: weighted Maglev (Eisenbud et al., NSDI 2016) over the
 *    configured backends with weight > 0, keyed by backend *address* (never
 *    by local id or list order), so it is the same on every PoP.
 * 2. Fallback: slots whose base backend is not usable for new flows (down
 *    by checks, drain or down by an operator) go to a usable backend
 *    chosen per slot by weighted rendezvous hashing over the usable set.
 *    When a backend goes down only its own slots move; when it comes back
 *    exactly those slots return.
 *
 * Removing a backend from the configuration rebuilds the base ring; Maglev
 * then moves about 1/N of the ring plus a small extra.
 */
#ifndef XLB_MAGLEV_H
#define XLB_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "addr.h"

/**
 * struct xlb_mg_backend - one backend as the ring builder sees it
 * @addr: its address (identity for hashing)
 * @weight: relative weight; 0 = not in the base ring
 * @usable: may receive new flows (up by checks, admin up)
 * @id: value written into the ring for this backend
 */
struct xlb_mg_backend {
	struct xlb_addr addr;
	__u32 weight;
	bool usable;
	__u32 id;
};

/**
 * xlb_maglev_build() - build a VIP's ring
 * @b: backends, in any order (the result does not depend on it)
 * @n: number of backends
 * @ring_size: slots, a prime
 * @ring: out, @ring_size entries: a backend id or XLB_BACKEND_NONE when no
 *        backend is usable
 *
 * Return: 0, -EINVAL (ring_size not prime, duplicate address), -ENOMEM.
 */
int xlb_maglev_build(const struct xlb_mg_backend *b, size_t n, __u32 ring_size,
		     __u32 *ring);

/** xlb_is_prime() - for validating ring sizes */
bool xlb_is_prime(__u32 n);

#endif /* XLB_MAGLEV_H */
