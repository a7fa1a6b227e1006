#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_systemd.sh - xlbd under systemd's eyes, without systemd: a Python
# listener plays the notify socket, JOURNAL_STREAM is set to the log file
# xlbd's stderr goes to (what systemd does with the journal's stream).
#
# xlbd runs with --no-attach and a private pin dir inside a namespace of
# its own, with a TCP listener there as the checked backend.
. "$(dirname "$0")/lib.sh"

lab_xlb_binaries # PY, XLBD, XLBCTL (ASan+UBSan builds when made)
HERE=$(cd "$(dirname "$0")" && pwd)

lab_init systemd
CFG=$LAB_TMP/xlb.yaml
SOCK=$LAB_TMP/xlb.sock
PIN=/sys/fs/bpf/xlb-$LAB_P
NSOCK=$LAB_TMP/notify.sock

x() { nsx d "$XLBCTL" -s "$SOCK" "$@"; }

# write_config [checks] - with "checks", two backends are checked: one
# answers (10.9.0.2:8080), one does not (10.9.0.3:8081); both are
# addresses of the namespace's veth (a backend may not be loopback)
write_config() {
	# a case that failed half-way leaves its xlbd: stop it first
	[ -n "${XLBD_PID:-}" ] && lab_stop "$XLBD_PID"
	[ -n "${LISTENER:-}" ] && lab_stop "$LISTENER"
	cat >"$CFG" <<EOF
interfaces:
  - name: eth0
lb:
  source4: 10.9.0.1
api:
  socket: $SOCK
health_checks:
  - name: t
    type: tcp
    interval_ms: 300
    timeout_ms: 200
    rise: 2
    fall: 2
vips:
  - address: 192.0.2.10
    port: 8080
    protocol: tcp
    ${1:+health_check: t}
    backends:
      - address: 10.9.0.2
      - address: 10.9.0.3
  - address: 192.0.2.11
    port: 80
    protocol: tcp
EOF
}

setup() {
	lab_ns d || return 1
	ip -n "$(nsname d)" link add e0 type veth peer name e1 || return 1
	ip -n "$(nsname d)" link set e0 up
	ip -n "$(nsname d)" link set e1 up
	lab_addr d e0 10.9.0.2/24
	lab_addr d e0 10.9.0.3/24
	lab_bg d listen "$PY" "$HERE/traffic.py" listen --addr 10.9.0.2 \
		--port 8080
	lab_wait_port d 8080 || return 1
	lab_defer "nsx d $BUILD/xlbd --cleanup -c $CFG -p $PIN"
}

# start NAME ENV... - the listener, then xlbd with NOTIFY_SOCKET and ENV;
# its log is $LAB_TMP/NAME.log, the messages $LAB_TMP/NAME.msgs
start() {
	local name=$1
	shift
	rm -f "$NSOCK" "$LAB_TMP/$name.msgs"
	lab_bg - "$name-listener" "$PY" "$HERE/notify_listen.py" "$NSOCK" \
		"$LAB_TMP/$name.log" "$LAB_TMP/$name.msgs"
	LISTENER=$LAB_LAST_PID
	lab_wait 10 grep -q LISTENING "$LAB_TMP/$name.msgs" || return 1
	lab_bg d "$name" env NOTIFY_SOCKET="$NSOCK" "$@" "$XLBD" -c "$CFG" \
		-p "$PIN" --state-file "$LAB_TMP/state.json" --no-attach
	XLBD_PID=$LAB_LAST_PID
}

stop() {
	lab_stop "$XLBD_PID"
	lab_stop "$LISTENER"
}

# msgs NAME - the messages received, one per line ("\n" inside kept as |)
msgs() {
	"$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    print(json.loads(l)["msg"].replace("\n", "|"))' "$LAB_TMP/$1.msgs"
}

# log_at NAME MSG_REGEX - the log as it was when the first message matching
# MSG_REGEX arrived
log_at() {
	"$PY" -c 'import json,re,sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if re.search(sys.argv[2], m["msg"]):
        print("\n".join(m["log"]))
        break' "$LAB_TMP/$1.msgs" "$2"
}

test_ready_after_running_and_first_verdicts() {
	local at
	write_config checks
	start ready || return 1
	lab_wait 15 grep -q 'READY=1' "$LAB_TMP/ready.msgs" || {
		lab_log "no READY=1; got:"
		msgs ready
		return 1
	}
	at=$(log_at ready 'READY=1')
	check "\"running\" logged before READY=1" \
		grep -q 'info: running' <<<"$at" || return 1
	check "10.9.0.2 had its first verdict (up) before READY=1" \
		grep -qE 'backend 10\.9\.0\.2: up' <<<"$at" || return 1
	check "10.9.0.3 had its first verdict (down) before READY=1" \
		grep -qE 'backend 10\.9\.0\.3: down' <<<"$at" || return 1
	check "a STATUS while the checks were pending" sh -c \
		"grep -q 'STATUS=starting: 2 backends wait' $LAB_TMP/ready.msgs" || return 1
	check "STATUS with READY names VIPs and servable" sh -c \
		"grep -q 'READY=1.*STATUS=2 VIPs, 0 servable, BGP off' $LAB_TMP/ready.msgs" || return 1
	check "READY=1 sent once" test "$(msgs ready | grep -c READY=1)" = 1 || return 1
	stop
	check "STOPPING=1 on SIGTERM" sh -c "grep -q STOPPING=1 $LAB_TMP/ready.msgs" || return 1
	check "no WATCHDOG=1 when systemd does not ask" sh -c \
		"! grep -q WATCHDOG=1 $LAB_TMP/ready.msgs"
}

test_ready_at_once_without_checks() {
	local at
	write_config
	start nochecks || return 1
	lab_wait 15 grep -q 'READY=1' "$LAB_TMP/nochecks.msgs" || {
		lab_log "no READY=1; xlbd said:"
		cat "$LAB_TMP/nochecks.log"
		return 1
	}
	at=$(log_at nochecks 'READY=1')
	check "\"running\" logged before READY=1" \
		grep -q 'info: running' <<<"$at" || return 1
	check "STATUS: no VIP servable (not attached)" sh -c \
		"grep -q 'READY=1.*STATUS=2 VIPs, 0 servable, BGP off' $LAB_TMP/nochecks.msgs" || return 1
	stop
}

test_status_says_when_bird_is_unreachable() {
	write_config
	cat >>"$CFG" <<EOF
bgp:
  bird_socket: $LAB_TMP/no-bird.ctl
  include_file: $LAB_TMP/bird-vips.conf
  allowed: [192.0.2.0/24]
EOF
	start bird || return 1
	lab_wait 15 grep -q 'READY=1' "$LAB_TMP/bird.msgs" || return 1
	check "STATUS counts announced VIPs and says BIRD is unreachable" \
		lab_wait 15 grep -qE \
		'STATUS=2 VIPs, 0 servable, 0 announced, BIRD unreachable \([0-9]+ attempts? failed\)' \
		"$LAB_TMP/bird.msgs" || { msgs bird; return 1; }
	stop
}

test_watchdog_pings_at_half_the_period() {
	write_config
	start watchdog WATCHDOG_USEC=400000 || return 1
	# three pings: the period is 200 ms; bounded wait, nothing timed
	lab_wait 15 sh -c "[ \$(grep -c WATCHDOG=1 $LAB_TMP/watchdog.msgs) -ge 3 ]" || {
		lab_log "pings:"
		msgs watchdog
		return 1
	}
	check "xlbd logged the period" \
		grep -q 'watchdog every 200 ms' "$LAB_TMP/watchdog.log" || return 1
	stop
	# WATCHDOG_PID naming another process: not ours to ping
	start watchdog2 WATCHDOG_USEC=400000 WATCHDOG_PID=1 || return 1
	lab_wait 15 grep -q 'READY=1' "$LAB_TMP/watchdog2.msgs" || return 1
	stop
	check "no ping when WATCHDOG_PID is another process" sh -c \
		"! grep -q WATCHDOG=1 $LAB_TMP/watchdog2.msgs"
}

# journald's stream, as systemd hands it: JOURNAL_STREAM=DEV:INODE of
# stderr. A log file stands in for the stream.
test_journal_lines_carry_the_priority() {
	local log=$LAB_TMP/journal.log js
	write_config
	: >"$log"
	js=$(stat -c '%d:%i' "$log")
	# not lab_bg: stderr must be this very file
	setsid nsenter --net="/run/netns/$LAB_P-d" -- env JOURNAL_STREAM="$js" \
		"$XLBD" -c "$CFG" -p "$PIN" --state-file "$LAB_TMP/state.json" \
		--no-attach 2>>"$log" >/dev/null &
	XLBD_PID=$!
	LAB_PIDS+=("$XLBD_PID")
	lab_wait 15 x status || return 1
	# an error: a reload of a broken file
	echo "nonsense: [" >>"$CFG"
	x reload >/dev/null 2>&1
	lab_wait 10 grep -q 'reload' "$log" || return 1
	lab_stop "$XLBD_PID"
	check "error line has <3>" grep -qE '^<3>xlbd: err: reload: ' "$log" || return 1
	check "info line has <6>" grep -qE '^<6>xlbd: info: running' "$log" || return 1
	check "no line without a prefix" sh -c "! grep -vE '^<[0-7]>' $log"
}

test_plain_lines_when_stderr_is_not_the_journal() {
	local log=$LAB_TMP/plain.log
	write_config
	: >"$log"
	# JOURNAL_STREAM inherited, but stderr is another file
	setsid nsenter --net="/run/netns/$LAB_P-d" -- env JOURNAL_STREAM=1:1 \
		"$XLBD" -c "$CFG" -p "$PIN" --state-file "$LAB_TMP/state.json" \
		--no-attach 2>>"$log" >/dev/null &
	XLBD_PID=$!
	LAB_PIDS+=("$XLBD_PID")
	lab_wait 15 x status || return 1
	lab_stop "$XLBD_PID"
	check "plain info line" grep -qE '^xlbd: info: running' "$log" || return 1
	check "no prefix anywhere" sh -c "! grep -qE '^<[0-7]>' $log"
}

setup || exit 1
lab_run_cases test_ready_after_running_and_first_verdicts \
	test_ready_at_once_without_checks \
	test_status_says_when_bird_is_unreachable \
	test_watchdog_pings_at_half_the_period \
	test_journal_lines_carry_the_priority \
	test_plain_lines_when_stderr_is_not_the_journal
exit $LAB_FAILED
