#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh - install every Debian package xlb needs to build, test and run.
#
# Idempotent: packages already installed are skipped, and apt-get update runs
# only when something is missing (or the package lists are absent).  Daemons
# that Debian would start on install (bird, frr) are not started: xlb runs its
# own instances, and an operator enables the system ones on purpose.
#
# Usage: deploy/deps.sh [--check]   (--check: list what is missing, exit 1 if any)
set -eu

PKGS="
make gcc clang llvm pkg-config
libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev zlib1g-dev
libnl-3-dev libnl-route-3-dev
libcurl4-openssl-dev libuv1-dev libcyaml-dev libjansson-dev
libmicrohttpd-dev libcmocka-dev
iproute2 nftables util-linux procps psmisc iputils-ping ethtool tcpdump
bird2 frr
curl openssl socat dnsmasq-base
python3 python3-scapy
clang-format clang-tidy cppcheck libclang-rt-14-dev
"
# the config loader reads YAML with libyaml itself (no longer libcyaml)
PKGS="$PKGS libyaml-dev"
# the metrics test parses /metrics with Prometheus' own Python parser
PKGS="$PKGS python3-prometheus-client"
# make deb and its test: dpkg-buildpackage, dh, lintian
PKGS="$PKGS debhelper dpkg-dev lintian"
# make lab with LAB_CONFIG reads the operator's YAML (tests/netns/xlb-lab.sh)
PKGS="$PKGS python3-yaml"
# make bench-plot draws the charts (tests/bench/plot.py), and
# bench_veth.sh draws docs/veth-pps.png with it (BENCH_PLOT=1)
PKGS="$PKGS python3-matplotlib"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done

if [ "${1:-}" = "--check" ]; then
	if [ -n "$missing" ]; then
		echo "deps: missing:$missing"
		exit 1
	fi
	echo "deps: all installed"
	exit 0
fi

if [ -z "$missing" ]; then
	echo "deps: all installed"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive

# Keep package scripts from starting system daemons while we install.
prc=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$prc" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$prc"
	chmod 755 "$prc"
	ours=1
fi
cleanup() { [ -z "$ours" ] || rm -f "$prc"; }
trap cleanup EXIT INT TERM

if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] ||
   ! apt-get install -y -q --no-install-recommends $missing; then
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
echo "deps: done"
