#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/run.sh - run every test suite and print one closing line
# "N passed, N failed". Exit status is non-zero if anything failed.
#
# Every suite prints TAP-style lines: "ok - what" or "not ok - what", with
# "# SKIP why" for a case the machine cannot run (counted apart, never as a
# pass). A suite that exits non-zero without reporting a failure, or runs
# past its time limit, counts as one failure.
#
# Usage: tests/run.sh [SUITE...]   (default: all; see suites below)
#   BUILD=build   where the binaries are
#   TEST_FILTER   passed to the netns suites: only cases matching it
set -u

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

pass=0
fail=0
skip=0
failed_names=()

# run_suite NAME TIMEOUT CMD... - run one suite, tally its lines
run_suite() {
	local name=$1 limit=$2
	shift 2
	local log=$LOGDIR/$name.log rc np nf ns
	printf '== %s\n' "$name"
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	grep -E '^(not )?ok\b' "$log" | sed 's/^/   /'
	np=$(grep -cE '^ok\b' "$log" | tr -d ' ')
	ns=$(grep -cE '^ok\b.*# *SKIP' "$log" | tr -d ' ')
	nf=$(grep -cE '^not ok\b' "$log" | tr -d ' ')
	np=$((np - ns))
	if [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "   not ok - $name: timed out after $limit"
		else
			echo "   not ok - $name: exited $rc without reporting"
		fi
		tail -n 20 "$log" | sed 's/^/   | /'
		nf=1
	fi
	if [ "$nf" -gt 0 ]; then
		failed_names+=("$name")
		grep -E '^not ok\b' -A 15 "$log" | grep -E '^#' | head -40 |
			sed 's/^/   | /'
	fi
	pass=$((pass + np))
	fail=$((fail + nf))
	skip=$((skip + ns))
}

# run_bins DIR - every test_* binary in DIR; cmocka ones print TAP
run_bins() {
	local t rc=0
	for t in "$1"/test_*; do
		[ -x "$t" ] || continue
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" || rc=1
	done
	return $rc
}

# timeout(1) runs programs, not shell functions: hand it to a child bash.
export -f run_bins

# want NAME [SUITES...] - NAME was asked for (or nothing was)
want() {
	local n=$1 s
	shift
	[ $# -eq 0 ] && return 0
	for s in "$@"; do
		[ "$s" = "$n" ] && return 0
	done
	return 1
}

SUITES=("$@")
[ $# -eq 0 ] && SUITES=()

if [ "$(id -u)" != 0 ]; then
	echo "tests need root (BPF, network namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf

# Compiled suites, each also under ASan+UBSan (build/san).
for s in unit bpf; do
	want "$s" "${SUITES[@]}" || continue
	[ -d "$BUILD/tests/$s" ] || continue
	run_suite "$s" 300 bash -c 'run_bins "$1"' _ "$BUILD/tests/$s"
	[ -d "$BUILD/san/tests/$s" ] &&
		run_suite "$s-asan" 600 bash -c 'run_bins "$1"' _ \
			"$BUILD/san/tests/$s"
done
# Shell suites: tests/<dir>/suite_*.sh, each a runner of its own cases.
for s in tests/*/suite_*.sh; do
	[ -x "$s" ] || continue
	n=$(basename "$s" .sh)
	n=${n#suite_}
	want "$n" "${SUITES[@]}" || continue
	run_suite "$n" 900 "$s"
done

echo
if [ "$skip" -gt 0 ]; then
	echo "($skip skipped: the machine lacks what they need; see logs in $LOGDIR)"
fi
if [ "$fail" -gt 0 ]; then
	echo "failed suites: ${failed_names[*]} (logs in $LOGDIR)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
