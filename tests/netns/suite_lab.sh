#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_lab.sh - make lab / make lab-down (tests/netns/xlb-lab.sh): the lab
# comes up and stays up after make returns, serves traffic through its VIPs
# from the client, and lab-down leaves no namespace, pin or process behind.
#
# Each case runs its own lab with its own state directory (LAB_STATE_DIR),
# so an operator's lab under /run/xlb-lab is never touched; a failing case
# takes its lab down in the trap.
. "$(dirname "$0")/lib.sh"

lab_init labsuite

MAKE_ARGS=(--no-print-directory -s -C "$LAB_ROOT" BUILD="$BUILD")

# state_get DIR VAR - a variable of the lab's state file
state_get() {
	(
		# shellcheck disable=SC1091
		. "$1/state" && eval "printf '%s' \"\${$2}\""
	)
}

# lab_up DIR LOG [VAR=VALUE...] - make lab with its state in DIR
lab_up() {
	local dir=$1 log=$2
	shift 2
	lab_defer "LAB_STATE_DIR=$dir BUILD=$BUILD $LAB_ROOT/tests/netns/xlb-lab.sh down"
	# output to a file: the lab's processes must not hold a pipe open
	env LAB_STATE_DIR="$dir" "$@" make "${MAKE_ARGS[@]}" lab >"$log" 2>&1
	local rc=$?
	sed 's/^/# /' "$log"
	return $rc
}

# http_from_client DIR VIP N BASE - N requests through the VIP from the
# lab's client; prints the JSON summary
http_from_client() {
	local p
	p=$(state_get "$1" LAB_P)
	nsenter --net="/run/netns/$p-cl" -- /usr/bin/python3 \
		"$LAB_ROOT/tests/netns/traffic.py" http --vip "$2" --n "$3" \
		--sport-base "$4" --timeout 2 --deadline 60
}

# served DIR VIP BASE - 30 requests, none failing, more than one backend
served() {
	local out
	out=$(http_from_client "$1" "$2" 30 "$3") || return 1
	echo "# $2: $out"
	/usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d["errors"] == 0 and len(d["counts"]) > 1 else 1)' "$out"
}

snapshot() {
	{
		ip netns list | awk '{print $1}'
		ls /sys/fs/bpf | sed 's/^/bpffs:/'
	} | LC_ALL=C sort
}

# lab_down_clean DIR - make lab-down; nothing of the lab is left
lab_down_clean() {
	local dir=$1 before=$2 p tmp ns pids="" pid left
	p=$(state_get "$dir" LAB_P)
	tmp=$(state_get "$dir" LAB_TMP)
	for ns in $(ip netns list | awk '{print $1}'); do
		[[ $ns == "$p-"* ]] && pids+=" $(ip netns pids "$ns" | tr '\n' ' ')"
	done
	lab_log "lab $p: processes in its namespaces:$pids"
	check "make lab-down" env LAB_STATE_DIR="$dir" \
		make "${MAKE_ARGS[@]}" lab-down || return 1
	snapshot >"$LAB_TMP/after"
	# other suites may run at the same time: what is new since before and
	# carries the lab's prefix must not exist
	left=$(LC_ALL=C comm -13 "$before" "$LAB_TMP/after" | grep -F "$p" ||
		true)
	check "no namespace or pin of $p left (${left:-none})" \
		test -z "$left" || return 1
	# killed with KILL, a process is gone once its parent reaps it
	for pid in $pids; do
		check "process $pid gone" \
			lab_wait 5 sh -c "! kill -0 $pid 2>/dev/null" || return 1
	done
	check "state file gone" test ! -e "$dir/state" || return 1
	check "temp dir gone" test ! -e "$tmp"
}

# the default lab: generated config, BGP (FRR router, BIRD in the PoP)
test_make_lab_default_then_down() {
	local dir=$LAB_TMP/state-default
	lab_need curl || return $LAB_SKIP
	snapshot >"$LAB_TMP/before"
	check "make lab" lab_up "$dir" "$LAB_TMP/up1.log" || return 1
	check "make returned, the lab is up: state recorded" \
		test -s "$dir/state" || return 1
	check "make lab printed how to reach it" \
		grep -q 'xlbctl.* -s .*pop1.sock status' "$LAB_TMP/up1.log" ||
		return 1
	local p tmp
	p=$(state_get "$dir" LAB_P)
	tmp=$(state_get "$dir" LAB_TMP)
	check "xlbctl reaches xlbd over the printed socket" \
		"$BUILD/xlbctl" -s "$tmp/pop1.sock" status || return 1
	check "HTTP through the VIP, v4" served "$dir" 192.0.2.10 10000 ||
		return 1
	check "HTTP through the VIP, v6" served "$dir" 2001:db8::10 10100 ||
		return 1
	check "curl from the client" sh -c "nsenter --net=/run/netns/$p-cl \
curl -s -m 3 http://192.0.2.10/ | grep -q '^be'" || return 1
	check "a second make lab is refused while one is up" \
		sh -c "! env LAB_STATE_DIR=$dir BUILD=$BUILD \
$LAB_ROOT/tests/netns/xlb-lab.sh up >/dev/null 2>&1" || return 1
	lab_down_clean "$dir" "$LAB_TMP/before"
}

# the operator's own xlb.yaml (no bgp section: static routes), two PoPs
# behind ECMP, two backends, a hexadecimal hash seed
test_make_lab_own_config_then_down() {
	local dir=$LAB_TMP/state-own f=$LAB_TMP/my-xlb.yaml
	cat >"$f" <<'EOF'
interfaces:
  - name: eth0
lb:
  source4: 10.101.1.2
  hash_seed: 0x5eed
api:
  socket: /run/xlb/xlb.sock
health_checks:
  - name: web
    type: http
    port: 80
    interval_ms: 300
    timeout_ms: 200
vips:
  - address: 192.0.2.20
    port: 80
    protocol: tcp
    health_check: web
    backends:
      - address: 10.102.1.2
      - address: 10.102.2.2
EOF
	snapshot >"$LAB_TMP/before2"
	check "make lab LAB_CONFIG=my-xlb.yaml" lab_up "$dir" \
		"$LAB_TMP/up2.log" LAB_CONFIG="$f" LAB_POPS=2 LAB_BACKENDS=2 ||
		return 1
	local tmp
	tmp=$(state_get "$dir" LAB_TMP)
	check "the running copy keeps the operator's seed" \
		grep -q '0x5eed' "$tmp/pop1.yaml" || return 1
	check "the copy's socket is the lab's, not /run/xlb" \
		"$BUILD/xlbctl" -s "$tmp/pop2.sock" status || return 1
	check "the operator's file is untouched" \
		grep -q 'socket: /run/xlb/xlb.sock' "$f" || return 1
	check "the VIP servable in both PoPs (checks passed)" lab_wait 15 \
		sh -c "$BUILD/xlbctl -s $tmp/pop1.sock status | grep -q '(1 servable)' &&
$BUILD/xlbctl -s $tmp/pop2.sock status | grep -q '(1 servable)'" || return 1
	check "HTTP through the operator's VIP" served "$dir" 192.0.2.20 11000 ||
		return 1
	lab_down_clean "$dir" "$LAB_TMP/before2"
}

lab_run_cases test_make_lab_default_then_down \
	test_make_lab_own_config_then_down
exit $LAB_FAILED
