// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: connections per backend (see dp_conns.h)
 *
 * The tables are mapped read-only (they are BPF_F_MMAPABLE arrays, as
 * xlb_dp_conn_count() uses them) and every way in use is charged to its
 * backend id. "Last seen" is xlb_conn.seen, jiffies >> XLB_CONN_SEEN_SHIFT
 * modulo 2^16 (maps/xlb_maps.h); its age is taken modulo 2^16 too, so an
 * entry idle for more than 2^16 units (4.6 hours at HZ=1000) may look
 * young again: one more reason the counts are approximate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <bpf/libbpf.h>

#include "dp_conns.h"
#include "xlb.skel.h"

/*
 * The kernel starts jiffies at INITIAL_JIFFIES, (u32)(-300 * HZ), five
 * minutes before the 32-bit wrap, and counts HZ per second of the
 * monotonic clock from then on. The HZ for which that predicts the
 * jiffies read now is the kernel's.
 */
static unsigned int guess_hz(__u64 jiffies, double mono_s)
{
	static const unsigned int cand[] = { 100, 250, 300, 1000 };
	double best = 0, d;
	unsigned int hz = 250, i;

	for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		d = (double)jiffies -
		    ((double)(__u32)(-300 * (int)cand[i]) + mono_s * cand[i]);
		if (d < 0)
			d = -d;
		if (i == 0 || d < best) {
			best = d;
			hz = cand[i];
		}
	}
	return hz;
}

/* jiffies and HZ from /proc/timer_list (readable by root only) */
static int clock_timer_list(__u64 *jiffies, unsigned int *hz)
{
	unsigned long long j = 0, ns = 0;
	bool have_j = false, have_ns = false;
	char line[256];
	FILE *f;

	f = fopen("/proc/timer_list", "re");
	if (!f)
		return -errno;
	while ((!have_j || !have_ns) && fgets(line, sizeof(line), f)) {
		if (!have_ns && sscanf(line, "now at %llu nsecs", &ns) == 1)
			have_ns = true;
		else if (!have_j && sscanf(line, "jiffies: %llu", &j) == 1)
			have_j = true;
	}
	fclose(f);
	if (!have_j || !have_ns)
		return -ENODATA;
	*hz = guess_hz(j, (double)ns / 1e9);
	*jiffies = j;
	return 0;
}

/* CONFIG_HZ from the kernel's configuration, or 0 */
static unsigned int config_hz(void)
{
	char path[300], line[256];
	unsigned int hz = 0;
	struct utsname u;
	gzFile gz;

	/* gzread reads a plain file as it is, so one loop does both */
	gz = gzopen("/proc/config.gz", "rb");
	if (!gz && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		gz = gzopen(path, "rb");
	}
	if (!gz)
		return 0;
	while (!hz && gzgets(gz, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) != 1)
			hz = 0;
	gzclose(gz);
	return hz;
}

int xlb_conn_clock_estimate(__u16 *now, unsigned int *hz)
{
	struct timespec ts;
	__u64 j;

	*hz = config_hz();
	if (!*hz || clock_gettime(CLOCK_MONOTONIC, &ts))
		return -ENODATA;
	/* INITIAL_JIFFIES, then HZ per second of the monotonic clock */
	j = (__u64)(__u32)(-300 * (int)*hz) + (__u64)ts.tv_sec * *hz +
	    (__u64)ts.tv_nsec * *hz / 1000000000u;
	*now = (__u16)(j >> XLB_CONN_SEEN_SHIFT);
	return 0;
}

int xlb_conn_clock(__u16 *now, unsigned int *hz)
{
	__u64 j = 0;

	if (!clock_timer_list(&j, hz)) {
		*now = (__u16)(j >> XLB_CONN_SEEN_SHIFT);
		return 0;
	}
	return xlb_conn_clock_estimate(now, hz);
}

static int tally_table(int fd, __u32 sets, size_t set_size, size_t way_size,
		       size_t key_size, __u16 now, __u16 window,
		       const __u32 *want_gen, __u32 n_ids,
		       struct xlb_conn_tally *out)
{
	size_t len = (size_t)sets * set_size, i;
	const struct xlb_conn *c;
	const char *m;
	int w;

	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	for (i = 0; i < sets; i++)
		for (w = 0; w < XLB_CONN_WAYS; w++) {
			c = (const struct xlb_conn *)(m + i * set_size +
						      w * way_size + key_size);
			if (!c->used || c->backend >= n_ids ||
			    (want_gen && c->gen != want_gen[c->backend]))
				continue;
			if ((__u16)(now - c->seen) < window)
				out[c->backend].active++;
			else
				out[c->backend].inactive++;
		}
	munmap((void *)m, len);
	return 0;
}

int xlb_dp_conn_tally(struct xlb_dp *dp, __u16 now, __u16 window,
		      const __u32 *want_gen, __u32 n_ids,
		      struct xlb_conn_tally *out)
{
	struct xlb_bpf *skel = xlb_dp_skel(dp);
	__u32 sets = xlb_conn_sets(xlb_dp_sizes(dp)->conn_max);
	int r;

	memset(out, 0, (size_t)n_ids * sizeof(*out));
	r = tally_table(bpf_map__fd(skel->maps.xlb_conn4_v3), sets,
			sizeof(struct xlb_conn4_set),
			sizeof(struct xlb_conn4_way),
			sizeof(struct xlb_conn4_key), now, window, want_gen,
			n_ids, out);
	return r     ?:
		       tally_table(bpf_map__fd(skel->maps.xlb_conn6_v3), sets,
				   sizeof(struct xlb_conn6_set),
				   sizeof(struct xlb_conn6_way),
				   sizeof(struct xlb_conn6_key), now, window,
				   want_gen, n_ids, out);
}

int xlb_dp_conn_per_backend(struct xlb_dp *dp, unsigned int active_s,
			    const __u32 *want_gen, __u32 n_ids,
			    struct xlb_conn_tally *out)
{
	unsigned long long units;
	unsigned int hz = 0;
	__u16 now = 0;
	int r;

	r = xlb_conn_clock(&now, &hz);
	if (r)
		return r;
	/* whole units, at least one; the age of a 16-bit stamp tops out */
	units = ((unsigned long long)active_s * hz +
		 (1u << XLB_CONN_SEEN_SHIFT) - 1) >>
		XLB_CONN_SEEN_SHIFT;
	if (!units)
		units = 1;
	if (units > 0xffff)
		units = 0xffff;
	return xlb_dp_conn_tally(dp, now, (__u16)units, want_gen, n_ids, out);
}
