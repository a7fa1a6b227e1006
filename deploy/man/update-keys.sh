#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# update-keys.sh - write the lists the configuration's field tables
# (userspace/lib/config/fields.c) generate into the man pages, between their
# markers: the keys of xlb.yaml(5) (hidden `xlbctl --man-keys`, markers
# GENERATED KEYS) and the object options of xlbctl(8) (`xlbctl
# --man-options`, markers GENERATED OPTIONS).
#
#   deploy/man/update-keys.sh [XLBCTL]           rewrite the man pages
#   deploy/man/update-keys.sh --check [XLBCTL]   exit 1 if one is stale
set -eu
cd "$(dirname "$0")/../.."
check=false
if [ "${1:-}" = --check ]; then
	check=true
	shift
fi
x=${1:-${BUILD:-build}/xlbctl}
stale=0

# update PAGE MARKER OPTION
update() {
	local page=$1 marker=$2 text new
	text=$("$x" "$3")
	new=$(awk -v text="$text" -v m="$marker" '
		index($0, ".\\\" BEGIN " m) == 1 { print; print text; skip = 1; next }
		index($0, ".\\\" END " m) == 1 { skip = 0 }
		!skip { print }' "$page")
	if ! $check; then
		echo "$new" >"$page"
	elif [ "$new" != "$(cat "$page")" ]; then
		echo "$page: the $marker list is stale" >&2
		diff <(cat "$page") <(echo "$new") | head -20 >&2
		stale=1
	fi
}

update deploy/man/xlb.yaml.5 "GENERATED KEYS" --man-keys
update deploy/man/xlbctl.8 "GENERATED OPTIONS" --man-options
exit $stale
