/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the maps the balancer shares with the probe program
 *
 * xlb_backends and xlb_cfg, as the balancer declares them (maps.bpf.h
 * includes this file) and as bpf/xlb_probe.bpf.c reads them: userspace
 * hands the probe the balancer's own maps before load
 * (bpf_map__reuse_fd()), so the probe cannot disagree about a backend.
 * Layouts: maps/xlb_maps.h.
 */
#ifndef XLB_BPF_MAPS_SHARED_H
#define XLB_BPF_MAPS_SHARED_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_backend);
} xlb_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_config);
} xlb_cfg SEC(".maps");

#endif /* XLB_BPF_MAPS_SHARED_H */
