#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_adopt.sh - an upgrade from an older build re-adopts its pins, even
# though that build lacked a map this one has (docs/edge-host.md, 7.):
#
#   cl (10.1.0.2) ──veth── pop (10.1.0.1, xlbd, XDP on eth0)
#
# The older build is a real one: xlbd and xlbctl of $ADOPT_OLD_REV, built
# from this repository's history into $BUILD/adopt-old-REV (once; about
# 15 s). Its pins are every map but xlb_quic_vcnt (the per-VIP QUIC
# counters, added after it), and its program, attached, uses none of that
# map. Removing the pin of xlb_quic_vcnt under this build's program is not
# the same state: xlbd re-pins the attached program's own map (that case is
# tests/failsafe/suite_failsafe.sh's "removed pins are pinned again").
#
# As in suite_xlbd, the PoP sends what it encapsulates back to cl, where
# tcpdump sees which backend each flow went to. The backend set changes at
# the upgrade (a fourth backend), so a flow that lost its connection entry
# would be hashed onto the new ring and about a quarter of them would move.
#
# Without git or without that commit in the history, the case is skipped.
. "$(dirname "$0")/lib.sh"

VIP=192.0.2.10
QVIP=192.0.2.20
# the build before xlb_quic_vcnt (a799ffb added it): main at 7 December
ADOPT_OLD_REV=${ADOPT_OLD_REV:-69e3dbf}
lab_xlb_binaries # PY, XLBD, XLBCTL (ASan+UBSan builds when made)

lab_init adopt
CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
STATE=$LAB_TMP/state.json
PIN=/sys/fs/bpf/xlb-$LAB_P
OLD=$BUILD/adopt-old-$ADOPT_OLD_REV

# write_config "BACKEND..." - a UDP VIP with these backends (last octets
# of 10.2.0.x), and a QUIC VIP routing on a 2-byte server id at offset 1
write_config() {
	local b
	{
		cat <<EOF
interfaces:
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
EOF
		for b in $1; do
			echo "      - address: 10.2.0.$b"
		done
		cat <<EOF
  - address: $QVIP
    port: 4433
    protocol: udp
    ring_size: 251
    quic_id_length: 2
    quic_id_offset: 1
    backends:
      - address: 10.2.0.1
        quic_id: 0x0101
      - address: 10.2.0.2
        quic_id: 0x0102
      - address: 10.2.0.3
        quic_id: 0x0103
EOF
	} >"$CFG"
}

# start XLBD XLBCTL - xlbd in pop, until its API answers
start() {
	local name
	name=xlbd-$(date +%s%N)
	lab_bg pop "$name" "$1" -c "$CFG" -p "$PIN" --state-file "$STATE"
	XLBD_PID=$LAB_LAST_PID
	XLBD_LOG=$LAB_TMP/$name.log
	lab_wait 15 nsx pop "$2" -s "$SOCK" status || {
		lab_log "xlbd did not come up:"
		sed 's/^/#   /' "$XLBD_LOG" | tail -20
		return 1
	}
}

# stop - as a restart does: SIGTERM, the program and the pins stay
stop() {
	lab_stop "$XLBD_PID"
	lab_san_clean "$XLBD_LOG"
}

# send_flows N BASE - one datagram to VIP:5300 from each source port
send_flows() {
	nsx cl "$PY" - "$1" "$2" "$VIP" <<'EOF'
import socket, sys, time
n, base, vip = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.1.0.2", base + i))
    s.sendto(b"x", (vip, 5300))
    s.close()
    time.sleep(0.002)  # paced: the capture on the client must keep up
EOF
}

# send_quic N BASE SID - QUIC short headers to QVIP:4433 from N ports whose
# DCID carries server id SID (the layout of tests/netns/quic_send.py)
send_quic() {
	nsx cl "$PY" - "$1" "$2" "$3" "$QVIP" <<'EOF'
import socket, sys
n, base, sid, vip = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3], 0), sys.argv[4]
d = bytes([0]) + sid.to_bytes(2, "big")
d += bytes(range(0x30, 0x30 + 8 - len(d)))
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.1.0.2", base + i))
    s.sendto(bytes([0x41]) + d + bytes([0x17]) + bytes(24), (vip, 4433))
    s.close()
EOF
}

# capture_start NAME / capture_stop NAME N - encapsulated packets seen by
# cl; NAME.flows gets "sport backend" of each flow to VIP:5300
capture_start() {
	lab_bg cl "tcpdump-$1" tcpdump -i eth0 -nn -U --immediate-mode \
		-w "$LAB_TMP/$1.pcap" 'ip proto 4'
	CAP_PID=$LAB_LAST_PID
	lab_wait 10 grep -q "listening on" "$LAB_TMP/tcpdump-$1.log"
}

capture_stop() {
	lab_wait 5 sh -c "[ \$(tcpdump -nn -r $LAB_TMP/$1.pcap 2>/dev/null |
wc -l) -ge $2 ]"
	lab_stop "$CAP_PID"
	tcpdump -nn -r "$LAB_TMP/$1.pcap" 2>/dev/null |
		sed -n "s/.* IP 10\.1\.0\.1 > \([0-9.]*\): IP 10\.1\.0\.2\.\([0-9]*\) > ${VIP//./\\.}\.5300: .*/\2 \1/p" |
		sort -u >"$LAB_TMP/$1.flows"
}

# pin_ids FILE - "name map-id" of every map pinned in PIN (but the
# attached program's .rodata, pinned as its identity, not a map to adopt)
pin_ids() {
	local f id
	: >"$1"
	for f in "$PIN"/xlb_*; do
		[ "${f##*/}" = xlb_lb_rodata ] && continue
		id=$(bpftool -j map show pinned "$f" 2>/dev/null |
			"$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])' \
				2>/dev/null) || continue
		echo "${f##*/} $id" >>"$1"
	done
}

# attached_map_ids - the map ids of the program attached to pop's eth0
attached_map_ids() {
	local prog
	prog=$(xdp_prog_id) || return 1
	bpftool -j prog show id "$prog" | "$PY" -c '
import json, sys
print(" ".join(str(i) for i in json.load(sys.stdin).get("map_ids", [])))'
}

# quic_routed CTL [VIP] - the routed QUIC counter, global or of one VIP
quic_routed() {
	nsx pop "$1" -s "$SOCK" -j stats | "$PY" -c '
import json, sys
st = json.load(sys.stdin)
if len(sys.argv) < 2:
    print(st["global"]["quic_routed"])
else:
    print([v for v in st["vips"] if v["address"] == sys.argv[1]][0]["quic"]["routed"])' \
		${2:+"$2"}
}

# build_old - xlbd and xlbctl of ADOPT_OLD_REV in OLD (skip: no history)
build_old() {
	[ -x "$OLD/build/xlbd" ] && [ -x "$OLD/build/xlbctl" ] && return 0
	command -v git >/dev/null 2>&1 &&
		git -C "$LAB_ROOT" cat-file -e "$ADOPT_OLD_REV^{commit}" \
			2>/dev/null || {
		lab_log "no git history with $ADOPT_OLD_REV: cannot build it"
		return $LAB_SKIP
	}
	rm -rf "$OLD" && mkdir -p "$OLD/src" || return 1
	git -C "$LAB_ROOT" archive "$ADOPT_OLD_REV" | tar -x -C "$OLD/src" ||
		return 1
	# not the make that may run this suite (make test): its flags stay out
	timeout 600 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL nice make \
		-C "$OLD/src" BUILD="$OLD/build" SAN=0 "$OLD/build/xlbd" \
		"$OLD/build/xlbctl" >"$LAB_TMP/old-build.log" 2>&1 || {
		lab_log "building $ADOPT_OLD_REV failed:"
		tail -20 "$LAB_TMP/old-build.log" | sed 's/^/#   /'
		rm -rf "$OLD/build"
		return 1
	}
}

# fresh - no xlbd, no program, no pins, no state: a case starts here
fresh() {
	[ -n "${XLBD_PID:-}" ] && lab_stop "$XLBD_PID"
	nsx pop "$XLBD" --cleanup -c "$CFG" -p "$PIN" >/dev/null 2>&1
	rm -f "$STATE"
	! test -e "$PIN"
}

# xdp_prog_id - the id of the program attached to pop's eth0
xdp_prog_id() {
	ip -n "$(nsname pop)" -j link show dev eth0 | "$PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])'
}

setup() {
	lab_ns cl && lab_ns pop || return 1
	lab_link cl eth0 pop eth0
	lab_addr cl eth0 10.1.0.2/24
	lab_addr pop eth0 10.1.0.1/24
	ip -n "$(nsname cl)" route add 192.0.2.0/24 via 10.1.0.1
	ip -n "$(nsname pop)" route add 10.2.0.0/24 via 10.1.0.2
	lab_xdp_pass cl eth0
	nsx cl ping -c1 -W1 10.1.0.1 >/dev/null
	lab_defer "nsx pop $BUILD/xlbd --cleanup -c $CFG -p $PIN"
}

test_upgrade_from_a_build_without_xlb_quic_vcnt() {
	local rc r0 ids line n created old_prog
	build_old
	rc=$?
	[ $rc -eq 0 ] || return $rc
	lab_log "older build: $ADOPT_OLD_REV ($OLD/build/xlbd)"
	fresh || return 1

	# the older build runs, pins its maps, carries 200 flows
	write_config "1 2 3"
	start "$OLD/build/xlbd" "$OLD/build/xlbctl" || return 1
	check "older build pinned its maps" test -e "$PIN/xlb_conn4_v3" ||
		return 1
	check "older build has no xlb_quic_vcnt pin" \
		test ! -e "$PIN/xlb_quic_vcnt" || return 1
	old_prog=$(xdp_prog_id)
	capture_start t1 || return 1
	send_flows 200 30000
	capture_stop t1 200
	check "200 flows seen encapsulated" \
		test "$(wc -l <"$LAB_TMP/t1.flows")" -eq 200 || return 1
	check "on the three backends" test "$(cut -d' ' -f2 "$LAB_TMP/t1.flows" |
		sort -u | wc -l)" -eq 3 || return 1
	send_quic 10 41000 0x0102
	r0=$(quic_routed "$OLD/build/xlbctl")
	check "older build routed QUIC by id" test "${r0:-0}" -ge 10 ||
		return 1

	# a restart into this build, with a fourth backend in the config
	stop || return 1
	pin_ids "$LAB_TMP/before.ids"
	sed 's/^/# pinned before: /' "$LAB_TMP/before.ids"
	write_config "1 2 3 4"
	start "$XLBD" "$XLBCTL" || return 1
	grep -E 'pinned maps|adopted|replaced program' "$XLBD_LOG" |
		sed 's/^/# xlbd: /'
	pin_ids "$LAB_TMP/after.ids"

	# (a) the older build's maps re-adopted: the same maps, not new ones
	while read -r line; do
		check "re-adopted $line" grep -qx "$line" "$LAB_TMP/after.ids" ||
			return 1
	done <"$LAB_TMP/before.ids"
	# (b) the missing map exists, pinned, and is the program's
	check "xlb_quic_vcnt pinned now" grep -q '^xlb_quic_vcnt ' \
		"$LAB_TMP/after.ids" || return 1
	check "this build's program replaced the older one" \
		test "$(xdp_prog_id)" != "$old_prog" || return 1
	check "the attached program uses the pinned xlb_quic_vcnt" grep -qw \
		"$(sed -n 's/^xlb_quic_vcnt //p' "$LAB_TMP/after.ids")" \
		<<<"$(attached_map_ids)" || return 1
	# (c) established flows keep their backend on the new ring
	capture_start t2 || return 1
	send_flows 200 30000
	capture_stop t2 200
	check "every flow still goes where it went" \
		diff "$LAB_TMP/t1.flows" "$LAB_TMP/t2.flows" || return 1
	# (d) QUIC counters: the global ones adopted, the per-VIP ones new
	send_quic 10 41100 0x0102
	check "global quic_routed went on from $r0" \
		test "$(quic_routed "$XLBCTL")" -eq $((r0 + 10)) || return 1
	check "per-VIP quic routed counts from zero" \
		test "$(quic_routed "$XLBCTL" "$QVIP")" -eq 10 || return 1
	# one clear line on the map it created, and which one
	n=$(wc -l <"$LAB_TMP/before.ids")
	created=$(grep -c 'created empty' "$XLBD_LOG")
	check "one line on the maps created" test "$created" -eq 1 || return 1
	line="info: pinned maps in $PIN: $n re-adopted, 1 created empty as not"
	line+=" pinned (new in this build, or a pin removed): xlb_quic_vcnt"
	line+=" (per-VIP QUIC counters start at zero)"
	check "an info line: $n re-adopted, xlb_quic_vcnt created, what it loses" \
		grep -qF "$line" "$XLBD_LOG" || return 1
	check "the replaced program's flows are said kept" grep -q \
		"replaced program.*the flows are in the re-adopted maps" \
		"$XLBD_LOG" || return 1

	stop || return 1
	# a second restart: everything re-adopted, nothing created
	start "$XLBD" "$XLBCTL" || return 1
	check "next restart creates nothing" sh -c \
		"! grep -q 'created empty' $XLBD_LOG" || return 1
	check "per-VIP QUIC counters kept" \
		test "$(quic_routed "$XLBCTL" "$QVIP")" -eq 10 || return 1
	stop
}

# Every map added after the first build (docs/edge-host.md, "Maps an older
# build may lack"), but the connection tables, loses its pin while no
# program is attached (the state a build from before all of them leaves,
# less its program): each is created, pinned, named in one info line with
# what starting empty means, and the flows stay where they were.
LATER_MAPS="xlb_stats_v4 xlb_mtu xlb_limits xlb_rl xlb_ring_prev
xlb_chance_cnt xlb_quic_vips xlb_quic_ids xlb_quic_stats xlb_quic_vcnt"

test_maps_added_after_the_first_build_are_created_when_unpinned() {
	local m n line ids
	fresh || return 1
	write_config "1 2 3"
	start "$XLBD" "$XLBCTL" || return 1
	capture_start t3 || return 1
	send_flows 200 32000
	capture_stop t3 200
	check "200 flows seen encapsulated" \
		test "$(wc -l <"$LAB_TMP/t3.flows")" -eq 200 || return 1
	stop || return 1
	ip -n "$(nsname pop)" link set dev eth0 xdp off || return 1
	for m in $LATER_MAPS; do
		rm "$PIN/$m" || return 1
	done
	pin_ids "$LAB_TMP/kept.ids"
	write_config "1 2 3 4"
	start "$XLBD" "$XLBCTL" || return 1
	grep -E 'pinned maps|adopted|attached' "$XLBD_LOG" | sed 's/^/# xlbd: /'
	pin_ids "$LAB_TMP/after2.ids"
	while read -r line; do
		check "re-adopted $line" grep -qx "$line" "$LAB_TMP/after2.ids" ||
			return 1
	done <"$LAB_TMP/kept.ids"
	ids=$(attached_map_ids) || return 1
	for m in $LATER_MAPS; do
		check "$m pinned again, the program's" grep -qw \
			"$(sed -n "s/^$m //p" "$LAB_TMP/after2.ids")" <<<"$ids" ||
			return 1
	done
	capture_start t4 || return 1
	send_flows 200 32000
	capture_stop t4 200
	check "every flow still goes where it went" \
		diff "$LAB_TMP/t3.flows" "$LAB_TMP/t4.flows" || return 1
	send_quic 10 41200 0x0102
	check "QUIC routed by id, counted from zero" \
		test "$(quic_routed "$XLBCTL" "$QVIP")" -eq 10 || return 1
	check "the global QUIC counters too" \
		test "$(quic_routed "$XLBCTL")" -eq 10 || return 1
	n=$(echo $LATER_MAPS | wc -w)
	check "one line on the maps created" \
		test "$(grep -c 'created empty' "$XLBD_LOG")" -eq 1 || return 1
	line=$(grep 'created empty' "$XLBD_LOG")
	check "an info line" grep -q "info: pinned maps in $PIN: $(wc -l \
		<"$LAB_TMP/kept.ids") re-adopted, $n created empty" <<<"$line" ||
		return 1
	for m in $LATER_MAPS; do
		check "it names $m" grep -qE "[:,] $m( \(|,|$)" <<<"$line" ||
			return 1
	done
	stop
}

setup || exit 1
lab_run_cases test_upgrade_from_a_build_without_xlb_quic_vcnt \
	test_maps_added_after_the_first_build_are_created_when_unpinned
exit $LAB_FAILED
