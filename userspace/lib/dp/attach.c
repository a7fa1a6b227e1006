// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: XDP attachment through libxdp
 *
 * The program is loaded by libbpf (through the skeleton) and handed to
 * libxdp by fd. libxdp then tries its dispatcher; where the kernel refuses
 * (EPERM here), it attaches the program alone. If libxdp refuses outright,
 * for instance because the dispatcher cannot take a program that was not
 * loaded as an extension, xlb falls back to a plain netlink attach, so the
 * balancer works with and without the dispatcher.
 *
 * Without CAP_SYS_ADMIN libxdp cannot work at all: it reads the program's
 * BTF by id and opens attached programs by id (BPF_BTF_GET_FD_BY_ID,
 * BPF_PROG_GET_FD_BY_ID), which the kernel allows only with CAP_SYS_ADMIN,
 * and libxdp 1.3 then goes on with a half-filled program and crashes in
 * bpf_program__set_type(). So xlb probes those two calls first and, where
 * they are refused, never calls libxdp: it attaches, replaces (with
 * XDP_FLAGS_REPLACE and the old program's fd) and detaches through netlink
 * (bpf_xdp_attach(), bpf_xdp_detach(), bpf_xdp_query()). A program attached
 * there is named by its id only; xlb recognises it when it is one of the
 * programs registered with xlb_attach_add_known() (the one just loaded, the
 * one xlbd pinned when it attached it), and treats any other as foreign.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "attach.h"
#include "log.h"

int xlb_prog_tag(int prog_fd, __u8 tag[8], __u32 *id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	memcpy(tag, info.tag, 8);
	if (id)
		*id = info.id;
	return 0;
}

bool xlb_prog_uses_map(int prog_fd, int map_fd)
{
	struct bpf_prog_info info = {};
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(info), mlen = sizeof(minfo), n, i;
	__u32 *ids = NULL;
	bool found = false;

	if (bpf_obj_get_info_by_fd(map_fd, &minfo, &mlen))
		return false;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return false;
	n = info.nr_map_ids;
	if (!n)
		return false;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return false;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		for (i = 0; i < info.nr_map_ids && i < n; i++)
			if (ids[i] == minfo.id)
				found = true;
	free(ids);
	return found;
}

/* Programs xlb can name without CAP_SYS_ADMIN; fds owned by the callers. */
#define KNOWN_MAX 8
static int known_fds[KNOWN_MAX];
static size_t n_known;

int xlb_attach_add_known(int prog_fd)
{
	size_t i;

	for (i = 0; i < n_known; i++)
		if (known_fds[i] == prog_fd)
			return 0;
	if (n_known == KNOWN_MAX)
		return -ENOSPC;
	known_fds[n_known++] = prog_fd;
	return 0;
}

void xlb_attach_forget_known(int prog_fd)
{
	size_t i;

	for (i = 0; i < n_known; i++)
		if (known_fds[i] == prog_fd) {
			known_fds[i] = known_fds[--n_known];
			return;
		}
}

/* A new fd of the known program with id @id and name @name: 0 and *@fd,
 * -ENOENT if no known program has that id, -ESRCH if it has another name. */
static int known_fd(__u32 id, const char *name, int *fd)
{
	struct bpf_prog_info info;
	__u32 len;
	size_t i;

	for (i = 0; i < n_known; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(known_fds[i], &info, &len) ||
		    info.id != id)
			continue;
		if (strcmp(info.name, name))
			return -ESRCH;
		*fd = fcntl(known_fds[i], F_DUPFD_CLOEXEC, 3);
		return *fd < 0 ? -errno : 0;
	}
	return -ENOENT;
}

/* What netlink says is attached: id 0 if nothing (no capability needed). */
static int xdp_query(int ifindex, __u32 *id, bool *generic)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	*generic = false;
	*id = 0;
	switch (q.attach_mode) {
	case XDP_ATTACHED_SKB:
		*id = q.skb_prog_id;
		*generic = true;
		break;
	case XDP_ATTACHED_DRV:
	case XDP_ATTACHED_MULTI:
		*id = q.drv_prog_id ?: q.skb_prog_id;
		*generic = !q.drv_prog_id;
		break;
	default:
		break;
	}
	return 0;
}

/* Whether the kernel lets us open program @id by id (CAP_SYS_ADMIN), as
 * libxdp does for whatever is attached. */
static bool can_open_by_id(__u32 id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != EPERM && errno != EACCES;
}

bool xlb_attach_libxdp_usable(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return false;
	if (!can_open_by_id(info.id))
		return false;
	if (!info.btf_id)
		return true;
	fd = bpf_btf_get_fd_by_id(info.btf_id);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != EPERM && errno != EACCES;
}

int xlb_attach_query(int ifindex, struct xlb_attached *a)
{
	return xlb_attach_query_name(ifindex, XLB_PROG_NAME, a);
}

/* The program attached as @id, without libxdp: known to us or foreign. */
static int query_plain(__u32 id, bool generic, const char *name,
		       struct xlb_attached *a)
{
	int err, fd = -1;

	a->generic = generic;
	err = known_fd(id, name, &fd);
	if (err == -ENOENT || err == -ESRCH) {
		a->other = true;
		a->unidentified = err == -ENOENT;
		a->other_id = id;
		return 0;
	}
	if (err)
		return err;
	a->prog_id = id;
	a->prog_fd = fd;
	return xlb_prog_tag(fd, a->tag, NULL);
}

int xlb_attach_query_name(int ifindex, const char *name, struct xlb_attached *a)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	bool generic;
	__u32 id;
	long err;

	memset(a, 0, sizeof(a[0]));
	a->prog_fd = -1;
	err = xdp_query(ifindex, &id, &generic);
	if (err)
		return (int)err;
	if (!id)
		return 0;
	if (!can_open_by_id(id))
		return query_plain(id, generic, name, a);

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || !mp)
		return 0;
	if (err)
		return (int)err;

	a->generic = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), name)) {
			a->prog_id = xdp_program__id(p);
		} else if (p) {
			a->other = true;
			a->other_id = xdp_program__id(p);
		}
	} else {
		a->dispatcher = true;
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (!strcmp(xdp_program__name(p), name)) {
				a->prog_id = xdp_program__id(p);
			} else {
				a->other = true;
				a->other_id = xdp_program__id(p);
			}
		}
	}
	xdp_multiprog__close(mp);
	if (a->prog_id) {
		a->prog_fd = bpf_prog_get_fd_by_id(a->prog_id);
		if (a->prog_fd < 0)
			return -errno;
		err = xlb_prog_tag(a->prog_fd, a->tag, NULL);
		if (err)
			return (int)err;
	}
	return 0;
}

static int legacy_attach(int ifindex, int prog_fd, int old_fd, bool generic)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
	__u32 flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;

	if (old_fd >= 0)
		flags |= XDP_FLAGS_REPLACE;
	else
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
	return bpf_xdp_attach(ifindex, prog_fd, flags, &opts);
}

int xlb_attach(int ifindex, int prog_fd, bool generic, bool *dispatcher)
{
	enum xdp_attach_mode mode = generic ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	struct xdp_program *p;
	struct xlb_attached a;
	int err;

	if (dispatcher)
		*dispatcher = false;
	if (!xlb_attach_libxdp_usable(prog_fd)) {
		pr_debug("ifindex %d: libxdp needs CAP_SYS_ADMIN; attaching "
			 "through netlink",
			 ifindex);
		return legacy_attach(ifindex, prog_fd, -1, generic);
	}
	p = xdp_program__from_fd(prog_fd);
	err = (int)libxdp_get_error(p);
	if (err)
		return err;
	/* libxdp 1.3 returns a program without an fd when it cannot read
	 * the BTF, and its attach then crashes: never hand it one. */
	if (xdp_program__fd(p) < 0) {
		xdp_program__close(p);
		pr_debug("ifindex %d: libxdp could not open the program; "
			 "attaching through netlink",
			 ifindex);
		return legacy_attach(ifindex, prog_fd, -1, generic);
	}
	err = xdp_program__attach(p, ifindex, mode, 0);
	xdp_program__close(p);
	if (err) {
		pr_debug("ifindex %d: libxdp attach: %s; attaching directly",
			 ifindex, strerror(-err));
		err = legacy_attach(ifindex, prog_fd, -1, generic);
		if (err)
			return err;
	}
	if (dispatcher) {
		if (!xlb_attach_query(ifindex, &a)) {
			*dispatcher = a.dispatcher;
			if (a.prog_fd >= 0)
				close(a.prog_fd);
		}
	}
	return 0;
}

int xlb_attach_replace(int ifindex, const struct xlb_attached *old, int new_fd,
		       bool generic, bool *dispatcher)
{
	int err;

	if (!old->dispatcher && old->prog_fd >= 0 && old->generic == generic) {
		err = legacy_attach(ifindex, new_fd, old->prog_fd, generic);
		if (!err) {
			if (dispatcher)
				*dispatcher = false;
			return 0;
		}
		pr_debug("ifindex %d: atomic replace: %s", ifindex,
			 strerror(-err));
	}
	/* Behind the dispatcher (or mode change): libxdp rebuilds and swaps
	 * the dispatcher, which is itself an atomic replace. */
	err = xlb_detach(ifindex);
	if (err)
		return err;
	return xlb_attach(ifindex, new_fd, generic, dispatcher);
}

int xlb_detach(int ifindex)
{
	return xlb_detach_name(ifindex, XLB_PROG_NAME);
}

/* Detach without libxdp: only a program we can name, and only if it is
 * still the one attached (XDP_FLAGS_REPLACE with its fd). */
static int detach_plain(int ifindex, __u32 id, bool generic, const char *name)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	__u32 flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	int err, fd = -1;

	err = known_fd(id, name, &fd);
	if (err == -ESRCH)
		return 0; /* another program: not ours to remove */
	if (err == -ENOENT) {
		pr_warn("ifindex %d: XDP program %u cannot be identified "
			"without CAP_SYS_ADMIN; left attached",
			ifindex, id);
		return -EPERM;
	}
	if (err)
		return err;
	opts.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, flags | XDP_FLAGS_REPLACE, &opts);
	close(fd);
	return err;
}

int xlb_detach_name(int ifindex, const char *name)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	bool generic;
	__u32 id;
	int err = 0;

	err = xdp_query(ifindex, &id, &generic);
	if (err)
		return err;
	if (!id)
		return 0;
	if (!can_open_by_id(id))
		return detach_plain(ifindex, id, generic, name);

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = (int)libxdp_get_error(mp);
	if (err == -ENOENT || !mp)
		return 0;
	if (err)
		return err;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), name))
			err = xdp_multiprog__detach(mp);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (strcmp(xdp_program__name(p), name))
				continue;
			err = xdp_program__detach(
				p, ifindex, xdp_multiprog__attach_mode(mp), 0);
			break;
		}
	}
	xdp_multiprog__close(mp);
	return err;
}
