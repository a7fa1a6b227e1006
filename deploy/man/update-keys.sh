#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# update-keys.sh - write the key list of xlb.yaml(5), generated from the
# configuration's field tables (userspace/lib/config/fields.c) by the hidden
# `xlbctl --man-keys`, between the GENERATED KEYS markers of the man page.
#
#   deploy/man/update-keys.sh [XLBCTL] [MANPAGE]     rewrite the man page
#   deploy/man/update-keys.sh --check [XLBCTL] [MANPAGE]   exit 1 if stale
set -eu
cd "$(dirname "$0")/../.."
check=false
if [ "${1:-}" = --check ]; then
	check=true
	shift
fi
x=${1:-${BUILD:-build}/xlbctl}
page=${2:-deploy/man/xlb.yaml.5}
keys=$("$x" --man-keys)
new=$(awk -v keys="$keys" '
	/^\.\\" BEGIN GENERATED KEYS/ { print; print keys; skip = 1; next }
	/^\.\\" END GENERATED KEYS/ { skip = 0 }
	!skip { print }' "$page")
if $check; then
	[ "$new" = "$(cat "$page")" ] && exit 0
	diff <(cat "$page") <(echo "$new") | head -20 >&2
	exit 1
fi
echo "$new" >"$page"
