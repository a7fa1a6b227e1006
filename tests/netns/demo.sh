#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - `make demo`: a PoP lab in network namespaces, start to finish by
# itself in under three minutes. It shows:
#   1. HTTP from a client balanced over three backends through one VIP
#   2. an operator taking a backend out with xlbctl: its traffic moves
#   3. a backend's server dying: the health check takes it out, traffic
#      moves, and it comes back when the server does
#   4. anycast: both PoPs announce the VIP over BGP, the router sends the
#      client to the nearest (pop2's path is longer); pop1 goes silent, BFD
#      notices, the router moves the route, traffic flows through pop2;
#      pop1 comes back and takes the traffic again
# Every step is checked; the demo exits non-zero if what it shows did not
# happen. Everything is torn down on exit or Ctrl-C.
#
#   client ── router (FRR) ──┬── pop1 (xlbd + XDP + BIRD)  VIP 192.0.2.10
#                            ├── pop2 (the same, farther)
#                            ├── be1 ┐
#                            ├── be2 ├ decapsulate (XDP), serve HTTP on
#                            └── be3 ┘ the VIP, answer the client directly
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/../bgp/lib_bgp.sh"

DEMO_T0=$(date +%s)
lab_init demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() {
	printf '\n\033[31mDEMO FAILED: %s\033[0m\n' "$*"
	exit 1
}

# round SPORT_BASE - 60 requests from distinct source ports; prints one
# line of per-backend counts and stores the counts in $ROUND
round() {
	local out
	out=$(lab_http "$VIP4" 60 "$1" 2>/dev/null) || true
	ROUND=$("$LAB_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
c = d["counts"]
print(" ".join("%s=%d" % (b, c.get(b, 0)) for b in ("be1", "be2", "be3")),
      "errors=%d" % d["errors"])' "$out")
	printf '  t=%3ss  %s\n' "$(($(date +%s) - DEMO_T0))" "$ROUND"
}

count_of() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$ROUND"; }

# watch N BASE - N rounds, about one a second so a person can follow
# (DEMO_PACE=0 runs them back to back)
watch() {
	local i
	for i in $(seq "$1"); do
		round $(($2 + i * 100))
		sleep "${DEMO_PACE:-0.8}"
	done
}

# via_pop N - the router's route to the VIP goes to PoP N only
via_pop() {
	[ "$(rt_route "$VIP4" | grep -o 'dev p[0-9]*' | sort -u)" = "dev p$1" ]
}
show_route() {
	echo "  router: $(rt_route "$VIP4" | tr -s ' \n' ' ')"
}

say "building the lab: client, router (FRR), two PoPs (xlbd + BIRD), three backends"
bgp_need >/dev/null || fail "bird or frr missing (make deps installs them)"
lab_topology 2 3 || fail "topology"
for i in 1 2 3; do
	lab_backend_up "$i" || fail "backend $i"
done
bgp_router_start || fail "FRR did not start"
bgp_pop_bird_start 1 || fail "BIRD in pop1 did not start"
bgp_pop_bird_start 2 "$BGP_PREPEND" ||
	fail "BIRD in pop2 did not start"
for i in 1 2; do
	bgp_pop_config "$i" "$LAB_TMP/pop$i.yaml" "1 2 3" \
		"    health_check: web" "health_checks:
  - name: web
    type: http
    port: 80
    path: /
    interval_ms: 200
    timeout_ms: 200
    rise: 2
    fall: 2" || fail "config"
	lab_pop_start "$i" || fail "xlbd did not start in pop$i"
done
up_all() { [ "$(xpop 1 backend show "$VIP4:80/tcp" | grep -c ' up \+up ')" -eq 3 ]; }
lab_wait 15 up_all || fail "health checks did not pass"
lab_wait 30 via_pop 1 || fail "the router did not learn the VIP from pop1"
xpop 1 status
xpop 1 backend show "$VIP4:80/tcp"
echo
xpop 1 bgp show | sed -n '1,/^$/p'
show_route

say "1. traffic from the client, balanced over be1..be3 (60 requests per line, one source port each)"
watch 5 10000
for b in be1 be2 be3; do
	[ "$(count_of "$b")" -gt 5 ] || fail "$b got no share"
done

say "2. operator: xlbctl backend set $VIP4:80/tcp $(be4 2) state down"
xpop 1 backend set "$VIP4:80/tcp" "$(be4 2)" state down || fail "xlbctl"
watch 4 20000
[ "$(count_of be2)" -eq 0 ] || fail "be2 still gets traffic"
[ "$(count_of errors)" -eq 0 ] || fail "requests failed"
xpop 1 backend set "$VIP4:80/tcp" "$(be4 2)" state up || fail "xlbctl"
say "   ...and back: xlbctl backend set ... state up"
watch 3 30000
[ "$(count_of be2)" -gt 5 ] || fail "be2 did not come back"

say "3. be3's server dies (kill); the HTTP check (every 200 ms, fall 2) notices"
lab_backend_kill 3
t_kill=$(date +%s%N)
down3() { xpop 1 backend show "$VIP4:80/tcp" | grep -q "^$(be4 3) .* down "; }
lab_wait 10 down3 || fail "health check did not take be3 out"
echo "  be3 taken out $((($(date +%s%N) - t_kill) / 1000000)) ms after the kill"
xpop 1 backend show "$VIP4:80/tcp"
watch 4 40000
[ "$(count_of be3)" -eq 0 ] || fail "be3 still gets traffic"
[ "$(count_of errors)" -le 1 ] || fail "requests failed after failover"
say "   be3's server comes back; two good checks (rise 2) put it back"
lab_backend_revive 3 || fail "revive"
up3() { xpop 1 backend show "$VIP4:80/tcp" | grep -q "^$(be4 3) .* up \+up "; }
lab_wait 10 up3 || fail "be3 not back up"
watch 3 50000
[ "$(count_of be3)" -gt 5 ] || fail "be3 gets no traffic again"

say "per-backend counters in the data path: xlbctl stats $VIP4:80/tcp"
xpop 1 stats "$VIP4:80/tcp"

say "4. anycast: pop1's link goes silent (the router drops all to and from it)"
p2_before=$(xpop 2 -j stats | "$LAB_PY" -c 'import json,sys; print(sum(v["packets"] for v in json.load(sys.stdin)["vips"]))')
t_sil=$(date +%s%N)
nsx rt nft -f - <<NFT || fail "nft"
table inet xlbdemo {
	chain xfwd { type filter hook forward priority 0; iifname "p1" drop; oifname "p1" drop; }
	chain xin { type filter hook input priority 0; iifname "p1" drop; }
	chain xout { type filter hook output priority 0; oifname "p1" drop; }
}
NFT
lab_wait 10 via_pop 2 || fail "the router did not move the VIP to pop2"
echo "  BFD noticed, route moved to pop2 $((($(date +%s%N) - t_sil) / 1000000)) ms after pop1 went silent"
show_route
watch 3 53000
[ "$(count_of errors)" -eq 0 ] || fail "requests failed through pop2"
p2_after=$(xpop 2 -j stats | "$LAB_PY" -c 'import json,sys; print(sum(v["packets"] for v in json.load(sys.stdin)["vips"]))')
[ "$p2_after" -gt "$p2_before" ] || fail "pop2 carried nothing"
echo "  pop2's data path carried $((p2_after - p2_before)) packets"
say "   pop1's link is back: BGP and BFD come up, the router prefers pop1 again"
nsx rt nft delete table inet xlbdemo
lab_wait 60 via_pop 1 || fail "pop1 did not take the VIP back"
show_route
watch 2 57000
[ "$(count_of errors)" -eq 0 ] || fail "requests failed after pop1 came back"

say "demo done in $(($(date +%s) - DEMO_T0)) s; tearing the lab down"
exit 0
