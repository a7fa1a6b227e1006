/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: common definitions of the xlb BPF programs
 *
 * Kernel headers, helper macros, and the maps of the balancer. The map
 * layouts come from maps/xlb_maps.h, the contract shared with userspace.
 */
#ifndef XLB_BPF_COMMON_H
#define XLB_BPF_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XLB_INLINE static __always_inline
#include "../maps/xlb_maps.h"
#include "../maps/xlb_hash.h"

#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

/*
 * linux/icmp.h pulls in libc's sys/socket.h, which does not build for the
 * BPF target, so the few ICMP definitions needed are here.
 */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};

struct icmp6hdr {
	__u8 icmp6_type;
	__u8 icmp6_code;
	__sum16 icmp6_cksum;
	__be32 icmp6_rest;
};

#define ICMP_ECHOREPLY	    0
#define ICMP_DEST_UNREACH   3
#define ICMP_ECHO	    8
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG   2
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY   129

#define IP_MF	  0x2000
#define IP_DF	  0x4000
#define IP_OFFSET 0x1FFF

/*
 * TTL / hop limit of the outer header and of the ICMP messages the balancer
 * sends (lb.outer_ttl). Set in .rodata by the loader before load
 * (userspace/lib/dp), so one object serves every value; the verifier sees a
 * constant, but the program still loads it from the map.
 */
const volatile __u8 outer_ttl = 64;

/*
 * Bound an offset for the verifier: the empty asm hides what the compiler
 * knows, so the AND survives optimisation and lands on the register that is
 * used (clang 14 otherwise drops it after an earlier range check and the
 * kernel rejects the access: "R1 offset is outside of the packet").
 */
#define xlb_bound(v, mask)                    \
	({                                    \
		__u32 __v = (v);              \
		asm volatile("" : "+r"(__v)); \
		__v &(mask);                  \
	})

/* Fold a 32-bit one's-complement sum into a 16-bit checksum. */
XLB_INLINE __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* XLB_BPF_COMMON_H */
