# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib.sh - helpers for tests that run in network namespaces.
#
# Source it, call lab_init, build a topology with lab_ns/lab_link/lab_addr,
# start processes with lab_bg, and run cases with lab_run_cases. Everything
# a test creates (namespaces, processes, pins, temp files) is registered and
# removed by lab_cleanup, which lab_init installs as an EXIT/INT/TERM trap,
# so a failing or interrupted test leaves nothing behind.
#
# Names are unique per run (LAB_P = "x<suite><pid>"), so two runs never
# collide. Commands run in a namespace with nsx, which uses nsenter and so
# keeps the caller's mount namespace: pins under /sys/fs/bpf stay visible
# ("ip netns exec" remounts /sys, see tests/README.md).
#
# Case functions return 0 (pass), 1 (fail) or 77 (skip: the machine lacks
# something); lab_run_cases prints "ok - ", "not ok - " or "ok - ... # SKIP".
#
# LAB_PERSIST=1 (set before lab_init): no trap, the lab outlives the script;
# the caller records LAB_P, LAB_TMP, LAB_NS, LAB_PIDS and LAB_CLEANUP_CMDS
# and calls lab_cleanup later with them (tests/netns/xlb-lab.sh, make lab).

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$LAB_ROOT/$BUILD ;; esac
LAB_SKIP=77

LAB_NS=()
LAB_PIDS=()
LAB_CLEANUP_CMDS=()
LAB_FAILED=0

# lab_init SUITE - unique prefix, temp dir, cleanup trap (none with
# LAB_PERSIST=1), bpffs
lab_init() {
	local suite=$1
	LAB_P="x${suite:0:6}$$"
	LAB_TMP=$(mktemp -d "/tmp/xlb-$suite-XXXXXX")
	if [ "${LAB_PERSIST:-0}" != 1 ]; then
		trap lab_cleanup EXIT
		trap 'lab_cleanup; exit 130' INT TERM
	fi
	mount | grep -q ' /sys/fs/bpf type bpf' ||
		mount -t bpf bpf /sys/fs/bpf
	lab_log "prefix $LAB_P, temp $LAB_TMP"
}

lab_log() {
	printf '# %s\n' "$*"
}

# lab_san_clean LOG - 0 when no sanitizer (ASan, LSan, UBSan) reported in
# LOG; else 1, with the report
lab_san_clean() {
	grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' \
		"$1" || return 0
	lab_log "sanitizer report in $(basename "$1"):"
	grep -A20 -E 'ERROR: |runtime error' "$1" | head -40
	return 1
}

# lab_defer CMD... - run CMD at cleanup (in reverse order of registration)
lab_defer() {
	LAB_CLEANUP_CMDS+=("$*")
}

# Processes go first: a deferred 'xlbd --cleanup' must not run while the
# xlbd that holds the pins (and their lock) still does.
lab_cleanup() {
	local i pid ns
	trap - EXIT INT TERM
	for pid in "${LAB_PIDS[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	done
	LAB_PIDS=()
	for ((i = ${#LAB_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${LAB_CLEANUP_CMDS[$i]}" >/dev/null 2>&1 || true
	done
	LAB_CLEANUP_CMDS=()
	# Any process still inside one of our namespaces goes too.
	for ns in "${LAB_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	LAB_NS=()
	[ -n "${LAB_KEEP:-}" ] || { [ -n "${LAB_TMP:-}" ] && [ -d "$LAB_TMP" ] && rm -rf "$LAB_TMP"; }
	return 0
}

# lab_ns NAME - create namespace $LAB_P-NAME with lo up; prints nothing
lab_ns() {
	local ns="$LAB_P-$1"
	ip netns add "$ns" || return 1
	LAB_NS+=("$ns")
	ip -n "$ns" link set lo up
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# nsname NAME - full namespace name
nsname() {
	printf '%s-%s' "$LAB_P" "$1"
}

# nsx NAME CMD... - run CMD in namespace NAME (mount namespace kept)
nsx() {
	local ns="$LAB_P-$1"
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# lab_link NS1 IF1 NS2 IF2 - a veth pair between two namespaces, both up
lab_link() {
	ip -n "$LAB_P-$1" link add "$2" type veth peer name "$4" \
		netns "$LAB_P-$3" || return 1
	ip -n "$LAB_P-$1" link set "$2" up
	ip -n "$LAB_P-$3" link set "$4" up
}

# lab_addr NS IF ADDR/LEN - add an address (IPv6 without DAD)
lab_addr() {
	case $3 in
	*:*) ip -n "$LAB_P-$1" addr add "$3" dev "$2" nodad ;;
	*) ip -n "$LAB_P-$1" addr add "$3" dev "$2" ;;
	esac
}

# lab_forwarding NS - enable IPv4 and IPv6 forwarding in NS
lab_forwarding() {
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
}

# lab_mac NS IF - MAC address of an interface
lab_mac() {
	ip -n "$LAB_P-$1" -o link show dev "$2" |
		sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# lab_bg NS LOG CMD... - start CMD in namespace NS in its own process group,
# output to $LAB_TMP/LOG.log; its pid is in $LAB_LAST_PID and it is killed at
# cleanup. NS "-" runs in the current namespace.
lab_bg() {
	local ns=$1 log=$LAB_TMP/$2.log
	shift 2
	if [ "$ns" = "-" ]; then
		setsid "$@" >"$log" 2>&1 &
	else
		setsid nsenter --net="/run/netns/$LAB_P-$ns" -- "$@" \
			>"$log" 2>&1 &
	fi
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
}

# lab_stop PID - stop one background process now (TERM, then KILL)
lab_stop() {
	local pid=$1
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# lab_wait SECONDS CMD... - poll CMD every 0.1 s until it succeeds; 1 on
# timeout
lab_wait() {
	local limit=$1 end
	shift
	end=$(($(date +%s%N) + limit * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# lab_wait_port NS PORT [tcp|udp] - a listener on PORT in NS (10 s)
lab_wait_port() {
	local flag=-tln
	[ "${3:-tcp}" = udp ] && flag=-uln
	lab_wait 10 sh -c "nsenter --net=/run/netns/$LAB_P-$1 -- ss -H $flag \
'sport = :$2' | grep -q ."
}

# lab_ms - milliseconds since the epoch
lab_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# lab_xdp_pass NS IF - attach xlb's XDP_PASS program so XDP_TX frames from
# the peer arrive on this veth (tests/README.md)
lab_xdp_pass() {
	ip -n "$LAB_P-$1" link set dev "$2" xdpdrv \
		obj "$BUILD/xlb.bpf.o" sec xdp/xlb_pass_prog 2>/dev/null ||
		nsx "$1" ip link set dev "$2" xdp \
			obj "$BUILD/xlb.bpf.o" program xlb_pass_prog
}

# lab_need CMD... - skip the case (return 77) when a command is missing
lab_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || {
			lab_log "missing $c"
			return $LAB_SKIP
		}
	done
}

# lab_run_cases FN... - run each case function, print TAP lines. A case's
# own output goes through as "# " diagnostics.
lab_run_cases() {
	local fn rc desc
	for fn in "$@"; do
		if [ -n "${TEST_FILTER:-}" ] && [[ $fn != *$TEST_FILTER* ]]; then
			continue
		fi
		desc=${fn#test_}
		desc=${desc//_/ }
		"$fn" >"$LAB_TMP/case.out" 2>&1
		rc=$?
		sed -e '/^#/!s/^/# /' "$LAB_TMP/case.out"
		case $rc in
		0) echo "ok - $desc" ;;
		"$LAB_SKIP") echo "ok - $desc # SKIP machine lacks a dependency" ;;
		*)
			echo "not ok - $desc"
			LAB_FAILED=1
			;;
		esac
	done
}

# check DESC CMD... - inside a case: run CMD, log and fail the case if it
# fails. Use as: check "x reachable" ping -c1 ... || return 1
check() {
	local desc=$1
	shift
	if "$@"; then
		return 0
	fi
	lab_log "FAILED: $desc ($*)"
	return 1
}

# lab_xlb_binaries - PY, XLBD and XLBCTL for a suite: the ASan+UBSan builds
# (build/san) when make san has made them, with the sanitizers' options
lab_xlb_binaries() {
	PY=/usr/bin/python3
	XLBD=$BUILD/xlbd
	XLBCTL=$BUILD/xlbctl
	[ -x "$BUILD/san/xlbd" ] && XLBD=$BUILD/san/xlbd
	[ -x "$BUILD/san/xlbctl" ] && XLBCTL=$BUILD/san/xlbctl
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
}
