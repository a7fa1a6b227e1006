#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/bench/ab_rev.sh - this build's data path paired with an older
# revision's, in one run (docs/datapath-perf.md, "How it is measured").
#
# bench_dp --ab can only load an object that has every map of the build it
# belongs to, so this build's bench cannot load an older object. The other
# way round works: the older revision's bench_dp loads this build's object
# (its extra maps are created from their definitions). This script builds
# REV in a temporary worktree, runs REV's bench_dp --ab with this build's
# xlb.bpf.o, then REV's A/A run (--ab its own object) for the method's
# bias. A is REV, B is this build: B - A < 0 means this build is faster.
#
# Revisions from before lb.outer_ttl (c802def) set the object's .rodata
# through their own skeleton's layout; ab_rev_rodata.patch makes their
# loader set it by name, as today's does (checked against 55013bd).
#
# Usage: tests/bench/ab_rev.sh REV [CASE...]
#   (default cases: established_v4 established_v6 new_flow)
#   BUILD=build   where this build is
set -u

cd "$(dirname "$0")/../.."
TOP=$PWD
BUILD=${BUILD:-build}
REV=${1:?usage: tests/bench/ab_rev.sh REV [CASE...]}
shift
[ $# -gt 0 ] || set -- established_v4 established_v6 new_flow

if [ "$(id -u)" != 0 ]; then
	echo "benchmarks need root (BPF)" >&2
	exit 1
fi
[ -f "$BUILD/xlb.bpf.o" ] || { echo "no $BUILD/xlb.bpf.o: make all" >&2; exit 1; }
git rev-parse --verify -q "$REV^{commit}" >/dev/null ||
	{ echo "ab_rev: no revision $REV" >&2; exit 1; }

WT=$(mktemp -d /tmp/xlb-ab-rev.XXXXXX)
OBJ=$WT.this.o
cleanup() {
	git -C "$TOP" worktree remove --force "$WT" 2>/dev/null
	rm -rf "$WT" "$OBJ"
	git -C "$TOP" worktree prune
}
trap cleanup EXIT INT TERM
cp "$BUILD/xlb.bpf.o" "$OBJ"

git worktree add -q --detach "$WT" "$REV" || exit 1
if ! grep -q rodata_off "$WT/userspace/lib/dp/dp.c"; then
	git -C "$WT" apply "$TOP/tests/bench/ab_rev_rodata.patch" || {
		echo "ab_rev: $REV's loader sets .rodata by its own layout and" \
			"ab_rev_rodata.patch does not apply to it" >&2
		exit 1
	}
fi
make -C "$WT" -s -j"$(nproc)" all >"$WT.log" 2>&1 || {
	tail -20 "$WT.log" >&2
	rm -f "$WT.log"
	echo "ab_rev: $REV does not build" >&2
	exit 1
}
rm -f "$WT.log"
# older bench_dp builds do not print the machine: print it here
echo "# cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "# kernel $(uname -r)"
for v in spec_rstack_overflow retbleed; do
	f=/sys/devices/system/cpu/vulnerabilities/$v
	[ -r "$f" ] && echo "# $v: $(cat "$f")"
done
echo "# ab_rev: A is $(git rev-parse --short "$REV"), B is this build" \
	"($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- bpf maps || echo ', modified'))"
"$WT/build/tests/bench/bench_dp" --ab "$OBJ" "$@" || exit 1
echo "# ab_rev: A/A, $REV against itself (the method's bias)"
"$WT/build/tests/bench/bench_dp" --ab "$WT/build/xlb.bpf.o" "$@" | grep '^# ab'
exit "${PIPESTATUS[0]}"
