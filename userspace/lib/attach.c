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
 */
#include <errno.h>
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

int xlb_attach_query(int ifindex, struct xlb_attached *a)
{
	return xlb_attach_query_name(ifindex, XLB_PROG_NAME, a);
}

int xlb_attach_query_name(int ifindex, const char *name, struct xlb_attached *a)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	long err;

	memset(a, 0, sizeof(*a));
	a->prog_fd = -1;
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
		}
	} else {
		a->dispatcher = true;
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (!strcmp(xdp_program__name(p), name))
				a->prog_id = xdp_program__id(p);
			else
				a->other = true;
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

	p = xdp_program__from_fd(prog_fd);
	err = (int)libxdp_get_error(p);
	if (err)
		return err;
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
		*dispatcher = false;
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

int xlb_detach_name(int ifindex, const char *name)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int err = 0;

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
