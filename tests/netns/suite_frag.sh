#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_frag.sh - fragmented datagrams through the balancer (issue 18):
#
#   cl (MTU 1500) ── rt ──┬── pop1 (xlbd, XDP on eth0)
#                         ├── be1 ┐ decap, VIPs on lo, UDP echo :5300
#                         └── be2 ┘
#
# The client sends 4000-byte UDP datagrams to the VIPs' :5300; its kernel
# fragments them (MTU 1500). By default the balancer drops fragments
# (drop_fragment) and no echo comes back. With "fragments: balance" on the
# UDP VIP (set at run time through the API, xlbctl vip set --fragments),
# every fragment of a datagram reaches one backend, which reassembles it
# and echoes it whole; the datagrams of one client all reach the same
# backend (source hashing), whatever its source port.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_init frag

setup() {
	lab_topology 1 2 || return 1
	lab_route_vips 1
	lab_backend_up 1 || return 1
	lab_backend_up 2 || return 1
	# The echo of a 4000-byte datagram goes back to the client directly
	# (DSR) in fragments sized for the backend's 1600-byte link. IPv4
	# routers re-fragment those, IPv6 routers answer packet-too-big, to
	# the VIP: the PoP, which cannot tie it to a flow (it quotes a
	# fragment). The backends' route to the client says 1500 instead, so
	# the test is about the datagram on its way in.
	for b in 1 2; do
		ip -n "$(nsname "be$b")" -6 route add fd00:100::/64 \
			via "fd00:102:$b::1" mtu 1500 || return 1
	done
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1 2"
	lab_pop_start 1
}

# big VIP SPORT... - one 4000-byte datagram to VIP:5300 from each source
# port; prints the answering backend per datagram ("-" when no whole echo
# came back within 2 s)
big() {
	nsx cl timeout 60 "$LAB_PY" - "$@" <<'EOF'
import socket, sys
vip = sys.argv[1]
fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
for sport in sys.argv[2:]:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sport)))
    s.settimeout(2)
    data = bytes(b"0123456789abcdef"[i % 16] for i in range(4000))
    s.sendto(data, (vip, 5300))
    try:
        got, _ = s.recvfrom(65535)
        name, _, echo = got.partition(b" ")
        print(name.decode() if echo == data else "-")
    except socket.timeout:
        print("-")
    s.close()
EOF
}

# counter NAME - a global counter of the data path
counter() {
	xpop 1 -j stats | "$LAB_PY" -c \
		'import json,sys; print(json.load(sys.stdin)["global"][sys.argv[1]])' "$1"
}

# frags_of VIP - the "fragments" of a VIP as vip show reports it
frags_of() {
	xpop 1 -j vip show "$1" | "$LAB_PY" -c '
import json, sys
v = json.load(sys.stdin)
v = v[0] if isinstance(v, list) else v.get("vips", [v])[0] if "vips" in v else v
print(v["fragments"], v["hash"])'
}

# refused ARGS... - xlbctl ARGS fails (its error logged)
refused() {
	local out
	out=$(xpop 1 "$@" 2>&1) && return 1
	lab_log "refused: $out"
}

# datagrams_dropped VIP - no echo, and drop_fragment grew
datagrams_dropped() {
	local d got
	d=$(counter drop_fragment)
	got=$(big "$1" 41000 41001 | sort -u | tr '\n' ' ')
	lab_log "$1: answers: $got"
	check "no whole echo from $1" test "$got" = "- " || return 1
	check "drop_fragment grew from $d" \
		test "$(counter drop_fragment)" -gt "$d"
}

# datagrams_balanced VIP - whole echoes, all from one backend
datagrams_balanced() {
	local f got
	f=$(counter frag_balanced)
	got=$(big "$1" 41002 41003 41004 41005 41006 41007 | sort -u |
		tr '\n' ' ')
	lab_log "$1: answers: $got"
	check "six whole echoes from one backend through $1" \
		grep -qx 'be[12] ' <<<"$got" || {
		xpop 1 -j stats | "$LAB_PY" -c 'import json,sys
g = json.load(sys.stdin)["global"]
print("# " + " ".join("%s=%s" % kv for kv in g.items() if kv[1]))'
		nsx be1 "$LAB_XLBCTL" backend-host show \
			--pin-dir "/sys/fs/bpf/xlb-$LAB_P-be1" 2>&1 | head -c 600
		return 1
	}
	check "frag_balanced grew from $f" \
		test "$(counter frag_balanced)" -gt "$f"
}

test_fragments_dropped_by_default() {
	datagrams_dropped "$VIP4" || return 1
	datagrams_dropped "$VIP6"
}

test_fragments_balanced_on_request() {
	check "xlbctl vip set $VIP4:5300/udp --fragments balance" \
		xpop 1 vip set "$VIP4:5300/udp" --fragments balance || return 1
	check "xlbctl vip set [$VIP6]:5300/udp --fragments balance" \
		xpop 1 vip set "[$VIP6]:5300/udp" --fragments balance ||
		return 1
	check "vip show: fragments balance, hash source" \
		test "$(frags_of "$VIP4:5300/udp")" = "balance source" ||
		return 1
	datagrams_balanced "$VIP4" || return 1
	datagrams_balanced "$VIP6" || return 1
	# a second VIP of the address cannot have it too
	check "a second fragments: balance VIP on $VIP4 is refused" \
		refused vip set "$VIP4:7/tcp" --fragments balance || return 1
	check "xlbctl vip set $VIP4:5300/udp --fragments drop" \
		xpop 1 vip set "$VIP4:5300/udp" --fragments drop || return 1
	datagrams_dropped "$VIP4"
}

setup || exit 1
lab_run_cases test_fragments_dropped_by_default \
	test_fragments_balanced_on_request
exit $LAB_FAILED
