#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/check.sh - style and static analysis (make check)
#
#   clang-format  every C file matches .clang-format
#   cppcheck      userspace, BPF and tests
#   clang-tidy    clang's static analyser (clang-analyzer-*) and a set of
#                 bugprone checks on userspace code
#
# Prints one line per tool and a closing "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MULTIARCH=$(gcc -dumpmachine)
pass=0
fail=0

mapfile -t CFILES < <(git ls-files '*.c' '*.h' 2>/dev/null ||
	find bpf maps userspace tests -name '*.[ch]')
mapfile -t USER_C < <(printf '%s\n' "${CFILES[@]}" |
	grep -E '^(userspace|tests)/.*\.c$' | grep -v '\.bpf\.c$')

result() {
	if [ "$2" -eq 0 ]; then
		echo "ok - $1"
		pass=$((pass + 1))
	else
		echo "not ok - $1"
		fail=$((fail + 1))
	fi
}

# clang-format
out=$(clang-format --dry-run --Werror "${CFILES[@]}" 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -E '^[^ ].*(warning|error)' | head -40
result "clang-format ($(echo "$out" | grep -c 'warning:') findings)" $rc

# cppcheck (bpf/ is GNU C, as the kernel's: pointer arithmetic on void *;
# tests/bpf/test_parse.c compiles bpf/parse.h on the host, so cppcheck
# reads it)
PKG_INC=$(pkg-config --cflags-only-I libnl-route-3.0 2>/dev/null)
# the library's parts, as LIB_INC in the Makefile
LIB_INC="-Iuserspace/lib -Iuserspace/lib/dp -Iuserspace/lib/config
	-Iuserspace/lib/health -Iuserspace/lib/bgp -Iuserspace/backend-host"
out=$(cppcheck --quiet --error-exitcode=1 --inline-suppr \
	--enable=warning,portability --std=c11 \
	--suppress=missingIncludeSystem --suppress=unknownMacro \
	--suppress='arithOperationsOnVoidPointer:bpf/*' \
	-D__linux__ -I. $LIB_INC -I"$BUILD" $PKG_INC \
	userspace tests/unit tests/bpf tests/bench tests/helpers 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | head -40
result "cppcheck" $rc

# clang-tidy (needs the skeletons: make builds them first)
CHECKS='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,'
CHECKS+='bugprone-*,-bugprone-easily-swappable-parameters,'
CHECKS+='-bugprone-reserved-identifier,-bugprone-macro-parentheses,'
CHECKS+='-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition,'
CHECKS+='-bugprone-branch-clone,-bugprone-implicit-widening-of-multiplication-result,'
CHECKS+='-bugprone-suspicious-string-compare,-bugprone-signal-handler,'
CHECKS+='-clang-analyzer-deadcode.DeadStores'
CFLAGS="-std=c11 -D_GNU_SOURCE -I. $LIB_INC -isystem $BUILD $PKG_INC \
	$(pkg-config --cflags libbpf libxdp libcurl libuv yaml-0.1 jansson \
	libmicrohttpd 2>/dev/null)"
out=""
rc=0
# Findings inside generated skeletons ($BUILD/*.skel.h) are not ours.
for f in "${USER_C[@]}"; do
	o=$(clang-tidy --quiet --checks="$CHECKS" "$f" -- $CFLAGS 2>&1 |
		grep -E '(warning|error):' | grep -v "^$BUILD/\|/$BUILD/")
	if [ -n "$o" ]; then
		rc=1
		out+=$(echo "$o" | head -10)$'\n'
	fi
done
[ $rc -ne 0 ] && echo "$out" | head -60
result "clang-tidy (${#USER_C[@]} files)" $rc

# BPF objects build with -Werror (done by make) and pass the verifier
# (proved by the bpf suite); nothing more to run here.

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
