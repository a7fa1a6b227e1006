#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_deb.sh - the Debian package: `make deb` builds it (in a temporary
# BUILD, so the developer's build/ is not touched), it holds what an
# operator needs, installs inert, and the installed xlbd accepts the
# installed configurations. The package is unpacked with dpkg-deb -x into a
# throwaway root (running its postinst would touch this machine's users).
# Skips (77) without dpkg-buildpackage and debhelper.
. "$(dirname "$0")/../netns/lib.sh"

lab_init deb
OUT=$LAB_TMP/b
ROOT=$LAB_TMP/root

deb_file() {
	ls "$OUT"/deb/xlb_*.deb 2>/dev/null | head -1
}

test_make_deb_builds_the_package() {
	lab_need dpkg-buildpackage dh || return $?
	(cd "$LAB_ROOT" && nice make --no-print-directory deb BUILD="$OUT") \
		>"$LAB_TMP/build.log" 2>&1 || {
		tail -30 "$LAB_TMP/build.log"
		return 1
	}
	check "a .deb" test -n "$(deb_file)" || return 1
	dpkg-deb -x "$(deb_file)" "$ROOT" && dpkg-deb -e "$(deb_file)" "$ROOT/DEBIAN"
}

test_package_holds_binaries_docs_unit_and_config() {
	local f
	[ -n "$(deb_file)" ] || return $LAB_SKIP
	for f in usr/sbin/xlbd usr/sbin/xlbctl \
		usr/share/man/man8/xlbd.8.gz usr/share/man/man8/xlbctl.8.gz \
		usr/share/man/man5/xlb.yaml.5.gz \
		usr/share/bash-completion/completions/xlbctl \
		lib/systemd/system/xlbd.service usr/lib/tmpfiles.d/xlb.conf \
		etc/xlb/xlb.yaml etc/xlb/xlb.yaml.example \
		usr/share/doc/xlb/examples/bird.conf.example \
		usr/share/doc/xlb/metrics.md usr/share/doc/xlb/bgp.md \
		usr/share/doc/xlb/README.md usr/share/doc/xlb/copyright; do
		check "$f in the package" test -e "$ROOT/$f" || return 1
	done
	check "both /etc files are conffiles" sh -c \
		"grep -qx /etc/xlb/xlb.yaml $ROOT/DEBIAN/conffiles &&
		 grep -qx /etc/xlb/xlb.yaml.example $ROOT/DEBIAN/conffiles" || return 1
	check "postinst creates the xlb system group and user" sh -c \
		"grep -q 'addgroup --system' $ROOT/DEBIAN/postinst &&
		 grep -q 'adduser --system' $ROOT/DEBIAN/postinst"
}

test_unit_is_installed_but_neither_enabled_nor_started() {
	[ -n "$(deb_file)" ] || return $LAB_SKIP
	check "unit is Type=notify" grep -qx 'Type=notify' \
		"$ROOT/lib/systemd/system/xlbd.service" || return 1
	# dh_installsystemd --no-enable --no-start: enable only if it was
	# enabled before (upgrade), never start
	check "no start in the maintainer scripts" sh -c \
		"! cat $ROOT/DEBIAN/postinst $ROOT/DEBIAN/prerm 2>/dev/null |
		   grep -qE 'deb-systemd-invoke (start|restart)|systemctl (start|restart)'" || return 1
	check "enabled only when it was enabled" sh -c \
		"grep -B3 \"deb-systemd-helper enable 'xlbd.service'\" $ROOT/DEBIAN/postinst |
		 grep -q was-enabled"
}

test_installed_xlbd_accepts_the_installed_configurations() {
	local out
	[ -n "$(deb_file)" ] || return $LAB_SKIP
	# the example names eth1 and eth2, which this host need not have:
	# --no-attach checks the file without looking at interfaces
	check "xlbd --check on the installed example" \
		"$ROOT/usr/sbin/xlbd" --check --no-attach \
		-c "$ROOT/etc/xlb/xlb.yaml.example" || return 1
	out=$("$ROOT/usr/sbin/xlbd" --check -c "$ROOT/etc/xlb/xlb.yaml" 2>&1)
	echo "$out"
	check "xlbd --check on the installed xlb.yaml" grep -q ': ok (0 VIPs)' \
		<<<"$out" || return 1
	check "installed xlb.yaml names no interface and no VIP" sh -c \
		"grep -qx 'interfaces: \[\]' $ROOT/etc/xlb/xlb.yaml &&
		 grep -qx 'vips: \[\]' $ROOT/etc/xlb/xlb.yaml"
}

# complete WORDS... - what the installed completion offers for the last word
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_xlbctl; echo "${COMPREPLY[*]}"' _ \
		"$ROOT/usr/share/bash-completion/completions/xlbctl" "$@"
}

test_bash_completion_follows_the_command_table() {
	[ -n "$(deb_file)" ] || return $LAB_SKIP
	check "objects" test "$(complete_words xlbctl st)" = "stats status" || return 1
	check "verbs" test "$(complete_words xlbctl -j vip a)" = "add" || return 1
	local o
	o=$(complete_words xlbctl backend add 192.0.2.1 --)
	check "options: $o" grep -q -- --weight <<<"$o" || return 1
	check "option values" test \
		"$(complete_words xlbctl backend add 192.0.2.1 --proto '')" = "tcp udp" || return 1
	check "keyword values" test \
		"$(complete_words xlbctl backend set 192.0.2.1 10.0.0.1 state d)" = "drain down" || return 1
	check "bare choices" test \
		"$(complete_words xlbctl log set '')" = "err warn info debug" || return 1
	check "verb-less command's options" test \
		"$(complete_words xlbctl status --)" = "--flows --help"
}

test_man_pages_render_cleanly() {
	local p err
	[ -n "$(deb_file)" ] || return $LAB_SKIP
	lab_need man || return $?
	for p in man8/xlbd.8.gz man8/xlbctl.8.gz man5/xlb.yaml.5.gz; do
		err=$(MANWIDTH=80 man --warnings -l "$ROOT/usr/share/man/$p" 2>&1 >/dev/null)
		check "$p renders without warnings: $err" test -z "$err" || return 1
	done
}

test_lintian_finds_no_error() {
	local tags
	[ -n "$(deb_file)" ] || return $LAB_SKIP
	lab_need lintian || return $?
	tags=$(lintian -I --pedantic "$OUT"/deb/xlb_*.changes 2>&1)
	echo "$tags" | sed 's/^/lintian: /'
	check "no lintian error" sh -c "! echo '$tags' | grep -q '^E:'"
}

lab_run_cases test_make_deb_builds_the_package \
	test_package_holds_binaries_docs_unit_and_config \
	test_unit_is_installed_but_neither_enabled_nor_started \
	test_installed_xlbd_accepts_the_installed_configurations \
	test_bash_completion_follows_the_command_table \
	test_man_pages_render_cleanly \
	test_lintian_finds_no_error
exit $LAB_FAILED
