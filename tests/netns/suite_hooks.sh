#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_hooks.sh - the notify hook (notify.command): run on a backend going
# down and up and on a VIP withdrawn and announced, with the event in its
# arguments and environment, as an unprivileged user, never waited for.
#
#   pop (xlbd, XDP on e0, 10.9.0.1) ──veth── be (10.9.0.2, TCP :8080)
#
# The bgp section points at a BIRD that is not there: xlbd still decides
# what to announce (and says so to the hook); telling BIRD just fails.
. "$(dirname "$0")/lib.sh"

lab_xlb_binaries # PY, XLBD, XLBCTL (ASan+UBSan builds when made)
HERE=$(cd "$(dirname "$0")" && pwd)

lab_init hooks
CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
PIN=/sys/fs/bpf/xlb-$LAB_P
OUT=$LAB_TMP/out/events
HOOK=$LAB_TMP/hook.sh
VHOOK=$LAB_TMP/vip-hook.sh

setup() {
	lab_ns pop || return 1
	lab_ns be || return 1
	lab_link pop e0 be e1 || return 1
	lab_addr pop e0 10.9.0.1/24
	lab_addr be e1 10.9.0.2/24
	# XDP_TX frames need a program on the peer (tests/README.md)
	lab_xdp_pass be e1 || return 1
	# the hook runs as nobody: it must reach its script and its output
	chmod 755 "$LAB_TMP"
	mkdir -m 1777 "$LAB_TMP/out"
	cat >"$HOOK" <<'SH'
#!/bin/sh
echo "$1 vip=$XLB_VIP name=${XLB_VIP_NAME:-} backend=${XLB_BACKEND:-} uid=$(id -u) reason=$XLB_REASON" >>"$(dirname "$0")/out/events"
SH
	chmod 755 "$HOOK"
	# the VIP's own hook, besides the global one
	printf '#!/bin/sh\necho "$1 $XLB_VIP" >>"$(dirname "$0")/out/vip-events"\n' \
		>"$VHOOK"
	chmod 755 "$VHOOK"
	cat >"$CFG" <<YAML
interfaces:
  - name: e0
lb:
  source4: 10.9.0.1
api:
  socket: $SOCK
notify:
  command: $HOOK
health_checks:
  - name: t
    type: tcp
    port: 8080
    interval_ms: 200
    timeout_ms: 150
    rise: 2
    fall: 2
bgp:
  bird_socket: $LAB_TMP/no-bird.ctl
  include_file: $LAB_TMP/bird-vips.conf
  allowed: [192.0.2.0/24]
  hold_down_ms: 500
vips:
  - name: web
    address: 192.0.2.10
    port: 80
    health_check: t
    notify: $VHOOK
    backends:
      - address: 10.9.0.2
YAML
	serve || return 1
	lab_bg pop xlbd "$XLBD" -c "$CFG" -p "$PIN" \
		--state-file "$LAB_TMP/state.json"
	lab_defer "nsx pop $BUILD/xlbd --cleanup -c $CFG -p $PIN"
	lab_wait 15 nsx pop "$XLBCTL" -s "$SOCK" status
}

serve() {
	lab_bg be "listen-$(date +%s%N)" "$PY" "$HERE/traffic.py" listen \
		--addr 10.9.0.2 --port 8080
	LISTENER=$LAB_LAST_PID
	lab_wait_port be 8080
}

has() { grep -q "$1" "$OUT" 2>/dev/null; }

test_vip_announced_runs_the_hook() {
	check "vip_announce" lab_wait 15 has '^vip_announce vip=192.0.2.10:80/tcp name=web ' ||
		return 1
	check "as nobody, not root" grep -q "^vip_announce .* uid=65534 " \
		"$OUT" || return 1
	check "the VIP's own hook too" lab_wait 5 grep -q \
		"^vip_announce 192.0.2.10:80/tcp" "$LAB_TMP/out/vip-events" ||
		return 1
	sed 's/^/# /' "$OUT"
}

test_backend_down_and_up_then_vip_follows() {
	lab_stop "$LISTENER"
	check "backend_down with its reason" lab_wait 15 has \
		'^backend_down vip=192.0.2.10:80/tcp name=web backend=10.9.0.2 uid=65534 reason=.*fail' ||
		return 1
	check "vip_withdraw" lab_wait 15 has '^vip_withdraw vip=192.0.2.10:80/tcp' ||
		return 1
	serve || return 1
	check "backend_up" lab_wait 15 has '^backend_up .* backend=10.9.0.2 ' ||
		return 1
	check "announced again" lab_wait 15 sh -c \
		"[ \$(grep -c '^vip_announce' $OUT) -ge 2 ]" || return 1
	sed 's/^/# /' "$OUT"
}

test_a_failing_hook_is_logged_and_changes_nothing() {
	# a hook that fails: logged, the state machine goes on
	printf '#!/bin/sh\nexit 3\n' >"$HOOK"
	lab_stop "$LISTENER"
	check "the failure is logged" lab_wait 15 grep -q \
		"notify backend_down: exit status 3" "$LAB_TMP/xlbd.log" ||
		return 1
	check "the backend is down all the same" lab_wait 5 sh -c \
		"nsenter --net=/run/netns/$(nsname pop) -- $XLBCTL -s $SOCK -j \
backend show web | grep -q '\"usable\": false'"
	serve
}

if ! setup >"$LAB_TMP/setup.out" 2>&1; then
	sed 's/^/# /' "$LAB_TMP/setup.out"
	tail -5 "$LAB_TMP/xlbd.log" 2>/dev/null | sed 's/^/# /'
	echo "not ok - hooks lab setup"
	exit 1
fi
lab_run_cases test_vip_announced_runs_the_hook \
	test_backend_down_and_up_then_vip_follows \
	test_a_failing_hook_is_logged_and_changes_nothing
exit $LAB_FAILED
