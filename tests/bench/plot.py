#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""plot.py - PNG charts of the benchmarks' "BENCH name value unit" lines.

Usage: tests/bench/plot.py [--out DIR] LOG...   (make bench-plot)

LOG is what tests/bench/run.sh appends to build/bench.log (or any saved
output of make bench). Every run of a benchmark in the logs counts: a bar is
the median of the runs, the whisker their range, the label the number of
runs. Charts, each written only if the logs hold its benchmarks:

  bench-packet-cost.png   per-packet cost of each data-path case (ns) and
                          its ratio to the empty XDP program (bench_dp)
  bench-failover.png      failover and withdraw times (ms: bench_failover,
                          bench_bgp)
  bench-checks-cpu.png    CPU of 1,000 health checks every 100 ms, per check
                          type (%: bench_health, bench_xlbd_checks)
"""
import argparse
import os
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LINE = re.compile(r"^BENCH\s+(\S+)\s+(-?[0-9.]+(?:e[-+]?[0-9]+)?)\s+(\S+)")


def read_logs(paths):
    """{name: (unit, [values...])} in the order first seen"""
    runs = {}
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = LINE.match(line.strip())
                if not m:
                    continue
                name, value, unit = m.group(1), float(m.group(2)), m.group(3)
                runs.setdefault(name, (unit, []))[1].append(value)
    return runs


def pick(runs, names):
    return [(n, runs[n][1]) for n in names if n in runs]


def bars(ax, items, unit, title, fmt="{:.0f}"):
    labels = [n for n, _ in items]
    med = [statistics.median(v) for _, v in items]
    lo = [m - min(v) for m, (_, v) in zip(med, items)]
    hi = [max(v) - m for m, (_, v) in zip(med, items)]
    x = range(len(items))
    ax.bar(x, med, color="#4C72B0", yerr=[lo, hi], capsize=4,
           error_kw={"ecolor": "#333333", "lw": 1})
    for i, (m, (_, v)) in enumerate(zip(med, items)):
        ax.annotate(fmt.format(m) + ("" if len(v) == 1 else
                                     " (n=%d)" % len(v)),
                    (i, m + hi[i]), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(0, max(m + h for m, h in zip(med, hi)) * 1.18 or 1)


def save(fig, out, name, written):
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)


def packet_cost(runs, out, written):
    cases = ["xdp_pass_baseline", "established_v4", "established_v6",
             "new_flow", "new_flow_evict", "flows_1m"]
    ns = pick(runs, cases)
    ratio = pick(runs, [c + "_ratio" for c in cases[1:]])
    if not ns:
        return
    fig, axes = plt.subplots(1, 2 if ratio else 1, figsize=(11, 4.2),
                             squeeze=False)
    bars(axes[0][0], ns, "ns per packet",
         "XDP program, per packet (BPF_PROG_TEST_RUN)")
    if ratio:
        bars(axes[0][1], [(n[:-6], v) for n, v in ratio],
             "x the empty XDP program", "ratio to xdp_pass_baseline",
             fmt="{:.2f}")
    save(fig, out, "bench-packet-cost.png", written)


FAILOVER = [
    ("failover_ms", "failover_ms\nbackend killed\n(check 100 ms, fall 3)"),
    ("failover_ms_silent", "failover_ms_silent\nbackend silent"),
    ("withdraw_ms", "withdraw_ms\nxlbd decides -> route\ngone at the router"),
    ("pop_failover_ms", "pop_failover_ms\nPoP silent -> traffic\n"
     "via the other (BFD)"),
]


def failover(runs, out, written):
    items = [(label, runs[n][1]) for n, label in FAILOVER if n in runs]
    if not items:
        return
    fig, ax = plt.subplots(figsize=(8, 4.6))
    bars(ax, items, "ms", "failover and withdraw times (each run: the "
         "median of its rounds)")
    ax.tick_params(axis="x", labelrotation=0)
    for t in ax.get_xticklabels():
        t.set_ha("center")
    save(fig, out, "bench-failover.png", written)


# check types of bench_health (the engine alone) and bench_xlbd_checks
# (xlbd), and the kernel's own cost of the same connects
CHECKS = [
    ("checks_cpu_1000", "checks_rate_1000", "TCP connect"),
    ("checks_cpu_1000_loopback", "checks_rate_1000_loopback",
     "TCP connect\n(loopback)"),
    ("checks_cpu_1000_syn", "checks_rate_1000_syn", "half-open SYN"),
    ("checks_cpu_1000_syn_loopback", "checks_rate_1000_syn_loopback",
     "half-open SYN\n(loopback)"),
    ("checks_cpu_1000_http", "checks_rate_1000_http", "HTTP GET"),
    ("xlbd_checks_cpu_1000_syn", "xlbd_checks_rate_1000_syn",
     "xlbd, SYN"),
    ("xlbd_checks_cpu_1000_connect", "xlbd_checks_rate_1000_connect",
     "xlbd, connect"),
    ("tcp_connect_floor_10k", None, "kernel alone:\n10k connects/s"),
]


def checks_cpu(runs, out, written):
    items, rates = [], []
    for name, rate, label in CHECKS:
        if name not in runs:
            continue
        r = runs.get(rate, (None, []))[1] if rate else []
        if r:
            label += "\n%.0f checks/s" % statistics.median(r)
        items.append((label, runs[name][1]))
        rates.append(r)
    if not items:
        return
    fig, ax = plt.subplots(figsize=(10, 4.6))
    bars(ax, items, "% of one core (user + system)",
         "1,000 backends every 100 ms (10,000 checks/s asked): CPU per "
         "check type", fmt="{:.1f}")
    ax.tick_params(axis="x", labelrotation=0)
    for t in ax.get_xticklabels():
        t.set_ha("center")
    save(fig, out, "bench-checks-cpu.png", written)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="docs/charts")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    missing = [p for p in a.logs if not os.path.exists(p)]
    if missing:
        print("plot.py: no such log: %s (run make bench first, or give "
              "BENCH_LOG=file)" % ", ".join(missing), file=sys.stderr)
        return 1
    runs = read_logs(a.logs)
    if not runs:
        print("plot.py: no BENCH lines in %s" % ", ".join(a.logs),
              file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    written = []
    packet_cost(runs, a.out, written)
    failover(runs, a.out, written)
    checks_cpu(runs, a.out, written)
    for p in written:
        print("wrote", p)
    if not written:
        print("plot.py: none of the charted benchmarks is in the logs",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
