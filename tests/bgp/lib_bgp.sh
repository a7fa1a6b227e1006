# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib_bgp.sh - BGP in the lab (after lib.sh and lab.sh): FRR in the router
# namespace (zebra installs what BGP learns into rt's kernel, ECMP over
# PoPs), BIRD in each PoP built from bgp/bird.conf.example, and xlbd told
# to drive that BIRD.
#
#   bgp_router_start            FRR in rt, a session to every PoP (v4, v6)
#   bgp_pop_bird_start N [EXTRA]  BIRD in popN; EXTRA: filter lines added to
#                               the export filters (e.g. a prepend)
#   bgp_pop_bird_stop N         kill -9 popN's BIRD (a PoP going silent)
#   bgp_pop_config N FILE ...   lab_pop_config plus the bgp section
#   rt_route PREFIX             rt's kernel route to PREFIX ("" if none)
#   rt_vtysh CMD                a vtysh command in rt
#   BGP_CHECKS                  the PoPs' health check "web" (config text)
#   BGP_PREPEND                 pop2's export: two prepends (a worse path)
#
# FRR runs as user frr, so its directory and LAB_TMP must be reachable.

LAB_AS_RT=65000
LAB_AS_POP=65101
FRR_BIN=${FRR_BIN:-/usr/lib/frr}

# shellcheck disable=SC2034 # used by the scripts that source this
BGP_CHECKS="health_checks:
  - name: web
    type: tcp
    port: 80
    interval_ms: 200
    timeout_ms: 200
    rise: 2
    fall: 2"
# shellcheck disable=SC2034
BGP_PREPEND="	bgp_path.prepend(XLB_MY_AS); bgp_path.prepend(XLB_MY_AS);"

bgp_need() {
	lab_need bird "$FRR_BIN/bgpd" "$FRR_BIN/zebra" "$FRR_BIN/bfdd" vtysh
}

bgp_router_start() {
	local d=$LAB_TMP/frr i
	chmod 755 "$LAB_TMP"
	mkdir -p "$d" && chown frr:frr "$d" || return 1
	# one file per daemon: a daemon stops parsing at a block it does not
	# know
	printf 'frr defaults traditional\nhostname rt\nlog file %s/frr.log\n' \
		"$d" >"$d/zebra.conf"
	{
		cat "$d/zebra.conf"
		echo "bfd"
		echo " profile fast"
		echo "  receive-interval 100"
		echo "  transmit-interval 100"
		echo "  detect-multiplier 3"
		echo " exit"
		echo "exit"
	} >"$d/bfdd.conf"
	{
		cat "$d/zebra.conf"
		echo "router bgp $LAB_AS_RT"
		echo " bgp router-id 10.100.0.1"
		echo " no bgp ebgp-requires-policy"
		echo " no bgp default ipv4-unicast"
		echo " bgp bestpath as-path multipath-relax"
		for i in $(seq "$LAB_NPOPS"); do
			for a in "10.101.$i.2" "fd00:101:$i::2"; do
				echo " neighbor $a remote-as $LAB_AS_POP"
				echo " neighbor $a timers 3 9"
				echo " neighbor $a timers connect 1"
				echo " neighbor $a bfd profile fast"
			done
		done
		echo " address-family ipv4 unicast"
		echo "  maximum-paths 4"
		for i in $(seq "$LAB_NPOPS"); do
			echo "  neighbor 10.101.$i.2 activate"
		done
		echo " exit-address-family"
		echo " address-family ipv6 unicast"
		echo "  maximum-paths 4"
		for i in $(seq "$LAB_NPOPS"); do
			echo "  neighbor fd00:101:$i::2 activate"
		done
		echo " exit-address-family"
		echo "exit"
	} >"$d/bgpd.conf"
	chown frr:frr "$d"/*.conf
	local common=(-u frr -g frr -z "$d/zserv.api" --vty_socket "$d")
	nsx rt "$FRR_BIN/zebra" -d -P 0 -i "$d/zebra.pid" -f "$d/zebra.conf" \
		"${common[@]}" || return 1
	lab_wait 10 test -S "$d/zserv.api" || return 1
	nsx rt "$FRR_BIN/bfdd" -d -P 0 -i "$d/bfdd.pid" -f "$d/bfdd.conf" \
		--bfdctl "$d/bfdd.sock" "${common[@]}" || return 1
	nsx rt "$FRR_BIN/bgpd" -d -P 0 -i "$d/bgpd.pid" -f "$d/bgpd.conf" \
		"${common[@]}" || return 1
	lab_wait 10 test -S "$d/bgpd.vty" || return 1
}

rt_vtysh() {
	nsx rt vtysh --vty_socket "$LAB_TMP/frr" -c "$1"
}

# bgp_pop_bird_start N [EXTRA_FILTER_LINES]
bgp_pop_bird_start() {
	local n=$1 extra=${2:-} f=$LAB_TMP/bird-pop$1.conf
	# the file BIRD needs before xlbd runs (kept if xlbd wrote one)
	"$LAB_XLBCTL" bgp init --file "$LAB_TMP/bird-vips-pop$n.conf" \
		>/dev/null || return 1
	sed -e "s|/run/xlb/bird-vips.conf|$LAB_TMP/bird-vips-pop$n.conf|" \
		-e "s|^log syslog all;|log \"$LAB_TMP/bird-pop$n.log\" all;|" \
		-e "s|router id 10.101.1.2;|router id 10.101.$n.2;|" \
		-e "s|neighbor 10.101.1.1 as|neighbor 10.101.$n.1 as|" \
		-e "s|neighbor fd00:101:1::1 as|neighbor fd00:101:$n::1 as|" \
		"$LAB_ROOT/bgp/bird.conf.example" >"$f" || return 1
	if [ -n "$extra" ]; then
		"$LAB_PY" - "$f" "$extra" <<'PY' || return 1
import sys
p, extra = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("\taccept;\n}", extra + "\n\taccept;\n}")
open(p, "w").write(s)
PY
	fi
	bird -p -c "$f" || return 1
	nsx "pop$n" bird -c "$f" -s "$LAB_TMP/bird-pop$n.ctl" \
		-P "$LAB_TMP/bird-pop$n.pid" || return 1
	lab_wait 10 test -S "$LAB_TMP/bird-pop$n.ctl"
}

bgp_pop_bird_stop() {
	local pid
	pid=$(cat "$LAB_TMP/bird-pop$1.pid" 2>/dev/null) || return 1
	kill -KILL "$pid"
}

# bgp_pop_config N FILE BACKENDS VIPX CHECKS [BGPX] - lab_pop_config and a
# bgp section for this PoP's BIRD (BGPX: more lines in the section)
bgp_pop_config() {
	local n=$1 f=$2
	lab_pop_config "$n" "$f" "$3" "$4" "$5" || return 1
	{
		echo "bgp:"
		echo "  bird_socket: $LAB_TMP/bird-pop$n.ctl"
		echo "  include_file: $LAB_TMP/bird-vips-pop$n.conf"
		echo "  allowed: [192.0.2.0/24, 2001:db8::/48]"
		echo "  hold_down_ms: ${BGP_HOLD_DOWN_MS:-1000}"
		if [ -n "${6:-}" ]; then printf '%s\n' "$6"; fi
	} >>"$f"
}

# rt_route PREFIX - rt's kernel route (one line per next hop), "" if none
rt_route() {
	case $1 in
	*:*) ip -n "$(nsname rt)" -6 route show "$1" proto bgp ;;
	*) ip -n "$(nsname rt)" route show "$1" proto bgp ;;
	esac
}

rt_has_route() { [ -n "$(rt_route "$1")" ]; }
rt_no_route() { [ -z "$(rt_route "$1")" ]; }
