/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: attaching the balancer to interfaces
 *
 * Attach, find, replace and detach xlb's XDP program on an interface,
 * through libxdp. libxdp puts the program behind its multi-program
 * dispatcher when the kernel allows it and otherwise attaches it alone
 * (on these lab machines the dispatcher check fails with EPERM); both
 * shapes are recognised when xlbd re-adopts an interface after a restart.
 * Without CAP_SYS_ADMIN, where libxdp cannot work, everything goes through
 * netlink instead (attach.c) and only programs registered with
 * xlb_attach_add_known() can be recognised as xlb's.
 *
 * Re-adoption: a program named XLB_PROG_NAME with the same tag as the
 * freshly loaded one is kept as it is (a restart); one with another tag is
 * replaced atomically (an upgrade). The connection table lives in pinned
 * maps shared by old and new program, so no flow is lost either way.
 */
#ifndef XLB_ATTACH_H
#define XLB_ATTACH_H

#include <stdbool.h>
#include <linux/types.h>

#define XLB_PROG_NAME "xlb_lb"

/**
 * struct xlb_attached - what is attached to an interface
 * @prog_id: id of xlb's program, 0 if none
 * @prog_fd: fd of xlb's program (caller closes), -1 if none
 * @tag: its tag
 * @dispatcher: behind libxdp's dispatcher
 * @generic: attached in generic (skb) mode
 * @other: some other XDP program is attached
 * @unidentified: that other program could not be named (no CAP_SYS_ADMIN to
 *                open it by id, and not a known program): it may be xlb's
 * @other_id: id of that other program
 */
struct xlb_attached {
	__u32 prog_id;
	int prog_fd;
	__u8 tag[8];
	bool dispatcher;
	bool generic;
	bool other;
	bool unidentified;
	__u32 other_id;
};

/** xlb_attach_query() - what is attached to @ifindex (fills @a) */
int xlb_attach_query(int ifindex, struct xlb_attached *a);

/**
 * xlb_attach_query_name() - as xlb_attach_query(), for the program whose
 * name is @name (the backend host's decapsulator, for instance)
 */
int xlb_attach_query_name(int ifindex, const char *name,
			  struct xlb_attached *a);

/**
 * xlb_attach() - attach @prog_fd to @ifindex
 * @generic: generic mode (only when asked for: native is the default)
 * @dispatcher: out, whether libxdp used its dispatcher
 */
int xlb_attach(int ifindex, int prog_fd, bool generic, bool *dispatcher);

/**
 * xlb_attach_replace() - atomically replace xlb's program on @ifindex
 * @old: what xlb_attach_query() found
 * @new_fd: the new program
 *
 * Without the dispatcher this is one netlink call with
 * XDP_FLAGS_REPLACE: no packet sees an empty interface.
 */
int xlb_attach_replace(int ifindex, const struct xlb_attached *old, int new_fd,
		       bool generic, bool *dispatcher);

/** xlb_detach() - remove xlb's program from @ifindex (others untouched) */
int xlb_detach(int ifindex);

/** xlb_detach_name() - remove the program named @name from @ifindex */
int xlb_detach_name(int ifindex, const char *name);

/**
 * xlb_attach_libxdp_usable() - whether libxdp can attach @prog_fd here
 *
 * libxdp opens programs and their BTF by id, which the kernel allows only
 * with CAP_SYS_ADMIN; this tries exactly those calls on @prog_fd. When it
 * returns false, xlb_attach() and friends use netlink alone.
 */
bool xlb_attach_libxdp_usable(int prog_fd);

/**
 * xlb_attach_add_known() - let the netlink path recognise @prog_fd
 *
 * Without CAP_SYS_ADMIN an attached program is only an id: the query and
 * detach functions compare it with the programs registered here (the one
 * loaded, the one found pinned). The fd stays the caller's and must stay
 * open until xlb_attach_forget_known(). Return: 0 or -ENOSPC.
 */
int xlb_attach_add_known(int prog_fd);

/** xlb_attach_forget_known() - undo xlb_attach_add_known() */
void xlb_attach_forget_known(int prog_fd);

/** xlb_prog_tag() - tag and id of a loaded program */
int xlb_prog_tag(int prog_fd, __u8 tag[8], __u32 *id);

/**
 * xlb_prog_uses_map() - whether program @prog_fd references map @map_fd
 * (to tell our program from one bound to other, older maps)
 */
bool xlb_prog_uses_map(int prog_fd, int map_fd);

#endif /* XLB_ATTACH_H */
