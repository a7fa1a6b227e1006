# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash disable=SC2034
# (SO_* results are read by the scripts that source this file)
#
# lib_scaleout.sh - one PoP site of several balancer hosts behind the
# router's ECMP (source after lib.sh and lab.sh; used by
# tests/netns/suite_scaleout.sh and tests/bench/bench_scaleout.sh).
#
#   cl ── rt ──┬── pop1 ┐ xlbd, XDP on eth0: the same configuration and
#              ├── pop2 ├ hash seed on every host, nothing shared
#              ├── pop3 ┘
#              └── be1..be4 (be4 in no configuration at first)
#
# rt routes the VIPs to pop1..pop3 with a multipath route hashed on L4
# (fib_multipath_hash_policy=1), so each flow, by its ports, goes to one
# host. so_route switches between that plain multipath route and a
# resilient nexthop group (so_route_mode).

SO_CONNS=$LAB_ROOT/tests/netns/conns.py
SO_NHG_MODE=plain

# so_setup - the site: 3 hosts, backends be1..be3 in the config, be4 up
# but unused, VIPs routed to all three hosts
so_setup() {
	local i
	lab_topology 3 4 || return 1
	nsx rt sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv6.fib_multipath_hash_policy=1 || return 1
	for i in 1 2 3 4; do
		lab_backend_up "$i" || {
			lab_log "backend $i did not come up"
			return 1
		}
	done
	for i in 1 2 3; do
		lab_pop_config "$i" "$LAB_TMP/pop$i.yaml" "1 2 3"
		lab_pop_start "$i" || return 1
	done
	so_route 1 2 3
}

# so_route_mode plain|resilient - how so_route installs the VIP routes:
# a multipath route (hash-threshold: a change of the host set remaps about
# half the flows) or a resilient nexthop group (only the buckets of a
# removed host move; a new host gets idle buckets only)
so_route_mode() {
	local i
	ip -n "$(nsname rt)" route del "$VIP4/32" 2>/dev/null
	ip -n "$(nsname rt)" -6 route del "$VIP6/128" 2>/dev/null
	ip -n "$(nsname rt)" nexthop flush >/dev/null 2>&1
	SO_NHG_MODE=$1
	[ "$1" = resilient ] || return 0
	for i in 1 2 3; do
		ip -n "$(nsname rt)" nexthop add id "$i" via "$(pop4 "$i")" \
			dev "p$i" || return 1
		ip -n "$(nsname rt)" nexthop add id "$((10 + i))" \
			via "$(pop6 "$i")" dev "p$i" || return 1
	done
}

# so_route HOST... - rt sends the VIPs to these hosts
so_route() {
	local g4 g6 h
	if [ "$SO_NHG_MODE" != resilient ]; then
		lab_route_vips "$@"
		return
	fi
	g4=$(printf '%s/' "$@")
	g6=$(for h in "$@"; do printf '%s/' "$((10 + h))"; done)
	# a bucket moves to a new host only after carrying no packet for
	# idle_timer seconds (the live connections here send every 0.2 s);
	# unbalanced_timer 0: never forced
	so_nhg 100 "${g4%/}" || return 1
	so_nhg 200 "${g6%/}" || return 1
	ip -n "$(nsname rt)" route replace "$VIP4/32" nhid 100 || return 1
	ip -n "$(nsname rt)" -6 route replace "$VIP6/128" nhid 200
}

so_nhg() {
	local verb=replace
	ip -n "$(nsname rt)" nexthop show id "$1" >/dev/null 2>&1 || verb=add
	ip -n "$(nsname rt)" nexthop "$verb" id "$1" group "$2" \
		type resilient buckets 128 idle_timer 1 unbalanced_timer 0
}

# so_nhg_balanced HOST... - in resilient mode, each of these hosts holds
# its share of the buckets of both groups (a host added back gets it as
# buckets go idle)
so_nhg_balanced() {
	local h share
	local -a b4 b6
	[ "$SO_NHG_MODE" = resilient ] || return 0
	share=$((128 / $# - 1))
	read -ra b4 <<<"$(so_nhg_buckets 100)"
	read -ra b6 <<<"$(so_nhg_buckets 200)"
	for h in "$@"; do
		[ "${b4[h - 1]}" -ge "$share" ] &&
			[ "${b6[h - 1]}" -ge "$share" ] || return 1
	done
}

# so_nhg_buckets ID - "n1 n2 n3": buckets of group ID per host
so_nhg_buckets() {
	local out="" h nh
	for h in 1 2 3; do
		nh=$h
		[ "$1" = 200 ] && nh=$((10 + h))
		out+="$(ip -n "$(nsname rt)" nexthop bucket show id "$1" |
			grep -c "nhid $nh\b") "
	done
	echo "${out% }"
}

# so_stat N VIP PORT PROTO FIELD - a VIP counter of host N's data path
so_stat() {
	xpop "$1" -j stats | "$LAB_PY" -c '
import json, sys
a, port, proto, field = sys.argv[1:]
for v in json.load(sys.stdin)["vips"]:
    if v["address"] == a and str(v["port"]) == port and v["protocol"] == proto:
        print(v[field])
        break
else:
    sys.exit(1)' "$2" "$3" "$4" "$5"
}

# so_hosts_stat VIP PORT PROTO FIELD - "n1 n2 n3", that counter per host
so_hosts_stat() {
	local i v out=""
	for i in 1 2 3; do
		v=$(so_stat "$i" "$@") || return 1
		out+="$v "
	done
	echo "${out% }"
}

# so_delta "A1 A2 A3" "B1 B2 B3" - "B1-A1 B2-A2 B3-A3"
so_delta() {
	local -a a b
	local i out=""
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	for i in "${!a[@]}"; do
		out+="$((b[i] - a[i])) "
	done
	echo "${out% }"
}

so_sum() {
	local s=0 v
	for v in $1; do
		s=$((s + v))
	done
	echo "$s"
}

# so_ratio "N..." - max/mean of the numbers, 3 decimals
so_ratio() {
	"$LAB_PY" -c 'import sys
v = [int(x) for x in sys.argv[1:]]
m = sum(v) / len(v)
print("%.3f" % (max(v) / m if m else 0))' $1
}

# so_udp_spread VIP N SPORT_BASE - N UDP flows (one datagram each, its own
# source port) through the site; sets SO_HOSTS ("n1 n2 n3" flows per host),
# SO_BES ("n..." per backend), SO_IMB_HOSTS, SO_IMB_BES (max/mean),
# SO_ERRORS; fails if the client could not run
so_udp_spread() {
	local before after out
	before=$(so_hosts_stat "$1" 5300 udp packets) || return 1
	out=$(nsx cl "$LAB_PY" "$LAB_TRAFFIC" udp --vip "$1" --n "$2" \
		--sport-base "$3" --timeout 2 --max-errors "$2")
	[ -n "$out" ] || return 1
	after=$(so_hosts_stat "$1" 5300 udp packets) || return 1
	SO_HOSTS=$(so_delta "$before" "$after")
	SO_BES=$(json_get "$out" counts | "$LAB_PY" -c '
import json, sys
c = json.load(sys.stdin)
print(" ".join(str(c[k]) for k in sorted(c)))')
	SO_BE_NAMES=$(json_get "$out" counts | "$LAB_PY" -c '
import json, sys
print(" ".join(sorted(json.load(sys.stdin))))')
	SO_ERRORS=$(json_get "$out" errors)
	SO_IMB_HOSTS=$(so_ratio "$SO_HOSTS")
	SO_IMB_BES=$(so_ratio "$SO_BES")
}

# so_conns_start NAME VIP N SPORT_BASE - N long-lived TCP connections to
# the line echo (tests/netns/conns.py); waits until two rounds went by
so_conns_start() {
	rm -f "$LAB_TMP/conns-$1.json" "$LAB_TMP/conns-$1.json.stop"
	lab_bg cl "conns-$1" "$LAB_PY" "$SO_CONNS" --vip "$2" --n "$3" \
		--sport-base "$4" --duration 300 --interval 0.2 --timeout 5 \
		--status "$LAB_TMP/conns-$1.json"
	eval "SO_CONNS_PID_$1=$LAB_LAST_PID"
	lab_wait 60 so_conns_rounds_past "$1" 1
}

so_conns_field() {
	"$LAB_PY" -c 'import json,sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
print(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v)' \
		"$LAB_TMP/conns-$1.json" "$2" 2>/dev/null
}

# so_conns_rounds_past NAME R - more than R rounds done
so_conns_rounds_past() {
	local r
	r=$(so_conns_field "$1" rounds)
	[ "${r:-0}" -gt "$2" ]
}

# so_conns_settle NAME... - wait until each has done 5 more rounds (every
# connection sent and was answered, or broke, after the change before)
so_conns_settle() {
	local n r
	for n in "$@"; do
		r=$(so_conns_field "$n" rounds)
		lab_wait 60 so_conns_rounds_past "$n" "$((r + 5))" || {
			lab_log "conns $n stalled: $(cat "$LAB_TMP/conns-$n.json")"
			return 1
		}
	done
}

so_conns_stop() {
	local pid
	eval "pid=\${SO_CONNS_PID_$1:-}"
	[ -n "$pid" ] || return 0
	touch "$LAB_TMP/conns-$1.json.stop"
	lab_wait 10 sh -c "! kill -0 $pid 2>/dev/null" || lab_stop "$pid"
	eval "SO_CONNS_PID_$1="
}

# so_backend_change CHANGE apply|undo VIP - on every host, for the echo
# service: CHANGE "add4" adds be4 (undo: removes it), "drain1" sets be1 to
# state drain (undo: up)
so_backend_change() {
	local i be args
	case $1 in
	add4) be=4 ;;
	drain1) be=1 ;;
	*) return 1 ;;
	esac
	case $3 in
	*:*) be=$(be6 "$be") ;;
	*) be=$(be4 "$be") ;;
	esac
	case $1:$2 in
	add4:apply) args=(add "$3" --port 7 --proto tcp "$be") ;;
	add4:undo) args=(del "$3" --port 7 --proto tcp "$be") ;;
	drain1:apply) args=(set "$3" --port 7 --proto tcp "$be" state drain) ;;
	drain1:undo) args=(set "$3" --port 7 --proto tcp "$be" state up) ;;
	esac
	for i in 1 2 3; do
		xpop "$i" backend "${args[@]}" >/dev/null || return 1
	done
}

# so_second_chance SECONDS|"" - every host's lb.second_chance (""; the
# default), its configuration rewritten and reloaded
so_second_chance() {
	local i
	for i in 1 2 3; do
		LAB_SECOND_CHANCE=$1 lab_pop_config "$i" "$LAB_TMP/pop$i.yaml" \
			"1 2 3"
		xpop "$i" reload >/dev/null || return 1
	done
}

# so_chance_moved VIP PORT PROTO - second-chance packets sent to another
# backend than the current ring's, summed over the hosts
so_chance_moved() {
	local i v s=0
	for i in 1 2 3; do
		v=$(xpop "$i" -j stats | "$LAB_PY" -c '
import json, sys
a, port, proto = sys.argv[1:]
for v in json.load(sys.stdin)["vips"]:
    if v["address"] == a and str(v["port"]) == port and v["protocol"] == proto:
        print(v["second_chance"]["moved"])
        break
else:
    sys.exit(1)' "$1" "$2" "$3") || return 1
		s=$((s + v))
	done
	echo "$s"
}

# so_rehash_broken VIP N SPORT_BASE BEFORE AFTER [CHANGE [ORDER]] - rt's
# route goes to the hosts in BEFORE ("1 2 3"); N connections open; the
# backend change CHANGE (so_backend_change; default add4: be4 joins) is
# made on every host (no connection may break: every packet still finds
# its host's entry), then rt's route changes to the hosts in AFTER ("1
# 2"). ORDER "new": the change is made first and the connections open
# after it (they are younger than the ring: second chance's weak case).
# Sets SO_OPEN, SO_MOVED (flows that arrived at a host without their
# entry: new_flows counted after the change), SO_BROKEN, SO_BROKEN_BEFORE
# (broken by the backend change alone: must be 0), SO_CHANCE_MOVED
# (second-chance packets sent elsewhere than the current ring says, during
# the route change). Leaves the connections stopped, the change undone,
# the route back to 1 2 3.
so_rehash_broken() {
	local vip=$1 n=$2 base=$3 before=$4 after=$5 change=${6:-add4}
	local order=${7:-old} nf0 nf1 sc0 sc1 rc=0
	so_route $before || return 1
	lab_wait 60 so_nhg_balanced $before || {
		lab_log "rt's groups did not balance: v4 $(so_nhg_buckets 100)," \
			"v6 $(so_nhg_buckets 200)"
		return 1
	}
	[ "$SO_NHG_MODE" = resilient ] && lab_log "rt's buckets per host:" \
		"v4 $(so_nhg_buckets 100), v6 $(so_nhg_buckets 200)"
	if [ "$order" = new ]; then
		so_backend_change "$change" apply "$vip" || {
			so_backend_change "$change" undo "$vip"
			return 1
		}
	fi
	so_conns_start rh "$vip" "$n" "$base" || {
		so_conns_stop rh
		[ "$order" = new ] && so_backend_change "$change" undo "$vip"
		return 1
	}
	SO_OPEN=$(so_conns_field rh open)
	{
		{ [ "$order" = new ] ||
			so_backend_change "$change" apply "$vip"; } &&
			so_conns_settle rh &&
			SO_BROKEN_BEFORE=$(so_conns_field rh broken) &&
			nf0=$(so_hosts_stat "$vip" 7 tcp new_flows) &&
			sc0=$(so_chance_moved "$vip" 7 tcp) &&
			so_route $after &&
			so_conns_settle rh &&
			nf1=$(so_hosts_stat "$vip" 7 tcp new_flows) &&
			sc1=$(so_chance_moved "$vip" 7 tcp) &&
			SO_CHANCE_MOVED=$((sc1 - sc0)) &&
			SO_MOVED=$(so_sum "$(so_delta "$nf0" "$nf1")") &&
			SO_MOVED_PER_HOST=$(so_delta "$nf0" "$nf1") &&
			SO_BROKEN=$(($(so_conns_field rh broken) - SO_BROKEN_BEFORE)) &&
			SO_REASONS=$(so_conns_field rh reasons)
	} || rc=1
	so_conns_stop rh
	so_backend_change "$change" undo "$vip" || rc=1
	so_route 1 2 3 || rc=1
	return $rc
}
