#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_messages.sh - every command a message of the sources tells an
# operator to run exists: each "xlbctl OBJECT VERB" is listed by
# `xlbctl --help`, each "xlbd --option" by `xlbd --help`. Adjacent C
# string literals are joined first, so a command split over two lines is
# still seen.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac

"$BUILD/xlbctl" --help >/tmp/xlb-msg-ctl.$$ 2>&1
"$BUILD/xlbd" --help >/tmp/xlb-msg-d.$$ 2>&1
trap 'rm -f /tmp/xlb-msg-ctl.$$ /tmp/xlb-msg-d.$$' EXIT

python3 - /tmp/xlb-msg-ctl.$$ /tmp/xlb-msg-d.$$ userspace <<'PY'
import os, re, sys

ctl_help, d_help, root = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
verbs, alone = set(), set()
for m in re.finditer(r"^\s*xlbctl ([a-z][a-z-]*)(?: ([a-z|-]+))?\s*$", ctl_help, re.M):
    if m.group(2) is None:
        alone.add(m.group(1))  # a command without verbs: xlbctl stats
        continue
    for v in m.group(2).split("|"):
        verbs.add((m.group(1), v))
opts = set(re.findall(r"(--[a-z-]+)", d_help))

lit = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
bad, seen = [], 0
for dirpath, _, files in os.walk(root):
    for f in files:
        if not f.endswith(".c"):
            continue
        p = os.path.join(dirpath, f)
        src = open(p, errors="replace").read()
        # comments out first: a quote in one would shift every literal
        src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
        src = re.sub(r"(^|(?<=\s))//[^\n]*", " ", src, flags=re.M)
        src = re.sub(r"'(?:[^'\\\n]|\\.)'", "' '", src)  # '"' chars
        # join adjacent literals: "abc " "def" -> "abc def"
        src = re.sub(r'"\s*\n\s*"', "", src)
        for s in lit.findall(src):
            # options may come first: xlbctl -j stats, xlbctl -s S status
            for m in re.finditer(r"xlbctl (?:-[a-z] (?:[A-Z]+ )?)*([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", s):
                obj, verb = m.group(1), m.group(2)
                if obj == "backend-host" and verb == "is":
                    continue  # prose: "another xlbctl backend-host is running"
                rest = s[m.end():].lstrip(" ")[:1]
                if verb is None and rest in ("%", ":"):
                    continue  # a format ("xlbctl backend-host %s") or a label
                seen += 1
                if obj in alone or (obj, verb) in verbs:
                    continue
                bad.append(f"{p}: 'xlbctl {obj} {verb or ''}' is not a command")
            for m in re.finditer(r"xlbd (--[a-z-]+)", s):
                seen += 1
                if m.group(1) not in opts:
                    bad.append(f"{p}: 'xlbd {m.group(1)}' is not an option")
print(f"# {seen} commands named in messages")
for b in bad:
    print("# " + b)
print(("not ok" if bad else "ok") + " - every command named in a message exists")
PY
