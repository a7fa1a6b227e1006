#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench_scaleout.sh - one PoP site of three balancer hosts behind the
# router's ECMP (tests/netns/lib_scaleout.sh, docs/scaling.md):
#
#   cl ── rt (multipath, L4 hash) ──┬── pop1 ┐ xlbd + XDP, same config
#                                   ├── pop2 ├ and seed, nothing shared
#                                   ├── pop3 ┘
#                                   └── be1..be3 (be4 added by the runs)
#
# BENCH scaleout_imbalance_hosts / _backends: FLOWS UDP flows (one datagram
# each, distinct source ports) to the IPv4 VIP; max/mean of the flows per
# host (the router's ECMP) and per backend (Maglev). _v6: the same to the
# IPv6 VIP.
#
# BENCH scaleout_rehash_broken_pct: CONNS long-lived TCP connections to the
# IPv4 VIP; be4 is added on every host, then pop3 leaves the router's
# multipath route; the percentage of connections that broke (a flow moved
# to a host without its entry is hashed on the new ring). _join: pop3 joins
# instead (the connections were opened through pop1 and pop2). _resilient,
# _resilient_join: the same with a resilient nexthop group on the router.
# BENCH scaleout_drain_broken_pct: be1 is drained on every host instead of
# be4 added (plain multipath, pop3 leaves).
# These run with lb.second_chance: 60 (it is off by default, docs/scaling.md).
# _off: scaleout_rehash_broken_pct with lb.second_chance: 0. _younger: be4
# is added first and the connections open after it (second chance's weak
# case: they are younger than the ring change), then pop3 leaves.
# Each is the median of ROUNDS rounds. Asserts nothing.
. "$(dirname "$0")/../netns/lib.sh"
. "$LAB_ROOT/tests/netns/lab.sh"
. "$LAB_ROOT/tests/netns/lib_scaleout.sh"

ROUNDS=${ROUNDS:-3}
FLOWS=${FLOWS:-6000}
CONNS=${CONNS:-400}

lab_init scaleb
so_setup >/dev/null || exit 1

median() {
	printf '%s\n' "$@" | sort -g |
		awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

spread() {
	local sfx=$1 vip=$2 base=$3
	so_udp_spread "$vip" "$FLOWS" "$base" || return 1
	echo "# $vip: $FLOWS flows, per host $SO_HOSTS, per backend" \
		"($SO_BE_NAMES) $SO_BES, errors $SO_ERRORS"
	echo "BENCH scaleout_imbalance_hosts$sfx $SO_IMB_HOSTS ratio"
	echo "BENCH scaleout_imbalance_backends$sfx $SO_IMB_BES ratio"
}

# broken NAME MODE BEFORE AFTER [CHANGE] - ROUNDS rounds of
# so_rehash_broken; each round's connections have source ports of their
# own (no reuse of a pair in TIME_WAIT), from 20000 up
PORT=20000
broken() {
	local name=$1 mode=$2 before=$3 after=$4 change=${5:-add4} r pct
	local order=${6:-old} chance=${7:-60}
	local results=()
	so_second_chance "$chance" || return 1
	so_route_mode "$mode" || return 1
	for r in $(seq "$ROUNDS"); do
		[ $((PORT + CONNS)) -lt 50000 ] || {
			echo "# out of source ports: fewer ROUNDS or CONNS" >&2
			return 1
		}
		so_rehash_broken "$VIP4" "$CONNS" "$PORT" "$before" "$after" \
			"$change" "$order" || return 1
		PORT=$((PORT + CONNS))
		pct=$("$LAB_PY" -c "print('%.1f' % (100 * $SO_BROKEN / $SO_OPEN))")
		echo "# $name round $r: $SO_OPEN connections, moved $SO_MOVED," \
			"sent to the previous ring's backend $SO_CHANCE_MOVED," \
			"broken $SO_BROKEN ($pct %)"
		results+=("$pct")
	done
	so_route_mode plain && so_route 1 2 3
	echo "BENCH $name $(median "${results[@]}") %"
}

spread "" "$VIP4" 10000 || exit 1
spread _v6 "$VIP6" 10000 || exit 1
broken scaleout_rehash_broken_pct plain "1 2 3" "1 2" || exit 1
broken scaleout_rehash_broken_pct_join plain "1 2" "1 2 3" || exit 1
broken scaleout_drain_broken_pct plain "1 2 3" "1 2" drain1 || exit 1
broken scaleout_rehash_broken_pct_resilient resilient "1 2 3" "1 2" || exit 1
broken scaleout_rehash_broken_pct_resilient_join resilient "1 2" "1 2 3" ||
	exit 1
broken scaleout_rehash_broken_pct_off plain "1 2 3" "1 2" add4 old 0 || exit 1
broken scaleout_rehash_broken_pct_younger plain "1 2 3" "1 2" add4 new ||
	exit 1
