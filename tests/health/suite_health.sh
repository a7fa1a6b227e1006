#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_health.sh - the health-check engine against real servers.
#
# Topology (namespaces named xhc<pid>-*, removed by the trap of lib.sh):
#
#   lb  10.77.0.1 ── veth ── 10.77.0.2  srv   servers: http, https (self-
#       (hc_run)                              signed), 503, hang, slow,
#                                             garbage, flapping, udp echo,
#                                             dnsmasq
#   pop 10.78.0.1 ── veth ── 10.78.0.2  be    AF_PACKET capture
#       (hc_run + tc probe program, private maps)
#
# Each case runs tests/helpers/hc_run for a few seconds with the checks it
# needs and asserts on its JSON lines with hc_check.py. The via_vip case
# only proves that marked probes leave the "PoP" encapsulated exactly as
# client traffic would: no decapsulator exists in the tree yet, so the
# round trip (backend answers the probe) is left to the integration suite.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../netns/lib.sh
. "$HERE/../netns/lib.sh"

PY=/usr/bin/python3
HC_RUN=$BUILD/tests/helpers/hc_run
CHECK="$PY $HERE/hc_check.py"
SRV=10.77.0.2
SRV6=fd77::2

# run_hc NAME ARGS... - hc_run in the lb namespace, output in $LAB_TMP/NAME
run_hc() {
	local name=$1
	shift
	timeout 30 nsenter --net="/run/netns/$(nsname lb)" -- \
		${HC_RUN_PREFIX:-} "$HC_RUN" "$@" >"$LAB_TMP/$name.json" \
		2>"$LAB_TMP/$name.err"
	local rc=$?
	grep -v '"ev":"result"' "$LAB_TMP/$name.json" | sed 's/^/# /' |
		cut -c1-220
	[ -s "$LAB_TMP/$name.err" ] && sed 's/^/# stderr: /' "$LAB_TMP/$name.err"
	return $rc
}

setup() {
	[ -x "$HC_RUN" ] || {
		echo "not ok - health suite: $HC_RUN not built"
		exit 1
	}
	lab_init hc
	lab_ns lb || return 1
	lab_ns srv || return 1
	lab_link lb l0 srv s0 || return 1
	lab_addr lb l0 10.77.0.1/24
	lab_addr srv s0 $SRV/24
	lab_addr lb l0 fd77::1/64
	lab_addr srv s0 $SRV6/64

	openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
		-subj /CN=svc.example -addext subjectAltName=DNS:svc.example \
		-keyout "$LAB_TMP/key.pem" -out "$LAB_TMP/cert.pem" \
		>/dev/null 2>&1 || return 1
	lab_bg srv servers $PY "$HERE/hc_servers.py" --addr $SRV \
		--log "$LAB_TMP/srv.log" --cert "$LAB_TMP/cert.pem" \
		--key "$LAB_TMP/key.pem" \
		http:9100 status:9103:503 https:9443 hang:9101 hang:9102 \
		slow:9104 garbage:9107 flap:9105:1 flapreq:9106 udp:9053 \
		tcpflap:9108:1
	lab_wait 10 grep -q ready "$LAB_TMP/srv.log" || {
		lab_log "servers did not start"
		sed 's/^/# /' "$LAB_TMP/servers.log"
		return 1
	}
	lab_bg srv servers6 $PY "$HERE/hc_servers.py" --addr $SRV6 \
		--log "$LAB_TMP/srv6.log" http:9100
	lab_wait 10 grep -q ready "$LAB_TMP/srv6.log" || {
		lab_log "IPv6 servers did not start"
		sed 's/^/# /' "$LAB_TMP/servers6.log"
		return 1
	}
	# a firewall that drops SYNs to port 9109, both families
	nsx srv nft -f - <<EOF || return 1
table inet hcdrop {
	chain in {
		type filter hook input priority 0;
		tcp dport 9109 drop
	}
}
EOF
	HAVE_DNSMASQ=0
	if command -v dnsmasq >/dev/null; then
		lab_bg srv dnsmasq dnsmasq --no-daemon --no-resolv --no-hosts \
			--port=5353 --listen-address=$SRV --bind-interfaces \
			--address=/svc.example/192.0.2.53 \
			--address=/svc.example/2001:db8::53 --user=root \
			--pid-file="$LAB_TMP/dnsmasq.pid"
		lab_wait_port srv 5353 udp && HAVE_DNSMASQ=1
	fi
	return 0
}

test_tcp_connect_up_and_refused() {
	run_hc tcp -d 2 \
		-c name=open type=tcp addr=$SRV port=9100 interval=200 rise=2 \
		-c name=closed type=tcp addr=$SRV port=9999 interval=200 \
		initial=up fall=3 || return 1
	$CHECK "$LAB_TMP/tcp.json" \
		'changes("open") == [("down", "up", True)]' \
		'changes("closed") == [("up", "down", True)]' \
		'errors("closed") == {"connect: Connection refused"}' \
		'status("closed")["last_error"] == "connect: Connection refused"' \
		'"3 failures, last: connect: Connection refused" == status("closed")["last_change_reason"]' \
		'status("open")["state"] == "up" and not status("open")["pending"]' \
		'ev("exit")[0]["loop_close"] == 0'
}

# Half-open checks: a SYN-ACK is up, a reset (closed port) is down at
# once, silence (a firewall dropping SYNs) is down at the timeout; IPv4 and
# IPv6. The backend keeps no half-open connection: our kernel resets each
# SYN-ACK since no socket of ours matches it.
test_tcp_syn_up_refused_dropped() {
	run_hc syn -d 2 \
		-c name=open type=tcp mode=syn addr=$SRV port=9100 \
		interval=200 rise=2 \
		-c name=closed type=tcp mode=syn addr=$SRV port=9999 \
		interval=200 initial=up fall=3 \
		-c name=dropped type=tcp mode=syn addr=$SRV port=9109 \
		interval=300 timeout=200 initial=up fall=2 \
		-c name=open6 type=tcp mode=syn addr=$SRV6 port=9100 \
		interval=200 rise=2 \
		-c name=closed6 type=tcp mode=syn addr=$SRV6 port=9999 \
		interval=200 initial=up fall=3 \
		-c name=dropped6 type=tcp mode=syn addr=$SRV6 port=9109 \
		interval=300 timeout=200 initial=up fall=2 || return 1
	local half_open
	half_open=$(nsx srv ss -Htn state syn-recv | wc -l)
	lab_log "half-open connections left at the servers: $half_open"
	$CHECK "$LAB_TMP/syn.json" \
		'changes("open") == [("down", "up", True)]' \
		'changes("open6") == [("down", "up", True)]' \
		'fails("open") == 0 and fails("open6") == 0' \
		'changes("closed") == [("up", "down", True)]' \
		'changes("closed6") == [("up", "down", True)]' \
		'errors("closed") == errors("closed6") == {"connect: Connection refused (RST to SYN)"}' \
		'max(e["latency_us"] for e in results("closed") + results("closed6")) < 100000' \
		'changes("dropped") == [("up", "down", True)]' \
		'changes("dropped6") == [("up", "down", True)]' \
		'errors("dropped") == errors("dropped6") == {"timeout after 200 ms"}' \
		"$half_open == 0" \
		'ev("exit")[0]["loop_close"] == 0'
}

# A port that opens and closes every second: transitions only after
# rise/fall results in a row, never more than the flips allow.
test_tcp_syn_flapping_respects_rise_fall() {
	run_hc synflap -d 4.5 \
		-c name=window type=tcp mode=syn addr=$SRV port=9108 \
		interval=100 rise=3 fall=3 || return 1
	flap_transitions_bounded "$LAB_TMP/synflap.json" window 3
}

# Without CAP_NET_RAW the probe is still checked, with connect(), and the
# log says why.
test_tcp_syn_without_cap_net_raw_falls_back() {
	command -v capsh >/dev/null || return $LAB_SKIP
	timeout 30 nsenter --net="/run/netns/$(nsname lb)" -- \
		capsh --drop=cap_net_raw -- -c "exec $HC_RUN -d 1 \
		-c name=open type=tcp mode=syn addr=$SRV port=9100 \
		interval=200 -c name=closed type=tcp mode=syn addr=$SRV \
		port=9999 interval=200" >"$LAB_TMP/syncap.json" \
		2>"$LAB_TMP/syncap.err" || return 1
	sed 's/^/# stderr: /' "$LAB_TMP/syncap.err"
	grep -q "probe open: tcp mode syn unavailable (raw socket: Operation not permitted (needs CAP_NET_RAW)): checking with connect() instead" \
		"$LAB_TMP/syncap.err" || return 1
	$CHECK "$LAB_TMP/syncap.json" \
		'changes("open") == [("down", "up", True)]' \
		'errors("closed") == {"connect: Connection refused"}'
}

test_http_status_body_and_host() {
	run_hc http -d 2 \
		-c name=ok type=http addr=$SRV port=9100 path=/health \
		host=svc.example body=ok interval=200 \
		-c name=s503 type=http addr=$SRV port=9103 interval=200 \
		initial=up fall=2 \
		-c name=s503ok type=http addr=$SRV port=9103 status=200/500-503 \
		interval=200 \
		-c name=body type=http addr=$SRV port=9100 body=nope \
		interval=200 \
		-c name=head type=http addr=$SRV port=9100 method=HEAD \
		interval=200 || return 1
	$CHECK "$LAB_TMP/http.json" --log "$LAB_TMP/srv.log" \
		'changes("ok") == [("down", "up", True)]' \
		'changes("s503") == [("up", "down", True)]' \
		'errors("s503") == {"http status 503"}' \
		'changes("s503ok") == [("down", "up", True)]' \
		'errors("body") == {"body does not contain '"'nope'"'"}' \
		'status("head")["state"] == "up"' \
		'"req 9100 GET /health host=svc.example:9100" in log' \
		'"req 9100 HEAD / host='$SRV':9100" in log'
}

test_https_sni_and_verify() {
	run_hc https -d 2 \
		-c name=noverify type=https addr=$SRV port=9443 host=svc.example \
		interval=300 \
		-c name=split type=https addr=$SRV port=9443 host=h.example \
		sni=svc.example interval=300 \
		-c name=verify type=https addr=$SRV port=9443 host=svc.example \
		verify=1 interval=300 || return 1
	$CHECK "$LAB_TMP/https.json" --log "$LAB_TMP/srv.log" \
		'changes("noverify") == [("down", "up", True)]' \
		'changes("split") == [("down", "up", True)]' \
		'status("verify")["state"] == "down" and fails("verify") >= 3' \
		'all(e.startswith("tls: ") and "certificate" in e for e in errors("verify"))' \
		'"sni 9443 svc.example" in log' \
		'"req 9443 GET / host=h.example" in log'
}

test_udp_echo_expect_and_refused() {
	run_hc udp -d 2 \
		-c name=echo type=udp addr=$SRV port=9053 payload=ping \
		expect=pong:ping interval=200 \
		-c name=wrong type=udp addr=$SRV port=9053 payload=ping \
		expect=hello interval=200 \
		-c name=closed type=udp addr=$SRV port=9054 payload=ping \
		interval=200 || return 1
	$CHECK "$LAB_TMP/udp.json" \
		'changes("echo") == [("down", "up", True)]' \
		'errors("wrong") == {"reply does not contain '"'hello'"'"}' \
		'errors("closed") == {"recv: Connection refused"}'
}

test_dns_noerror_and_rcode() {
	[ "$HAVE_DNSMASQ" = 1 ] || return $LAB_SKIP
	run_hc dns -d 2 \
		-c name=a type=dns addr=$SRV port=5353 qname=svc.example \
		interval=200 \
		-c name=aaaa type=dns addr=$SRV port=5353 qname=svc.example. \
		qtype=28 interval=200 \
		-c name=refused type=dns addr=$SRV port=5353 qname=other.test \
		interval=200 \
		-c name=echo type=dns addr=$SRV port=9053 qname=svc.example \
		interval=300 timeout=200 || return 1
	$CHECK "$LAB_TMP/dns.json" \
		'changes("a") == [("down", "up", True)]' \
		'changes("aaaa") == [("down", "up", True)]' \
		'errors("refused") == {"dns rcode REFUSED"}' \
		'errors("echo") == {"timeout after 200 ms"}'
}

test_exec_exit_status_env_and_timeout() {
	cat >"$LAB_TMP/env.sh" <<EOF
#!/bin/sh
[ "\$XLB_BACKEND" = $SRV ] && [ "\$XLB_PORT" = 9100 ] && exit 0
echo "CRITICAL - got \$XLB_BACKEND:\$XLB_PORT"
exit 2
EOF
	chmod +x "$LAB_TMP/env.sh"
	# as root, xlbd runs exec checks as nobody, who must reach the script
	chmod 755 "$LAB_TMP"
	run_hc exec -d 2 \
		-c name=true type=exec addr=$SRV port=9100 arg=/bin/true \
		interval=200 \
		-c name=false type=exec addr=$SRV port=9100 arg=/bin/false \
		interval=200 initial=up fall=2 \
		-c name=env type=exec addr=$SRV port=9100 arg="$LAB_TMP/env.sh" \
		interval=200 \
		-c name=envbad type=exec addr=$SRV port=9101 \
		arg="$LAB_TMP/env.sh" interval=200 \
		-c name=sleep type=exec addr=$SRV port=1 arg=/bin/sh arg=-c \
		arg="sleep 6.66; exit 0" interval=400 timeout=300 \
		-c name=missing type=exec addr=$SRV port=1 arg=/nonexistent/x \
		interval=300 || return 1
	# the killed group must be gone: its sleep, too
	if pgrep -f "sleep 6.66" >/dev/null; then
		lab_log "FAILED: a timed-out exec check left its child running"
		return 1
	fi
	$CHECK "$LAB_TMP/exec.json" \
		'changes("true") == [("down", "up", True)]' \
		'changes("false") == [("up", "down", True)]' \
		'errors("false") == {"exit status 1"}' \
		'changes("env") == [("down", "up", True)]' \
		'errors("envbad") == {"exit status 2: CRITICAL - got '$SRV':9101"}' \
		'errors("sleep") == {"timeout after 300 ms"}' \
		'all(e["latency_us"] < 400000 for e in results("sleep"))' \
		'errors("missing") == {"exec /nonexistent/x: no such file or directory"}'
}

# Exec checks never run with xlbd's privileges: as root, the command runs
# as nobody (default) or the check's user, without supplementary groups;
# when xlbd cannot switch users (no CAP_SETUID), as its own user; either way
# with no capability at all, ambient ones included. The script reports who
# it is through the failure message (the first line of its output).
test_exec_runs_unprivileged() {
	local who=$LAB_TMP/who.sh duid dgid ncaps
	getent passwd daemon >/dev/null || return $LAB_SKIP
	cat >"$who" <<'EOF'
#!/bin/sh
eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
amb=$(sed -n 's/^CapAmb:[[:space:]]*//p' /proc/self/status)
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) eff=$eff amb=$amb"
exit 1
EOF
	chmod 755 "$who" "$LAB_TMP"
	duid=$(id -u daemon)
	dgid=$(id -g daemon)
	run_hc who -d 1 \
		-c name=dflt type=exec addr=$SRV port=1 arg="$who" interval=200 \
		-c name=daemon type=exec addr=$SRV port=1 arg="$who" user=daemon \
		interval=200 || return 1
	$CHECK "$LAB_TMP/who.json" \
		'errors("dflt") == {"exit status 1: uid=65534 gid=65534 groups=65534 eff=0000000000000000 amb=0000000000000000"}' \
		'errors("daemon") == {"exit status 1: uid='$duid' gid='$dgid' groups='$dgid' eff=0000000000000000 amb=0000000000000000"}' ||
		return 1
	# Without CAP_SETUID/CAP_SETGID (and with ambient capabilities that
	# must not reach the child): the command runs as the caller itself.
	ncaps=-all,+net_admin,+net_raw
	HC_RUN_PREFIX="setpriv --reuid=$duid --regid=$dgid --clear-groups \
--inh-caps=$ncaps --ambient-caps=$ncaps --bounding-set=$ncaps" \
		run_hc whoami -d 1 \
		-c name=self type=exec addr=$SRV port=1 arg="$who" interval=200 \
		-c name=other type=exec addr=$SRV port=1 arg="$who" user=nobody \
		interval=200 || return 1
	$CHECK "$LAB_TMP/whoami.json" \
		'errors("self") == {"exit status 1: uid='$duid' gid='$dgid' groups='$dgid' eff=0000000000000000 amb=0000000000000000"}' \
		'errors("other") == {"exec: cannot run as user nobody: xlbd runs as uid '$duid' without CAP_SETUID"}'
}

# A backend that accepts and never answers, one that answers a byte a
# second, and one that answers garbage must not hold up another probe.
test_hanging_backend_does_not_delay_others() {
	run_hc hang -d 3 \
		-c name=fast type=http addr=$SRV port=9100 interval=200 \
		timeout=150 \
		-c name=hang type=http addr=$SRV port=9101 interval=1000 \
		timeout=800 \
		-c name=hangtcp type=tcp addr=$SRV port=9101 interval=1000 \
		timeout=800 \
		-c name=slow type=http addr=$SRV port=9104 interval=1000 \
		timeout=800 \
		-c name=garbage type=http addr=$SRV port=9107 interval=1000 \
		timeout=800 || return 1
	$CHECK "$LAB_TMP/hang.json" \
		'errors("hang") == {"timeout after 800 ms"}' \
		'errors("slow") == {"timeout after 800 ms"}' \
		'status("hangtcp")["state"] == "up"' \
		'len(errors("garbage")) == 1 and list(errors("garbage"))[0].startswith("http: ")' \
		'all(e["latency_us"] < 900000 for e in results("hang"))' \
		'fails("fast") == 0 and oks("fast") >= 12' \
		'max(gaps("fast")) < 320' \
		'max(e["latency_us"] for e in results("fast")) < 100000'
}

# 12 probes against a server that never answers, at most 3 at once: the
# engine never runs more, and the server never sees more connections.
test_concurrency_bound_holds() {
	local args=() i
	for i in $(seq 12); do
		# HTTP: a TCP connect to this server would succeed at once
		args+=(-c name=h$i type=http addr=$SRV port=9102 interval=500
			timeout=400)
	done
	run_hc conc -d 3 -m 3 "${args[@]}" || return 1
	local srv_max
	srv_max=$(awk '$1 == "hang_max" && $2 == 9102 { m = $3 } END { print m + 0 }' \
		"$LAB_TMP/srv.log")
	lab_log "server saw at most $srv_max connections at once"
	$CHECK "$LAB_TMP/conc.json" \
		'stats()["inflight_max"] == 3' \
		'stats()["queued_max"] >= 1' \
		'stats()["finished"] >= 15' \
		"$srv_max <= 3 and $srv_max >= 1" \
		'all(errors("h%d" % i) <= {"timeout after 400 ms"} for i in range(1, 13))'
}

# flap_transitions_bounded OUT.json PROBE N - PROBE (rise = fall = N)
# changed state 2 to 5 times in 4.5 s of a 1 s flip, each change right
# after N like results, alternating.
flap_transitions_bounded() {
	$PY - "$1" "$2" "$3" <<'EOF'
import json, sys
name, n = sys.argv[2], int(sys.argv[3])
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
res = [e for e in ev if e.get("ev") == "result" and e["probe"] == name]
ch = [e for e in ev if e.get("ev") == "change" and e["probe"] == name
      and e["from"] != e["to"]]
print(f"# {name}: {len(res)} results, {len(ch)} transitions")
ok = 2 <= len(ch) <= 5
for c in ch:
    before = [r["ok"] for r in res if r["t"] <= c["t"]][-n:]
    want = c["to"] == "up"
    if before != [want] * n:
        print(f"# FAILED: transition at {c['t']} not after {n} like results")
        ok = False
for a, b in zip(ch, ch[1:]):
    if a["to"] == b["to"]:
        ok = False
sys.exit(0 if ok else 1)
EOF
}

# rise/fall bound the transitions: alternating results never reach a
# verdict; a server that flips every second changes state at most once per
# flip, each change after rise (or fall) results in a row.
test_flapping_bounded_transitions() {
	run_hc flap -d 4.5 \
		-c name=perreq type=http addr=$SRV port=9106 interval=100 rise=2 \
		fall=2 \
		-c name=window type=http addr=$SRV port=9105 interval=100 rise=3 \
		fall=3 || return 1
	flap_transitions_bounded "$LAB_TMP/flap.json" window 3 || return 1
	$CHECK "$LAB_TMP/flap.json" \
		'changes("perreq") == []' \
		'status("perreq")["pending"] and status("perreq")["n_transitions"] == 0' \
		'oks("perreq") >= 10 and fails("perreq") >= 10'
}

# xlbd passes a backend's previous state on restart: an up backend stays
# up while the first checks run, and their verdict only confirms it.
test_restart_initial_up_stays_up() {
	run_hc restart -d 1.5 \
		-c name=up type=http addr=$SRV port=9100 interval=200 rise=3 \
		initial=up || return 1
	$CHECK "$LAB_TMP/restart.json" \
		'changes("up") == [("up", "up", True)]' \
		'status("up")["n_transitions"] == 0 and not status("up")["pending"]'
}

test_update_in_place_and_delete_in_flight() {
	run_hc upd -d 2.5 \
		--update upd@1000 body=ok \
		--del hung@500 --del sleeper@500 \
		-c name=upd type=http addr=$SRV port=9100 body=nothere \
		interval=200 rise=2 fall=2 \
		-c name=hung type=http addr=$SRV port=9101 interval=300 \
		timeout=2000 \
		-c name=sleeper type=exec addr=$SRV port=1 arg=/bin/sh arg=-c \
		arg="sleep 7.77" interval=300 timeout=2000 || return 1
	if pgrep -f "sleep 7.77" >/dev/null; then
		lab_log "FAILED: deleting a probe left its check's child running"
		return 1
	fi
	$CHECK "$LAB_TMP/upd.json" \
		'changes("upd") == [("down", "down", True), ("down", "up", False)]' \
		'ev("updated")[0]["ret"] == 0' \
		'status("upd")["n_fail"] >= 2 and status("upd")["n_ok"] >= 2' \
		'status("upd")["n_transitions"] == 1' \
		'results("hung") == [] and results("sleeper") == []' \
		'stats()["probes"] == 1' \
		'ev("exit")[0]["loop_close"] == 0'
}

test_via_vip_rejected_for_exec() {
	run_hc vvexec -d 0.2 \
		-c name=x type=exec via_vip=1 addr=$SRV vip=192.0.2.80 port=80 \
		arg=/bin/true || return 1
	$CHECK "$LAB_TMP/vvexec.json" \
		'"exec checks cannot follow the data path (via_vip)" in added_failed("x")'
}

# Marked probes leave the PoP encapsulated toward the backend like client
# traffic (IPIP, IP6IP6, 4in6), unmarked traffic leaves untouched.
test_via_vip_probe_encapsulated() {
	lab_ns pop || return 1
	lab_ns be || return 1
	lab_link pop p0 be b0 || return 1
	lab_addr pop p0 10.78.0.1/24
	lab_addr be b0 10.78.0.2/24
	lab_addr pop p0 fd78::1/64
	lab_addr be b0 fd78::2/64
	# The kernel must route the VIP out of the balancer's port (and
	# resolve a next hop) before tc egress sees the probe.
	ip -n "$(nsname pop)" route add 192.0.2.80/32 via 10.78.0.2
	ip -n "$(nsname pop)" -6 route add 2001:db8::80/128 via fd78::2
	# Software checksums, so the capture sees complete inner checksums.
	nsx pop ethtool -K p0 tx off >/dev/null 2>&1 ||
		lab_log "ethtool -K p0 tx off failed: inner checksums may be partial"
	local bmac pmac
	bmac=$(lab_mac be b0)
	pmac=$(lab_mac pop p0)
	lab_bg be cap $PY "$HERE/capture.py" b0 4
	local cap_pid=$LAB_LAST_PID
	lab_wait 10 grep -q ready "$LAB_TMP/cap.log" || return 1
	timeout 30 nsenter --net="/run/netns/$(nsname pop)" -- "$HC_RUN" -d 2 \
		--probe-dev p0 --src4 10.78.0.1 --src6 fd78::1 \
		--dp-backend "7,10.78.0.2,$bmac" --dp-backend "8,fd78::2,$bmac" \
		--dp-backend "9,fd78::2,$bmac" \
		-c name=t4 type=tcp via_vip=1 vip=192.0.2.80 addr=10.78.0.2 id=7 \
		port=80 interval=500 timeout=400 \
		-c name=u4 type=udp via_vip=1 vip=192.0.2.80 addr=10.78.0.2 id=7 \
		port=53 payload=x interval=500 timeout=400 \
		-c name=h4 type=http via_vip=1 vip=192.0.2.80 addr=10.78.0.2 \
		id=7 port=8080 interval=500 timeout=400 \
		-c name=t6 type=tcp via_vip=1 vip=2001:db8::80 addr=fd78::2 id=8 \
		port=80 interval=500 timeout=400 \
		-c name=t46 type=tcp via_vip=1 vip=192.0.2.80 addr=fd78::2 id=9 \
		port=81 interval=500 timeout=400 \
		-c name=plain type=tcp addr=192.0.2.80 port=82 interval=500 \
		timeout=400 >"$LAB_TMP/vv.json" 2>"$LAB_TMP/vv.err"
	local rc=$?
	grep -v '"ev":"result"' "$LAB_TMP/vv.json" | sed 's/^/# /' | cut -c1-200
	sed 's/^/# stderr: /' "$LAB_TMP/vv.err"
	[ $rc -eq 0 ] || return 1
	wait "$cap_pid" 2>/dev/null
	lab_wait 5 sh -c "! kill -0 $cap_pid 2>/dev/null"
	local ipip='[c for c in cap if c["proto"] == 4 and c["v"] == 4]'
	local v6='[c for c in cap if c["proto"] == 41 and c["v"] == 6]'
	local v4in6='[c for c in cap if c["proto"] == 4 and c["v"] == 6]'
	$CHECK "$LAB_TMP/vv.json" --cap "$LAB_TMP/cap.log" \
		'ev("probe_stats")[0]["encap"] >= 10' \
		'sum(v for k, v in ev("probe_stats")[0].items() if k.startswith("drop")) == 0' \
		"len($ipip) >= 6" \
		"all(c['src'] == '10.78.0.1' and c['dst'] == '10.78.0.2' and c['csum_ok'] and c['ttl'] == 64 for c in $ipip)" \
		"all(c['dmac'] == '$bmac' and c['smac'] == '$pmac' for c in $ipip + $v6 + $v4in6)" \
		"all(c['inner']['dst'] == '192.0.2.80' and c['inner']['src'] == '10.78.0.1' for c in $ipip)" \
		"all(c['len'] == c['inner']['len'] + 20 and c['df'] == c['inner']['df'] for c in $ipip)" \
		"{(c['inner']['proto'], c['inner']['dport']) for c in $ipip} == {(6, 80), (17, 53), (6, 8080)}" \
		"all(c['inner'].get('l4_csum_ok') for c in $ipip + $v6 + $v4in6)" \
		"len($v6) >= 2 and all(c['src'] == 'fd78::1' and c['dst'] == 'fd78::2' and c['inner']['dst'] == '2001:db8::80' and c['inner']['dport'] == 80 for c in $v6)" \
		"len($v4in6) >= 2 and all(c['dst'] == 'fd78::2' and c['inner']['dst'] == '192.0.2.80' and c['inner']['dport'] == 81 for c in $v4in6)" \
		"len([c for c in cap if c['proto'] == 6 and c['dst'] == '192.0.2.80' and c['dport'] == 82]) >= 2" \
		'not any(c.get("dport") in (80, 53, 8080, 81) and c["dst"] == "192.0.2.80" for c in cap)' \
		'errors("t4") == {"timeout after 400 ms"}'
}

# Marked probes of a GUE VIP's memberships (XLB_BE_F_GUE) leave in GUE
# like its client traffic: UDP to the VIP's gue_port from a source port of
# 49152..65535, the probe as its payload; UDP checksum 0 over IPv4, and
# over IPv6 one a receiver accepts (the capture verifies it).
test_via_vip_probe_gue() {
	lab_ns gpop || return 1
	lab_ns gbe || return 1
	lab_link gpop p0 gbe b0 || return 1
	lab_addr gpop p0 10.79.0.1/24
	lab_addr gbe b0 10.79.0.2/24
	lab_addr gpop p0 fd79::1/64
	lab_addr gbe b0 fd79::2/64
	ip -n "$(nsname gpop)" route add 192.0.2.80/32 via 10.79.0.2
	ip -n "$(nsname gpop)" -6 route add 2001:db8::80/128 via fd79::2
	# Software checksums, so the capture sees complete inner checksums
	# and can verify the outer UDP checksum over them.
	nsx gpop ethtool -K p0 tx off >/dev/null 2>&1 ||
		lab_log "ethtool -K p0 tx off failed: inner checksums may be partial"
	local bmac pmac
	bmac=$(lab_mac gbe b0)
	pmac=$(lab_mac gpop p0)
	lab_bg gbe gcap $PY "$HERE/capture.py" b0 4 6080,7777
	local cap_pid=$LAB_LAST_PID
	lab_wait 10 grep -q ready "$LAB_TMP/gcap.log" || return 1
	timeout 30 nsenter --net="/run/netns/$(nsname gpop)" -- "$HC_RUN" -d 2 \
		--probe-dev p0 --src4 10.79.0.1 --src6 fd79::1 \
		--dp-backend "7,10.79.0.2,$bmac,-,gue=6080" \
		--dp-backend "8,fd79::2,$bmac,-,gue=7777" \
		--dp-backend "9,fd79::2,$bmac,-,gue=6080" \
		-c name=t4 type=tcp via_vip=1 vip=192.0.2.80 addr=10.79.0.2 id=7 \
		port=80 interval=500 timeout=400 \
		-c name=u4 type=udp via_vip=1 vip=192.0.2.80 addr=10.79.0.2 id=7 \
		port=53 payload=x interval=500 timeout=400 \
		-c name=t6 type=tcp via_vip=1 vip=2001:db8::80 addr=fd79::2 id=8 \
		port=80 interval=500 timeout=400 \
		-c name=u6 type=udp via_vip=1 vip=2001:db8::80 addr=fd79::2 id=8 \
		port=53 payload=xyz interval=500 timeout=400 \
		-c name=t46 type=tcp via_vip=1 vip=192.0.2.80 addr=fd79::2 id=9 \
		port=81 interval=500 timeout=400 \
		>"$LAB_TMP/vg.json" 2>"$LAB_TMP/vg.err"
	local rc=$?
	grep -v '"ev":"result"' "$LAB_TMP/vg.json" | sed 's/^/# /' | cut -c1-200
	sed 's/^/# stderr: /' "$LAB_TMP/vg.err"
	[ $rc -eq 0 ] || return 1
	wait "$cap_pid" 2>/dev/null
	lab_wait 5 sh -c "! kill -0 $cap_pid 2>/dev/null"
	local g4='[c for c in cap if c.get("gue") and c["v"] == 4]'
	local g6='[c for c in cap if c.get("gue") and c["v"] == 6]'
	$CHECK "$LAB_TMP/vg.json" --cap "$LAB_TMP/gcap.log" \
		'ev("probe_stats")[0]["encap"] >= 10' \
		'sum(v for k, v in ev("probe_stats")[0].items() if k.startswith("drop")) == 0' \
		'not any(c["proto"] in (4, 41) for c in cap)' \
		"len($g4) >= 4 and all(c['src'] == '10.79.0.1' and c['dst'] == '10.79.0.2' and c['csum_ok'] and c['ttl'] == 64 and c['dport'] == 6080 and c['udp_csum'] == 0 for c in $g4)" \
		"all(c['dmac'] == '$bmac' and c['smac'] == '$pmac' for c in $g4 + $g6)" \
		"all(49152 <= c['sport'] <= 65535 for c in $g4 + $g6)" \
		"all(c['len'] == c['inner']['len'] + 28 for c in $g4) and all(c['len'] == c['inner']['len'] + 48 for c in $g6)" \
		"{(c['inner']['proto'], c['inner']['dport']) for c in $g4} == {(6, 80), (17, 53)}" \
		"all(c['inner'].get('l4_csum_ok') for c in $g4 + $g6)" \
		"{(c['inner']['v'], c['inner']['proto'], c['dport']) for c in $g6} == {(6, 6, 7777), (6, 17, 7777), (4, 6, 6080)}" \
		"all(c['src'] == 'fd79::1' and c['dst'] == 'fd79::2' and c['udp_csum'] != 0 and c['l4_csum_ok'] for c in $g6)"
}

for c in openssl nsenter ethtool; do
	command -v $c >/dev/null || {
		echo "ok - health suite # SKIP missing $c"
		exit 0
	}
done
setup || {
	echo "not ok - health suite setup"
	exit 1
}
lab_run_cases \
	test_tcp_connect_up_and_refused \
	test_tcp_syn_up_refused_dropped \
	test_tcp_syn_flapping_respects_rise_fall \
	test_tcp_syn_without_cap_net_raw_falls_back \
	test_http_status_body_and_host \
	test_https_sni_and_verify \
	test_udp_echo_expect_and_refused \
	test_dns_noerror_and_rcode \
	test_exec_exit_status_env_and_timeout \
	test_exec_runs_unprivileged \
	test_hanging_backend_does_not_delay_others \
	test_concurrency_bound_holds \
	test_flapping_bounded_transitions \
	test_restart_initial_up_stays_up \
	test_update_in_place_and_delete_in_flight \
	test_via_vip_rejected_for_exec \
	test_via_vip_probe_encapsulated \
	test_via_vip_probe_gue
exit $LAB_FAILED
