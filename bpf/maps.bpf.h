/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: maps of the balancer
 *
 * The max_entries below are defaults so the object loads on its own (with
 * bpftool, in tests); xlbd sets the real sizes before loading. Layouts and
 * the reasons for them are in maps/xlb_maps.h.
 */
#ifndef XLB_BPF_MAPS_H
#define XLB_BPF_MAPS_H

#include "common.h"

/* Load-time constants: the verifier sees them as such. */
const volatile __u32 ring_max = XLB_DEFAULT_RING_SIZE;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, struct xlb_vip4_key);
	__type(value, struct xlb_vip);
} xlb_vip4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, struct xlb_vip6_key);
	__type(value, struct xlb_vip);
} xlb_vip6 SEC(".maps");

/* Mmapable: userspace writes a whole ring copy with one memcpy. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries,
	       XLB_DEFAULT_MAX_VIPS * 2 * ((XLB_DEFAULT_RING_SIZE + 15) / 16));
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_ring_block);
} xlb_ring SEC(".maps");

#include "maps_shared.bpf.h" /* xlb_backends, xlb_cfg */

/* Connection tables: sets of ways, managed by the program (maps/xlb_maps.h).
 * conn_sets (a power of two) is set at load time with the map sizes. */
const volatile __u32 conn_sets = XLB_DEFAULT_CONN_MAX / XLB_CONN_WAYS;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_CONN_MAX / XLB_CONN_WAYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_conn4_set);
} xlb_conn4_v3 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_CONN_MAX / XLB_CONN_WAYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_conn6_set);
} xlb_conn6_v3 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_global_stats);
} xlb_stats_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_vip_stats);
} xlb_vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_be_stats);
} xlb_be_stats SEC(".maps");

/* Path MTU per egress ifindex; slot 0 the default (maps/xlb_maps.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MTU_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} xlb_mtu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_limits);
} xlb_limits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_rl_state);
} xlb_rl SEC(".maps");

#endif /* XLB_BPF_MAPS_H */
