#!/usr/bin/env python3
"""hearsay-sim's command line: help, version, bad flags (exit 64), text, CSV and SVG output.

usage: cli.py HEARSAY_SIM WORKDIR
"""
import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)


def run(sim, *args):
    return subprocess.run([sim, *args], capture_output=True, text=True, timeout=600)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sim, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)

    r = run(sim, "--help")
    check(r.returncode == 0 and "--nodes" in r.stdout and "--partition" in r.stdout, "--help")
    r = run(sim, "--version")
    check(r.returncode == 0 and r.stdout.startswith("hearsay-sim "), "--version")

    bad = [["--nodes"], ["--nodes", "0"], ["--nodes", "x"], ["--nodes", "-5"],
           ["--loss", "1.5"], ["--loss", "nan"], ["--latency", "200-20"], ["--latency", "20"],
           ["--latency-dist", "pareto"], ["--partition", "5:1:0.5"],
           ["--partition", "1:5"], ["--partition", "1:5:1.5"], ["--bogus"], ["--json=1"],
           ["--outbound", "65"], ["--seeds", "0"], ["--payload", "70000"], ["nodes"],
           ["--pull-window-s", "700"], ["--seed", "18446744073709551616"],
           ["--join-window-s", "5000"], ["--rumors", "0"], ["--groups", "0"],
           ["--attack", "bogus"], ["--attack", "none"], ["--byzantine", "5"],
           ["--victims", "2"], ["--attack", "drop", "--attacker-groups", "0"],
           ["--attack", "eclipse", "--nodes", "10", "--victims", "7"],
           ["--ipv6-fraction", "1.5"], ["--verifies-per-s", "0"], ["--score-flood", "5"],
           ["--score-graylist", "-10"]]
    for args in bad:
        r = run(sim, *args)
        check(r.returncode == 64 and "hearsay-sim:" in r.stderr and r.stdout == "",
              f"bad flags {args}: exit {r.returncode}, stderr {r.stderr.strip()!r}")

    csv_path = os.path.join(work, "coverage.csv")
    svg_path = os.path.join(work, "coverage.svg")
    for p in (csv_path, svg_path):
        if os.path.exists(p):
            os.remove(p)
    r = run(sim, "--nodes=40", "--rumors=3", "--seed=9", "--warmup-s", "10", "--csv", csv_path,
            "--plot", svg_path, "--quiet", "--check")
    check(r.returncode == 0, f"text run: exit {r.returncode}: {r.stderr}")
    check("delivery ratio" in r.stdout and "flood bound" in r.stdout, "text report")

    rows = list(csv.reader(open(csv_path)))
    header = rows[0]
    check(header[:3] == ["t_ms", "mean", "flood_mean"] and header[3:] == ["r0", "r1", "r2"],
          f"csv header {header}")
    data = [[float(x) for x in row] for row in rows[1:]]
    check(len(data) >= 2, "csv rows")
    check(all(0 <= v <= 1 for row in data for v in row[1:]), "csv fractions in [0, 1]")
    check(all(a[0] < b[0] for a, b in zip(data, data[1:])), "csv time increasing")
    for col in range(1, len(header)):
        check(all(a[col] <= b[col] for a, b in zip(data, data[1:])), f"csv column {col} rises")
    check(data[-1][1] == 1.0, "csv ends at full coverage")
    check(all(row[2] >= row[1] for row in data), "the flood bound is never behind")

    root = ET.parse(svg_path).getroot()
    check(root.tag.endswith("svg"), "svg root")
    lines = [e for e in root.iter() if e.tag.endswith("polyline")]
    check(len(lines) == 3 + 2, f"svg polylines: {len(lines)}")
    texts = ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]
    check(any("p99" in t and "x flood" in t and "copies" in t for t in texts),
          "svg title carries the key figures")
    check(any("eager-push" in t and "pull-interval-ms" in t for t in texts),
          "svg title carries the knobs")
    check(any(t.startswith("p99 ") for t in texts) and any(t.startswith("flood p99 ") for t in texts),
          "svg marks p99 and the flood bound's p99")

    r = run(sim, "--csv", os.path.join(work, "no", "such", "dir.csv"), "--nodes", "5",
            "--rumors", "1", "--warmup-s", "5", "--quiet", "--check")
    check(r.returncode == 1 and "dir.csv" in r.stderr and "does not exist" in r.stderr and
          r.stdout == "", "a csv in a missing directory: exit 1 before the run")
    r = run(sim, "--plot", work, "--nodes", "5", "--rumors", "1", "--quiet")
    check(r.returncode == 1 and "is a directory" in r.stderr and r.stdout == "",
          "a plot path that is a directory: exit 1 before the run")
    r = run(sim, "--nodes=40", "--rumors=3", "--seed=9", "--warmup-s", "10", "--csv", csv_path)
    check(r.returncode == 0 and "wrote " + csv_path in r.stderr, "wrote FILE after the run")

    # A misspelt flag names the nearest real one.
    for given, meant in [("--eager_push", "--eager-push"), ("--eagerpush", "--eager-push"),
                         ("--pull-interval", "--pull-interval-ms"), ("--nodse", "--nodes")]:
        r = run(sim, given, "2")
        check(r.returncode == 64 and "did you mean '%s'?" % meant in r.stderr,
              f"{given} suggests {meant}: {r.stderr.strip()!r}")
    r = run(sim, "--frobnicate", "2")
    check(r.returncode == 64 and "did you mean" not in r.stderr, "no suggestion when none is near")

    # --scenario state: every entry reaches every node, and the run waits for them.
    r = run(sim, "--nodes", "100", "--rumors", "10", "--seed", "3", "--scenario", "state",
            "--json", "--quiet")
    check(r.returncode == 0, f"state scenario: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        rep = json.loads(r.stdout)
        check(rep.get("scenario") == "state", "state scenario named in the report")
        check(rep.get("state_convergence_ratio") == 1.0,
              f"state converges: {rep.get('state_convergence_ratio')}")
        check(rep.get("state_time_last_ms", 0) > 0 and rep.get("rumor_time_last_ms", 0) > 0,
              "state and rumor times reported")
    # With heartbeats on, state still converges (heartbeats are state entries too, left out of
    # the digests: they must not hide the application's entries from anti-entropy).
    r = run(sim, "--nodes", "60", "--rumors", "5", "--seed", "3", "--scenario", "state",
            "--heartbeat-interval-s", "2", "--json", "--quiet")
    check(r.returncode == 0, f"state scenario with heartbeats: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        rep = json.loads(r.stdout)
        check(rep.get("state_convergence_ratio") == 1.0,
              f"state converges with heartbeats: {rep.get('state_convergence_ratio')}")
    r = run(sim, "--scenario", "partition", "--nodes", "5")
    check(r.returncode == 64 and "partition" in r.stderr, "an unbuilt scenario is refused (64)")
    for args in (["--scenario", "bogus"], ["--scenario", "churn", "--heartbeat-interval-s", "0"],
                 ["--scenario", "churn", "--rumors", "3"],
                 ["--scenario", "churn", "--attack", "drop"],
                 ["--suspect-heartbeats", "6", "--dead-heartbeats", "6"],
                 ["--suspect-heartbeats", "0"], ["--churn-s", "100000"]):
        r = run(sim, *args)
        check(r.returncode == 64 and "hearsay-sim:" in r.stderr and r.stdout == "",
              f"bad churn flags {args}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
    # --scenario churn, text report: it names its figures and the reproducing command.
    r = run(sim, "--scenario", "churn", "--nodes", "12", "--seed", "2",
            "--heartbeat-interval-s", "1", "--churn-s", "5", "--crashes", "2", "--quiet")
    check(r.returncode == 0 and "false dead" in r.stdout and
          "hearsay-sim --scenario churn --seed 2 --nodes 12" in r.stdout,
          f"churn text report: exit {r.returncode}: {r.stdout!r} {r.stderr!r}")

    if FAILS:
        for f in FAILS:
            print("FAIL", f, file=sys.stderr)
        sys.exit(1)
    print("cli: ok")


if __name__ == "__main__":
    main()
