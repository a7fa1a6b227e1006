/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: data-path access
 *
 * The one userspace module that touches the balancer's maps. xlbd, xlbctl,
 * the packet tests and the benchmarks all go through it, so map logic exists
 * once. It loads xlb.bpf.o from its skeleton, creates or re-adopts the maps
 * pinned under a directory, and offers typed accessors for every map in
 * maps/xlb_maps.h. All functions return 0 or a negative errno.
 */
#ifndef XLB_DP_H
#define XLB_DP_H

#include <stdbool.h>
#include <linux/types.h>

#include "addr.h"
#include "maps/xlb_maps.h"

struct xlb_dp;
struct xlb_bpf;
struct bpf_object;

/** struct xlb_dp_sizes - load-time sizes; 0 means the default */
struct xlb_dp_sizes {
	__u32 max_vips;
	__u32 max_backends;
	__u32 ring_max;
	__u32 conn_max;
};

/**
 * struct xlb_dp_opts - how to open the data path
 * @pin_dir: directory of pinned maps (XLB_PIN_DIR), or NULL for private
 *           maps that vanish with the process (tests, benchmarks)
 * @sizes: wanted sizes; ignored for maps re-adopted from pins, whose sizes
 *         are fixed (xlb_dp_open() logs a warning when they differ)
 * @object: a BPF object file to load instead of the built-in xlb.bpf.o,
 *          or NULL; it must have the same maps and programs (the benchmark
 *          compares two builds with it: bench_dp --ab)
 * @outer_ttl: TTL / hop limit of the outer header and of the ICMP messages
 *             the program sends (lb.outer_ttl), a load-time constant in its
 *             .rodata; 0: the object's default, 64
 */
struct xlb_dp_opts {
	const char *pin_dir;
	struct xlb_dp_sizes sizes;
	const char *object;
	__u8 outer_ttl;
};

/**
 * struct xlb_flow - a flow as the data path hashes it
 * @src: client address
 * @dst: VIP address
 * @sport: client port, host order
 * @dport: VIP port, host order
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 */
struct xlb_flow {
	struct xlb_addr src;
	struct xlb_addr dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

int xlb_dp_open(const struct xlb_dp_opts *o, struct xlb_dp **out);

/**
 * xlb_dp_size_maps() - give the maps of an opened, not yet loaded skeleton
 * their entries for @sz (every size set, none 0)
 *
 * Return: 0 or -errno.
 */
int xlb_dp_size_maps(struct xlb_bpf *skel, const struct xlb_dp_sizes *sz);
void xlb_dp_close(struct xlb_dp *dp);

/** xlb_dp_adopted() - true when at least one map came from its pin */
bool xlb_dp_adopted(const struct xlb_dp *dp);
const struct xlb_dp_sizes *xlb_dp_sizes(const struct xlb_dp *dp);
struct xlb_bpf *xlb_dp_skel(struct xlb_dp *dp);
/** xlb_dp_prog_fd() - the balancer program (SEC xdp xlb_lb) */
int xlb_dp_prog_fd(const struct xlb_dp *dp);
/** xlb_dp_pass_prog_fd() - the XDP_PASS program in the same object */
int xlb_dp_pass_prog_fd(const struct xlb_dp *dp);
/** xlb_dp_outer_ttl() - the outer TTL the program was loaded with */
__u8 xlb_dp_outer_ttl(const struct xlb_dp *dp);

/**
 * xlb_dp_prog_same() - is @prog_fd the program this data path loaded?
 * @prog_fd: a program found attached (xlb_attach_query())
 * @why: out, when it is not: what differs, for the log
 *
 * The same program is the same build (tag) loaded with the same load-time
 * constants (.rodata: lb.outer_ttl, the sizes), which the tag does not
 * cover. The attached program's .rodata is the one pinned by
 * xlb_dp_rodata_pin() if it uses that, else opened by id (CAP_SYS_ADMIN);
 * when neither can be read, the answer is "not the same": a replace keeps
 * every flow, a wrong re-adoption would keep the old constants.
 *
 * Return: 1 the same, 0 not, or a negative errno.
 */
int xlb_dp_prog_same(struct xlb_dp *dp, int prog_fd, const char **why);

/**
 * xlb_dp_rodata_pin() - pin the .rodata of the attached program @prog_fd
 * (this data path's, or a re-adopted one) in the pin directory as
 * xlb_lb_rodata, replacing the pin of another; nothing without a pin
 * directory. Return: 0 or a negative errno.
 */
int xlb_dp_rodata_pin(struct xlb_dp *dp, int prog_fd);

/** xlb_dp_ensure_bpffs() - mount bpffs on /sys/fs/bpf if it is not */
int xlb_dp_ensure_bpffs(void);
/** xlb_dp_unpin() - remove every map pinned under @pin_dir, and the dir */
int xlb_dp_unpin(const char *pin_dir);
/** xlb_dp_pinned() - true if @pin_dir holds xlb's pinned config map */
bool xlb_dp_pinned(const char *pin_dir);

/**
 * xlb_dp_repin_from_prog() - pin the maps of an attached xlb program whose
 * pins are gone, before xlb_dp_open(), so that the open re-adopts them
 * instead of creating empty ones (no flow is lost)
 * @prog_fd: the attached program
 * @repinned: out, how many maps were pinned again
 * @err: one line on failure
 *
 * A pin that exists but names another map than the program's is not
 * touched: -EXDEV, and @err says which and how to fix it.
 */
int xlb_dp_repin_from_prog(const char *pin_dir, int prog_fd, int *repinned,
			   char *err, size_t errlen);

/**
 * xlb_dp_verify() - do the pins and a program use the maps xlbd writes?
 * @pin_dir: compare each map's pin there (NULL: skip)
 * @prog_fd: compare the maps of this attached program (-1: skip)
 * @repair: pin again a map whose pin is missing (nothing can be lost)
 * @err: one line naming the map on a mismatch
 *
 * Return: 0, -EXDEV on a mismatch, or another negative errno.
 */
int xlb_dp_verify(struct xlb_dp *dp, const char *pin_dir, int prog_fd,
		  bool repair, char *err, size_t errlen);

/** xlb_dp_maps_origin() - maps this open re-adopted from pins / created */
int xlb_dp_maps_origin(const struct xlb_dp *dp, unsigned int *adopted,
		       unsigned int *created);

/**
 * xlb_dp_conns_created() - true when this open re-adopted pinned maps but
 * created a connection table beside them (its flows start over on the ring)
 */
bool xlb_dp_conns_created(const struct xlb_dp *dp);

/* Global configuration (xlb_cfg). The size fields are kept by set(). */
int xlb_dp_config_get(struct xlb_dp *dp, struct xlb_config *c);
int xlb_dp_config_set(struct xlb_dp *dp, const struct xlb_config *c);

/**
 * xlb_dp_mtu_set() - path MTU of packets leaving by @ifindex (xlb_mtu)
 * @ifindex: the interface; 0 sets the default for all others
 * @mtu: largest IP packet, outer header included; 0 clears (for slot 0:
 *       no check), else at least XLB_MTU_MIN
 *
 * The default is kept at or below every interface's own MTU (the data
 * path relies on it to skip the interface's slot for packets within it):
 * setting an interface's lowers it if needed, and setting it above one is
 * clamped. An ifindex beyond the map's slots cannot have its own: the
 * default is then lowered to @mtu if that is smaller. Return: 0 or -errno.
 */
int xlb_dp_mtu_set(struct xlb_dp *dp, __u32 ifindex, __u32 mtu);
int xlb_dp_mtu_get(struct xlb_dp *dp, __u32 ifindex, __u32 *mtu);

/* Rate limits (xlb_limits); fields of 0 mean their default. */
int xlb_dp_limits_get(struct xlb_dp *dp, struct xlb_limits *l);
int xlb_dp_limits_set(struct xlb_dp *dp, const struct xlb_limits *l);

/* VIPs (xlb_vip4/6). @port in host order, 0 = port-less. */
int xlb_dp_vip_set(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
		   __u8 proto, const struct xlb_vip *v);
int xlb_dp_vip_get(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
		   __u8 proto, struct xlb_vip *v);
int xlb_dp_vip_del(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
		   __u8 proto);
typedef int (*xlb_dp_vip_cb)(const struct xlb_addr *a, __u16 port, __u8 proto,
			     const struct xlb_vip *v, void *ctx);
/** xlb_dp_vip_foreach() - every VIP entry (markers included); stops on a
 * non-zero return of @cb and returns it */
int xlb_dp_vip_foreach(struct xlb_dp *dp, xlb_dp_vip_cb cb, void *ctx);

/**
 * xlb_dp_vip_marker_set() - the per-address marker entry (bpf/lookup.h):
 * key (address, 0, ICMP of the family), value id = @vip_id
 */
int xlb_dp_vip_marker_set(struct xlb_dp *dp, const struct xlb_addr *a,
			  __u32 vip_id);
/**
 * xlb_dp_vip_marker_set_flags() - xlb_dp_vip_marker_set() with the
 * marker's flags (XLB_VIP_F_UNSERVED_PASS: traffic to the address that no
 * VIP serves goes to the stack; without it, it is dropped)
 */
int xlb_dp_vip_marker_set_flags(struct xlb_dp *dp, const struct xlb_addr *a,
				__u32 vip_id, __u16 flags);
/**
 * xlb_dp_vip_marker_set_frag() - xlb_dp_vip_marker_set_flags() for an
 * address whose fragments go to VIP @vip_id, (@a, @port, @proto): sets
 * XLB_VIP_F_FRAG_BALANCE and the VIP's key in the marker (maps/xlb_maps.h)
 */
int xlb_dp_vip_marker_set_frag(struct xlb_dp *dp, const struct xlb_addr *a,
			       __u32 vip_id, __u16 flags, __u8 proto,
			       __u16 port);
int xlb_dp_vip_marker_del(struct xlb_dp *dp, const struct xlb_addr *a);

/* Rings (xlb_ring) */
int xlb_dp_ring_write(struct xlb_dp *dp, __u32 vip_id, __u32 copy,
		      const __u32 *slots, __u32 n);
int xlb_dp_ring_read(struct xlb_dp *dp, __u32 vip_id, __u32 copy, __u32 *slots,
		     __u32 n);
/** xlb_dp_ring_slot() - backend id in one slot of one ring copy */
int xlb_dp_ring_slot(struct xlb_dp *dp, __u32 vip_id, __u32 copy, __u32 slot,
		     __u32 *id);
/**
 * xlb_dp_flow_pick() - the backend the data path picks for a new flow
 * @v: the flow's VIP entry (active ring, size, flags)
 * @slot: out, the ring slot
 * @id: out, the backend id in it (XLB_BACKEND_NONE if none)
 *
 * Same hash, same slot, same ring copy as bpf/select.h.
 */
int xlb_dp_flow_pick(struct xlb_dp *dp, const struct xlb_vip *v,
		     const struct xlb_flow *f, __u32 *slot, __u32 *id);
/**
 * xlb_dp_ring_publish() - install a new ring for a VIP without a gap
 * @v: the VIP entry, updated: the new ring goes into copy !v->active, then
 *     the entry is rewritten with active flipped and ring_size = @n
 *
 * A packet sees the old ring or the new one, never a mix. With a second
 * chance window (xlb_dp_second_chance_set()) and a ring before, the copy
 * replaced becomes the VIP's previous ring for that long (xlb_ring_prev,
 * maps/xlb_maps.h); the previous one of an open window is closed before
 * its copy is rewritten.
 */
int xlb_dp_ring_publish(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
			__u8 proto, struct xlb_vip *v, const __u32 *slots,
			__u32 n);

/**
 * xlb_dp_second_chance_set() - window of the previous ring (lb.second_chance)
 * @seconds: how long after each ring change xlb_dp_ring_publish() lets a
 *           TCP packet without SYN and without an entry take the previous
 *           ring's backend (bpf/chance.h); 0: off (the default)
 *
 * Applies to the rings published from then on.
 */
void xlb_dp_second_chance_set(struct xlb_dp *dp, __u32 seconds);
/** xlb_dp_ring_prev_get() - a VIP's previous ring and its window */
int xlb_dp_ring_prev_get(struct xlb_dp *dp, __u32 vip_id,
			 struct xlb_ring_prev *rp);
/** xlb_dp_ring_prev_set() - overwrite it (tests; xlbd goes through publish) */
int xlb_dp_ring_prev_set(struct xlb_dp *dp, __u32 vip_id,
			 const struct xlb_ring_prev *rp);

/* Backends (xlb_backends) */
int xlb_dp_backend_set(struct xlb_dp *dp, __u32 id,
		       const struct xlb_backend *b);
int xlb_dp_backend_get(struct xlb_dp *dp, __u32 id, struct xlb_backend *b);

/* Counters, summed over CPUs */
int xlb_dp_stats_global(struct xlb_dp *dp, struct xlb_global_stats *out);
int xlb_dp_stats_vip(struct xlb_dp *dp, __u32 id, struct xlb_vip_stats *out);
int xlb_dp_stats_backend(struct xlb_dp *dp, __u32 id, struct xlb_be_stats *out);
int xlb_dp_stats_vip_clear(struct xlb_dp *dp, __u32 id);
int xlb_dp_stats_backend_clear(struct xlb_dp *dp, __u32 id);
/** xlb_dp_stats_chance() - a VIP's second-chance counters */
int xlb_dp_stats_chance(struct xlb_dp *dp, __u32 id,
			struct xlb_chance_stats *out);
/** xlb_counter_name() - name of an enum xlb_counter ("drop_no_backend") */
const char *xlb_counter_name(unsigned int c);

/* Connection table (xlb_conn4/6) */
int xlb_dp_conn_get(struct xlb_dp *dp, const struct xlb_flow *f,
		    struct xlb_conn *c);
int xlb_dp_conn_set(struct xlb_dp *dp, const struct xlb_flow *f,
		    const struct xlb_conn *c);
/** xlb_dp_conn_count() - entries in each table (walks them) */
int xlb_dp_conn_count(struct xlb_dp *dp, __u64 *n4, __u64 *n6);

/**
 * xlb_flow_hash() - the data path's flow hash (maps/xlb_hash.h)
 * @vip_flags: xlb_vip.flags (XLB_VIP_F_SRC_ONLY zeroes the ports)
 */
__u64 xlb_flow_hash(__u32 seed, const struct xlb_flow *f, __u16 vip_flags);

#endif /* XLB_DP_H */
