#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# soak.sh - traffic through the whole lab while faults come in turn
# (issue 15; docs/soak.md). make soak runs it at length; make test runs a
# short one (tests/soak/suite_soak.sh).
#
#   cl ── rt (FRR; ECMP off: pop2 prepended) ──┬── pop1 (xlbd + BIRD)
#   load.py: HTTP to the VIP, a new          ├── pop2 (xlbd + BIRD, the
#   connection per request, and a UDP        │         path is longer)
#   stream, counted per second               └── be1..be3 (decap, servers)
#
# Faults, each followed by SOAK_S seconds of settling, of which the last
# SOAK_CLEAN must see no failed request and no lost datagram:
#   backend_kill   be1's servers killed, then started again
#   link_down      rt's link to be2 down, then up
#   xlbd_kill      xlbd in pop1 gets SIGKILL, then is started again
#   xlbd_upgrade   xlbd in pop1 restarted with lb.outer_ttl 63 (the
#                  program differs: replaced), then with 64 again
#   bird_restart   BIRD in pop1 killed, then started again
#   bgp_reset      the router resets its BGP session to pop1
#   bgp_reset_all  the router resets every session (make soak only: the
#                  VIP has no route until they are back)
#   reload_vip     pop1's config gains a VIP the load does not use
#                  (xlbctl reload), then loses it again
#   conn_flood     70000 new UDP flows (distinct source ports and
#                  addresses) against a connection table of conn_max 4096
#
# Per fault one line "# fault NAME: requests failed N (of M), connections
# reset N, UDP lost N, seconds to recover S" and "BENCH soak_NAME_failed N
# requests" (with _reset, _udp_lost, _recover_s). Asserted (TAP lines):
# xlbd SIGKILL and upgrade fail no request; a killed backend fails only
# requests started before xlbd had taken it out of the ring; after every
# fault, the last SOAK_CLEAN seconds are clean. Timing is printed, never
# asserted.
#
# Environment: SOAK_S (settle seconds after each fault, default 12),
# SOAK_CLEAN (of which clean, default 5), SOAK_HOLD (how long a fault
# lasts, default 4), SOAK_RATE (HTTP requests per second, default 50),
# SOAK_UDP_RATE (datagrams per second, default 50), SOAK_V6 (1: the rates
# are shared between 192.0.2.10 and 2001:db8::10; 0: IPv4 only; default
# 1), SOAK_ROUNDS (times the
# fault list is run, default 1), SOAK_FAULTS (names, default all;
# suite_soak.sh leaves out bgp_reset_all).
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/lab.sh"
. "$(dirname "$0")/../bgp/lib_bgp.sh"

SOAK_S=${SOAK_S:-12}
SOAK_CLEAN=${SOAK_CLEAN:-5}
SOAK_HOLD=${SOAK_HOLD:-4}
SOAK_RATE=${SOAK_RATE:-50}
SOAK_UDP_RATE=${SOAK_UDP_RATE:-50}
SOAK_ROUNDS=${SOAK_ROUNDS:-1}
SOAK_FAULTS=${SOAK_FAULTS:-backend_kill link_down xlbd_kill xlbd_upgrade \
bird_restart bgp_reset bgp_reset_all reload_vip conn_flood}
SOAK_V6=${SOAK_V6:-1}
SOAK_TIMEOUT=2
# slack between "xlbctl shows the backend out" and the ring the data path
# uses: the poll runs every 0.1 s, and a request started just before the
# ring changed still goes to the dead backend
SOAK_OUT_SLACK=0.5
LOAD=$LAB_ROOT/tests/soak/load.py

lab_init soak

LOAD_OUT=$LAB_TMP/load.jsonl
LOAD_FAILS=$LAB_TMP/load-fails.log
BENCH_OUT=$LAB_TMP/bench.txt

now() { date +%s.%N; }

setup() {
	local i
	lab_topology 2 3 || return 1
	# the client closes second, but keep its ports reusable anyway
	nsx cl sysctl -qw net.ipv4.tcp_tw_reuse=1
	# link_down puts rt's b2 down: keep its IPv6 address (the kernel
	# drops them on down by default, and be2 would stay unreachable)
	nsx rt sysctl -qw net.ipv6.conf.b2.keep_addr_on_down=1
	# the client's neighbours at rt resolved before the load counts
	nsx cl ping -c1 -W1 10.100.0.1 >/dev/null
	nsx cl ping -c1 -W1 fd00:100::1 >/dev/null
	for i in 1 2 3; do
		lab_backend_up "$i" || return 1
	done
	bgp_router_start || {
		lab_log "FRR did not start"
		tail -5 "$LAB_TMP/frr/frr.log" 2>/dev/null
		return 1
	}
	bgp_pop_bird_start 1 || return 1
	bgp_pop_bird_start 2 "$BGP_PREPEND" || return 1
	for i in 1 2; do
		bgp_pop_config "$i" "$LAB_TMP/pop$i.yaml" "1 2 3" \
			"    health_check: web" "$BGP_CHECKS" || return 1
		# a small table, so the flood fills it; and a UDP VIP on the
		# discard port, where no backend listens, for the flood
		sed -i 's/conn_max: 65536/conn_max: 4096/' "$LAB_TMP/pop$i.yaml"
		add_vip "$LAB_TMP/pop$i.yaml" "$VIP4" 9 udp
		cp "$LAB_TMP/pop$i.yaml" "$LAB_TMP/pop$i.yaml.orig"
		lab_pop_start "$i" || return 1
	done
	lab_wait 30 via_pop 1 "$VIP4" || {
		lab_log "the VIP is not routed to pop1: $(rt_route "$VIP4")"
		return 1
	}
	rt_route "$VIP4" | sed 's/^/# route: /'
}

# add_vip FILE ADDR PORT PROTO - a VIP with backends be1..be3, before the
# bgp section
add_vip() {
	"$LAB_PY" - "$@" <<'PY'
import sys
f, addr, port, proto = sys.argv[1:5]
s = open(f).read()
be = "".join("      - address: 10.102.%d.2\n" % i for i in (1, 2, 3))
v = ("  - address: %s\n    port: %s\n    protocol: %s\n"
     "    health_check: web\n    backends:\n%s" % (addr, port, proto, be))
s = s.replace("\nbgp:\n", "\n" + v + "bgp:\n", 1)
open(f, "w").write(s)
PY
}

# via_pop N PREFIX - rt's route to PREFIX goes to PoP N only
via_pop() {
	[ "$(rt_route "$2" | grep -o 'dev p[0-9]*' | sort -u)" = "dev p$1" ]
}

load_start() {
	local v6=()
	[ "$SOAK_V6" = 1 ] && v6=(--vip "$VIP6")
	lab_bg cl load "$LAB_PY" "$LOAD" run --vip "$VIP4" "${v6[@]}" \
		--rate "$SOAK_RATE" --udp-rate "$SOAK_UDP_RATE" \
		--timeout "$SOAK_TIMEOUT" --out "$LOAD_OUT" \
		--fail-log "$LOAD_FAILS" --stop "$LAB_TMP/load.stop" \
		--duration 7200
	LOAD_PID=$LAB_LAST_PID
	lab_wait 5 grep -q '^load running' "$LAB_TMP/load.log"
}

load_stop() {
	touch "$LAB_TMP/load.stop"
	lab_wait $((SOAK_TIMEOUT + 5)) sh -c "! kill -0 $LOAD_PID 2>/dev/null" ||
		lab_stop "$LOAD_PID"
}

# load_has T - the load has written every second before T
load_has() {
	local t=${1%.*} last
	last=$(tail -1 "$LOAD_OUT" 2>/dev/null |
		sed -n 's/.*"t": \([0-9]*\).*/\1/p')
	[ -n "$last" ] && [ "$last" -ge "$((t - 1))" ]
}

# window FROM TO - the load's figures of [FROM, TO) as JSON (waits for
# them to be written)
window() {
	lab_wait $((SOAK_TIMEOUT + 10)) load_has "$2" || {
		lab_log "the load wrote nothing up to $2: $(tail -3 \
"$LAB_TMP/load.log")"
		return 1
	}
	"$LAB_PY" "$LOAD" summary --file "$LOAD_OUT" --fail-log "$LOAD_FAILS" \
		--from "$1" --to "$2"
}

# fig JSON KEY
fig() { json_get "$1" "$2"; }

# be_usable ADDR - the backend of VIP4:80 (VIP6:80 for an IPv6 ADDR) is
# in pop1's ring
be_usable() {
	local vip=$VIP4
	case $1 in *:*) vip=$VIP6 ;; esac
	xpop 1 -j backend show "$vip" --port 80 --proto tcp | "$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
bes = d.get("backends", d) if isinstance(d, dict) else d
b = [x for x in bes if x["address"] == sys.argv[1]][0]
sys.exit(0 if b.get("usable") else 1)' "$1"
}
be_out() { ! be_usable "$1"; }

# be_all N usable|out - backend N of both families (of VIP4 only without
# SOAK_V6)
be_all() {
	local f=be_usable
	[ "$2" = out ] && f=be_out
	"$f" "$(be4 "$1")" || return 1
	[ "$SOAK_V6" = 1 ] || return 0
	"$f" "$(be6 "$1")"
}

pop1_whole() {
	xpop 1 status >/dev/null && via_pop 1 "$VIP4" && via_pop 1 "$VIP6" &&
		be_all 1 usable && be_all 2 usable && be_all 3 usable
}

# --- the faults: each sets F_T0 (fault in) and F_T1 (repaired: the lab
# is whole again); 1 if the lab does not come back -----------------------

fault_backend_kill() {
	F_T0=$(now)
	lab_backend_kill 1
	lab_wait 10 be_all 1 out || {
		lab_log "be1 never taken out"
		return 1
	}
	F_OUT=$(now)
	sleep "$SOAK_HOLD"
	lab_backend_revive 1 || return 1
	lab_wait 15 pop1_whole || return 1
	F_T1=$(now)
}

fault_link_down() {
	F_T0=$(now)
	ip -n "$(nsname rt)" link set dev b2 down
	lab_wait 10 be_all 2 out
	sleep "$SOAK_HOLD"
	ip -n "$(nsname rt)" link set dev b2 up
	lab_wait 15 pop1_whole || return 1
	F_T1=$(now)
}

fault_xlbd_kill() {
	local pid=$LAB_XLBD_PID_1
	check "pid $pid is xlbd" grep -q xlbd "/proc/$pid/comm" || return 1
	F_T0=$(now)
	# (the shell's "Killed" notice is no diagnostic)
	{
		kill -KILL "$pid"
		wait "$pid"
	} 2>/dev/null
	sleep "$SOAK_HOLD"
	lab_pop_start 1 || return 1
	lab_wait 15 pop1_whole || return 1
	F_T1=$(now)
}

fault_xlbd_upgrade() {
	local f=$LAB_TMP/pop1.yaml
	F_T0=$(now)
	lab_pop_stop 1
	sed -i '/^lb:$/a\  outer_ttl: 63' "$f"
	lab_pop_start 1 || return 1
	grep -q "(upgrade" "$LAB_LAST_XLBD_LOG" || {
		lab_log "the upgrade did not replace the program:"
		tail -5 "$LAB_LAST_XLBD_LOG" | sed 's/^/#   /'
		return 1
	}
	lab_wait 15 pop1_whole || return 1
	sleep "$SOAK_HOLD"
	lab_pop_stop 1
	cp "$LAB_TMP/pop1.yaml.orig" "$f"
	lab_pop_start 1 || return 1
	grep -q "(upgrade" "$LAB_LAST_XLBD_LOG" || {
		lab_log "going back did not replace the program"
		return 1
	}
	lab_wait 15 pop1_whole || return 1
	F_T1=$(now)
}

# moved_to_pop2 - log when the router's route left pop1 (the PoP path is
# what these faults test: pop2 has the same backends and hash seed, so
# its ring sends every flow where pop1 did)
moved_to_pop2() {
	if lab_wait 10 via_pop 2 "$VIP4"; then
		lab_log "  route moved to pop2 $(awk "BEGIN{printf \"%.2f\", \
$(now) - $F_T0}") s after the fault"
	else
		lab_log "  route did not move to pop2: $(rt_route "$VIP4")"
	fi
}

fault_bird_restart() {
	F_T0=$(now)
	bgp_pop_bird_stop 1 || return 1
	moved_to_pop2
	sleep "$SOAK_HOLD"
	rm -f "$LAB_TMP/bird-pop1.ctl"
	bgp_pop_bird_start 1 || return 1
	lab_wait 30 pop1_whole || return 1
	F_T1=$(now)
}

fault_bgp_reset() {
	F_T0=$(now)
	rt_vtysh "clear ip bgp 10.101.1.2" >/dev/null || return 1
	moved_to_pop2
	lab_wait 30 pop1_whole || return 1
	F_T1=$(now)
}

# every session of the router at once (make soak only): both PoPs' routes
# go until the sessions are back, and requests meanwhile find no route
fault_bgp_reset_all() {
	F_T0=$(now)
	rt_vtysh "clear ip bgp *" >/dev/null || return 1
	if lab_wait 10 rt_no_route "$VIP4"; then
		lab_log "  no route at the router $(awk "BEGIN{printf \"%.2f\", \
$(now) - $F_T0}") s after the reset"
	fi
	lab_wait 30 pop1_whole || return 1
	F_T1=$(now)
}

fault_reload_vip() {
	local f=$LAB_TMP/pop1.yaml out
	F_T0=$(now)
	add_vip "$f" 192.0.2.11 80 tcp
	out=$(xpop 1 reload 2>&1) || {
		lab_log "reload with a new VIP refused: $out"
		return 1
	}
	lab_wait 10 rt_has_route 192.0.2.11 ||
		lab_log "192.0.2.11 not announced"
	sleep "$SOAK_HOLD"
	cp "$LAB_TMP/pop1.yaml.orig" "$f"
	out=$(xpop 1 reload 2>&1) || {
		lab_log "reload back refused: $out"
		return 1
	}
	lab_wait 10 rt_no_route 192.0.2.11 ||
		lab_log "192.0.2.11 still routed"
	lab_wait 15 pop1_whole || return 1
	F_T1=$(now)
}

flows_v4() {
	xpop 1 -j status --flows | grep -o '"flows_ipv4": [0-9]*' |
		grep -o '[0-9]*$'
}

fault_conn_flood() {
	local out
	lab_log "flows in pop1's table before: $(flows_v4)"
	F_T0=$(now)
	out=$(nsx cl timeout 60 "$LAB_PY" "$LOAD" flood --vip "$VIP4" \
		--port 9 --src 10.100.0.2 --src 10.100.0.3 --count 70000 \
		--pps 20000 --deadline 40) ||
		lab_log "the flood did not send all it should (a slow machine)"
	lab_log "flood: $out; flows in pop1's table after: $(flows_v4)"
	lab_wait 15 pop1_whole || return 1
	F_T1=$(now)
}

# --- the run -------------------------------------------------------------

floor() { echo "${1%.*}"; }
ceil() {
	local i=${1%.*}
	[ "$1" = "$i" ] && echo "$i" || echo $((i + 1))
}

bench() { echo "BENCH $*" >>"$BENCH_OUT"; }

# run_fault NAME - inject, repair, settle; print its figures; assert
run_fault() {
	local name=$1 w c t0 t1 end rec failed
	F_T0='' F_T1='' F_OUT=''
	if ! "fault_$name"; then
		lab_log "FAILED: the lab did not come back after $name"
		xpop 1 status 2>&1 | sed 's/^/#   /'
		lab_log "route: $(rt_route "$VIP4")"
		return 1
	fi
	t0=$(floor "$F_T0")
	t1=$F_T1
	sleep "$SOAK_S"
	end=$(floor "$(now)")
	w=$(window "$t0" "$end") || return 1
	c=$(window "$((end - SOAK_CLEAN))" "$end") || return 1
	rec=0
	if [ "$(fig "$w" last_fail)" != None ]; then
		rec=$("$LAB_PY" -c "print(round(max(0, $(fig "$w" last_fail) - \
$F_T0), 1))")
	fi
	failed=$(fig "$w" fail)
	echo "# fault $name: requests failed $failed (of $(fig "$w" requests))," \
		"connections reset $(fig "$w" reset), UDP lost" \
		"$(fig "$w" udp_lost) (of $(fig "$w" udp_sent)), seconds to" \
		"recover $rec"
	lab_log "  in $(awk "BEGIN{printf \"%.1f\", $t1 - $F_T0}") s to" \
		"repair; timeouts $(fig "$w" timeout); load average" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	bench "soak_${name}_failed $failed requests"
	bench "soak_${name}_reset $(fig "$w" reset) connections"
	bench "soak_${name}_udp_lost $(fig "$w" udp_lost) datagrams"
	bench "soak_${name}_recover_s $rec s"
	check "the last $SOAK_CLEAN s after $name: no request failed" \
		test "$(fig "$c" fail)" = 0 || return 1
	check "the last $SOAK_CLEAN s after $name: no datagram lost" \
		test "$(fig "$c" udp_lost)" = 0 || return 1
	check "the load ran in those seconds" \
		test "$(fig "$c" requests)" -gt 0 || return 1
	case $name in
	xlbd_kill | xlbd_upgrade)
		check "$name fails no request" test "$failed" = 0 || return 1
		;;
	backend_kill)
		assert_backend_kill "$w" || return 1
		;;
	esac
	return 0
}

# A killed backend fails only the requests sent to it before xlbd took it
# out of the ring: none started later than F_OUT (+ SOAK_OUT_SLACK), and
# at most all the requests started between the kill and then.
assert_backend_kill() {
	local late bound
	late=$(awk -v a="$F_T0" -v b="$F_OUT" -v s="$SOAK_OUT_SLACK" \
		'$1 >= b + s && $2 ~ /^http/ {n++} END {print n + 0}' \
		"$LOAD_FAILS")
	bound=$(awk -v a="$F_T0" -v b="$F_OUT" -v s="$SOAK_OUT_SLACK" \
		-v r="$SOAK_RATE" 'BEGIN {print int((b + s - a) * r) + 1}')
	lab_log "  be1 out $(awk "BEGIN{printf \"%.2f\", $F_OUT - $F_T0}") s" \
		"after the kill; bound on failures: $bound (every request" \
		"started until then)"
	check "no request started after be1 was out failed" \
		test "$late" = 0 || {
		grep http "$LOAD_FAILS" | awk -v b="$F_OUT" '$1 >= b' |
			head -5 | sed 's/^/#   /'
		return 1
	}
	check "failures within the bound" \
		test "$(fig "$1" fail)" -le "$bound"
}

test_baseline_no_failure() {
	local t w
	t=$(ceil "$(now)")
	sleep "$SOAK_S"
	w=$(window "$t" "$(floor "$(now)")") || return 1
	echo "# baseline: requests $(fig "$w" requests), failed" \
		"$(fig "$w" fail), UDP sent $(fig "$w" udp_sent), lost" \
		"$(fig "$w" udp_lost)"
	bench "soak_baseline_failed $(fig "$w" fail) requests"
	check "no request failed" test "$(fig "$w" fail)" = 0 || return 1
	check "no datagram lost" test "$(fig "$w" udp_lost)" = 0 || return 1
	check "the load ran" test "$(fig "$w" requests)" -gt 0
}

bgp_need || {
	echo "ok - soak # SKIP BIRD or FRR missing"
	exit 0
}
if ! setup >"$LAB_TMP/setup.out" 2>&1; then
	sed 's/^/# /' "$LAB_TMP/setup.out"
	echo "not ok - soak lab setup"
	exit 1
fi
sed 's/^/# /;s/^# #/#/' "$LAB_TMP/setup.out" | grep route
load_start || {
	echo "not ok - the load started"
	exit 1
}
# its first seconds are not counted: every flow's first packets
sleep 2
lab_log "load: $SOAK_RATE HTTP requests/s, $SOAK_UDP_RATE datagrams/s" \
	"(IPv6 too: $SOAK_V6);" \
	"settle $SOAK_S s (last $SOAK_CLEAN clean), faults last $SOAK_HOLD s"
CASES=(test_baseline_no_failure)
for r in $(seq "$SOAK_ROUNDS"); do
	for f in $SOAK_FAULTS; do
		eval "test_round${r}_$f() { run_fault $f; }"
		CASES+=("test_round${r}_$f")
	done
done
lab_run_cases "${CASES[@]}"
load_stop
cat "$BENCH_OUT" 2>/dev/null
exit $LAB_FAILED
