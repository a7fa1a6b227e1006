#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xlb-lab.sh - a PoP lab in network namespaces that stays up (make lab,
# make lab-down; docs/netns.md).
#
#   xlb-lab.sh up      build the lab around your xlb.yaml and leave it running
#   xlb-lab.sh info    print how to reach it again
#   xlb-lab.sh down    remove every namespace, process, pin and XDP program
#                      the lab recorded
#
#   cl ── rt ─┬─ pop1..popN   xlbd (+ BIRD when the config has a bgp section)
#   (client)  │               XDP on eth0, 10.101.N.2 / fd00:101:N::2
#   (router,  └─ be1..beM     xlb_decap.bpf.o, the VIPs on lo, HTTP :80,
#    FRR)                     line echo :7, UDP echo :5300; 10.102.M.2
#
# Environment:
#   LAB_CONFIG=FILE   your xlb.yaml (default: one like the test suites',
#                     VIPs 192.0.2.10 and 2001:db8::10, a tcp check, bgp).
#                     The lab runs a copy in which api.socket, lb.source4/6
#                     and bgp.bird_socket/include_file are the lab's; the
#                     rest (interfaces: eth0, backends: the lab's addresses)
#                     is yours. Runtime changes go to the copy.
#   LAB_POPS=N        PoPs (default 1), LAB_BACKENDS=M backends (default 3)
#   LAB_STATE_DIR=DIR where the state is recorded (default /run/xlb-lab)
#   BUILD=DIR         the binaries (default build)
#
# Everything the lab creates is recorded in $LAB_STATE_DIR/state as it is
# created, so "down" removes it even after an "up" that failed half-way
# or was killed.
set -u

LAB_STATE_DIR=${LAB_STATE_DIR:-/run/xlb-lab}
LAB_STATE=$LAB_STATE_DIR/state
# shellcheck disable=SC2034 # read by lib.sh: lab_init installs no teardown trap
LAB_PERSIST=1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/lab.sh"
. "$HERE/../bgp/lib_bgp.sh"

die() {
	echo "xlb-lab: $*" >&2
	exit 1
}

# what "down" needs, and what "info" prints
save_state() {
	mkdir -p "$LAB_STATE_DIR" || return 1
	declare -p LAB_P LAB_TMP LAB_NS LAB_PIDS LAB_CLEANUP_CMDS \
		LAB_NPOPS LAB_NBE LAB_BGP LAB_VIPS LAB_CONFIG_SRC \
		>"$LAB_STATE.tmp" 2>/dev/null || return 1
	mv "$LAB_STATE.tmp" "$LAB_STATE"
}

# lab_yaml - python3 with PyYAML, every scalar read as a string (BaseLoader),
# so "010" or "0x5eed" reach xlbd exactly as the operator wrote them
lab_yaml() {
	"$LAB_PY" -c '
import sys, yaml
op, src = sys.argv[1], sys.argv[2]
c = yaml.load(open(src), Loader=yaml.BaseLoader) or {}
if op == "has-bgp":
    sys.exit(0 if isinstance(c.get("bgp"), dict) else 1)
if op == "vips":
    seen = []
    for v in c.get("vips") or []:
        if v.get("address") and v["address"] not in seen:
            seen.append(v["address"])
    print(" ".join(seen))
    sys.exit(0)
if op == "backends":
    seen = []
    for v in c.get("vips") or []:
        for b in v.get("backends") or []:
            if b.get("address") not in seen:
                seen.append(b.get("address"))
    print(" ".join(seen))
    sys.exit(0)
# op == "patch": the lab copy of PoP n
n, dst, tmp = sys.argv[3], sys.argv[4], sys.argv[5]
c.setdefault("api", {})
c["api"]["socket"] = "%s/pop%s.sock" % (tmp, n)
lb = c.get("lb")
if isinstance(lb, dict):
    if "source4" in lb:
        lb["source4"] = "10.101.%s.2" % n
    if "source6" in lb:
        lb["source6"] = "fd00:101:%s::2" % n
if isinstance(c.get("bgp"), dict):
    c["bgp"]["bird_socket"] = "%s/bird-pop%s.ctl" % (tmp, n)
    c["bgp"]["include_file"] = "%s/bird-vips-pop%s.conf" % (tmp, n)
with open(dst, "w") as f:
    f.write("# the lab copy of %s (xlb-lab.sh)\n" % src)
    yaml.safe_dump(c, f, default_flow_style=False, sort_keys=False)
' "$@"
}

# backend_up N VIP... - decapsulator with these VIPs on lo, the servers
backend_up() {
	local n=$1 v vargs=() aargs=()
	shift
	for v in "$@"; do
		vargs+=(--vip "$v")
		aargs+=(--addr "$v")
	done
	nsx "be$n" "$LAB_XLBCTL" backend-host setup --iface eth0 \
		--pin-dir "/sys/fs/bpf/xlb-$LAB_P-be$n" "${vargs[@]}" \
		>/dev/null || return 1
	lab_defer nsx "be$n" "$LAB_XLBCTL" backend-host teardown \
		--iface eth0 --pin-dir "/sys/fs/bpf/xlb-$LAB_P-be$n"
	save_state
	lab_bg "be$n" "srv-be$n" "$LAB_PY" "$LAB_TRAFFIC" serve --name "be$n" \
		"${aargs[@]}" --addr "$(be4 "$n")" --addr "$(be6 "$n")"
	save_state
	lab_wait 15 grep -q '^serving' "$LAB_TMP/srv-be$n.log" || {
		tail -5 "$LAB_TMP/srv-be$n.log" >&2
		return 1
	}
}

# static_routes - without BGP: rt sends every VIP to the PoPs (ECMP)
static_routes() {
	local v p nh
	for v in $LAB_VIPS; do
		nh=()
		for p in $(seq "$LAB_NPOPS"); do
			case $v in
			*:*) nh+=(nexthop via "$(pop6 "$p")" dev "p$p") ;;
			*) nh+=(nexthop via "$(pop4 "$p")" dev "p$p") ;;
			esac
		done
		case $v in
		*:*) ip -n "$(nsname rt)" -6 route replace "$v/128" "${nh[@]}" ;;
		*) ip -n "$(nsname rt)" route replace "$v/32" "${nh[@]}" ;;
		esac || return 1
	done
}

first_vip_routed() {
	local v=${LAB_VIPS%% *}
	rt_has_route "$v"
}

up_fail() {
	echo "xlb-lab: setting up failed; removing what was made" >&2
	for f in "$LAB_TMP"/xlbd-*.log; do
		[ -e "$f" ] && tail -5 "$f" | sed "s|^|  $(basename "$f"): |" >&2
	done
	lab_cleanup
	rm -f "$LAB_STATE"
	exit 1
}

cmd_up() {
	local i b lab_be=" "
	[ -e "$LAB_STATE" ] &&
		die "a lab is up already ($LAB_STATE): make lab-down first"
	[ "$(id -u)" = 0 ] || die "run as root (namespaces, XDP, bpffs)"
	[ -x "$LAB_XLBD" ] || die "$LAB_XLBD missing: make all first"
	LAB_CONFIG_SRC=${LAB_CONFIG:-}
	if [ -n "$LAB_CONFIG_SRC" ]; then
		[ -r "$LAB_CONFIG_SRC" ] || die "LAB_CONFIG: cannot read $LAB_CONFIG_SRC"
		LAB_CONFIG_SRC=$(realpath "$LAB_CONFIG_SRC")
		"$LAB_PY" -c 'import yaml' 2>/dev/null ||
			die "LAB_CONFIG needs python3-yaml (deploy/deps.sh)"
	fi
	LAB_NPOPS=${LAB_POPS:-1}
	LAB_NBE=${LAB_BACKENDS:-3}
	LAB_VIPS=""
	LAB_BGP=0
	lab_init lab
	mkdir -p "$LAB_STATE_DIR" || die "cannot create $LAB_STATE_DIR"
	save_state || die "cannot write $LAB_STATE"
	trap up_fail EXIT
	trap 'exit 130' INT TERM

	# the PoPs' configuration: yours (patched copies) or the generated one
	if [ -n "$LAB_CONFIG_SRC" ]; then
		lab_yaml has-bgp "$LAB_CONFIG_SRC" && LAB_BGP=1
		for i in $(seq "$LAB_NPOPS"); do
			lab_yaml patch "$LAB_CONFIG_SRC" "$i" \
				"$LAB_TMP/pop$i.yaml" "$LAB_TMP" || exit 1
		done
		LAB_VIPS=$(lab_yaml vips "$LAB_TMP/pop1.yaml")
	else
		bgp_need >/dev/null && LAB_BGP=1
		LAB_VIPS="$VIP4 $VIP6"
	fi
	[ -n "$LAB_VIPS" ] || { echo "xlb-lab: the config has no VIP" >&2; exit 1; }
	if [ "$LAB_BGP" = 1 ] && ! bgp_need >/dev/null; then
		echo "xlb-lab: the config has a bgp section but bird or frr is" \
			"missing (make deps)" >&2
		exit 1
	fi
	save_state

	lab_log "topology: client, router, $LAB_NPOPS PoP(s), $LAB_NBE backends"
	lab_topology "$LAB_NPOPS" "$LAB_NBE" || exit 1
	save_state
	if [ -z "$LAB_CONFIG_SRC" ]; then
		for i in $(seq "$LAB_NPOPS"); do
			if [ "$LAB_BGP" = 1 ]; then
				bgp_pop_config "$i" "$LAB_TMP/pop$i.yaml" "" \
					"    health_check: web" "$BGP_CHECKS"
			else
				lab_pop_config "$i" "$LAB_TMP/pop$i.yaml" "" \
					"    health_check: web" "$BGP_CHECKS"
			fi || exit 1
		done
	fi
	for i in $(seq "$LAB_NBE"); do
		lab_be+="$(be4 "$i") $(be6 "$i") "
	done
	for b in $(lab_yaml backends "$LAB_TMP/pop1.yaml" 2>/dev/null); do
		[[ $lab_be == *" $b "* ]] ||
			lab_log "warning: backend $b is not a lab backend" \
				"(10.102.N.2, fd00:102:N::2): it will stay down"
	done
	for i in $(seq "$LAB_NBE"); do
		# shellcheck disable=SC2086 # a list of addresses
		backend_up "$i" $LAB_VIPS || exit 1
	done
	lab_log "backends up, serving $LAB_VIPS"
	if [ "$LAB_BGP" = 1 ]; then
		bgp_router_start || exit 1
		for i in $(seq "$LAB_NPOPS"); do
			bgp_pop_bird_start "$i" || exit 1
		done
		lab_log "FRR in the router, BIRD in every PoP"
	fi
	for i in $(seq "$LAB_NPOPS"); do
		lab_pop_start "$i" || exit 1
		save_state
	done
	lab_log "xlbd up in every PoP"
	if [ "$LAB_BGP" = 1 ]; then
		lab_wait 60 first_vip_routed || {
			echo "xlb-lab: the router learnt no VIP within 60 s" >&2
			exit 1
		}
		lab_log "the router learnt the VIPs over BGP"
	else
		static_routes || exit 1
		lab_log "static VIP routes in the router (no bgp section)"
	fi
	save_state || exit 1
	trap - EXIT INT TERM
	cmd_info
}

cmd_info() {
	local i s="" down=""
	[ "$LAB_STATE_DIR" = /run/xlb-lab ] ||
		down="LAB_STATE_DIR=$LAB_STATE_DIR "
	[ "$LAB_NPOPS" -gt 1 ] && s=" (pop2..pop$LAB_NPOPS alike)"
	cat <<EOF
xlb lab up: prefix $LAB_P, state $LAB_STATE, files and logs in $LAB_TMP
config: ${LAB_CONFIG_SRC:-generated} (running copy: $LAB_TMP/pop1.yaml)
VIPs: $LAB_VIPS; BGP: $([ "$LAB_BGP" = 1 ] && echo "FRR router, BIRD per PoP" || echo "off (static routes)")

  namespaces   $LAB_P-cl (client 10.100.0.2), $LAB_P-rt (router),
               $LAB_P-pop1..$LAB_NPOPS (10.101.N.2), $LAB_P-be1..$LAB_NBE (10.102.N.2)
  xlbctl       $LAB_XLBCTL -s $LAB_TMP/pop1.sock status$s
               $LAB_XLBCTL -s $LAB_TMP/pop1.sock backend show ${LAB_VIPS%% *} --port 80 --proto tcp
  a shell      nsenter --net=/run/netns/$LAB_P-pop1 bash
               (not "ip netns exec": it remounts /sys and hides the pins)
  client       nsenter --net=/run/netns/$LAB_P-cl curl -s http://${LAB_VIPS%% *}/
EOF
	if [ "$LAB_BGP" = 1 ]; then
		cat <<EOF
  router       nsenter --net=/run/netns/$LAB_P-rt vtysh --vty_socket $LAB_TMP/frr -c 'show bgp ipv4 unicast'
  BIRD         birdc -s $LAB_TMP/bird-pop1.ctl show protocols
EOF
	fi
	cat <<EOF
  logs         $LAB_TMP/xlbd-pop1-*.log, $LAB_TMP/srv-be*.log
  take it down ${down}make lab-down   (or ${down}$0 down)
EOF
}

cmd_down() {
	local ns p
	# LAB_PIDS, LAB_NS, LAB_CLEANUP_CMDS ... (declare -p at top level)
	lab_cleanup
	# anything left under our prefix (an "up" killed between two saves)
	for ns in $(ip netns list | awk '{print $1}'); do
		[[ $ns == "$LAB_P-"* ]] || continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for p in /sys/fs/bpf/xlb-"$LAB_P"-*; do
		[ -e "$p" ] && rm -rf "$p"
	done
	[ -n "${LAB_TMP:-}" ] && rm -rf "$LAB_TMP"
	rm -f "$LAB_STATE"
	rmdir "$LAB_STATE_DIR" 2>/dev/null
	echo "xlb lab $LAB_P down: namespaces, processes, pins removed"
}

case ${1:-} in
up)
	cmd_up
	;;
info | down)
	if [ ! -e "$LAB_STATE" ]; then
		echo "xlb-lab: no lab is up ($LAB_STATE)"
		exit 0
	fi
	# shellcheck disable=SC1090 # the state file declare -p wrote
	. "$LAB_STATE" || die "cannot read $LAB_STATE"
	if [ "$1" = info ]; then cmd_info; else cmd_down; fi
	;;
*)
	echo "usage: $0 up|info|down  (make lab, make lab-down; docs/netns.md)" >&2
	exit 2
	;;
esac
