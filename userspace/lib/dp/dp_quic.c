// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: QUIC connection-ID routing maps
 *
 * Thin accessors of the maps of bpf/quic.h, through the skeleton. xlbd
 * keeps them in step with the configuration (userspace/xlbd/core.c): one
 * entry per backend with a quic_id, whatever its state, since the program
 * reads the state from xlb_backends itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_quic.h"
#include "maps/xlb_quic_rule.h"
#include "xlb.skel.h"

static const char *const quic_counter_names[] = XLB_QUIC_COUNTER_NAMES;
_Static_assert(sizeof(quic_counter_names) / sizeof(quic_counter_names[0]) ==
		       XLB_QC_MAX,
	       "a name for every QUIC counter");

const char *xlb_quic_counter_name(unsigned int c)
{
	return c < XLB_QC_MAX ? quic_counter_names[c] : "?";
}

static int fd_of(struct xlb_dp *dp, int which)
{
	struct xlb_bpf *skel = xlb_dp_skel(dp);

	return bpf_map__fd(which == 0 ? skel->maps.xlb_quic_vips :
			   which == 1 ? skel->maps.xlb_quic_ids :
					skel->maps.xlb_quic_stats);
}

int xlb_dp_quic_vip_set(struct xlb_dp *dp, __u32 vip_id,
			const struct xlb_quic_vip *qv)
{
	if (vip_id >= xlb_dp_sizes(dp)->max_vips)
		return -ERANGE;
	if (bpf_map_update_elem(fd_of(dp, 0), &vip_id, qv, BPF_ANY))
		return -errno;
	return 0;
}

int xlb_dp_quic_id_set(struct xlb_dp *dp, __u32 vip_id, __u64 sid,
		       const struct xlb_quic_be *b)
{
	struct xlb_quic_key k = { .vip_id = vip_id, .sid = sid };

	if (bpf_map_update_elem(fd_of(dp, 1), &k, b, BPF_ANY))
		return -errno;
	return 0;
}

int xlb_dp_quic_id_get(struct xlb_dp *dp, __u32 vip_id, __u64 sid,
		       struct xlb_quic_be *b)
{
	struct xlb_quic_key k = { .vip_id = vip_id, .sid = sid };

	if (bpf_map_lookup_elem(fd_of(dp, 1), &k, b))
		return -errno;
	return 0;
}

int xlb_dp_quic_prune(struct xlb_dp *dp, __u32 vip_id,
		      bool (*keep)(void *arg, __u64 sid,
				   const struct xlb_quic_be *b),
		      void *arg)
{
	struct xlb_quic_key k, next, *del = NULL;
	size_t n = 0, cap = 0, i;
	struct xlb_quic_be b;
	int fd = fd_of(dp, 1), err = 0;
	void *prev = NULL;

	/* collect first: deleting while walking restarts the walk */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (k.vip_id != vip_id)
			continue;
		if (keep && !bpf_map_lookup_elem(fd, &k, &b) &&
		    keep(arg, k.sid, &b))
			continue;
		if (n == cap) {
			struct xlb_quic_key *nd;

			cap = cap ? cap * 2 : 16;
			nd = realloc(del, cap * sizeof(*del));
			if (!nd) {
				err = -ENOMEM;
				goto out;
			}
			del = nd;
		}
		del[n++] = k;
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &del[i]) && errno != ENOENT)
			err = -errno;
out:
	free(del);
	return err;
}

/* the counters of @key in the per-CPU map @fd, summed over CPUs */
static int quic_sum(int fd, __u32 key, struct xlb_quic_stats *out)
{
	int ncpus = libbpf_num_possible_cpus(), cpu, err = 0;
	struct xlb_quic_stats *buf;
	size_t i;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	buf = calloc((size_t)ncpus, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, buf)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < XLB_QC_MAX; i++)
			out->c[i] += buf[cpu].c[i];
out:
	free(buf);
	return err;
}

int xlb_dp_quic_stats(struct xlb_dp *dp, struct xlb_quic_stats *out)
{
	return quic_sum(fd_of(dp, 2), 0, out);
}

int xlb_dp_quic_stats_vip(struct xlb_dp *dp, __u32 vip_id,
			  struct xlb_quic_stats *out)
{
	if (vip_id >= xlb_dp_sizes(dp)->max_vips)
		return -ERANGE;
	return quic_sum(bpf_map__fd(xlb_dp_skel(dp)->maps.xlb_quic_vcnt),
			vip_id, out);
}

int xlb_dp_quic_vip_get(struct xlb_dp *dp, __u32 vip_id,
			struct xlb_quic_vip *qv)
{
	if (vip_id >= xlb_dp_sizes(dp)->max_vips)
		return -ERANGE;
	if (bpf_map_lookup_elem(fd_of(dp, 0), &vip_id, qv))
		return -errno;
	return 0;
}

int xlb_quic_dcid_parse(const char *hex, __u8 *dcid, size_t *len)
{
	size_t n, i;

	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	n = strlen(hex);
	if (n % 2 || n / 2 > XLB_QUIC_CID_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		dcid[i] = (__u8)strtoul(b, NULL, 16);
	}
	*len = n / 2;
	return 0;
}

int xlb_dp_quic_pick(struct xlb_dp *dp, const struct xlb_vip *vip, __u8 proto,
		     const __u8 *dcid, size_t len, __u64 *sid, __u32 *backend)
{
	/* a long header: first octet, version 1, DCID length, DCID; then
	 * what a real packet always has after it: SCID length, token
	 * length, length (2), packet number (1), AEAD tag (16) */
	__u8 pkt[6 + XLB_QUIC_CID_MAX + 1 + 1 + 2 + 1 + 16] = { 0xc0, 0, 0, 0,
								1 };
	struct xlb_quic_vip qv;
	struct xlb_backend be;
	struct xlb_quic_be qb;
	size_t n = 6 + len + 1 + 1 + 2 + 1 + 16;
	bool have_qb = false, have_be = false;
	int err;

	if (len > XLB_QUIC_CID_MAX)
		return -EINVAL;
	if (!xlb_quic_on(vip, proto))
		return XLB_QC_MAX;
	err = xlb_dp_quic_vip_get(dp, vip->id, &qv);
	if (err)
		return err;
	if (!qv.len)
		return XLB_QC_MAX;
	pkt[5] = (__u8)len;
	memcpy(pkt + 6, dcid, len);
	if (xlb_quic_sid(pkt, pkt + n, &qv, sid))
		return XLB_QC_NO_ID;
	err = xlb_dp_quic_id_get(dp, vip->id, *sid, &qb);
	if (err && err != -ENOENT)
		return err;
	have_qb = !err;
	/* an id out of the array's range: the program's lookup fails too */
	if (have_qb && qb.backend < xlb_dp_sizes(dp)->max_backends) {
		err = xlb_dp_backend_get(dp, qb.backend, &be);
		if (err)
			return err;
		have_be = true;
	}
	err = (int)xlb_quic_verdict(have_qb ? &qb : NULL, have_be ? &be : NULL,
				    vip->id);
	if (err == XLB_QC_ROUTED)
		*backend = qb.backend;
	return err;
}
