#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_xlbd.sh - xlbd and xlbctl on a real veth, with real packets.
#
#   cl (10.1.0.2) ──veth── pop (10.1.0.1, xlbd, XDP on eth0)
#
# The client sends UDP flows to the VIP; the PoP encapsulates them and sends
# them back out of eth0 (XDP_TX) toward the backends, which are routed via
# the client namespace, where tcpdump sees every encapsulated packet. So the
# tests compare what xlbctl says (flow, stats) with where the data path
# really sent each flow, across restarts and reloads.
#
# Cases run in order and build on each other, but each also runs alone
# (TEST_FILTER=word tests/run.sh xlbd): it first makes sure of what it
# needs (need_* below), which is already there when the cases before it ran.
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
VIP2=192.0.2.20
lab_xlb_binaries # PY, XLBD, XLBCTL (ASan+UBSan builds when made)

lab_init xlbd
CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
STATE=$LAB_TMP/state.json
PIN=/sys/fs/bpf/xlb-$LAB_P

x() { nsx pop "$XLBCTL" -s "$SOCK" "$@"; }

write_config() {
	local extra=${1:-}
	cat >"$CFG" <<EOF
# the operator's file: xlbd must keep this comment
interfaces:  # and this one

  - name: eth0
lb:
  source4: 10.1.0.1
  hash_seed: 99
  tables:
    max_vips: 8
    max_backends: 64
    ring_max: 65537
    conn_max: 65536
api:
  socket: $SOCK
vips:
  - address: $VIP
    port: 5300
    protocol: udp
    backends:
      - address: 10.2.0.1
      - address: 10.2.0.2
      - address: 10.2.0.3
$extra
EOF
}

start_xlbd() {
	local name
	name=xlbd-$(date +%s%N)
	lab_bg pop "$name" "$XLBD" -c "$CFG" -p "$PIN" --state-file "$STATE"
	XLBD_PID=$LAB_LAST_PID
	# named, not looked up: the new log may not exist yet
	XLBD_LOG=$LAB_TMP/$name.log
	lab_wait 15 x status
}

stop_xlbd() {
	lab_stop "$XLBD_PID"
	lab_san_clean "$XLBD_LOG"
}

# send_flows N BASE [VIP] [PORT] - one datagram from each source port
send_flows() {
	nsx cl "$PY" - "$1" "$2" "${3:-$VIP}" "${4:-5300}" <<'EOF'
import socket, sys, time
n, base, vip, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.1.0.2", base + i))
    s.sendto(b"x", (vip, port))
    s.close()
    time.sleep(0.002)  # paced: the capture on the client must keep up
EOF
}

# capture_start / capture_stop FILE - encapsulated packets seen by cl
capture_start() {
	lab_bg cl "tcpdump-$1" tcpdump -i eth0 -nn -U --immediate-mode -w "$LAB_TMP/$1.pcap" \
		'ip proto 4'
	CAP_PID=$LAB_LAST_PID
	CAP_LOG=$LAB_TMP/tcpdump-$1.log
	lab_wait 10 grep -q "listening on" "$CAP_LOG"
}

# capture_stop NAME [N] - stop once N packets are written (bounded: 5 s)
capture_stop() {
	[ -n "${2:-}" ] && lab_wait 5 sh -c "[ \$(tcpdump -nn -r $LAB_TMP/$1.pcap \
2>/dev/null | wc -l) -ge $2 ]"
	lab_stop "$CAP_PID"
	# "sport backend" for every captured flow
	tcpdump -nn -r "$LAB_TMP/$1.pcap" 2>/dev/null |
		sed -n 's/.* IP 10\.1\.0\.1 > \([0-9.]*\): IP 10\.1\.0\.2\.\([0-9]*\) > .*/\2 \1/p' |
		sort -u >"$LAB_TMP/$1.flows"
}

# flows_by_xlbctl N BASE FILE - "sport backend" per flow, from xlbctl flow
flows_by_xlbctl() {
	local i out
	: >"$3"
	for ((i = 0; i < $1; i++)); do
		out=$(x -j flow "$VIP:5300/udp" 10.1.0.2 $(($2 + i))) || return 1
		printf '%s %s %s\n' $(($2 + i)) \
			"$(json_field "$out" backend)" \
			"$(json_field "$out" from)" >>"$3"
	done
}

json_field() {
	"$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$1" "$2"
}

# --- what a case needs, made when a case runs alone ---------------------

need_xlbd() {
	[ -n "${XLBD_PID:-}" ] && kill -0 "$XLBD_PID" 2>/dev/null && return 0
	start_xlbd
}

# 200 flows sent from ports 30000..30199, where each went in t1.flows
need_traffic() {
	need_xlbd || return 1
	[ -s "$LAB_TMP/t1.flows" ] && return 0
	capture_start t1
	send_flows 200 30000
	capture_stop t1 200
}

# the backend of each of those flows, from xlbctl flow, in cli.flows
need_cli_flows() {
	need_traffic || return 1
	[ -s "$LAB_TMP/cli.flows" ] && return 0
	flows_by_xlbctl 200 30000 "$LAB_TMP/cli.flows"
}

# VIP2 in the file and running
need_vip2() {
	need_xlbd || return 1
	x vip show | grep -q "$VIP2" && return 0
	write_config2
	x reload >/dev/null
}

# the runtime override of test_runtime_change_survives_restart
need_override() {
	need_vip2 || return 1
	x config diff | grep -q 'weight 100 -> 7' && return 0
	x backend set "$VIP:5300/udp" 10.2.0.2 weight 7
}

setup() {
	lab_ns cl && lab_ns pop || return 1
	lab_link cl eth0 pop eth0
	lab_addr cl eth0 10.1.0.2/24
	lab_addr pop eth0 10.1.0.1/24
	ip -n "$(nsname cl)" route add 192.0.2.0/24 via 10.1.0.1
	ip -n "$(nsname pop)" route add 10.2.0.0/24 via 10.1.0.2
	# the backends "live" behind cl: answer ARP for nothing, just route
	lab_xdp_pass cl eth0
	nsx cl ping -c1 -W1 10.1.0.1 >/dev/null
	write_config
	lab_defer "nsx pop $BUILD/xlbd --cleanup -c $CFG -p $PIN"
}

test_starts_attaches_and_pins() {
	need_xlbd || return 1
	check "program attached" sh -c \
		"ip -n $(nsname pop) link show eth0 | grep -q 'prog/xdp.*name xlb_lb'" || return 1
	check "maps pinned" test -e "$PIN/xlb_conn4_v3" || return 1
	# libbpf's own .rodata map is not pinned under its name; the attached
	# program's is, as xlb_lb_rodata, for re-adoption (docs/datapath.md)
	check "rodata pinned only as the program's identity" sh -c \
		"[ \"\$(ls $PIN | grep rodata)\" = xlb_lb_rodata ]" || return 1
	check "status says attached" sh -c \
		"$XLBCTL -s $SOCK -j status | grep -q '\"attached\": true'"
}

# runtime changes go to the state file; the operator's file is never written
test_cli_changes_are_validated_and_persisted() {
	local rc
	need_xlbd || return 1
	cp "$CFG" "$LAB_TMP/cfg.orig"
	x backend add "$VIP:5300/udp" 10.2.0.4 --weight 50 || return 1
	check "backend in show" sh -c "$XLBCTL -s $SOCK backend show $VIP:5300/udp | grep -q 10.2.0.4" || return 1
	check "config file byte-identical, comments kept" cmp "$CFG" "$LAB_TMP/cfg.orig" || return 1
	check "backend in the state file" grep -q 10.2.0.4 "$STATE" || return 1
	check "config dump has it" sh -c "$XLBCTL -s $SOCK config dump | grep -q 10.2.0.4" || return 1
	x backend add "$VIP:5300/udp" 10.2.0.4
	rc=$?
	check "duplicate backend refused with 1" test $rc -eq 1 || return 1
	x backend add "$VIP:5300/udp" not-an-address
	rc=$?
	check "bad address is a usage error (2)" test $rc -eq 2 || return 1
	x backend set "$VIP:5300/udp" 10.2.0.4 weight 2000000
	check "weight out of range refused" test $? -eq 2 || return 1
	x vip add 192.0.2.99 --port 80 --proto tcp --ring-size 100
	rc=$?
	check "non-prime ring refused as a usage error" test $rc -eq 2 || return 1
	check "refused change not in the state file" sh -c "! grep -q 192.0.2.99 $STATE" || return 1
	x backend del "$VIP:5300/udp" 10.2.0.4 || return 1
	check "no override left: state file removed" test ! -e "$STATE" || return 1
	check "config file still byte-identical" cmp "$CFG" "$LAB_TMP/cfg.orig"
}

test_traffic_is_encapsulated_and_counted() {
	local before after
	need_xlbd || return 1
	capture_start t1
	send_flows 200 30000
	capture_stop t1 200
	check "200 flows seen encapsulated" test "$(wc -l <"$LAB_TMP/t1.flows")" -eq 200 || return 1
	after=$(x -j stats "$VIP:5300/udp")
	check "vip new_flows = 200" sh -c "echo '$after' | grep -q '\"new_flows\": 200'" || return 1
	# every backend got some
	for b in 10.2.0.1 10.2.0.2 10.2.0.3; do
		check "backend $b used" grep -q " $b\$" "$LAB_TMP/t1.flows" || return 1
	done
	check "global tx counter" sh -c "$XLBCTL -s $SOCK stats | grep -qE 'tx=200([^0-9]|\$)'"
}

test_flow_command_agrees_with_the_data_path() {
	need_traffic || return 1
	flows_by_xlbctl 200 30000 "$LAB_TMP/cli.flows" || return 1
	check "every flow is in the connection table" sh -c \
		"! grep -v ' conn_table\$' $LAB_TMP/cli.flows" || return 1
	cut -d' ' -f1,2 "$LAB_TMP/cli.flows" | sort -u >"$LAB_TMP/cli2.flows"
	check "xlbctl flow names the backend each packet went to" \
		diff "$LAB_TMP/t1.flows" "$LAB_TMP/cli2.flows"
}

test_restart_keeps_every_flow() {
	need_cli_flows || return 1
	stop_xlbd || return 1
	check "data path still attached while xlbd is down" sh -c \
		"ip -n $(nsname pop) link show eth0 | grep -q xlb_lb" || return 1
	start_xlbd || return 1
	check "maps re-adopted" grep -q "re-adopted pinned data path" "$XLBD_LOG" || return 1
	check "program re-adopted" grep -q "re-adopted attached program" "$XLBD_LOG" || return 1
	flows_by_xlbctl 200 30000 "$LAB_TMP/cli-after.flows" || return 1
	check "same backends from the connection table" \
		diff "$LAB_TMP/cli.flows" "$LAB_TMP/cli-after.flows" || return 1
	capture_start t2
	send_flows 200 30000
	capture_stop t2 200
	check "packets still go where they went" diff "$LAB_TMP/t1.flows" "$LAB_TMP/t2.flows"
}

test_reload_applies_only_the_difference() {
	local id_before id_after
	need_cli_flows || return 1
	id_before=$(x -j vip show "$VIP:5300/udp" | grep '"id"' | head -1)
	write_config "  - address: $VIP2
    port: 5300
    protocol: udp
    backends:
      - address: 10.2.0.9"
	x reload || return 1
	check "new VIP there" sh -c "$XLBCTL -s $SOCK vip show | grep -q $VIP2" || return 1
	id_after=$(x -j vip show "$VIP:5300/udp" | grep '"id"' | head -1)
	check "untouched VIP kept its id" test "$id_before" = "$id_after" || return 1
	flows_by_xlbctl 200 30000 "$LAB_TMP/cli-reload.flows" || return 1
	check "untouched VIP kept its flows" \
		diff "$LAB_TMP/cli.flows" "$LAB_TMP/cli-reload.flows" || return 1
	# a broken file is refused whole, with its position
	echo "  - address: nonsense" >>"$CFG"
	local out
	out=$(x reload 2>&1)
	check "broken config refused" test $? -eq 1 || return 1
	check "error names file:line:col" sh -c "echo '$out' | grep -qE 'xlb.yaml:[0-9]+:[0-9]+: '" || return 1
	check "running state unchanged" sh -c "$XLBCTL -s $SOCK vip show | grep -q $VIP2"
}

# the config file as test_reload_applies_only_the_difference left it, valid
write_config2() {
	write_config "  - address: $VIP2
    port: 5300
    protocol: udp
    backends:
      - address: 10.2.0.9${1:-}"
}

test_runtime_change_survives_restart() {
	need_xlbd || return 1
	write_config2
	x reload || return 1
	cp "$CFG" "$LAB_TMP/cfg.orig"
	x backend set "$VIP:5300/udp" 10.2.0.2 weight 7 || return 1
	stop_xlbd || return 1
	start_xlbd || return 1
	check "weight 7 after restart" sh -c \
		"$XLBCTL -s $SOCK backend show $VIP:5300/udp | grep -E '^10.2.0.2 +7 '" || return 1
	check "start logs the override" grep -q "override: ~ backend $VIP:5300/udp backend 10.2.0.2: weight 100 -> 7" "$XLBD_LOG" || return 1
	check "config file byte-identical" cmp "$CFG" "$LAB_TMP/cfg.orig"
}

test_config_diff_shows_the_override() {
	local out
	need_override || return 1
	out=$(x config diff) || return 1
	lab_log "config diff: $out"
	check "diff names the backend and the weight" sh -c \
		"echo '$out' | grep -qx '~ backend $VIP:5300/udp backend 10.2.0.2: weight 100 -> 7'" || return 1
	check "one change" test "$(echo "$out" | grep -c '^[-+~]')" -eq 1 || return 1
	check "status counts it" sh -c "$XLBCTL -s $SOCK -j status | grep -q '\"overrides\": 1'" || return 1
	out=$(x -j config diff) || return 1
	check "-j: change with old and new weight" sh -c "echo '$out' | $PY -c '
import json, sys
c = json.load(sys.stdin)[\"changes\"]
assert len(c) == 1 and c[0][\"object\"] == \"backend\", c
assert c[0][\"fields\"][\"weight\"] == [100, 7], c
'"
}

test_reload_dry_run_prints_the_plan() {
	local out before
	need_override || return 1
	before=$(x -j vip show)
	write_config # drops VIP2
	out=$(x reload --dry-run) || return 1
	lab_log "plan: $out"
	check "plan: VIP2 removed" sh -c "echo '$out' | grep -qx -- '- vip $VIP2:5300/udp (removed)'" || return 1
	check "plan: its backend removed" sh -c "echo '$out' | grep -q -- '- backend $VIP2:5300/udp backend 10.2.0.9'" || return 1
	check "says nothing changed" sh -c "echo '$out' | grep -q 'dry run: nothing changed'" || return 1
	check "VIP2 still running" sh -c "$XLBCTL -s $SOCK vip show | grep -q $VIP2" || return 1
	check "override kept" sh -c "$XLBCTL -s $SOCK config diff | grep -q 'weight 100 -> 7'" || return 1
	write_config2
	out=$(x reload --dry-run) || return 1
	check "unchanged file: empty plan" sh -c "echo '$out' | grep -qx 'no change'"
}

test_reload_after_an_edit_clears_the_override() {
	local out
	need_override || return 1
	# the operator changes the overridden backend in the file
	write_config2
	sed -i 's/^      - address: 10.2.0.2$/      - address: 10.2.0.2\n        weight: 3/' "$CFG"
	grep -q 'weight: 3' "$CFG" || return 1
	out=$(x reload) || return 1
	lab_log "reload: $out"
	check "reply: override dropped" sh -c "echo '$out' | grep -q '! backend $VIP:5300/udp backend 10.2.0.2: changed in the configuration file: runtime override dropped'" || return 1
	check "reply: the plan" sh -c "echo '$out' | grep -q '~ backend $VIP:5300/udp backend 10.2.0.2: weight 7 -> 3'" || return 1
	check "log says so" grep -q "reload: backend $VIP:5300/udp backend 10.2.0.2: changed in the configuration file: runtime override dropped" "$XLBD_LOG" || return 1
	check "weight 3 from the file" sh -c \
		"$XLBCTL -s $SOCK backend show $VIP:5300/udp | grep -E '^10.2.0.2 +3 '" || return 1
	check "no override left" sh -c "$XLBCTL -s $SOCK config diff | grep -q '^none'" || return 1
	check "state file removed" test ! -e "$STATE"
}

test_checks_through_xlbctl() {
	local out rc
	need_vip2 || return 1
	cp "$CFG" "$LAB_TMP/cfg.orig"
	x check add web --type tcp --port 5300 --interval-ms 500 --timeout-ms 400 || return 1
	out=$(x check show web) || return 1
	check "check shown" sh -c "echo '$out' | grep -q '^check web: tcp, port 5300, interval_ms 500, timeout_ms 400'" || return 1
	out=$(x check add slow --type tcp --interval-ms 100 --timeout-ms 500 2>&1)
	rc=$?
	lab_log "$out"
	check "timeout > interval refused (1)" test $rc -eq 1 || return 1
	check "validation message" sh -c "echo '$out' | grep -q timeout" || return 1
	out=$(x check add h --type tcp --path /x 2>&1)
	rc=$?
	lab_log "$out"
	check "http field on a tcp check refused" sh -c "test $rc -eq 1 && echo '$out' | grep -q path" || return 1
	x check add web --type tcp
	check "duplicate refused" test $? -eq 1 || return 1
	x check add nt --port 1
	check "missing --type is a usage error" test $? -eq 2 || return 1
	x check set web --rise 5 || return 1
	check "set applied" sh -c "$XLBCTL -s $SOCK -j check show web | grep -q '\"rise\": 5'" || return 1
	x check set web --type http || return 1
	check "new type, its defaults" sh -c "$XLBCTL -s $SOCK check show web | grep -q 'web: http.*path /'" || return 1
	x vip set "$VIP2:5300/udp" --health-check web || return 1
	out=$(x check del web 2>&1)
	rc=$?
	lab_log "$out"
	check "check in use cannot be deleted" sh -c "test $rc -eq 1 && echo '$out' | grep -q 'in use by vip $VIP2:5300/udp'" || return 1
	check "diff shows the check" sh -c "$XLBCTL -s $SOCK config diff | grep -q '^+ check web'" || return 1
	x vip set "$VIP2:5300/udp" --health-check "" || return 1
	x check del web || return 1
	check "check gone" sh -c "! $XLBCTL -s $SOCK check show | grep -q web" || return 1
	check "config file byte-identical" cmp "$CFG" "$LAB_TMP/cfg.orig"
}

test_corrupt_state_file_refuses_start() {
	local out rc
	need_xlbd || return 1
	x backend set "$VIP:5300/udp" 10.2.0.1 state drain || return 1
	stop_xlbd || return 1
	echo '{"version": 1, "config_file": ' >"$STATE"
	out=$(timeout 20 nsenter --net=/run/netns/$(nsname pop) "$XLBD" -c "$CFG" -p "$PIN" \
		--state-file "$STATE" 2>&1)
	rc=$?
	lab_log "$out"
	check "xlbd refuses to start" test $rc -eq 1 || return 1
	check "the error names the state file" sh -c "echo '$out' | grep -q 'state file: $STATE:'" || return 1
	check "and the way out" sh -c "echo '$out' | grep -q 'remove it to start from'" || return 1
	check "data path still attached meanwhile" sh -c \
		"ip -n $(nsname pop) link show eth0 | grep -q xlb_lb" || return 1
	rm -f "$STATE"
	start_xlbd || return 1
	check "started from the config file alone" sh -c \
		"$XLBCTL -s $SOCK backend show $VIP:5300/udp | grep -E '^10.2.0.1 +[0-9]+ +up'"
}

test_dp_detach_removes_everything() {
	need_xlbd || return 1
	x dp detach --yes || return 1
	lab_wait 10 sh -c "! kill -0 $XLBD_PID 2>/dev/null" || return 1
	check "no XDP program left" sh -c \
		"! ip -n $(nsname pop) link show eth0 | grep -q 'prog/xdp'" || return 1
	check "no pins left" test ! -e "$PIN" || return 1
	stop_xlbd
}

setup || exit 1
lab_run_cases test_starts_attaches_and_pins \
	test_cli_changes_are_validated_and_persisted \
	test_traffic_is_encapsulated_and_counted \
	test_flow_command_agrees_with_the_data_path \
	test_restart_keeps_every_flow \
	test_reload_applies_only_the_difference \
	test_runtime_change_survives_restart \
	test_config_diff_shows_the_override \
	test_reload_dry_run_prints_the_plan \
	test_reload_after_an_edit_clears_the_override \
	test_checks_through_xlbctl \
	test_corrupt_state_file_refuses_start \
	test_dp_detach_removes_everything
exit $LAB_FAILED
