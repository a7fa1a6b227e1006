/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: backend host setup (xlbctl backend-host)
 *
 * Turns a host into an xlb backend on kernels without ipip/ip6tnl: loads
 * xlb_decap.bpf.o and attaches it to one interface (libxdp, native unless
 * generic is asked for), pins its maps and program under a pin dir, fills
 * the local-address and VIP maps, puts each VIP on lo (/32, /128), sets
 * arp_ignore=1 and arp_announce=2 (all and the interface) and rp_filter=0
 * (all, default, the interface), and brings lo up. With source prefixes it
 * also turns on the program's source check: only tunnels from those
 * prefixes (the balancers' LB source addresses) are decapsulated.
 *
 * Everything it changes is recorded in a state file under
 * XLB_BH_STATE_DIR (bpffs holds no regular files), one per pin dir and
 * rewritten after every step, so teardown undoes exactly that: it removes
 * only the VIPs it added, restores only the sysctls it changed to their
 * old values, takes lo down only if it brought it up, detaches only its
 * own program, and unpins. A setup that fails part-way undoes what it did
 * before returning. A second setup with the same pin dir and interface
 * adds what is new (VIPs, local addresses) and re-applies what was undone
 * behind its back (attachment, sysctls); with another interface or mode it
 * fails without changing anything. Runs on one pin dir are serialised by
 * a lock file next to the state.
 *
 * All functions return 0 or a negative errno and log one line with
 * context for every failure.
 */
#ifndef XLB_BACKEND_HOST_H
#define XLB_BACKEND_HOST_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

#include "addr.h"
#include "maps/xlb_decap.h"

#define XLB_BH_STATE_DIR   "/run/xlb/backend-host"
#define XLB_BH_MAX_SYSCTLS 8
#define XLB_BH_PROG_PIN	   "xlb_decap_prog" /* the program, in the pin dir */

/**
 * struct xlb_bh_prefix - an address prefix (host bits zero)
 * @addr: the prefix
 * @len: its length, 0..32 or 0..128
 */
struct xlb_bh_prefix {
	struct xlb_addr addr;
	__u8 len;
};

/**
 * xlb_bh_prefix_parse() - "A" or "A/LEN"; host bits must be zero
 * Return: 0, or -EINVAL with @why (may be NULL) set to what is wrong.
 */
int xlb_bh_prefix_parse(const char *s, struct xlb_bh_prefix *out,
			const char **why);

/**
 * struct xlb_bh_opts - what setup is asked to do
 * @iface: interface to attach to
 * @pin_dir: where to pin (NULL: XLB_DECAP_PIN_DIR)
 * @vips: VIPs to serve (at least one)
 * @n_vips: how many
 * @locals: this host's tunnel endpoint addresses; none: every address of
 *          the host except loopback and the VIPs
 * @n_locals: how many
 * @sources: allowed outer sources (the balancers); none: no source check
 *           (or, in a second setup, the list as it is)
 * @n_sources: how many
 * @generic: attach in generic (skb) mode
 * @gue_port: UDP port of GUE tunnels, host order; 0: keep the program's
 *            (XLB_GUE_DEFAULT_PORT on a fresh setup)
 */
struct xlb_bh_opts {
	const char *iface;
	const char *pin_dir;
	const struct xlb_addr *vips;
	int n_vips;
	const struct xlb_addr *locals;
	int n_locals;
	const struct xlb_bh_prefix *sources;
	int n_sources;
	bool generic;
	__u16 gue_port;
};

/**
 * struct xlb_bh_vip - a VIP of the backend host
 * @addr: the address
 * @lo_added: setup added it to lo (teardown removes it); false when it
 *            was there already
 */
struct xlb_bh_vip {
	struct xlb_addr addr;
	bool lo_added;
};

/**
 * struct xlb_bh_sysctl - a sysctl setup changed
 * @key: path under /proc/sys ("net/ipv4/conf/all/arp_ignore")
 * @old: value before setup (restored by teardown)
 * @set: value setup wrote
 */
struct xlb_bh_sysctl {
	char key[96];
	char old[24];
	char set[24];
};

/**
 * struct xlb_bh_state - what setup changed (the state file)
 * @iface: interface the program is attached to
 * @ifindex: its index at setup
 * @generic: attached in generic mode
 * @dispatcher: attached behind libxdp's dispatcher
 * @prog_id: id of the attached program
 * @attached: setup attached the program (teardown detaches it)
 * @lo_up: setup brought lo up (teardown takes it down)
 * @vips: the VIPs, in the map and (maybe added) on lo
 * @locals: the local addresses in the map
 * @sysctls: the sysctls changed
 * @source_check: setup turned the source check on
 * @n_sources: allowed source prefixes in the map
 * @sources: the prefixes
 * @has_netns: the record names the network namespace it was made in
 * @netns_dev: that namespace's nsfs device (stat of /proc/self/ns/net)
 * @netns_ino: and inode ("net:[INODE]" in ls -l /proc/PID/ns/net)
 */
struct xlb_bh_state {
	char iface[IF_NAMESIZE];
	int ifindex;
	bool generic;
	bool dispatcher;
	__u32 prog_id;
	bool attached;
	bool lo_up;
	int n_vips;
	struct xlb_bh_vip vips[XLB_DECAP_MAX_VIPS];
	int n_locals;
	struct xlb_addr locals[XLB_DECAP_MAX_LOCAL];
	int n_sysctls;
	struct xlb_bh_sysctl sysctls[XLB_BH_MAX_SYSCTLS];
	bool source_check;
	int n_sources;
	struct xlb_bh_prefix sources[XLB_DECAP_MAX_SOURCES];
	bool has_netns;
	__u64 netns_dev;
	__u64 netns_ino;
};

/**
 * struct xlb_bh_status - what show reports
 * @st: the recorded state
 * @state_path: the state file
 * @pin_dir: the pin dir
 * @attached: xlb_decap is attached to the interface now
 * @attached_id: its program id
 * @attached_generic: in generic mode
 * @attached_dispatcher: behind libxdp's dispatcher
 * @n_vips: entries of xlb_decap_vips
 * @vips: the entries
 * @n_locals: entries of xlb_decap_local
 * @locals: the entries
 * @stats: counters summed over CPUs
 * @source_check: the program's source check is on (xlb_decap_cfg)
 * @n_sources: entries of xlb_decap_sources
 * @sources: the entries
 * @gue_port: the UDP port on which GUE is decapsulated (xlb_decap_cfg)
 * @netns_ino: the network namespace show runs in
 * @other_netns: the record was made in another network namespace (its
 *               interface, lo and sysctls are not the ones seen here)
 */
struct xlb_bh_status {
	struct xlb_bh_state st;
	char state_path[512];
	char pin_dir[256];
	bool attached;
	__u32 attached_id;
	bool attached_generic;
	bool attached_dispatcher;
	int n_vips;
	struct xlb_addr vips[XLB_DECAP_MAX_VIPS];
	int n_locals;
	struct xlb_addr locals[XLB_DECAP_MAX_LOCAL];
	struct xlb_decap_stats stats;
	bool source_check;
	int n_sources;
	struct xlb_bh_prefix sources[XLB_DECAP_MAX_SOURCES];
	__u16 gue_port;
	__u64 netns_ino;
	bool other_netns;
};

/**
 * xlb_bh_setup() - set the host up as a backend (or complete a setup)
 * @o: options
 * @again: out (may be NULL): the pin dir was already set up, and this run
 *         only added what was missing
 */
int xlb_bh_setup(const struct xlb_bh_opts *o, bool *again);

/**
 * xlb_bh_teardown() - undo what setup recorded for @pin_dir
 * @pin_dir: NULL for the default
 * @iface: NULL, or the interface the caller expects (checked against the
 *         state; without a state file, xlb_decap is detached from it)
 * @nothing: out (may be NULL): there was nothing to undo
 */
int xlb_bh_teardown(const char *pin_dir, const char *iface, bool *nothing);

/**
 * xlb_bh_forget() - drop the record of @pin_dir without undoing anything
 * @pin_dir: NULL for the default
 *
 * For a record whose network namespace is gone (the namespace's interface,
 * lo and sysctls went with it): teardown refuses to run from another
 * namespace, since it would undo the changes on this one's. The pins are
 * left; a teardown without a record removes them. -ENOENT without record.
 */
int xlb_bh_forget(const char *pin_dir);

/** xlb_bh_show() - state, maps and counters of @pin_dir (caller frees) */
int xlb_bh_show(const char *pin_dir, struct xlb_bh_status **out);

/** xlb_bh_state_path() - the state file of @pin_dir */
int xlb_bh_state_path(const char *pin_dir, char *buf, size_t len);

/** xlb_decap_key() - an address as a key of the decap maps */
struct xlb_decap_addr xlb_decap_key(const struct xlb_addr *a);

#endif /* XLB_BACKEND_HOST_H */
