#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_cli.sh - xlbctl as an operator uses it (issue 17), against a real
# xlbd on a veth, one case per thing an operator tripped over.
#
#   cl (10.1.0.2; backends 10.2.0.1 and 10.2.0.2 on lo) ──veth── pop (xlbd)
#
# 10.2.0.1 listens on the checked port (healthy), 10.2.0.2 refuses it
# (health down, "connect: Connection refused"), 10.2.0.3 is drained. VIP
# "web" is TCP and has no check. BGP is on with no BIRD behind the socket.
# Output is asserted as text and, for -j, parsed by python3.
. "$(dirname "$0")/lib.sh"

lab_xlb_binaries # PY, XLBD, XLBCTL (ASan+UBSan builds when made)
HERE=$(cd "$(dirname "$0")" && pwd)

lab_init cli
CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
PIN=/sys/fs/bpf/xlb-$LAB_P
VIPA=192.0.2.10
VIPW=192.0.2.20

x() { nsx pop "$XLBCTL" -s "$SOCK" "$@"; }

# jq-like: py EXPR JSON - print EXPR of the parsed JSON "j"
py() {
	"$PY" -c 'import json,sys; j=json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"
}

# on_tty INPUT CMD - run CMD on a pseudo-terminal, typing INPUT (bounded)
on_tty() {
	local input=$1
	shift
	# shellcheck disable=SC2016
	printf '%s' "$input" | timeout 20 script -qec "$*" /dev/null
}

setup() {
	lab_need script || return $?
	lab_ns cl && lab_ns pop || return 1
	lab_link cl eth0 pop eth0
	lab_addr cl eth0 10.1.0.2/24
	lab_addr pop eth0 10.1.0.1/24
	ip -n "$(nsname cl)" addr add 10.2.0.1/32 dev lo
	ip -n "$(nsname cl)" addr add 10.2.0.2/32 dev lo
	ip -n "$(nsname cl)" route add 192.0.2.0/24 via 10.1.0.1
	ip -n "$(nsname pop)" route add 10.2.0.0/24 via 10.1.0.2
	lab_xdp_pass cl eth0
	nsx cl ping -c1 -W1 10.1.0.1 >/dev/null
	lab_bg cl listen "$PY" "$HERE/traffic.py" listen --addr 10.2.0.1 \
		--port 8080
	lab_wait_port cl 8080 || return 1
	cat >"$CFG" <<EOF
interfaces:
  - name: eth0
lb:
  source4: 10.1.0.1
  tables:
    max_vips: 8
    max_backends: 64
    ring_max: 65537
    conn_max: 65536
api:
  socket: $SOCK
health_checks:
  - name: t8080
    type: tcp
    port: 8080
    interval_ms: 100
    timeout_ms: 100
    rise: 1
    fall: 1
bgp:
  bird_socket: $LAB_TMP/no-bird.ctl
  include_file: $LAB_TMP/bird-vips.conf
  allowed: [192.0.2.0/24]
  hold_down_ms: 0
vips:
  - name: a
    address: $VIPA
    port: 5300
    protocol: udp
    health_check: t8080
    backends:
      - address: 10.2.0.1
      - address: 10.2.0.2
      - address: 10.2.0.3
        state: drain
  - name: web
    address: $VIPW
    port: 80
    protocol: tcp
    backends:
      - address: 10.2.0.9
        weight: 7
EOF
	lab_defer "nsx pop $BUILD/xlbd --cleanup -c $CFG -p $PIN"
	lab_bg pop xlbd "$XLBD" -c "$CFG" -p "$PIN" \
		--state-file "$LAB_TMP/state.json"
	XLBD_PID=$LAB_LAST_PID
	lab_wait 15 x status || return 1
	# first verdicts in: 10.2.0.1 up, 10.2.0.2 refused
	lab_wait 10 sh -c "$XLBCTL -s $SOCK -j vip show $VIPA:5300/udp | \
grep -q '\"servable\": true'" || return 1
	lab_wait 10 sh -c "$XLBCTL -s $SOCK -j vip show $VIPA:5300/udp | \
grep -q 'Connection refused'"
}

# send_flows N BASE VIP - one datagram from each source port
send_flows() {
	nsx cl "$PY" - "$@" <<'EOF'
import socket, sys
n, base, vip = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.1.0.2", base + i))
    s.sendto(b"x" * 10, (vip, 5300))
    s.close()
EOF
}

test_proto_defaults_to_tcp() {
	local out
	out=$(x backend show $VIPW --port 80) || return 1
	check "backend show without --proto is the tcp VIP" \
		grep -q '^10.2.0.9 ' <<<"$out" || return 1
	out=$(x vip show $VIPW:80) || return 1
	check "ADDR:PORT without /PROTO is tcp" grep -q "$VIPW:80/tcp" <<<"$out" || return 1
	x backend set $VIPW --port 80 10.2.0.9 weight 6 || return 1
	check "set without --proto changed the tcp VIP" sh -c \
		"$XLBCTL -s $SOCK backend show $VIPW:80/tcp | grep -qE '^10.2.0.9 +6 '" || return 1
	# the API too: a VIP without "protocol" is tcp
	out=$(x -j backend show $VIPW:80) || return 1
	check "json is the tcp VIP's backends" test "$(py 'j[0]["address"]' "$out")" = 10.2.0.9
}

test_vip_named_by_its_name() {
	local out rc
	out=$(x backend show web) || return 1
	check "backend show web" grep -q '^10.2.0.9 ' <<<"$out" || return 1
	out=$(x -j vip show a) || return 1
	check "vip show a is the udp VIP" test "$(py 'j[0]["protocol"]' "$out")" = udp || return 1
	out=$(x -j stats web) || return 1
	check "stats web" test "$(py 'j["vips"][0]["port"]' "$out")" = 80 || return 1
	x backend set web 10.2.0.9 weight 7 || return 1
	check "backend set by name" sh -c \
		"$XLBCTL -s $SOCK backend show $VIPW:80/tcp | grep -qE '^10.2.0.9 +7 '" || return 1
	out=$(x backend show nosuch 2>&1)
	rc=$?
	check "unknown name fails (1)" test $rc -eq 1 || return 1
	check "unknown name says so" grep -q "nosuch.*no VIP" <<<"$out" || return 1
	out=$(x backend show web --proto udp 2>&1)
	check "name with the wrong protocol refused" test $? -eq 1 || return 1
	check "says the protocol differs" grep -q "tcp" <<<"$out"
}

test_global_options_anywhere() {
	local out
	out=$(x vip show -j) || return 1
	check "-j after the verb gives JSON" py 'len(j)' "$out" || return 1
	out=$(x backend show web --json) || return 1
	check "--json at the end gives JSON" test "$(py 'j[0]["weight"]' "$out")" = 7 || return 1
	out=$(nsx pop "$XLBCTL" status -s "$SOCK" -j) || return 1
	check "-s and -j after the object" py 'j["pid"]' "$out" || return 1
	out=$(nsx pop "$XLBCTL" status -t 5000 -s "$SOCK") || return 1
	check "-t after the object" grep -q '^xlbd ' <<<"$out"
}

# pop drain has its own --timeout (seconds): it is not the global one
test_pop_drain_keeps_its_own_timeout() {
	local out
	out=$(x pop drain --wait --timeout 0 2>&1)
	check "pop drain --wait --timeout 0 runs" test $? -eq 0 || {
		echo "$out"
		return 1
	}
	check "waited 0 s, then withdrew" grep -q 'withdraw' <<<"$out" || return 1
	out=$(x pop undrain -j) || return 1
	check "undrained (and -j after it is global)" py 'j["done"]' "$out"
}

test_help_and_object_help_exit_0() {
	local out
	out=$("$XLBCTL" help) || return 1
	check "xlbctl help lists commands" grep -q 'xlbctl vip add' <<<"$out" || return 1
	out=$("$XLBCTL" vip --help) || return 1
	check "vip --help lists vip add" grep -q 'xlbctl vip add' <<<"$out" || return 1
	check "vip --help lists vip show" grep -q 'xlbctl vip show' <<<"$out" || return 1
	check "vip --help lists only vip" sh -c "! grep -q 'xlbctl backend' <<'EOT'
$out
EOT" || return 1
	out=$("$XLBCTL" vip) || return 1
	check "xlbctl vip lists the verbs" grep -q 'xlbctl vip del' <<<"$out" || return 1
	out=$("$XLBCTL" backend help) || return 1
	check "xlbctl backend help lists the verbs" grep -q 'xlbctl backend set' <<<"$out"
}

test_every_verb_help_exits_0() {
	local line n=0
	while read -r line; do
		# shellcheck disable=SC2086
		"$XLBCTL" $line --help >/dev/null || {
			lab_log "FAILED: xlbctl $line --help"
			return 1
		}
		n=$((n + 1))
	done < <("$XLBCTL" --help | sed -n 's/^  xlbctl \([a-z]*\( [a-z]*\)\{0,1\}\)$/\1/p')
	check "help of $n commands" test $n -gt 15
}

test_last_check_is_not_truncated() {
	local out
	out=$(x backend show a) || return 1
	check "whole error shown" grep -q 'connect: Connection refused' <<<"$out"
}

test_datapath_says_why_a_backend_is_out() {
	local out
	out=$(x backend show a) || return 1
	check "healthy is up" grep -qE '^10.2.0.1 .* up ' <<<"$out" || return 1
	check "failing check is out (health)" grep -qE '^10.2.0.2 .* out \(health\) ' <<<"$out" || return 1
	check "failing check wins over drain" grep -qE '^10.2.0.3 .* out \(health\) ' <<<"$out" || return 1
	x backend set web 10.2.0.9 state drain || return 1
	out=$(x backend show web) || return 1
	check "drained is draining" grep -qE '^10.2.0.9 .* draining ' <<<"$out" || return 1
	x backend set web 10.2.0.9 state down || return 1
	out=$(x backend show web) || return 1
	x backend set web 10.2.0.9 state up || return 1
	check "admin down is out (admin)" grep -qE '^10.2.0.9 .* out \(admin\) ' <<<"$out" || return 1
	out=$(x -j backend show a) || return 1
	check "json: usable and out_reason" test \
		"$(py '[b["usable"] for b in j]' "$out")" = "[True, False, False]"
}

test_json_reals_are_rounded() {
	local out
	out=$(x -j backend show a) || return 1
	check "latency is a number" py 'j[0]["health"]["latency_ms"] + 0' "$out" || return 1
	check "no real with more than 3 decimals" sh -c \
		"! echo '$out' | grep -qE '[0-9]\.[0-9]{4,}'"
}

test_ring_size_not_prime_suggests_primes() {
	local out rc
	out=$(x vip add 192.0.2.99 --port 80 --ring-size 100 2>&1)
	rc=$?
	check "refused as a usage error" test $rc -eq 2 || return 1
	check "nearest primes named" grep -q 'not prime; nearest primes: 97 and 101' <<<"$out" || return 1
	check "nothing added" sh -c "! grep -q 192.0.2.99 $CFG"
}

test_conn_counts_per_backend() {
	local out
	send_flows 100 31000 $VIPA || return 1
	# the walk is cached for a few seconds: poll (bounded) for the count
	lab_wait 10 sh -c "$XLBCTL -s $SOCK -j backend show a | grep -q '\"active\": 100'" || {
		x -j backend show a
		return 1
	}
	out=$(x -j backend show a) || return 1
	check "all 100 active on the healthy backend" test \
		"$(py '[(b["conns"]["active"], b["conns"]["inactive"]) for b in j]' "$out")" \
		= "[(100, 0), (0, 0), (0, 0)]" || return 1
	out=$(x backend show a) || return 1
	check "ACTIVE and INACT columns" grep -qE 'ACTIVE +INACT' <<<"$out" || return 1
	check "100 in the row" grep -qE '^10.2.0.1 .* 100 +0 ' <<<"$out"
}

test_show_prints_everything() {
	local out
	out=$(x show) || return 1
	echo "$out"
	check "status line" grep -q '^xlbd ' <<<"$out" || return 1
	check "every VIP" sh -c "echo '$out' | grep -q '$VIPA:5300/udp' &&
		echo '$out' | grep -q '$VIPW:80/tcp'" || return 1
	check "backends with health and reason" grep -qE '^10.2.0.2 .*out \(health\).*connect: Connection refused' <<<"$out" || return 1
	check "announce state" grep -qiE 'announced' <<<"$out" || return 1
	out=$(x -j show) || return 1
	check "json has status, vips with backends, bgp" py \
		'j["status"]["pid"] and j["vips"][0]["backend_list"] and j["bgp"]["enabled"]' "$out"
}

test_top_once_and_frames() {
	local out
	out=$(x top --once) || return 1
	check "a frame with both VIPs" sh -c "echo '$out' | grep -q '$VIPA:5300/udp' &&
		echo '$out' | grep -q '$VIPW:80/tcp'" || return 1
	check "rates in the header" grep -qE 'PKT/S' <<<"$out" || return 1
	echo "$out"
	out=$(x top -n 2 --view backends) || return 1
	check "two frames of backends" test "$(grep -c 'BACKEND' <<<"$out")" -eq 2 || return 1
	check "health in the backend view" grep -qE '10.2.0.2 .*down' <<<"$out"
}

test_top_shows_rates_sorted() {
	local out pid
	# ~200 SYNs/s (new flows) to VIP web for up to 8 s while top draws 3
	# frames: web, listed after a by address, must come first by rate
	lab_bg cl sender "$PY" -c '
import socket, time
end = time.time() + 8
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(("'$VIPW'", 80))
    s.close()
    time.sleep(0.005)'
	pid=$LAB_LAST_PID
	out=$(x top -n 3) || return 1
	lab_stop "$pid"
	echo "$out"
	check "VIP web has packet and flow rates" grep -qE \
		"^$VIPW:80/tcp +[1-9][0-9.]*k? +[1-9][0-9.]*k? +[1-9]" <<<"$out" || return 1
	check "the busier VIP is listed first" sh -c "grep -A1 '^VIP ' <<'EOT' | tail -1 | grep -q '^$VIPW'
$out
EOT"
}

test_top_keys_on_a_terminal() {
	local out
	out=$(on_tty "bq" nsenter --net=/run/netns/$(nsname pop) -- \
		"$XLBCTL" -s "$SOCK" top) || return 1
	check "b switched to backends" grep -q 'BACKEND' <<<"$out" || return 1
	check "terminal restored (cursor shown again)" grep -qF $'\e[?25h' <<<"$out"
}

test_completion_has_new_commands() {
	local out
	out=$(sh "$LAB_ROOT/deploy/xlbctl-completion.sh" "$XLBCTL") || return 1
	check "objects completed include show, top and help" grep -qE \
		'compgen -W "([a-z-]+ )*show ([a-z-]+ )*top' <<<"$out" || return 1
	check "help completed" grep -qE 'compgen -W "([a-z-]+ )*help ' <<<"$out" || return 1
	check "top's options completed" grep -q 'vips backends' <<<"$out"
}

test_dp_detach_asks_first() {
	local out rc
	out=$(x dp detach </dev/null 2>&1)
	rc=$?
	check "refused without a terminal (2)" test $rc -eq 2 || return 1
	check "says to use --yes" grep -q -- '--yes' <<<"$out" || return 1
	out=$(on_tty "n
" nsenter --net=/run/netns/$(nsname pop) -- "$XLBCTL" -s "$SOCK" dp detach)
	check "asks on a terminal" grep -q 'y/N' <<<"$out" || return 1
	check "n keeps xlbd running" x status >/dev/null || return 1
	x dp detach --yes || return 1
	lab_wait 10 sh -c "! kill -0 $XLBD_PID 2>/dev/null" || return 1
	check "no XDP program left" sh -c \
		"! ip -n $(nsname pop) link show eth0 | grep -q 'prog/xdp'"
}

setup
rc=$?
if [ $rc -eq $LAB_SKIP ]; then
	echo "ok - cli # SKIP machine lacks a dependency"
	exit 0
fi
[ $rc -eq 0 ] || exit 1
lab_run_cases test_proto_defaults_to_tcp \
	test_vip_named_by_its_name \
	test_global_options_anywhere \
	test_pop_drain_keeps_its_own_timeout \
	test_help_and_object_help_exit_0 \
	test_every_verb_help_exits_0 \
	test_last_check_is_not_truncated \
	test_datapath_says_why_a_backend_is_out \
	test_json_reals_are_rounded \
	test_ring_size_not_prime_suggests_primes \
	test_conn_counts_per_backend \
	test_show_prints_everything \
	test_top_once_and_frames \
	test_top_shows_rates_sorted \
	test_top_keys_on_a_terminal \
	test_completion_has_new_commands \
	test_dp_detach_asks_first
lab_stop "$XLBD_PID"
if ! lab_san_clean "$LAB_TMP/xlbd.log"; then
	echo "not ok - xlbd ran clean under the sanitizers"
	exit 1
fi
exit $LAB_FAILED
