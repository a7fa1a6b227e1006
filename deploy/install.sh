#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# install.sh BUILD - install xlb (make install). DESTDIR and PREFIX work as
# usual for packaging. The BPF objects are embedded in the binaries through
# their skeletons, so only the binaries are installed.
set -eu
BUILD=${1:-build}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr}
SRC=$(cd "$(dirname "$0")/.." && pwd)

install -d "$DESTDIR$PREFIX/sbin" "$DESTDIR/etc/xlb" \
	"$DESTDIR$PREFIX/share/man/man8" "$DESTDIR$PREFIX/share/doc/xlb" \
	"$DESTDIR/lib/systemd/system" "$DESTDIR$PREFIX/lib/tmpfiles.d"
install -m 0755 "$BUILD/xlbd" "$BUILD/xlbctl" "$DESTDIR$PREFIX/sbin/"
# The full example is reference only. The live file is the inert minimal
# one (no interface, no VIP): nothing is attached to a NIC until the
# operator names one. An existing /etc/xlb/xlb.yaml is never touched, and
# the unit is installed but neither enabled nor started.
install -m 0644 "$SRC/deploy/xlb.yaml.example" "$DESTDIR/etc/xlb/"
[ -e "$DESTDIR/etc/xlb/xlb.yaml" ] ||
	install -m 0640 "$SRC/deploy/xlb.yaml.minimal" \
		"$DESTDIR/etc/xlb/xlb.yaml"
install -m 0644 "$SRC"/deploy/man/*.8 "$DESTDIR$PREFIX/share/man/man8/"
install -m 0644 "$SRC/deploy/xlbd.service" "$DESTDIR/lib/systemd/system/"
install -m 0644 "$SRC/deploy/xlb-tmpfiles.conf" \
	"$DESTDIR$PREFIX/lib/tmpfiles.d/xlb.conf"
install -d "$DESTDIR$PREFIX/lib/sysusers.d"
install -m 0644 "$SRC/deploy/xlb-sysusers.conf" \
	"$DESTDIR$PREFIX/lib/sysusers.d/xlb.conf"
# Every document under its own name, laid out as the Debian package lays
# them (debian/rules): docs/*.md beside README.md, BIRD's example and its
# README (as README.bird.md) and the Grafana dashboard under examples/.
DOC=$DESTDIR$PREFIX/share/doc/xlb
install -d "$DOC/examples"
install -m 0644 "$SRC/README.md" "$SRC/SECURITY.md" "$SRC"/docs/*.md "$DOC/"
install -m 0644 "$SRC/bgp/bird.conf.example" "$SRC/deploy/grafana-xlb.json" \
	"$DOC/examples/"
install -m 0644 "$SRC/bgp/README.md" "$DOC/examples/README.bird.md"
install -d "$DESTDIR$PREFIX/share/man/man5" \
	"$DESTDIR$PREFIX/share/bash-completion/completions"
install -m 0644 "$SRC"/deploy/man/*.5 "$DESTDIR$PREFIX/share/man/man5/"
"$SRC/deploy/xlbctl-completion.sh" "$BUILD/xlbctl" \
	>"$DESTDIR$PREFIX/share/bash-completion/completions/xlbctl"

# On the live system: the xlb user and its directories now (systemd does
# it at boot). Nothing is enabled or started.
if [ -z "$DESTDIR" ] && command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers xlb.conf
	systemd-tmpfiles --create xlb.conf || true
fi
echo "installed xlb into ${DESTDIR:-/}"
