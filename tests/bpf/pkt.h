/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: test packet builder and checkers
 *
 * Frames for the BPF_PROG_TEST_RUN suites are built layer by layer:
 *
 *	pkt_init(&p);
 *	pkt_eth(&p, lb_mac, router_mac);
 *	pkt_vlan(&p, ETH_P_8021Q, 100);
 *	pkt_ip4(&p, "198.51.100.7", "192.0.2.10");
 *	pkt_tcp(&p, 40000, 80, PKT_SYN);
 *	pkt_payload_fill(&p, 32);
 *	pkt_finish(&p);
 *
 * Each layer patches the "next protocol" field of the one before it (the
 * EtherType, IPv4 protocol, IPv6 next header), and pkt_finish() fills in
 * every length and checksum from the innermost layer outward, so an IP
 * packet can be nested in another (a tunnel) and an ICMP error can quote a
 * finished packet (pkt_l3()/pkt_l3_len() of another struct pkt). A layer
 * built with the *x() variants takes explicit field values; tests that need
 * a broken packet poke bytes after pkt_finish().
 *
 * The checkers parse a frame the program produced and report what is wrong
 * through pkt_diag() (collected, then printed by the suite as "# " lines
 * after its TAP line). They return 0 when the frame is right, -1 otherwise.
 */
#ifndef XLB_TESTS_PKT_H
#define XLB_TESTS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX	       2048
#define PKT_MAX_LAYERS 16

#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10

enum pkt_layer_type {
	PKT_L_ETH,
	PKT_L_VLAN,
	PKT_L_ARP,
	PKT_L_IP4,
	PKT_L_IP6,
	PKT_L_IP6_EXT,
	PKT_L_IP6_FRAG,
	PKT_L_TCP,
	PKT_L_UDP,
	PKT_L_ICMP,
	PKT_L_RAW,
};

/**
 * struct pkt_layer - one header in a frame
 * @type: enum pkt_layer_type
 * @off: offset of the header in the frame
 * @len: bytes of the header (payload excluded)
 * @fixed: pkt_finish() leaves lengths and checksums of this layer alone
 */
struct pkt_layer {
	enum pkt_layer_type type;
	uint16_t off;
	uint16_t len;
	bool fixed;
};

/**
 * struct pkt - a frame under construction or finished
 * @data: the bytes
 * @len: frame length
 * @l: the layers, outermost first
 * @n: layers used
 * @err: set when a builder call did not fit (checked by pkt_finish())
 */
struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;
	struct pkt_layer l[PKT_MAX_LAYERS];
	int n;
	int err;
};

/**
 * struct pkt_ip4_opts - IPv4 header fields for pkt_ip4x()
 * @src: source address (text)
 * @dst: destination address (text)
 * @tos: DSCP and ECN
 * @ttl: 0 means 64
 * @id: identification
 * @frag: the flags+offset field in host order (e.g. 0x4000 = DF)
 * @opts: option bytes (a multiple of 4, at most 40)
 * @opts_len: their length
 */
struct pkt_ip4_opts {
	const char *src;
	const char *dst;
	uint8_t tos;
	uint8_t ttl;
	uint16_t id;
	uint16_t frag;
	const uint8_t *opts;
	size_t opts_len;
};

/**
 * struct pkt_ip6_opts - IPv6 header fields for pkt_ip6x()
 * @src: source address (text)
 * @dst: destination address (text)
 * @tclass: traffic class (DSCP and ECN)
 * @flow: flow label (20 bits)
 * @hlim: 0 means 64
 */
struct pkt_ip6_opts {
	const char *src;
	const char *dst;
	uint8_t tclass;
	uint32_t flow;
	uint8_t hlim;
};

void pkt_init(struct pkt *p);
void pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6]);
void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t tci);
void pkt_arp(struct pkt *p, uint16_t op, const uint8_t sha[6], const char *spa,
	     const uint8_t tha[6], const char *tpa);
void pkt_ip4(struct pkt *p, const char *src, const char *dst);
void pkt_ip4x(struct pkt *p, const struct pkt_ip4_opts *o);
void pkt_ip6(struct pkt *p, const char *src, const char *dst);
void pkt_ip6x(struct pkt *p, const struct pkt_ip6_opts *o);
/* Hop-by-hop, routing, destination options (len multiple of 8), or AH
 * (len multiple of 4); filled with padding options. */
void pkt_ip6_ext(struct pkt *p, uint8_t type, size_t len);
/* Fragment header; @offset in bytes (multiple of 8). */
void pkt_ip6_frag(struct pkt *p, uint16_t offset, bool more, uint32_t id);
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
/* ICMP (in IPv4) or ICMPv6 (in IPv6): type, code, the 4-byte "rest". */
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint32_t rest);
/* Bytes as the payload of the layer before, no protocol number set. */
void pkt_payload(struct pkt *p, const void *data, size_t n);
/* @n payload bytes of a fixed pattern. */
void pkt_payload_fill(struct pkt *p, size_t n);
/* A header the builder does not know: sets the previous protocol field. */
void pkt_raw(struct pkt *p, uint8_t proto, const void *data, size_t n);
/* Keep pkt_finish() from fixing the lengths and checksum of the last layer
 * (to build a header that lies). */
void pkt_fix_last(struct pkt *p);

/**
 * pkt_finish() - fill in every length and checksum
 * Return: 0, or -1 if a builder call overflowed or failed.
 */
int pkt_finish(struct pkt *p);
/* Ethernet padding up to @to bytes after pkt_finish(); lengths unchanged. */
void pkt_pad(struct pkt *p, size_t to);

/* The outermost IP packet: offset, pointer, length from its header. */
size_t pkt_l3_off(const struct pkt *p);
const uint8_t *pkt_l3(const struct pkt *p);
size_t pkt_l3_len(const struct pkt *p);
/* Index of the first layer of @type, or -1. */
int pkt_find(const struct pkt *p, enum pkt_layer_type type);

/**
 * struct pkt_info - what pkt_parse() found in a frame
 * @l2_len: Ethernet header with VLAN tags
 * @nvlan: VLAN tags
 * @tpid: their TPIDs (host order)
 * @tci: their TCIs (host order)
 * @ethertype: EtherType after the tags (host order)
 * @l3_off: offset of the IP header
 * @family: 4, 6, or 0 when not IP
 * @l3_len: IP packet length from its header
 * @proto: IPv4 protocol or the IPv6 next header after extension headers
 * @l4_off: offset of the L4 header
 * @frag: a fragment (offset or more-fragments set)
 * @tos: IPv4 TOS or IPv6 traffic class
 * @ttl: IPv4 TTL or IPv6 hop limit
 * @df: IPv4 DF bit
 * @flow: IPv6 flow label
 * @src: source address (IPv4 in the first 4 bytes)
 * @dst: destination address
 */
struct pkt_info {
	size_t l2_len;
	int nvlan;
	uint16_t tpid[2];
	uint16_t tci[2];
	uint16_t ethertype;
	size_t l3_off;
	int family;
	size_t l3_len;
	uint8_t proto;
	size_t l4_off;
	bool frag;
	uint8_t tos;
	uint8_t ttl;
	bool df;
	uint32_t flow;
	uint8_t src[16];
	uint8_t dst[16];
};

/**
 * pkt_parse() - parse a frame
 * Return: 0, or -1 (with a diagnostic) if a header is truncated or its
 * lengths are inconsistent with the frame.
 */
int pkt_parse(const uint8_t *f, size_t len, struct pkt_info *pi);
/** pkt_parse_ip() - parse an IP packet at @ip (no L2); as pkt_parse() */
int pkt_parse_ip(const uint8_t *ip, size_t len, struct pkt_info *pi);

/**
 * pkt_check_ip() - header checksum (IPv4), lengths, and the L4 checksum of
 * an IP packet, and recursively of a packet it tunnels
 * Return: 0 or -1.
 */
int pkt_check_ip(const uint8_t *ip, size_t len);
/** pkt_check_frame() - pkt_check_ip() of the IP packet in a frame */
int pkt_check_frame(const uint8_t *f, size_t len);
/**
 * pkt_fix_csums() - recompute the IPv4 header checksum and the TCP, UDP or
 * ICMP checksum of the (outer) IP packet of a frame after it was edited
 * Return: 0, or -1 if the frame does not parse.
 */
int pkt_fix_csums(uint8_t *f, size_t len);

/**
 * struct pkt_encap_want - what an encapsulated frame must look like
 * @family: outer family, 4 or 6
 * @src: outer source (text)
 * @dst: outer destination, the backend (text)
 * @dmac: destination MAC
 * @smac: source MAC
 */
struct pkt_encap_want {
	int family;
	const char *src;
	const char *dst;
	const uint8_t *dmac;
	const uint8_t *smac;
	uint8_t ttl; /* outer TTL / hop limit; 0: 64 */
};

/**
 * pkt_check_encap() - an IP-in-IP frame built from @in
 * @out: the frame the program produced
 * @len: its length
 * @in: the frame it was given
 * @w: expected outer addresses and MACs
 *
 * Checks the MACs, that the VLAN tags of @in are kept, the outer header
 * (version, IPv4 checksum, TTL/hop limit @w->ttl, protocol, total or payload
 * length, DSCP/ECN copied from the inner packet, DF for IPv4 when the
 * inner packet is IPv6 or has DF), that the inner packet is byte-identical
 * to the IP packet of @in, and every checksum.
 *
 * Return: 0 or -1.
 */
int pkt_check_encap(const uint8_t *out, size_t len, const struct pkt *in,
		    const struct pkt_encap_want *w);

/* Address text to bytes (4 or 16); aborts on a typo in a test. */
void pkt_addr(const char *s, uint8_t out[16], int *family);
/* Format the address of a family; returns a static buffer (one of 4). */
const char *pkt_addr_str(int family, const uint8_t *a);

/* One's-complement sum helpers (host-order 16-bit words, big-endian data). */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t n);
uint16_t pkt_csum_fold(uint32_t sum);

/* Diagnostics: collected, printed by the suite after its TAP line. */
void pkt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *pkt_diag_buf(void);
void pkt_diag_clear(void);
/* Hex dump of @f into the diagnostics, 16 bytes a line. */
void pkt_diag_hex(const char *what, const uint8_t *f, size_t len);

#endif /* XLB_TESTS_PKT_H */
