#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Scrape xlbd's /metrics and compare it with what xlbctl says.

    metrics_check.py URL XLBCTL SOCKET [--expect-vip-packets VIP=N ...]

The text is parsed with prometheus_client's own parser (the one Prometheus'
Python client ships), so a format error fails here as it would in a real
scraper. Checked:

  - every family has # HELP and # TYPE, every sample belongs to a declared
    family, counters end in _total, histograms are cumulative with +Inf ==
    _count;
  - every global counter of `xlbctl -j stats`, every VIP's and backend's
    packets/bytes/new_flows/drops, is the same in the metrics;
  - every backend of `xlbctl -j backend show`: weight, admin state, data-path
    state, health state, pending, check counts (ok, failed);
  - `xlbctl -j status`: VIPs, servable VIPs, backends, attached, flows in the
    connection table and its size; `xlbctl -j bgp show`: BIRD synced,
    failures, each VIP's announced/decided.

xlbd rebuilds the text once a second (the connection table every 10 s), so
the comparison is repeated until it holds or 25 s have passed. Check counts
(and the pass counter, with the checks' replies) keep growing while we
compare: they must lie between the CLI's value read more than one refresh
before the scrape and the one read after it.

Prints "# ..." diagnostics; exit 0 when everything matched.
"""
import json
import re
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

# xlbctl stats' global counter -> (sample name, labels): docs/metrics.md
GLOBAL = {
    "pass": ("xlb_packets_total", {"outcome": "pass"}),
    "tx": ("xlb_packets_total", {"outcome": "tx"}),
    "redirect": ("xlb_packets_total", {"outcome": "redirect"}),
    "icmp_echo": ("xlb_icmp_echo_replies_total", {}),
    "conn_hit": ("xlb_conn_table_hits_total", {}),
    "conn_miss": ("xlb_conn_table_misses_total", {}),
    "conn_stale": ("xlb_conn_table_stale_total", {}),
    "conn_noinsert": ("xlb_conn_table_not_recorded_total",
                      {"reason": "noinsert"}),
    "conn_insert_fail": ("xlb_conn_table_not_recorded_total",
                         {"reason": "insert_fail"}),
    "conn_evict": ("xlb_conn_table_evictions_total", {}),
    "conn_insert_skipped": ("xlb_conn_table_not_recorded_total",
                            {"reason": "insert_skipped"}),
    "icmp_frag_needed": ("xlb_icmp_too_big_sent_total",
                         {"type": "frag_needed"}),
    "icmp_ptb": ("xlb_icmp_too_big_sent_total", {"type": "ptb"}),
    "frag_balanced": ("xlb_fragments_balanced_total", {}),
    "quic_routed": ("xlb_quic_packets_total", {"result": "routed"}),
    "quic_unknown_id": ("xlb_quic_packets_total", {"result": "unknown_id"}),
    "quic_fallback": ("xlb_quic_packets_total", {"result": "fallback"}),
    "quic_no_id": ("xlb_quic_packets_total", {"result": "no_id"}),
}


def cli(xlbctl, sock, *args):
    out = subprocess.run([xlbctl, "-s", sock, "-j"] + list(args),
                         check=True, capture_output=True, text=True,
                         timeout=10).stdout
    return json.loads(out)


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        ctype = r.headers.get("Content-Type", "")
        return r.read().decode(), ctype


def vip_name(v):
    port = v["port"]
    return "%s:%s/%s" % (v["address"], port, v["protocol"])


class Samples:
    def __init__(self, text):
        self.fams = list(text_string_to_metric_families(text))
        self.s = {}
        for f in self.fams:
            for smp in f.samples:
                key = (smp.name, tuple(sorted(smp.labels.items())))
                self.s[key] = smp.value

    def get(self, metric, **labels):
        return self.s.get((metric, tuple(sorted(labels.items()))))


def check_format(text, ctype):
    """Every family has HELP and TYPE; raw-text checks the parser forgives."""
    errs = []
    if not ctype.startswith("text/plain"):
        errs.append("content type %r" % ctype)
    helps, types, order = set(), {}, []
    for line in text.splitlines():
        m = re.match(r"# (HELP|TYPE) (\S+) (.*)", line)
        if m:
            if m.group(1) == "HELP":
                helps.add(m.group(2))
                if not m.group(3).strip():
                    errs.append("empty HELP for %s" % m.group(2))
            else:
                types[m.group(2)] = m.group(3)
                order.append(m.group(2))
            continue
        if not line or line.startswith("#"):
            continue
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and \
                    types.get(name[:-len(suf)]) == "histogram":
                fam = name[:-len(suf)]
        if fam not in types:
            errs.append("sample %s has no # TYPE before it" % name)
        elif order[-1] != fam:
            errs.append("sample %s is not with its family" % name)
        if types.get(fam) == "counter" and not name.endswith("_total"):
            errs.append("counter %s does not end in _total" % name)
    for f in types:
        if f not in helps:
            errs.append("family %s has TYPE but no HELP" % f)
    for f in helps:
        if f not in types:
            errs.append("family %s has HELP but no TYPE" % f)
    if len(order) != len(set(order)):
        errs.append("a family is declared twice")
    return errs, len(types)


def check_parsed(sm):
    errs = []
    for f in sm.fams:
        if f.type == "unknown" or not f.documentation:
            errs.append("parser: family %s without TYPE or HELP" % f.name)
        if f.type != "histogram":
            continue
        series = {}
        for smp in f.samples:
            lab = dict(smp.labels)
            le = lab.pop("le", None)
            key = tuple(sorted(lab.items()))
            d = series.setdefault(key, {"b": []})
            if smp.name.endswith("_bucket"):
                d["b"].append((float(le), smp.value))
            elif smp.name.endswith("_count"):
                d["count"] = smp.value
        for key, d in series.items():
            vals = [v for _, v in sorted(d["b"])]
            if vals != sorted(vals):
                errs.append("%s%s: buckets not cumulative" % (f.name, key))
            if not d["b"] or sorted(d["b"])[-1][0] != float("inf") or \
                    vals[-1] != d.get("count"):
                errs.append("%s%s: +Inf != _count" % (f.name, key))
    return errs


def compare(sm, before, after, exp):
    """Mismatches between the metrics and the CLI (before/after scrape)."""
    errs = []

    def eq(what, got, want):
        if (got is None and want is not None) or got != want:
            errs.append("%s: metrics %s, xlbctl %s" % (what, got, want))

    def between(what, got, lo, hi):
        if got is None or not lo <= got <= hi:
            errs.append("%s: metrics %s, xlbctl %s..%s" % (what, got, lo, hi))

    st = after["stats"]
    g0 = before["stats"]["global"]
    for k, v in st["global"].items():
        if k.startswith("drop_"):
            name, lab = "xlb_drops_total", {"reason": k[5:]}
        elif k in GLOBAL:
            name, lab = GLOBAL[k]
        else:
            errs.append("global counter %s has no metric" % k)
            continue
        # pass grows with the checks' replies: a range
        between("global %s" % k, sm.get(name, **lab), g0[k], v)
    for v in st["vips"]:
        vn = vip_name(v)
        for f in ("packets", "bytes", "new_flows", "drops"):
            eq("vip %s %s" % (vn, f),
               sm.get("xlb_vip_%s_total" % f, vip=vn), v[f])
        sc = v["second_chance"]
        eq("vip %s second chance" % vn,
           sm.get("xlb_vip_second_chance_total", vip=vn), sc["hits"])
        eq("vip %s second chance moved" % vn,
           sm.get("xlb_vip_second_chance_moved_total", vip=vn), sc["moved"])
        if vn in exp:
            eq("vip %s packets sent by the test" % vn,
               sm.get("xlb_vip_packets_total", vip=vn), exp[vn])
        for b in v["backends"]:
            lab = {"vip": vn, "backend": b["address"]}
            for f in ("packets", "bytes", "new_flows"):
                eq("%s %s" % (lab, f),
                   sm.get("xlb_backend_%s_total" % f, **lab), b[f])
    for vn, bes_after in after["backends"].items():
        bes_before = {b["address"]: b for b in before["backends"][vn]}
        for b in bes_after:
            lab = {"vip": vn, "backend": b["address"]}
            eq("%s weight" % lab, sm.get("xlb_backend_weight", **lab),
               b["weight"])
            eq("%s ring slots" % lab,
               sm.get("xlb_backend_ring_slots", **lab), b["slots"])
            # connections: a cached walk, so between the CLI's counts
            # taken before and after the scrape (their sum only grows)
            if "conns" in b and b["address"] in bes_before and \
                    "conns" in bes_before[b["address"]]:
                tot = lambda x: x["conns"]["active"] + x["conns"]["inactive"]
                ga = sm.get("xlb_backend_connections", state="active",
                            **lab)
                gi = sm.get("xlb_backend_connections", state="inactive",
                            **lab)
                a0, a1 = tot(bes_before[b["address"]]), tot(b)
                if ga is None or gi is None:
                    errs.append("%s: no xlb_backend_connections" % lab)
                else:
                    between("%s connections" % lab, ga + gi, min(a0, a1),
                            max(a0, a1))
            for s in ("up", "drain", "down"):
                eq("%s admin %s" % (lab, s),
                   sm.get("xlb_backend_admin_state", state=s, **lab),
                   int(b["state"] == s))
            for s in ("up", "draining", "removed"):
                eq("%s dp %s" % (lab, s),
                   sm.get("xlb_backend_dp_state", state=s, **lab),
                   int(b["dp_state"] == s))
            eq("%s up" % lab, sm.get("xlb_backend_up", **lab),
               int(b["dp_state"] == "up"))
            h, h0 = b["health"], bes_before[b["address"]]["health"]
            eq("%s health" % lab, sm.get("xlb_backend_health_up", **lab),
               int(h["state"] == "up"))
            eq("%s nexthop" % lab,
               sm.get("xlb_backend_nexthop_resolved", **lab),
               int(b["nexthop"]["state"] == "resolved"))
            if "checks_ok" not in h:
                continue
            eq("%s pending" % lab,
               sm.get("xlb_backend_health_pending", **lab),
               int(h["pending"]))
            for r, k in (("ok", "checks_ok"), ("failed", "checks_failed")):
                between("%s checks %s" % (lab, r),
                        sm.get("xlb_backend_checks_total", result=r, **lab),
                        h0[k], h[k])
            n = sm.get("xlb_backend_check_duration_seconds_count", **lab)
            ok = sm.get("xlb_backend_checks_total", result="ok", **lab)
            bad = sm.get("xlb_backend_checks_total", result="failed", **lab)
            if None in (n, ok, bad) or n != ok + bad or n == 0:
                errs.append("%s: histogram count %s, checks %s+%s" %
                            (lab, n, ok, bad))
    for v in after["vips"]:
        vn = vip_name(v)
        eq("vip %s info" % vn, sm.get(
            "xlb_vip_info", vip=vn, name=v.get("name", ""),
            forwarding=v["forwarding"], hash=v["hash"],
            conn_table=str(v["conn_table"]).lower(),
            announce=str(v["announce"]).lower()), 1)
        eq("vip %s ring" % vn, sm.get("xlb_vip_ring_slots", vip=vn),
           v["ring_size"])
        eq("vip %s servable" % vn, sm.get("xlb_vip_servable", vip=vn),
           int(v["servable"]))
        eq("vip %s healthy" % vn,
           sm.get("xlb_vip_healthy_backends", vip=vn), v["healthy"])
        eq("vip %s backends" % vn, sm.get("xlb_vip_backends", vip=vn),
           v["backends"])
        eq("vip %s min_healthy" % vn,
           sm.get("xlb_vip_min_healthy_backends", vip=vn), v["min_healthy"])
    s = after["status"]
    dp = s["data_path"]
    eq("adopted", sm.get("xlb_dp_adopted"), int(dp["adopted"]))
    for t in ("max_vips", "max_backends", "ring_max"):
        eq("limit %s" % t, sm.get("xlb_dp_table_limit", table=t), dp[t])
    eq("vips", sm.get("xlb_vips"), s["vips"])
    eq("vips_servable", sm.get("xlb_vips_servable"), s["vips_servable"])
    eq("backends", sm.get("xlb_backends"), s["backends"])
    eq("attached", sm.get("xlb_dp_attached"), int(s["data_path"]["attached"]))
    for i in s["interfaces"]:
        eq("interface %s" % i["name"],
           sm.get("xlb_interface_attached", interface=i["name"]),
           int(i["attached"]))
    for fam in ("ipv4", "ipv6"):
        eq("flows %s" % fam,
           sm.get("xlb_conn_table_entries", family=fam),
           s["data_path"]["flows_" + fam])
        cap = sm.get("xlb_conn_table_capacity", family=fam)
        if cap is None or cap < s["data_path"]["conn_max"]:
            errs.append("capacity %s: %s < conn_max" % (fam, cap))
    g = after["bgp"]
    eq("bgp enabled", sm.get("xlb_bgp_enabled"), int(g["enabled"]))
    if g["enabled"]:
        eq("bird synced", sm.get("xlb_bird_synced"), int(g["bird_synced"]))
        eq("bird failures", sm.get("xlb_bird_failures"), g["bird_failures"])
        for s in ("off", "graceful", "withdrawn"):
            eq("drain %s" % s, sm.get("xlb_bgp_drain", state=s),
               int(g["drain"] == s))
        for v in g["vips"]:
            if "hold_down_left_ms" not in v:
                eq("hold-down %s" % v["vip"], sm.get(
                    "xlb_vip_hold_down_remaining_seconds", vip=v["vip"]),
                    None)
            eq("announced %s" % v["vip"],
               sm.get("xlb_vip_announced", vip=v["vip"]),
               int(v["announced"]))
            eq("decided %s" % v["vip"],
               sm.get("xlb_vip_announce_decided", vip=v["vip"]),
               int(v["decided"]))
    return errs


def cli_all(xlbctl, sock):
    st = cli(xlbctl, sock, "stats")
    bes = {}
    for v in st["vips"]:
        vn = vip_name(v)
        bes[vn] = cli(xlbctl, sock, "backend", "show", vn)
    return {"stats": st, "backends": bes,
            "status": cli(xlbctl, sock, "status", "--flows"),
            "vips": cli(xlbctl, sock, "vip", "show"),
            "bgp": cli(xlbctl, sock, "bgp", "show")}


def main():
    url, xlbctl, sock = sys.argv[1:4]
    exp = {}
    for a in sys.argv[4:]:
        k, v = a.split("=")
        exp[k] = int(v)
    text, ctype = scrape(url)
    errs, nfam = check_format(text, ctype)
    sm = Samples(text)
    errs += check_parsed(sm)
    print("# %d families, %d series" % (nfam, len(sm.s)))
    if errs:
        for e in errs:
            print("# format: " + e)
        return 1
    end = time.monotonic() + 25
    while True:
        before = cli_all(xlbctl, sock)
        # the text is at most one refresh (1 s) old: let it pass "before"
        time.sleep(1.2)
        text, _ = scrape(url)
        after = cli_all(xlbctl, sock)
        sm = Samples(text)
        errs = compare(sm, before, after, exp)
        if not errs or time.monotonic() > end:
            break
        time.sleep(0.3)
    for e in errs:
        print("# mismatch: " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
