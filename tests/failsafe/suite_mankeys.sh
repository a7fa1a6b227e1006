#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_mankeys.sh - the key list of xlb.yaml(5) is the one the field
# tables generate (`xlbctl --man-keys`, written by deploy/man/update-keys.sh):
# a key, default or range changed in userspace/lib/config/fields.c without
# rerunning the script fails here.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

n=$("$BUILD/xlbctl" --man-keys | grep -c '^\.TP')
if [ "$n" -gt 60 ]; then
	echo "ok - xlbctl --man-keys lists $n keys"
else
	echo "not ok - xlbctl --man-keys lists $n keys, expected more than 60"
fi
if deploy/man/update-keys.sh --check "$BUILD/xlbctl"; then
	echo "ok - the generated lists of xlb.yaml(5) and xlbctl(8) are current"
else
	echo "not ok - a generated list of xlb.yaml(5) or xlbctl(8) is stale: run deploy/man/update-keys.sh"
fi
