#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_failsafe.sh - what xlbd guarantees (docs/guarantees.md), each
# invariant tried the way an operator or a fault would break it, and
# asserted with traffic: the VIP is either served (requests through the
# router all answered) or withdrawn at the router, never announced while
# the data path drops it for longer than the hold-down.
#
#   cl ── rt (FRR) ── pop1 (xlbd + BIRD, XDP on eth0) ── be1..be3
#
# Each case leaves the PoP as it found it (announced, serving), so the
# cases run in any order and each runs alone (TEST_FILTER=name).
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/lab.sh"
. "$(dirname "$0")/../bgp/lib_bgp.sh"

lab_init failsafe

CFG=$LAB_TMP/pop1.yaml
PIN=/sys/fs/bpf/xlb-$LAB_P-pop1
HOLD_MS=1000
# a check that always says up: backends that must stand on next hops alone
CHECKS="$BGP_CHECKS
  - name: nocheck
    type: exec
    port: 80
    interval_ms: 500
    timeout_ms: 400
    command: [/bin/true]"
SPORT=20000

setup() {
	local i
	lab_topology 1 3 || return 1
	for i in 1 2 3; do
		lab_backend_up "$i" || return 1
	done
	bgp_router_start || return 1
	bgp_pop_bird_start 1 || return 1
	BGP_HOLD_DOWN_MS=$HOLD_MS bgp_pop_config 1 "$CFG" "1 2 3" \
		"    health_check: web" "$CHECKS" || return 1
	cp "$CFG" "$LAB_TMP/pop1.yaml.orig"
	lab_pop_start 1 || return 1
	lab_wait 30 rt_has_route "$VIP4"
}

# next_sport - a fresh range of client ports for each batch of requests
next_sport() {
	SPORT=$((SPORT + 100))
	echo "$SPORT"
}

# http_ok VIP - 30 requests from the client, none failing
http_ok() {
	local out
	out=$(lab_http "$1" 30 "$(next_sport)") || return 1
	[ "$(json_get "$out" errors)" = 0 ] || {
		lab_log "requests to $1: $out"
		return 1
	}
}

# served_or_withdrawn VIP - the invariant: no route at the router, or
# every request answered
served_or_withdrawn() {
	if rt_no_route "$1"; then
		lab_log "$1: withdrawn at the router"
		return 0
	fi
	http_ok "$1"
}

status_field() {
	xpop 1 -j status | "$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d.get(k) if isinstance(d, dict) else None
print(json.dumps(d))' "$1"
}

# pop_is_whole - attached, healthy, announced, serving (each case's start
# and end state)
pop_is_whole() {
	check "data path attached" \
		test "$(status_field data_path.attached)" = true || return 1
	check "VIP announced" lab_wait 15 rt_has_route "$VIP4" || return 1
	check "VIP serves" http_ok "$VIP4"
}

restart_pop() {
	lab_pop_stop 1
	lab_pop_start 1 "$@"
}

# 1. A reload that names a missing interface changes nothing.
test_reload_naming_a_missing_interface_changes_nothing() {
	local out rc
	pop_is_whole || return 1
	sed -i 's/name: eth0/name: eth9/' "$CFG"
	out=$(xpop 1 reload 2>&1)
	rc=$?
	lab_log "xlbctl reload: rc $rc: $out"
	check "reload refused" test "$rc" -ne 0 || return 1
	check "names the interface" grep -q "eth9" <<<"$out" || return 1
	check "says nothing changed" grep -q "nothing changed" <<<"$out" ||
		return 1
	out=$(nsx pop1 "$LAB_XLBD" --check -c "$CFG" 2>&1)
	rc=$?
	lab_log "xlbd --check: rc $rc: $out"
	check "xlbd --check refuses it too" test "$rc" -ne 0 || return 1
	check "and names it" grep -q "eth9: does not exist" <<<"$out" ||
		return 1
	sleep $((HOLD_MS / 1000 + 1))
	check "program still attached" \
		test "$(status_field data_path.attached)" = true || return 1
	check "XDP still on eth0" sh -c "ip -n $(nsname pop1) link show eth0 |
		grep -q xdp" || return 1
	check "still announced" rt_has_route "$VIP4" || return 1
	check "still serving" http_ok "$VIP4" || return 1
	cp "$LAB_TMP/pop1.yaml.orig" "$CFG"
	check "a good reload still works" xpop 1 reload >/dev/null
}

# be_field ADDR FIELD... - fields of a backend of VIP4:80/tcp, JSON
be_field() {
	local a=$1
	shift
	xpop 1 -j backend show "$VIP4" --port 80 --proto tcp |
		"$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
bes = d.get("backends", d) if isinstance(d, dict) else d
b = [x for x in bes if x["address"] == sys.argv[1]][0]
print(" ".join(json.dumps(b.get(k)) for k in sys.argv[2:]))' "$a" "$@"
}

be_usable() { [ "$(be_field "$1" usable)" = true ]; }
be_checked() { ! grep -q pending <<<"$(be_field "$1" out_reason)"; }

# 2. A backend whose next hop cannot be resolved takes no ring slot, and
# a VIP left with only such backends is withdrawn.
test_backend_without_next_hop_is_out_of_the_ring() {
	local bad=10.102.9.2 v show
	pop_is_whole || return 1
	# its route goes through a gateway that never answers ARP
	ip -n "$(nsname pop1)" route add "$bad/32" via 10.101.1.99 dev eth0 ||
		return 1
	lab_defer ip -n "$(nsname pop1)" route del "$bad/32"
	check "backend added" xpop 1 backend add "$VIP4" --port 80 \
		--proto tcp "$bad" --health-check nocheck >/dev/null || return 1
	# its check (always up) answers first; then the next hop keeps it out
	lab_wait 10 be_checked "$bad"
	lab_log "backend $bad: $(be_field "$bad" dp_state slots usable \
		out_reason)"
	check "holds no ring slot" test "$(be_field "$bad" slots)" = 0 ||
		return 1
	check "shown as out" test "$(be_field "$bad" usable)" = false ||
		return 1
	check "with the reason" grep -q "next hop" <<<"$(be_field "$bad" \
		out_reason)" || return 1
	xpop 1 backend show "$VIP4" --port 80 --proto tcp | sed 's/^/# /'
	check "every request answered" http_ok "$VIP4" || return 1

	# every VIP of the address left with that backend alone
	for v in 80/tcp 7/tcp 5300/udp; do
		xpop 1 backend add "$VIP4" --port "${v%/*}" --proto "${v#*/}" \
			"$bad" --health-check nocheck >/dev/null 2>&1
		for i in 1 2 3; do
			xpop 1 backend set "$VIP4" --port "${v%/*}" \
				--proto "${v#*/}" "$(be4 $i)" state down \
				>/dev/null || return 1
		done
	done
	check "withdrawn at the router" lab_wait 10 rt_no_route "$VIP4" ||
		return 1
	check "no route is no black hole" served_or_withdrawn "$VIP4" ||
		return 1

	# the next hop resolves: the backend is usable again
	lab_addr rt p1 10.101.1.99/24
	lab_defer ip -n "$(nsname rt)" addr del 10.101.1.99/24 dev p1
	check "usable once resolved" lab_wait 10 be_usable "$bad" || return 1
	for v in 80/tcp 7/tcp 5300/udp; do
		xpop 1 backend del "$VIP4" --port "${v%/*}" --proto "${v#*/}" \
			"$bad" >/dev/null || return 1
		for i in 1 2 3; do
			xpop 1 backend set "$VIP4" --port "${v%/*}" \
				--proto "${v#*/}" "$(be4 $i)" state up \
				>/dev/null || return 1
		done
	done
	pop_is_whole
}

# 3. A pin removed by hand is pinned again from the program's own map,
# never recreated empty beside it.
test_removed_pins_are_pinned_again_from_the_program() {
	local n
	pop_is_whole || return 1
	hold_start pin "$VIP4" || return 1
	lab_pop_stop 1
	rm -f "$PIN/xlb_ring" "$PIN/xlb_conn4_v3"
	lab_pop_start 1 || return 1
	grep -E 're-pinned|adopted|new maps' "$LAB_LAST_XLBD_LOG" | sed 's/^/# /'
	check "re-pinned the ring" grep -q "re-pinned $PIN/xlb_ring" \
		"$LAB_LAST_XLBD_LOG" || return 1
	n=$(sed -n 's/.*adopted \([0-9]*\) IPv4.*/\1/p' "$LAB_LAST_XLBD_LOG" |
		head -1)
	check "says it adopted the flows" test "${n:-0}" -gt 0 || return 1
	check "flows visible" test "$(xpop 1 -j status --flows |
		grep -o '"flows_ipv4": [0-9]*' | grep -o '[0-9]*$')" -gt 0 ||
		return 1
	check "the long connection lives" hold_alive pin || return 1
	# backend changes reach the program's ring
	xpop 1 backend set "$VIP4" --port 80 --proto tcp "$(be4 1)" \
		state down >/dev/null || return 1
	check "every new connection answered with be1 down" \
		http_ok "$VIP4" || return 1
	xpop 1 backend set "$VIP4" --port 80 --proto tcp "$(be4 1)" \
		state up >/dev/null || return 1
	check "and with be1 up again" http_ok "$VIP4" || return 1
	# removed while xlbd runs: pinned again within a tick, same map
	local id
	id=$(bpftool -j map show pinned "$PIN/xlb_ring" | "$LAB_PY" -c \
		'import json,sys; print(json.load(sys.stdin)["id"])')
	rm -f "$PIN/xlb_ring"
	check "pinned again while running" lab_wait 5 test -e "$PIN/xlb_ring" ||
		return 1
	check "the same map" test "$(bpftool -j map show pinned \
		"$PIN/xlb_ring" | "$LAB_PY" -c \
		'import json,sys; print(json.load(sys.stdin)["id"])')" = "$id" ||
		return 1
	hold_stop pin
	pop_is_whole
}

# 3b. A pin that names another map cannot be repaired without losing
# something: a running xlbd withdraws, a starting one refuses.
test_foreign_pin_withdraws_and_refuses_start() {
	local out rc
	pop_is_whole || return 1
	bpftool map create "$PIN/bogus" type array key 4 value 4 entries 1 \
		name xlb_ring || return 1
	rm -f "$PIN/xlb_ring" && mv "$PIN/bogus" "$PIN/xlb_ring" || {
		rm -f "$PIN/bogus"
		return 1
	}
	check "data path marked unhealthy" lab_wait 5 sh -c \
		"nsenter --net=/run/netns/$(nsname pop1) -- $LAB_XLBCTL -s \
$LAB_TMP/pop1.sock -j status | grep -q '\"healthy\": false'" || return 1
	xpop 1 status | sed 's/^/# /'
	check "withdrawn at the router" lab_wait 10 rt_no_route "$VIP4" ||
		return 1
	check "error logged" grep -q "ERR.*xlb_ring\|xlb_ring.*withdrawn" \
		"$LAB_LAST_XLBD_LOG" || return 1
	lab_pop_stop 1
	out=$(timeout 20 nsenter --net="/run/netns/$(nsname pop1)" -- \
		"$LAB_XLBD" -c "$CFG" -p "$PIN" --state-file "$LAB_TMP/s.json" 2>&1)
	rc=$?
	lab_log "start with a foreign pin: rc $rc"
	sed 's/^/#   /' <<<"$out" | tail -4
	check "refuses to start" test "$rc" -ne 0 -a "$rc" -ne 124 || return 1
	check "names the map and the fix" grep -q \
		"pinned map $PIN/xlb_ring is map id .*rm $PIN/xlb_ring" \
		<<<"$out" || return 1
	rm -f "$PIN/xlb_ring"
	lab_pop_start 1 || return 1
	check "re-pinned the program's map" grep -q \
		"re-pinned $PIN/xlb_ring" "$LAB_LAST_XLBD_LOG" || return 1
	pop_is_whole
}

# 4. Pins gone: the attached program's maps are adopted again, or xlbd
# says plainly that they are new; it never mounts a private bpffs.
test_pins_gone_restart_adopts_the_programs_maps() {
	local out rc
	pop_is_whole || return 1
	hold_start gone "$VIP4" || return 1
	lab_pop_stop 1
	rm -rf "$PIN"
	lab_pop_start 1 || return 1
	grep -E 're-pinned|adopted|new maps|replaced' "$LAB_LAST_XLBD_LOG" |
		sed 's/^/# /'
	check "adopted flows, checked" grep -qE 'adopted [1-9][0-9]* IPv4' \
		"$LAB_LAST_XLBD_LOG" || return 1
	check "no program replaced" sh -c "! grep -q 'replaced program' \
$LAB_LAST_XLBD_LOG" || return 1
	check "the long connection lives" hold_alive gone || return 1
	hold_stop gone
	# under ip netns exec /sys is remounted: no private bpffs
	out=$(timeout 20 ip netns exec "$(nsname pop1)" "$LAB_XLBD" -c "$CFG" \
		-p "/sys/fs/bpf/xlb-$LAB_P-nsexec" -s "$LAB_TMP/nsexec.sock" \
		--state-file "$LAB_TMP/nsexec.state.json" \
		2>&1)
	rc=$?
	lab_log "under ip netns exec: rc $rc"
	sed 's/^/#   /' <<<"$out" | tail -3
	check "refuses to run" test "$rc" -ne 0 -a "$rc" -ne 124 || return 1
	check "explains ip netns exec" grep -q "ip netns exec" <<<"$out" ||
		return 1
	pop_is_whole
}

# 5. One xlbd per pin directory.
test_second_xlbd_on_the_same_pins_is_refused() {
	local out rc pid
	pop_is_whole || return 1
	pid=$(status_field pid)
	out=$(timeout 20 nsenter --net="/run/netns/$(nsname pop1)" -- \
		"$LAB_XLBD" -c "$CFG" -p "$PIN" -s "$LAB_TMP/second.sock" \
		--state-file "$LAB_TMP/second.state.json" 2>&1)
	rc=$?
	lab_log "second xlbd: rc $rc: $(tail -1 <<<"$out")"
	check "refused" test "$rc" -ne 0 -a "$rc" -ne 124 || return 1
	check "names the holder's pid" grep -q "another xlbd (pid $pid)" \
		<<<"$out" || return 1
	check "first one still in charge" test "$(status_field pid)" = "$pid" ||
		return 1
	pop_is_whole
}

# 6. A first start that fails leaves nothing behind.
test_failed_first_start_leaves_nothing() {
	local f=$LAB_TMP/solo.yaml pin=/sys/fs/bpf/xlb-$LAB_P-solo out rc
	lab_ns solo || return 1
	ip -n "$(nsname solo)" link add a0 type veth peer name a1 || return 1
	ip -n "$(nsname solo)" link set a0 up
	ip -n "$(nsname solo)" link set a1 up
	lab_defer "rm -rf $pin"
	# lo cannot take XDP in native mode: a0 attaches, then lo fails
	cat >"$f" <<EOF
interfaces:
  - name: a0
  - name: lo
lb:
  source4: 10.9.0.1
api:
  socket: $LAB_TMP/solo.sock
vips:
  - address: 192.0.2.99
    port: 80
    backends:
      - address: 10.9.0.2
EOF
	out=$(timeout 20 nsenter --net="/run/netns/$(nsname solo)" -- \
		"$LAB_XLBD" -c "$f" -p "$pin" --state-file "$LAB_TMP/solo.state.json" 2>&1)
	rc=$?
	sed 's/^/#   /' <<<"$out" | tail -5
	check "start fails" test "$rc" -ne 0 -a "$rc" -ne 124 || return 1
	check "says what it removes" grep -q "removing the maps" <<<"$out" ||
		return 1
	if grep -q 'restoring the previous configuration' <<<"$out"; then
		lab_log "FAILED: claims a rollback to a configuration it never had"
		return 1
	fi
	check "no pins left" test ! -e "$pin" || return 1
	check "no XDP left on a0" sh -c "! ip -n $(nsname solo) link show a0 |
		grep -q xdp" || return 1
	# a missing interface fails before anything is made
	sed -i 's/name: lo/name: eth9/' "$f"
	out=$(timeout 20 nsenter --net="/run/netns/$(nsname solo)" -- \
		"$LAB_XLBD" -c "$f" -p "$pin" --state-file "$LAB_TMP/solo.state.json" 2>&1)
	rc=$?
	lab_log "missing interface: rc $rc: $(tail -1 <<<"$out")"
	check "fails" test "$rc" -ne 0 -a "$rc" -ne 124 || return 1
	check "names it" grep -q "eth9: does not exist" <<<"$out" || return 1
	check "no pins" test ! -e "$pin" || return 1
	check "no XDP on a0" sh -c "! ip -n $(nsname solo) link show a0 |
		grep -q xdp"
}

# 7. make install is inert: the live configuration attaches nothing.
test_install_is_inert() {
	local root=$LAB_TMP/root doc pin=/sys/fs/bpf/xlb-$LAB_P-inst
	DESTDIR=$root "$LAB_ROOT/deploy/install.sh" "$BUILD" >/dev/null ||
		return 1
	doc=$root/usr/share/doc/xlb
	check "example kept as an example" \
		test -f "$root/etc/xlb/xlb.yaml.example" || return 1
	check "live file is the minimal one" \
		cmp -s "$root/etc/xlb/xlb.yaml" \
		"$LAB_ROOT/deploy/xlb.yaml.minimal" || return 1
	check "top-level README is the README" \
		cmp -s "$doc/README.md" "$LAB_ROOT/README.md" || return 1
	check "BIRD's README under its own name" \
		cmp -s "$doc/examples/README.bird.md" "$LAB_ROOT/bgp/README.md" ||
		return 1
	local f
	for f in "$LAB_ROOT"/docs/*.md; do
		check "$(basename "$f") installed as itself" \
			cmp -s "$doc/$(basename "$f")" "$f" || return 1
	done
	check "installed config passes --check" \
		"$root/usr/sbin/xlbd" --check -c "$root/etc/xlb/xlb.yaml" ||
		return 1
	check "no unit enabled" test ! -e \
		"$root/etc/systemd/system/multi-user.target.wants/xlbd.service" ||
		return 1
	# started, it attaches nothing and announces nothing
	lab_ns inst || return 1
	ip -n "$(nsname inst)" link add a0 type veth peer name a1 || return 1
	ip -n "$(nsname inst)" link set a0 up
	lab_defer "rm -rf $pin"
	lab_bg inst xlbd-inst "$root/usr/sbin/xlbd" -c "$root/etc/xlb/xlb.yaml" \
		-p "$pin" -s "$LAB_TMP/inst.sock" \
		--state-file "$LAB_TMP/inst.state.json"
	local xpid=$LAB_LAST_PID
	check "runs" lab_wait 15 nsx inst "$LAB_XLBCTL" -s "$LAB_TMP/inst.sock" \
		status || return 1
	nsx inst "$LAB_XLBCTL" -s "$LAB_TMP/inst.sock" status | sed 's/^/# /'
	check "nothing attached" sh -c "! ip -n $(nsname inst) link | grep -q xdp" ||
		return 1
	lab_stop "$xpid"
	nsx inst "$LAB_XLBD" --cleanup -c "$root/etc/xlb/xlb.yaml" -p "$pin" \
		>/dev/null 2>&1
	return 0
}

bgp_need || {
	echo "ok - failsafe suite # SKIP BIRD or FRR missing"
	exit 0
}
if ! setup >"$LAB_TMP/setup.out" 2>&1; then
	sed 's/^/# /' "$LAB_TMP/setup.out"
	echo "not ok - failsafe lab setup"
	exit 1
fi
lab_run_cases \
	test_reload_naming_a_missing_interface_changes_nothing \
	test_backend_without_next_hop_is_out_of_the_ring \
	test_removed_pins_are_pinned_again_from_the_program \
	test_foreign_pin_withdraws_and_refuses_start \
	test_pins_gone_restart_adopts_the_programs_maps \
	test_second_xlbd_on_the_same_pins_is_refused \
	test_failed_first_start_leaves_nothing \
	test_install_is_inert
exit $LAB_FAILED
