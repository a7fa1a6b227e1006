// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: veth_bench - the pieces of tests/bench/bench_veth.sh that need C
 *
 * veth_bench attach IF OBJ PROG [FLOWS]
 *	Attaches program PROG of OBJ to IF in native (driver) mode, in place
 *	of any program there, and exits; the attachment keeps the program.
 *	"ip link set dev IF xdp off" ends it. With FLOWS, the object's
 *	gen_cfg map gets it first (veth_reflect of
 *	tests/bench/veth_gen.bpf.c: how many flows to cycle through).
 *	An object with a floor_tbl map (tests/bench/floor_mem.bpf.c) has it
 *	sized from VETH_TBL_SETS, if set.
 *
 * veth_bench xlb IF NHMAC SRC4 BACKEND...
 *	Loads xlb.bpf.o through the library (userspace/lib/dp/dp.c) with private
 *	maps of the default sizes, configures the VIP 192.0.2.10 UDP 5300 over
 *	the BACKENDs (IPv4, next hop NHMAC, LB source SRC4, a ring of
 *	XLB_DEFAULT_RING_SIZE slots shared out in turn), attaches xlb_lb to IF
 *	in native mode and exits: what xlbd would have set up for that VIP.
 *	Environment: VETH_CONN_MAX sets the connection table's size (flows;
 *	default XLB_DEFAULT_CONN_MAX), VETH_NO_CONN=1 makes the VIP one
 *	without a connection table (conn_table: false: every packet through
 *	the ring).
 *
 * veth_bench stats IF
 *	Prints the non-zero global counters (XLB_MAP_STATS, summed over CPUs)
 *	of the xlb program attached to IF on one line: "tx N conn_hit N ...".
 *
 * All run in the caller's network namespace (nsenter first).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "dp.h"

#define VIP	     "192.0.2.10"
#define VIP_PORT     5300
#define MAX_BACKENDS 64

static int parse_mac(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

static int ifindex_of(const char *name)
{
	unsigned int i = if_nametoindex(name);

	if (!i) {
		fprintf(stderr, "veth_bench: no interface %s: %s\n", name,
			strerror(errno));
		return -ENODEV;
	}
	return (int)i;
}

static int attach(int ifindex, int prog, const char *what)
{
	int err = bpf_xdp_attach(ifindex, prog, XDP_FLAGS_DRV_MODE, NULL);

	if (err)
		fprintf(stderr, "veth_bench: attaching %s: %s\n", what,
			strerror(-err));
	return err;
}

/*
 * floor_mem (tests/bench/floor_mem.bpf.c): floor_tbl gets VETH_TBL_SETS
 * entries (a power of two) and floor_mask their mask, before the load.
 */
static int size_floor_tbl(struct bpf_object *obj)
{
	struct bpf_map *tbl = bpf_object__find_map_by_name(obj, "floor_tbl");
	struct bpf_map *data = bpf_object__find_map_by_name(obj, ".data");
	const char *env = getenv("VETH_TBL_SETS");
	unsigned long n;
	__u32 mask;

	if (!tbl || !env)
		return 0;
	n = strtoul(env, NULL, 0);
	mask = (__u32)(n - 1);
	/* floor_mask is the only variable of .data */
	if (!n || n & (n - 1) || n > (1ul << 24) || !data ||
	    bpf_map__set_initial_value(data, &mask, sizeof(mask)) ||
	    bpf_map__set_max_entries(tbl, (__u32)n)) {
		fprintf(stderr, "veth_bench: bad VETH_TBL_SETS %s\n", env);
		return -EINVAL;
	}
	return 0;
}

static int open_prog(const char *path, const char *name,
		     struct bpf_object **objp, struct bpf_program **progp)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog = NULL;
	int err;

	if (!obj) {
		err = -errno;
		fprintf(stderr, "veth_bench: opening %s: %s\n", path,
			strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(obj, name);
	if (prog && size_floor_tbl(obj)) {
		bpf_object__close(obj);
		return -EINVAL;
	}
	if (!prog) {
		fprintf(stderr, "veth_bench: no program %s in %s\n", name,
			path);
		bpf_object__close(obj);
		return -ENOENT;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "veth_bench: loading %s: %s\n", path,
			strerror(-err));
		bpf_object__close(obj);
		return err;
	}
	*objp = obj;
	*progp = prog;
	return 0;
}

static int cmd_attach(int argc, char **argv)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *prog = NULL;
	int ifindex = ifindex_of(argv[0]), map, err;
	struct gen_cfg {
		__u32 flows;
		__u32 pad;
	} gc = { 0 };
	__u32 key = 0;

	if (ifindex < 0)
		return ifindex;
	if (argc > 3) {
		gc.flows = (__u32)strtoul(argv[3], NULL, 0);
		if (!gc.flows || gc.flows & (gc.flows - 1)) {
			fprintf(stderr, "veth_bench: FLOWS must be a power "
					"of two\n");
			return -EINVAL;
		}
	}
	err = open_prog(argv[1], argv[2], &obj, &prog);
	if (err)
		return err;
	if (gc.flows) {
		map = bpf_object__find_map_fd_by_name(obj, "gen_cfg");
		if (map < 0 || bpf_map_update_elem(map, &key, &gc, 0)) {
			fprintf(stderr, "veth_bench: setting gen_cfg: %s\n",
				strerror(errno));
			bpf_object__close(obj);
			return -EIO;
		}
	}
	err = attach(ifindex, bpf_program__fd(prog), argv[2]);
	bpf_object__close(obj);
	return err;
}

static int cmd_xlb(int argc, char **argv)
{
	static __u32 slots[XLB_DEFAULT_RING_SIZE];
	struct xlb_dp_opts o = { 0 };
	struct xlb_config cfg = {
		.hash_seed = 0x12345678,
		.flags = XLB_CFG_F_NH_VALID | XLB_CFG_F_SRC4_VALID,
	};
	struct xlb_vip e = { .id = 0 };
	struct xlb_dp *dp = NULL;
	struct xlb_addr vip;
	int ifindex = ifindex_of(argv[0]), nbe = argc - 3, i, err;
	const char *env;

	if (ifindex < 0)
		return ifindex;
	env = getenv("VETH_CONN_MAX");
	if (env)
		o.sizes.conn_max = (__u32)strtoul(env, NULL, 0);
	env = getenv("VETH_NO_CONN");
	if (env && *env == '1')
		e.flags |= XLB_VIP_F_NO_CONN;
	if (nbe < 1 || nbe > MAX_BACKENDS || parse_mac(argv[1], cfg.nh_mac) ||
	    inet_pton(AF_INET, argv[2], &cfg.src4) != 1) {
		fprintf(stderr, "veth_bench xlb: bad arguments\n");
		return -EINVAL;
	}
	err = xlb_dp_open(&o, &dp);
	if (err) {
		fprintf(stderr, "veth_bench: opening the data path: %s\n",
			strerror(-err));
		return err;
	}
	err = xlb_dp_config_set(dp, &cfg);
	for (i = 0; i < nbe && !err; i++) {
		struct xlb_backend b = { .vip_id = 0,
					 .gen = 1,
					 .family = XLB_AF_INET,
					 .state = XLB_BE_UP };

		if (inet_pton(AF_INET, argv[3 + i], &b.addr[0]) != 1) {
			fprintf(stderr, "veth_bench: bad backend %s\n",
				argv[3 + i]);
			err = -EINVAL;
			break;
		}
		err = xlb_dp_backend_set(dp, (__u32)i, &b);
	}
	for (i = 0; i < XLB_DEFAULT_RING_SIZE; i++)
		slots[i] = (__u32)(i % nbe);
	err = err ?: xlb_addr_parse(VIP, &vip);
	err = err ?: xlb_dp_vip_set(dp, &vip, VIP_PORT, IPPROTO_UDP, &e);
	err = err ?: xlb_dp_vip_marker_set(dp, &vip, 0);
	err = err   ?:
		      xlb_dp_ring_publish(dp, &vip, VIP_PORT, IPPROTO_UDP, &e,
					  slots, XLB_DEFAULT_RING_SIZE);
	if (err)
		fprintf(stderr, "veth_bench: filling the maps: %s\n",
			strerror(-err));
	err = err ?: attach(ifindex, xlb_dp_prog_fd(dp), "xlb_lb");
	xlb_dp_close(dp);
	return err;
}

/* The map named @name among those of program @prog_fd, as a new fd */
static int prog_map(int prog_fd, const char *name)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), ids[64], i;

	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < 64; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 ml = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &ml) &&
		    !strcmp(mi.name, name))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static int cmd_stats(char **argv)
{
	int ifindex = ifindex_of(argv[0]), ncpu, prog, map, err, c, k;
	struct xlb_global_stats *v;
	__u32 id = 0, key = 0;

	if (ifindex < 0)
		return ifindex;
	err = bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id);
	if (err || !id) {
		fprintf(stderr, "veth_bench: no XDP program on %s\n", argv[0]);
		return err ?: -ENOENT;
	}
	prog = bpf_prog_get_fd_by_id(id);
	if (prog < 0)
		return -errno;
	map = prog_map(prog, XLB_MAP_STATS);
	close(prog);
	if (map < 0) {
		fprintf(stderr, "veth_bench: no %s map: %s\n", XLB_MAP_STATS,
			strerror(-map));
		return map;
	}
	ncpu = libbpf_num_possible_cpus();
	v = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*v)) : NULL;
	if (!v || bpf_map_lookup_elem(map, &key, v)) {
		err = v ? -errno : -ENOMEM;
		free(v);
		close(map);
		return err;
	}
	for (k = 0; k < XLB_C_MAX; k++) {
		unsigned long long sum = 0;

		for (c = 0; c < ncpu; c++)
			sum += v[c].c[k];
		if (sum)
			printf("%s %llu ", xlb_counter_name((unsigned int)k),
			       sum);
	}
	printf("\n");
	free(v);
	close(map);
	return 0;
}

int main(int argc, char **argv)
{
	int err = -EINVAL;

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "attach"))
		err = cmd_attach(argc - 2, argv + 2);
	else if (argc == 3 && !strcmp(argv[1], "stats"))
		err = cmd_stats(argv + 2);
	else if (argc >= 6 && !strcmp(argv[1], "xlb"))
		err = cmd_xlb(argc - 2, argv + 2);
	else
		fprintf(stderr,
			"usage: veth_bench attach IF OBJ PROG [FLOWS]\n"
			"       veth_bench xlb IF NHMAC SRC4 BACKEND...\n"
			"       veth_bench stats IF\n");
	return err ? 1 : 0;
}
