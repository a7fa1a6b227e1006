#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""tests/loops.py - files that call or include each other in a loop

A "module" is a .c file with the .h of the same name (core.c + core.h).
Module A depends on module B when A's .c or .h includes B's .h, or A's .c
calls a non-static function defined in B's .c. A header with no .c of its
own (xlbd.h, health_internal.h) is not a module: including it counts as
including what it includes. Prints every loop (strongly
connected set of modules) with the edges that make it, one per line:

    loop: core hc        core -> hc (hc_attach, hc_detach) ...

Left today (issue 16), one loop: config, config_data and fields. config.h
declares the configuration's types, which every file of the configuration
code includes (fields.c and config_data.c for those types only); config.c's
checks call the field tables (fields.c) and the lookups of config_data.c.
The loop is through the shared types header, not through calls back and
forth: splitting the types into a header of their own would end it.

Usage: tests/loops.py [DIR...]   (default: userspace)
Exit status: 0, whatever it finds (it reports; the report is the check).
"""
import os
import re
import sys

FUNC_DEF = re.compile(r'^(?!static\b)(?:[A-Za-z_][\w \t\*]*?[\s\*])'
                      r'([A-Za-z_]\w*)\s*\([^;]*$', re.M)
INCLUDE = re.compile(r'^#include\s+"([^"]+)"', re.M)
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def strip(text):
    return STRING.sub('""', COMMENT.sub('', text))


def main(dirs):
    files = []
    for d in dirs:
        for root, _, names in os.walk(d):
            files += [os.path.join(root, n) for n in names
                      if n.endswith(('.c', '.h'))]
    mod = {}
    for f in files:
        m = os.path.splitext(f)[0]
        mod.setdefault(m, []).append(f)
    by_header = {os.path.basename(m) + '.h': m for m, fs in mod.items()
                 if any(f.endswith('.h') for f in fs)}
    defined = {}  # function -> module
    text = {}
    for f in files:
        with open(f, errors='replace') as fh:
            text[f] = fh.read()
        if f.endswith('.c'):
            for name in FUNC_DEF.findall(strip(text[f])):
                if name not in ('if', 'for', 'while', 'switch', 'return'):
                    defined.setdefault(name, os.path.splitext(f)[0])
    plain = {os.path.basename(f): f for f in files if f.endswith('.h') and
             not os.path.exists(f[:-2] + '.c')}
    by_header = {h: m for h, m in by_header.items() if h not in plain}

    def includes(f, seen):
        # (header named, module) pairs, through headers of no module
        out = []
        for inc in INCLUDE.findall(text[f]):
            b = os.path.basename(inc)
            if b in by_header:
                out.append((inc, by_header[b]))
            elif b in plain and b not in seen:
                seen.add(b)
                out += [(inc + ' > ' + i, t)
                        for i, t in includes(plain[b], seen)]
        return out

    mod = {m: fs for m, fs in mod.items()
           if not (len(fs) == 1 and os.path.basename(fs[0]) in plain)}
    edges = {m: {} for m in mod}
    for f in files:
        m = os.path.splitext(f)[0]
        if m not in mod:
            continue
        for inc, t in includes(f, set()):
            if t != m:
                edges[m].setdefault(t, set()).add('#include ' + inc)
        if f.endswith('.c'):
            body = strip(text[f])
            # a call, not a member of the same name (d->ops->fn())
            for name in set(re.findall(r'(?<![\w.>])([A-Za-z_]\w*)\s*\(',
                                       body)):
                t = defined.get(name)
                if t and t != m and m in mod:
                    edges[m].setdefault(t, set()).add(name)
    # Tarjan's strongly connected components
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop()
                on.discard(w)
                c.append(w)
                if w == v:
                    break
            if len(c) > 1:
                sccs.append(sorted(c))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    for c in sccs:
        print('loop: ' + ' '.join(c))
        for a in c:
            for b in c:
                if b in edges[a]:
                    why = sorted(edges[a][b])
                    more = ' ...' if len(why) > 6 else ''
                    print('    %s -> %s (%s%s)' % (a, b, ', '.join(why[:6]),
                                                   more))
    print('%d loops' % len(sccs))


if __name__ == '__main__':
    main(sys.argv[1:] or ['userspace'])
