#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench_bgp.sh - how fast the anycast route follows xlbd and the PoPs, in
# the lab of tests/bgp (FRR router, BIRD + xlbd per PoP, pop2 prepended):
#
# BENCH withdraw_ms: from xlbd's decision to withdraw (its log line "bgp:
# VIP list changed: 0 of ...", xlbd -T timestamps) to the route leaving the
# router's kernel table ("Deleted" from ip -ts monitor route in rt). The
# decision is xlbctl pop drain's withdrawal, with pop1 the only PoP.
#
# BENCH pop_failover_ms: pop1 goes silent (nft in rt drops everything to
# and from it: a dead link or PoP); from then to the first client packet
# the router sends to pop2 (tcpdump on rt's port toward pop2). The client
# streams UDP to the VIP (64 flows, a datagram every ms). BFD (100 ms x 3)
# notices; the BGP hold time (9 s) would be the fallback.
#
# Each is the median of ROUNDS rounds; nothing is asserted.
. "$(dirname "$0")/../netns/lib.sh"
. "$LAB_ROOT/tests/netns/lab.sh"
. "$LAB_ROOT/tests/bgp/lib_bgp.sh"

ROUNDS=${ROUNDS:-5}
export TZ=UTC
lab_init bgpbench
bgp_need >/dev/null || {
	echo "# bird or frr missing: not measured"
	exit 0
}

lab_topology 2 3 || exit 1
for i in 1 2 3; do
	lab_backend_up "$i" || exit 1
done
bgp_router_start || exit 1
bgp_pop_bird_start 1 || exit 1
for i in 1 2; do
	bgp_pop_config "$i" "$LAB_TMP/pop$i.yaml" "1 2 3" \
		"    health_check: web" "$BGP_CHECKS" || exit 1
done
lab_pop_start 1 -T || exit 1
XLBD1_LOG=$LAB_LAST_XLBD_LOG

via_pop() {
	[ "$(rt_route "$2" | grep -o 'dev p[0-9]*' | sort -u)" = "dev p$1" ]
}
synced() { xpop "$1" -j bgp show | grep -q '"bird_synced": true'; }
median() {
	printf '%s\n' "$@" | sort -n |
		awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
# ISO timestamp (2026-12-04T01:40:00.123[456][Z]) to ms since the epoch
iso_ms() {
	"$LAB_PY" -c '
import sys, datetime
s = sys.argv[1].rstrip("Z")
d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
print("%.3f" % (d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000))' "$1"
}

lab_wait 30 via_pop 1 "$VIP4" || {
	echo "# pop1 never announced the VIP" >&2
	exit 1
}

# --- withdraw_ms ---------------------------------------------------------
results=()
for r in $(seq "$ROUNDS"); do
	xpop 1 pop undrain >/dev/null || exit 1
	lab_wait 20 via_pop 1 "$VIP4" || exit 1
	xpop 1 pop drain >/dev/null || exit 1
	lab_wait 10 synced 1 || exit 1
	sleep 0.5
	lab_bg rt "mon-$r" ip -ts monitor route
	mon=$LAB_LAST_PID
	sleep 0.3
	xpop 1 pop drain --wait --timeout 0 >/dev/null || exit 1
	lab_wait 10 rt_no_route "$VIP4" || {
		echo "# round $r: route not withdrawn" >&2
		exit 1
	}
	sleep 0.2
	lab_stop "$mon"
	dec=$(grep 'bgp: VIP list changed: 0 of' "$XLBD1_LOG" | tail -1 |
		awk '{print $1}' | sed 's/xlbd:$//')
	del=$(grep -m1 "Deleted $VIP4" "$LAB_TMP/mon-$r.log" |
		sed -n 's/^\[\([^]]*\)\].*/\1/p')
	if [ -z "$dec" ] || [ -z "$del" ]; then
		echo "# round $r: no timestamps (decision '$dec', deleted '$del')" >&2
		exit 1
	fi
	ms=$("$LAB_PY" -c "print(round($(iso_ms "$del") - $(iso_ms "$dec"), 1))")
	echo "# withdraw round $r: decided $dec, gone from the router $del: $ms ms"
	results+=("$ms")
done
echo "# withdraw_ms: rounds ${results[*]}"
echo "BENCH withdraw_ms $(median "${results[@]}") ms"
xpop 1 pop undrain >/dev/null
lab_wait 20 via_pop 1 "$VIP4" || exit 1

# --- pop_failover_ms -----------------------------------------------------
bgp_pop_bird_start 2 "$BGP_PREPEND" || {
	echo "# pop2's BIRD did not start" >&2
	exit 1
}
lab_pop_start 2 -T || {
	echo "# pop2's xlbd did not start" >&2
	exit 1
}
# pop2 must be known to the router (as the backup path) before pop1 dies
pop2_known() {
	rt_vtysh "show bgp ipv4 unicast $VIP4/32 json" | grep -q '"peerId":"10.101.2.2"'
}
lab_wait 30 pop2_known || {
	echo "# pop2's path never reached the router" >&2
	exit 1
}

silence_pop1() {
	nsx rt nft -f - <<NFT
table inet xlbsilent {
	chain xfwd { type filter hook forward priority 0; iifname "p1" drop; oifname "p1" drop; }
	chain xin { type filter hook input priority 0; iifname "p1" drop; }
	chain xout { type filter hook output priority 0; oifname "p1" drop; }
}
NFT
}

results=()
for r in $(seq "$ROUNDS"); do
	cap=$LAB_TMP/fo-$r.pcap
	lab_bg rt "tcpdump-$r" tcpdump -i p2 -nn -tt -U --immediate-mode \
		-w "$cap" "dst host $VIP4 and udp"
	cap_pid=$LAB_LAST_PID
	lab_wait 10 grep -q "listening on" "$LAB_TMP/tcpdump-$r.log"
	lab_bg cl "stream-$r" "$LAB_PY" "$LAB_TRAFFIC" stream --vip "$VIP4" \
		--flows 64 --interval 0.001 --duration 4 \
		--sport-base $((20000 + r * 100))
	stream_pid=$LAB_LAST_PID
	sleep 1
	t0=$(date +%s%N)
	silence_pop1 || exit 1
	lab_wait 10 sh -c "! kill -0 $stream_pid 2>/dev/null"
	lab_stop "$cap_pid"
	ms=$(pcap_ms_since "$cap" first "$t0") || {
		echo "# round $r: no client packet reached pop2" >&2
		exit 1
	}
	echo "# failover round $r: first packet through pop2 $ms ms after pop1 went silent"
	results+=("$ms")
	nsx rt nft delete table inet xlbsilent
	# pop1's session comes back (connect retry 1 s, error wait 1-10 s)
	lab_wait 60 via_pop 1 "$VIP4" || {
		echo "# round $r: pop1 did not come back" >&2
		exit 1
	}
	sleep 1
done
echo "# pop_failover_ms: rounds ${results[*]}"
echo "BENCH pop_failover_ms $(median "${results[@]}") ms"
