#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_pmtu.sh - path MTU through the balancer, and traffic no VIP serves
# (issues 18 and 15):
#
#   cl (MTU 1500) ── rt ──┬── pop1 (xlbd, XDP on eth0)
#                         └── be1 (decap, VIPs on lo, line echo :7)
#
# The underlay (rt's links to the PoP and the backend) has MTU 1500 too,
# like a PoP whose operator did not raise it (docs/backend.md). A client's
# full-size 1500-byte packet is 1520 or 1540 bytes once encapsulated and
# cannot leave the PoP: the program answers it with ICMP frag-needed /
# packet-too-big, the client's kernel learns the smaller MTU, and a bulk
# transfer in both directions goes through.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

LAB_UNDERLAY_MTU=1500
lab_init pmtu

setup() {
	lab_topology 1 1 || return 1
	lab_route_vips 1
	lab_backend_up 1 || {
		lab_log "backend 1 did not come up"
		return 1
	}
	lab_pop_config 1 "$LAB_TMP/pop1.yaml" "1"
	lab_pop_start 1
}

# bulk VIP - 1 MiB up to the line echo through VIP, 1 MiB (and the
# backend's name) back; bounded by socket timeouts and a deadline
bulk() {
	nsx cl timeout 90 "$LAB_PY" - "$1" <<'EOF'
import socket, sys, time
vip = sys.argv[1]
fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(20)
s.connect((vip, 7))
data = b"x" * (1 << 20)
t0 = time.monotonic()
s.sendall(data + b"\n")
got = b""
while not got.endswith(b"\n"):
    chunk = s.recv(1 << 16)
    if not chunk:
        break
    got += chunk
s.close()
name, _, echo = got.partition(b" ")
ok = echo == data + b"\n"
print("# %s: sent %d, got %d back from %s in %.2f s%s" % (
    vip, len(data), len(echo), name.decode(errors="replace"),
    time.monotonic() - t0, "" if ok else " (MISMATCH)"))
sys.exit(0 if ok else 1)
EOF
}

# counter NAME - a global counter of the data path
counter() {
	xpop 1 -j stats | "$LAB_PY" -c \
		'import json,sys; print(json.load(sys.stdin)["global"][sys.argv[1]])' "$1"
}

# route_mtu_is VIP MTU - the client's route cache learned MTU for VIP
route_mtu_is() {
	ip -n "$(nsname cl)" route get "$1" | grep -qw "mtu $2"
}

# mtu_slot K - slot K of the PoP's xlb_mtu map (bpftool, host order)
mtu_slot() {
	bpftool -j map lookup pinned "/sys/fs/bpf/xlb-$LAB_P-pop1/xlb_mtu" \
		key $(($1 & 255)) $(($1 >> 8 & 255)) 0 0 | "$LAB_PY" -c '
import json, sys
v = json.load(sys.stdin)["value"]
print(int.from_bytes(bytes(int(x, 16) for x in v), "little"))'
}

test_xlbd_writes_the_ports_mtu() {
	local idx
	idx=$(ip -n "$(nsname pop1)" -o link show eth0 | cut -d: -f1)
	check "slot of eth0 ($idx) is 1500" test "$(mtu_slot "$idx")" = 1500 ||
		return 1
	check "default slot is 1500" test "$(mtu_slot 0)" = 1500
}

test_ipv4_bulk_transfer_learns_the_path_mtu() {
	local before
	before=$(counter icmp_frag_needed)
	ip -n "$(nsname cl)" route flush cache 2>/dev/null
	check "1 MiB up and down through $VIP4" bulk "$VIP4" || return 1
	lab_log "client: $(ip -n "$(nsname cl)" route get "$VIP4" | tr '\n' ' ')"
	check "client route cache shows mtu 1480 for $VIP4" \
		route_mtu_is "$VIP4" 1480 || return 1
	check "frag-needed sent (counter from $before)" \
		test "$(counter icmp_frag_needed)" -gt "$before"
}

test_ipv6_bulk_transfer_learns_the_path_mtu() {
	local before
	before=$(counter icmp_ptb)
	check "1 MiB up and down through $VIP6" bulk "$VIP6" || return 1
	lab_log "client: $(ip -n "$(nsname cl)" -6 route get "$VIP6" | tr '\n' ' ')"
	check "client route cache shows mtu 1460 for $VIP6" \
		route_mtu_is "$VIP6" 1460 || return 1
	check "packet-too-big sent (counter from $before)" \
		test "$(counter icmp_ptb)" -gt "$before"
}

# A SYN to a port of the VIP address that no VIP serves
syn_to_unserved_port() {
	nsx cl timeout 5 "$LAB_PY" -c '
import socket
s = socket.socket()
s.settimeout(1)
try:
    s.connect(("'"$VIP4"'", 2222))
except OSError:
    pass
' >/dev/null 2>&1
	return 0
}

# unserved VIP FIELD - the "unserved" of a VIP as vip show reports it
unserved_of() {
	xpop 1 -j vip show "$1" | "$LAB_PY" -c '
import json, sys
v = json.load(sys.stdin)
v = v[0] if isinstance(v, list) else v.get("vips", [v])[0] if "vips" in v else v
print(v["unserved"])'
}

test_unserved_port_dropped_then_passed_on_request() {
	local d p
	d=$(counter drop_unserved)
	syn_to_unserved_port
	check "SYN to $VIP4:2222 dropped (drop_unserved from $d)" \
		test "$(counter drop_unserved)" -gt "$d" || return 1
	check "xlbctl vip set $VIP4:80/tcp --unserved pass" \
		xpop 1 vip set "$VIP4:80/tcp" --unserved pass || return 1
	check "the address's other VIPs follow" \
		test "$(unserved_of "$VIP4:5300/udp")" = pass || return 1
	check "the IPv6 address's do not" \
		test "$(unserved_of "[$VIP6]:80/tcp")" = drop || return 1
	d=$(counter drop_unserved)
	p=$(counter pass)
	syn_to_unserved_port
	check "now passed to the stack (pass from $p)" \
		test "$(counter pass)" -gt "$p" || return 1
	check "and not dropped (drop_unserved stays $d)" \
		test "$(counter drop_unserved)" -eq "$d" || return 1
	check "the echo VIP still works" bulk "$VIP4" || return 1
	check "back to drop" \
		xpop 1 vip set "$VIP4:7/tcp" --unserved drop || return 1
	d=$(counter drop_unserved)
	syn_to_unserved_port
	check "dropped again (drop_unserved from $d)" \
		test "$(counter drop_unserved)" -gt "$d"
}

setup || exit 1
lab_run_cases test_xlbd_writes_the_ports_mtu \
	test_ipv4_bulk_transfer_learns_the_path_mtu \
	test_ipv6_bulk_transfer_learns_the_path_mtu \
	test_unserved_port_dropped_then_passed_on_request
exit $LAB_FAILED
