#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_e2e.sh - the whole path with real daemons and real traffic:
#
#   cl ── rt ──┬── pop1 (xlbd, XDP on eth0)
#              ├── be1 ┐ xlb_decap.bpf.o (xlbctl backend-host), VIPs on lo,
#              ├── be2 ├ HTTP :80, line echo :7, UDP echo :5300
#              ├── be3 │
#              └── be4 ┘ (not in the config at first: added by a test)
#
# The router reaches the VIPs by a static route to pop1 (tests/bgp covers
# announcing them). Backends answer the client directly (DSR).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_init e2e

setup() {
	local i
	lab_topology 1 4 || return 1
	lab_route_vips 1
	for i in 1 2 3 4; do
		lab_backend_up "$i" || {
			lab_log "backend $i did not come up"
			return 1
		}
	done
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1 2 3"
	lab_pop_start 1
}

# http_check VIP N BASE WANT_BACKENDS [MAX_IMBALANCE] - N requests, no
# error, exactly the backends named in WANT_BACKENDS ("be1 be2") answered
http_check() {
	local out got want
	out=$(lab_http "$1" "$2" "$3") || {
		lab_log "http to $1 failed: $out"
		return 1
	}
	lab_log "$1: $out"
	got=$(json_get "$out" counts | "$LAB_PY" -c \
		'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))')
	want=$(printf '%s\n' $4 | sort | tr '\n' ' ' | sed 's/ $//')
	check "backends answering $1 are '$want'" test "$got" = "$want" ||
		return 1
	if [ -n "${5:-}" ]; then
		check "imbalance <= $5" "$LAB_PY" -c \
			"import sys; sys.exit(not $(json_get "$out" imbalance) <= $5)"
	fi
}

test_http_ipv4_is_balanced() {
	http_check "$VIP4" 2000 10000 "be1 be2 be3" 1.2
}

test_http_ipv6_is_balanced() {
	http_check "$VIP6" 2000 10000 "be1 be2 be3" 1.2
}

test_udp_through_the_vip() {
	local v out
	for v in "$VIP4" "$VIP6"; do
		out=$(nsx cl "$LAB_PY" "$LAB_TRAFFIC" udp --vip "$v" --n 300 \
			--sport-base 40000 --timeout 2) || {
			lab_log "udp to $v: $out"
			return 1
		}
		lab_log "udp $v: $out"
		check "udp $v reached 3 backends" test "$(json_get "$out" counts |
			tr ',' '\n' | grep -c be)" -eq 3 || return 1
	done
}

# The connection's backend must be kept through every change below; the
# backends added and removed are chosen to be others than it.
test_long_lived_tcp_survives_changes() {
	local mine other stranger log out rc
	hold_start a "$VIP4" || return 1
	mine=$(hold_field a backend)
	lab_log "connection is on $mine"
	other=$(printf 'be1\nbe2\nbe3\n' | grep -v "^$mine$" | head -1)
	# add a backend
	xpop 1 backend add "$VIP4:7/tcp" "$(be4 4)" || return 1
	check "alive after adding be4" hold_alive a || return 1
	# remove another one
	xpop 1 backend del "$VIP4:7/tcp" "$(be4 "${other#be}")" || return 1
	check "alive after removing $other" hold_alive a || return 1
	# restart xlbd
	lab_pop_stop 1 || return 1
	check "alive while xlbd is stopped" hold_alive a || return 1
	lab_pop_start 1 || return 1
	check "maps re-adopted" grep -q "re-adopted pinned data path" \
		"$LAB_LAST_XLBD_LOG" || return 1
	check "alive after the restart" hold_alive a || return 1
	check "program re-adopted (same build, same lb.outer_ttl)" \
		grep -q "re-adopted attached program" "$LAB_LAST_XLBD_LOG" ||
		return 1
	# upgrade: a program that differs (its .rodata: outer TTL 63)
	lab_pop_stop 1 || return 1
	sed -i '/^lb:$/a\  outer_ttl: 63' "$LAB_TMP/pop1.yaml"
	lab_pop_start 1 || return 1
	log=$LAB_LAST_XLBD_LOG
	check "program replaced" grep -q "(upgrade" "$log" || return 1
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
	# a reload cannot change it (a constant of the loaded program)
	sed -i '/^  outer_ttl: 63$/d' "$LAB_TMP/pop1.yaml"
	out=$(xpop 1 reload 2>&1)
	rc=$?
	lab_log "xlbctl reload: rc $rc: $out"
	check "reload changing lb.outer_ttl refused" test "$rc" -ne 0 ||
		return 1
	check "saying why, and that nothing changed" grep -q \
		"lb.outer_ttl 63 -> 64.*nothing changed" <<<"$out" || return 1
	# the same lb.outer_ttl again: the same program, re-adopted
	sed -i '/^lb:$/a\  outer_ttl: 63' "$LAB_TMP/pop1.yaml"
	lab_pop_stop 1 || return 1
	lab_pop_start 1 || return 1
	check "restart with the same lb.outer_ttl re-adopts the program" \
		grep -q "re-adopted attached program" "$LAB_LAST_XLBD_LOG" ||
		return 1
	check "alive after the restart" hold_alive a || return 1
	hold_stop a
	# back to outer TTL 64 (a replace again) and the first config:
	# the runtime changes above are kept in the state file, so it goes
	lab_pop_stop 1 || return 1
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1 2 3"
	rm -f "$LAB_TMP/pop1.state.json"
	lab_pop_start 1 || return 1
	stranger=$(xpop 1 backend show "$VIP4:7/tcp" | grep -c "$(be4 4) ")
	check "config back to be1-be3" test "$stranger" -eq 0
}

test_removed_backend_gets_no_new_flows() {
	xpop 1 backend del "$VIP4:80/tcp" "$(be4 3)" || return 1
	http_check "$VIP4" 300 20000 "be1 be2" || return 1
	xpop 1 backend add "$VIP4:80/tcp" "$(be4 3)" || return 1
	http_check "$VIP4" 300 21000 "be1 be2 be3"
}

test_draining_keeps_open_connections() {
	local mine ip
	hold_start d "$VIP4" || return 1
	mine=$(hold_field d backend)
	ip=$(be4 "${mine#be}")
	xpop 1 backend set "$VIP4:7/tcp" "$ip" state drain || return 1
	check "open connection kept while draining" hold_alive d || return 1
	# new connections to the echo service avoid the draining backend
	local i name names=""
	for i in $(seq 40); do
		name=$(nsx cl "$LAB_PY" - "$VIP4" $((30000 + i)) <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=2,
                             source_address=("0.0.0.0", int(sys.argv[2])))
s.sendall(b"hi\n")
print(s.makefile().readline().split(" ")[0])
PY
		) || return 1
		names+="$name "
	done
	check "no new connection on $mine" sh -c "! echo '$names' | grep -qw $mine" ||
		return 1
	check "still alive" hold_alive d || return 1
	hold_stop d
	xpop 1 backend set "$VIP4:7/tcp" "$ip" state up
}

test_non_vip_traffic_to_the_pop_works() {
	check "ping pop" nsx cl ping -c2 -W2 "$(pop4 1)" >/dev/null || return 1
	check "ping6 pop" nsx cl ping -6 -c2 -W2 "$(pop6 1)" >/dev/null ||
		return 1
	lab_bg pop1 own-listener "$LAB_PY" "$LAB_TRAFFIC" listen \
		--addr "$(pop4 1)" --port 2222
	lab_wait_port pop1 2222 || return 1
	check "TCP to the PoP's own address" nsx cl "$LAB_PY" -c \
		"import socket; socket.create_connection(('$(pop4 1)', 2222), timeout=3)" ||
		return 1
	check "the program is still attached" sh -c \
		"ip -n $(nsname pop1) link show eth0 | grep -q 'prog/xdp'"
}

# health checks that follow the data path: be2's decapsulator is removed.
# A check of be2's own address cannot tell (the host and its server are
# fine); a via_vip check, encapsulated like client traffic, fails, takes be2
# out of the VIP, and puts it back once the decapsulator returns.
test_via_vip_check_sees_a_removed_decapsulator() {
	local saved=$LAB_TMP/pop1.yaml.before-viavip rc=0
	cp "$LAB_TMP/pop1.yaml" "$saved" || return 1
	"$LAB_PY" - "$LAB_TMP/pop1.yaml" <<'PY' || return 1
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
i = lines.index("vips:")
checks = """health_checks:
  - name: path
    type: tcp
    port: 80
    via_vip: true
    interval_ms: 200
    timeout_ms: 200
    rise: 2
    fall: 2
  - name: own
    type: tcp
    port: 80
    interval_ms: 200
    timeout_ms: 200
    rise: 2
    fall: 2""".split("\n")
open(p, "w").write("\n".join(lines[:i] + checks + lines[i:]))
PY
	{
		xpop 1 reload &&
			xpop 1 vip set "$VIP4:80/tcp" --health-check path &&
			xpop 1 vip set "$VIP4:7/tcp" --health-check own
	} || rc=1
	[ $rc = 0 ] && via_vip_case || rc=1
	# back to the configuration before the case, whatever happened
	nsx be2 "$LAB_XLBCTL" backend-host setup --iface eth0 \
		--pin-dir "/sys/fs/bpf/xlb-$LAB_P-be2" \
		--vip "$VIP4" --vip "$VIP6" >/dev/null 2>&1
	# the runtime references first: a reload that removes a check still
	# in use is refused
	xpop 1 vip set "$VIP4:80/tcp" --health-check "" >/dev/null || rc=1
	xpop 1 vip set "$VIP4:7/tcp" --health-check "" >/dev/null || rc=1
	cp "$saved" "$LAB_TMP/pop1.yaml" && xpop 1 reload >/dev/null || rc=1
	return $rc
}

via_vip_case() {
	local b ip2
	ip2=$(be4 2)
	for b in 1 2 3; do
		check "be$b up by the via_vip check" \
			lab_wait 15 be_health_is "$VIP4:80/tcp" "$(be4 $b)" up:path ||
			return 1
	done
	check "be2 up by its own-address check" \
		lab_wait 15 be_health_is "$VIP4:7/tcp" "$ip2" up:own || return 1
	# remove be2's decapsulator only: host, addresses and servers stay
	ip -n "$(nsname be2)" link set dev eth0 xdp off || return 1
	check "via_vip check takes be2 out" \
		lab_wait 10 be_health_is "$VIP4:80/tcp" "$ip2" down:path || return 1
	xpop 1 backend show "$VIP4:80/tcp" | sed 's/^/# /'
	check "own-address check still says be2 is up" \
		be_health_is "$VIP4:7/tcp" "$ip2" up:own || return 1
	http_check "$VIP4" 120 45000 "be1 be3" || return 1
	nsx be2 "$LAB_XLBCTL" backend-host setup --iface eth0 \
		--pin-dir "/sys/fs/bpf/xlb-$LAB_P-be2" \
		--vip "$VIP4" --vip "$VIP6" || return 1
	check "be2 back once its decapsulator is" \
		lab_wait 15 be_health_is "$VIP4:80/tcp" "$ip2" up:path || return 1
	http_check "$VIP4" 120 46000 "be1 be2 be3"
}

setup || exit 1
lab_run_cases test_http_ipv4_is_balanced test_http_ipv6_is_balanced \
	test_udp_through_the_vip test_long_lived_tcp_survives_changes \
	test_removed_backend_gets_no_new_flows \
	test_draining_keeps_open_connections \
	test_non_vip_traffic_to_the_pop_works \
	test_via_vip_check_sees_a_removed_decapsulator
exit $LAB_FAILED
