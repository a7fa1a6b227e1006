/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: xlb map contract
 *
 * The one contract between the XDP program (bpf/) and userspace (xlbd,
 * xlbctl, tests). Every key, value, enum and limit the two sides share lives
 * here and nowhere else. All types are fixed width, byte order is in the
 * type (__be32/__be16 fields hold network order), padding is explicit, and
 * every size is checked with _Static_assert so a layout change is a build
 * error, not a production surprise. A layout change also renames the map
 * (suffix _v2, ...), so a new program never adopts an old pinned map.
 *
 * Maps (pinned under /sys/fs/bpf/xlb/ by xlbd):
 *
 * ============== ============== ============================ ==============
 * name           type           key -> value                 entries
 * ============== ============== ============================ ==============
 * xlb_vip4       HASH           xlb_vip4_key -> xlb_vip      max_vips
 * xlb_vip6       HASH           xlb_vip6_key -> xlb_vip      max_vips
 * xlb_ring       ARRAY          u32 block -> xlb_ring_block  max_vips*2*ring_max/16
 * xlb_backends   ARRAY          u32 id -> xlb_backend        max_backends
 * xlb_conn4_v3   ARRAY          u32 set -> xlb_conn4_set     conn_max/4
 * xlb_conn6_v3   ARRAY          u32 set -> xlb_conn6_set     conn_max/4
 * xlb_cfg        ARRAY          0 -> xlb_config              1
 * xlb_stats_v4   PERCPU_ARRAY   0 -> xlb_global_stats        1
 * xlb_vip_stats  PERCPU_ARRAY   vip id -> xlb_vip_stats      max_vips
 * xlb_be_stats   PERCPU_ARRAY   backend id -> xlb_be_stats   max_backends
 * xlb_mtu        ARRAY          ifindex -> u32 MTU           XLB_MTU_SLOTS
 * xlb_limits     ARRAY          0 -> xlb_limits              1
 * xlb_rl         PERCPU_ARRAY   0 -> xlb_rl_state            1
 * ============== ============== ============================ ==============
 *
 * QUIC connection-ID routing has maps of its own: maps/xlb_quic.h.
 *
 * The sizes (max_vips, max_backends, ring_max, conn_max) are chosen when the
 * program is loaded, not compiled in; see xlb_mem_*() below for the memory
 * each one costs. The defaults below cost about 121 MiB on a 2-CPU host
 * (xlb_mem_total()), almost all of it the rings (64 VIPs x 2 copies x
 * 65537 x 4 B = 32 MiB) and the connection tables (1M flows each: 32 MiB
 * for IPv4, 56 MiB for IPv6). The VIP tables hold one entry per VIP plus
 * one marker per VIP address (bpf/lookup.h), so max_vips VIPs fit only
 * when they share addresses; userspace checks both before loading.
 *
 * The connection tables are set-associative caches the program manages
 * itself (bpf/select.h): a flow hashes (xlb_hash4/6() of xlb_hash.h seeded by
 * xlb_config.conn_seed, a random value chosen when the maps are created)
 * to one set of XLB_CONN_WAYS entries, is found there by its full key, and
 * a new flow takes a free way or evicts the set's least recently seen one.
 * Compared with the kernel's LRU hash this costs no lock, no list and no
 * allocation per new flow, and an established flow reads one or two cache
 * lines. A set is written without a lock: two CPUs writing the same way at
 * once can leave a key from one and a value from the other, which at worst
 * sends one flow to another usable backend of its own VIP (the entry must
 * still name a backend of the packet's VIP with a matching generation);
 * RSS keeps a flow on one CPU, so this needs two new flows colliding in
 * the same set on two CPUs in the same instant.
 *
 * IPv4 and IPv6 have separate VIP and connection maps: an IPv4 lookup then
 * hashes an 8- or 16-byte key instead of a 40-byte one, which is most of the
 * per-packet cost of an established flow.
 *
 * Backend ids name a *membership*: one backend address serving two VIPs has
 * two ids, each with its own state and counters. A backend removed from (or
 * down for) one VIP therefore has only that VIP's flows re-hashed. An id that
 * is freed and reused gets a new generation number (xlb_backend.gen), and a
 * connection entry only sticks to the backend if the generations match.
 * An established flow is forwarded from its connection entry without a VIP
 * lookup, so removing a VIP means setting its memberships' state to
 * XLB_BE_REMOVED (freeing them), not only deleting the VIP entries.
 */
#ifndef XLB_MAPS_H
#define XLB_MAPS_H

#include <linux/types.h>

#include "xlb_quic.h" /* QUIC's maps, for xlb_mem_total() */

/* Defaults for the load-time sizes (overridden by the configuration). */
#define XLB_DEFAULT_MAX_VIPS	 64
#define XLB_DEFAULT_MAX_BACKENDS 4096
#define XLB_DEFAULT_RING_SIZE	 65537 /* prime; Maglev needs a prime */
#define XLB_DEFAULT_CONN_MAX	 (1u << 20)

/* Hard limits, checked by userspace before it asks the kernel. */
#define XLB_MAX_RING_SIZE      1048573 /* largest prime below 2^20 */
#define XLB_MAX_VIPS_LIMIT     65536
#define XLB_MAX_BACKENDS_LIMIT (1u << 20)

/* Ring slot value meaning "no usable backend": the packet is dropped. */
#define XLB_BACKEND_NONE 0xffffffffu

/* Address families as stored in maps (not AF_*, which differ per OS). */
enum xlb_family {
	XLB_AF_NONE = 0,
	XLB_AF_INET = 4,
	XLB_AF_INET6 = 6,
};

/* How a VIP's packets reach the backend. */
enum xlb_fwd {
	/* IP-in-IP by backend family: IPIP (4in4), 4in6, IP6IP6, 6in4 (sit) */
	XLB_FWD_IPIP = 0,
	/* L2 direct server return: rewrite MACs only; backend on-link */
	XLB_FWD_L2 = 1,
	/* GUE (draft-ietf-intarea-gue variant 1): outer IP by backend
	 * family, UDP to xlb_backend.gue_port from a source port of the flow
	 * hash (xlb_gue_sport()), the inner IP packet right after the UDP
	 * header (bpf/gue.h) */
	XLB_FWD_GUE = 2,
	XLB_FWD_MAX,
};

/*
 * GUE (XLB_FWD_GUE). Default UDP destination port: 6080, the port Katran
 * uses for GUE, so a backend set up for one serves the other. The source
 * port comes from the flow hash (xlb_flow_hash() with the same seed and
 * ports as the ring, whatever the VIP's hash option), kept in the dynamic
 * range 49152..65535 (RFC 6335): one flow always has one source port, and
 * different flows spread over the backend NIC's RSS queues. Overhead on
 * top of IPIP: 8 bytes of UDP (variant 1 has no GUE header).
 */
#define XLB_GUE_DEFAULT_PORT 6080
#define XLB_GUE_SPORT_MIN    49152
#define XLB_GUE_SPORT_MASK   0x3fff

/* xlb_gue_sport() - the GUE source port (host order) of a flow hash */
static inline __u16 xlb_gue_sport(__u64 hash)
{
	return (__u16)(XLB_GUE_SPORT_MIN | ((__u32)hash & XLB_GUE_SPORT_MASK));
}

/* enum xlb_vip_flags - xlb_vip.flags */
enum xlb_vip_flags {
	/* Do not use the connection table: every packet is hashed afresh.
	 * For high-rate UDP where stickiness across backend changes does not
	 * matter more than the table's cost. */
	XLB_VIP_F_NO_CONN = 1 << 0,
	/* Hash only the client address (and VIP), not the ports: every
	 * connection of one client reaches the same backend. */
	XLB_VIP_F_SRC_ONLY = 1 << 1,
	/* Only on the marker entry of a VIP address (bpf/lookup.h): TCP,
	 * UDP and other protocols to the address that no VIP serves go to
	 * the host's stack instead of being dropped (drop_unserved). ICMP
	 * is handled as always, whatever this says. */
	XLB_VIP_F_UNSERVED_PASS = 1 << 2,
	/* "fragments: balance" (docs/datapath.md, Fragments). On a VIP: its
	 * fragments are balanced, on (source, destination, protocol); the
	 * VIP also has XLB_VIP_F_SRC_ONLY so its unfragmented packets hash
	 * the same way. On the marker entry of the address: fragments to
	 * the address go to that VIP, and the marker's ring_size is then no
	 * ring size but that VIP's key: protocol << 16 | port (host order),
	 * see xlb_marker_frag_key(). Fragments of another protocol are
	 * dropped (drop_fragment). At most one such VIP per address. */
	XLB_VIP_F_FRAG_BALANCE = 1 << 3,
	/* UDP only: route QUIC packets without a connection-table entry
	 * on the server id in their destination connection ID
	 * (maps/xlb_quic.h, bpf/quic.h) */
	XLB_VIP_F_QUIC = 1 << 4,
};

/* the ring_size of a marker entry with XLB_VIP_F_FRAG_BALANCE */
static inline __u32 xlb_marker_frag_key(__u8 proto, __u16 port)
{
	return (__u32)proto << 16 | port;
}

/* enum xlb_be_state - xlb_backend.state, as the data path sees it */
enum xlb_be_state {
	/* Not usable: removed, down by checks or by an operator. Connection
	 * entries pointing at it are ignored and the flow is re-hashed. */
	XLB_BE_REMOVED = 0,
	/* In the ring; connection entries stick. */
	XLB_BE_UP = 1,
	/* Out of the ring (no new flows) but connection entries stick. */
	XLB_BE_DRAINING = 2,
};

/* enum xlb_be_flags - xlb_backend.flags */
enum xlb_be_flags {
	/* nh_mac/src_mac/ifindex are resolved; otherwise the global
	 * next hop from xlb_config is used (if that is valid). */
	XLB_BE_F_NH_VALID = 1 << 0,
	/* A membership of an XLB_FWD_GUE VIP: the health probes that follow
	 * the data path (bpf/xlb_probe.bpf.c, via_vip) go out in GUE to
	 * gue_port as the VIP's traffic does, not in IP-in-IP. The XDP
	 * program reads the mode from the VIP, not from here. */
	XLB_BE_F_GUE = 1 << 1,
};

/* enum xlb_cfg_flags - xlb_config.flags */
enum xlb_cfg_flags {
	XLB_CFG_F_NH_VALID = 1 << 0, /* nh_mac is a resolved default */
	XLB_CFG_F_SRC4_VALID = 1 << 1,
	XLB_CFG_F_SRC6_VALID = 1 << 2,
};

/**
 * struct xlb_vip4_key - IPv4 VIP (xlb_vip4 key)
 * @addr: VIP address
 * @port: destination port; 0 is the port-less entry matching every port
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @pad: zero
 */
struct xlb_vip4_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};
_Static_assert(sizeof(struct xlb_vip4_key) == 8, "xlb_vip4_key size");

/**
 * struct xlb_vip6_key - IPv6 VIP (xlb_vip6 key); fields as xlb_vip4_key
 */
struct xlb_vip6_key {
	__be32 addr[4];
	__be16 port;
	__u8 proto;
	__u8 pad;
};
_Static_assert(sizeof(struct xlb_vip6_key) == 20, "xlb_vip6_key size");

/**
 * struct xlb_vip - a VIP as the data path sees it (value of xlb_vip4/6)
 * @id: index of this VIP in xlb_ring and xlb_vip_stats, < max_vips
 * @ring_size: slots used in each ring copy (prime, <= ring_max)
 * @active: live ring copy, 0 or 1. Userspace writes the other copy, then
 *          replaces this whole entry; a hash-map update is atomic for
 *          readers, so a packet sees either the old or the new ring.
 * @fwd: enum xlb_fwd
 * @flags: enum xlb_vip_flags
 */
struct xlb_vip {
	__u32 id;
	__u32 ring_size;
	__u8 active;
	__u8 fwd;
	__u16 flags;
};
_Static_assert(sizeof(struct xlb_vip) == 12, "xlb_vip size");

/*
 * The rings are one flat array of backend ids, stored in blocks of 16 slots
 * (one cache line per element). Array elements are 8-byte aligned, so one
 * u32 per element would waste half the memory and break the flat layout
 * that userspace writes through mmap.
 */
#define XLB_RING_BLOCK_SLOTS 16

/** struct xlb_ring_block - 16 consecutive ring slots (value of xlb_ring) */
struct xlb_ring_block {
	__u32 slot[XLB_RING_BLOCK_SLOTS];
};
_Static_assert(sizeof(struct xlb_ring_block) == 64, "xlb_ring_block size");

/** xlb_ring_stride() - slots reserved per ring copy: ring_max rounded up */
static inline __u32 xlb_ring_stride(__u32 ring_max)
{
	return (ring_max + XLB_RING_BLOCK_SLOTS - 1) &
	       ~(__u32)(XLB_RING_BLOCK_SLOTS - 1);
}

/** xlb_ring_blocks() - xlb_ring entries for @max_vips VIPs */
static inline __u32 xlb_ring_blocks(__u32 max_vips, __u32 ring_max)
{
	return max_vips * 2 * xlb_ring_stride(ring_max) / XLB_RING_BLOCK_SLOTS;
}

/**
 * xlb_ring_index() - flat slot number of @slot of copy @copy of VIP @id
 *
 * The ring of a VIP occupies two consecutive stretches of
 * xlb_ring_stride(ring_max) slots; only the first ring_size of each are
 * used. The slot lives in block index / 16, position index % 16.
 */
static inline __u32 xlb_ring_index(__u32 id, __u32 copy, __u32 ring_max,
				   __u32 slot)
{
	return (id * 2 + copy) * xlb_ring_stride(ring_max) + slot;
}

/**
 * struct xlb_backend - one backend of one VIP (value of xlb_backends)
 * @addr: backend address (IPv4 in addr[0], rest zero)
 * @vip_id: VIP this membership belongs to
 * @gen: generation, bumped by userspace each time the id is reused
 * @ifindex: egress interface toward the next hop (0: ingress interface)
 * @family: enum xlb_family of @addr
 * @state: enum xlb_be_state
 * @flags: enum xlb_be_flags
 * @pad0: zero
 * @nh_mac: next-hop MAC toward @addr on @ifindex
 * @src_mac: MAC of @ifindex, the outer source MAC
 * @gue_port: UDP destination port (network order) of a membership of an
 *            XLB_FWD_GUE VIP (the VIP's gue_port); 0 otherwise, and 0
 *            read by the program means XLB_GUE_DEFAULT_PORT
 * @pad1: zero
 */
struct xlb_backend {
	__be32 addr[4];
	__u32 vip_id;
	__u32 gen;
	__u32 ifindex;
	__u8 family;
	__u8 state;
	__u8 flags;
	__u8 pad0;
	__u8 nh_mac[6];
	__u8 src_mac[6];
	__be16 gue_port;
	__u8 pad1[2];
};
_Static_assert(sizeof(struct xlb_backend) == 48, "xlb_backend size");

/**
 * struct xlb_conn4_key - IPv4 flow (xlb_conn4 key); ports are 0 for
 * protocols without them (never, today: only TCP and UDP are balanced)
 */
struct xlb_conn4_key {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};
_Static_assert(sizeof(struct xlb_conn4_key) == 16, "xlb_conn4_key size");

/** struct xlb_conn6_key - IPv6 flow (xlb_conn6 key) */
struct xlb_conn6_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};
_Static_assert(sizeof(struct xlb_conn6_key) == 40, "xlb_conn6_key size");

/**
 * struct xlb_conn - where a flow goes (value of xlb_conn4/6)
 * @backend: backend id
 * @gen: xlb_backend.gen when the entry was made; a mismatch means the id
 *       was reused and the entry is stale
 * @vip_id: VIP whose ring picked @backend; the entry is stale unless the
 *          backend still belongs to it. Counters are charged to it.
 * @fwd: enum xlb_fwd of that VIP
 * @used: the way holds a flow
 * @seen: when the flow was last seen (see XLB_CONN_SEEN_SHIFT); written
 *        only when it changes, so an established flow dirties its cache
 *        line about once a second
 *
 * The data path looks the flow up here before it looks up the VIP, and a
 * usable entry carries all it needs (bpf/select.h).
 */
struct xlb_conn {
	__u32 backend;
	__u32 gen;
	__u32 vip_id;
	__u8 fwd;
	__u8 used;
	__u16 seen;
};
_Static_assert(sizeof(struct xlb_conn) == 16, "xlb_conn size");

/*
 * The connection tables: sets of XLB_CONN_WAYS ways. xlb_conn.used marks a
 * way in use; xlb_conn.seen is the time it was last seen, in units of
 * 2^XLB_CONN_SEEN_SHIFT jiffies (0.26 s at HZ=1000, 1 s at HZ=250), modulo
 * 2^16: only ages within a set are compared, so the wrap (4.6 hours or
 * more) costs at most one wrong eviction choice.
 */
#define XLB_CONN_WAYS	    4
#define XLB_CONN_SEEN_SHIFT 8

struct xlb_conn4_way {
	struct xlb_conn4_key k;
	struct xlb_conn c;
};
_Static_assert(sizeof(struct xlb_conn4_way) == 32, "xlb_conn4_way size");

struct xlb_conn6_way {
	struct xlb_conn6_key k;
	struct xlb_conn c;
};
_Static_assert(sizeof(struct xlb_conn6_way) == 56, "xlb_conn6_way size");

struct xlb_conn4_set {
	struct xlb_conn4_way w[XLB_CONN_WAYS];
};
_Static_assert(sizeof(struct xlb_conn4_set) == 128, "xlb_conn4_set size");

struct xlb_conn6_set {
	struct xlb_conn6_way w[XLB_CONN_WAYS];
};
_Static_assert(sizeof(struct xlb_conn6_set) == 224, "xlb_conn6_set size");

/* Sets for @conn_max flows: a power of two, at least one. */
static inline __u32 xlb_conn_sets(__u32 conn_max)
{
	__u32 want = (conn_max + XLB_CONN_WAYS - 1) / XLB_CONN_WAYS, n = 1;

	while (n < want && n < (1u << 30))
		n <<= 1;
	return n;
}

/**
 * struct xlb_config - global knobs (xlb_cfg[0])
 * @src4: outer source address for IPv4 encapsulation
 * @src6: outer source address for IPv6 encapsulation
 * @hash_seed: seed of the flow hash; identical on every PoP
 * @flags: enum xlb_cfg_flags
 * @pad0: zero
 * @nh_mac: default next-hop MAC (used for backends without their own)
 * @ring_max: copy of the load-time ring stride, for userspace re-adoption
 * @max_vips: copy of the load-time VIP limit
 * @max_backends: copy of the load-time backend limit
 * @conn_seed: seed of the connection tables' set hash, random, chosen when
 *             they are created (0 in maps of older versions)
 */
struct xlb_config {
	__be32 src4;
	__be32 src6[4];
	__u32 hash_seed;
	__u8 flags;
	__u8 pad0;
	__u8 nh_mac[6];
	__u32 ring_max;
	__u32 max_vips;
	__u32 max_backends;
	__u32 conn_seed;
};
_Static_assert(sizeof(struct xlb_config) == 48, "xlb_config size");

/*
 * Path MTU (bpf/pmtu.h). xlb_mtu[ifindex] is the MTU of the link a packet
 * leaves by (the backend's ifindex, or the port it came in on): the
 * largest IP packet, outer header included, that may be sent there. 0 is
 * "not known": slot 0 then holds the default, used for every interface
 * without its own slot (and for ifindexes >= XLB_MTU_SLOTS); 0 there too
 * means no check. Slot 0 is never above an interface's own MTU (userspace,
 * xlb_dp_mtu_set(), keeps it so): a packet within it fits everywhere and
 * the program reads no other slot. xlbd writes the MTU of each interface
 * it attaches to (its `mtu:` or the link's) and the smallest into slot 0.
 *
 * A packet whose encapsulated size exceeds it is not sent: IPv4 with DF and
 * IPv6 are answered with ICMP "fragmentation needed" / "packet too big"
 * carrying the MTU minus the outer header, IPv4 without DF is dropped.
 * Packets of at most XLB_MTU_MIN bytes once encapsulated are never
 * checked (the fast path then reads no map): userspace refuses a smaller
 * MTU.
 */
#define XLB_MTU_SLOTS 1024
#define XLB_MTU_MIN   1280

/* Defaults of struct xlb_limits (a field of 0 means its default). */
#define XLB_DEFAULT_ICMP_RATE  100 /* ICMP errors per second per CPU */
#define XLB_DEFAULT_ICMP_BURST 20
#define XLB_MAX_RATE	       10000000u /* per second per CPU */

/**
 * struct xlb_limits - per-CPU rate limits (xlb_limits[0])
 * @icmp_rate: ICMP errors the program may send per second per CPU
 *             (frag-needed, packet-too-big); 0: XLB_DEFAULT_ICMP_RATE
 * @icmp_burst: bucket size; 0: XLB_DEFAULT_ICMP_BURST
 * @conn_rate: new connection-table entries per second per CPU above which
 *             new flows are balanced by the ring but not recorded (SYN
 *             flood guard, conn_insert_skipped); 0: no limit
 * @conn_burst: bucket size; 0: @conn_rate (one second's worth)
 */
struct xlb_limits {
	__u32 icmp_rate;
	__u32 icmp_burst;
	__u32 conn_rate;
	__u32 conn_burst;
};
_Static_assert(sizeof(struct xlb_limits) == 16, "xlb_limits size");

/**
 * struct xlb_rl_state - per-CPU token buckets (xlb_rl[0]), program-owned
 * @icmp_ts: bpf_ktime_get_ns() of the last refill of the ICMP bucket
 * @icmp_tokens: tokens, in units of 1e-9 token
 * @conn_ts: as @icmp_ts, for new connection entries
 * @conn_tokens: as @icmp_tokens
 */
struct xlb_rl_state {
	__u64 icmp_ts;
	__u64 icmp_tokens;
	__u64 conn_ts;
	__u64 conn_tokens;
};
_Static_assert(sizeof(struct xlb_rl_state) == 32, "xlb_rl_state size");

/*
 * enum xlb_counter - global outcome counters (xlb_global_stats.c[])
 *
 * Every packet the program sees lands in exactly one of PASS, TX, REDIRECT,
 * ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_PTB (answers sent with XDP_TX, not
 * counted as TX) or a DROP_* counter: the outcomes come first, PASS to
 * DROP_REDIRECT, the drops last among them; the rest are events counted on
 * the way. The order changed with xlb_stats_v3 (the map was renamed);
 * frag_balanced was added with xlb_stats_v4;
 * tests/fuzz/fuzz_xdp.c checks this on every frame.
 */
enum xlb_counter {
	/* outcomes: exactly one per packet */
	XLB_C_PASS = 0, /* not VIP traffic, handed to the stack */
	XLB_C_TX, /* encapsulated, XDP_TX */
	XLB_C_REDIRECT, /* encapsulated, redirected to another port */
	XLB_C_ICMP_ECHO, /* echo request to a VIP answered */
	XLB_C_ICMP_FRAG_NEEDED, /* too big once encapsulated, IPv4 DF:
				 * answered with frag-needed (XDP_TX) */
	XLB_C_ICMP_PTB, /* too big once encapsulated, IPv6: answered with
			 * packet-too-big (XDP_TX) */
	XLB_C_DROP_NO_BACKEND, /* VIP has no usable backend */
	XLB_C_DROP_MALFORMED, /* VIP traffic with a bad or truncated header */
	XLB_C_DROP_FRAGMENT, /* fragment of VIP traffic (no ports to hash) */
	XLB_C_DROP_NO_NEXTHOP, /* backend next hop not resolved */
	XLB_C_DROP_NO_SOURCE, /* no LB source address for the outer family */
	XLB_C_DROP_ENCAP, /* could not grow the packet (headroom) */
	XLB_C_DROP_BAD_L4, /* TCP data offset < 5 or beyond the packet, UDP
			    * length < 8 or beyond the packet */
	XLB_C_DROP_UNSERVED, /* to a VIP address, on a port or protocol no
			      * VIP serves (marker without UNSERVED_PASS) */
	XLB_C_DROP_TOO_BIG, /* too big once encapsulated, IPv4 without DF
			     * (or an ICMP error being forwarded) */
	XLB_C_DROP_ICMP_RATELIMIT, /* too big, but the answer is over the
				    * per-CPU ICMP rate: dropped */
	XLB_C_DROP_REDIRECT, /* bpf_redirect() refused */
	/* events */
	XLB_C_CONN_HIT, /* flow found in the connection table */
	XLB_C_CONN_MISS, /* new flow, picked from the ring */
	XLB_C_CONN_STALE, /* entry ignored: backend unusable or reused */
	XLB_C_CONN_NOINSERT, /* not recorded (TCP RST, NO_CONN VIP) */
	XLB_C_CONN_INSERT_FAIL, /* no set for the flow (not recorded) */
	XLB_C_CONN_EVICT, /* a new flow evicted its set's oldest entry */
	XLB_C_CONN_INSERT_SKIPPED, /* new flow balanced but not recorded:
				    * over the per-CPU new-entry rate */
	XLB_C_FRAG_BALANCED, /* a fragment sent to a fragments: balance VIP
			      * (then also counted as tx, redirect or a
			      * drop) */
	XLB_C_MAX,
};

#define XLB_COUNTER_NAMES                                                     \
	{                                                                     \
		"pass", "tx", "redirect", "icmp_echo", "icmp_frag_needed",    \
			"icmp_ptb", "drop_no_backend", "drop_malformed",      \
			"drop_fragment", "drop_no_nexthop", "drop_no_source", \
			"drop_encap", "drop_bad_l4", "drop_unserved",         \
			"drop_too_big", "drop_icmp_ratelimit",                \
			"drop_redirect", "conn_hit", "conn_miss",             \
			"conn_stale", "conn_noinsert", "conn_insert_fail",    \
			"conn_evict", "conn_insert_skipped", "frag_balanced", \
	}

/** struct xlb_global_stats - per-CPU outcome counters (xlb_stats_v4[0]) */
struct xlb_global_stats {
	__u64 c[XLB_C_MAX];
};
_Static_assert(sizeof(struct xlb_global_stats) == 8 * XLB_C_MAX,
	       "xlb_global_stats size");

/**
 * struct xlb_vip_stats - per-CPU per-VIP counters (xlb_vip_stats[id])
 * @packets: packets forwarded to a backend
 * @bytes: their bytes as received (before encapsulation)
 * @new_flows: flows picked from the ring
 * @drops: packets for this VIP that were dropped (any reason)
 */
struct xlb_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 drops;
};
_Static_assert(sizeof(struct xlb_vip_stats) == 32, "xlb_vip_stats size");

/**
 * struct xlb_be_stats - per-CPU per-backend counters (xlb_be_stats[id])
 * @packets: packets sent to this backend
 * @bytes: their bytes as received (before encapsulation)
 * @new_flows: flows this backend was picked for from the ring
 * @pad: zero
 */
struct xlb_be_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 pad;
};
_Static_assert(sizeof(struct xlb_be_stats) == 32, "xlb_be_stats size");

/*
 * Second chance (bpf/chance.h, docs/scaling.md): for a window after a ring
 * change, a TCP packet without SYN that finds no connection entry (a
 * connection that the router moved from another balancer host, which held
 * its entry) is sent to its backend on the PREVIOUS ring: such a
 * connection most likely predates the change. SYNs, and every packet
 * after the window, use the current ring.
 *
 * xlb_ring_prev[vip id] says which ring copy is the previous one and until
 * when it may be read. Userspace (xlb_dp_ring_publish()) keeps the copy
 * intact for the window: before it rewrites a VIP's inactive copy it sets
 * @until_ns to 0 (the program stops reading that copy), writes the copy,
 * flips xlb_vip.active, and only then writes the new entry naming the copy
 * just replaced. A second change within the window thus restarts the
 * window, and "previous" becomes the ring the second change replaced.
 */

/**
 * struct xlb_ring_prev - the previous ring of a VIP (xlb_ring_prev[vip id])
 * @until_ns: CLOCK_MONOTONIC (bpf_ktime_get_ns()) time until which the
 *            previous copy may be read; 0: no previous ring
 * @ring_size: slots of the previous copy
 * @copy: the previous copy (the one not active), 0 or 1
 * @pad: zero
 */
struct xlb_ring_prev {
	__u64 until_ns;
	__u32 ring_size;
	__u8 copy;
	__u8 pad[3];
};
_Static_assert(sizeof(struct xlb_ring_prev) == 16, "xlb_ring_prev size");

/**
 * struct xlb_chance_stats - per-CPU per-VIP second-chance counters
 *                           (map xlb_chance_cnt[vip id])
 * @hits: packets sent to the previous ring's backend (a non-SYN TCP miss
 *        inside the window whose previous-ring backend is still usable)
 * @moved: those of @hits whose backend on the current ring differs: the
 *         packets the previous ring changed (a connection kept, or, for one
 *         opened after the change, sent elsewhere: docs/scaling.md)
 */
struct xlb_chance_stats {
	__u64 hits;
	__u64 moved;
};
_Static_assert(sizeof(struct xlb_chance_stats) == 16, "xlb_chance_stats size");

/* Map names, for pin paths and for tools that find maps by name. */
#define XLB_PIN_DIR	 "/sys/fs/bpf/xlb"
#define XLB_MAP_VIP4	 "xlb_vip4"
#define XLB_MAP_VIP6	 "xlb_vip6"
#define XLB_MAP_RING	 "xlb_ring"
#define XLB_MAP_BACKENDS "xlb_backends"
#define XLB_MAP_CONN4	 "xlb_conn4_v3"
#define XLB_MAP_CONN6	 "xlb_conn6_v3"
/* maps of earlier versions, removed on upgrade: the LRU hash connection
 * tables and the outcome counters before conn_evict (their totals restart
 * from zero) */
#define XLB_MAP_CONN4_OLD "xlb_conn4_v2"
#define XLB_MAP_CONN6_OLD "xlb_conn6_v2"
#define XLB_MAP_STATS_OLD "xlb_stats"
/* the outcome counters before drop_bad_l4 .. conn_insert_skipped */
#define XLB_MAP_STATS_OLD2 "xlb_stats_v2"
/* the outcome counters before frag_balanced */
#define XLB_MAP_STATS_OLD3 "xlb_stats_v3"
#define XLB_MAP_CFG	   "xlb_cfg"
#define XLB_MAP_STATS	   "xlb_stats_v4"
#define XLB_MAP_MTU	   "xlb_mtu"
#define XLB_MAP_LIMITS	   "xlb_limits"
#define XLB_MAP_RL	   "xlb_rl"
#define XLB_MAP_VIP_STATS  "xlb_vip_stats"
#define XLB_MAP_BE_STATS   "xlb_be_stats"

/* second chance (bpf/chance.h) */
#define XLB_MAP_RING_PREV    "xlb_ring_prev"
#define XLB_MAP_CHANCE_STATS "xlb_chance_cnt"

/*
 * Approximate memory of each map, in bytes, for documentation, for the
 * start-up log and for lb.tables.max_memory_percent. As the kernel lays
 * them out: an array's values are rounded up to 8 bytes (per-CPU arrays
 * once per possible CPU); a hash map costs its key and value, each rounded
 * up to 8, plus ~48 bytes of kernel element header per entry, counted for
 * every entry even where they are not preallocated (a full table uses them
 * all); the connection tables are arrays of sets, no overhead.
 * tests/unit/test_mem.c checks that xlb_mem_total() counts every map of
 * xlb.bpf.o at the size xlb_dp_open() gives it.
 */
#define XLB_HTAB_ELEM_OVERHEAD 48ull
#define XLB_MEM_R8(x)	       (((unsigned long long)(x) + 7) & ~7ull)
static inline unsigned long long xlb_mem_ring(__u32 max_vips, __u32 ring_max)
{
	return (unsigned long long)xlb_ring_blocks(max_vips, ring_max) *
	       sizeof(struct xlb_ring_block);
}
static inline unsigned long long xlb_mem_conn4(__u32 conn_max)
{
	return (unsigned long long)xlb_conn_sets(conn_max) *
	       sizeof(struct xlb_conn4_set);
}
static inline unsigned long long xlb_mem_conn6(__u32 conn_max)
{
	return (unsigned long long)xlb_conn_sets(conn_max) *
	       sizeof(struct xlb_conn6_set);
}
static inline unsigned long long xlb_mem_vips(__u32 max_vips)
{
	return (unsigned long long)max_vips *
	       (XLB_MEM_R8(sizeof(struct xlb_vip4_key)) +
		XLB_MEM_R8(sizeof(struct xlb_vip)) + XLB_HTAB_ELEM_OVERHEAD +
		XLB_MEM_R8(sizeof(struct xlb_vip6_key)) +
		XLB_MEM_R8(sizeof(struct xlb_vip)) + XLB_HTAB_ELEM_OVERHEAD);
}
static inline unsigned long long xlb_mem_backends(__u32 max_backends)
{
	return (unsigned long long)max_backends * sizeof(struct xlb_backend);
}
/* the per-CPU counters: one copy per possible CPU */
static inline unsigned long long
xlb_mem_stats(__u32 max_vips, __u32 max_backends, unsigned int ncpus)
{
	return (unsigned long long)ncpus *
	       (sizeof(struct xlb_global_stats) +
		(unsigned long long)max_vips * sizeof(struct xlb_vip_stats) +
		(unsigned long long)max_backends * sizeof(struct xlb_be_stats));
}
/* the one-entry maps and the MTU table: xlb_cfg, xlb_mtu, xlb_limits,
 * xlb_rl (per CPU) */
static inline unsigned long long xlb_mem_fixed(unsigned int ncpus)
{
	return XLB_MEM_R8(sizeof(struct xlb_config)) +
	       XLB_MTU_SLOTS * XLB_MEM_R8(sizeof(__u32)) +
	       XLB_MEM_R8(sizeof(struct xlb_limits)) +
	       (unsigned long long)ncpus *
		       XLB_MEM_R8(sizeof(struct xlb_rl_state));
}
/* second chance: xlb_ring_prev, xlb_chance_cnt (per CPU) */
static inline unsigned long long xlb_mem_chance(__u32 max_vips,
						unsigned int ncpus)
{
	return (unsigned long long)max_vips *
	       (sizeof(struct xlb_ring_prev) +
		(unsigned long long)ncpus * sizeof(struct xlb_chance_stats));
}
/* QUIC (maps/xlb_quic.h): xlb_quic_vips, xlb_quic_ids (not preallocated:
 * counted full, one id per backend), xlb_quic_stats and xlb_quic_vcnt
 * (per CPU) */
static inline unsigned long long
xlb_mem_quic(__u32 max_vips, __u32 max_backends, unsigned int ncpus)
{
	return (unsigned long long)max_vips *
		       XLB_MEM_R8(sizeof(struct xlb_quic_vip)) +
	       (unsigned long long)max_backends *
		       (XLB_MEM_R8(sizeof(struct xlb_quic_key)) +
			XLB_MEM_R8(sizeof(struct xlb_quic_be)) +
			XLB_HTAB_ELEM_OVERHEAD) +
	       (unsigned long long)ncpus * (1ull + max_vips) *
		       sizeof(struct xlb_quic_stats);
}

/**
 * xlb_mem_total() - kernel memory of all the maps for these sizes
 * @ncpus: possible CPUs (per-CPU maps hold one copy each)
 *
 * Userspace refuses sizes whose total exceeds a share of RAM
 * (lb.tables.max_memory_percent), before it asks the kernel.
 */
static inline unsigned long long xlb_mem_total(__u32 max_vips,
					       __u32 max_backends,
					       __u32 ring_max, __u32 conn_max,
					       unsigned int ncpus)
{
	return xlb_mem_vips(max_vips) + xlb_mem_ring(max_vips, ring_max) +
	       xlb_mem_backends(max_backends) + xlb_mem_conn4(conn_max) +
	       xlb_mem_conn6(conn_max) + xlb_mem_fixed(ncpus) +
	       xlb_mem_stats(max_vips, max_backends, ncpus) +
	       xlb_mem_chance(max_vips, ncpus) +
	       xlb_mem_quic(max_vips, max_backends, ncpus);
}

#endif /* XLB_MAPS_H */
