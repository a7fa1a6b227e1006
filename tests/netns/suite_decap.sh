#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_decap.sh - backends that decapsulate with xlb_decap.bpf.o
# (xlbctl backend-host), on the whole path with real traffic:
#
#   cl ── rt ──┬── pop1 (xlbd, XDP on eth0)
#              ├── be1 ┐ xlbctl backend-host setup (native XDP)
#              ├── be2 ┘
#              └── be3   xlbctl backend-host setup --generic
#   bt: a namespace of its own (veth x0/x1) for the setup/teardown cases
#
# Client requests go to the VIPs, the PoP encapsulates them toward a
# backend, the backend strips the tunnel and answers the client directly.
# The other cases check what setup changes and that teardown undoes
# exactly that, setup run twice, bad input, a setup that fails half-way,
# and that the backend's own (non-VIP) traffic is untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

# ASan/UBSan build of xlbctl when make san has run
[ -x "$BUILD/san/xlbctl" ] && LAB_XLBCTL=$BUILD/san/xlbctl
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

lab_init decap
XC=$LAB_XLBCTL

pin() { echo "/sys/fs/bpf/xlb-$LAB_P-$1"; }
# xc NS ARGS... - xlbctl in a namespace
xc() {
	local ns=$1
	shift
	nsx "$ns" "$XC" "$@"
}
state_file() {
	local p
	p=$(pin "$1")
	p=${p#/}
	echo "/run/xlb/backend-host/${p//\//%2f}.state"
}

# show_json NS - xlbctl backend-host show -j of a lab backend
show_json() {
	xc "$1" -j backend-host show --pin-dir "$(pin "$1")"
}

# counter NS NAME - one decap counter of a backend
counter() {
	"$LAB_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["counters"][sys.argv[2]])' \
		"$(show_json "$1")" "$2"
}

# jq_ JSON EXPR - evaluate a Python expression on j = the JSON
jq_() {
	"$LAB_PY" -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' \
		"$1" "$2"
}

# traffic MODE VIP N [SPORT_BASE] [MAX_ERRORS] [TIMEOUT] - client requests;
# prints the JSON summary, fails when more than MAX_ERRORS failed
traffic() {
	nsx cl "$LAB_PY" "$LAB_TRAFFIC" "$1" --vip "$2" --n "$3" \
		--sport-base "${4:-0}" --max-errors "${5:-0}" \
		--timeout "${6:-2}" --deadline 120
}

setup() {
	lab_topology 1 3 || return 1
	lab_route_vips 1
	lab_backend_up 1 || return 1
	lab_backend_up 2 || return 1
	# be3 in generic (skb) mode
	xc be3 backend-host setup --iface eth0 --pin-dir "$(pin be3)" \
		--vip "$VIP4" --vip "$VIP6" --generic || return 1
	lab_defer "nsx be3 $XC backend-host teardown --pin-dir $(pin be3)"
	lab_backend_serve 3 srv-be3 || return 1
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1 2 3"
	lab_pop_start 1 || return 1
	# the isolated namespace of the setup/teardown cases
	lab_ns bt || return 1
	ip -n "$(nsname bt)" link add x0 type veth peer name x1 || return 1
	ip -n "$(nsname bt)" link set x0 up
	ip -n "$(nsname bt)" link set x1 up
	lab_addr bt x0 10.77.0.1/24
	lab_addr bt x0 fd00:77::1/64
	lab_defer "nsx bt $XC backend-host teardown --pin-dir $(pin bt)"
}

# --- what setup does ---------------------------------------------------------

test_setup_attaches_pins_and_records() {
	local j k v
	j=$(show_json be1) || return 1
	check "attached natively" [ "$(jq_ "$j" 'j["attached"] and j["attach_mode"]')" = native ] || return 1
	check "both VIPs in the map, added to lo" \
		[ "$(jq_ "$j" 'sorted((v["address"], v["lo"], v["in_map"]) for v in j["vips"])')" = "[('192.0.2.10', 'added', True), ('2001:db8::10', 'added', True)]" ] || return 1
	check "local addresses include be1's" \
		[ "$(jq_ "$j" '"10.102.1.2" in j["locals"] and "fd00:102:1::2" in j["locals"] and "192.0.2.10" not in j["locals"]')" = True ] || return 1
	check "program on eth0" sh -c "ip -n $(nsname be1) link show eth0 | grep -q 'prog/xdp.*name xlb_decap'" || return 1
	check "VIP4 on lo" sh -c "ip -n $(nsname be1) -4 addr show dev lo | grep -q '192.0.2.10/32'" || return 1
	check "VIP6 on lo" sh -c "ip -n $(nsname be1) -6 addr show dev lo | grep -q '2001:db8::10/128'" || return 1
	for k in all/arp_ignore=1 eth0/arp_ignore=1 all/arp_announce=2 \
		eth0/arp_announce=2 all/rp_filter=0 default/rp_filter=0 \
		eth0/rp_filter=0; do
		v=$(nsx be1 cat "/proc/sys/net/ipv4/conf/${k%=*}")
		check "sysctl $k (is $v)" [ "$v" = "${k#*=}" ] || return 1
	done
	check "pins" ls "$(pin be1)/xlb_decap_vips" "$(pin be1)/xlb_decap_local" \
		"$(pin be1)/xlb_decap_stats_v2" "$(pin be1)/xlb_decap_sources" "$(pin be1)/xlb_decap_cfg" "$(pin be1)/xlb_decap_prog" || return 1
	check "state file" [ -s "$(state_file be1)" ] || return 1
	j=$(show_json be3) || return 1
	check "be3 attached in generic mode" [ "$(jq_ "$j" 'j["attached"] and j["attach_mode"]')" = generic ] || return 1
	check "text show works" sh -c "nsenter --net=/run/netns/$(nsname be1) -- $XC backend-host show --pin-dir $(pin be1) | grep -q 'xlb_decap attached (native'"
}

# --- the whole path ----------------------------------------------------------

# sum of a counter over the three backends
csum() {
	echo $(($(counter be1 "$1") + $(counter be2 "$1") + $(counter be3 "$1")))
}

# path MODE VIP COUNTER - 60 requests through the PoP, every backend
# answers, and the backends' COUNTER moved by at least one per request
path() {
	local out before after
	before=$(csum "$3")
	out=$(traffic "$1" "$2" 60 "${4:-0}") || {
		lab_log "traffic: $out"
		return 1
	}
	lab_log "$1 $2: $out"
	after=$(csum "$3")
	check "be1, be2 (native) and be3 (generic) all answered" \
		[ "$(jq_ "$out" 'sorted(j["counts"])')" = "['be1', 'be2', 'be3']" ] || return 1
	check "$3 counted every request ($before -> $after)" \
		[ $((after - before)) -ge 60 ]
}

test_http_v4_client_pop_backend_client() {
	path http "$VIP4" decap_ipip 31000
}

test_http_v6_client_pop_backend_client() {
	path http "$VIP6" decap_ip6ip6 32000
}

test_udp_v4_and_v6() {
	path udp "$VIP4" decap_ipip 33000 && path udp "$VIP6" decap_ip6ip6 34000
}

# VIP4 served by the backends' IPv6 addresses and VIP6 by their IPv4
# ones: the PoP sends 4in6 and 6in4.
test_4in6_and_6in4() {
	local f=$LAB_TMP/pop1.yaml rc=0 n
	cp "$f" "$f.orig"
	lab_pop_config 1 "$f.v4" "1 2 3"
	"$LAB_PY" - "$f.v4" "$f" <<'EOF' || return 1
import sys, re
src = open(sys.argv[1]).read()
out, fam = [], None
for line in src.splitlines():
    m = re.match(r"  - address: (\S+)", line)
    if m:
        fam = 6 if ":" in m.group(1) else 4
    m = re.match(r"(\s+- address: )10\.102\.(\d+)\.2$", line)
    if m:
        line = "%sfd00:102:%s::2" % (m.group(1), m.group(2))
    else:
        m = re.match(r"(\s+- address: )fd00:102:(\d+)::2$", line)
        if m:
            line = "%s10.102.%s.2" % (m.group(1), m.group(2))
    out.append(line)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
EOF
	check "reload with crossed families" xpop 1 reload || rc=1
	[ $rc = 0 ] && { path http "$VIP4" decap_4in6 35000 || rc=1; }
	[ $rc = 0 ] && { path http "$VIP6" decap_6in4 36000 || rc=1; }
	cp "$f.orig" "$f"
	xpop 1 reload >/dev/null || rc=1
	n=$(csum decap_4in6)
	lab_log "decap_4in6 total $n, decap_6in4 total $(csum decap_6in4)"
	return $rc
}

test_backend_own_traffic_untouched() {
	local before after out
	before=$(counter be1 pass_not_tunnel)
	check "ping be1 v4" nsx cl ping -c2 -i0.2 -W2 "$(be4 1)" >/dev/null || return 1
	check "ping be1 v6" nsx cl ping -6 -c2 -i0.2 -W2 "$(be6 1)" >/dev/null || return 1
	out=$(traffic http "$(be4 1)" 5) || {
		lab_log "$out"
		return 1
	}
	check "HTTP to be1's own v4 address answered by be1" [ "$(jq_ "$out" 'j["counts"].get("be1")')" = 5 ] || return 1
	out=$(traffic http "$(be6 1)" 5) || {
		lab_log "$out"
		return 1
	}
	check "HTTP to be1's own v6 address answered by be1" [ "$(jq_ "$out" 'j["counts"].get("be1")')" = 5 ] || return 1
	after=$(counter be1 pass_not_tunnel)
	check "counted as not tunnel ($before -> $after)" [ $((after - before)) -ge 20 ]
}

# Tunnels that are not for the backend pass to its stack untouched.
test_foreign_tunnels_pass_untouched() {
	local nv nl
	lab_need "$LAB_PY" || return $LAB_SKIP
	"$LAB_PY" -c 'import scapy' 2>/dev/null || return $LAB_SKIP
	nv=$(counter be1 pass_not_vip)
	nl=$(counter be1 pass_not_local)
	nsx rt "$LAB_PY" - "$(be4 1)" <<'EOF' || return 1
import sys, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, send
be = sys.argv[1]
# inner destination is no VIP; outer destination is not be1 (a VIP)
send(IP(dst=be) / IP(src="198.51.100.7", dst="192.0.2.99") / UDP(dport=9),
     count=3, verbose=False)
EOF
	sleep 0.3
	check "pass_not_vip counted 3 ($nv -> $(counter be1 pass_not_vip))" \
		[ $(($(counter be1 pass_not_vip) - nv)) -eq 3 ] || return 1
	check "pass_not_local unchanged" [ "$(counter be1 pass_not_local)" = "$nl" ]
}

# --- setup twice, bad input ----------------------------------------------------

test_setup_twice_changes_nothing() {
	local s0 s1 a0 a1 out
	s0=$(cat "$(state_file be1)")
	a0=$(ip -n "$(nsname be1)" addr show dev lo; ip -n "$(nsname be1)" link show eth0)
	check "second setup succeeds" xc be1 backend-host setup --iface eth0 \
		--pin-dir "$(pin be1)" --vip "$VIP4" --vip "$VIP6" || return 1
	s1=$(cat "$(state_file be1)")
	a1=$(ip -n "$(nsname be1)" addr show dev lo; ip -n "$(nsname be1)" link show eth0)
	check "state unchanged" [ "$s0" = "$s1" ] || return 1
	check "lo and eth0 unchanged (same program)" [ "$a0" = "$a1" ] || return 1
	out=$(traffic http "$VIP4" 20 37000) || {
		lab_log "$out"
		return 1
	}
}

test_setup_again_adds_a_vip_and_reattaches() {
	local j
	# someone detached the program behind our back
	ip -n "$(nsname be2)" link set dev eth0 xdp off
	check "setup again with a third VIP" xc be2 backend-host setup \
		--iface eth0 --pin-dir "$(pin be2)" --vip "$VIP4" --vip "$VIP6" \
		--vip 192.0.2.77 || return 1
	j=$(show_json be2) || return 1
	check "attached again" [ "$(jq_ "$j" 'j["attached"]')" = True ] || return 1
	check "three VIPs" [ "$(jq_ "$j" 'len([v for v in j["vips"] if v["in_map"]])')" = 3 ] || return 1
	check "new VIP on lo" sh -c "ip -n $(nsname be2) addr show dev lo | grep -q 192.0.2.77/32" || return 1
	traffic http "$VIP4" 20 38000 >/dev/null
}

test_setup_on_another_interface_refused() {
	local s0 rc
	s0=$(cat "$(state_file be1)")
	xc be1 backend-host setup --iface lo --pin-dir "$(pin be1)" \
		--vip "$VIP4" 2>"$LAB_TMP/err"
	rc=$?
	lab_log "$(cat "$LAB_TMP/err")"
	check "exit 1 (is $rc)" [ $rc = 1 ] || return 1
	check "says teardown first" grep -q "teardown first" "$LAB_TMP/err" || return 1
	check "state unchanged" [ "$s0" = "$(cat "$(state_file be1)")" ] || return 1
	check "nothing on lo" sh -c "! ip -n $(nsname be1) link show lo | grep -q xdp"
}

# expect_rc RC ARGS... - xlbctl in bt exits RC and leaves no pins/state
# Only the balancers may send tunnels: with --source the decapsulator
# drops to the stack (counted) a tunnel from anyone else, even one to a
# local address with a VIP inside; the balancer's own keep flowing.
test_source_check_only_the_balancers() {
	local j out ns nd
	check "setup be1 again with the PoP as the only source" xc be1 \
		backend-host setup --iface eth0 --pin-dir "$(pin be1)" \
		--vip "$VIP4" --vip "$VIP6" --source "$(pop4 1)/32" \
		--source "fd00:101::/32" || return 1
	j=$(show_json be1) || return 1
	check "source check on, two prefixes" \
		[ "$(jq_ "$j" '(j["source_check"], sorted(j["sources"]))')" = "(True, ['10.101.1.2/32', 'fd00:101::/32'])" ] || return 1
	check "recorded" grep -q "^source 10.101.1.2/32" "$(state_file be1)" || return 1
	out=$(traffic http "$VIP4" 60 36000) || {
		lab_log "$out"
		return 1
	}
	check "be1 still serves v4 ($(jq_ "$out" 'j["counts"]'))" \
		[ "$(jq_ "$out" 'j["counts"].get("be1", 0)')" -gt 0 ] || return 1
	out=$(traffic http "$VIP6" 60 36500) || {
		lab_log "$out"
		return 1
	}
	check "be1 still serves v6" \
		[ "$(jq_ "$out" 'j["counts"].get("be1", 0)')" -gt 0 ] || return 1
	lab_need "$LAB_PY" || return $LAB_SKIP
	"$LAB_PY" -c 'import scapy' 2>/dev/null || return $LAB_SKIP
	ns=$(counter be1 pass_not_source)
	nd=$(counter be1 decap_ipip)
	# from rt (10.102.1.1, not a balancer): local outer dst, VIP inside
	nsx rt "$LAB_PY" - "$(be4 1)" "$VIP4" <<'EOF' || return 1
import sys, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, send
send(IP(dst=sys.argv[1]) / IP(src="198.51.100.7", dst=sys.argv[2]) /
     UDP(sport=4444, dport=5300) / b"spoofed", count=3, verbose=False)
EOF
	sleep 0.3
	check "pass_not_source counted 3 ($ns -> $(counter be1 pass_not_source))" \
		[ $(($(counter be1 pass_not_source) - ns)) -eq 3 ] || return 1
	check "nothing decapsulated meanwhile" [ "$(counter be1 decap_ipip)" = "$nd" ]
}

expect_rc() {
	local want=$1 rc
	shift
	xc bt "$@" >/dev/null 2>"$LAB_TMP/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		lab_log "xlbctl $* exited $rc, want $want: $(cat "$LAB_TMP/err")"
		return 1
	fi
	if [ -e "$(pin bt)" ] || [ -e "$(state_file bt)" ]; then
		lab_log "xlbctl $* left pins or state"
		return 1
	fi
}

test_bad_input_exit_codes() {
	local p
	p=$(pin bt)
	expect_rc 2 backend-host setup --iface x0 --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --vip "$VIP4" --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip 300.1.1.1 --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip 224.0.0.5 --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip 0.0.0.0 --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip "$VIP4" --local nope --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip "$VIP4" --source 10.1.2.3/16 --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip "$VIP4" --source 10.0.0.0/33 --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip "$VIP4" --source fd00::/ --pin-dir "$p" || return 1
	expect_rc 2 backend-host teardown --source 10.0.0.0/8 --pin-dir "$p" || return 1
	expect_rc 2 backend-host setup --iface x0 --vip "$VIP4" --pin-dir relative/dir || return 1
	expect_rc 2 backend-host setup --iface x0 --vip "$VIP4" --pin-dir "$p" --bogus || return 1
	expect_rc 2 backend-host setup --iface x0 --vip "$VIP4" --pin-dir "$p" extra || return 1
	expect_rc 2 backend-host frobnicate || return 1
	expect_rc 2 backend-host teardown --vip "$VIP4" --pin-dir "$p" || return 1
	expect_rc 2 backend-host || return 1
	expect_rc 1 backend-host setup --iface nosuch0 --vip "$VIP4" --pin-dir "$p" || return 1
	expect_rc 1 backend-host show --pin-dir "$p" || return 1
	expect_rc 0 backend-host setup --help || return 1
	expect_rc 0 backend-host teardown --pin-dir "$p" || return 1
	check "bt untouched" sh -c "! ip -n $(nsname bt) addr show dev lo | grep -q 192.0.2"
}

# --- teardown ------------------------------------------------------------------

# snapshot NS IF - everything setup may change
snapshot() {
	local k
	ip -n "$(nsname "$1")" addr show dev lo
	ip -n "$(nsname "$1")" link show dev lo | head -1
	ip -n "$(nsname "$1")" link show dev "$2" | grep -o 'xdp[a-z]*\|prog/xdp.*'
	for k in all/arp_ignore "$2/arp_ignore" all/arp_announce \
		"$2/arp_announce" all/rp_filter default/rp_filter "$2/rp_filter"; do
		echo "$k=$(nsx "$1" cat "/proc/sys/net/ipv4/conf/$k")"
	done
	ls "$(pin "$1")" 2>&1
	ls "$(state_file "$1")" 2>&1
}

# bt_prepare - a host whose settings differ from what setup wants: lo
# down, VIP4 already on lo, odd sysctls (IPv6 addresses do not stay on an
# interface that is down, so the VIP already there is the IPv4 one)
bt_prepare() {
	xc bt backend-host teardown --pin-dir "$(pin bt)" >/dev/null 2>&1
	nsx bt sysctl -qw net.ipv4.conf.all.rp_filter=2 \
		net.ipv4.conf.default.rp_filter=1 net.ipv4.conf.x0.rp_filter=1 \
		net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.x0.arp_announce=1 \
		net.ipv4.conf.all.arp_announce=0
	ip -n "$(nsname bt)" link set lo down
	ip -n "$(nsname bt)" addr replace "$VIP4/32" dev lo
}

test_teardown_undoes_exactly_what_setup_did() {
	local before during after j
	bt_prepare
	before=$(snapshot bt x0)
	check "setup" xc bt backend-host setup --iface x0 --pin-dir "$(pin bt)" \
		--vip "$VIP4" --vip "$VIP6" --local 10.77.0.1 || return 1
	during=$(snapshot bt x0)
	j=$(xc bt -j backend-host show --pin-dir "$(pin bt)")
	lab_log "while set up: $(jq_ "$j" '[(v["address"], v["lo"]) for v in j["vips"]], j["locals"], len(j["sysctls"]), j["lo_brought_up"]')"
	check "setup changed things" [ "$before" != "$during" ] || return 1
	check "VIP4 was on lo already: recorded as present" \
		[ "$(jq_ "$j" '[v["lo"] for v in j["vips"] if v["address"] == "192.0.2.10"][0]')" = present ] || return 1
	check "VIP6 added" \
		[ "$(jq_ "$j" '[v["lo"] for v in j["vips"] if v["address"] == "2001:db8::10"][0]')" = added ] || return 1
	check "only the given local address" [ "$(jq_ "$j" 'j["locals"]')" = "['10.77.0.1']" ] || return 1
	check "lo brought up" [ "$(jq_ "$j" 'j["lo_brought_up"]')" = True ] || return 1
	check "teardown" xc bt backend-host teardown --iface x0 --pin-dir "$(pin bt)" || return 1
	after=$(snapshot bt x0)
	if [ "$before" != "$after" ]; then
		lab_log "before and after teardown differ:"
		diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'
		return 1
	fi
	check "second teardown: nothing to do, exit 0" sh -c \
		"nsenter --net=/run/netns/$(nsname bt) -- $XC backend-host teardown --pin-dir $(pin bt) | grep -q 'nothing to tear down'"
}

# The record and the pins are global, lo and sysctls are per namespace:
# a teardown (or setup) run in another namespace must refuse, not undo the
# record's changes on its own lo and sysctls. --forget drops the record.
test_record_bound_to_its_netns() {
	local bt_before bt_during cl_before cl_after j
	bt_prepare
	bt_before=$(snapshot bt x0)
	check "setup in bt" xc bt backend-host setup --iface x0 \
		--pin-dir "$(pin bt)" --vip "$VIP4" --vip "$VIP6" || return 1
	bt_during=$(snapshot bt x0)
	cl_before=$(snapshot cl eth0)
	xc cl backend-host teardown --pin-dir "$(pin bt)" 2>"$LAB_TMP/err"
	check "teardown from cl: exit 1" [ $? = 1 ] || return 1
	lab_log "$(head -1 "$LAB_TMP/err")"
	check "error names the namespace" grep -q "network namespace" "$LAB_TMP/err" || return 1
	xc cl backend-host setup --iface eth0 --pin-dir "$(pin bt)" \
		--vip "$VIP4" >/dev/null 2>&1
	check "setup from cl on bt's record: exit 1" [ $? = 1 ] || return 1
	cl_after=$(snapshot cl eth0)
	check "cl unchanged" [ "$cl_before" = "$cl_after" ] || return 1
	check "bt unchanged" [ "$(snapshot bt x0)" = "$bt_during" ] || return 1
	j=$(xc cl -j backend-host show --pin-dir "$(pin bt)")
	check "show from cl says another namespace" \
		[ "$(jq_ "$j" 'j["other_netns"]')" = True ] || return 1
	j=$(xc bt -j backend-host show --pin-dir "$(pin bt)")
	check "show from bt: its own, attached" \
		[ "$(jq_ "$j" '(j["other_netns"], j["attached"])')" = "(False, True)" ] || return 1
	check "--forget with --iface is a usage error" expect_rc_only 2 cl \
		backend-host teardown --forget --iface eth0 --pin-dir "$(pin bt)" || return 1
	check "forget from cl" xc cl backend-host teardown --forget \
		--pin-dir "$(pin bt)" || return 1
	check "record gone" [ ! -e "$(state_file bt)" ] || return 1
	check "pins kept" [ -e "$(pin bt)" ] || return 1
	check "nothing undone in bt" sh -c "ip -n $(nsname bt) link show x0 | grep -q prog/xdp" || return 1
	check "cl still unchanged" [ "$(snapshot cl eth0)" = "$cl_before" ] || return 1
	# bt cleans up by hand: program and pins (teardown without a record),
	# then the VIP6 setup had put on lo (forgotten)
	check "teardown without record in bt" xc bt backend-host teardown \
		--iface x0 --pin-dir "$(pin bt)" || return 1
	ip -n "$(nsname bt)" addr del "$VIP6/128" dev lo 2>/dev/null
	check "no pins left" [ ! -e "$(pin bt)" ] || return 1
	[ -n "$bt_before" ]
}

# expect_rc_only RC NS ARGS... - xlbctl in NS exits RC
expect_rc_only() {
	local want=$1 ns=$2
	shift 2
	xc "$ns" "$@" >/dev/null 2>&1
	[ $? = "$want" ]
}

# A bridge has no native XDP: the attach, the last step, fails, and setup
# must undo the VIPs, sysctls and lo it had already changed.
test_failed_setup_leaves_nothing() {
	local before after rc
	bt_prepare
	ip -n "$(nsname bt)" link add br0 type bridge || return $LAB_SKIP
	ip -n "$(nsname bt)" link set br0 up
	nsx bt sysctl -qw net.ipv4.conf.br0.rp_filter=1 \
		net.ipv4.conf.br0.arp_announce=1
	before=$(snapshot bt br0)
	xc bt backend-host setup --iface br0 --pin-dir "$(pin bt)" \
		--vip "$VIP4" --vip "$VIP6" 2>"$LAB_TMP/err"
	rc=$?
	lab_log "$(tail -3 "$LAB_TMP/err")"
	after=$(snapshot bt br0)
	ip -n "$(nsname bt)" link del br0
	check "exit 1 (is $rc)" [ $rc = 1 ] || return 1
	check "the attach was what failed" grep -q "attach xlb_decap to br0" "$LAB_TMP/err" || return 1
	if [ "$before" != "$after" ]; then
		lab_log "before and after the failed setup differ:"
		diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'
		return 1
	fi
}

# Without its decapsulator a backend gets nothing; with it back, it serves.
test_teardown_stops_decap_setup_restores() {
	local out
	check "teardown be2" xc be2 backend-host teardown --iface eth0 \
		--pin-dir "$(pin be2)" || return 1
	check "no program on be2's eth0" sh -c "! ip -n $(nsname be2) link show eth0 | grep -q prog/xdp" || return 1
	check "no VIPs on be2's lo" sh -c "! ip -n $(nsname be2) addr show dev lo | grep -q 192.0.2" || return 1
	check "no pins" [ ! -e "$(pin be2)" ] || return 1
	check "no state" [ ! -e "$(state_file be2)" ] || return 1
	out=$(traffic http "$VIP4" 30 39000 30 1)
	lab_log "be2 torn down: $out"
	check "be2 answered nothing" [ "$(jq_ "$out" 'j["counts"].get("be2", 0)')" = 0 ] || return 1
	check "requests hashed to be2 failed" [ "$(jq_ "$out" 'j["errors"]')" -gt 0 ] || return 1
	check "setup be2 again" xc be2 backend-host setup --iface eth0 \
		--pin-dir "$(pin be2)" --vip "$VIP4" --vip "$VIP6" || return 1
	out=$(traffic http "$VIP4" 30 39000) || {
		lab_log "$out"
		return 1
	}
	check "be2 answers again" [ "$(jq_ "$out" 'j["counts"].get("be2", 0)')" -gt 0 ]
}

if ! setup >"$LAB_TMP/setup.out" 2>&1; then
	sed 's/^/# /' "$LAB_TMP/setup.out"
	echo "not ok - decap lab setup"
	exit 1
fi
lab_run_cases \
	test_setup_attaches_pins_and_records \
	test_http_v4_client_pop_backend_client \
	test_http_v6_client_pop_backend_client \
	test_udp_v4_and_v6 \
	test_4in6_and_6in4 \
	test_backend_own_traffic_untouched \
	test_foreign_tunnels_pass_untouched \
	test_setup_twice_changes_nothing \
	test_setup_again_adds_a_vip_and_reattaches \
	test_setup_on_another_interface_refused \
	test_source_check_only_the_balancers \
	test_bad_input_exit_codes \
	test_teardown_undoes_exactly_what_setup_did \
	test_record_bound_to_its_netns \
	test_failed_setup_leaves_nothing \
	test_teardown_stops_decap_setup_restores
exit $LAB_FAILED
