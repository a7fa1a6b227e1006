#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_validate.sh - what xlbd refuses before it touches the kernel
# (issue 15): addresses no VIP or backend can have, a backend that is a
# VIP, tables that do not fit their map or a share of RAM, and a file
# nested too deep to read quickly. `xlbd --check` must name FILE:LINE:COL;
# a running xlbd must refuse the same through the API, naming the table.
. "$(dirname "$0")/../netns/lib.sh"

XLBD=$BUILD/xlbd
XLBCTL=$BUILD/xlbctl
[ -x "$BUILD/san/xlbd" ] && XLBD=$BUILD/san/xlbd
[ -x "$BUILD/san/xlbctl" ] && XLBCTL=$BUILD/san/xlbctl

lab_init valid
CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
PIN=/sys/fs/bpf/xlb-$LAB_P

# config VIP BACKEND [TABLES] - one VIP :80/tcp with one backend
config() {
	cat >"$CFG" <<EOF
interfaces:
  - name: eth0
lb:
  source4: 10.1.0.1
  tables: {${3:-max_vips: 8, max_backends: 64, ring_max: 251, conn_max: 1024}}
api:
  socket: $SOCK
vips:
  - address: $1
    port: 80
    protocol: tcp
    ring_size: 251
    backends:
      - address: $2
EOF
}

# refused WANT - xlbd --check fails, printing WANT (a fixed string)
refused() {
	local out rc
	out=$("$XLBD" --check -c "$CFG" 2>&1)
	rc=$?
	echo "$out"
	check "--check exits non-zero" test "$rc" -ne 0 || return 1
	check "message names the place: $1" grep -qF -- "$1" <<<"$out"
}

test_check_refuses_loopback_backend() {
	config 192.0.2.10 127.0.0.1
	refused "xlbd: $CFG:14:18: vip 192.0.2.10:80/tcp: backend 127.0.0.1: address is loopback"
}

test_check_refuses_multicast_vip() {
	config 224.0.0.1 10.2.0.1
	refused "xlbd: $CFG:9:14: vip 224.0.0.1:80/tcp: address is multicast"
}

test_check_refuses_mapped_vip() {
	config ::ffff:192.0.2.10 10.2.0.1
	refused "xlbd: $CFG:9:14: vip [::ffff:192.0.2.10]:80/tcp: address is IPv4-mapped"
}

test_check_refuses_backend_that_is_a_vip() {
	config 192.0.2.10 192.0.2.10
	refused "xlbd: $CFG:14:18: vip 192.0.2.10:80/tcp: backend 192.0.2.10: is a VIP address"
}

test_check_refuses_tables_larger_than_ram_share() {
	config 192.0.2.10 10.2.0.1 "conn_max: 268435456, max_memory_percent: 1"
	refused "xlbd: $CFG:5:22: lb.tables: the maps need 22561 MiB of kernel memory, more than lb.tables.max_memory_percent (1% of"
}

test_check_refuses_deep_nesting_at_once() {
	head -c 200000 /dev/zero | tr '\0' '[' >"$CFG"
	refused "xlbd: $CFG:1:17: nested more than 16 levels deep"
}

test_check_accepts_a_good_config() {
	config 192.0.2.10 10.2.0.1
	check "--check passes" "$XLBD" --check -c "$CFG"
}

# A running xlbd: the API refuses what would overflow the VIP table with
# the table's name and size, where the kernel said "Argument list too long".
test_api_names_the_full_vip_table() {
	local out
	lab_ns pop || return 1
	config 192.0.2.1 10.2.0.1 "max_vips: 4, max_backends: 64, ring_max: 251, conn_max: 1024"
	lab_defer rm -rf "$PIN"
	lab_bg pop xlbd "$XLBD" -c "$CFG" -p "$PIN" --no-attach \
		--state-file "$LAB_TMP/state.json"
	check "xlbd answers" lab_wait 15 nsx pop "$XLBCTL" -s "$SOCK" status ||
		return 1
	# 192.0.2.1:80 and its marker use 2 of 4 entries; :81 one more
	check "a VIP on the same address fits" \
		nsx pop "$XLBCTL" -s "$SOCK" vip add 192.0.2.1 --port 81 \
		--proto tcp --ring-size 251 || return 1
	out=$(nsx pop "$XLBCTL" -s "$SOCK" vip add 192.0.2.2 --port 80 \
		--proto tcp --ring-size 251 2>&1)
	echo "$out"
	check "the next address is refused, naming the table" \
		grep -qF "IPv4 vip table full (lb.tables.max_vips 4" <<<"$out" ||
		return 1
	check "xlbd still serves" nsx pop "$XLBCTL" -s "$SOCK" status
}

# Maps re-adopted from pins keep their size: a configuration that asks for
# more VIP-table entries than they hold is refused by name, not by E2BIG
# from the kernel halfway through writing.
test_readopted_tables_are_counted_as_loaded() {
	local out rc pid
	lab_ns pop2 || return 1
	config 192.0.2.1 10.2.0.1 "max_vips: 4, max_backends: 64, ring_max: 251, conn_max: 1024"
	lab_defer rm -rf "$PIN-2"
	# its own socket: the previous case's xlbd may still hold $SOCK
	lab_bg pop2 xlbd2 "$XLBD" -c "$CFG" -p "$PIN-2" --no-attach \
		-s "$SOCK-2" --state-file "$LAB_TMP/state-2.json"
	pid=$LAB_LAST_PID
	check "xlbd answers" lab_wait 15 nsx pop2 "$XLBCTL" -s "$SOCK-2" \
		status || return 1
	lab_stop "$pid"
	# 8 now in the file, but the pinned maps hold 4: three addresses
	# need 6 entries
	config 192.0.2.1 10.2.0.1 "max_vips: 8, max_backends: 64, ring_max: 251, conn_max: 1024"
	cat >>"$CFG" <<EOF
  - address: 192.0.2.2
    port: 80
    ring_size: 251
  - address: 192.0.2.3
    port: 80
    ring_size: 251
EOF
	out=$(timeout 20 nsenter --net="/run/netns/$(nsname pop2)" -- \
		"$XLBD" -c "$CFG" -p "$PIN-2" --no-attach -s "$SOCK-2" \
		--state-file "$LAB_TMP/state-2.json" 2>&1)
	rc=$?
	echo "$out" | tail -3
	check "start refused" test "$rc" -ne 0 -a "$rc" -ne 124 || return 1
	check "names the table and both sizes" grep -qF \
		"IPv4 vip table full: 6 entries needed, the loaded data path holds 4" \
		<<<"$out"
}

lab_run_cases test_check_refuses_loopback_backend \
	test_check_refuses_multicast_vip \
	test_check_refuses_mapped_vip \
	test_check_refuses_backend_that_is_a_vip \
	test_check_refuses_tables_larger_than_ram_share \
	test_check_refuses_deep_nesting_at_once \
	test_check_accepts_a_good_config \
	test_api_names_the_full_vip_table \
	test_readopted_tables_are_counted_as_loaded
exit "$LAB_FAILED"
