#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench_api.sh - BENCH api_backend_set: wall time of one
# `xlbctl backend set VIP BACKEND weight N`, from starting the CLI to its
# exit. xlbd answers only after the change is validated, saved to the
# state file and applied to the maps (new ring written and flipped), so
# this is "CLI call to map updated". xlbd runs with XDP attached on a veth
# in a namespace, with one VIP of 100 backends. After the runs the ring is
# checked: the last weights must show in the slots the data path reads.
# Prints the median and the minimum; asserts nothing about the time.
. "$(dirname "$0")/../netns/lib.sh"

RUNS=${RUNS:-41}
VIP=192.0.2.10
XLBD=$BUILD/xlbd
XLBCTL=$BUILD/xlbctl
LAB_PY=/usr/bin/python3

lab_init api
lab_ns pop && lab_ns peer || exit 1
lab_link pop eth0 peer eth0
lab_addr pop eth0 10.1.0.1/24
lab_addr peer eth0 10.1.0.2/24
ip -n "$(nsname pop)" route add 10.2.0.0/16 via 10.1.0.2
lab_xdp_pass peer eth0
nsx pop ping -c1 -W1 10.1.0.2 >/dev/null

CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
PIN=/sys/fs/bpf/xlb-$LAB_P
{
	cat <<YAML
interfaces:
  - name: eth0
lb:
  source4: 10.1.0.1
  tables: {max_vips: 4, max_backends: 256, ring_max: 65537, conn_max: 65536}
api:
  socket: $SOCK
log:
  level: warn
vips:
  - address: $VIP
    port: 80
    protocol: tcp
    backends:
YAML
	for i in $(seq 100); do
		echo "      - address: 10.2.$((i / 200)).$((i % 200 + 1))"
	done
} >"$CFG"
lab_defer "nsx pop $XLBD --cleanup -c $CFG -p $PIN"
lab_bg pop xlbd "$XLBD" -c "$CFG" -p "$PIN" --state-file "$LAB_TMP/state.json"
lab_wait 15 nsx pop "$XLBCTL" -s "$SOCK" status || {
	echo "# xlbd did not start" >&2
	cat "$LAB_TMP/xlbd.log" >&2
	exit 1
}

times=()
for r in $(seq "$RUNS"); do
	w=$((100 + r))
	t0=$(date +%s%N)
	nsx pop "$XLBCTL" -s "$SOCK" backend set "$VIP:80/tcp" 10.2.0.2 \
		weight "$w" >/dev/null || {
		echo "# backend set failed" >&2
		exit 1
	}
	t1=$(date +%s%N)
	times+=("$(((t1 - t0) / 1000))")
done
# for scale: the same CLI round trip that changes nothing
st=()
for r in $(seq 11); do
	t0=$(date +%s%N)
	nsx pop "$XLBCTL" -s "$SOCK" status >/dev/null
	st+=("$((($(date +%s%N) - t0) / 1000))")
done
echo "# xlbctl status (no change) median: $(printf '%s\n' "${st[@]}" | sort -n |
	awk '{a[NR]=$1} END {printf "%.2f", a[6]/1000}') ms"
# the ring the data path reads must now give 10.2.0.2 its share: weight
# 141 against 99 x 100 is 1.41/100.41 of 65537 slots, about 920
nsx pop "$XLBCTL" -s "$SOCK" -j backend show "$VIP:80/tcp" >"$LAB_TMP/vip.json"
share=$("$LAB_PY" - "$LAB_TMP/vip.json" <<'PY' || true
import json, sys
for b in json.load(open(sys.argv[1])):
    if b.get("address") == "10.2.0.2":
        print(b.get("weight"), b.get("slots", "?"))
PY
)
echo "# after $RUNS sets, 10.2.0.2 weight/slots: ${share:-unknown}"
# not a timing assertion: the run is void if the map did not change
case $share in
"$((100 + RUNS)) 0" | "" | *\?*)
	echo "# the ring in the map does not reflect the last set" >&2
	exit 1
	;;
esac
med=$(printf '%s\n' "${times[@]}" | sort -n |
	awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}')
min=$(printf '%s\n' "${times[@]}" | sort -n | head -1 |
	awk '{printf "%.2f", $1/1000}')
echo "# api_backend_set: $RUNS runs, min $min ms (includes starting xlbctl)"
echo "BENCH api_backend_set $med ms"
