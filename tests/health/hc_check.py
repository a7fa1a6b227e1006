#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Assertions over the JSON lines of hc_run (and capture.py).

Usage: hc_check.py OUT.json [--cap CAPTURE.json] [--log SERVERS.log] EXPR...

Each EXPR is a Python expression over the helpers below; every one is
evaluated, printed as "# ok: EXPR" or "# FAILED: EXPR", and the exit status
is 1 if any failed. Helpers:
  results(p)    list of result events of probe p (dicts: t, ok, error, ...)
  oks(p), fails(p)   their counts
  errors(p)     set of error strings of p
  changes(p)    list of (from, to, first) of p
  status(p)     the final status event of p
  stats()       the engine's final counters
  added_failed(p)   error of a probe that could not be added, or None
  gaps(p)       time between consecutive results of p (ms)
  ev(kind)      all events of a kind
  cap           capture.py lines (dicts), with --cap
  log           lines of the servers' log, with --log
"""
import json
import sys


def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def main():
    args = sys.argv[1:]
    events = load(args.pop(0))
    cap, log = [], []
    while args and args[0] in ("--cap", "--log"):
        opt, path = args.pop(0), args.pop(0)
        if opt == "--cap":
            cap = [c for c in load(path) if "v" in c]
        else:
            with open(path) as f:
                log = [line.rstrip("\n") for line in f]

    def ev(kind):
        return [e for e in events if e.get("ev") == kind]

    def results(p):
        return [e for e in ev("result") if e["probe"] == p]

    def oks(p):
        return sum(1 for e in results(p) if e["ok"])

    def fails(p):
        return sum(1 for e in results(p) if not e["ok"])

    def errors(p):
        return {e["error"] for e in results(p) if not e["ok"]}

    def changes(p):
        return [(e["from"], e["to"], e["first"]) for e in ev("change")
                if e["probe"] == p]

    def status(p):
        for e in ev("status"):
            if e["probe"] == p:
                return e
        return {}

    def stats():
        s = ev("stats")
        return s[-1] if s else {}

    def added_failed(p):
        for e in ev("add_failed"):
            if e["probe"] == p:
                return e["error"]
        return None

    def gaps(p):
        t = [e["t"] for e in results(p)]
        return [b - a for a, b in zip(t, t[1:])]

    env = dict(ev=ev, results=results, oks=oks, fails=fails, errors=errors,
               changes=changes, status=status, stats=stats,
               added_failed=added_failed, gaps=gaps, cap=cap, log=log,
               any=any, all=all, len=len, max=max, min=min, sum=sum)
    bad = 0
    for expr in args:
        try:
            ok = eval(expr, env)
        except Exception as e:  # a broken expression is a failure too
            ok = False
            expr += f"  [{type(e).__name__}: {e}]"
        print(f"# {'ok' if ok else 'FAILED'}: {expr}")
        bad += not ok
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
