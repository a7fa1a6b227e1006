// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: backend host setup, teardown and status
 *
 * See backend_host.h for what a backend host needs and what is recorded.
 * Setup works in steps, each one recorded in the state (and the state
 * file rewritten) as soon as it is done: pin the maps and the program,
 * fill the maps, VIPs on lo, sysctls, lo up, attach. Rollback after a
 * failed step and teardown share one function, undo(), which walks the
 * recorded steps backwards; in a second setup only the items marked new
 * in this run are rolled back.
 *
 * The record also names the network namespace setup ran in. Interfaces,
 * lo, addresses and sysctls are per namespace but the record (under /run)
 * and the pins (bpffs) are not: a teardown run from another namespace
 * would take that namespace's lo down and rewrite its sysctls. So setup
 * and teardown refuse to act on a record from another namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <linux/if_addr.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <xdp/libxdp.h>

#include "attach.h"
#include "backend_host.h"
#include "dp.h"
#include "log.h"
#include "xlb_decap.skel.h"

#define STATE_VERSION 2 /* 2: netns line; 1 is still read (no guard) */

/* What this run added, so a failed second setup removes only that. */
struct run {
	struct xlb_bh_state *st;
	const char *pin_dir;
	char state_path[512];
	bool vip_new[XLB_DECAP_MAX_VIPS]; /* entry new in the state */
	bool vip_lo_new[XLB_DECAP_MAX_VIPS]; /* put on lo by this run */
	bool vip_in_map_new[XLB_DECAP_MAX_VIPS];
	bool local_new[XLB_DECAP_MAX_LOCAL];
	bool source_new[XLB_DECAP_MAX_SOURCES];
	bool check_new; /* this run turned the source check on */
	bool sysctl_new[XLB_BH_MAX_SYSCTLS];
	bool lo_up_new;
	bool attached_new;
	bool pinned_new; /* the whole pin dir is this run's */
	int vips_fd;
	int local_fd;
	int sources_fd;
	int cfg_fd;
	int prog_fd;
};

/* run_close_fds() - close the map and program fds @r holds (-1 after) */
static void run_close_fds(struct run *r)
{
	int *fd[] = { &r->vips_fd, &r->local_fd, &r->sources_fd, &r->cfg_fd,
		      &r->prog_fd };
	size_t i;

	for (i = 0; i < sizeof(fd) / sizeof(fd[0]); i++) {
		if (*fd[i] >= 0)
			close(*fd[i]);
		*fd[i] = -1;
	}
}

struct xlb_decap_addr xlb_decap_key(const struct xlb_addr *a)
{
	struct xlb_decap_addr k = {};

	k.family = a->family;
	memcpy(k.addr, a->a, sizeof(k.addr));
	return k;
}

static struct xlb_addr from_key(const struct xlb_decap_addr *k)
{
	struct xlb_addr a = {};

	a.family = k->family;
	memcpy(a.a, k->addr, sizeof(a.a));
	return a;
}

int xlb_bh_prefix_parse(const char *s, struct xlb_bh_prefix *out,
			const char **why)
{
	char buf[XLB_ADDR_STRLEN + 8], *slash, *end;
	struct xlb_bh_prefix p = {};
	unsigned long len;
	int bits, i;
	const char *w = NULL;

	if (strlen(s) >= sizeof(buf)) {
		w = "too long";
		goto bad;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (xlb_addr_parse(buf, &p.addr)) {
		w = "not an IPv4 or IPv6 address";
		goto bad;
	}
	bits = p.addr.family == XLB_AF_INET ? 32 : 128;
	len = (unsigned long)bits;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || len > (unsigned long)bits) {
			w = "bad prefix length";
			goto bad;
		}
	}
	p.len = (__u8)len;
	for (i = 0; i < bits / 32; i++) {
		int keep = (int)len - i * 32;
		__u32 mask = keep >= 32 ? 0xffffffffu :
			     keep <= 0	? 0 :
					  ~(0xffffffffu >> keep);

		if (ntohl(p.addr.a[i]) & ~mask) {
			w = "host bits set after the prefix length";
			goto bad;
		}
	}
	*out = p;
	return 0;
bad:
	if (why)
		*why = w;
	return -EINVAL;
}

static bool prefix_eq(const struct xlb_bh_prefix *a,
		      const struct xlb_bh_prefix *b)
{
	return a->len == b->len && xlb_addr_eq(&a->addr, &b->addr);
}

static struct xlb_decap_prefix prefix_key(const struct xlb_bh_prefix *p)
{
	struct xlb_decap_prefix k = {};

	k.prefixlen = 32 + p->len;
	k.family = p->addr.family;
	memcpy(k.addr, p->addr.a, sizeof(k.addr));
	return k;
}

static const char *pstr(const struct xlb_bh_prefix *p)
{
	static char b[4][XLB_ADDR_STRLEN + 8];
	static int n;
	char a[XLB_ADDR_STRLEN];
	char *o = b[n++ & 3];

	snprintf(o, sizeof(b[0]), "%s/%u", xlb_addr_str(&p->addr, a), p->len);
	return o;
}

/* libxdp's notes (the dispatcher fallback on these kernels) are debug. */
static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	char buf[512];
	size_t n;

	(void)level;
	if (xlb_log_get_level() < XLB_LOG_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	pr_debug("libxdp: %s", buf);
	return 0;
}

static void quiet_libxdp(void)
{
	libxdp_set_print(libxdp_print);
}

static const char *astr(const struct xlb_addr *a)
{
	static char b[4][XLB_ADDR_STRLEN];
	static int n;

	return xlb_addr_str(a, b[n++ & 3]);
}

/* --- paths, lock, state file ---------------------------------------------- */

static const char *pin_dir_or_default(const char *d)
{
	return d && *d ? d : XLB_DECAP_PIN_DIR;
}

int xlb_bh_state_path(const char *pin_dir, char *buf, size_t len)
{
	char name[256];
	size_t o = 0;
	const char *p;

	pin_dir = pin_dir_or_default(pin_dir);
	if (pin_dir[0] != '/') {
		pr_err("backend-host: pin dir '%s' is not an absolute path",
		       pin_dir);
		return -EINVAL;
	}
	/* One file per pin dir: the path with '%' and '/' escaped. */
	for (p = pin_dir + 1; *p; p++) {
		if (o + 4 >= sizeof(name)) {
			pr_err("backend-host: pin dir '%s' is too long",
			       pin_dir);
			return -ENAMETOOLONG;
		}
		if (*p == '/' && !p[1])
			break; /* trailing slash */
		if (*p == '/' || *p == '%') {
			o += (size_t)snprintf(name + o, sizeof(name) - o,
					      "%%%02x", *p);
			continue;
		}
		name[o++] = *p;
	}
	name[o] = '\0';
	if ((size_t)snprintf(buf, len, "%s/%s.state", XLB_BH_STATE_DIR, name) >=
	    len)
		return -ENAMETOOLONG;
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[512], *p;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Lock file next to the state: one setup/teardown per pin dir at a time. */
static int lock_take(const char *state_path)
{
	char p[600];
	int fd, err;

	err = mkdir_p(XLB_BH_STATE_DIR, 0755);
	if (err) {
		pr_err("backend-host: mkdir %s: %s", XLB_BH_STATE_DIR,
		       strerror(-err));
		return err;
	}
	snprintf(p, sizeof(p), "%s.lock", state_path);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		pr_err("backend-host: %s: %s", p, strerror(-err));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		close(fd);
		if (err == -EWOULDBLOCK) {
			pr_err("backend-host: another xlbctl backend-host is "
			       "working on this pin dir (%s)",
			       p);
			return -EBUSY;
		}
		pr_err("backend-host: lock %s: %s", p, strerror(-err));
		return err;
	}
	return fd;
}

static void lock_drop(int fd, const char *state_path, bool remove)
{
	char p[600];

	if (fd < 0)
		return;
	if (remove) {
		snprintf(p, sizeof(p), "%s.lock", state_path);
		unlink(p);
	}
	close(fd);
}

/* The network namespace this process runs in, as nsfs device + inode. */
static int netns_self(__u64 *dev, __u64 *ino)
{
	struct stat sb;

	if (stat("/proc/self/ns/net", &sb)) {
		int err = -errno;

		pr_err("backend-host: stat /proc/self/ns/net: %s",
		       strerror(-err));
		return err;
	}
	*dev = (__u64)sb.st_dev;
	*ino = (__u64)sb.st_ino;
	return 0;
}

/*
 * A record made in another network namespace is not ours to act on:
 * -EXDEV with one line that says where it belongs and what to do.
 */
static int netns_check(const struct xlb_bh_state *st, const char *pin_dir)
{
	__u64 dev = 0, ino = 0;
	int err;

	if (!st->has_netns)
		return 0; /* version 1 record: made before the guard */
	err = netns_self(&dev, &ino);
	if (err)
		return err;
	if (dev == st->netns_dev && ino == st->netns_ino)
		return 0;
	pr_err("backend-host: %s was set up in network namespace net:[%llu], "
	       "this is net:[%llu]; run this in that namespace (ip netns "
	       "exec, nsenter), or 'teardown --forget' if it is gone",
	       pin_dir, (unsigned long long)st->netns_ino,
	       (unsigned long long)ino);
	return -EXDEV;
}

static int state_write(const struct xlb_bh_state *st, const char *path)
{
	char tmp[600];
	FILE *f;
	int i, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		pr_err("backend-host: write %s: %s", tmp, strerror(-err));
		return err;
	}
	fprintf(f, "# xlbctl backend-host: what setup changed; teardown "
		   "undoes it\n");
	fprintf(f, "version %d\n", STATE_VERSION);
	fprintf(f, "iface %s %d\n", st->iface, st->ifindex);
	if (st->has_netns)
		fprintf(f, "netns %llu %llu\n",
			(unsigned long long)st->netns_dev,
			(unsigned long long)st->netns_ino);
	fprintf(f, "mode %s\n", st->generic ? "generic" : "native");
	fprintf(f, "attached %d %u %d\n", st->attached, st->prog_id,
		st->dispatcher);
	fprintf(f, "lo_up %d\n", st->lo_up);
	for (i = 0; i < st->n_vips; i++)
		fprintf(f, "vip %s %s\n", astr(&st->vips[i].addr),
			st->vips[i].lo_added ? "added" : "present");
	for (i = 0; i < st->n_locals; i++)
		fprintf(f, "local %s\n", astr(&st->locals[i]));
	for (i = 0; i < st->n_sources; i++)
		fprintf(f, "source %s\n", pstr(&st->sources[i]));
	if (st->source_check)
		fprintf(f, "source_check 1\n");
	for (i = 0; i < st->n_sysctls; i++)
		fprintf(f, "sysctl %s %s %s\n", st->sysctls[i].key,
			st->sysctls[i].old, st->sysctls[i].set);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		pr_err("backend-host: write %s: %s", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}

static int state_read(const char *path, struct xlb_bh_state *st)
{
	char line[256], w[5][100];
	int n, ln = 0, err = 0, a, b, c;
	unsigned long long nd, ni;
	unsigned int id;
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = sscanf(line, "%99s %99s %99s %99s %99s", w[0], w[1], w[2],
			   w[3], w[4]);
		if (n >= 2 && !strcmp(w[0], "version")) {
			if (atoi(w[1]) != STATE_VERSION && atoi(w[1]) != 1)
				goto bad;
		} else if (n == 3 && !strcmp(w[0], "iface")) {
			if (strlen(w[1]) >= sizeof(st->iface))
				goto bad;
			strcpy(st->iface, w[1]);
			st->ifindex = atoi(w[2]);
		} else if (n == 3 && !strcmp(w[0], "netns")) {
			if (sscanf(line, "netns %llu %llu", &nd, &ni) != 2)
				goto bad;
			st->has_netns = true;
			st->netns_dev = nd;
			st->netns_ino = ni;
		} else if (n == 2 && !strcmp(w[0], "mode")) {
			st->generic = !strcmp(w[1], "generic");
		} else if (n == 4 && !strcmp(w[0], "attached")) {
			if (sscanf(line, "attached %d %u %d", &a, &id, &c) != 3)
				goto bad;
			st->attached = a;
			st->prog_id = id;
			st->dispatcher = c;
		} else if (n == 2 && !strcmp(w[0], "lo_up")) {
			b = atoi(w[1]);
			st->lo_up = b;
		} else if (n == 3 && !strcmp(w[0], "vip")) {
			if (st->n_vips >= XLB_DECAP_MAX_VIPS ||
			    xlb_addr_parse(w[1], &st->vips[st->n_vips].addr))
				goto bad;
			st->vips[st->n_vips++].lo_added =
				!strcmp(w[2], "added");
		} else if (n == 2 && !strcmp(w[0], "source")) {
			if (st->n_sources >= XLB_DECAP_MAX_SOURCES ||
			    xlb_bh_prefix_parse(
				    w[1], &st->sources[st->n_sources], NULL))
				goto bad;
			st->n_sources++;
		} else if (n == 2 && !strcmp(w[0], "source_check")) {
			st->source_check = atoi(w[1]) != 0;
		} else if (n == 2 && !strcmp(w[0], "local")) {
			if (st->n_locals >= XLB_DECAP_MAX_LOCAL ||
			    xlb_addr_parse(w[1], &st->locals[st->n_locals]))
				goto bad;
			st->n_locals++;
		} else if (n == 4 && !strcmp(w[0], "sysctl")) {
			struct xlb_bh_sysctl *s = &st->sysctls[st->n_sysctls];

			if (st->n_sysctls >= XLB_BH_MAX_SYSCTLS ||
			    strlen(w[1]) >= sizeof(s->key) ||
			    strlen(w[2]) >= sizeof(s->old) ||
			    strlen(w[3]) >= sizeof(s->set) ||
			    strstr(w[1], ".."))
				goto bad;
			strcpy(s->key, w[1]);
			strcpy(s->old, w[2]);
			strcpy(s->set, w[3]);
			st->n_sysctls++;
		} else {
			goto bad;
		}
	}
	if (!st->iface[0])
		goto bad;
	fclose(f);
	return err;
bad:
	fclose(f);
	pr_err("backend-host: state file %s: line %d unreadable", path, ln);
	return -EBADMSG;
}

/* --- sysctls ---------------------------------------------------------------*/

static int sysctl_read(const char *key, char *buf, size_t len)
{
	char p[160];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/sys/%s", key);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int sysctl_write(const char *key, const char *val)
{
	char p[160];
	ssize_t n;
	int fd, err = 0;

	snprintf(p, sizeof(p), "/proc/sys/%s", key);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The sysctls a backend needs: key, value. */
static int wanted_sysctls(const char *iface, char keys[][96], const char **vals)
{
	static const struct {
		const char *fmt;
		const char *val;
	} w[] = {
		{ "net/ipv4/conf/all/arp_ignore", "1" },
		{ "net/ipv4/conf/%s/arp_ignore", "1" },
		{ "net/ipv4/conf/all/arp_announce", "2" },
		{ "net/ipv4/conf/%s/arp_announce", "2" },
		{ "net/ipv4/conf/all/rp_filter", "0" },
		{ "net/ipv4/conf/default/rp_filter", "0" },
		{ "net/ipv4/conf/%s/rp_filter", "0" },
	};
	size_t i;

	_Static_assert(sizeof(w) / sizeof(w[0]) <= XLB_BH_MAX_SYSCTLS,
		       "room for every sysctl in the state");
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		snprintf(keys[i], 96, w[i].fmt, iface);
		vals[i] = w[i].val;
	}
	return (int)i;
}

static int apply_sysctls(struct run *r)
{
	struct xlb_bh_state *st = r->st;
	char keys[XLB_BH_MAX_SYSCTLS][96], cur[24];
	const char *vals[XLB_BH_MAX_SYSCTLS];
	int n = wanted_sysctls(st->iface, keys, vals), i, j, err;

	for (i = 0; i < n; i++) {
		err = sysctl_read(keys[i], cur, sizeof(cur));
		if (err) {
			pr_err("backend-host: sysctl %s: %s", keys[i],
			       strerror(-err));
			return err;
		}
		if (!strcmp(cur, vals[i]))
			continue;
		for (j = 0; j < st->n_sysctls; j++)
			if (!strcmp(st->sysctls[j].key, keys[i]))
				break;
		if (j == st->n_sysctls) {
			/* first change: remember the value to restore */
			if (j >= XLB_BH_MAX_SYSCTLS)
				return -E2BIG;
			snprintf(st->sysctls[j].key, sizeof(st->sysctls[j].key),
				 "%.95s", keys[i]);
			snprintf(st->sysctls[j].old, sizeof(st->sysctls[j].old),
				 "%.23s", cur);
			snprintf(st->sysctls[j].set, sizeof(st->sysctls[j].set),
				 "%.23s", vals[i]);
			st->n_sysctls++;
			r->sysctl_new[j] = true;
			err = state_write(st, r->state_path);
			if (err)
				return err;
		}
		err = sysctl_write(keys[i], vals[i]);
		if (err) {
			pr_err("backend-host: sysctl %s=%s: %s", keys[i],
			       vals[i], strerror(-err));
			return err;
		}
		pr_info("backend-host: sysctl %s: %s -> %s", keys[i], cur,
			vals[i]);
	}
	return 0;
}

/* --- netlink: VIPs on lo, lo up --------------------------------------------*/

static int nl_open(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err) {
		pr_err("backend-host: netlink: %s", nl_geterror(err));
		nl_socket_free(sk);
		return -ECONNREFUSED;
	}
	*out = sk;
	return 0;
}

static struct rtnl_addr *lo_addr(const struct xlb_addr *a, int lo)
{
	int fam = a->family == XLB_AF_INET ? AF_INET : AF_INET6;
	int plen = fam == AF_INET ? 32 : 128;
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *na;

	if (!ra)
		return NULL;
	na = nl_addr_build(fam, a->a, fam == AF_INET ? 4 : 16);
	if (!na) {
		rtnl_addr_put(ra);
		return NULL;
	}
	nl_addr_set_prefixlen(na, plen);
	rtnl_addr_set_ifindex(ra, lo);
	rtnl_addr_set_local(ra, na);
	rtnl_addr_set_prefixlen(ra, plen);
	if (fam == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	nl_addr_put(na);
	return ra;
}

/* Add @a to lo; *@added is false when it was there already. */
static int lo_addr_add(struct nl_sock *sk, int lo, const struct xlb_addr *a,
		       bool *added)
{
	struct rtnl_addr *ra = lo_addr(a, lo);
	int err;

	*added = false;
	if (!ra)
		return -ENOMEM;
	err = rtnl_addr_add(sk, ra, NLM_F_EXCL);
	rtnl_addr_put(ra);
	if (err == -NLE_EXIST)
		return 0;
	if (err) {
		pr_err("backend-host: add %s to lo: %s", astr(a),
		       nl_geterror(err));
		return -EIO;
	}
	*added = true;
	return 0;
}

static int lo_addr_del(struct nl_sock *sk, int lo, const struct xlb_addr *a)
{
	struct rtnl_addr *ra = lo_addr(a, lo);
	int err;

	if (!ra)
		return -ENOMEM;
	err = rtnl_addr_delete(sk, ra, 0);
	rtnl_addr_put(ra);
	if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND)
		return 0;
	if (err) {
		pr_err("backend-host: remove %s from lo: %s", astr(a),
		       nl_geterror(err));
		return -EIO;
	}
	return 0;
}

/* Set lo up (@up) or down; *@changed when it was not so already. */
static int lo_set(struct nl_sock *sk, bool up, bool *changed)
{
	struct rtnl_link *link = NULL, *chg = NULL;
	int err;

	if (changed)
		*changed = false;
	err = rtnl_link_get_kernel(sk, 0, "lo", &link);
	if (err) {
		pr_err("backend-host: lo: %s", nl_geterror(err));
		return -ENODEV;
	}
	if (!!(rtnl_link_get_flags(link) & IFF_UP) == up)
		goto out;
	chg = rtnl_link_alloc();
	if (!chg) {
		err = -ENOMEM;
		goto out;
	}
	if (up)
		rtnl_link_set_flags(chg, IFF_UP);
	else
		rtnl_link_unset_flags(chg, IFF_UP);
	err = rtnl_link_change(sk, link, chg, 0);
	if (err) {
		pr_err("backend-host: set lo %s: %s", up ? "up" : "down",
		       nl_geterror(err));
		err = -EIO;
		goto out;
	}
	if (changed)
		*changed = true;
out:
	if (chg)
		rtnl_link_put(chg);
	rtnl_link_put(link);
	return err;
}

static bool is_vip(const struct xlb_bh_state *st, const struct xlb_addr *a)
{
	int i;

	for (i = 0; i < st->n_vips; i++)
		if (xlb_addr_eq(&st->vips[i].addr, a))
			return true;
	return false;
}

static bool is_loopback(const struct xlb_addr *a)
{
	static const __u8 one6[16] = { [15] = 1 };

	if (a->family == XLB_AF_INET)
		return (ntohl(a->a[0]) >> 24) == 127;
	return !memcmp(a->a, one6, 16);
}

/* Every address of the host except loopback and the VIPs. */
static int host_addrs(struct nl_sock *sk, const struct xlb_bh_state *st,
		      struct xlb_addr *out, int max, int *n)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int err;

	*n = 0;
	err = rtnl_addr_alloc_cache(sk, &cache);
	if (err) {
		pr_err("backend-host: list addresses: %s", nl_geterror(err));
		return -EIO;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct nl_addr *na = rtnl_addr_get_local(ra);
		struct xlb_addr a = {};
		int fam = rtnl_addr_get_family(ra), i;

		if (!na || (fam != AF_INET && fam != AF_INET6))
			continue;
		if (nl_addr_get_len(na) != (fam == AF_INET ? 4u : 16u))
			continue;
		a.family = fam == AF_INET ? XLB_AF_INET : XLB_AF_INET6;
		memcpy(a.a, nl_addr_get_binary_addr(na), nl_addr_get_len(na));
		if (is_loopback(&a) || is_vip(st, &a))
			continue;
		for (i = 0; i < *n; i++)
			if (xlb_addr_eq(&out[i], &a))
				break;
		if (i < *n)
			continue;
		if (*n >= max) {
			pr_warn("backend-host: more than %d addresses; the "
				"rest are not tunnel endpoints",
				max);
			break;
		}
		out[(*n)++] = a;
	}
	nl_cache_free(cache);
	return 0;
}

/* --- maps and pins -----------------------------------------------------------*/

static void pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* "xlb_decap_stats": the counters before v2, removed by teardown too */
static const char *const PINS[] = {
	XLB_MAP_DECAP_LOCAL, XLB_MAP_DECAP_VIPS,  XLB_MAP_DECAP_SOURCES,
	XLB_MAP_DECAP_CFG,   XLB_MAP_DECAP_STATS, "xlb_decap_stats",
	XLB_BH_PROG_PIN,
};

static bool any_pin(const char *dir)
{
	char p[512];
	size_t i;

	for (i = 0; i < sizeof(PINS) / sizeof(PINS[0]); i++) {
		pin_path(p, sizeof(p), dir, PINS[i]);
		if (!access(p, F_OK))
			return true;
	}
	return false;
}

static int unpin_all(const char *dir)
{
	char p[512];
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(PINS) / sizeof(PINS[0]); i++) {
		pin_path(p, sizeof(p), dir, PINS[i]);
		if (unlink(p) && errno != ENOENT) {
			err = -errno;
			pr_err("backend-host: unpin %s: %s", p, strerror(-err));
		}
	}
	if (rmdir(dir) && errno != ENOENT) {
		if (!err)
			err = -errno;
		pr_err("backend-host: rmdir %s: %s", dir, strerror(errno));
	}
	return err;
}

static int obj_get(const char *dir, const char *name)
{
	char p[512];
	int fd;

	pin_path(p, sizeof(p), dir, name);
	fd = bpf_obj_get(p);
	if (fd < 0) {
		fd = -errno;
		pr_err("backend-host: %s: %s", p, strerror(-fd));
	}
	return fd;
}

static int load_and_pin(struct run *r)
{
	struct xlb_decap_bpf *skel;
	struct bpf_map *m;
	char p[512];
	int err;

	skel = xlb_decap_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		pr_err("backend-host: load xlb_decap.bpf.o: %s",
		       strerror(-err));
		return err;
	}
	err = mkdir_p(r->pin_dir, 0700);
	if (err) {
		pr_err("backend-host: mkdir %s: %s", r->pin_dir,
		       strerror(-err));
		goto out;
	}
	r->pinned_new = true;
	bpf_object__for_each_map(m, skel->obj)
	{
		if (bpf_map__is_internal(m))
			continue;
		pin_path(p, sizeof(p), r->pin_dir, bpf_map__name(m));
		err = bpf_map__pin(m, p);
		if (err) {
			pr_err("backend-host: pin %s: %s", p, strerror(-err));
			goto out;
		}
	}
	pin_path(p, sizeof(p), r->pin_dir, XLB_BH_PROG_PIN);
	err = bpf_program__pin(skel->progs.xlb_decap, p);
	if (err) {
		pr_err("backend-host: pin %s: %s", p, strerror(-err));
		goto out;
	}
	r->vips_fd = dup(bpf_map__fd(skel->maps.xlb_decap_vips));
	r->local_fd = dup(bpf_map__fd(skel->maps.xlb_decap_local));
	r->sources_fd = dup(bpf_map__fd(skel->maps.xlb_decap_sources));
	r->cfg_fd = dup(bpf_map__fd(skel->maps.xlb_decap_cfg));
	r->prog_fd = dup(bpf_program__fd(skel->progs.xlb_decap));
	if (r->vips_fd < 0 || r->local_fd < 0 || r->prog_fd < 0 ||
	    r->sources_fd < 0 || r->cfg_fd < 0)
		err = -errno;
out:
	xlb_decap_bpf__destroy(skel);
	return err;
}

static int open_pins(struct run *r)
{
	r->vips_fd = obj_get(r->pin_dir, XLB_MAP_DECAP_VIPS);
	if (r->vips_fd < 0)
		return r->vips_fd;
	r->local_fd = obj_get(r->pin_dir, XLB_MAP_DECAP_LOCAL);
	if (r->local_fd < 0)
		return r->local_fd;
	/* pins of a setup older than the source check have neither */
	r->sources_fd = obj_get(r->pin_dir, XLB_MAP_DECAP_SOURCES);
	if (r->sources_fd < 0)
		return r->sources_fd;
	r->cfg_fd = obj_get(r->pin_dir, XLB_MAP_DECAP_CFG);
	if (r->cfg_fd < 0)
		return r->cfg_fd;
	r->prog_fd = obj_get(r->pin_dir, XLB_BH_PROG_PIN);
	return r->prog_fd < 0 ? r->prog_fd : 0;
}

static int map_put(int fd, const struct xlb_addr *a, const char *what)
{
	struct xlb_decap_addr k = xlb_decap_key(a);
	struct xlb_decap_val v = {};

	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) {
		pr_err("backend-host: %s %s: %s", what, astr(a),
		       strerror(errno));
		return -errno;
	}
	return 0;
}

static bool map_has(int fd, const struct xlb_addr *a)
{
	struct xlb_decap_addr k = xlb_decap_key(a);
	struct xlb_decap_val v;

	return !bpf_map_lookup_elem(fd, &k, &v);
}

static void map_del(int fd, const struct xlb_addr *a)
{
	struct xlb_decap_addr k = xlb_decap_key(a);

	if (fd >= 0)
		bpf_map_delete_elem(fd, &k);
}

/* --- undo (teardown and rollback) ------------------------------------------*/

/*
 * Undo the recorded steps backwards. @r NULL: everything (teardown);
 * otherwise only what run @r did (rollback). Undone items leave the state;
 * returns the first error, carrying on with the other items.
 */
static int undo(struct xlb_bh_state *st, const char *pin_dir, struct run *r)
{
	struct nl_sock *sk = NULL;
	int lo = (int)if_nametoindex("lo"), i, j, e, err = 0;
	struct xlb_attached a;
	char cur[24];

	/* stop decapsulating first */
	if (st->attached && (!r || r->attached_new)) {
		int ifi = (int)if_nametoindex(st->iface);

		if (ifi && ifi == st->ifindex &&
		    !xlb_attach_query_name(ifi, XLB_DECAP_PROG_NAME, &a)) {
			if (a.prog_fd >= 0)
				close(a.prog_fd);
			if (a.prog_id) {
				e = xlb_detach_name(ifi, XLB_DECAP_PROG_NAME);
				if (e) {
					pr_err("backend-host: detach from %s: "
					       "%s",
					       st->iface, strerror(-e));
					err = err ?: e;
				}
			}
		}
		if (!err)
			st->attached = false;
	}

	e = nl_open(&sk);
	if (e)
		err = err ?: e;
	for (i = st->n_vips - 1; i >= 0; i--) {
		if (r && r->vip_in_map_new[i])
			map_del(r->vips_fd, &st->vips[i].addr);
		if (st->vips[i].lo_added && (!r || r->vip_lo_new[i])) {
			e = sk ? lo_addr_del(sk, lo, &st->vips[i].addr) : -EIO;
			if (e) {
				err = err ?: e;
				continue;
			}
			st->vips[i].lo_added = false;
		}
		if (r && !r->vip_new[i])
			continue;
		for (j = i; j + 1 < st->n_vips; j++)
			st->vips[j] = st->vips[j + 1];
		st->n_vips--;
	}
	for (i = st->n_locals - 1; i >= 0; i--) {
		if (r && !r->local_new[i])
			continue;
		if (r)
			map_del(r->local_fd, &st->locals[i]);
		for (j = i; j + 1 < st->n_locals; j++)
			st->locals[j] = st->locals[j + 1];
		st->n_locals--;
	}
	if (st->source_check && (!r || r->check_new)) {
		if (r) {
			struct xlb_decap_cfg c = {};
			__u32 zero = 0;

			/* the switch off; the GUE port stays */
			if (r->cfg_fd >= 0 &&
			    !bpf_map_lookup_elem(r->cfg_fd, &zero, &c)) {
				c.flags &= ~XLB_DECAP_F_SOURCES;
				bpf_map_update_elem(r->cfg_fd, &zero, &c,
						    BPF_ANY);
			}
		}
		st->source_check = false;
	}
	for (i = st->n_sources - 1; i >= 0; i--) {
		if (r && !r->source_new[i])
			continue;
		if (r && r->sources_fd >= 0) {
			struct xlb_decap_prefix k = prefix_key(&st->sources[i]);

			bpf_map_delete_elem(r->sources_fd, &k);
		}
		for (j = i; j + 1 < st->n_sources; j++)
			st->sources[j] = st->sources[j + 1];
		st->n_sources--;
	}
	for (i = st->n_sysctls - 1; i >= 0; i--) {
		struct xlb_bh_sysctl *s = &st->sysctls[i];

		if (r && !r->sysctl_new[i])
			continue;
		/* interface gone: its sysctls went with it */
		e = sysctl_read(s->key, cur, sizeof(cur));
		if (!e)
			e = sysctl_write(s->key, s->old);
		if (e && e != -ENOENT) {
			pr_err("backend-host: restore sysctl %s=%s: %s", s->key,
			       s->old, strerror(-e));
			err = err ?: e;
			continue;
		}
		for (j = i; j + 1 < st->n_sysctls; j++)
			st->sysctls[j] = st->sysctls[j + 1];
		st->n_sysctls--;
	}
	if (st->lo_up && (!r || r->lo_up_new)) {
		e = sk ? lo_set(sk, false, NULL) : -EIO;
		if (e)
			err = err ?: e;
		else
			st->lo_up = false;
	}
	if (sk)
		nl_socket_free(sk);

	if (!r || r->pinned_new) {
		if (r)
			run_close_fds(r);
		e = unpin_all(pin_dir);
		err = err ?: e;
	}
	return err;
}

/* --- setup -------------------------------------------------------------------*/

static int add_vips(struct run *r, struct nl_sock *sk,
		    const struct xlb_bh_opts *o)
{
	struct xlb_bh_state *st = r->st;
	int lo = (int)if_nametoindex("lo"), i, k, err;
	bool added;

	for (i = 0; i < o->n_vips; i++) {
		const struct xlb_addr *a = &o->vips[i];

		for (k = 0; k < st->n_vips; k++)
			if (xlb_addr_eq(&st->vips[k].addr, a))
				break;
		if (k == st->n_vips) {
			if (k >= XLB_DECAP_MAX_VIPS) {
				pr_err("backend-host: more than %d VIPs",
				       XLB_DECAP_MAX_VIPS);
				return -E2BIG;
			}
			st->vips[k].addr = *a;
			st->vips[k].lo_added = false;
			st->n_vips++;
			r->vip_new[k] = true;
		}
		if (!map_has(r->vips_fd, a)) {
			r->vip_in_map_new[k] = true;
			err = map_put(r->vips_fd, a, "vip");
			if (err)
				return err;
		}
		/* also puts back one removed behind our back */
		err = lo_addr_add(sk, lo, a, &added);
		if (err)
			return err;
		if (added) {
			st->vips[k].lo_added = true;
			r->vip_lo_new[k] = true;
			pr_info("backend-host: %s added to lo", astr(a));
		}
		err = state_write(st, r->state_path);
		if (err)
			return err;
	}
	return 0;
}

static int add_locals(struct run *r, struct nl_sock *sk,
		      const struct xlb_bh_opts *o)
{
	struct xlb_bh_state *st = r->st;
	struct xlb_addr *scan = NULL;
	const struct xlb_addr *list = o->locals;
	int n = o->n_locals, i, k, err = 0;

	if (!n) {
		scan = calloc(XLB_DECAP_MAX_LOCAL, sizeof(*scan));
		if (!scan)
			return -ENOMEM;
		err = host_addrs(sk, st, scan, XLB_DECAP_MAX_LOCAL, &n);
		if (err)
			goto out;
		if (!n) {
			pr_err("backend-host: the host has no address to "
			       "receive tunnels on; give --local");
			err = -EADDRNOTAVAIL;
			goto out;
		}
		list = scan;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < st->n_locals; k++)
			if (xlb_addr_eq(&st->locals[k], &list[i]))
				break;
		if (k == st->n_locals) {
			if (k >= XLB_DECAP_MAX_LOCAL) {
				pr_err("backend-host: more than %d local "
				       "addresses",
				       XLB_DECAP_MAX_LOCAL);
				err = -E2BIG;
				goto out;
			}
			st->locals[k] = list[i];
			st->n_locals++;
			r->local_new[k] = true;
		}
		if (!map_has(r->local_fd, &list[i])) {
			err = map_put(r->local_fd, &list[i], "local address");
			if (err)
				goto out;
		}
	}
	err = state_write(st, r->state_path);
out:
	free(scan);
	return err;
}

/*
 * The GUE port (--gue-port) into xlb_decap_cfg; without it the program's
 * stays (6080 on a fresh setup). Not in the record: the pinned map holds
 * it, and teardown unpins the map.
 */
static int set_gue_port(struct run *r, const struct xlb_bh_opts *o)
{
	struct xlb_decap_cfg c = {};
	__u32 zero = 0;
	int err;

	if (!o->gue_port)
		return 0;
	if (bpf_map_lookup_elem(r->cfg_fd, &zero, &c))
		memset(&c, 0, sizeof(c));
	c.gue_port = htons(o->gue_port);
	if (bpf_map_update_elem(r->cfg_fd, &zero, &c, BPF_ANY)) {
		err = -errno;
		pr_err("backend-host: gue port %u: %s", o->gue_port,
		       strerror(-err));
		return err;
	}
	return 0;
}

/*
 * The allowed sources into the record and the trie (the recorded ones too:
 * a second setup puts back what was removed behind its back), then the
 * switch on.
 */
static int add_sources(struct run *r, const struct xlb_bh_opts *o)
{
	struct xlb_bh_state *st = r->st;
	struct xlb_decap_val v = {};
	struct xlb_decap_cfg c = {};
	__u32 zero = 0;
	int i, k, err;

	for (i = 0; i < o->n_sources; i++) {
		for (k = 0; k < st->n_sources; k++)
			if (prefix_eq(&st->sources[k], &o->sources[i]))
				break;
		if (k < st->n_sources)
			continue;
		if (k >= XLB_DECAP_MAX_SOURCES) {
			pr_err("backend-host: more than %d source prefixes",
			       XLB_DECAP_MAX_SOURCES);
			return -E2BIG;
		}
		st->sources[k] = o->sources[i];
		st->n_sources++;
		r->source_new[k] = true;
	}
	for (i = 0; i < st->n_sources; i++) {
		struct xlb_decap_prefix key = prefix_key(&st->sources[i]);

		if (bpf_map_update_elem(r->sources_fd, &key, &v, BPF_ANY)) {
			err = -errno;
			pr_err("backend-host: source %s: %s",
			       pstr(&st->sources[i]), strerror(-err));
			return err;
		}
	}
	if (st->n_sources) {
		/* the switch on; the GUE port stays */
		if (bpf_map_lookup_elem(r->cfg_fd, &zero, &c))
			memset(&c, 0, sizeof(c));
		c.flags |= XLB_DECAP_F_SOURCES;
		if (bpf_map_update_elem(r->cfg_fd, &zero, &c, BPF_ANY)) {
			err = -errno;
			pr_err("backend-host: source check on: %s",
			       strerror(-err));
			return err;
		}
		if (!st->source_check) {
			st->source_check = true;
			r->check_new = true;
		}
	}
	return state_write(st, r->state_path);
}

static int do_attach(struct run *r, const struct xlb_bh_opts *o)
{
	struct xlb_bh_state *st = r->st;
	struct xlb_attached a;
	bool disp = false;
	int err;

	err = xlb_attach_query_name(st->ifindex, XLB_DECAP_PROG_NAME, &a);
	if (err) {
		pr_err("backend-host: %s: query XDP: %s", st->iface,
		       strerror(-err));
		return err;
	}
	if (a.prog_fd >= 0)
		close(a.prog_fd);
	if (a.prog_id) {
		if (a.generic != o->generic) {
			pr_err("backend-host: %s: xlb_decap is attached in "
			       "%s mode; teardown first to change the mode",
			       st->iface, a.generic ? "generic" : "native");
			return -EEXIST;
		}
		st->attached = true;
		st->prog_id = a.prog_id;
		st->dispatcher = a.dispatcher;
		return state_write(st, r->state_path);
	}
	err = xlb_attach(st->ifindex, r->prog_fd, o->generic, &disp);
	if (err) {
		pr_err("backend-host: attach xlb_decap to %s (%s mode): %s%s",
		       st->iface, o->generic ? "generic" : "native",
		       strerror(-err),
		       o->generic ? "" :
				    "; try --generic if the driver has "
				    "no native XDP");
		return err;
	}
	st->attached = true;
	st->dispatcher = disp;
	r->attached_new = true;
	err = xlb_prog_tag(r->prog_fd, (__u8[8]){ 0 }, &st->prog_id);
	return err ?: state_write(st, r->state_path);
}

/* Nothing may change before these pass. */
static int setup_check(const struct xlb_bh_opts *o,
		       const struct xlb_bh_state *st, bool again, int ifindex)
{
	struct xlb_attached a;
	int err;

	if (again) {
		if (strcmp(st->iface, o->iface) || st->ifindex != ifindex) {
			pr_err("backend-host: %s is set up on %s (ifindex "
			       "%d), not %s (ifindex %d); teardown first",
			       pin_dir_or_default(o->pin_dir), st->iface,
			       st->ifindex, o->iface, ifindex);
			return -EEXIST;
		}
		if (st->generic != o->generic) {
			pr_err("backend-host: %s is set up in %s mode; "
			       "teardown first to change the mode",
			       st->iface, st->generic ? "generic" : "native");
			return -EEXIST;
		}
	}
	err = xlb_attach_query_name(ifindex, XLB_DECAP_PROG_NAME, &a);
	if (err) {
		pr_err("backend-host: %s: query XDP: %s", o->iface,
		       strerror(-err));
		return err;
	}
	if (a.prog_fd >= 0)
		close(a.prog_fd);
	if (a.other && !a.dispatcher) {
		pr_err("backend-host: %s already has another XDP program; "
		       "not replacing it",
		       o->iface);
		return -EBUSY;
	}
	if (!again && a.prog_id) {
		pr_err("backend-host: %s already has xlb_decap attached, but "
		       "%s has no state; run teardown --iface %s first",
		       o->iface, pin_dir_or_default(o->pin_dir), o->iface);
		return -EEXIST;
	}
	if (!again && any_pin(pin_dir_or_default(o->pin_dir))) {
		pr_err("backend-host: %s holds pins but no state; run "
		       "teardown first",
		       pin_dir_or_default(o->pin_dir));
		return -EEXIST;
	}
	return 0;
}

int xlb_bh_setup(const struct xlb_bh_opts *o, bool *again_out)
{
	struct nl_sock *sk = NULL;
	struct run *r = NULL;
	struct xlb_bh_state *st = NULL;
	bool again = false, up = false;
	int lock = -1, ifindex, err, e;

	quiet_libxdp();
	if (again_out)
		*again_out = false;
	if (!o->iface || !o->n_vips) {
		pr_err("backend-host: setup needs an interface and a VIP");
		return -EINVAL;
	}
	ifindex = (int)if_nametoindex(o->iface);
	if (!ifindex) {
		pr_err("backend-host: interface %s: %s", o->iface,
		       strerror(errno));
		return -ENODEV;
	}
	r = calloc(1, sizeof(*r));
	st = calloc(1, sizeof(*st));
	if (!r || !st) {
		err = -ENOMEM;
		goto out;
	}
	r->st = st;
	r->pin_dir = pin_dir_or_default(o->pin_dir);
	r->vips_fd = r->local_fd = r->prog_fd = -1;
	r->sources_fd = r->cfg_fd = -1;
	err = xlb_bh_state_path(r->pin_dir, r->state_path,
				sizeof(r->state_path));
	if (err)
		goto out;
	lock = lock_take(r->state_path);
	if (lock < 0) {
		err = lock;
		goto out;
	}
	err = xlb_dp_ensure_bpffs();
	if (err) {
		pr_err("backend-host: bpffs: %s", strerror(-err));
		goto out;
	}
	err = state_read(r->state_path, st);
	if (!err) {
		again = true;
		err = netns_check(st, r->pin_dir);
		if (err)
			goto out;
	} else if (err != -ENOENT) {
		goto out; /* unreadable: say so, change nothing */
	} else {
		memset(st, 0, sizeof(*st));
		snprintf(st->iface, sizeof(st->iface), "%s", o->iface);
		st->ifindex = ifindex;
		st->generic = o->generic;
		err = netns_self(&st->netns_dev, &st->netns_ino);
		if (err)
			goto out;
		st->has_netns = true;
	}
	err = setup_check(o, st, again, ifindex);
	if (err)
		goto out;
	err = nl_open(&sk);
	if (err)
		goto out;

	if (again) {
		err = open_pins(r);
		if (err) {
			pr_err("backend-host: pins in %s are missing; run "
			       "teardown, then setup",
			       r->pin_dir);
			goto out;
		}
	} else {
		err = load_and_pin(r);
		e = state_write(st, r->state_path);
		err = err ?: e;
		if (err)
			goto rollback;
	}
	err = add_vips(r, sk, o);
	err = err ?: add_locals(r, sk, o);
	err = err ?: add_sources(r, o);
	err = err ?: set_gue_port(r, o);
	err = err ?: apply_sysctls(r);
	if (!err) {
		err = lo_set(sk, true, &up);
		if (up) {
			st->lo_up = true;
			r->lo_up_new = true;
		}
		e = state_write(st, r->state_path);
		err = err ?: e;
	}
	err = err ?: do_attach(r, o);
	if (!err)
		goto out;
rollback:
	pr_err("backend-host: setup failed; undoing what this run changed");
	e = undo(st, r->pin_dir, r);
	if (!again && !e)
		unlink(r->state_path);
	else
		state_write(st, r->state_path);
out:
	if (again_out)
		*again_out = again;
	if (sk)
		nl_socket_free(sk);
	if (r) {
		run_close_fds(r);
		lock_drop(lock, r->state_path, false);
	}
	free(r);
	free(st);
	return err;
}

/* --- teardown ---------------------------------------------------------------*/

/*
 * record_open() - lock the record of @pin_dir, with room to read it
 * @spath: receives the record's path (@n bytes)
 * @st: receives a zeroed state the caller frees
 *
 * Return: the lock (for lock_drop()), or -errno with nothing held.
 */
static int record_open(const char *pin_dir, char *spath, size_t n,
		       struct xlb_bh_state **st)
{
	int lock, err;

	*st = NULL;
	err = xlb_bh_state_path(pin_dir, spath, n);
	if (err)
		return err < 0 ? err : -EINVAL;
	*st = calloc(1, sizeof(**st));
	if (!*st)
		return -ENOMEM;
	lock = lock_take(spath);
	if (lock < 0) {
		free(*st);
		*st = NULL;
		return lock;
	}
	return lock;
}

int xlb_bh_teardown(const char *pin_dir, const char *iface, bool *nothing)
{
	char spath[512];
	struct xlb_bh_state *st;
	struct xlb_attached a;
	int lock = -1, err, ifi;
	bool none = true;

	quiet_libxdp();
	if (nothing)
		*nothing = false;
	pin_dir = pin_dir_or_default(pin_dir);
	lock = record_open(pin_dir, spath, sizeof(spath), &st);
	if (lock < 0)
		return lock;
	err = state_read(spath, st);
	if (err == -ENOENT) {
		/* No record: remove our own pins and program, nothing else. */
		err = 0;
		if (iface && (ifi = (int)if_nametoindex(iface)) &&
		    !xlb_attach_query_name(ifi, XLB_DECAP_PROG_NAME, &a)) {
			if (a.prog_fd >= 0)
				close(a.prog_fd);
			if (a.prog_id) {
				none = false;
				err = xlb_detach_name(ifi, XLB_DECAP_PROG_NAME);
				if (err)
					pr_err("backend-host: detach from %s: "
					       "%s",
					       iface, strerror(-err));
			}
		}
		if (any_pin(pin_dir)) {
			int e = unpin_all(pin_dir);

			none = false;
			if (e)
				err = e;
		}
		if (nothing)
			*nothing = none;
		goto out;
	}
	if (err)
		goto out;
	err = netns_check(st, pin_dir);
	if (err)
		goto out;
	if (iface && strcmp(iface, st->iface)) {
		pr_err("backend-host: %s is set up on %s, not %s", pin_dir,
		       st->iface, iface);
		err = -EINVAL;
		goto out;
	}
	err = undo(st, pin_dir, NULL);
	if (err) {
		pr_err("backend-host: teardown incomplete; what is left is "
		       "in %s",
		       spath);
		state_write(st, spath);
	} else {
		unlink(spath);
	}
out:
	lock_drop(lock, spath, !err);
	free(st);
	return err;
}

int xlb_bh_forget(const char *pin_dir)
{
	struct xlb_bh_state *st;
	char spath[512];
	int lock, err;

	pin_dir = pin_dir_or_default(pin_dir);
	lock = record_open(pin_dir, spath, sizeof(spath), &st);
	if (lock < 0)
		return lock;
	err = state_read(spath, st);
	if (err == -ENOENT) {
		pr_err("backend-host: %s has no record to forget", pin_dir);
	} else if (err != -EBADMSG && err) {
		pr_err("backend-host: %s: %s", spath, strerror(-err));
	} else if (unlink(spath)) {
		err = -errno;
		pr_err("backend-host: remove %s: %s", spath, strerror(-err));
	} else {
		pr_info("backend-host: forgot the record of %s (iface %s, "
			"net:[%llu]); nothing was undone",
			pin_dir, st->iface[0] ? st->iface : "?",
			(unsigned long long)st->netns_ino);
		err = 0;
	}
	lock_drop(lock, spath, !err);
	free(st);
	return err;
}

/* --- show -----------------------------------------------------------------*/

static int read_addr_map(int fd, struct xlb_addr *out, int max, int *n)
{
	struct xlb_decap_addr k, next;
	void *prev = NULL;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (*n < max)
			out[(*n)++] = from_key(&next);
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? 0 : -errno;
}

int xlb_bh_show(const char *pin_dir, struct xlb_bh_status **out)
{
	struct xlb_bh_status *s;
	struct xlb_decap_stats *pc = NULL;
	struct xlb_attached a;
	int fd = -1, ncpu, c, i, err, ifi;
	__u32 zero = 0;

	quiet_libxdp();
	*out = NULL;
	pin_dir = pin_dir_or_default(pin_dir);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	snprintf(s->pin_dir, sizeof(s->pin_dir), "%s", pin_dir);
	err = xlb_bh_state_path(pin_dir, s->state_path, sizeof(s->state_path));
	if (err)
		goto out;
	err = state_read(s->state_path, &s->st);
	if (err == -ENOENT) {
		pr_err("backend-host: %s is not set up (no %s)", pin_dir,
		       s->state_path);
		goto out;
	}
	if (err)
		goto out;
	{
		__u64 dev = 0, ino = 0;

		if (!netns_self(&dev, &ino))
			s->netns_ino = ino;
		s->other_netns = s->st.has_netns && (dev != s->st.netns_dev ||
						     ino != s->st.netns_ino);
	}
	/* Another namespace's interface of that name is not the one. */
	ifi = s->other_netns ? 0 : (int)if_nametoindex(s->st.iface);
	if (ifi && !xlb_attach_query_name(ifi, XLB_DECAP_PROG_NAME, &a)) {
		if (a.prog_fd >= 0)
			close(a.prog_fd);
		s->attached = a.prog_id != 0;
		s->attached_id = a.prog_id;
		s->attached_generic = a.generic;
		s->attached_dispatcher = a.dispatcher;
	}
	fd = obj_get(pin_dir, XLB_MAP_DECAP_VIPS);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = read_addr_map(fd, s->vips, XLB_DECAP_MAX_VIPS, &s->n_vips);
	close(fd);
	fd = obj_get(pin_dir, XLB_MAP_DECAP_LOCAL);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = err   ?:
		      read_addr_map(fd, s->locals, XLB_DECAP_MAX_LOCAL,
				    &s->n_locals);
	close(fd);
	fd = obj_get(pin_dir, XLB_MAP_DECAP_SOURCES);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	{
		struct xlb_decap_prefix k, next;
		void *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			struct xlb_bh_prefix *p;

			if (s->n_sources < XLB_DECAP_MAX_SOURCES) {
				p = &s->sources[s->n_sources++];
				p->addr.family = next.family;
				memcpy(p->addr.a, next.addr, sizeof(p->addr.a));
				p->len = (__u8)(next.prefixlen - 32);
			}
			k = next;
			prev = &k;
		}
	}
	close(fd);
	fd = obj_get(pin_dir, XLB_MAP_DECAP_CFG);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	{
		struct xlb_decap_cfg c = {};

		if (!bpf_map_lookup_elem(fd, &zero, &c))
			s->source_check = c.flags & XLB_DECAP_F_SOURCES;
		s->gue_port =
			c.gue_port ? ntohs(c.gue_port) : XLB_GUE_DEFAULT_PORT;
	}
	close(fd);
	fd = obj_get(pin_dir, XLB_MAP_DECAP_STATS);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 1)
		ncpu = 1;
	pc = calloc((size_t)ncpu, sizeof(*pc));
	if (!pc) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, pc)) {
		err = -errno;
		pr_err("backend-host: read counters: %s", strerror(-err));
		goto out;
	}
	for (c = 0; c < ncpu; c++) {
		for (i = 0; i < XLB_DC_MAX; i++)
			s->stats.c[i] += pc[c].c[i];
		s->stats.decap_bytes += pc[c].decap_bytes;
	}
out:
	if (fd >= 0)
		close(fd);
	free(pc);
	if (err) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}
