#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_bgp.sh - anycast: xlbd decides, BIRD announces, FRR routes.
#
#   cl ── rt (FRR: zebra, bgpd, bfdd; ECMP) ──┬── pop1 (xlbd + BIRD, AS 65101)
#                                             ├── pop2 (the same, path
#                                             │         prepended: farther)
#                                             └── be1..be3 (decap, servers)
#
# Both PoPs announce 192.0.2.10/32 and 2001:db8::10/128 from
# bgp/bird.conf.example; the router installs what BGP learns in its kernel,
# which is what the cases look at (and what the client's packets follow).
# Health checks: tcp :80 every 200 ms, rise 2, fall 2; hold-down 1 s.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/lab.sh"
. "$(dirname "$0")/lib_bgp.sh"

lab_init bgp

setup() {
	local i
	lab_topology 2 3 || return 1
	for i in 1 2 3; do
		lab_backend_up "$i" || return 1
	done
	bgp_router_start || {
		lab_log "FRR did not start"
		cat "$LAB_TMP/frr/frr.log" 2>/dev/null | tail -5
		return 1
	}
	bgp_pop_bird_start 1 || return 1
	bgp_pop_bird_start 2 "$BGP_PREPEND" || return 1
	for i in 1 2; do
		bgp_pop_config "$i" "$LAB_TMP/pop$i.yaml" "1 2 3" \
			"    health_check: web" "$BGP_CHECKS" || return 1
		lab_pop_start "$i" || return 1
	done
}

# via_pop N PREFIX - rt's route to PREFIX goes to PoP N only (by the
# port toward it: IPv6 next hops are link-local)
via_pop() {
	local r
	r=$(rt_route "$2")
	[ "$(grep -o 'dev p[0-9]*' <<<"$r" | sort -u)" = "dev p$1" ]
}

# http_ok VIP BASE - 30 requests from the client, none failing
http_ok() {
	local out
	out=$(lab_http "$1" 30 "$2") || return 1
	[ "$(json_get "$out" errors)" = 0 ]
}

# pop_packets N - VIP packets PoP N's data path has seen
pop_packets() {
	xpop "$1" -j stats | "$LAB_PY" -c '
import json, sys
print(sum(v["packets"] for v in json.load(sys.stdin)["vips"]))'
}

all_pop1() {
	local b s=$1
	for b in 1 2 3; do
		for v in "$VIP4:80/tcp" "$VIP4:7/tcp" "$VIP4:5300/udp" \
			"[$VIP6]:80/tcp" "[$VIP6]:7/tcp" "[$VIP6]:5300/udp"; do
			case $v in
			\[*) xpop 1 backend set "$v" "$(be6 $b)" state "$s" \
				>/dev/null || return 1 ;;
			*) xpop 1 backend set "$v" "$(be4 $b)" state "$s" \
				>/dev/null || return 1 ;;
			esac
		done
	done
}

test_announced_when_servable_v4_and_v6() {
	check "v4 route at the router" lab_wait 30 rt_has_route "$VIP4" ||
		return 1
	check "v6 route at the router" lab_wait 15 rt_has_route "$VIP6" ||
		return 1
	rt_route "$VIP4" | sed 's/^/# /'
	check "nearest PoP (pop1) preferred, v4" lab_wait 15 via_pop 1 "$VIP4" ||
		return 1
	check "nearest PoP (pop1) preferred, v6" lab_wait 15 via_pop 1 "$VIP6" ||
		return 1
	local p0
	p0=$(pop_packets 1)
	check "HTTP over the BGP route, v4" http_ok "$VIP4" 10000 || return 1
	check "HTTP over the BGP route, v6" http_ok "$VIP6" 10100 || return 1
	check "pop1 carried it" test "$(pop_packets 1)" -gt "$p0" || return 1
	xpop 1 bgp show | sed 's/^/# /'
	check "xlbctl bgp show: BIRD in step" bird_synced 1
}

bird_synced() { xpop "$1" -j bgp show | grep -q '"bird_synced": true'; }

test_withdrawn_when_backends_fail_then_back() {
	local i
	for i in 1 2 3; do lab_backend_kill "$i"; done
	check "pop1 withdraws v4 (pop2 too: same backends)" \
		lab_wait 15 rt_no_route "$VIP4" || return 1
	check "v6 withdrawn" lab_wait 15 rt_no_route "$VIP6" || return 1
	xpop 1 bgp show | sed 's/^/# /'
	for i in 1 2 3; do lab_backend_revive "$i" || return 1; done
	check "announced again after the hold-down" \
		lab_wait 30 via_pop 1 "$VIP4" || return 1
	check "v6 too" lab_wait 15 via_pop 1 "$VIP6"
}

test_nearest_pop_fails_traffic_moves_and_returns() {
	check "start: via pop1" lab_wait 15 via_pop 1 "$VIP4" || return 1
	# pop1 alone loses its backends (operator: state down)
	all_pop1 down || return 1
	nearest_fails_moves
	local rc=$?
	all_pop1 up || return 1
	[ $rc = 0 ] || return 1
	check "back to pop1" lab_wait 30 via_pop 1 "$VIP4" || return 1
	check "v6 too" lab_wait 15 via_pop 1 "$VIP6" || return 1
	check "HTTP through pop1 again" http_ok "$VIP4" 11100
}

nearest_fails_moves() {
	local p2
	check "route moves to pop2" lab_wait 15 via_pop 2 "$VIP4" || return 1
	check "v6 too" lab_wait 15 via_pop 2 "$VIP6" || return 1
	p2=$(pop_packets 2)
	check "HTTP through pop2" http_ok "$VIP4" 11000 || return 1
	check "pop2 carried it" test "$(pop_packets 2)" -gt "$p2"
}

# sample the router's route every 20 ms while CMD runs; fails on a gap
no_gap_while() {
	local gaps=0 end
	"$@" &
	local pid=$!
	end=$(($(date +%s) + 30))
	while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do
		rt_has_route "$VIP4" || gaps=$((gaps + 1))
		sleep 0.02
	done
	wait "$pid"
	local rc=$?
	# CMD ran in a subshell: the xlbd it started is not in this shell's
	# LAB_PIDS, and cleanup would run "xlbd --cleanup" while it still holds
	# the pins (they leaked): adopt it
	if [ -s "$LAB_TMP/restarted.pid" ]; then
		LAB_XLBD_PID_1=$(cat "$LAB_TMP/restarted.pid")
		LAB_PIDS+=("$LAB_XLBD_PID_1")
		rm -f "$LAB_TMP/restarted.pid"
	fi
	[ "$rc" = 0 ] || return 1
	# and a while after the restart, while xlbd decides again
	for _ in $(seq 100); do
		rt_has_route "$VIP4" || gaps=$((gaps + 1))
		sleep 0.02
	done
	lab_log "samples without a route: $gaps"
	[ "$gaps" -eq 0 ]
}

restart_pop1() {
	lab_pop_stop 1 && lab_pop_start 1 >/dev/null
	echo "$LAB_XLBD_PID_1" >"$LAB_TMP/restarted.pid"
}

test_restart_of_xlbd_withdraws_nothing() {
	check "start: via pop1" lab_wait 15 via_pop 1 "$VIP4" || return 1
	check "route stays through an xlbd restart" no_gap_while restart_pop1 ||
		return 1
	check "still via pop1" via_pop 1 "$VIP4"
}

# the router's BGP entry for the VIP from pop1
rt_entry_json() {
	rt_vtysh "show bgp ipv4 unicast $VIP4/32 json"
}

has_gshut() {
	rt_entry_json | "$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
ok = any("10.101.1.2" in json.dumps(p.get("peer", {})) and
         "graceful" in json.dumps(p.get("community", {})).lower()
         for p in d.get("paths", []))
sys.exit(0 if ok else 1)'
}

test_drain_tags_graceful_shutdown_then_withdraws() {
	check "start: via pop1" lab_wait 15 via_pop 1 "$VIP4" || return 1
	xpop 1 pop drain || return 1
	drain_case
	local rc=$?
	xpop 1 pop undrain || return 1
	[ $rc = 0 ] || return 1
	check "undrained: back to pop1" lab_wait 15 via_pop 1 "$VIP4"
}

drain_case() {
	check "router sees GRACEFUL_SHUTDOWN on pop1's route" \
		lab_wait 10 has_gshut || {
		rt_entry_json | head -c 3000
		return 1
	}
	rt_entry_json | head -c 600 | tr '\n' ' ' | sed 's/^/# /'
	echo
	check "router prefers pop2 before any withdrawal" \
		lab_wait 10 via_pop 2 "$VIP4" || return 1
	# kept in the state file (config file untouched), so a restart or a
	# reboot keeps the PoP drained
	check "drain is a runtime override" sh -c "$LAB_XLBCTL -s $LAB_TMP/pop1.sock \
config diff | grep -qx '~ global bgp.drain: off -> graceful'" || return 1
	check "drain is saved in the state file" \
		grep -q 'drain: graceful' "$LAB_TMP/pop1.state.json" || return 1
	check "config file untouched" sh -c "! grep -q 'drain: ' $LAB_TMP/pop1.yaml" ||
		return 1
	xpop 1 pop drain --wait --timeout 5 --threshold 1000000 |
		sed 's/^/# /'
	check "withdrawn: the router has pop1's route no more" \
		lab_wait 10 no_path_from_pop1 || return 1
	check "drained and withdrawn is saved in the state file" \
		grep -q 'drain: withdrawn' "$LAB_TMP/pop1.state.json"
}

# no path of the router's entry comes from pop1 (the entry also lists the
# peers it is advertised to, pop1 among them)
no_path_from_pop1() {
	rt_entry_json | "$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(1 if any(p.get("peer", {}).get("peerId") == "10.101.1.2"
                  for p in d.get("paths", [])) else 0)'
}

# pop withdraw: no graceful phase, pop1's routes go at once; undrain
# brings them back
test_pop_withdraw_then_undrain() {
	local t0 ms
	check "start: via pop1" lab_wait 15 via_pop 1 "$VIP4" || return 1
	t0=$(lab_ms)
	check "xlbctl pop withdraw" xpop 1 pop withdraw || return 1
	check "the router has pop1's route no more" \
		lab_wait 5 no_path_from_pop1 || {
		rt_entry_json | head -c 2000
		xpop 1 pop undrain
		return 1
	}
	ms=$(($(lab_ms) - t0))
	lab_log "pop withdraw -> pop1's path gone at the router: $ms ms"
	check "traffic via pop2" lab_wait 5 via_pop 2 "$VIP4" || return 1
	check "withdrawn is saved in the state file" \
		grep -q 'drain: withdrawn' "$LAB_TMP/pop1.state.json" || return 1
	check "HTTP through pop2" http_ok "$VIP4" 12000 || return 1
	check "xlbctl pop undrain" xpop 1 pop undrain || return 1
	check "undrained: back to pop1" lab_wait 15 via_pop 1 "$VIP4"
}

# pop1_path_len - AS path length of the router's path from pop1
pop1_path_len() {
	rt_entry_json | "$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
for p in d.get("paths", []):
    if p.get("peer", {}).get("peerId") == "10.101.1.2":
        print(p.get("aspath", {}).get("length"))
        break'
}

pop1_path_len_is() { [ "$(pop1_path_len)" = "$1" ]; }

# bgp.prepend: 3 in pop1's config makes its path 4 long; pop2 (prepended
# twice by the lab, 3 long) is then the nearer PoP; 0 again undoes it
test_prepend_lengthens_the_path() {
	local f=$LAB_TMP/pop1.yaml
	check "start: via pop1, path of 1" lab_wait 15 pop1_path_len_is 1 ||
		return 1
	cp "$f" "$f.noprepend"
	sed -i 's/^bgp:$/bgp:\n  prepend: 3/' "$f"
	check "prepend in the config" grep -q '^  prepend: 3' "$f" || return 1
	check "xlbctl reload" xpop 1 reload >/dev/null || return 1
	check "router sees pop1's path 4 long" \
		lab_wait 10 pop1_path_len_is 4 || {
		rt_entry_json | head -c 2000
		cp "$f.noprepend" "$f"
		xpop 1 reload
		return 1
	}
	rt_entry_json | "$LAB_PY" -c '
import json, sys
for p in json.load(sys.stdin).get("paths", []):
    print("# path from", p.get("peer", {}).get("peerId"), ":",
          p.get("aspath", {}).get("string"))'
	check "BIRD's XLB_PREPEND verified" lab_wait 5 bird_synced 1 || return 1
	check "router prefers pop2 now" lab_wait 10 via_pop 2 "$VIP4" || return 1
	cp "$f.noprepend" "$f"
	check "xlbctl reload" xpop 1 reload >/dev/null || return 1
	check "path of 1 again" lab_wait 10 pop1_path_len_is 1 || return 1
	check "back to pop1" lab_wait 15 via_pop 1 "$VIP4"
}

nobird_failures() {
	nsx pop1 "$LAB_XLBCTL" -s "$LAB_TMP/nobird.sock" -j bgp show |
		"$LAB_PY" -c 'import json,sys; print(json.load(sys.stdin).get("bird_failures", 0))'
}

nobird_failed_3() { [ "$(nobird_failures)" -ge 3 ]; }

# xlbd started before BIRD: one error line that names the socket once, not
# one per retry; neighbours being resolved are not warnings. A second xlbd
# in pop1 with its own socket and pins, --no-attach (pop1's own keeps the
# interface), and a BIRD socket nobody listens on.
test_xlbd_before_bird_logs_one_line() {
	local f=$LAB_TMP/nobird.yaml log pin=/sys/fs/bpf/xlb-$LAB_P-nobird
	local ctl=$LAB_TMP/nobird.ctl n
	bgp_pop_config 1 "$f" "1 2 3" "    health_check: web" "$BGP_CHECKS" ||
		return 1
	sed -i -e "s|$LAB_TMP/pop1.sock|$LAB_TMP/nobird.sock|" \
		-e "s|bird_socket: .*|bird_socket: $ctl|" \
		-e "s|include_file: .*|include_file: $LAB_TMP/nobird-vips.conf|" \
		"$f"
	lab_defer rm -rf "$pin"
	lab_bg pop1 nobird "$LAB_XLBD" -c "$f" -p "$pin" --no-attach
	local pid=$LAB_LAST_PID
	log=$LAB_TMP/nobird.log
	check "three failed attempts to reach BIRD" lab_wait 20 nobird_failed_3
	local rc=$? fails
	fails=$(nobird_failures)
	lab_stop "$pid"
	rm -rf "$pin"
	[ $rc = 0 ] || { tail -5 "$log"; return 1; }
	grep 'bgp: BIRD' "$log" | sed 's/^/# /'
	n=$(grep -c 'err: bgp:' "$log")
	check "one error line for $fails failures (got $n)" \
		test "$n" = 1 || return 1
	check "the socket named once in it" \
		test "$(grep 'err: bgp:' "$log" | grep -o "$ctl" | wc -l)" = 1 ||
		return 1
	check "no neighbour warning" sh -c "! grep -q 'warn:.*next hop' $log"
}

test_allowed_range_guard() {
	local f=$LAB_TMP/outside.yaml out
	# xlbd refuses a VIP outside bgp.allowed
	bgp_pop_config 1 "$f" "1 2 3" "" "" || return 1
	"$LAB_PY" - "$f" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("vips:\n", "vips:\n  - address: 198.51.100.1\n    port: 80\n"
              "    protocol: tcp\n    backends:\n      - address: 10.102.1.2\n", 1)
open(p, "w").write(s)
PY
	out=$("$LAB_XLBD" --check -c "$f" 2>&1)
	lab_log "xlbd --check: $out"
	check "xlbd refuses it" sh -c "! $LAB_XLBD --check -c $f >/dev/null 2>&1" ||
		return 1
	check "and says why" grep -q "outside bgp.allowed" <<<"$out" || return 1
	# BIRD's filter refuses it too, even if the include file lists it
	local inc=$LAB_TMP/bird-vips-pop2.conf saved
	saved=$(cat "$inc")
	# with it, a marker inside the range: once the marker reaches the
	# router, so would the forbidden prefix (same configure, same export)
	sed -i -e 's|define XLB_VIPS4 = \[ 0.0.0.0/32|&, 198.51.100.1/32, 192.0.2.77/32|' \
		-e 's|^\tipv4;|&\n\troute 198.51.100.1/32 blackhole;\n\troute 192.0.2.77/32 blackhole;|' "$inc"
	nsx pop2 birdc -s "$LAB_TMP/bird-pop2.ctl" configure | sed 's/^/# /'
	check "the marker in the range reaches the router" \
		lab_wait 15 rt_has_route 192.0.2.77/32
	local rc=$?
	check "VIP inside the range still announced" rt_has_route "$VIP4" ||
		rc=1
	check "198.51.100.1/32 never reaches the router" \
		rt_no_route 198.51.100.1/32 || rc=1
	printf '%s\n' "$saved" >"$inc"
	nsx pop2 birdc -s "$LAB_TMP/bird-pop2.ctl" configure >/dev/null
	return $rc
}

test_bird_dies_router_drops_pop_within_bfd_time() {
	local t0 ms
	check "start: via pop1" lab_wait 15 via_pop 1 "$VIP4" || return 1
	t0=$(date +%s%N)
	bgp_pop_bird_stop 1 || return 1
	check "route moves to pop2" lab_wait 10 via_pop 2 "$VIP4" || return 1
	ms=$((($(date +%s%N) - t0) / 1000000))
	lab_log "pop1's BIRD killed: route via pop2 after $ms ms (hold time 9 s)"
	check "within BFD's detection, not the hold time" test "$ms" -lt 3000 ||
		return 1
	check "HTTP through pop2" http_ok "$VIP4" 12000 || return 1
	bgp_pop_bird_start 1 || return 1
	check "pop1 back once its BIRD is" lab_wait 30 via_pop 1 "$VIP4"
}

# ecmp_on / ecmp_off - pop2's BIRD without / with the prepend
pop2_bird_reconf() {
	local f=$LAB_TMP/bird-pop2.conf
	if [ "$1" = on ]; then
		grep -v 'bgp_path.prepend(XLB_MY_AS); bgp_path.prepend' "$f" \
			>"$f.new"
	else
		"$LAB_PY" - "$f" "$BGP_PREPEND" >/dev/null <<'PY'
import sys
p, extra = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("\taccept;\n}", extra + "\n\taccept;\n}")
open(p + ".new", "w").write(s)
PY
	fi
	mv "$f.new" "$f" &&
		nsx pop2 birdc -s "$LAB_TMP/bird-pop2.ctl" configure >/dev/null
}

ecmp_both() {
	[ "$(rt_route "$VIP4" | grep -o 'dev p[0-9]*' | sort -u | wc -l)" -eq 2 ]
}

test_ecmp_live_connection_survives_a_path_switch() {
	pop2_bird_reconf on || return 1
	ecmp_case
	local rc=$?
	hold_stop e 2>/dev/null
	xpop 1 pop undrain >/dev/null
	xpop 2 pop undrain >/dev/null
	pop2_bird_reconf off || return 1
	check "pop2 farther again" lab_wait 15 via_pop 1 "$VIP4" || return 1
	return $rc
}

ecmp_case() {
	local a1 a2 b1 b2 carrier other
	check "router has both PoPs (ECMP)" lab_wait 15 ecmp_both || return 1
	rt_route "$VIP4" | sed 's/^/# /'
	a1=$(pop_packets 1)
	a2=$(pop_packets 2)
	hold_start e "$VIP4" || return 1
	b1=$(pop_packets 1)
	b2=$(pop_packets 2)
	if [ $((b1 - a1)) -gt $((b2 - a2)) ]; then
		carrier=1 other=2
	else
		carrier=2 other=1
	fi
	lab_log "the connection goes through pop$carrier ($((b1 - a1)) / $((b2 - a2)) packets)"
	# the router moves the path: the carrying PoP drains (local-pref 0)
	xpop "$carrier" pop drain >/dev/null || return 1
	check "route via pop$other only" lab_wait 10 via_pop "$other" "$VIP4" ||
		return 1
	a2=$(pop_packets "$other")
	check "the connection still answers" hold_alive e || return 1
	check "through pop$other now" test "$(pop_packets "$other")" -gt "$a2"
}

if ! bgp_need >/dev/null; then
	echo "ok - bgp suite # SKIP bird or frr missing"
	exit 0
fi
setup || {
	echo "not ok - bgp lab setup"
	exit 1
}
lab_run_cases test_announced_when_servable_v4_and_v6 \
	test_withdrawn_when_backends_fail_then_back \
	test_nearest_pop_fails_traffic_moves_and_returns \
	test_restart_of_xlbd_withdraws_nothing \
	test_drain_tags_graceful_shutdown_then_withdraws \
	test_pop_withdraw_then_undrain \
	test_prepend_lengthens_the_path \
	test_xlbd_before_bird_logs_one_line \
	test_allowed_range_guard \
	test_bird_dies_router_drops_pop_within_bfd_time \
	test_ecmp_live_connection_survives_a_path_switch
exit $LAB_FAILED
