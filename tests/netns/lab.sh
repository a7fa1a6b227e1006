# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lab.sh - the xlb PoP lab in network namespaces (source after lib.sh).
#
#   cl ─── rt ─┬─ pop1 (xlbd, XDP on eth0)      VIPs 192.0.2.10, 2001:db8::10
#              ├─ pop2 (optional)
#              ├─ be1 ┐
#              ├─ be2 ├ decap XDP, VIPs on lo, HTTP :80, echo :7, UDP :5300
#              └─ be3 ┘
#
# One-armed PoPs: packets for a VIP arrive from rt on the PoP's eth0, are
# encapsulated and sent back out of the same port (XDP_TX) to rt, which
# routes them to the backend. Backends answer the client directly (DSR).
# Links between rt, PoPs and backends have MTU 1600 so an encapsulated
# full-size client packet fits; the client link keeps 1500.
#
# Addresses: client 10.100.0.2, fd00:100::2; pop N 10.101.N.2, fd00:101:N::2
# (its own address is also its LB source address); backend N 10.102.N.2,
# fd00:102:N::2; rt is .1 / ::1 on every link.

VIP4=192.0.2.10
VIP6=2001:db8::10
LAB_XLBD=${LAB_XLBD:-$BUILD/xlbd}
LAB_XLBCTL=${LAB_XLBCTL:-$BUILD/xlbctl}
LAB_PY=/usr/bin/python3
LAB_TRAFFIC=$LAB_ROOT/tests/netns/traffic.py
LAB_UNDERLAY_MTU=1600

pop4() { echo "10.101.$1.2"; }
pop6() { echo "fd00:101:$1::2"; }
be4() { echo "10.102.$1.2"; }
be6() { echo "fd00:102:$1::2"; }

# lab_topology NPOPS NBACKENDS - namespaces, links, addresses, routes
lab_topology() {
	local npops=$1 nbe=$2 i
	LAB_NPOPS=$npops
	LAB_NBE=$nbe
	lab_ns cl || return 1
	lab_ns rt || return 1
	lab_forwarding rt
	# Tests pick the client's source ports themselves, all below 50000
	# (--sport-base); the kernel's own picks stay above, so a chosen port
	# is never held by another connection (seen once: EADDRINUSE).
	nsx cl sysctl -qw net.ipv4.ip_local_port_range="50000 60999" || return 1
	nsx rt sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	lab_link cl eth0 rt c0
	# The client's packets must leave with full checksums: a partial one
	# (veth offload) survives forwarding and XDP_TX at the PoP, and the
	# backend, receiving it decapsulated from the wire, drops it.
	nsx cl ethtool -K eth0 tx off >/dev/null 2>&1 || {
		lab_log "ethtool -K eth0 tx off failed in cl"
		return 1
	}
	lab_addr cl eth0 10.100.0.2/24
	lab_addr cl eth0 fd00:100::2/64
	lab_addr rt c0 10.100.0.1/24
	lab_addr rt c0 fd00:100::1/64
	ip -n "$(nsname cl)" route add default via 10.100.0.1
	ip -n "$(nsname cl)" -6 route add default via fd00:100::1
	for i in $(seq "$npops"); do
		lab_ns "pop$i" || return 1
		lab_link "pop$i" eth0 rt "p$i"
		ip -n "$(nsname "pop$i")" link set eth0 mtu $LAB_UNDERLAY_MTU
		ip -n "$(nsname rt)" link set "p$i" mtu $LAB_UNDERLAY_MTU
		lab_addr "pop$i" eth0 "$(pop4 "$i")/24"
		lab_addr "pop$i" eth0 "$(pop6 "$i")/64"
		lab_addr rt "p$i" "10.101.$i.1/24"
		lab_addr rt "p$i" "fd00:101:$i::1/64"
		ip -n "$(nsname "pop$i")" route add default via "10.101.$i.1"
		ip -n "$(nsname "pop$i")" -6 route add default \
			via "fd00:101:$i::1"
		# XDP_TX frames from the PoP need a program on this end
		lab_xdp_pass rt "p$i" || return 1
	done
	for i in $(seq "$nbe"); do
		lab_ns "be$i" || return 1
		lab_link "be$i" eth0 rt "b$i"
		ip -n "$(nsname "be$i")" link set eth0 mtu $LAB_UNDERLAY_MTU
		ip -n "$(nsname rt)" link set "b$i" mtu $LAB_UNDERLAY_MTU
		lab_addr "be$i" eth0 "$(be4 "$i")/24"
		lab_addr "be$i" eth0 "$(be6 "$i")/64"
		lab_addr rt "b$i" "10.102.$i.1/24"
		lab_addr rt "b$i" "fd00:102:$i::1/64"
		ip -n "$(nsname "be$i")" route add default via "10.102.$i.1"
		ip -n "$(nsname "be$i")" -6 route add default \
			via "fd00:102:$i::1"
	done
	nsx rt sysctl -qw net.ipv4.conf.all.rp_filter=0
	for i in $(ip -n "$(nsname rt)" -o link show | awk -F': ' '{print $2}' |
		sed 's/@.*//'); do
		nsx rt sysctl -qw "net.ipv4.conf.$i.rp_filter=0" 2>/dev/null
	done
	# Resolve the neighbours once so the first packets are not lost to
	# ARP/ND while a test measures.
	for i in $(seq "$npops"); do
		nsx "pop$i" ping -c1 -W1 "10.101.$i.1" >/dev/null
		nsx "pop$i" ping -c1 -W1 "fd00:101:$i::1" >/dev/null
	done
	for i in $(seq "$nbe"); do
		nsx "be$i" ping -c1 -W1 "10.102.$i.1" >/dev/null
		nsx "be$i" ping -c1 -W1 "fd00:102:$i::1" >/dev/null
	done
	return 0
}

# lab_route_vips POP... - rt sends the VIPs to these PoPs (ECMP if several)
lab_route_vips() {
	local nh4="" nh6="" p
	for p in "$@"; do
		nh4+=" nexthop via 10.101.$p.1 dev p$p"
		nh6+=" nexthop via fd00:101:$p::2 dev p$p"
	done
	# single next hop: plain route; several: multipath
	if [ $# -eq 1 ]; then
		ip -n "$(nsname rt)" route replace "$VIP4/32" via "$(pop4 "$1")"
		ip -n "$(nsname rt)" -6 route replace "$VIP6/128" \
			via "$(pop6 "$1")"
	else
		nh4=""
		for p in "$@"; do
			nh4+=" nexthop via $(pop4 "$p") dev p$p"
		done
		ip -n "$(nsname rt)" route replace "$VIP4/32" $nh4
		ip -n "$(nsname rt)" -6 route replace "$VIP6/128" $nh6
	fi
}

# lab_backend_up N - decapsulator, VIPs on lo, servers
lab_backend_up() {
	local n=$1
	nsx "be$n" "$LAB_XLBCTL" backend-host setup --iface eth0 \
		--pin-dir "/sys/fs/bpf/xlb-$LAB_P-be$n" \
		--vip "$VIP4" --vip "$VIP6" || return 1
	lab_defer nsx "be$n" "$LAB_XLBCTL" backend-host teardown \
		--iface eth0 --pin-dir "/sys/fs/bpf/xlb-$LAB_P-be$n"
	lab_backend_serve "$n" "srv-be$n"
}

# lab_backend_serve N LOG - start the servers of backend N and wait for
# their "serving" line (printed once every socket is bound, so no port is
# polled half-open)
lab_backend_serve() {
	local n=$1 log=$2
	# on the VIPs (client traffic) and on its own addresses (checks)
	lab_bg "be$n" "$log" "$LAB_PY" "$LAB_TRAFFIC" serve --name "be$n" \
		--addr "$VIP4" --addr "$VIP6" --addr "$(be4 "$n")" \
		--addr "$(be6 "$n")"
	eval "LAB_SRV_PID_$n=$LAB_LAST_PID"
	lab_wait 15 grep -q '^serving' "$LAB_TMP/$log.log" || {
		lab_log "servers of be$n did not start:"
		sed 's/^/#   /' "$LAB_TMP/$log.log" | tail -5
		return 1
	}
}

# lab_backend_kill N / lab_backend_revive N - stop or restart its servers
lab_backend_kill() {
	local pid
	eval "pid=\${LAB_SRV_PID_$1:-}"
	[ -n "$pid" ] && lab_stop "$pid"
}

lab_backend_revive() {
	lab_backend_serve "$1" "srv-be$1-again-$(date +%s%N)"
}

# lab_pop_config N FILE [BACKENDS] [EXTRA_VIP_YAML] [CHECKS_YAML] - write the
# config of PoP N: TCP :80 and :7, UDP :5300 VIPs for v4 and v6, backends
# 1..NBE (or the list given, e.g. "1 2")
lab_pop_config() {
	local n=$1 f=$2 bes=${3:-$(seq -s' ' "$LAB_NBE")} vipx=${4:-}
	local checks=${5:-} b v port proto addr
	{
		echo "interfaces:"
		echo "  - name: eth0"
		echo "lb:"
		echo "  source4: $(pop4 "$n")"
		echo "  source6: $(pop6 "$n")"
		echo "  hash_seed: 42"
		# lb.second_chance (docs/scaling.md): unset, xlbd's default
		[ -n "${LAB_SECOND_CHANCE:-}" ] &&
			echo "  second_chance: $LAB_SECOND_CHANCE"
		echo "  tables:"
		echo "    max_vips: 16"
		echo "    max_backends: 256"
		echo "    ring_max: 65537"
		echo "    conn_max: 65536"
		echo "api:"
		echo "  socket: $LAB_TMP/pop$n.sock"
		echo "log:"
		echo "  level: ${LAB_LOG_LEVEL:-info}"
		[ -n "$checks" ] && printf '%s\n' "$checks"
		echo "vips:"
		for v in "$VIP4:80:tcp" "$VIP4:7:tcp" "$VIP4:5300:udp" \
			"$VIP6:80:tcp" "$VIP6:7:tcp" "$VIP6:5300:udp"; do
			proto=${v##*:}
			v=${v%:*}
			port=${v##*:}
			addr=${v%:*}
			echo "  - address: $addr"
			echo "    port: $port"
			echo "    protocol: $proto"
			[ -n "$vipx" ] && printf '%s\n' "$vipx"
			echo "    backends:"
			for b in $bes; do
				case $addr in
				*:*) echo "      - address: $(be6 "$b")" ;;
				*) echo "      - address: $(be4 "$b")" ;;
				esac
			done
		done
	} >"$f"
}

# lab_pop_start N [XLBD_ARGS...] - start xlbd in PoP N with
# $LAB_TMP/popN.yaml, wait for its socket
lab_pop_start() {
	local n=$1
	shift
	local log
	log=xlbd-pop$n-$(date +%s%N)
	lab_bg "pop$n" "$log" "$LAB_XLBD" \
		-c "$LAB_TMP/pop$n.yaml" -p "/sys/fs/bpf/xlb-$LAB_P-pop$n" \
		--state-file "$LAB_TMP/pop$n.state.json" "$@"
	eval "LAB_XLBD_PID_$n=$LAB_LAST_PID"
	# named, not looked up: the new log may not exist yet
	LAB_LAST_XLBD_LOG=$LAB_TMP/$log.log
	# registered once: detach and unpin whatever the test left
	if ! grep -q "pop$n-cleanup" <<<"${LAB_CLEANUP_CMDS[*]:-}"; then
		lab_defer "nsx pop$n $LAB_XLBD --cleanup -c $LAB_TMP/pop$n.yaml \
-p /sys/fs/bpf/xlb-$LAB_P-pop$n # pop$n-cleanup"
	fi
	lab_wait 15 xpop "$n" status || {
		lab_log "xlbd in pop$n did not come up:"
		sed 's/^/#   /' "$LAB_LAST_XLBD_LOG" | tail -20
		return 1
	}
}

# lab_pop_stop N - stop xlbd in PoP N (the data path stays)
lab_pop_stop() {
	local pid
	eval "pid=\${LAB_XLBD_PID_$1:-}"
	[ -n "$pid" ] && lab_stop "$pid"
}

# xpop N ARGS... - xlbctl against PoP N
xpop() {
	local n=$1
	shift
	nsx "pop$n" "$LAB_XLBCTL" -s "$LAB_TMP/pop$n.sock" "$@"
}

# be_health VIP ADDR - "state:check" of ADDR's health in PoP 1's xlbctl
# backend show (via_vip cases of suite_e2e and suite_gue)
be_health() {
	xpop 1 -j backend show "$1" | "$LAB_PY" -c '
import json, sys
for b in json.load(sys.stdin):
    if b["address"] == sys.argv[1]:
        h = b.get("health", {})
        print("%s:%s" % (h.get("state"), h.get("check")))' "$2"
}

be_health_is() { [ "$(be_health "$1" "$2")" = "$3" ]; }

# lab_http VIP N SPORT_BASE - N requests from the client; prints the JSON
lab_http() {
	nsx cl "$LAB_PY" "$LAB_TRAFFIC" http --vip "$1" --n "$2" \
		--sport-base "$3" --timeout 2 --deadline 120
}

# pcap_ms_since FILE first|last T0 - milliseconds from T0 (date +%s%N) to
# the first or last packet captured in FILE; fails if it holds none
pcap_ms_since() {
	local t
	t=$(tcpdump -nn -tt -r "$1" 2>/dev/null | if [ "$2" = first ]; then
		head -1
	else
		tail -1
	fi | awk '{print $1}')
	[ -n "$t" ] || return 1
	"$LAB_PY" -c "print(round(($t * 1e9 - $3) / 1e6, 1))"
}

# json_get JSON KEY - a top-level value of a JSON object
json_get() {
	"$LAB_PY" -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"
}

# hold_start NAME VIP - a long-lived TCP connection to the line echo
hold_start() {
	lab_bg cl "hold-$1" "$LAB_PY" "$LAB_TRAFFIC" hold --vip "$2" \
		--duration 600 --interval 0.05 --timeout 3 \
		--status "$LAB_TMP/hold-$1.json"
	eval "HOLD_PID_$1=$LAB_LAST_PID"
	lab_wait 10 hold_ok_above "$1" 2
}

hold_field() {
	"$LAB_PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' \
		"$LAB_TMP/hold-$1.json" "$2" 2>/dev/null
}

# hold_ok_above NAME N - the connection has N answers and no error
hold_ok_above() {
	local ok
	ok=$(hold_field "$1" ok)
	[ "$(hold_field "$1" error)" = None ] && [ "${ok:-0}" -gt "$2" ]
}

# hold_alive NAME - still answering: 10 more answers within 5 s, no error
hold_alive() {
	local ok pid
	eval "pid=\$HOLD_PID_$1"
	kill -0 "$pid" 2>/dev/null || {
		lab_log "hold $1 exited: $(cat "$LAB_TMP/hold-$1.json")"
		return 1
	}
	ok=$(hold_field "$1" ok)
	lab_wait 5 hold_ok_above "$1" "$((ok + 10))" || {
		lab_log "hold $1 stalled: $(cat "$LAB_TMP/hold-$1.json")"
		return 1
	}
}

hold_stop() {
	local pid
	eval "pid=\$HOLD_PID_$1"
	touch "$LAB_TMP/hold-$1.json.stop"
	lab_wait 5 sh -c "! kill -0 $pid 2>/dev/null" || lab_stop "$pid"
}
