#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_priv.sh - least privilege, proven (SECURITY.md):
#
#   - the shipped unit's exposure, as systemd-analyze rates it, is <= 4.9;
#   - xlbd runs as a user that is not root (nobody) with exactly CAP_BPF,
#     CAP_NET_ADMIN, CAP_NET_RAW and CAP_PERFMON (setpriv: effective,
#     ambient and bounding sets) and serves real traffic end to end, in the
#     lab of lab.sh:
#
#       cl ── rt ──┬── pop1 (xlbd as nobody, XDP on eth0)
#                  └── be1..be3 (xlb_decap.bpf.o, VIPs on lo, servers)
#
#     with runtime changes, a restart, an upgrade (a restart with another
#     lb.outer_ttl: the program differs) and dp detach, all without
#     CAP_SYS_ADMIN (where libxdp cannot work: the netlink path);
#   - each of the four capabilities is needed: without it xlbd stops with
#     the documented error (or, for CAP_NET_RAW, falls back), never a crash.
#
# Before the netlink fallback, xlbd died with SIGSEGV inside libxdp here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

CAPS=-all,+bpf,+net_admin,+net_raw,+perfmon
# CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_PERFMON 38, CAP_BPF 39
CAPS_MASK=000000c000003000
RUN_UID=65534
RUN_GID=65534
XLBD_REAL=$BUILD/xlbd
UNIT=$LAB_ROOT/deploy/xlbd.service
lab_init priv

# priv_wrapper NAME XLBD [CAPS] - a script that starts XLBD as nobody with
# only CAPS (default: the four), for lab_pop_start (LAB_XLBD)
priv_wrapper() {
	local caps=${3:-$CAPS}
	cat >"$LAB_TMP/$1" <<EOF
#!/bin/sh
exec setpriv --reuid=$RUN_UID --regid=$RUN_GID --clear-groups \
	--inh-caps=$caps --ambient-caps=$caps --bounding-set=$caps \
	--no-new-privs "$2" "\$@"
EOF
	chmod 755 "$LAB_TMP/$1"
}

setup() {
	local i
	lab_need setpriv || return 1
	# nobody runs xlbd: it reads its config, saves runtime changes to its
	# state file next to it and creates its API socket in $LAB_TMP; it owns its pins
	chown "$RUN_UID:$RUN_GID" "$LAB_TMP"
	chmod 755 "$LAB_TMP"
	install -d -o "$RUN_UID" -g "$RUN_GID" -m 700 \
		"/sys/fs/bpf/xlb-$LAB_P-pop1"
	# the real cleanup runs as root (registered before lab_pop_start's)
	lab_defer "rm -rf /sys/fs/bpf/xlb-$LAB_P-pop1"
	lab_defer "nsx pop1 $XLBD_REAL --cleanup -c $LAB_TMP/pop1.yaml \
-p /sys/fs/bpf/xlb-$LAB_P-pop1 # pop1-cleanup"
	priv_wrapper xlbd-priv "$XLBD_REAL"
	LAB_XLBD=$LAB_TMP/xlbd-priv
	lab_topology 1 3 || return 1
	lab_route_vips 1
	for i in 1 2 3; do
		lab_backend_up "$i" || {
			lab_log "backend $i did not come up"
			return 1
		}
	done
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1 2 3"
	chmod 644 "$LAB_TMP/pop1.yaml"
}

# http_ok VIP N BASE WANT - N requests, none failed, answered by exactly
# the backends in WANT ("be1 be2 be3")
http_ok() {
	local out got want
	out=$(lab_http "$1" "$2" "$3") || {
		lab_log "http to $1 failed: $out"
		return 1
	}
	lab_log "$1: $out"
	got=$(json_get "$out" counts | "$LAB_PY" -c \
		'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))')
	want=$(printf '%s\n' $4 | sort | tr '\n' ' ' | sed 's/ $//')
	check "backends answering $1 are '$want'" test "$got" = "$want"
}

# xlbd_status_field FIELD - a line of /proc/PID/status of pop1's xlbd
xlbd_status_field() {
	local pid
	eval "pid=\${LAB_XLBD_PID_1:-}"
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status" 2>/dev/null
}

test_unit_exposure_is_at_most_4_9() {
	local out level
	systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
		return $LAB_SKIP
	out=$(systemd-analyze security --offline=true "$UNIT" 2>&1)
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
		<<<"$out")
	lab_log "systemd-analyze security --offline=true deploy/xlbd.service:" \
		"${level:-?}"
	[ -n "$level" ] || {
		lab_log "no exposure level in: $(tail -3 <<<"$out")"
		return 1
	}
	check "exposure $level <= 4.9" awk -v l="$level" \
		'BEGIN { exit !(l <= 4.9) }'
}

test_xlbd_as_nobody_with_four_capabilities_serves_traffic() {
	lab_pop_start 1 || return 1
	check "xlbd runs as uid $RUN_UID" \
		test "$(xlbd_status_field Uid | awk '{print $2}')" = $RUN_UID ||
		return 1
	check "its capabilities are exactly the four ($CAPS_MASK)" \
		test "$(xlbd_status_field CapEff)" = $CAPS_MASK || return 1
	check "bounding set the same" \
		test "$(xlbd_status_field CapBnd)" = $CAPS_MASK || return 1
	check "attached through netlink (no CAP_SYS_ADMIN for libxdp)" \
		grep -q "attached (program .*netlink: libxdp needs CAP_SYS_ADMIN" \
		"$LAB_LAST_XLBD_LOG" || return 1
	check "program pinned for the next start" \
		test -e "/sys/fs/bpf/xlb-$LAB_P-pop1/xlb_lb_prog" || return 1
	http_ok "$VIP4" 600 10000 "be1 be2 be3" || return 1
	http_ok "$VIP6" 600 12000 "be1 be2 be3" || return 1
	# /proc/timer_list is root's: the counts use the estimated clock
	local out
	out=$(xpop 1 -j backend show "$VIP4:80/tcp") || return 1
	check "connection counts without root" "$LAB_PY" -c '
import json, sys
b = json.loads(sys.argv[1])
sys.exit(0 if sum(x["conns"]["active"] for x in b) > 0 else 1)' "$out"
}

# Runtime change (saved by nobody), restart and upgrade: re-adopted or
# replaced atomically through the pinned program (and its pinned .rodata,
# which says what it was loaded with), a connection kept.
test_restart_and_upgrade_without_cap_sys_admin() {
	local mine other log
	hold_start a "$VIP4" || return 1
	mine=$(hold_field a backend)
	other=$(printf 'be1\nbe2\nbe3\n' | grep -v "^$mine$" | head -1)
	xpop 1 backend del "$VIP4:7/tcp" "$(be4 "${other#be}")" || return 1
	check "runtime change saved by xlbd (as uid $RUN_UID) in its state file" \
		test "$(stat -c %u "$LAB_TMP/pop1.state.json")" = $RUN_UID ||
		return 1
	check "the config file left as the operator wrote it" \
		test "$(stat -c %u "$LAB_TMP/pop1.yaml")" = 0 || return 1
	check "alive after removing $other" hold_alive a || return 1
	lab_pop_stop 1 || return 1
	lab_pop_start 1 || return 1
	check "program re-adopted after a restart" \
		grep -q "re-adopted attached program" "$LAB_LAST_XLBD_LOG" ||
		return 1
	check "alive after the restart" hold_alive a || return 1
	lab_pop_stop 1 || return 1
	# upgrade: the program's .rodata differs (outer TTL 63)
	sed -i '/^lb:$/a\  outer_ttl: 63' "$LAB_TMP/pop1.yaml"
	lab_pop_start 1 || return 1
	log=$LAB_LAST_XLBD_LOG
	check "program replaced (upgrade)" grep -q "(upgrade" "$log" || return 1
	check "for its load-time constants" grep -q \
		"other load-time constants" "$log" || return 1
	check "alive after the upgrade" hold_alive a || return 1
	lab_bg rt ttlcap timeout 5 tcpdump -i "b${mine#be}" -nn -v -c 3 \
		'ip proto 4'
	lab_wait 8 grep -q "ttl 63" "$LAB_TMP/ttlcap.log"
	check "the new program is the one forwarding (ttl 63)" \
		grep -q "ttl 63" "$LAB_TMP/ttlcap.log" || return 1
	check "still on $mine" test "$(hold_field a backend)" = "$mine" ||
		return 1
	hold_stop a
	# back to outer TTL 64 (a replace again) and the first config
	lab_pop_stop 1 || return 1
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1 2 3"
	lab_pop_start 1 || return 1
	check "replaced back" grep -q "(upgrade" "$LAB_LAST_XLBD_LOG" || return 1
	http_ok "$VIP4" 300 20000 "be1 be2 be3"
}

test_dp_detach_without_cap_sys_admin() {
	local ns
	ns=$(nsname pop1)
	xpop 1 dp detach --yes || return 1
	check "no program on eth0 any more" sh -c \
		"! ip -n $ns link show eth0 | grep -q prog/xdp" || return 1
	# and a start attaches again
	lab_pop_stop 1 || return 1
	lab_pop_start 1 || return 1
	check "attached again" sh -c \
		"ip -n $ns link show eth0 | grep -q 'prog/xdp.*xlb_lb'" || return 1
	http_ok "$VIP4" 300 22000 "be1 be2 be3"
}

# cap_run NAME CAPS CONFIG - xlbd as nobody with CAPS on the cap
# namespace's eth0 for at most 5 s; exit status in $LAB_TMP/NAME.rc
cap_run() {
	local pin=/sys/fs/bpf/xlb-$LAB_P-cap-$1
	install -d -o "$RUN_UID" -g "$RUN_GID" -m 700 "$pin"
	lab_defer "rm -rf $pin"
	priv_wrapper "xlbd-$1" "$XLBD_REAL" "$2"
	timeout 5 nsenter --net="/run/netns/$(nsname cap)" -- \
		"$LAB_TMP/xlbd-$1" -c "$3" -p "$pin" >"$LAB_TMP/$1.log" 2>&1
	echo $? >"$LAB_TMP/$1.rc"
	sed 's/^/#   /' "$LAB_TMP/$1.log" | grep -v debug | tail -4
	ip -n "$(nsname cap)" link set dev eth0 xdp off 2>/dev/null
	rm -rf "$pin"
}

# Each capability, taken away alone, costs what SECURITY.md says it does.
test_each_capability_is_needed() {
	local cfg=$LAB_TMP/cap.yaml c caps rc
	lab_ns cap || return 1
	lab_link cap eth0 rt k0 || return 1
	lab_addr cap eth0 10.109.0.2/24
	cat >"$cfg" <<EOF
interfaces:
  - name: eth0
lb:
  source4: 10.109.0.2
  tables:
    max_vips: 4
    max_backends: 16
    ring_max: 257
    conn_max: 1024
api:
  socket: $LAB_TMP/cap.sock
health_checks:
  - name: syn
    type: tcp
    mode: syn
    port: 80
    interval_ms: 100
    timeout_ms: 100
vips:
  - address: 192.0.2.99
    port: 80
    protocol: tcp
    ring_size: 257
    health_check: syn
    backends:
      - address: $(be4 1)
EOF
	chmod 644 "$cfg"
	for c in bpf net_admin perfmon net_raw; do
		caps=$(sed "s/,+$c//" <<<"$CAPS")
		lab_log "without cap_$c ($caps):"
		cap_run "no-$c" "$caps" "$cfg"
		rc=$(cat "$LAB_TMP/no-$c.rc")
		case $c in
		net_raw)
			check "without cap_net_raw xlbd runs (timeout ends it)" \
				test "$rc" = 124 || return 1
			check "syn checks fall back to connect()" grep -q \
				"tcp mode syn unavailable (raw socket: Operation not permitted (needs CAP_NET_RAW)): checking with connect() instead" \
				"$LAB_TMP/no-$c.log" || return 1
			;;
		*)
			check "without cap_$c xlbd exits 1 (not a crash: $rc)" \
				test "$rc" = 1 || return 1
			check "it says the program cannot be loaded" grep -q \
				"err: load xlb.bpf.o: \(Operation not permitted\|Permission denied\)" \
				"$LAB_TMP/no-$c.log" || return 1
			;;
		esac
	done
	# and with all four, the same start attaches
	cap_run all "$CAPS" "$cfg"
	check "with the four capabilities it runs" \
		test "$(cat "$LAB_TMP/all.rc")" = 124 || return 1
	check "and attached" grep -q "interface eth0: attached" "$LAB_TMP/all.log"
}

lab_run_cases test_unit_exposure_is_at_most_4_9
setup || exit 1
lab_run_cases test_xlbd_as_nobody_with_four_capabilities_serves_traffic \
	test_restart_and_upgrade_without_cap_sys_admin \
	test_dp_detach_without_cap_sys_admin \
	test_each_capability_is_needed
exit $LAB_FAILED
