#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2317 # the variants' functions are called by name
#
# bench_veth.sh - packets through a PoP on a veth, against the floor and the
# kernel (issue 18, docs/datapath-perf.md "The veth pipeline"):
#
#   gen (g<pid>)  ─── veth ───  pop (p<pid>)
#   veth_reflect (XDP):              (1) xlb_lb      XDP native, XDP_TX
#   each frame back from the PoP     (2) floor_prog  XDP native, XDP_TX
#   goes out again as the next       (3) nft DNAT + conntrack, forwarding
#   flow's client datagram               (kernel path; an XDP_PASS program
#                                         keeps the veth's NAPI, see below)
#
# The PoP is one-armed, as in the lab: (1) and (2) encapsulate (IPIP) and
# send the frame back out of the port it came in on; (3) rewrites the
# destination and the kernel routes it back out of the same port toward the
# backends (10.102.0.2-5 via the generator's address).
#
# Traffic is a closed loop (tests/bench/veth_gen.bpf.c): INFLIGHT UDP
# datagrams (64 bytes of payload, to 192.0.2.10:5300) are sent once from
# the generator's stack; from then on the generator's XDP program turns
# every frame the PoP sends back into the next flow's client frame (outer
# header off, MACs swapped, source address/port of flow i of FLOWS: 1, 16k,
# 1M) and sends it to the PoP again with XDP_TX. The PoP thus receives XDP
# frames (ndo_xdp_xmit), as from a NIC, always has work queued, and the
# loop runs at the speed of its slower side. (BPF_PROG_TEST_RUN's live
# frames mode, the first choice, returns EPERM on the development machines'
# kernel even for a two-instruction program, and pktgen/trafgen are not
# there: the loop needs neither.) Replacing the generator's program by
# veth_sink (XDP_DROP) empties the loop after each run.
#
# CPU placement and what is measured. A veth receives in NAPI, normally in
# the softirq of the CPU that transmitted, i.e. the generator's. Here the
# NAPI of both veths is threaded (/sys/class/net/IF/threaded): the PoP's
# receive handling (its XDP program, or the skb, conntrack, NAT, routing
# and the transmit back) runs in its own kernel thread "napi/p<pid>-<id>",
# pinned to POP_CPU; the generator's NAPI thread (the reflecting program)
# is pinned to GEN_CPU. The PoP's CPU ns per packet is the CPU time of that
# thread (se.sum_exec_runtime in /proc/PID/sched, ns; this kernel has no
# IRQ_TIME_ACCOUNTING, so softirqs run in the thread's context would be
# charged to it too, which is why the generator's side has its own thread)
# over the window, divided by the packets the PoP's veth received in the
# window (ethtool -S rx_queue_0_xdp_packets, which the veth counts for
# every frame its NAPI takes, XDP program or not). Other work on the
# machine takes CPU time from the thread but does not add to it, so ns per
# packet holds better than packets per second on a shared host. pps is what
# came back to the generator (its veth's rx_queue_0_xdp_packets) per
# second of the window. Each run's "#" line also gives the thread's share
# of the window and the packets it took per voluntary sleep (thousands:
# it never ran out of work).
#
# Runs: ROUNDS rounds; in each, for each flow count, xlb, floor, nft in
# turn (A B C A B C ...), each WARM s of traffic, then a window of SECS s.
# VARIANTS="xlb floor nft" (the default) picks and orders them; the others,
# for finding where xlb's time goes: xlb:N (connection table of N flows),
# xlb:nc (a VIP without connection table: every packet through the ring,
# with a connection table of one set),
# floor_mem[:SETS] (the floor plus one random read of an array of SETS
# 128-byte entries, default the 32 MiB of xlb's default IPv4 table),
# floor_mem2 and floor_memw[:SETS] (both 64-byte lines of the entry read;
# and written to).
# BENCH lines are medians over the rounds; "#" lines give every round.
#   BENCH veth_pps_{xlb,floor,nft}_{1,16k,1m}       pps
#   BENCH veth_cpu_ns_{xlb,floor,nft}_{1,16k,1m}    ns (PoP CPU per packet)
#   BENCH veth_cpu_ratio_{xlb,nft}_floor_{1,16k,1m} ratio (median of the
#         rounds' ratios; a round's runs are seconds apart)
# BENCH_PLOT=1 writes docs/veth-pps.png (pps against flows) with
# python3-matplotlib. Asserts nothing; prints "# skip ..." for what it
# cannot run.
. "$(dirname "$0")/../netns/lib.sh"

ROUNDS=${ROUNDS:-5}
SECS=${SECS:-1.5}
WARM=${WARM:-0.5}
FLOWS=${FLOWS:-"1 16384 1048576"}
INFLIGHT=${INFLIGHT:-200}
HELPER=$BUILD/tests/helpers/veth_bench
GENOBJ=$BUILD/tests/bench/veth_gen.bpf.o
FLOOROBJ=$BUILD/tests/bench/floor.bpf.o
FLOORMEMOBJ=$BUILD/tests/bench/floor_mem.bpf.o
BACKENDS="10.102.0.2 10.102.0.3 10.102.0.4 10.102.0.5"

for f in "$HELPER" "$GENOBJ" "$FLOOROBJ" "$FLOORMEMOBJ"; do
	[ -e "$f" ] || { echo "# skip veth: $f not built (make all)"; exit 0; }
done
for c in ethtool taskset; do
	command -v $c >/dev/null || { echo "# skip veth: no $c"; exit 0; }
done

ncpu=$(nproc)
GEN_CPU=0
POP_CPU=$((ncpu > 1 ? 1 : 0))

echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $ncpu CPUs"
for v in spec_rstack_overflow retbleed; do
	echo "# $v: $(cat /sys/devices/system/cpu/vulnerabilities/$v 2>/dev/null)"
done
echo "# kernel $(uname -r); load at start: $(cut -d' ' -f1-3 /proc/loadavg)" \
	"(the machine is shared: other work competes for both CPUs)"
echo "# PoP NAPI thread on CPU $POP_CPU, generator's on CPU $GEN_CPU"
[ "$ncpu" -gt 1 ] || echo "# only one CPU: the PoP and the generator share it"

lab_init veth
# Interface names are unique per run: the NAPI thread is found by its name
GIF=g$$
PIF=p$$
lab_ns gen || exit 1
lab_ns pop || exit 1
lab_link gen "$GIF" pop "$PIF" || exit 1
lab_addr gen "$GIF" 10.99.0.1/24
lab_addr pop "$PIF" 10.99.0.2/24
GMAC=$(lab_mac gen "$GIF")
PMAC=$(lab_mac pop "$PIF")
lab_forwarding pop
nsx pop sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.$PIF.rp_filter=0" \
	net.ipv4.conf.all.send_redirects=0 "net.ipv4.conf.$PIF.send_redirects=0"
ip -n "$(nsname pop)" route add 10.102.0.0/24 via 10.99.0.1
# the generator's programs take the veth's frames: static neighbours
ip -n "$(nsname pop)" neigh replace 10.99.0.1 lladdr "$GMAC" dev "$PIF" \
	nud permanent
ip -n "$(nsname gen)" route add 192.0.2.10 via 10.99.0.2
ip -n "$(nsname gen)" neigh replace 10.99.0.2 lladdr "$PMAC" dev "$GIF" \
	nud permanent
# the datagrams put into the loop leave with full checksums
nsx gen ethtool -K "$GIF" tx off >/dev/null 2>&1

# threaded NS IF CPU - NAPI of IF in its own kernel thread, pinned to CPU;
# prints the thread's pid. A veth has a NAPI while it has an XDP program
# (or GRO on): both veths always have one (the PoP's is veth_pass, XDP_PASS,
# when xlb and the floor are not there), so the threads last the whole
# run. GRO stays off: with GRO on at the PoP and both NAPIs threaded, the
# nft loop stalled (2-9k packets per second instead of 500k+, no drops
# counted anywhere), and XDP_PASS with GRO off did not.
threaded() {
	local ns=$1 ifn=$2 cpu=$3 pid
	nsx "$ns" ethtool -K "$ifn" gro off >/dev/null 2>&1 || return 1
	# sysfs shows the namespace's devices only under ip netns exec
	ip netns exec "$(nsname "$ns")" \
		sh -c "echo 1 > /sys/class/net/$ifn/threaded" || return 1
	pid=$(ps -eo pid=,comm= | awk -v p="napi/$ifn-" \
		'index($2, p) == 1 { print $1 }')
	[ "$(echo "$pid" | wc -w)" = 1 ] || return 1
	taskset -pc "$cpu" "$pid" >/dev/null || return 1
	echo "$pid"
}

if ! nsx gen "$HELPER" attach "$GIF" "$GENOBJ" veth_sink ||
	! nsx pop "$HELPER" attach "$PIF" "$GENOBJ" veth_pass; then
	echo "# skip veth: cannot attach XDP programs to a veth"
	exit 0
fi
lab_defer "ip -n $(nsname gen) link set dev $GIF xdp off"
lab_defer "ip -n $(nsname pop) link set dev $PIF xdp off"
if ! GEN_PID=$(threaded gen "$GIF" $GEN_CPU) ||
	! POP_PID=$(threaded pop "$PIF" $POP_CPU); then
	echo "# skip veth: no threaded NAPI on veth"
	exit 0
fi
echo "# PoP NAPI thread $POP_PID ($(ps -o comm= -p "$POP_PID")), generator's $GEN_PID"

NFT_OK=1
nsx pop nft list tables >/dev/null 2>&1 || { NFT_OK=0; echo "# skip nft: nft does not run"; }

# --- variants ----------------------------------------------------------------
# (called by name: up_$v, down_$v)
# back to XDP_PASS (never detached: the NAPI thread would go with it)
xdp_off() { nsx pop "$HELPER" attach "$PIF" "$GENOBJ" veth_pass; }

# xlb[:N] - connection table of N flows (default: the library's, 1M);
# xlb:nc - a VIP without connection table (conn_table: false), every packet
# through the ring; the table (still looked up first, and missed) is of one
# set, so the miss costs instructions, not memory: the ring's cost alone
up_xlb() {
	local env=()
	case ${1:-} in
	"") ;;
	nc) env=(VETH_NO_CONN=1 VETH_CONN_MAX=4) ;;
	*) env=("VETH_CONN_MAX=$1") ;;
	esac
	# shellcheck disable=SC2086
	nsx pop env "${env[@]}" "$HELPER" xlb "$PIF" "$GMAC" 10.99.0.2 $BACKENDS
}
down_xlb() { xdp_off; }
up_floor() { nsx pop "$HELPER" attach "$PIF" "$FLOOROBJ" floor_prog; }
down_floor() { xdp_off; }
# floor_mem[:SETS] - the floor plus one read of a random 128-byte entry of
# an array of SETS entries (default 262144: 32 MiB, the size of xlb's
# default IPv4 connection table), tests/bench/floor_mem.bpf.c
# floor_mem2, floor_memw: both lines of the entry read (a flow not in its
# set), and 16 bytes of it written too (a new flow recorded)
floor_mem_prog() {
	nsx pop env ${2:+VETH_TBL_SETS=$2} "$HELPER" attach "$PIF" \
		"$FLOORMEMOBJ" "$1"
}
up_floor_mem() { floor_mem_prog floor_mem "${1:-}"; }
up_floor_mem2() { floor_mem_prog floor_mem2 "${1:-}"; }
up_floor_memw() { floor_mem_prog floor_memw "${1:-}"; }
down_floor_mem() { xdp_off; }
down_floor_mem2() { xdp_off; }
down_floor_memw() { xdp_off; }
# DNAT by a hash of the flow (jhash of source address and port) to the
# backends, so a flow keeps its backend; conntrack comes with the NAT hook.
# The PoP's veth keeps veth_pass (XDP_PASS, a few ns) for its NAPI.
up_nft() {
	local i=0 b map=""
	for b in $BACKENDS; do
		map="$map${map:+, }$i : $b"
		i=$((i + 1))
	done
	nsx pop nft -f - <<EOF
table ip xvb {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 192.0.2.10 udp dport 5300 dnat to jhash ip saddr . udp sport mod $i map { $map }
	}
}
EOF
}
down_nft() { nsx pop nft delete table ip xvb; }

# --- measurement -------------------------------------------------------------
# xdp_rx NS IF - frames the veth's NAPI took
xdp_rx() {
	nsx "$1" ethtool -S "$2" | awk '/rx_queue_[0-9]+_xdp_packets/ { s += $2 } END { print s + 0 }'
}
# voluntary context switches of a thread: how often the PoP's NAPI thread
# ran out of work and slept
sleeps() {
	awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"
}
runtime_ns() {
	awk -F: '/se.sum_exec_runtime/ { printf "%.0f\n", $2 * 1e6 }' "/proc/$1/sched"
}

flabel() {
	case $1 in
	1) echo 1 ;;
	16384) echo 16k ;;
	1048576) echo 1m ;;
	*) echo "$1" ;;
	esac
}

# inject - INFLIGHT datagrams into the loop, from the generator's stack
inject() {
	nsx gen bash -c "for i in \$(seq $INFLIGHT); do
		printf '%064d' 0 >/dev/udp/192.0.2.10/5300; done" 2>/dev/null
}

declare -A PPS CPU CPUR
# one VARIANT FLOWS ROUND - one run; sets PPS/CPU[VARIANT,FLOWS] (appends).
# VARIANT is NAME or NAME:ARG (up_NAME ARG)
one() {
	local v=$1 n=$2 t0 t1 r0 r1 s0 s1 p0 p1 w0 w1 dt pps ns util
	local base=${1%%:*} arg=
	[ "$base" = "$v" ] || arg=${v#*:}
	if ! "up_$base" "$arg" >/dev/null 2>"$LAB_TMP/up.err"; then
		echo "# skip $v $(flabel "$n"): $(head -1 "$LAB_TMP/up.err")"
		"down_$base" >/dev/null 2>&1
		return 0
	fi
	nsx gen "$HELPER" attach "$GIF" "$GENOBJ" veth_reflect "$n" ||
		{ echo "# skip $v: cannot attach the reflector"; "down_$base"; return 0; }
	inject
	sleep "$WARM"
	t0=$(date +%s%N); r0=$(runtime_ns "$POP_PID"); w0=$(sleeps "$POP_PID")
	p0=$(xdp_rx pop "$PIF"); s0=$(xdp_rx gen "$GIF")
	sleep "$SECS"
	t1=$(date +%s%N); r1=$(runtime_ns "$POP_PID"); w1=$(sleeps "$POP_PID")
	p1=$(xdp_rx pop "$PIF"); s1=$(xdp_rx gen "$GIF")
	# empty the loop, then take the variant down
	nsx gen "$HELPER" attach "$GIF" "$GENOBJ" veth_sink
	sleep 0.1
	# xlb's own counters since it was attached (warm-up included)
	[ "$base" != xlb ] ||
		echo "# round $3 $v $(flabel "$n") counters: $(nsx pop "$HELPER" stats "$PIF" 2>&1)"
	"down_$base" >/dev/null 2>&1
	dt=$((t1 - t0))
	if [ $((p1 - p0)) -le 0 ] || [ $((s1 - s0)) -le 0 ]; then
		echo "# skip $v $(flabel "$n"): nothing went through" \
			"(PoP rx $((p1 - p0)), back $((s1 - s0)))"
		return 0
	fi
	pps=$(((s1 - s0) * 1000000000 / dt))
	ns=$(awk -v r=$((r1 - r0)) -v p=$((p1 - p0)) 'BEGIN { printf "%.1f", r / p }')
	util=$(((r1 - r0) * 100 / dt))
	echo "# round $3 $v $(flabel "$n"): back $pps pps, PoP rx" \
		"$(((p1 - p0) * 1000000000 / dt)) pps, PoP thread on CPU" \
		"${util}% of the window, $(((p1 - p0) / (w1 - w0 + 1))) packets" \
		"per sleep, $ns ns/pkt"
	PPS[$v,$n]+="$pps "
	CPU[$v,$n]+="$ns "
	CPUR[$v,$n,$3]=$ns
}

# Rounds differ a lot on a shared host: in some, every variant costs up to
# 2.5x more per packet while the PoP's thread is as busy (thousands of
# packets per sleep), i.e. the neighbours slow the CPU itself. Variants of
# one round run seconds apart, so the rounds' ratios vary less than the
# absolute figures; each variant's rounds and minimum are printed.
median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}

variants=""
for v in ${VARIANTS:-xlb floor nft}; do
	[ "$v" != nft ] || [ "$NFT_OK" = 1 ] || continue
	variants="$variants${variants:+ }$v"
done
for r in $(seq "$ROUNDS"); do
	for n in $FLOWS; do
		for v in $variants; do
			one "$v" "$n" "$r"
		done
	done
done

# --- results -----------------------------------------------------------------
: >"$LAB_TMP/plot.dat"
for n in $FLOWS; do
	l=$(flabel "$n")
	for v in $variants; do
		[ -n "${PPS[$v,$n]:-}" ] || continue
		# shellcheck disable=SC2086 # lists of numbers
		p=$(median ${PPS[$v,$n]})
		# shellcheck disable=SC2086
		c=$(median ${CPU[$v,$n]})
		# shellcheck disable=SC2086
		echo "# $v $l ns/pkt per round: ${CPU[$v,$n]% } (min" \
			"$(printf '%s\n' ${CPU[$v,$n]} | sort -g | head -1))"
		echo "BENCH veth_pps_${v//:/_}_$l $p pps"
		echo "BENCH veth_cpu_ns_${v//:/_}_$l $c ns"
		echo "$v $n $p" >>"$LAB_TMP/plot.dat"
	done
	for v in $variants; do
		[ "$v" != floor ] || continue
		# per round: the run of v over the floor's run of that round
		ratios=""
		for r in $(seq "$ROUNDS"); do
			a=${CPUR[$v,$n,$r]:-}
			b=${CPUR[floor,$n,$r]:-}
			[ -n "$a" ] && [ -n "$b" ] || continue
			ratios="$ratios$(awk -v a="$a" -v b="$b" \
				'BEGIN { printf "%.2f", a / b }') "
		done
		[ -n "$ratios" ] || continue
		echo "# ${v}/floor $l per round: ${ratios% }"
		# shellcheck disable=SC2086
		echo "BENCH veth_cpu_ratio_${v//:/_}_floor_$l $(median $ratios) ratio"
	done
done
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "${BENCH_PLOT:-}" ]; then
	if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
		/usr/bin/python3 - "$LAB_TMP/plot.dat" "$LAB_ROOT/docs/veth-pps.png" \
			"$(lscpu | sed -n 's/^Model name: *//p')" <<'EOF'
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

data = {}
for line in open(sys.argv[1]):
    v, n, p = line.split()
    data.setdefault(v, []).append((int(n), float(p)))
fig, ax = plt.subplots(figsize=(6, 4))
for v, pts in data.items():
    pts.sort()
    ax.plot([n for n, _ in pts], [p / 1e6 for _, p in pts], "o-", label=v)
ax.set_xscale("log")
ax.set_xticks([1, 16384, 1048576], ["1", "16k", "1M"])
ax.set_xlabel("distinct flows (5-tuples)")
ax.set_ylabel("Mpps through the PoP (median of rounds)")
ax.set_ylim(bottom=0)
ax.set_title("veth PoP, NAPI on one CPU shared with other work (%s)"
             % sys.argv[3], fontsize=9)
ax.legend()
ax.grid(True, alpha=0.3)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
EOF
		echo "# plot: docs/veth-pps.png"
	else
		echo "# skip plot: no python3-matplotlib"
	fi
fi
exit 0
