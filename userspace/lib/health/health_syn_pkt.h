/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: half-open TCP checks: the packets
 *
 * The pure part of the "syn" mode of tcp checks (health_syn.c): build the
 * SYN, read a reply, and the classic BPF program that lets only replies to
 * our probes through to the raw socket. No I/O here, so it is unit-tested
 * on its own (tests/unit/test_health_syn.c).
 */
#ifndef XLB_HEALTH_SYN_H
#define XLB_HEALTH_SYN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/types.h>

/* TCP header of our SYN: 20 bytes and the MSS option */
#define HC_SYN_LEN 24
/* source ports reserved for probes (one bound socket each) */
#define HC_SYN_PORTS 16
/* instructions of hc_syn_filter() for HC_SYN_PORTS ports */
#define HC_SYN_FILTER_MAX (HC_SYN_PORTS + 10)

#define HC_TCP_FIN 0x01
#define HC_TCP_SYN 0x02
#define HC_TCP_RST 0x04
#define HC_TCP_ACK 0x10

/**
 * struct hc_syn_reply - what matters in a reply
 * @saddr: its source address (network order; 4 or 16 bytes), IPv4 only:
 *         IPv6 raw sockets do not pass the header, the caller has it from
 *         recvmsg()
 * @sport: its source port, host order (the port we probed)
 * @dport: its destination port (our probe's source port)
 * @ack: its acknowledgment number: our sequence number + 1
 * @flags: TCP flags
 */
struct hc_syn_reply {
	__u8 saddr[16];
	__u16 sport;
	__u16 dport;
	__u32 ack;
	__u8 flags;
};

/**
 * hc_syn_build() - the TCP header of a SYN (HC_SYN_LEN bytes)
 * @buf: at least HC_SYN_LEN bytes
 * @sport: our port, host order
 * @dport: the port checked, host order
 * @seq: our initial sequence number
 * @mss: MSS option value
 *
 * The checksum is left 0: hc_syn_csum4() fills it for IPv4; for IPv6 the
 * kernel does (IPV6_CHECKSUM).
 */
void hc_syn_build(__u8 *buf, __u16 sport, __u16 dport, __u32 seq, __u16 mss);

/**
 * hc_syn_csum4() - fill the TCP checksum of an IPv4 segment
 * @tcp: the TCP header and payload
 * @len: their length
 * @saddr: source address, network order
 * @daddr: destination address, network order
 */
void hc_syn_csum4(__u8 *tcp, size_t len, __be32 saddr, __be32 daddr);

/**
 * hc_syn_parse() - read a reply as the raw socket hands it over
 * @pkt: IPv4: from the IP header; IPv6: from the TCP header
 * @len: its length
 * @ipv4: which of the two
 * @r: the reply
 *
 * Return: 0, or -EINVAL when it is not a whole TCP header.
 */
int hc_syn_parse(const __u8 *pkt, size_t len, bool ipv4,
		 struct hc_syn_reply *r);

/**
 * hc_syn_filter() - a socket filter that passes only replies to probes
 * @f: room for HC_SYN_FILTER_MAX instructions
 * @ipv4: the raw socket's family (IPv4 sockets see the IP header)
 * @ports: our probes' source ports, host order
 * @n: how many (at most HC_SYN_PORTS)
 *
 * Passes TCP segments to one of @ports that carry RST, or SYN and ACK;
 * drops everything else (the raw socket sees every TCP segment the host
 * receives).
 *
 * Return: the number of instructions, or -EINVAL.
 */
int hc_syn_filter(struct sock_filter *f, bool ipv4, const __u16 *ports, int n);

#endif /* XLB_HEALTH_SYN_H */
