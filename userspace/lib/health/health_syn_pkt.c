// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: half-open TCP checks: packets and filter
 *
 * See health_syn_pkt.h. Byte order is explicit everywhere: the TCP header is
 * written and read byte by byte.
 */
#include <errno.h>
#include <string.h>

#include "health_syn_pkt.h"

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)get16(p) << 16 | get16(p + 2);
}

void hc_syn_build(__u8 *buf, __u16 sport, __u16 dport, __u32 seq, __u16 mss)
{
	memset(buf, 0, HC_SYN_LEN);
	put16(buf, sport);
	put16(buf + 2, dport);
	put32(buf + 4, seq);
	/* ack 0; data offset 6 words (header + MSS option) */
	buf[12] = (HC_SYN_LEN / 4) << 4;
	buf[13] = HC_TCP_SYN;
	put16(buf + 14, 64240); /* window */
	/* checksum (16) and urgent pointer (18) 0 */
	buf[20] = 2; /* MSS */
	buf[21] = 4;
	put16(buf + 22, mss);
}

/* one's complement sum of 16-bit big-endian words */
static __u32 sum16(__u32 sum, const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

void hc_syn_csum4(__u8 *tcp, size_t len, __be32 saddr, __be32 daddr)
{
	__u8 ph[12];
	__u32 sum;

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = 6; /* IPPROTO_TCP */
	put16(ph + 10, (__u16)len);
	put16(tcp + 16, 0);
	sum = sum16(sum16(0, ph, sizeof(ph)), tcp, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(tcp + 16, (__u16)~sum);
}

int hc_syn_parse(const __u8 *pkt, size_t len, bool ipv4, struct hc_syn_reply *r)
{
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	if (ipv4) {
		if (len < 20 || pkt[0] >> 4 != 4 || pkt[9] != 6)
			return -EINVAL;
		off = (size_t)(pkt[0] & 0xf) * 4;
		/* a fragment other than the first has no TCP header */
		if (off < 20 || (get16(pkt + 6) & 0x1fff))
			return -EINVAL;
		memcpy(r->saddr, pkt + 12, 4);
	}
	if (len < off + 20)
		return -EINVAL;
	pkt += off;
	r->sport = get16(pkt);
	r->dport = get16(pkt + 2);
	r->ack = get32(pkt + 8);
	r->flags = pkt[13];
	return 0;
}

int hc_syn_filter(struct sock_filter *f, bool ipv4, const __u16 *ports, int n)
{
	int i = 0, k, flags;

	if (n < 1 || n > HC_SYN_PORTS)
		return -EINVAL;
	/* X = offset of the TCP header */
	if (ipv4)
		f[i++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH,
						      0);
	else
		f[i++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2);
	/* one of our ports? the last test falls through to "drop" */
	flags = i + n + 1;
	for (k = 0; k < n; k++, i++)
		f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						    ports[k], flags - i - 1, 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	/* i == flags: RST passes, else SYN and ACK both set */
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13);
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
					      HC_TCP_RST, 2, 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K,
					      HC_TCP_SYN | HC_TCP_ACK);
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      HC_TCP_SYN | HC_TCP_ACK, 0, 1);
	/* pass 256 bytes: headers with options; drop */
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 256);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	return i;
}
