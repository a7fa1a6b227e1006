/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the flow hash
 *
 * The hash that picks a ring slot for a new flow. It is compiled into the
 * XDP program and into userspace (xlbctl flow, tests) from this one file, so
 * the two can never disagree, and it is defined on host-order values so every
 * PoP computes the same slot whatever its byte order.
 *
 * Definition (all arithmetic on unsigned 64-bit integers, wrapping):
 *
 *   mix(h, v)  = let x = (h ^ v) * 0x9e3779b97f4a7c15 in x ^ (x >> 32)
 *   fmix(h)    = MurmurHash3's 64-bit finaliser:
 *                h ^= h >> 33; h *= 0xff51afd7ed558ccd; h ^= h >> 33;
 *                h *= 0xc4ceb9fe1a85ec53; h ^= h >> 33
 *   start      = seed * 0x9e3779b97f4a7c15 + 0x2545f4914f6cdd1d
 *   ports      = (sport << 24) | (dport << 8) | proto
 *                (sport, dport: host order; both 0 for a VIP with
 *                XLB_VIP_F_SRC_ONLY)
 *   IPv4:      fmix(mix(mix(start, (src << 32) | dst), ports))
 *   IPv6:      a[i] = 32-bit words of an address in host order
 *              h = mix(start, (src[0] << 32) | src[1])
 *              h = mix(h, (src[2] << 32) | src[3])
 *              h = mix(h, (dst[0] << 32) | dst[1])
 *              h = mix(h, (dst[2] << 32) | dst[3])
 *              fmix(mix(h, ports))
 *   slot       = ((hash >> 32) * ring_size) >> 32
 *
 * The slot uses the high 32 bits and a multiply instead of a modulo
 * (Lemire's "fast range"): no division in the per-packet path.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#include <linux/types.h>

#ifndef XLB_INLINE
#define XLB_INLINE static inline __attribute__((always_inline))
#endif

#define XLB_HASH_K1 0x9e3779b97f4a7c15ull
#define XLB_HASH_K2 0x2545f4914f6cdd1dull

XLB_INLINE __u32 xlb_be32_host(__u32 be)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(be);
#else
	return be;
#endif
}

XLB_INLINE __u16 xlb_be16_host(__u16 be)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(be);
#else
	return be;
#endif
}

XLB_INLINE __u64 xlb_hash_mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= XLB_HASH_K1;
	return h ^ (h >> 32);
}

XLB_INLINE __u64 xlb_hash_fmix(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

XLB_INLINE __u64 xlb_hash_start(__u32 seed)
{
	return (__u64)seed * XLB_HASH_K1 + XLB_HASH_K2;
}

XLB_INLINE __u64 xlb_hash_ports(__be16 sport, __be16 dport, __u8 proto)
{
	return ((__u64)xlb_be16_host(sport) << 24) |
	       ((__u64)xlb_be16_host(dport) << 8) | proto;
}

XLB_INLINE __u64 xlb_addr_word(__be32 hi, __be32 lo)
{
	return ((__u64)xlb_be32_host(hi) << 32) | xlb_be32_host(lo);
}

/**
 * xlb_hash4() - flow hash of an IPv4 flow
 * @seed: xlb_config.hash_seed
 * @src: client address
 * @dst: VIP address
 * @sport: client port (network order)
 * @dport: VIP port (network order)
 * @proto: IP protocol
 *
 * Return: the 64-bit flow hash (see DOC above).
 */
XLB_INLINE __u64 xlb_hash4(__u32 seed, __be32 src, __be32 dst, __be16 sport,
			   __be16 dport, __u8 proto)
{
	__u64 h = xlb_hash_start(seed);

	h = xlb_hash_mix(h, xlb_addr_word(src, dst));
	h = xlb_hash_mix(h, xlb_hash_ports(sport, dport, proto));
	return xlb_hash_fmix(h);
}

/**
 * xlb_hash6() - flow hash of an IPv6 flow; arguments as xlb_hash4()
 */
XLB_INLINE __u64 xlb_hash6(__u32 seed, const __be32 *src, const __be32 *dst,
			   __be16 sport, __be16 dport, __u8 proto)
{
	__u64 h = xlb_hash_start(seed);

	h = xlb_hash_mix(h, xlb_addr_word(src[0], src[1]));
	h = xlb_hash_mix(h, xlb_addr_word(src[2], src[3]));
	h = xlb_hash_mix(h, xlb_addr_word(dst[0], dst[1]));
	h = xlb_hash_mix(h, xlb_addr_word(dst[2], dst[3]));
	h = xlb_hash_mix(h, xlb_hash_ports(sport, dport, proto));
	return xlb_hash_fmix(h);
}

/**
 * xlb_hash_slot() - ring slot of a flow hash
 * @hash: xlb_hash4() or xlb_hash6()
 * @ring_size: slots in the VIP's ring
 *
 * Return: a slot in [0, ring_size).
 */
XLB_INLINE __u32 xlb_hash_slot(__u64 hash, __u32 ring_size)
{
	return (__u32)(((hash >> 32) * (__u64)ring_size) >> 32);
}

#endif /* XLB_HASH_H */
