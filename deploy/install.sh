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
install -m 0644 "$SRC/deploy/xlb.yaml.example" "$DESTDIR/etc/xlb/"
[ -e "$DESTDIR/etc/xlb/xlb.yaml" ] ||
	install -m 0640 "$SRC/deploy/xlb.yaml.example" \
		"$DESTDIR/etc/xlb/xlb.yaml"
install -m 0644 "$SRC"/deploy/man/*.8 "$DESTDIR$PREFIX/share/man/man8/"
install -m 0644 "$SRC/deploy/xlbd.service" "$DESTDIR/lib/systemd/system/"
install -m 0644 "$SRC/deploy/xlb-tmpfiles.conf" \
	"$DESTDIR$PREFIX/lib/tmpfiles.d/xlb.conf"
for f in README.md docs/*.md bgp/bird.conf.example bgp/README.md; do
	[ -e "$SRC/$f" ] &&
		install -m 0644 "$SRC/$f" "$DESTDIR$PREFIX/share/doc/xlb/"
done
echo "installed xlb into ${DESTDIR:-/}"
