/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: VIP lookup
 *
 * A packet is VIP traffic when (address, port, protocol) is a VIP, or when
 * the port-less entry (address, 0, protocol) is. Userspace also keeps one
 * marker entry per VIP address under the ICMP protocol of its family
 * (address, 0, IPPROTO_ICMP or IPPROTO_ICMPV6): it answers "is this address
 * a VIP at all", for echo requests, fragments and malformed packets, which
 * have no port to look up.
 */
#ifndef XLB_BPF_LOOKUP_H
#define XLB_BPF_LOOKUP_H

#include "common.h"
#include "maps.bpf.h"
#include "parse.h"

XLB_INLINE struct xlb_vip *lookup_vip4(__be32 addr, __be16 port, __u8 proto)
{
	struct xlb_vip4_key k = { .addr = addr, .port = port, .proto = proto };
	struct xlb_vip *v;

	v = bpf_map_lookup_elem(&xlb_vip4, &k);
	if (v || !port)
		return v;
	k.port = 0;
	return bpf_map_lookup_elem(&xlb_vip4, &k);
}

XLB_INLINE struct xlb_vip *lookup_vip6(const __be32 *addr, __be16 port,
				       __u8 proto)
{
	struct xlb_vip6_key k = { .port = port, .proto = proto };
	struct xlb_vip *v;

	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(&xlb_vip6, &k);
	if (v || !port)
		return v;
	k.port = 0;
	return bpf_map_lookup_elem(&xlb_vip6, &k);
}

/**
 * xlb_lookup_vip() - the VIP a parsed TCP/UDP packet is for
 * Return: the VIP entry, or NULL when the packet is not VIP traffic.
 */
XLB_INLINE struct xlb_vip *xlb_lookup_vip(const struct xlb_pkt *p)
{
	if (p->family == XLB_AF_INET)
		return lookup_vip4(p->dst[0], p->dport, p->proto);
	return lookup_vip6(p->dst, p->dport, p->proto);
}

/**
 * xlb_lookup_vip_addr() - the marker entry of a VIP address
 * Return: the marker (its id is the first VIP on that address), or NULL when
 * the destination is not a VIP address.
 */
XLB_INLINE struct xlb_vip *xlb_lookup_vip_addr(const struct xlb_pkt *p)
{
	if (p->family == XLB_AF_INET)
		return lookup_vip4(p->dst[0], 0, IPPROTO_ICMP);
	return lookup_vip6(p->dst, 0, IPPROTO_ICMPV6);
}

#endif /* XLB_BPF_LOOKUP_H */
