#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_mapnames.sh - every map of the BPF objects has a name the kernel
# keeps whole (at most 15 characters: BPF_OBJ_NAME_LEN 16 with its NUL).
# xlbd pins maps by their names in the object, and re-pins a map whose pin
# is gone by the name the kernel reports for the attached program's map: a
# longer name comes back cut, the pin lands under another name, and the
# map is created empty at the next start (xlb_chance_stats did that: the
# failsafe case "pins gone restart adopts the programs maps" saw it).
# xlb_decap.bpf.o is not checked: backend-host pins its maps by their names
# in the object and never re-pins from the kernel's (two of them are
# longer, xlb_decap_stats_v2 and xlb_decap_sources).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

for o in xlb xlb_probe; do
	obj=$BUILD/$o.bpf.o
	if [ ! -e "$obj" ]; then
		echo "not ok - $o.bpf.o: not built"
		continue
	fi
	long=$(llvm-objdump -t "$obj" | awk '$4 == ".maps" && length($6) > 15 { print $6 }')
	n=$(llvm-objdump -t "$obj" | awk '$4 == ".maps"' | wc -l)
	if [ "$n" -gt 0 ] && [ -z "$long" ]; then
		echo "ok - $o.bpf.o: $n map names of at most 15 characters"
	else
		echo "not ok - $o.bpf.o: $n maps; cut by the kernel:" $long
	fi
done
