#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_metrics.sh - xlbd's Prometheus endpoint, scraped and parsed by a real
# parser (python3-prometheus-client), compared with what xlbctl says.
#
#   cl (10.1.0.2, backends 10.2.0.x on lo) ──veth── pop (xlbd, XDP on eth0,
#                                                    metrics on 127.0.0.1)
#
# Real traffic makes the counters non-zero: the client sends UDP flows to a
# VIP with a healthy backend (tx) and to one whose only backend fails its
# check (drop_no_backend). Health checks run against a TCP listener in cl;
# BGP is on with no BIRD behind the socket, so BIRD is unreachable.
. "$(dirname "$0")/lib.sh"

lab_xlb_binaries # PY, XLBD, XLBCTL (ASan+UBSan builds when made)
HERE=$(cd "$(dirname "$0")" && pwd)

lab_init metrics
CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
PIN=/sys/fs/bpf/xlb-$LAB_P
URL=http://127.0.0.1:9110/metrics
VIPA=192.0.2.10
VIPC=192.0.2.30

x() { nsx pop "$XLBCTL" -s "$SOCK" "$@"; }
scrape() { nsx pop curl -sf --max-time 5 "$URL"; }

setup() {
	lab_need curl || return $?
	"$PY" -c 'import prometheus_client.parser' 2>/dev/null || {
		lab_log "python3-prometheus-client is not installed"
		return $LAB_SKIP
	}
	lab_ns cl && lab_ns pop || return 1
	lab_link cl eth0 pop eth0
	lab_addr cl eth0 10.1.0.2/24
	lab_addr pop eth0 10.1.0.1/24
	ip -n "$(nsname cl)" addr add 10.2.0.1/32 dev lo
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
metrics:
  listen: 127.0.0.1:9110
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
  - name: b
    address: 192.0.2.20
    port: 80
    protocol: tcp
    backends:
      - address: 10.2.0.9
        weight: 7
  - name: c
    address: $VIPC
    port: 5300
    protocol: udp
    health_check: t8080
    backends:
      - address: 10.2.0.2
EOF
	lab_defer "nsx pop $BUILD/xlbd --cleanup -c $CFG -p $PIN"
	lab_bg pop xlbd "$XLBD" -c "$CFG" -p "$PIN" \
		--state-file "$LAB_TMP/state.json"
	XLBD_PID=$LAB_LAST_PID
	lab_wait 15 x status || return 1
	# first verdicts in: 10.2.0.1 up, 10.2.0.2 down
	lab_wait 10 sh -c "$XLBCTL -s $SOCK -j vip show $VIPA:5300/udp | \
grep -q '\"servable\": true'"
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

test_every_family_has_help_and_type_and_matches_xlbctl() {
	send_flows 100 31000 "$VIPA" || return 1
	send_flows 20 32000 "$VIPC" || return 1
	check "metrics agree with xlbctl" nsx pop "$PY" "$HERE/metrics_check.py" \
		"$URL" "$XLBCTL" "$SOCK" "$VIPA:5300/udp=100"
}

test_values_reflect_the_traffic_and_the_checks() {
	local t
	t=$(scrape) || return 1
	check "100 flows to VIP a encapsulated" grep -qx \
		'xlb_vip_new_flows_total{vip="192.0.2.10:5300/udp"} 100' <<<"$t" || return 1
	check "VIP c dropped its 20 packets: no backend" grep -qx \
		'xlb_drops_total{reason="no_backend"} 20' <<<"$t" || return 1
	check "drained backend got no new flow" grep -qx \
		'xlb_backend_new_flows_total{vip="192.0.2.10:5300/udp",backend="10.2.0.3"} 0' <<<"$t" || return 1
	check "checked backend up" grep -qx \
		'xlb_backend_health_up{vip="192.0.2.10:5300/udp",backend="10.2.0.1"} 1' <<<"$t" || return 1
	check "failing backend down in the data path" grep -qx \
		'xlb_backend_dp_state{vip="192.0.2.10:5300/udp",backend="10.2.0.2",state="removed"} 1' <<<"$t" || return 1
	check "successful checks in the latency histogram" grep -qE \
		'^xlb_backend_check_duration_seconds_bucket\{vip="192.0.2.10:5300/udp",backend="10.2.0.1",le="\+Inf"\} [1-9]' <<<"$t" || return 1
	check "BIRD unreachable" grep -qx 'xlb_bird_synced 0' <<<"$t" || return 1
	check "flows in the connection table" grep -qE \
		'^xlb_conn_table_entries\{family="ipv4"\} 100$' <<<"$t"
}

test_grafana_dashboard_uses_only_exported_names() {
	local t n missing=""
	# the text is rebuilt every second: wait for one with check results
	lab_wait 10 sh -c "nsenter --net=/run/netns/$LAB_P-pop -- curl -sf \
--max-time 5 $URL | grep -q '^xlb_backend_check_last_duration_seconds'" ||
		return 1
	t=$(scrape) || return 1
	for n in $(grep -o 'xlb_[a-z0-9_]*' "$LAB_ROOT/deploy/grafana-xlb.json" |
		sort -u); do
		grep -qE "^${n}[{ ]" <<<"$t" || missing="$missing $n"
	done
	check "names in deploy/grafana-xlb.json are scraped:$missing" \
		test -z "$missing"
}

test_unknown_path_is_404() {
	local code
	code=$(nsx pop curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		http://127.0.0.1:9110/other)
	check "404 for /other" test "$code" = 404
}

setup
rc=$?
if [ $rc -eq $LAB_SKIP ]; then
	echo "ok - metrics # SKIP machine lacks a dependency"
	exit 0
fi
[ $rc -eq 0 ] || exit 1
lab_run_cases test_every_family_has_help_and_type_and_matches_xlbctl \
	test_values_reflect_the_traffic_and_the_checks \
	test_grafana_dashboard_uses_only_exported_names \
	test_unknown_path_is_404
lab_stop "$XLBD_PID"
if ! lab_san_clean "$LAB_TMP/xlbd.log"; then
	echo "not ok - xlbd ran clean under the sanitizers"
	exit 1
fi
exit $LAB_FAILED
