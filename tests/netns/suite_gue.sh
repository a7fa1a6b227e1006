#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_gue.sh - VIPs forwarded by GUE (issue 18), on the whole path:
#
#   cl ── rt ──┬── pop1 (xlbd, XDP on eth0; every VIP "forwarding: gue")
#              ├── be1 ┐ xlbctl backend-host setup: xlb_decap.bpf.o, which
#              └── be2 ┘ takes GUE on UDP 6080 (its default)
#
# Client requests (TCP and UDP, IPv4 and IPv6) go to the VIPs; the PoP
# sends them to a backend inside UDP to port 6080 with a source port from
# the flow hash; the backend strips outer IP + UDP and answers the client
# directly. The GUE packets are captured on the router's port toward a
# backend: in the backend's namespace no capture can see them, because
# xlb_decap strips the tunnel in XDP, before any packet socket.
#
# The kernel's own GUE receiver (fou) is not tested here: this kernel is
# built without CONFIG_NET_FOU and CONFIG_NET_IPIP (docs/backend.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_init gue
XC=$LAB_XLBCTL

# counter NS NAME - one decap counter of a backend
counter() {
	"$LAB_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["counters"][sys.argv[2]])' \
		"$(nsx "$1" "$XC" -j backend-host show \
			--pin-dir "/sys/fs/bpf/xlb-$LAB_P-$1")" "$2"
}

# jq_ JSON EXPR - evaluate a Python expression on j = the JSON
jq_() {
	"$LAB_PY" -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' \
		"$1" "$2"
}

# traffic MODE VIP N SPORT_BASE - client requests, JSON summary
traffic() {
	nsx cl "$LAB_PY" "$LAB_TRAFFIC" "$1" --vip "$2" --n "$3" \
		--sport-base "$4" --max-errors 0 --timeout 2 --deadline 120
}

setup() {
	lab_topology 1 2 || return 1
	lab_route_vips 1
	lab_backend_up 1 || return 1
	lab_backend_up 2 || return 1
	# a check that follows the data path, used by one case (on :7)
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1 2" "    forwarding: gue" \
		"health_checks:
  - name: path
    type: tcp
    via_vip: true
    interval_ms: 200
    timeout_ms: 200
    rise: 2
    fall: 2"
	lab_pop_start 1
}

test_vip_show_and_config_dump_say_gue() {
	local out j
	out=$(xpop 1 vip show) || return 1
	lab_log "$(head -3 <<<"$out")"
	check "vip show: gue:6080" grep -q "gue:6080" <<<"$out" || return 1
	j=$(xpop 1 -j vip show) || return 1
	check "vip show -j: forwarding gue, gue_port 6080 on all six" \
		[ "$(jq_ "$j" 'sorted(set((v["forwarding"], v.get("gue_port")) for v in j))')" = "[('gue', 6080)]" ] || return 1
	out=$(xpop 1 config dump) || return 1
	check "config dump: forwarding: gue" grep -q "forwarding: gue" <<<"$out" || return 1
	check "config dump: gue_port: 6080" grep -q "gue_port: 6080" <<<"$out"
}

# path MODE VIP COUNTER SPORT_BASE - 40 requests through the PoP, both
# backends answer, and their COUNTER moved by at least one per request
path() {
	local out before after
	before=$(($(counter be1 "$3") + $(counter be2 "$3")))
	out=$(traffic "$1" "$2" 40 "$4") || {
		lab_log "traffic: $out"
		return 1
	}
	lab_log "$1 $2: $out"
	after=$(($(counter be1 "$3") + $(counter be2 "$3")))
	check "be1 and be2 both answered" \
		[ "$(jq_ "$out" 'sorted(j["counts"])')" = "['be1', 'be2']" ] || return 1
	check "$3 counted every request ($before -> $after)" \
		[ $((after - before)) -ge 40 ]
}

test_tcp_v4_through_gue() {
	path http "$VIP4" decap_ipip 31000
}

test_tcp_v6_through_gue() {
	path http "$VIP6" decap_ip6ip6 32000
}

test_udp_v4_and_v6_through_gue() {
	path udp "$VIP4" decap_ipip 33000 && path udp "$VIP6" decap_ip6ip6 34000
}

# What goes over the wire to be1: UDP to 6080 from the PoP, from more than
# one source port (flows differ), all in 49152..65535; no IPIP.
test_capture_udp_6080_source_ports_vary() {
	local pcap=$LAB_TMP/b1.txt ports n ipip
	lab_need tcpdump || return $LAB_SKIP
	lab_bg rt tcpdump-b1 tcpdump -i b1 -nn -l -c 400 \
		"(udp and dst port 6080) or ip proto 4 or ip6 proto 41"
	local pid=$LAB_LAST_PID
	lab_wait 10 grep -q "listening on" "$LAB_TMP/tcpdump-b1.log" || {
		lab_stop "$pid"
		return 1
	}
	traffic http "$VIP4" 30 35000 >/dev/null
	traffic udp "$VIP6" 30 36000 >/dev/null
	sleep 0.5
	lab_stop "$pid"
	grep -E ' IP6? ' "$LAB_TMP/tcpdump-b1.log" >"$pcap"
	n=$(grep -c "\.6080: UDP" "$pcap")
	ipip=$(grep -vc "\.6080: UDP" "$pcap")
	ports=$(grep -oE '(10\.101\.1\.2|fd00:101:1::2)\.[0-9]+ >' "$pcap" |
		sed -E 's/.*\.([0-9]+) >/\1/' | sort -un)
	lab_log "$n GUE packets to be1, source ports: $(tr '\n' ' ' <<<"$ports")"
	lab_log "$(head -2 "$pcap")"
	check "GUE packets seen" [ "$n" -ge 10 ] || return 1
	check "nothing else (no IPIP) to be1 ($ipip)" [ "$ipip" -eq 0 ] || return 1
	check "more than one source port" [ "$(wc -l <<<"$ports")" -gt 1 ] || return 1
	check "every source port in 49152..65535" \
		[ "$(awk '$1 < 49152 || $1 > 65535' <<<"$ports" | wc -l)" -eq 0 ]
}

# bh_gue_port N PORT - backend N takes GUE on PORT (setup run again)
bh_gue_port() {
	nsx "be$1" "$XC" backend-host setup --iface eth0 \
		--pin-dir "/sys/fs/bpf/xlb-$LAB_P-be$1" \
		--vip "$VIP4" --vip "$VIP6" --gue-port "$2"
}

# A VIP switched to another GUE port at run time (xlbctl vip set): the
# backends, still on 6080, do not take it; set up with --gue-port 7000
# they do; everything back on 6080 at the end.
test_gue_port_follows_vip_set() {
	local out j
	check "vip set --gue-port 7000" xpop 1 vip set "$VIP4" --port 80 \
		--proto tcp --gue-port 7000 || return 1
	out=$(xpop 1 vip show "$VIP4" --port 80 --proto tcp)
	check "vip show: gue:7000" grep -q "gue:7000" <<<"$out" || return 1
	out=$(nsx cl "$LAB_PY" "$LAB_TRAFFIC" http --vip "$VIP4" --n 3 \
		--sport-base 37000 --max-errors 3 --timeout 1 --deadline 30)
	check "nothing answered on 7000" [ "$(jq_ "$out" 'j["errors"]')" = 3 ] || return 1
	check "be1 --gue-port 7000" bh_gue_port 1 7000 || return 1
	check "be2 --gue-port 7000" bh_gue_port 2 7000 || return 1
	j=$(nsx be1 "$XC" -j backend-host show --pin-dir "/sys/fs/bpf/xlb-$LAB_P-be1")
	check "backend-host show: gue_port 7000" [ "$(jq_ "$j" 'j["gue_port"]')" = 7000 ] || return 1
	path http "$VIP4" decap_ipip 39000 || return 1
	check "be1 --gue-port 6080" bh_gue_port 1 6080 || return 1
	check "be2 --gue-port 6080" bh_gue_port 2 6080 || return 1
	check "vip set --gue-port 6080" xpop 1 vip set "$VIP4" --port 80 \
		--proto tcp --gue-port 6080 || return 1
	path http "$VIP4" decap_ipip 38000
}

# Health checks through the VIP (via_vip) of GUE VIPs go out in GUE like
# the VIPs' traffic (bpf/xlb_probe.bpf.c): be2 set up to take GUE on 7000
# only still strips IPIP, but not what the VIPs send it on 6080, and the
# check must take it out (IPv4 and IPv6 outer); back on 6080 it is up.
test_via_vip_check_goes_in_gue() {
	local rc=0
	{
		xpop 1 vip set "$VIP4:7/tcp" --health-check path &&
			xpop 1 vip set "[$VIP6]:7/tcp" --health-check path
	} || rc=1
	[ $rc = 0 ] && via_vip_gue_case || rc=1
	bh_gue_port 2 6080 >/dev/null 2>&1 || rc=1
	xpop 1 vip set "$VIP4:7/tcp" --health-check "" >/dev/null || rc=1
	xpop 1 vip set "[$VIP6]:7/tcp" --health-check "" >/dev/null || rc=1
	return $rc
}

via_vip_gue_case() {
	local b
	for b in 1 2; do
		check "be$b up by the via_vip check (IPv4)" \
			lab_wait 15 be_health_is "$VIP4:7/tcp" "$(be4 $b)" up:path ||
			return 1
		check "be$b up by the via_vip check (IPv6)" \
			lab_wait 15 be_health_is "[$VIP6]:7/tcp" "$(be6 $b)" up:path ||
			return 1
	done
	check "be2 takes GUE on 7000 only" bh_gue_port 2 7000 >/dev/null ||
		return 1
	check "via_vip check takes be2 out (IPv4)" \
		lab_wait 10 be_health_is "$VIP4:7/tcp" "$(be4 2)" down:path ||
		return 1
	check "via_vip check takes be2 out (IPv6)" \
		lab_wait 10 be_health_is "[$VIP6]:7/tcp" "$(be6 2)" down:path ||
		return 1
	xpop 1 backend show "$VIP4:7/tcp" | sed 's/^/# /'
	check "be1 still up" be_health_is "$VIP4:7/tcp" "$(be4 1)" up:path ||
		return 1
	check "be2 takes GUE on 6080 again" bh_gue_port 2 6080 >/dev/null ||
		return 1
	check "be2 back up (IPv4)" \
		lab_wait 15 be_health_is "$VIP4:7/tcp" "$(be4 2)" up:path ||
		return 1
	check "be2 back up (IPv6)" \
		lab_wait 15 be_health_is "[$VIP6]:7/tcp" "$(be6 2)" up:path
}

test_bad_gue_port_refused() {
	local out
	out=$(xpop 1 vip set "$VIP4" --port 80 --proto tcp --gue-port 0 2>&1)
	check "--gue-port 0 refused" [ $? -ne 0 ] || return 1
	lab_log "$out"
	out=$(xpop 1 vip set "$VIP4" --port 80 --proto tcp --forwarding gre 2>&1)
	check "--forwarding gre refused" [ $? -ne 0 ] || return 1
	check "error names gue" grep -q "ipip, l2 or gue" <<<"$out"
}

if ! setup; then
	echo "not ok - lab setup"
	exit 1
fi
lab_run_cases \
	test_vip_show_and_config_dump_say_gue \
	test_tcp_v4_through_gue \
	test_tcp_v6_through_gue \
	test_udp_v4_and_v6_through_gue \
	test_capture_udp_6080_source_ports_vary \
	test_gue_port_follows_vip_set \
	test_via_vip_check_goes_in_gue \
	test_bad_gue_port_refused
exit $LAB_FAILED
