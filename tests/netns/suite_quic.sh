#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_quic.sh - QUIC connection-ID routing (docs/datapath.md, QUIC) with
# real daemons and real datagrams:
#
#   cl ── rt ──┬── pop1 (xlbd, XDP on eth0)
#              └── be1, be2, be3 (decap, UDP echo :5300 on the VIPs)
#
# The UDP :5300 VIPs route on a 2-byte server id at offset 1 of the DCID;
# backend N holds id 0x010N. The client sends QUIC-shaped datagrams
# (tests/netns/quic_send.py) from several addresses and ports: a DCID with
# be2's id must reach be2 from all of them (a client migrating), an
# unknown id goes through the ring like any UDP flow, and a backend that
# is down takes nothing through its id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_init quic
QS=$LAB_ROOT/tests/netns/quic_send.py

# quic_config FILE - the UDP VIPs only, with QUIC routing
quic_config() {
	local v b
	{
		echo "interfaces:"
		echo "  - name: eth0"
		echo "lb:"
		echo "  source4: $(pop4 1)"
		echo "  source6: $(pop6 1)"
		echo "  hash_seed: 42"
		echo "  tables: {max_vips: 8, max_backends: 64, ring_max: 251,"
		echo "           conn_max: 4096}"
		echo "api:"
		echo "  socket: $LAB_TMP/pop1.sock"
		echo "metrics:"
		echo "  listen: 127.0.0.1:9110"
		echo "vips:"
		for v in "$VIP4" "$VIP6"; do
			echo "  - address: $v"
			echo "    port: 5300"
			echo "    protocol: udp"
			echo "    ring_size: 251"
			echo "    quic_id_length: 2"
			echo "    quic_id_offset: 1"
			echo "    backends:"
			for b in 1 2 3; do
				case $v in
				*:*) echo "      - address: $(be6 $b)" ;;
				*) echo "      - address: $(be4 $b)" ;;
				esac
				echo "        quic_id: 0x010$b"
			done
		done
	} >"$1"
}

setup() {
	local i
	lab_topology 1 3 || return 1
	lab_route_vips 1
	# more client addresses: a migrating client changes address
	lab_addr cl eth0 10.100.0.3/24
	lab_addr cl eth0 10.100.0.4/24
	lab_addr cl eth0 fd00:100::3/64
	for i in 1 2 3; do
		lab_backend_up "$i" || {
			lab_log "backend $i did not come up"
			return 1
		}
	done
	quic_config "$LAB_TMP/pop1.yaml"
	lab_pop_start 1
}

# qsend ARGS... - quic_send.py from the client; prints its JSON
qsend() {
	nsx cl "$LAB_PY" "$QS" "$@"
}

# only_from JSON NAME - every datagram answered, all by NAME
only_from() {
	"$LAB_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d["errors"] == 0 and list(d["counts"]) == [sys.argv[2]] else 1)' "$1" "$2"
}

# stat NAME - a global counter of xlbctl stats
stat() {
	xpop 1 -j stats | "$LAB_PY" -c \
		'import json,sys; print(json.load(sys.stdin)["global"][sys.argv[1]])' "$1"
}

test_migrating_client_keeps_its_backend_ipv4() {
	local out r0
	r0=$(stat quic_routed)
	# 12 sources: three addresses, twelve ports; the ring alone would
	# spread them over the three backends
	out=$(qsend --vip "$VIP4" --src 10.100.0.2 --src 10.100.0.3 \
		--src 10.100.0.4 --sport-base 41000 --n 12 --sid 0x0102)
	lab_log "be2's id from 12 sources: $out"
	check "all answered by be2" only_from "$out" be2 || return 1
	check "quic_routed counted them" \
		test "$(stat quic_routed)" -ge $((r0 + 12))
}

test_migrating_client_keeps_its_backend_ipv6() {
	local out
	out=$(qsend --vip "$VIP6" --src fd00:100::2 --src fd00:100::3 \
		--sport-base 41100 --n 8 --sid 0x0103)
	lab_log "be3's id from 8 sources: $out"
	check "all answered by be3" only_from "$out" be3
}

test_long_header_with_a_known_id() {
	local out
	out=$(qsend --vip "$VIP4" --src 10.100.0.2 --src 10.100.0.3 \
		--sport-base 41200 --n 6 --sid 0x0101 --long)
	lab_log "long headers with be1's id: $out"
	check "all answered by be1" only_from "$out" be1
}

test_unknown_id_goes_through_the_ring() {
	local out u0
	u0=$(stat quic_unknown_id)
	out=$(qsend --vip "$VIP4" --src 10.100.0.2 --sport-base 41300 \
		--n 30 --sid 0x7777)
	lab_log "an unknown id from 30 ports: $out"
	check "all answered, by more than one backend" "$LAB_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d["errors"] == 0 and len(d["counts"]) > 1 else 1)' "$out" ||
		return 1
	check "quic_unknown_id counted them" \
		test "$(stat quic_unknown_id)" -ge $((u0 + 30))
}

test_down_backend_takes_nothing_through_its_id() {
	local out f0
	f0=$(stat quic_fallback)
	xpop 1 backend set "$VIP4" --port 5300 --proto udp "$(be4 2)" \
		state down || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.2 --sport-base 41400 \
		--n 12 --sid 0x0102)
	lab_log "be2 down, its id from 12 ports: $out"
	xpop 1 backend set "$VIP4" --port 5300 --proto udp "$(be4 2)" \
		state up || return 1
	check "answered, never by be2" "$LAB_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d["errors"] == 0 and "be2" not in d["counts"] else 1)' "$out" ||
		return 1
	check "quic_fallback counted them" \
		test "$(stat quic_fallback)" -ge $((f0 + 12)) || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.3 --sport-base 41500 \
		--n 4 --sid 0x0102)
	check "be2 back up gets its id again" only_from "$out" be2
}

test_ids_in_show_dump_and_errors() {
	local out
	out=$(xpop 1 backend show "$VIP4" --port 5300 --proto udp)
	printf '%s\n' "$out" | sed 's/^/# /'
	check "backend show has a QUIC ID column" \
		grep -q "QUIC ID" <<<"$out" || return 1
	check "be2's id shown" grep -qE "$(be4 2) +0x102 " <<<"$out" ||
		return 1
	out=$(xpop 1 config dump)
	check "config dump has the ids" grep -q "quic_id: 0x102" <<<"$out" ||
		return 1
	check "config dump has the length" \
		grep -q "quic_id_length: 2" <<<"$out" || return 1
	out=$(xpop 1 backend set "$VIP4" --port 5300 --proto udp \
		"$(be4 3)" quic_id 0x102 2>&1)
	lab_log "duplicate: $out"
	check "a duplicate id is refused" \
		grep -q "quic_id 0x102 is also backend $(be4 2)'s" <<<"$out" ||
		return 1
	out=$(xpop 1 vip set "$VIP4" --port 5300 --proto udp \
		--quic-id-length 1 2>&1)
	lab_log "too long for 1 byte: $out"
	check "an id longer than the length is refused" \
		grep -q "does not fit quic_id_length 1" <<<"$out" || return 1
	# a new id through the CLI steers at once
	xpop 1 backend set "$VIP4" --port 5300 --proto udp "$(be4 1)" \
		quic_id 0xabcd || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.4 --sport-base 41600 \
		--n 4 --sid 0xabcd)
	check "be1's new id reaches be1" only_from "$out" be1 || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.4 --sport-base 41700 \
		--n 12 --sid 0x0101)
	lab_log "be1's old id: $out"
	check "be1's old id is unknown now (ring)" "$LAB_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d["errors"] == 0 and len(d["counts"]) > 1 else 1)' "$out"
}

# metrics_agree - the metrics' xlb_quic_packets_total equal the stats'
# quic_* counters (the metrics text is rebuilt every few seconds)
metrics_agree() {
	local out st
	st=$(xpop 1 -j stats) || return 1
	out=$(nsx pop1 curl -sf http://127.0.0.1:9110/metrics) || return 1
	"$LAB_PY" -c '
import json, re, sys
g = json.loads(sys.argv[1])["global"]
m = dict(re.findall(r"^xlb_quic_packets_total\{result=\"(\w+)\"\} (\d+)$",
                    sys.argv[2], re.M))
sys.exit(0 if set(m) == {"routed", "unknown_id", "fallback", "no_id"} and
         all(int(m[k]) == g["quic_" + k] for k in m) else 1)' "$st" "$out"
}

test_metrics_match_the_stats() {
	check "xlb_quic_packets_total equals xlbctl stats' quic_*" \
		lab_wait 20 metrics_agree || return 1
	nsx pop1 curl -sf http://127.0.0.1:9110/metrics | grep '^xlb_quic' |
		sed 's/^/# /'
	check "some were routed" test "$(stat quic_routed)" -gt 0
}

# vips_agree - per VIP: the stats' "quic" counters equal the metrics'
# xlb_vip_quic_packets_total, and the VIPs' add up to the global ones (no
# VIP has been removed yet), in the stats and in the metrics alike
vips_agree() {
	local out st
	st=$(xpop 1 -j stats) || return 1
	out=$(nsx pop1 curl -sf http://127.0.0.1:9110/metrics) || return 1
	"$LAB_PY" -c '
import json, re, sys
st = json.loads(sys.argv[1])
g = st["global"]
res = ("routed", "unknown_id", "fallback", "no_id")
m = {}
for v, r, n in re.findall(
        r"^xlb_vip_quic_packets_total\{vip=\"([^\"]+)\",result=\"(\w+)\"\} (\d+)$",
        sys.argv[2], re.M):
    m.setdefault(v, {})[r] = int(n)
mg = dict(re.findall(r"^xlb_quic_packets_total\{result=\"(\w+)\"\} (\d+)$",
                     sys.argv[2], re.M))
vs = {}
for v in st["vips"]:
    a = v["address"]
    name = ("[%s]" % a if ":" in a else a) + ":%s/%s" % (v["port"], v["protocol"])
    vs[name] = v["quic"]
ok = (len(vs) == 2 and set(vs) == set(m) and
      all(m[n] == {r: vs[n][r] for r in res} for n in vs) and
      all(sum(vs[n][r] for n in vs) == g["quic_" + r] for r in res) and
      all(sum(m[n][r] for n in m) == int(mg[r]) for r in res))
if not ok:
    print("# stats:", vs, "global:", g, file=sys.stderr)
    print("# metrics:", m, mg, file=sys.stderr)
sys.exit(0 if ok else 1)' "$st" "$out"
}

test_counters_per_vip() {
	local out
	check "per VIP: stats and metrics agree and add up to the global" \
		lab_wait 20 vips_agree || return 1
	out=$(xpop 1 stats)
	printf '%s\n' "$out" | grep -E '^vip|quic' | sed 's/^/# /'
	check "xlbctl stats has a quic line per QUIC VIP" \
		test "$(grep -c '^  quic: [1-9][0-9]* routed' <<<"$out")" = 2 ||
		return 1
	check "the IPv6 VIP's own: only routed ones (be3's id, 8 sources)" \
		"$LAB_PY" -c '
import json, sys
v = [v for v in json.loads(sys.argv[1])["vips"] if ":" in v["address"]][0]
q = v["quic"]
sys.exit(0 if q["routed"] >= 8 and q["unknown_id"] == q["fallback"] ==
         q["no_id"] == 0 else 1)' "$(xpop 1 -j stats)"
}

test_config_rotation_is_checked() {
	local out n0
	xpop 1 vip set "$VIP4" --port 5300 --proto udp \
		--quic-config-rotation 2 || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.3 --sport-base 41900 \
		--n 6 --sid 0x0102 --first-octet 0x40)
	check "rotation 2 (0x40): be2" only_from "$out" be2 || return 1
	n0=$(stat quic_no_id)
	out=$(qsend --vip "$VIP4" --src 10.100.0.3 --sport-base 42000 \
		--n 12 --sid 0x0102 --first-octet 0x00)
	lab_log "rotation 0 with be2's id: $out"
	check "rotation 0: not read, the ring" "$LAB_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d["errors"] == 0 and len(d["counts"]) > 1 else 1)' "$out" ||
		return 1
	check "quic_no_id counted them" \
		test "$(stat quic_no_id)" -ge $((n0 + 12)) || return 1
	xpop 1 vip set "$VIP4" --port 5300 --proto udp \
		--quic-config-rotation none || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.3 --sport-base 42100 \
		--n 4 --sid 0x0102 --first-octet 0x00)
	check "no check again: be2" only_from "$out" be2
}

# flowq SPORT HEX [ARGS...] - xlbctl -j flow about the IPv4 VIP from
# 10.100.0.2:SPORT with --dcid HEX
flowq() {
	local sp=$1 hex=$2
	shift 2
	xpop 1 -j flow "$VIP4" --port 5300 --proto udp 10.100.0.2 "$sp" \
		--dcid "$hex" "$@"
}

# be_name ADDR - be1..be3 for an IPv4 backend address
be_name() {
	local i
	for i in 1 2 3; do
		[ "$(be4 $i)" = "$1" ] && echo "be$i" && return 0
	done
	echo "?"
}

# xlbctl flow --dcid answers what the data path then does with real
# datagrams: asked first (no connection entry yet), then sent
test_flow_dcid_predicts_the_backend() {
	local out sp want be
	# be2's id 0x0102: quic_send.py's DCID is 00 01 02 30 31 32 33 34
	out=$(flowq 43000 0x0001023031323334) || return 1
	lab_log "flow --dcid with be2's id: $out"
	check "routed to be2 by its id" test "$(json_get "$out" from) \
$(json_get "$out" quic) $(json_get "$out" quic_id) $(json_get "$out" backend)" \
		= "quic_id routed 0x102 $(be4 2)" || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.2 --sport-base 43000 --n 1 \
		--sid 0x0102)
	check "and the datagram reached be2" only_from "$out" be2 || return 1
	out=$(xpop 1 flow "$VIP4" --port 5300 --proto udp 10.100.0.2 43000 \
		--dcid 0001023031323334)
	printf '%s\n' "$out" | sed 's/^/# /'
	check "now from the connection table; the text names the id" \
		grep -q "quic, without a connection entry: server id 0x102 -> \
$(be4 2) (routed)" <<<"$out" || return 1
	# an unknown id: the ring, per 5-tuple; each answer checked
	for sp in 43100 43101 43102 43103 43104 43105; do
		out=$(flowq "$sp" 0x0077773031323334) || return 1
		check "port $sp: unknown id, the ring" test \
			"$(json_get "$out" from) $(json_get "$out" quic)" = \
			"ring unknown_id" || return 1
		want=$(be_name "$(json_get "$out" backend)")
		out=$(qsend --vip "$VIP4" --src 10.100.0.2 --sport-base "$sp" \
			--n 1 --sid 0x7777)
		check "port $sp: answered by $want, as flow said" \
			only_from "$out" "$want" || return 1
	done
	# be2 down: its id falls back to the ring, and never to be2
	xpop 1 backend set "$VIP4" --port 5300 --proto udp "$(be4 2)" \
		state down || return 1
	out=$(flowq 43200 0x0001023031323334)
	be=$(json_get "$out" backend)
	xpop 1 backend set "$VIP4" --port 5300 --proto udp "$(be4 2)" \
		state up || return 1
	lab_log "be2 down: $out"
	check "be2 down: fallback, the ring, not be2" test \
		"$(json_get "$out" quic) $(json_get "$out" from)" = \
		"fallback ring" -a "$be" != "$(be4 2)" || return 1
	# a DCID too short for the id range (offset 1 + 2 bytes): no id
	out=$(flowq 43300 0x0001)
	check "2-byte DCID: no id" test "$(json_get "$out" quic)" = no_id ||
		return 1
	out=$(flowq 43300 0x0g 2>&1)
	check "a DCID that is not hex is refused" \
		grep -q "argument 'dcid' must be a connection ID in hex" \
		<<<"$out"
}

# ids_in_map - entries of the pinned xlb_quic_ids
ids_in_map() {
	bpftool -j map dump pinned "/sys/fs/bpf/xlb-$LAB_P-pop1/xlb_quic_ids" |
		"$LAB_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

test_restart_keeps_the_ids() {
	local out
	# be1's id was changed to 0xabcd through the API above: the state
	# file keeps it, and the re-adopted maps are rewritten from it
	lab_pop_stop 1
	lab_pop_start 1 || return 1
	out=$(xpop 1 backend show "$VIP4" --port 5300 --proto udp)
	check "be1's id after the restart" \
		grep -qE "$(be4 1) +0xabcd " <<<"$out" || return 1
	out=$(qsend --vip "$VIP4" --src 10.100.0.2 --sport-base 41800 \
		--n 6 --sid 0xabcd)
	check "and it still steers" only_from "$out" be1
}

test_map_follows_the_config() {
	check "six ids (three per VIP)" test "$(ids_in_map)" = 6 || return 1
	xpop 1 backend set "$VIP6" --port 5300 --proto udp "$(be6 3)" \
		quic_id none || return 1
	check "one fewer once be3 has none on the IPv6 VIP" \
		test "$(ids_in_map)" = 5 || return 1
	xpop 1 vip del "$VIP6" --port 5300 --proto udp || return 1
	check "the IPv4 VIP's three once the IPv6 VIP is gone" \
		test "$(ids_in_map)" = 3
}

setup || exit 1
lab_run_cases test_migrating_client_keeps_its_backend_ipv4 \
	test_migrating_client_keeps_its_backend_ipv6 \
	test_long_header_with_a_known_id \
	test_unknown_id_goes_through_the_ring \
	test_down_backend_takes_nothing_through_its_id \
	test_ids_in_show_dump_and_errors \
	test_metrics_match_the_stats \
	test_counters_per_vip \
	test_flow_dcid_predicts_the_backend \
	test_config_rotation_is_checked \
	test_restart_keeps_the_ids \
	test_map_follows_the_config
exit $LAB_FAILED
