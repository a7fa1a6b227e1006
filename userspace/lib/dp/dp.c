// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: data-path access through the skeleton
 *
 * Opening: the skeleton is opened, every map gets its pin path (when a pin
 * directory is given), and sizes are set before load. If xlb's maps are
 * already pinned, their sizes are read back first and used as they are:
 * libbpf re-adopts a pinned map only when it matches exactly, and keeping
 * the pinned maps is what keeps every flow across a restart or an upgrade.
 *
 * The ring array is mmapped, so a ring copy is written with one memcpy and
 * published by rewriting the VIP entry (see xlb_dp_ring_publish()).
 *
 * Load-time constants (the sizes, lb.outer_ttl) are the object's .rodata,
 * written through the skeleton before load and frozen by it. They are part
 * of what the program is, but not of its tag: xlb_dp_prog_same() compares
 * both, and xlb_dp_rodata_pin() keeps the attached program's .rodata pinned
 * so that a restart without CAP_SYS_ADMIN can read it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "dp.h"
#include "file.h"
#include "log.h"
#include "xlb.skel.h"
#include "maps/xlb_hash.h"

struct xlb_dp {
	struct xlb_bpf *skel;
	struct xlb_dp_sizes sz;
	__u32 *ring;
	size_t ring_bytes;
	int ncpus;
	bool adopted;
	__u32 conn_seed;
	char *obj_bytes; /* xlb_dp_opts.object's contents, kept while loaded */
	unsigned int maps_adopted; /* maps that came from their pins */
	unsigned int maps_created; /* maps this open created (and pinned) */
	char created_names[1024]; /* their names, for the start-up log */
	bool created_state; /* one of them is more than counters */
	bool conns_created; /* one of them is a connection table */
	__u32 second_chance_s; /* window of the previous ring, 0: off */
	char *pin_dir; /* xlb_dp_opts.pin_dir, or NULL */
	__u8 outer_ttl; /* lb.outer_ttl, as loaded */
};

static const char *const counter_names[] = XLB_COUNTER_NAMES;
_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) == XLB_C_MAX,
	       "a name for every counter");

const char *xlb_counter_name(unsigned int c)
{
	return c < XLB_C_MAX ? counter_names[c] : "?";
}

/* Is this process in the host's (pid 1's) mount namespace? */
static bool in_init_mount_ns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) || stat("/proc/1/ns/mnt", &init))
		return false;
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

int xlb_dp_ensure_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (!in_init_mount_ns()) {
		pr_err("/sys/fs/bpf is not a bpffs in this mount namespace, "
		       "and xlbd will not mount a private one: pins made there "
		       "vanish with xlbd and a restart loses every flow. "
		       "'ip netns exec' remounts /sys this way: run xlbd with "
		       "'nsenter --net=/run/netns/NAME xlbd ...' instead, or "
		       "mount bpffs on /sys/fs/bpf in the host's namespace "
		       "first");
		return -EPERM;
	}
	if (mkdir("/sys/fs/bpf", 0755) && errno != EEXIST)
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		pr_err("mount bpffs on /sys/fs/bpf: %s", strerror(errno));
		return -errno;
	}
	pr_info("mounted bpffs on /sys/fs/bpf");
	return 0;
}

static void pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

bool xlb_dp_pinned(const char *pin_dir)
{
	char p[PATH_MAX];

	pin_path(p, sizeof(p), pin_dir, XLB_MAP_CFG);
	return access(p, F_OK) == 0;
}

int xlb_dp_unpin(const char *pin_dir)
{
	struct dirent *de;
	char p[PATH_MAX];
	int err = 0;
	DIR *d;

	d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "xlb_", 4) || strchr(de->d_name, '.'))
			continue;
		pin_path(p, sizeof(p), pin_dir, de->d_name);
		if (unlink(p) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(pin_dir) && errno != ENOENT && errno != ENOTEMPTY)
		err = -errno;
	return err;
}

static __u32 map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/* Sizes of the maps already pinned in @dir, so they can be re-adopted. */
static int read_pinned_sizes(const char *dir, struct xlb_dp_sizes *sz)
{
	struct xlb_config cfg = {};
	char p[PATH_MAX];
	__u32 zero = 0;
	int fd, err = 0;

	pin_path(p, sizeof(p), dir, XLB_MAP_CFG);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (!cfg.ring_max || !cfg.max_vips || !cfg.max_backends)
		return -EINVAL;
	sz->ring_max = cfg.ring_max;
	sz->max_vips = cfg.max_vips;
	sz->max_backends = cfg.max_backends;

	pin_path(p, sizeof(p), dir, XLB_MAP_CONN4);
	fd = bpf_obj_get(p);
	if (fd >= 0) {
		sz->conn_max = map_max_entries(fd) * XLB_CONN_WAYS;
		close(fd);
		return 0;
	}
	/* a table of an earlier version (one entry per flow) */
	pin_path(p, sizeof(p), dir, XLB_MAP_CONN4_OLD);
	fd = bpf_obj_get(p);
	if (fd >= 0) {
		sz->conn_max = map_max_entries(fd);
		close(fd);
	}
	return 0;
}

/*
 * Maps of an earlier version whose layout changed, and which this one
 * therefore does not read: the connection tables (LRU hash, one entry per
 * flow; their flows are hashed onto the ring once more, which keeps them on
 * their backend unless the ring changed) and the outcome counters (their
 * totals restart). Checked by hand against the previous build: a live TCP
 * connection survived the upgrade.
 */
static void unpin_old_maps(const char *dir)
{
	static const char *const old[] = { XLB_MAP_CONN4_OLD, XLB_MAP_CONN6_OLD,
					   XLB_MAP_STATS_OLD,
					   XLB_MAP_STATS_OLD2,
					   XLB_MAP_STATS_OLD3 };
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		pin_path(p, sizeof(p), dir, old[i]);
		if (!unlink(p))
			pr_info("removed %s, a map of an earlier version%s", p,
				i < 2 ? ": its flows follow the ring" :
					": the outcome counters restart");
	}
}

static void fill_default_sizes(struct xlb_dp_sizes *s)
{
	if (!s->max_vips)
		s->max_vips = XLB_DEFAULT_MAX_VIPS;
	if (!s->max_backends)
		s->max_backends = XLB_DEFAULT_MAX_BACKENDS;
	if (!s->ring_max)
		s->ring_max = XLB_DEFAULT_RING_SIZE;
	if (!s->conn_max)
		s->conn_max = XLB_DEFAULT_CONN_MAX;
}

static int check_sizes(const struct xlb_dp_sizes *s)
{
	if (s->max_vips > XLB_MAX_VIPS_LIMIT ||
	    s->max_backends > XLB_MAX_BACKENDS_LIMIT ||
	    s->ring_max > XLB_MAX_RING_SIZE ||
	    (unsigned long long)s->max_vips * 2 * xlb_ring_stride(s->ring_max) >
		    UINT32_MAX) {
		pr_err("data path sizes too large: %u VIPs, %u backends, ring %u",
		       s->max_vips, s->max_backends, s->ring_max);
		return -E2BIG;
	}
	return 0;
}

/*
 * What a map created empty beside re-adopted ones loses, said in the one
 * line xlbd logs about it. A map an older build lacked is created so on
 * upgrade (docs/edge-host.md, "Maps an older build may lack"); a map not
 * listed here is named alone, and its loss is warned about.
 */
static const struct {
	const char *name;
	const char *empty;
	bool minor; /* counters, or state refilled on its own: no warning */
} empty_means[] = {
	{ XLB_MAP_CONN4, "IPv4 flows start over on the ring", false },
	{ XLB_MAP_CONN6, "IPv6 flows start over on the ring", false },
	{ XLB_MAP_RING_PREV, "no previous ring until a ring changes", true },
	{ XLB_MAP_STATS, "outcome counters start at zero", true },
	{ XLB_MAP_VIP_STATS, "per-VIP counters start at zero", true },
	{ XLB_MAP_BE_STATS, "per-backend counters start at zero", true },
	{ XLB_MAP_MTU, "written from the configuration", true },
	{ XLB_MAP_LIMITS, "written from the configuration", true },
	{ XLB_MAP_RL, "rate-limit buckets start over", true },
	{ XLB_MAP_CHANCE_STATS, "second-chance counters start at zero", true },
	{ XLB_MAP_QUIC_VIPS, "written from the configuration", true },
	{ XLB_MAP_QUIC_IDS, "written from the configuration", true },
	{ XLB_MAP_QUIC_STATS, "QUIC counters start at zero", true },
	{ XLB_MAP_QUIC_VCNT, "per-VIP QUIC counters start at zero", true },
};

/* Record @name among the maps this open creates beside re-adopted ones. */
static void note_created(struct xlb_dp *dp, const char *name)
{
	size_t len = strlen(dp->created_names), k;
	const char *empty = NULL;
	bool minor = false;

	for (k = 0; k < sizeof(empty_means) / sizeof(empty_means[0]); k++)
		if (!strcmp(name, empty_means[k].name)) {
			empty = empty_means[k].empty;
			minor = empty_means[k].minor;
		}
	if (!strcmp(name, XLB_MAP_CONN4) || !strcmp(name, XLB_MAP_CONN6))
		dp->conns_created = true;
	if (!minor)
		dp->created_state = true;
	snprintf(dp->created_names + len, sizeof(dp->created_names) - len,
		 "%s%s%s%s%s", len ? ", " : "", name, empty ? " (" : "",
		 empty ? empty : "", empty ? ")" : "");
}

/* Pin paths for every map; counts which already exist (re-adopted by the
 * load) and which the load will create. */
static int set_pins(struct xlb_dp *dp, const char *dir)
{
	struct bpf_map *map;
	char p[PATH_MAX];
	int err;

	bpf_object__for_each_map(map, dp->skel->obj)
	{
		/* .rodata and friends belong to one program: never pinned */
		if (bpf_map__is_internal(map))
			continue;
		pin_path(p, sizeof(p), dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, p);
		if (err)
			return err;
		if (!access(p, F_OK)) {
			dp->maps_adopted++;
			continue;
		}
		dp->maps_created++;
		note_created(dp, bpf_map__name(map));
	}
	return 0;
}

#define XLB_OBJECT_MAX (64u << 20)

/* The skeleton over the built-in object, or over the file @path. */
static int skel_open(struct xlb_dp *dp, const char *path)
{
	struct xlb_bpf *obj;
	size_t size = 0;
	int err;

	if (!path) {
		dp->skel = xlb_bpf__open();
		return dp->skel ? 0 : -errno;
	}
	err = xlb_file_read(path, XLB_OBJECT_MAX, &dp->obj_bytes, &size);
	if (err)
		return err;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	err = xlb_bpf__create_skeleton(obj);
	if (!err) {
		obj->skeleton->data = dp->obj_bytes;
		obj->skeleton->data_sz = size;
		err = bpf_object__open_skeleton(obj->skeleton, NULL);
	}
	if (err) {
		xlb_bpf__destroy(obj);
		return err;
	}
	dp->skel = obj;
	return 0;
}

/**
 * xlb_dp_size_maps() - see dp.h
 *
 * The one table of which size each map takes: xlb_dp_open() uses it, and
 * tests/unit/test_mem.c checks xlb_mem_total() against the maps it sizes.
 */
int xlb_dp_size_maps(struct xlb_bpf *skel, const struct xlb_dp_sizes *sz)
{
	const struct {
		struct bpf_map *map;
		__u32 entries;
	} size[] = {
		{ skel->maps.xlb_vip4, sz->max_vips },
		{ skel->maps.xlb_vip6, sz->max_vips },
		{ skel->maps.xlb_ring,
		  xlb_ring_blocks(sz->max_vips, sz->ring_max) },
		{ skel->maps.xlb_backends, sz->max_backends },
		{ skel->maps.xlb_conn4_v3, xlb_conn_sets(sz->conn_max) },
		{ skel->maps.xlb_conn6_v3, xlb_conn_sets(sz->conn_max) },
		{ skel->maps.xlb_vip_stats, sz->max_vips },
		{ skel->maps.xlb_be_stats, sz->max_backends },
		/* second chance (bpf/chance.h) */
		{ skel->maps.xlb_ring_prev, sz->max_vips },
		{ skel->maps.xlb_chance_cnt, sz->max_vips },
		/* QUIC connection-ID routing (dp_quic.c): a VIP each, an id
		 * per backend at most */
		{ skel->maps.xlb_quic_vips, sz->max_vips },
		{ skel->maps.xlb_quic_ids, sz->max_backends },
		{ skel->maps.xlb_quic_vcnt, sz->max_vips },
	};
	size_t k;
	int err = 0;

	for (k = 0; !err && k < sizeof(size) / sizeof(size[0]); k++)
		err = bpf_map__set_max_entries(size[k].map, size[k].entries);
	return err;
}

/*
 * Offset of the .rodata variable @name of @size bytes in an object opened
 * from a file. Its layout may differ from the skeleton's (bench_dp --ab
 * loads other builds, and the compiler places the variables in definition
 * order), so the variable is found by name in the object's BTF. -ENOENT if
 * that build has no such variable.
 */
static long rodata_off(struct xlb_dp *dp, const char *name, __u32 size,
		       size_t len)
{
	const struct btf *btf = bpf_object__btf(dp->skel->obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) :
		   -ENOENT;
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, (__u32)id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		if (vs->size != size || vs->offset + size > len)
			return -EINVAL;
		return vs->offset;
	}
	return -ENOENT;
}

/* The load-time constants: through the skeleton for the built-in object,
 * by name for one read from a file. */
static int set_rodata(struct xlb_dp *dp, const struct xlb_dp_opts *o,
		      const struct xlb_dp_sizes *sz)
{
	struct bpf_map *map = dp->skel->maps.rodata;
	__u32 sets = xlb_conn_sets(sz->conn_max);
	long ring_off, sets_off, ttl_off;
	const void *img;
	size_t len = 0;
	char *buf;
	int err;

	if (!o->object) {
		dp->skel->rodata->ring_max = sz->ring_max;
		dp->skel->rodata->conn_sets = sets;
		if (o->outer_ttl)
			dp->skel->rodata->outer_ttl = o->outer_ttl;
		dp->outer_ttl = dp->skel->rodata->outer_ttl;
		return 0;
	}
	img = bpf_map__initial_value(map, &len);
	if (!img)
		return -ENOENT;
	ring_off = rodata_off(dp, "ring_max", sizeof(__u32), len);
	sets_off = rodata_off(dp, "conn_sets", sizeof(__u32), len);
	ttl_off = rodata_off(dp, "outer_ttl", sizeof(__u8), len);
	if (ring_off < 0 || sets_off < 0 || (o->outer_ttl && ttl_off < 0)) {
		pr_err("%s: no .rodata variable %s", o->object,
		       ring_off < 0 ? "ring_max" :
		       sets_off < 0 ? "conn_sets" :
				      "outer_ttl");
		return -ENOENT;
	}
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, img, len);
	memcpy(buf + ring_off, &sz->ring_max, sizeof(__u32));
	memcpy(buf + sets_off, &sets, sizeof(__u32));
	if (o->outer_ttl)
		buf[ttl_off] = (char)o->outer_ttl;
	/* a build from before lb.outer_ttl always sent 64 */
	dp->outer_ttl = ttl_off < 0 ? 64 : (__u8)buf[ttl_off];
	err = bpf_map__set_initial_value(map, buf, len);
	free(buf);
	return err;
}

int xlb_dp_open(const struct xlb_dp_opts *o, struct xlb_dp **out)
{
	struct xlb_dp_sizes want = o->sizes, sz = o->sizes;
	struct xlb_config cfg = {};
	struct xlb_dp *dp;
	__u32 zero = 0;
	int err;

	fill_default_sizes(&want);
	sz = want;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		err = dp->ncpus ? dp->ncpus : -EINVAL;
		goto err;
	}

	if (o->pin_dir && xlb_dp_pinned(o->pin_dir)) {
		err = read_pinned_sizes(o->pin_dir, &sz);
		if (err) {
			pr_err("pinned maps in %s are unreadable (%s); remove "
			       "them with 'xlbd --cleanup' (every flow is lost)",
			       o->pin_dir, strerror(-err));
			goto err;
		}
		if (memcmp(&sz, &want, sizeof(sz)))
			pr_warn("pinned maps keep their sizes (%u VIPs, %u "
				"backends, ring %u, %u flows); new sizes take "
				"effect after 'xlbctl dp detach' and a start "
				"(every flow is lost)",
				sz.max_vips, sz.max_backends, sz.ring_max,
				sz.conn_max);
		dp->adopted = true;
	}
	err = check_sizes(&sz);
	if (err)
		goto err;
	dp->sz = sz;

	err = skel_open(dp, o->object);
	if (err) {
		pr_err("open %s: %s", o->object ? o->object : "xlb.bpf.o",
		       strerror(-err));
		goto err;
	}
	err = set_rodata(dp, o, &sz);
	if (err)
		goto err;
	err = xlb_dp_size_maps(dp->skel, &sz);
	if (err)
		goto err;

	if (o->pin_dir) {
		dp->pin_dir = strdup(o->pin_dir);
		if (!dp->pin_dir) {
			err = -ENOMEM;
			goto err;
		}
		if (mkdir(o->pin_dir, 0700) && errno != EEXIST) {
			err = -errno;
			pr_err("mkdir %s: %s", o->pin_dir, strerror(-err));
			goto err;
		}
		err = set_pins(dp, o->pin_dir);
		if (err)
			goto err;
	}

	err = xlb_bpf__load(dp->skel);
	if (err) {
		pr_err("load xlb.bpf.o: %s%s", strerror(-err),
		       dp->adopted ?
			       " (pinned maps incompatible with this "
			       "build? 'xlbd --cleanup' removes them, and "
			       "every flow)" :
			       "");
		goto err;
	}

	dp->ring_bytes = (size_t)xlb_ring_blocks(sz.max_vips, sz.ring_max) *
			 sizeof(struct xlb_ring_block);
	dp->ring = mmap(NULL, dp->ring_bytes, PROT_READ | PROT_WRITE,
			MAP_SHARED, bpf_map__fd(dp->skel->maps.xlb_ring), 0);
	if (dp->ring == MAP_FAILED) {
		err = -errno;
		dp->ring = NULL;
		pr_err("mmap xlb_ring: %s", strerror(-err));
		goto err;
	}

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.xlb_cfg), &zero,
				&cfg)) {
		err = -errno;
		goto err;
	}
	/* A fresh config records the sizes for the next re-adoption, and
	 * the connection tables get their seed (maps of an earlier version
	 * have none: their tables are new too). */
	if (!cfg.ring_max || !cfg.conn_seed) {
		if (!cfg.ring_max) {
			cfg.ring_max = sz.ring_max;
			cfg.max_vips = sz.max_vips;
			cfg.max_backends = sz.max_backends;
		}
		while (!cfg.conn_seed)
			if (getrandom(&cfg.conn_seed, sizeof(cfg.conn_seed),
				      0) != sizeof(cfg.conn_seed)) {
				err = -errno;
				goto err;
			}
		if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.xlb_cfg),
					&zero, &cfg, BPF_ANY)) {
			err = -errno;
			goto err;
		}
	}
	dp->conn_seed = cfg.conn_seed;
	if (o->pin_dir)
		unpin_old_maps(o->pin_dir);

	pr_debug("data path: %s maps, %u VIPs, %u backends, ring %u, %u "
		 "flows per family (%llu MiB of rings, %llu MiB of flow "
		 "tables)",
		 dp->adopted ? "re-adopted" : "new", sz.max_vips,
		 sz.max_backends, sz.ring_max, sz.conn_max,
		 xlb_mem_ring(sz.max_vips, sz.ring_max) >> 20,
		 (xlb_mem_conn4(sz.conn_max) + xlb_mem_conn6(sz.conn_max)) >>
			 20);
	/* One line: an upgrade from a build that lacked a map is expected
	 * (info); losing more than counters deserves a warning. */
	if (dp->adopted && dp->maps_created)
		xlb_log(dp->created_state ? XLB_LOG_WARN : XLB_LOG_INFO,
			"pinned maps in %s: %u re-adopted, %u created empty "
			"as not pinned (new in this build, or a pin removed): "
			"%s",
			o->pin_dir, dp->maps_adopted, dp->maps_created,
			dp->created_names);
	*out = dp;
	return 0;
err:
	xlb_dp_close(dp);
	return err;
}

void xlb_dp_close(struct xlb_dp *dp)
{
	if (!dp)
		return;
	if (dp->ring)
		munmap(dp->ring, dp->ring_bytes);
	xlb_bpf__destroy(dp->skel);
	free(dp->obj_bytes);
	free(dp->pin_dir);
	free(dp);
}

bool xlb_dp_adopted(const struct xlb_dp *dp)
{
	return dp->adopted;
}

const struct xlb_dp_sizes *xlb_dp_sizes(const struct xlb_dp *dp)
{
	return &dp->sz;
}

struct xlb_bpf *xlb_dp_skel(struct xlb_dp *dp)
{
	return dp->skel;
}

int xlb_dp_prog_fd(const struct xlb_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.xlb_lb);
}

int xlb_dp_pass_prog_fd(const struct xlb_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.xlb_pass_prog);
}

__u8 xlb_dp_outer_ttl(const struct xlb_dp *dp)
{
	return dp->outer_ttl;
}

static int map_fd(const struct bpf_map *m)
{
	return bpf_map__fd(m);
}

static int ret_errno(int r)
{
	return r ? -errno : 0;
}

/* --- config ---------------------------------------------------------------*/

int xlb_dp_mtu_get(struct xlb_dp *dp, __u32 ifindex, __u32 *mtu)
{
	if (ifindex >= XLB_MTU_SLOTS)
		return -ERANGE;
	return ret_errno(bpf_map_lookup_elem(map_fd(dp->skel->maps.xlb_mtu),
					     &ifindex, mtu));
}

/* The smallest MTU of the interfaces with their own slot, or 0. */
static __u32 mtu_min_slot(int fd)
{
	__u32 i, v, min = 0;

	for (i = 1; i < XLB_MTU_SLOTS; i++)
		if (!bpf_map_lookup_elem(fd, &i, &v) && v && (!min || v < min))
			min = v;
	return min;
}

int xlb_dp_mtu_set(struct xlb_dp *dp, __u32 ifindex, __u32 mtu)
{
	int fd = map_fd(dp->skel->maps.xlb_mtu);
	__u32 zero = 0, def = 0, min;

	if (mtu && mtu < XLB_MTU_MIN)
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, &zero, &def))
		return -errno;
	if (ifindex && ifindex < XLB_MTU_SLOTS) {
		if (bpf_map_update_elem(fd, &ifindex, &mtu, BPF_ANY))
			return -errno;
		/* the default stays at or below every interface's */
		if (!mtu || !def || def <= mtu)
			return 0;
	} else if (ifindex) {
		/* no slot of its own: the default must not let its packets
		 * pass */
		if (!mtu || (def && def <= mtu))
			return 0;
	} else if (mtu) {
		min = mtu_min_slot(fd);
		if (min && min < mtu)
			mtu = min;
	}
	return ret_errno(bpf_map_update_elem(fd, &zero, &mtu, BPF_ANY));
}

int xlb_dp_limits_get(struct xlb_dp *dp, struct xlb_limits *l)
{
	__u32 zero = 0;

	return ret_errno(bpf_map_lookup_elem(map_fd(dp->skel->maps.xlb_limits),
					     &zero, l));
}

int xlb_dp_limits_set(struct xlb_dp *dp, const struct xlb_limits *l)
{
	__u32 zero = 0;

	if (l->icmp_rate > XLB_MAX_RATE || l->conn_rate > XLB_MAX_RATE ||
	    l->icmp_burst > XLB_MAX_RATE || l->conn_burst > XLB_MAX_RATE)
		return -ERANGE;
	return ret_errno(bpf_map_update_elem(map_fd(dp->skel->maps.xlb_limits),
					     &zero, l, BPF_ANY));
}

int xlb_dp_config_get(struct xlb_dp *dp, struct xlb_config *c)
{
	__u32 zero = 0;

	return ret_errno(
		bpf_map_lookup_elem(map_fd(dp->skel->maps.xlb_cfg), &zero, c));
}

int xlb_dp_config_set(struct xlb_dp *dp, const struct xlb_config *c)
{
	struct xlb_config n = *c;
	__u32 zero = 0;

	n.ring_max = dp->sz.ring_max;
	n.max_vips = dp->sz.max_vips;
	n.max_backends = dp->sz.max_backends;
	n.conn_seed = dp->conn_seed;
	return ret_errno(bpf_map_update_elem(map_fd(dp->skel->maps.xlb_cfg),
					     &zero, &n, BPF_ANY));
}

/* --- VIPs -----------------------------------------------------------------*/

static int vip_key(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
		   __u8 proto, void *key, int *fd)
{
	struct xlb_vip4_key *k4 = key;
	struct xlb_vip6_key *k6 = key;

	if (a->family == XLB_AF_INET) {
		memset(k4, 0, sizeof(*k4));
		k4->addr = a->a[0];
		k4->port = htons(port);
		k4->proto = proto;
		*fd = map_fd(dp->skel->maps.xlb_vip4);
		return 0;
	}
	if (a->family == XLB_AF_INET6) {
		memset(k6, 0, sizeof(*k6));
		memcpy(k6->addr, a->a, 16);
		k6->port = htons(port);
		k6->proto = proto;
		*fd = map_fd(dp->skel->maps.xlb_vip6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int xlb_dp_vip_set(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
		   __u8 proto, const struct xlb_vip *v)
{
	struct xlb_vip6_key key;
	int fd, err;

	if (v->id >= dp->sz.max_vips || v->ring_size > dp->sz.ring_max)
		return -ERANGE;
	err = vip_key(dp, a, port, proto, &key, &fd);
	if (err)
		return err;
	return ret_errno(bpf_map_update_elem(fd, &key, v, BPF_ANY));
}

int xlb_dp_vip_get(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
		   __u8 proto, struct xlb_vip *v)
{
	struct xlb_vip6_key key;
	int fd, err;

	err = vip_key(dp, a, port, proto, &key, &fd);
	if (err)
		return err;
	return ret_errno(bpf_map_lookup_elem(fd, &key, v));
}

int xlb_dp_vip_del(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
		   __u8 proto)
{
	struct xlb_vip6_key key;
	int fd, err;

	err = vip_key(dp, a, port, proto, &key, &fd);
	if (err)
		return err;
	return ret_errno(bpf_map_delete_elem(fd, &key));
}

int xlb_dp_vip_marker_set_flags(struct xlb_dp *dp, const struct xlb_addr *a,
				__u32 vip_id, __u16 flags)
{
	struct xlb_vip v = { .id = vip_id, .flags = flags };
	__u8 proto = a->family == XLB_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	return xlb_dp_vip_set(dp, a, 0, proto, &v);
}

int xlb_dp_vip_marker_set_frag(struct xlb_dp *dp, const struct xlb_addr *a,
			       __u32 vip_id, __u16 flags, __u8 proto,
			       __u16 port)
{
	struct xlb_vip v = { .id = vip_id,
			     .ring_size = xlb_marker_frag_key(proto, port),
			     .flags = flags | XLB_VIP_F_FRAG_BALANCE };
	__u8 mp = a->family == XLB_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	struct xlb_vip6_key key;
	int fd, err;

	/* not xlb_dp_vip_set(): ring_size holds a key, not a ring size */
	if (vip_id >= dp->sz.max_vips)
		return -ERANGE;
	err = vip_key(dp, a, 0, mp, &key, &fd);
	if (err)
		return err;
	return ret_errno(bpf_map_update_elem(fd, &key, &v, BPF_ANY));
}

int xlb_dp_vip_marker_set(struct xlb_dp *dp, const struct xlb_addr *a,
			  __u32 vip_id)
{
	return xlb_dp_vip_marker_set_flags(dp, a, vip_id, 0);
}

int xlb_dp_vip_marker_del(struct xlb_dp *dp, const struct xlb_addr *a)
{
	__u8 proto = a->family == XLB_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	return xlb_dp_vip_del(dp, a, 0, proto);
}

int xlb_dp_vip_foreach(struct xlb_dp *dp, xlb_dp_vip_cb cb, void *ctx)
{
	struct xlb_vip4_key k4, *p4 = NULL;
	struct xlb_vip6_key k6, *p6 = NULL;
	struct xlb_addr a;
	struct xlb_vip v;
	int fd, r;

	fd = map_fd(dp->skel->maps.xlb_vip4);
	while (!bpf_map_get_next_key(fd, p4, &k4)) {
		p4 = &k4;
		if (bpf_map_lookup_elem(fd, &k4, &v))
			continue;
		memset(&a, 0, sizeof(a));
		a.family = XLB_AF_INET;
		a.a[0] = k4.addr;
		r = cb(&a, ntohs(k4.port), k4.proto, &v, ctx);
		if (r)
			return r;
	}
	fd = map_fd(dp->skel->maps.xlb_vip6);
	while (!bpf_map_get_next_key(fd, p6, &k6)) {
		p6 = &k6;
		if (bpf_map_lookup_elem(fd, &k6, &v))
			continue;
		memset(&a, 0, sizeof(a));
		a.family = XLB_AF_INET6;
		memcpy(a.a, k6.addr, 16);
		r = cb(&a, ntohs(k6.port), k6.proto, &v, ctx);
		if (r)
			return r;
	}
	return 0;
}

/* --- rings ----------------------------------------------------------------*/

static __u32 *ring_copy(struct xlb_dp *dp, __u32 vip_id, __u32 copy)
{
	return dp->ring + xlb_ring_index(vip_id, copy & 1, dp->sz.ring_max, 0);
}

int xlb_dp_ring_write(struct xlb_dp *dp, __u32 vip_id, __u32 copy,
		      const __u32 *slots, __u32 n)
{
	if (vip_id >= dp->sz.max_vips || copy > 1 || n > dp->sz.ring_max)
		return -ERANGE;
	memcpy(ring_copy(dp, vip_id, copy), slots, (size_t)n * sizeof(*slots));
	return 0;
}

int xlb_dp_ring_read(struct xlb_dp *dp, __u32 vip_id, __u32 copy, __u32 *slots,
		     __u32 n)
{
	if (vip_id >= dp->sz.max_vips || copy > 1 || n > dp->sz.ring_max)
		return -ERANGE;
	memcpy(slots, ring_copy(dp, vip_id, copy), (size_t)n * sizeof(*slots));
	return 0;
}

int xlb_dp_ring_slot(struct xlb_dp *dp, __u32 vip_id, __u32 copy, __u32 slot,
		     __u32 *id)
{
	if (vip_id >= dp->sz.max_vips || copy > 1 || slot >= dp->sz.ring_max)
		return -ERANGE;
	*id = ring_copy(dp, vip_id, copy)[slot];
	return 0;
}

int xlb_dp_flow_pick(struct xlb_dp *dp, const struct xlb_vip *v,
		     const struct xlb_flow *f, __u32 *slot, __u32 *id)
{
	struct xlb_config c;
	int err;

	if (!v->ring_size || v->ring_size > dp->sz.ring_max) {
		*slot = 0;
		*id = XLB_BACKEND_NONE;
		return 0;
	}
	err = xlb_dp_config_get(dp, &c);
	if (err)
		return err;
	*slot = xlb_hash_slot(xlb_flow_hash(c.hash_seed, f, v->flags),
			      v->ring_size);
	return xlb_dp_ring_slot(dp, v->id, v->active & 1, *slot, id);
}

void xlb_dp_second_chance_set(struct xlb_dp *dp, __u32 seconds)
{
	dp->second_chance_s = seconds;
}

int xlb_dp_ring_prev_get(struct xlb_dp *dp, __u32 vip_id,
			 struct xlb_ring_prev *rp)
{
	if (vip_id >= dp->sz.max_vips)
		return -ERANGE;
	return ret_errno(bpf_map_lookup_elem(
		map_fd(dp->skel->maps.xlb_ring_prev), &vip_id, rp));
}

int xlb_dp_ring_prev_set(struct xlb_dp *dp, __u32 vip_id,
			 const struct xlb_ring_prev *rp)
{
	if (vip_id >= dp->sz.max_vips)
		return -ERANGE;
	return ret_errno(bpf_map_update_elem(
		map_fd(dp->skel->maps.xlb_ring_prev), &vip_id, rp, BPF_ANY));
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

int xlb_dp_ring_publish(struct xlb_dp *dp, const struct xlb_addr *a, __u16 port,
			__u8 proto, struct xlb_vip *v, const __u32 *slots,
			__u32 n)
{
	struct xlb_ring_prev rp = {};
	struct xlb_vip nv = *v;
	int err;

	if (v->id >= dp->sz.max_vips)
		return -ERANGE;
	nv.active = !(v->active & 1);
	nv.ring_size = n;
	/* Second chance (bpf/chance.h): the copy about to be rewritten may
	 * be the previous ring of a window still open. Close it first: the
	 * program then no longer reads that copy (a packet that read the
	 * entry just before reads one slot of the old or the new ring, a
	 * backend id of this VIP either way, checked as usual). */
	err = xlb_dp_ring_prev_set(dp, v->id, &rp);
	if (err)
		return err;
	err = xlb_dp_ring_write(dp, v->id, nv.active, slots, n);
	if (err)
		return err;
	/* Stores to the mmapped ring are ordered before the map update by
	 * the syscall itself (a full barrier on every architecture). */
	err = xlb_dp_vip_set(dp, a, port, proto, &nv);
	if (err)
		return err;
	/* The copy just replaced is the previous ring, for the window; a
	 * VIP without a ring before (a new one, or a reused id) has none. */
	if (dp->second_chance_s && v->ring_size) {
		rp.until_ns = mono_ns() + dp->second_chance_s * 1000000000ull;
		rp.ring_size = v->ring_size;
		rp.copy = v->active & 1;
		err = xlb_dp_ring_prev_set(dp, v->id, &rp);
		if (err)
			pr_warn("vip %u: second chance: %s (the new ring is "
				"live; moved connections take it)",
				v->id, strerror(-err));
	}
	*v = nv;
	return 0;
}

/* --- backends -------------------------------------------------------------*/

int xlb_dp_backend_set(struct xlb_dp *dp, __u32 id, const struct xlb_backend *b)
{
	if (id >= dp->sz.max_backends)
		return -ERANGE;
	return ret_errno(bpf_map_update_elem(
		map_fd(dp->skel->maps.xlb_backends), &id, b, BPF_ANY));
}

int xlb_dp_backend_get(struct xlb_dp *dp, __u32 id, struct xlb_backend *b)
{
	if (id >= dp->sz.max_backends)
		return -ERANGE;
	return ret_errno(bpf_map_lookup_elem(
		map_fd(dp->skel->maps.xlb_backends), &id, b));
}

/* --- counters -------------------------------------------------------------*/

/* Sum a per-CPU value of @n u64 counters into @out. */
static int percpu_sum(struct xlb_dp *dp, int fd, __u32 key, __u64 *out,
		      size_t n)
{
	size_t stride = (n * sizeof(__u64) + 7) & ~7ul;
	__u64 *buf;
	int cpu, err = 0;
	size_t i;

	buf = calloc(dp->ncpus, stride);
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, buf)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, n * sizeof(__u64));
	for (cpu = 0; cpu < dp->ncpus; cpu++)
		for (i = 0; i < n; i++)
			out[i] += buf[cpu * (stride / 8) + i];
out:
	free(buf);
	return err;
}

static int percpu_clear(struct xlb_dp *dp, int fd, __u32 key, size_t vsize)
{
	void *buf = calloc(dp->ncpus, (vsize + 7) & ~7ul);
	int err;

	if (!buf)
		return -ENOMEM;
	err = ret_errno(bpf_map_update_elem(fd, &key, buf, BPF_ANY));
	free(buf);
	return err;
}

int xlb_dp_stats_global(struct xlb_dp *dp, struct xlb_global_stats *out)
{
	return percpu_sum(dp, map_fd(dp->skel->maps.xlb_stats_v4), 0, out->c,
			  XLB_C_MAX);
}

int xlb_dp_stats_vip(struct xlb_dp *dp, __u32 id, struct xlb_vip_stats *out)
{
	return percpu_sum(dp, map_fd(dp->skel->maps.xlb_vip_stats), id,
			  (__u64 *)out, sizeof(*out) / sizeof(__u64));
}

int xlb_dp_stats_backend(struct xlb_dp *dp, __u32 id, struct xlb_be_stats *out)
{
	return percpu_sum(dp, map_fd(dp->skel->maps.xlb_be_stats), id,
			  (__u64 *)out, sizeof(*out) / sizeof(__u64));
}

int xlb_dp_stats_vip_clear(struct xlb_dp *dp, __u32 id)
{
	return percpu_clear(dp, map_fd(dp->skel->maps.xlb_vip_stats), id, sizeof(struct xlb_vip_stats)) ?:
		       percpu_clear(dp, map_fd(dp->skel->maps.xlb_chance_cnt), id, sizeof(struct xlb_chance_stats)) ?:
		       percpu_clear(dp, map_fd(dp->skel->maps.xlb_quic_vcnt),
				    id, sizeof(struct xlb_quic_stats));
}

int xlb_dp_stats_chance(struct xlb_dp *dp, __u32 id,
			struct xlb_chance_stats *out)
{
	return percpu_sum(dp, map_fd(dp->skel->maps.xlb_chance_cnt), id,
			  (__u64 *)out, sizeof(*out) / sizeof(__u64));
}

int xlb_dp_stats_backend_clear(struct xlb_dp *dp, __u32 id)
{
	return percpu_clear(dp, map_fd(dp->skel->maps.xlb_be_stats), id,
			    sizeof(struct xlb_be_stats));
}

/* --- connection table -----------------------------------------------------*/

/* The flow's key, its set, and the table's fd. */
static int conn_key(struct xlb_dp *dp, const struct xlb_flow *f, void *key,
		    __u32 *set, int *fd)
{
	struct xlb_conn4_key *k4 = key;
	struct xlb_conn6_key *k6 = key;
	__u64 h;

	if (f->src.family != f->dst.family)
		return -EINVAL;
	if (f->src.family == XLB_AF_INET) {
		memset(k4, 0, sizeof(*k4));
		k4->src = f->src.a[0];
		k4->dst = f->dst.a[0];
		k4->sport = htons(f->sport);
		k4->dport = htons(f->dport);
		k4->proto = f->proto;
		h = xlb_hash4(dp->conn_seed, k4->src, k4->dst, k4->sport,
			      k4->dport, k4->proto);
		*fd = map_fd(dp->skel->maps.xlb_conn4_v3);
	} else if (f->src.family == XLB_AF_INET6) {
		memset(k6, 0, sizeof(*k6));
		memcpy(k6->src, f->src.a, 16);
		memcpy(k6->dst, f->dst.a, 16);
		k6->sport = htons(f->sport);
		k6->dport = htons(f->dport);
		k6->proto = f->proto;
		h = xlb_hash6(dp->conn_seed, k6->src, k6->dst, k6->sport,
			      k6->dport, k6->proto);
		*fd = map_fd(dp->skel->maps.xlb_conn6_v3);
	} else {
		return -EAFNOSUPPORT;
	}
	*set = (__u32)h & (xlb_conn_sets(dp->sz.conn_max) - 1);
	return 0;
}

/* way @i of a set of the family of @f: its key and its entry */
static void way_of(const struct xlb_flow *f, void *set, int i, void **k,
		   struct xlb_conn **c, size_t *klen)
{
	if (f->src.family == XLB_AF_INET) {
		struct xlb_conn4_set *s = set;

		*k = &s->w[i].k;
		*c = &s->w[i].c;
		*klen = sizeof(s->w[i].k);
	} else {
		struct xlb_conn6_set *s = set;

		*k = &s->w[i].k;
		*c = &s->w[i].c;
		*klen = sizeof(s->w[i].k);
	}
}

int xlb_dp_conn_get(struct xlb_dp *dp, const struct xlb_flow *f,
		    struct xlb_conn *c)
{
	struct xlb_conn6_set set;
	struct xlb_conn6_key key;
	struct xlb_conn *wc;
	__u32 idx;
	size_t klen;
	void *wk;
	int fd, err, i;

	err = conn_key(dp, f, &key, &idx, &fd);
	if (err)
		return err;
	if (bpf_map_lookup_elem(fd, &idx, &set))
		return -errno;
	for (i = 0; i < XLB_CONN_WAYS; i++) {
		way_of(f, &set, i, &wk, &wc, &klen);
		if (wc->used && !memcmp(wk, &key, klen)) {
			*c = *wc;
			return 0;
		}
	}
	return -ENOENT;
}

int xlb_dp_conn_set(struct xlb_dp *dp, const struct xlb_flow *f,
		    const struct xlb_conn *c)
{
	struct xlb_conn6_set set;
	struct xlb_conn6_key key;
	struct xlb_conn *wc;
	__u32 idx;
	size_t klen;
	void *wk;
	int fd, err, i, pick = -1;

	err = conn_key(dp, f, &key, &idx, &fd);
	if (err)
		return err;
	if (bpf_map_lookup_elem(fd, &idx, &set))
		return -errno;
	/* the flow's own way, else a free one, else the first */
	for (i = 0; i < XLB_CONN_WAYS && pick < 0; i++) {
		way_of(f, &set, i, &wk, &wc, &klen);
		if (wc->used && !memcmp(wk, &key, klen))
			pick = i;
	}
	for (i = 0; i < XLB_CONN_WAYS && pick < 0; i++) {
		way_of(f, &set, i, &wk, &wc, &klen);
		if (!wc->used)
			pick = i;
	}
	way_of(f, &set, pick < 0 ? 0 : pick, &wk, &wc, &klen);
	memcpy(wk, &key, klen);
	*wc = *c;
	wc->used = 1;
	return ret_errno(bpf_map_update_elem(fd, &idx, &set, BPF_ANY));
}

/* entries in use in a table, read through a read-only mapping */
static __u64 count_used(int fd, __u32 sets, size_t set_size, size_t way_size,
			size_t key_size)
{
	size_t len = (size_t)sets * set_size, i;
	const struct xlb_conn *c;
	const char *m;
	__u64 n = 0;
	int w;

	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 0;
	for (i = 0; i < sets; i++)
		for (w = 0; w < XLB_CONN_WAYS; w++) {
			c = (const struct xlb_conn *)(m + i * set_size +
						      w * way_size + key_size);
			n += c->used != 0;
		}
	munmap((void *)m, len);
	return n;
}

int xlb_dp_conn_count(struct xlb_dp *dp, __u64 *n4, __u64 *n6)
{
	__u32 sets = xlb_conn_sets(dp->sz.conn_max);

	*n4 = count_used(map_fd(dp->skel->maps.xlb_conn4_v3), sets,
			 sizeof(struct xlb_conn4_set),
			 sizeof(struct xlb_conn4_way),
			 sizeof(struct xlb_conn4_key));
	*n6 = count_used(map_fd(dp->skel->maps.xlb_conn6_v3), sets,
			 sizeof(struct xlb_conn6_set),
			 sizeof(struct xlb_conn6_way),
			 sizeof(struct xlb_conn6_key));
	return 0;
}

__u64 xlb_flow_hash(__u32 seed, const struct xlb_flow *f, __u16 vip_flags)
{
	__be16 sport = htons(f->sport), dport = htons(f->dport);

	if (vip_flags & XLB_VIP_F_SRC_ONLY)
		sport = dport = 0;
	if (f->src.family == XLB_AF_INET)
		return xlb_hash4(seed, f->src.a[0], f->dst.a[0], sport, dport,
				 f->proto);
	return xlb_hash6(seed, f->src.a, f->dst.a, sport, dport, f->proto);
}

/* --- pins and programs agree ------------------------------------------- */

/*
 * The maps xlb pins are its non-internal maps: their kernel names start
 * with "xlb_" and hold no '.' (internal maps are "<object>.rodata" and the
 * like). Kernel names are cut to BPF_OBJ_NAME_LEN - 1 characters, so
 * names are compared that way.
 */
static bool is_pinned_name(const char *name)
{
	return !strncmp(name, "xlb_", 4) && !strchr(name, '.');
}

static int obj_id(int fd, __u32 *id, char *name, size_t namelen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	if (name)
		snprintf(name, namelen, "%s", info.name);
	return 0;
}

/* ids of the maps program @prog_fd uses; caller frees *ids */
static int prog_map_ids(int prog_fd, __u32 **ids, __u32 *n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), cnt;

	*ids = NULL;
	*n = 0;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	cnt = info.nr_map_ids;
	if (!cnt)
		return 0;
	*ids = calloc(cnt, sizeof(__u32));
	if (!*ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = cnt;
	info.map_ids = (__u64)(unsigned long)*ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		free(*ids);
		*ids = NULL;
		return -errno;
	}
	*n = info.nr_map_ids < cnt ? info.nr_map_ids : cnt;
	return 0;
}

static bool id_in(const __u32 *ids, __u32 n, __u32 id)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

int xlb_dp_repin_from_prog(const char *pin_dir, int prog_fd, int *repinned,
			   char *err, size_t errlen)
{
	char p[PATH_MAX], name[BPF_OBJ_NAME_LEN];
	__u32 *ids, n, i, id = 0, pid = 0;
	int r, fd, pfd;

	*repinned = 0;
	r = prog_map_ids(prog_fd, &ids, &n);
	if (r) {
		snprintf(err, errlen, "reading the attached program: %s",
			 strerror(-r));
		return r;
	}
	for (i = 0; i < n; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		r = obj_id(fd, &id, name, sizeof(name));
		if (r || !is_pinned_name(name)) {
			close(fd);
			continue;
		}
		pin_path(p, sizeof(p), pin_dir, name);
		pfd = bpf_obj_get(p);
		if (pfd >= 0) {
			r = obj_id(pfd, &pid, NULL, 0);
			close(pfd);
			if (!r && pid != id) {
				snprintf(err, errlen,
					 "pinned map %s is map id %u, but the "
					 "attached program uses map id %u: "
					 "remove the pin (rm %s) and start "
					 "xlbd again to re-pin the program's "
					 "own map, or 'xlbctl dp detach' to "
					 "start over (loses every flow)",
					 p, pid, id, p);
				close(fd);
				free(ids);
				return -EXDEV;
			}
			close(fd);
			continue;
		}
		if (mkdir(pin_dir, 0700) && errno != EEXIST) {
			r = -errno;
			snprintf(err, errlen, "mkdir %s: %s", pin_dir,
				 strerror(-r));
			close(fd);
			free(ids);
			return r;
		}
		if (bpf_obj_pin(fd, p)) {
			r = -errno;
			snprintf(err, errlen, "re-pin %s (map id %u): %s", p,
				 id, strerror(-r));
			close(fd);
			free(ids);
			return r;
		}
		pr_warn("re-pinned %s from the attached program (map id %u): "
			"its pin was gone",
			p, id);
		(*repinned)++;
		close(fd);
	}
	free(ids);
	return 0;
}

int xlb_dp_verify(struct xlb_dp *dp, const char *pin_dir, int prog_fd,
		  bool repair, char *err, size_t errlen)
{
	char p[PATH_MAX], name[BPF_OBJ_NAME_LEN];
	__u32 *ids = NULL, *own = NULL, n = 0, n_own = 0, ours = 0, theirs = 0;
	struct bpf_map *map;
	int r = 0, pfd;

	if (prog_fd >= 0) {
		r = prog_map_ids(prog_fd, &ids, &n);
		r = r ?: prog_map_ids(xlb_dp_prog_fd(dp), &own, &n_own);
		if (r) {
			snprintf(err, errlen, "reading the program: %s",
				 strerror(-r));
			free(ids);
			return r;
		}
	}
	bpf_object__for_each_map(map, dp->skel->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		r = obj_id(bpf_map__fd(map), &ours, name, sizeof(name));
		if (r) {
			snprintf(err, errlen, "map %s: %s", bpf_map__name(map),
				 strerror(-r));
			break;
		}
		/* every map our own program uses, the attached one must use
		 * too (compared by id: opening a map by id would need
		 * CAP_SYS_ADMIN) */
		if (prog_fd >= 0 && id_in(own, n_own, ours) &&
		    !id_in(ids, n, ours)) {
			snprintf(err, errlen,
				 "the attached program does not use xlbd's map "
				 "%s (id %u)",
				 bpf_map__name(map), ours);
			r = -EXDEV;
			break;
		}
		if (!pin_dir)
			continue;
		pin_path(p, sizeof(p), pin_dir, bpf_map__name(map));
		pfd = bpf_obj_get(p);
		if (pfd < 0 && errno == ENOENT && repair) {
			if (bpf_obj_pin(bpf_map__fd(map), p)) {
				r = -errno;
				snprintf(err, errlen, "re-pin %s: %s", p,
					 strerror(-r));
				break;
			}
			pr_warn("re-pinned %s (map id %u): its pin was gone", p,
				ours);
			continue;
		}
		if (pfd < 0) {
			r = -errno;
			snprintf(err, errlen, "pinned map %s: %s", p,
				 strerror(-r));
			break;
		}
		r = obj_id(pfd, &theirs, NULL, 0);
		close(pfd);
		if (!r && theirs != ours) {
			snprintf(err, errlen,
				 "pinned map %s is map id %u, but xlbd writes "
				 "map id %u",
				 p, theirs, ours);
			r = -EXDEV;
		}
		if (r)
			break;
	}
	free(ids);
	free(own);
	return r;
}

bool xlb_dp_conns_created(const struct xlb_dp *dp)
{
	return dp->adopted && dp->conns_created;
}

int xlb_dp_maps_origin(const struct xlb_dp *dp, unsigned int *adopted,
		       unsigned int *created)
{
	*adopted = dp->maps_adopted;
	*created = dp->maps_created;
	return 0;
}

/* --- the program's identity: its tag and its .rodata -------------------- */

/* Pin of the attached program's .rodata (no '.': xlb_dp_unpin() takes it) */
#define RODATA_PIN "xlb_lb_rodata"

/* Whether map @fd is a program's .rodata ("<object>.rodata"), and its
 * value's size. */
static bool is_rodata(int fd, __u32 *size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	size_t n;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	n = strlen(info.name);
	*size = info.value_size;
	return info.type == BPF_MAP_TYPE_ARRAY && info.max_entries == 1 &&
	       n > 7 && !strcmp(info.name + n - 7, ".rodata");
}

/*
 * An fd of the .rodata of program @prog_fd (caller closes): the one pinned
 * in @pin_dir if the program uses it, else found among its maps by id
 * (which needs CAP_SYS_ADMIN). -ENOENT if neither finds it.
 */
static int prog_rodata_fd(int prog_fd, const char *pin_dir, int *out,
			  __u32 *size)
{
	char p[PATH_MAX];
	__u32 *ids, n, i, id = 0;
	int r, fd;

	*out = -1;
	r = prog_map_ids(prog_fd, &ids, &n);
	if (r)
		return r;
	if (pin_dir) {
		pin_path(p, sizeof(p), pin_dir, RODATA_PIN);
		fd = bpf_obj_get(p);
		if (fd >= 0 && !obj_id(fd, &id, NULL, 0) && id_in(ids, n, id) &&
		    is_rodata(fd, size)) {
			*out = fd;
			goto out;
		}
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < n; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (is_rodata(fd, size)) {
			*out = fd;
			goto out;
		}
		close(fd);
	}
	r = -ENOENT;
out:
	free(ids);
	return r;
}

/* The value of .rodata map @fd (key 0) in @buf of @size bytes. */
static int rodata_read(int fd, __u32 size, void **buf)
{
	__u32 zero = 0;

	*buf = calloc(1, size ?: 1);
	if (!*buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, *buf)) {
		free(*buf);
		*buf = NULL;
		return -errno;
	}
	return 0;
}

int xlb_dp_prog_same(struct xlb_dp *dp, int prog_fd, const char **why)
{
	int own_fd = bpf_map__fd(dp->skel->maps.rodata), fd = -1, r;
	const char *w = "it could not be read";
	__u8 tag[8], own_tag[8];
	__u32 size = 0, own_size = 0;
	void *theirs = NULL, *own = NULL;

	r = xlb_prog_tag(prog_fd, tag, NULL);
	r = r ?: xlb_prog_tag(xlb_dp_prog_fd(dp), own_tag, NULL);
	if (r)
		goto out;
	if (memcmp(tag, own_tag, sizeof(tag))) {
		w = "another build";
		goto out;
	}
	if (!is_rodata(own_fd, &own_size)) {
		r = -EINVAL;
		goto out;
	}
	r = prog_rodata_fd(prog_fd, dp->pin_dir, &fd, &size);
	if (r == -ENOENT) {
		/* replacing keeps every flow: the safe answer */
		w = "its load-time constants cannot be read";
		r = 0;
		goto out;
	}
	r = r ?: rodata_read(fd, size, &theirs);
	r = r ?: rodata_read(own_fd, own_size, &own);
	if (!r) {
		w = "other load-time constants (lb.outer_ttl, table sizes)";
		r = size == own_size && theirs && own &&
		    !memcmp(theirs, own, size);
	}
out:
	if (fd >= 0)
		close(fd);
	free(theirs);
	free(own);
	if (r <= 0)
		*why = w;
	return r;
}

int xlb_dp_rodata_pin(struct xlb_dp *dp, int prog_fd)
{
	__u32 id = 0, pid = 0, size = 0;
	char p[PATH_MAX];
	int fd = -1, pfd, r;

	if (!dp->pin_dir)
		return 0;
	if (prog_fd == xlb_dp_prog_fd(dp)) {
		fd = dup(bpf_map__fd(dp->skel->maps.rodata));
		r = fd < 0 ? -errno : 0;
	} else {
		r = prog_rodata_fd(prog_fd, dp->pin_dir, &fd, &size);
	}
	r = r ?: obj_id(fd, &id, NULL, 0);
	if (r)
		goto out;
	pin_path(p, sizeof(p), dp->pin_dir, RODATA_PIN);
	pfd = bpf_obj_get(p);
	if (pfd >= 0) {
		r = obj_id(pfd, &pid, NULL, 0);
		close(pfd);
		if (!r && pid == id)
			goto out;
		r = 0;
	}
	if (unlink(p) && errno != ENOENT)
		r = -errno;
	else if (bpf_obj_pin(fd, p))
		r = -errno;
out:
	if (fd >= 0)
		close(fd);
	return r;
}
