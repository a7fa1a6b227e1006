#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_api.sh - the API socket bounds every client (docs/api.md, "Limits").
#
# xlbd runs with --no-attach (maps only) in a namespace of its own, with a
# configuration big enough that one config.dump answer is about 230 KB.
# Clients are python3 scripts, some run as throwaway system users:
#
#   $GRP   the api.group of xlbd
#   $UIN   primary group $UIN, $GRP only as a supplementary group
#   $UOUT  not in $GRP
#
# The users and the group are created with unique names and removed at the
# end. The socket directory is made traversable so that they can reach it.
. "$(dirname "$0")/lib.sh"

lab_xlb_binaries # PY, XLBD, XLBCTL (ASan+UBSan builds when made)

# Bound on xlbd's RSS growth while a client pipelines 2000 config.dump
# requests and reads nothing. Each answer is ~230 KB: without a bound
# xlbd grew by 677508 KiB here before the case gave up watching.
RSS_BOUND_KB=$((64 * 1024))
# Bound on the time another client waits for `status` meanwhile.
LAT_BOUND_MS=1000

lab_init api
CFG=$LAB_TMP/xlb.yaml
RUN=$LAB_TMP/run
SOCK=$RUN/xlb.sock
PIN=/sys/fs/bpf/xlb-$LAB_P
GRP=${LAB_P:0:12}g
UIN=${LAB_P:0:12}i
UOUT=${LAB_P:0:12}o

write_config() {
	local v b
	{
		cat <<EOF
interfaces:
  - name: lo
lb:
  source4: 10.1.0.1
  tables:
    max_vips: 128
    max_backends: 8192
    ring_max: 1021
    conn_max: 1024
api:
  socket: $SOCK
  group: $GRP
log:
  level: warn
vips:
EOF
		for v in $(seq 0 63); do
			printf '  - address: 192.0.2.%d\n    port: 80\n' $((v + 1))
			printf '    protocol: tcp\n    ring_size: 1021\n'
			printf '    backends:\n'
			for b in $(seq 1 60); do
				printf '      - address: 10.2.%d.%d\n' "$v" "$b"
			done
		done
	} >"$CFG"
}

start_xlbd() {
	local name
	name=xlbd-$(date +%s%N)
	# ASan keeps freed memory in quarantine (256 MB by default), which
	# would count as growth in the RSS bound: keep it small
	ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=4 \
		lab_bg pop "$name" "$XLBD" -c "$CFG" -p "$PIN" --no-attach \
		--state-file "$LAB_TMP/state.json"
	XLBD_PID=$LAB_LAST_PID
	XLBD_LOG=$LAB_TMP/$name.log
	lab_wait 30 "$XLBCTL" -s "$SOCK" status
}

# as USER CMD... - run CMD as USER, with USER's own groups
as() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups -- "$@"
}

# ready - xlbd runs (started if an earlier case was filtered out or
# stopped it) and answers (it may still be busy with an earlier case)
ready() {
	if [ -z "${XLBD_PID:-}" ] || ! kill -0 "$XLBD_PID" 2>/dev/null; then
		[ -n "${XLBD_PID:-}" ] && lab_log "xlbd is gone: starting it again"
		start_xlbd || return 1
	fi
	check "xlbd answers" lab_wait 30 "$XLBCTL" -s "$SOCK" status
}

# rss_kb - xlbd's resident set, in KiB
rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$XLBD_PID/status"
}

setup() {
	lab_need setpriv useradd groupadd || return 1
	lab_ns pop || return 1
	groupadd --system "$GRP" || return 1
	lab_defer "groupdel $GRP"
	useradd --system --no-create-home --shell /usr/sbin/nologin \
		--user-group --groups "$GRP" "$UIN" || return 1
	lab_defer "userdel $UIN"
	useradd --system --no-create-home --shell /usr/sbin/nologin \
		--user-group "$UOUT" || return 1
	lab_defer "userdel $UOUT"
	# the users must reach the socket: traverse $LAB_TMP, enter $RUN
	chmod 0711 "$LAB_TMP"
	mkdir -m 0755 "$RUN"
	write_config
	lab_defer "nsx pop $XLBD --cleanup -c $CFG -p $PIN"
}

test_starts_with_maps_only() {
	start_xlbd || return 1
	check "config.dump answer is large" sh -c \
		"[ \$($XLBCTL -s $SOCK -j config dump | wc -c) -gt 200000 ]"
}

# Item 1: a client pipelines 2000 config.dump requests and never reads.
test_non_reading_client_is_bounded() {
	local out base
	ready || return 1
	base=$(rss_kb)
	out=$("$PY" - "$SOCK" "$XLBD_PID" "$RSS_BOUND_KB" <<'EOF'
import re, select, socket, statistics, sys, time
path, pid, bound = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def rss():
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])

def status_ms():
    """time to an answer to status; 10 s when there is none"""
    t = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        s.settimeout(10)
        s.sendall(b'{"cmd":"status"}\n')
        buf = b""
        while not buf.endswith(b"\n"):
            d = s.recv(65536)
            if not d:
                break
            buf += d
        if not re.search(rb'"ok": *true', buf):
            return 10000.0
    except OSError:
        return 10000.0
    finally:
        s.close()
    return (time.monotonic() - t) * 1000

base = rss()
h = socket.socket(socket.AF_UNIX)
h.connect(path)
t0 = time.monotonic()
h.sendall(b'{"cmd":"config.dump"}\n' * 2000)
p = select.poll()
p.register(h, select.POLLHUP)
peak, lat, gone = base, [], None
while time.monotonic() - t0 < 25:
    peak = max(peak, rss())
    lat.append(status_ms())
    if p.poll(200):
        gone = time.monotonic() - t0
        break
    if peak - base > 2 * bound:
        break  # unbounded: no need to watch it grow further
peak = max(peak, rss())
time.sleep(1)
print("rss_base_kb %d" % base)
print("rss_growth_kb %d" % (peak - base))
print("rss_after_kb %d" % rss())
print("status_n %d" % len(lat))
print("status_max_ms %.1f" % max(lat))
print("status_median_ms %.1f" % statistics.median(lat))
print("status_slowest_ms %s" % " ".join("%.0f" % x for x in sorted(lat)[-3:]))
print("status_first_ms %s" % " ".join("%.0f" % x for x in lat[:3]))
print("disconnected_s %s" % ("%.1f" % gone if gone is not None else "no"))
EOF
) || return 1
	printf '# %s\n' "${out//$'\n'/$'\n'# }"
	local growth after lat gone
	growth=$(awk '$1 == "rss_growth_kb" {print $2}' <<<"$out")
	after=$(awk '$1 == "rss_after_kb" {print $2}' <<<"$out")
	lat=$(awk '$1 == "status_max_ms" {printf "%d", $2}' <<<"$out")
	gone=$(awk '$1 == "disconnected_s" {print $2}' <<<"$out")
	check "RSS growth ${growth} KiB <= $RSS_BOUND_KB KiB" \
		test "$growth" -le "$RSS_BOUND_KB" || return 1
	check "status answered meanwhile in < $LAT_BOUND_MS ms (${lat} ms)" \
		test "$lat" -lt "$LAT_BOUND_MS" || return 1
	check "xlbd disconnected the client" test "$gone" != no || return 1
	check "disconnection logged with the peer's pid and uid" grep -qE \
		'api: client pid [0-9]+ uid 0: .*disconnected' "$XLBD_LOG" ||
		return 1
	check "RSS back within the bound (${after} KiB, was ${base})" \
		test "$after" -le $((base + RSS_BOUND_KB))
}

# Clients that close before reading their answer (a timed-out xlbctl, a
# killed script): xlbd writes to a closed socket, which must cost that
# connection only (not SIGPIPE for the whole daemon).
test_clients_gone_before_their_answer() {
	ready || return 1
	"$PY" - "$SOCK" <<'EOF' || return 1
import socket, sys
for i in range(50):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(b'{"cmd":"config.dump"}\n' * 2)
    s.close()
EOF
	# (100 answers of 230 KB to write first: seconds under ASan)
	check "xlbd still answers" lab_wait 60 "$XLBCTL" -s "$SOCK" status ||
		return 1
	check "xlbd still running" kill -0 "$XLBD_PID"
}

# A client that half-closes after its requests gets every answer.
test_half_closed_client_gets_every_answer() {
	local out
	ready || return 1
	out=$("$PY" - "$SOCK" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(20)
s.sendall(b'{"cmd":"config.dump"}\n' * 20)
s.shutdown(socket.SHUT_WR)
buf = b""
try:
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        buf += d
except OSError as e:
    print("error: %s" % e)
print("answers %d" % buf.count(b'"ok":true'))
EOF
)
	lab_log "$out"
	check "20 answers of 20" grep -qx 'answers 20' <<<"$out"
}

# Item 2: api.group is honoured as a supplementary group.
test_supplementary_group_member_is_admitted() {
	ready || return 1
	check "primary-group member admitted" setpriv --reuid "$UIN" \
		--regid "$GRP" --init-groups -- "$XLBCTL" -s "$SOCK" status \
		>/dev/null || return 1
	check "supplementary-group member admitted" as "$UIN" \
		"$XLBCTL" -s "$SOCK" status >/dev/null
}

# refused_reply USER - connect as USER, wait, send status, print the answer
refused_reply() {
	as "$1" "$PY" - "$SOCK" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
time.sleep(0.3)  # xlbd has accepted (and judged) the connection by now
try:
    s.sendall(b'{"cmd":"status"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    print(buf.decode().strip())
except OSError as e:
    print("error: %s" % e)
EOF
}

# Item 2: a refused client reads why before the connection closes.
test_refused_client_reads_the_reply() {
	local out
	ready || return 1
	# as if the operator had loosened the socket: anyone may connect,
	# so the credentials check is what refuses
	chmod 0666 "$SOCK" || return 1
	out=$(refused_reply "$UOUT")
	lab_log "python client: $out"
	check "python client reads the refusal" grep -q '"ok": *false.*not allowed' \
		<<<"$out" || { chmod 0660 "$SOCK"; return 1; }
	out=$(as "$UOUT" "$XLBCTL" -s "$SOCK" status 2>&1)
	lab_log "xlbctl: $out"
	chmod 0660 "$SOCK"
	check "xlbctl reports the refusal" grep -q 'not allowed' <<<"$out" ||
		return 1
	check "refusal logged" grep -qE \
		"api: refused client pid [0-9]+ uid $(id -u "$UOUT")" "$XLBD_LOG"
}

# Item 3: 64 idle connections of a user do not lock root out.
IDLE_PY='
import select, socket, sys, time
path = sys.argv[1]
idle = []
for i in range(64):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    idle.append(s)
t0 = time.monotonic()
print("held %d" % len(idle), flush=True)
sys.stdin.readline()  # root has had its turn
# one more client of the same user: refused, with a reply
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(10)
buf = b""
try:
    s.sendall(b"{\"cmd\":\"status\"}\n")
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
except OSError as e:
    buf = str(e).encode()
print("extra: %s" % buf.decode().strip(), flush=True)
# connections that never sent a request are closed soon
p = select.poll()
for c in idle:
    p.register(c, select.POLLHUP)
closed = set()
while len(closed) < len(idle) and time.monotonic() - t0 < 20:
    for fd, ev in p.poll(200):
        closed.add(fd)
        p.unregister(fd)
print("closed %d of %d after %.1f s" % (len(closed), len(idle),
                                        time.monotonic() - t0), flush=True)
'

test_idle_connections_do_not_lock_root_out() {
	local out pid t0 t1 rc
	ready || return 1
	mkfifo "$LAB_TMP/go" || return 1
	# api group as primary group: admitted by any xlbd, old or new
	setpriv --reuid "$UIN" --regid "$GRP" --init-groups -- \
		timeout 60 "$PY" -c "$IDLE_PY" "$SOCK" \
		<"$LAB_TMP/go" >"$LAB_TMP/idle.out" 2>&1 &
	pid=$!
	exec 9>"$LAB_TMP/go"
	if ! lab_wait 20 grep -q "held 64" "$LAB_TMP/idle.out"; then
		exec 9>&-
		wait "$pid"
		cat "$LAB_TMP/idle.out"
		lab_log "FAILED: 64 idle connections not opened"
		return 1
	fi
	sleep 0.3 # xlbd has accepted them all
	t0=$(date +%s%N)
	"$XLBCTL" -s "$SOCK" status >/dev/null
	rc=$?
	t1=$(date +%s%N)
	lab_log "root status with 64 idle connections: rc $rc, $(((t1 - t0) / 1000000)) ms"
	echo go >&9
	exec 9>&-
	wait "$pid"
	out=$(cat "$LAB_TMP/idle.out")
	printf '# %s\n' "${out//$'\n'/$'\n'# }"
	check "root admitted past 64 idle connections" test "$rc" -eq 0 ||
		return 1
	check "the user's next client is refused with a reply" \
		grep -q '^extra: .*"ok": *false.*too many' <<<"$out" || return 1
	check "silent connections closed" grep -q '^closed 64 of 64' \
		<<<"$out" || return 1
	check "the user is served again" as "$UIN" "$XLBCTL" -s "$SOCK" \
		status >/dev/null
}

test_stops_cleanly() {
	lab_stop "$XLBD_PID"
	lab_san_clean "$XLBD_LOG"
}

setup || exit 1
lab_run_cases test_starts_with_maps_only \
	test_non_reading_client_is_bounded \
	test_clients_gone_before_their_answer \
	test_half_closed_client_gets_every_answer \
	test_supplementary_group_member_is_admitted \
	test_refused_client_reads_the_reply \
	test_idle_connections_do_not_lock_root_out \
	test_stops_cleanly
exit $LAB_FAILED
