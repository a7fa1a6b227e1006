#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_fuzz.sh - run each libFuzzer target (tests/fuzz/fuzz_*.c, built by
# make fuzz-build into $BUILD/fuzz/) for FUZZ_S seconds (default 20; make
# fuzz uses 60), one after the other, and print "ok - fuzz_NAME" or
# "not ok - fuzz_NAME" with the reproducer's path and the command that
# replays it. Each starts from the committed seeds in tests/fuzz/corpus/NAME
# (read only) plus what earlier runs found in $BUILD/fuzz/corpus/NAME, and
# is bounded by timeout(1). A target missing from the build is skipped.
#
# Usage: tests/fuzz/suite_fuzz.sh [NAME...]   (default: every target)
set -u

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FUZZ_S=${FUZZ_S:-20}
FAILED=0

targets=("$@")
if [ $# -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		targets+=("${n#fuzz_}")
	done
fi

for name in "${targets[@]}"; do
	bin=$BUILD/fuzz/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	work=$BUILD/fuzz/corpus/$name
	art=$BUILD/fuzz/artifacts/$name
	log=$BUILD/fuzz/fuzz_$name.log
	if [ ! -x "$bin" ]; then
		echo "ok - fuzz_$name # SKIP not built (make fuzz-build)"
		continue
	fi
	mkdir -p "$work" "$art"
	# -timeout: one input taking this long is a finding (a hang or a
	# quadratic parser), with room for a loaded 2-core machine
	timeout --kill-after=10 $((FUZZ_S + 60)) "$bin" \
		-max_total_time="$FUZZ_S" -timeout=25 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz_$name (${runs:-?} runs in ${FUZZ_S} s)"
		continue
	fi
	FAILED=1
	echo "not ok - fuzz_$name (exit $rc, log $log)"
	repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	if [ -n "$repro" ]; then
		echo "# reproducer: $repro"
		echo "# replay: $bin $repro"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "# timed out after $((FUZZ_S + 60)) s"
	fi
	grep -E '^(fuzz_[a-z]+:|==[0-9]+==ERROR|SUMMARY)' "$log" | head -5 |
		sed 's/^/# /'
done
exit "$FAILED"
