#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/bench/run.sh - run every benchmark binary in turn and pass their
# output through ("BENCH <name> <value> <unit>" lines, "#" comments).
# Benchmarks never assert a time; the exit status is non-zero only when a
# benchmark could not run.
#
# Usage: tests/bench/run.sh [NAME...]   (default: every build/tests/bench/bench_*
#        and tests/bench/bench_*.sh; NAME is bench_x, x or bench_x.sh)
#   BUILD=build   where the binaries are
#   BENCH_LOG=FILE  where the output is also appended, after a "# run DATE"
#                 line (default $BUILD/bench.log; make bench-plot reads it)
set -u

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

if [ "$(id -u)" != 0 ]; then
	echo "benchmarks need root (BPF)" >&2
	exit 1
fi
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf

LOG=${BENCH_LOG:-$BUILD/bench.log}
mkdir -p "$(dirname "$LOG")"
echo "# run $(date -u +%Y-%m-%dT%H:%M:%SZ) $*" >>"$LOG"

rc=0
ran=0
# compiled benchmarks, then the scripts that drive the lab (bench_*.sh)
for b in "$BUILD"/tests/bench/bench_* tests/bench/bench_*.sh; do
	[ -x "$b" ] || continue
	n=$(basename "$b")
	if [ $# -gt 0 ]; then
		want=0
		for w in "$@"; do
			case $n in
			"$w" | "bench_$w" | "bench_$w.sh" | "$w.sh") want=1 ;;
			esac
		done
		[ "$want" = 1 ] || continue
	fi
	echo "# == $n" | tee -a "$LOG"
	"$b" | tee -a "$LOG"
	if [ "${PIPESTATUS[0]}" != 0 ]; then
		echo "# $n failed" >&2
		rc=1
	fi
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "no benchmarks in $BUILD/tests/bench" >&2; exit 1; }
exit $rc
