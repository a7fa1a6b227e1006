#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench_failover.sh - BENCH failover_ms: with a TCP health check every
# 100 ms, timeout 100 ms, fall 3, the time from killing a backend's server
# to the last packet the PoP sends it.
#
#   cl ── rt ──┬── pop1 (xlbd, XDP)   VIP 192.0.2.10:5300/udp
#              ├── be1  (TCP :8080 listener = the checked server)
#              └── be2  (the same)
#
# The client streams UDP datagrams (64 flows, one every ms) to the VIP. A
# capture on rt's port toward be1 timestamps every encapsulated packet the
# PoP sends to be1. Each round kills be1's listener at T0 and takes the
# timestamp of the last packet to be1 after T0; failover_ms = last - T0.
# Kernel capture timestamps and date(1) both read CLOCK_REALTIME.
#
# BENCH failover_ms_silent: the same, but be1 goes silent instead (an nft
# rule in be1 drops everything it receives, as a host that lost power or
# its link): every check then fails by its timeout, not by a refusal.
# Prints the median of ROUNDS rounds each; asserts nothing about the time.
. "$(dirname "$0")/../netns/lib.sh"
. "$LAB_ROOT/tests/netns/lab.sh"

ROUNDS=${ROUNDS:-5}
lab_init failover
lab_topology 1 2 || exit 1
lab_route_vips 1

start_listener() {
	lab_bg "be$1" "listen-be$1-$(date +%s%N)" "$LAB_PY" "$LAB_TRAFFIC" \
		listen --addr "$(be4 "$1")" --port 8080
	eval "LISTEN_PID_$1=$LAB_LAST_PID"
	lab_wait_port "be$1" 8080
}

cat >"$LAB_TMP/pop1.yaml" <<YAML
interfaces:
  - name: eth0
lb:
  source4: $(pop4 1)
  hash_seed: 42
  tables: {max_vips: 4, max_backends: 16, ring_max: 65537, conn_max: 65536}
api:
  socket: $LAB_TMP/pop1.sock
health_checks:
  - name: fast
    type: tcp
    port: 8080
    interval_ms: 100
    timeout_ms: 100
    rise: 2
    fall: 3
vips:
  - address: $VIP4
    port: 5300
    protocol: udp
    health_check: fast
    backends:
      - address: $(be4 1)
      - address: $(be4 2)
YAML

start_listener 1 && start_listener 2 || exit 1
lab_pop_start 1 || exit 1
up() { xpop 1 backend show "$VIP4:5300/udp" | grep -E "^$(be4 "$1") .* up +up " >/dev/null; }
lab_wait 10 up 1 && lab_wait 10 up 2 || {
	echo "# backends never came up" >&2
	xpop 1 backend show "$VIP4:5300/udp" >&2
	exit 1
}

# fail_be1 KIND / heal_be1 KIND: kill (the listener dies) or silent (be1
# drops everything it receives)
fail_be1() {
	local lp
	case $1 in
	kill)
		eval "lp=\$LISTEN_PID_1"
		lab_stop "$lp"
		;;
	silent)
		nsx be1 nft -f - <<NFT
table inet xlbsilent {
	chain input { type filter hook input priority 0; policy drop; }
}
NFT
		;;
	esac
}
heal_be1() {
	case $1 in
	kill) start_listener 1 ;;
	silent) nsx be1 nft delete table inet xlbsilent ;;
	esac
}

# measure KIND NAME BASE: ROUNDS rounds, prints BENCH NAME. Each round's
# flows are new (source ports from BASE): a flow that moved off be1 stays
# on its new backend when be1 comes back.
measure() {
	local kind=$1 name=$2 base=$3 r cap cap_pid stream_pid t0 n ms
	local median
	local results=()
	for r in $(seq "$ROUNDS"); do
		cap=$LAB_TMP/cap-$kind-$r
		lab_bg rt "tcpdump-$kind-$r" tcpdump -i b1 -nn -tt -U \
			--immediate-mode -w "$cap.pcap" 'ip proto 4'
		cap_pid=$LAB_LAST_PID
		lab_wait 10 grep -q "listening on" \
			"$LAB_TMP/tcpdump-$kind-$r.log"
		lab_bg cl "stream-$kind-$r" "$LAB_PY" "$LAB_TRAFFIC" stream \
			--vip "$VIP4" --flows 64 --interval 0.001 --duration 3 \
			--sport-base $((base + r * 100))
		stream_pid=$LAB_LAST_PID
		sleep 1
		t0=$(date +%s%N)
		fail_be1 "$kind" || return 1
		# the stream runs on for about 2 s after the failure
		lab_wait 10 sh -c "! kill -0 $stream_pid 2>/dev/null"
		lab_stop "$cap_pid"
		n=$(tcpdump -nn -r "$cap.pcap" 2>/dev/null | wc -l)
		ms=$(pcap_ms_since "$cap.pcap" last "$t0") || {
			echo "# $name round $r: no packets to be1 captured" >&2
			return 1
		}
		echo "# $name round $r: $n packets to be1, last one ${ms} ms after the failure"
		results+=("$ms")
		heal_be1 "$kind" || return 1
		lab_wait 10 up 1 || { echo "# be1 did not come back" >&2; return 1; }
		sleep 0.5
	done
	median=$(printf '%s\n' "${results[@]}" | sort -n |
		awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "# $name: rounds ${results[*]}"
	echo "BENCH $name $median ms"
}

measure kill failover_ms 20000 || exit 1
if command -v nft >/dev/null; then
	measure silent failover_ms_silent 30000 || exit 1
else
	echo "# failover_ms_silent: nft not installed, not measured"
fi
