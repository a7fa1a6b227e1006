#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench_xlbd_checks.sh - CPU of xlbd itself (not only the engine, as
# bench_health does) while it checks 1,000 backends every 100 ms:
#
#   pop (xlbd, XDP on hcpop0, pinned to CPU 0) ── srv (every 10.211.0.0/22
#   address is local: one listener on 0.0.0.0:8080 answers them all;
#   its packets steered to CPU 1 with RPS, the listener pinned there)
#
# One VIP with 1,000 backends 10.211.0.1.. and a tcp check (interval
# 100 ms, timeout 100 ms), once in mode syn and once in mode connect. Once
# every backend is up by its checks, the CPU time of every xlbd thread
# (/proc/PID/task/*/schedstat) is read over MEASURE_S seconds.
#   BENCH xlbd_checks_cpu_1000_syn <percent> %
#   BENCH xlbd_checks_cpu_1000_connect <percent> %
#   BENCH xlbd_checks_rate_1000_<mode> <checks/s> checks/s
#   BENCH xlbd_checks_host_cpu_1000_<mode> <percent> %
# The first is xlbd's own CPU time (what top shows for it): its threads and
# the kernel work done in their context (sending, the syscalls). Receive
# processing runs in softirq on the CPU the packets arrive on (CPU 1 here,
# as a NIC's RSS would spread it) and is not charged to xlbd. The host
# figure is the busy time of every CPU in the same window (/proc/stat) less
# the listener's own CPU time: an upper bound that also holds the servers'
# kernel half of every handshake and anything else the machine was doing.
# Asserts nothing about the figures.
. "$(dirname "$0")/../netns/lib.sh"

MEASURE_S=${MEASURE_S:-10}
N=1000
VIP=192.0.2.50
lab_init xlbdchk

LAB_XLBD=$BUILD/xlbd
LAB_XLBCTL=$BUILD/xlbctl
LAB_PY=${LAB_PY:-python3}
LAB_TRAFFIC=$LAB_ROOT/tests/netns/traffic.py

lab_ns pop || exit 1
lab_ns srv || exit 1
lab_link pop hcpop0 srv hcsrv0 || exit 1
lab_addr pop hcpop0 10.210.0.1/24
lab_addr srv hcsrv0 10.210.0.2/24
ip -n "$(nsname srv)" route add local 10.211.0.0/22 dev lo
ip -n "$(nsname pop)" route add 10.211.0.0/22 via 10.210.0.2
ip -n "$(nsname pop)" route add default via 10.210.0.2
# No program on srv's end: no VIP traffic is sent here, and a veth with
# an XDP program receives in NAPI on the sender's CPU, which would charge
# the servers' half of every handshake to xlbd despite RPS.
ncpu=$(nproc)
cpu_x=0
cpu_s=$((ncpu > 1 ? 1 : 0))
rps=no
# sysfs shows the namespace it was mounted in: nsx keeps the caller's
# mounts, so the write goes through "ip netns exec", which mounts the
# namespace's own /sys (and the interface name exists only there).
if ip netns exec "$(nsname srv)" sh -c "printf %x $((1 << cpu_s)) > \
/sys/class/net/hcsrv0/queues/rx-0/rps_cpus" 2>/dev/null; then
	rps=yes
fi
lab_log "xlbd on CPU $cpu_x, listener on CPU $cpu_s, RPS to it: $rps"
lab_bg srv listen taskset -c "$cpu_s" "$LAB_PY" "$LAB_TRAFFIC" listen \
	--addr 0.0.0.0 --port 8080
LISTEN_PID=$LAB_LAST_PID
lab_wait_port srv 8080 || exit 1
nsx pop ping -c1 -W1 10.210.0.2 >/dev/null

# cpu_ns PID - CPU time of every thread of PID, in ns
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null |
		awk '{s += $1} END {printf "%.0f\n", s}'
}

# host_busy_ns - busy time of every CPU since boot, in ns (/proc/stat)
host_busy_ns() {
	awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {
		printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1e9 / hz }' /proc/stat
}

# backends_up - how many backends are up by their checks
backends_up() {
	nsx pop "$LAB_XLBCTL" -s "$LAB_TMP/pop.sock" -j backend show \
		"$VIP:8080/tcp" 2>/dev/null | "$LAB_PY" -c '
import json, sys
print(sum(1 for b in json.load(sys.stdin)
          if b.get("health", {}).get("state") == "up"
          and b.get("health", {}).get("checks_ok", 0) > 0))'
}
all_up() { [ "$(backends_up)" -eq "$N" ]; }

# checks_ok - total successful checks of every backend
checks_ok() {
	nsx pop "$LAB_XLBCTL" -s "$LAB_TMP/pop.sock" -j backend show \
		"$VIP:8080/tcp" 2>/dev/null | "$LAB_PY" -c '
import json, sys
print(sum(b.get("health", {}).get("checks_ok", 0)
          for b in json.load(sys.stdin)))'
}

# measure MODE
measure() {
	local mode=$1 pid i c0 c1 k0 k1 t0 t1 pct rate h0 h1 l0 l1 host
	{
		cat <<YAML
interfaces:
  - name: hcpop0
lb:
  source4: 10.210.0.1
  hash_seed: 42
  tables: {max_vips: 4, max_backends: 2048, ring_max: 65537, conn_max: 65536}
api:
  socket: $LAB_TMP/pop.sock
log:
  level: warn
health_checks:
  - name: chk
    type: tcp
    mode: $mode
    port: 8080
    interval_ms: 100
    timeout_ms: 100
    rise: 1
    fall: 3
vips:
  - address: $VIP
    port: 8080
    protocol: tcp
    health_check: chk
    backends:
YAML
		for i in $(seq "$N"); do
			echo "      - address: 10.211.$((i / 256)).$((i % 256))"
		done
	} >"$LAB_TMP/pop.yaml"
	lab_bg pop "xlbd-$mode" taskset -c "$cpu_x" "$LAB_XLBD" \
		-c "$LAB_TMP/pop.yaml" -p "/sys/fs/bpf/xlb-$LAB_P-pop" \
		--state-file "$LAB_TMP/pop.state.json"
	pid=$LAB_LAST_PID
	lab_defer "nsx pop $LAB_XLBD --cleanup -c $LAB_TMP/pop.yaml \
-p /sys/fs/bpf/xlb-$LAB_P-pop"
	if ! lab_wait 60 all_up; then
		echo "# $mode: only $(backends_up) of $N backends came up" >&2
		tail -5 "$LAB_TMP/xlbd-$mode.log" >&2
		return 1
	fi
	sleep 2 # past the first transitions and ring rebuilds
	k0=$(checks_ok)
	t0=$(date +%s%N)
	c0=$(cpu_ns "$pid")
	h0=$(host_busy_ns)
	l0=$(cpu_ns "$LISTEN_PID")
	sleep "$MEASURE_S"
	c1=$(cpu_ns "$pid")
	h1=$(host_busy_ns)
	l1=$(cpu_ns "$LISTEN_PID")
	t1=$(date +%s%N)
	k1=$(checks_ok)
	pct=$(awk -v c="$((c1 - c0))" -v t="$((t1 - t0))" \
		'BEGIN {printf "%.1f", 100 * c / t}')
	host=$(awk -v h="$((h1 - h0 - (l1 - l0)))" -v t="$((t1 - t0))" \
		'BEGIN {printf "%.1f", 100 * h / t}')
	rate=$(awk -v k="$((k1 - k0))" -v t="$((t1 - t0))" \
		'BEGIN {printf "%d", k * 1e9 / t}')
	echo "# $mode: $N backends up, xlbd pid $pid, ${MEASURE_S} s"
	echo "BENCH xlbd_checks_cpu_1000_$mode $pct %"
	echo "BENCH xlbd_checks_host_cpu_1000_$mode $host %"
	echo "BENCH xlbd_checks_rate_1000_$mode $rate checks/s"
	lab_stop "$pid"
	nsx pop "$LAB_XLBD" --cleanup -c "$LAB_TMP/pop.yaml" \
		-p "/sys/fs/bpf/xlb-$LAB_P-pop" >/dev/null 2>&1
	return 0
}

measure syn || exit 1
measure connect || exit 1
