#!/usr/bin/env python3
"""hearsay-sim --scenario churn: crashes and restarts judged by the members tables.

usage: churn.py HEARSAY_SIM NODES SEED

Runs `hearsay-sim --scenario churn --nodes NODES --seed SEED --heartbeat-interval-s 2
--loss 0.05 --churn-s 40 --crashes 10 --json` (suspicion timeout S = 6 s, dead timeout D = 12 s)
and asserts (docs/SIM.md §10 defines every field):

  false_dead == 0          no node declared dead, in its current generation, while it was up
  undetected == 0          every node down longer than D was declared dead by every node up
                           throughout [crash - D, restart], before it restarted
  detection_ms.max <= D + S    the bound of the heartbeat timeout: the crash's last heartbeat was
                           signed at most one interval before the crash, and reached every
                           observer within S - 0.5 s (propagation, with loss, plus the core's
                           0.5 s aging period)
  detection_ms.p50 < D     most observers learn sooner, from the crashed node's neighbours'
                           accusations (their probe dial times out, then 1 to 3 intervals)
  recovered_ratio == 1.0   every such observer still up saw the new generation alive within
                           D of the restart
  and: the warm-up converged, both kinds of crash happened, none was skipped, no honest fault,
  no leave, every node up at the end and seeing every node alive.

Then a small run (30 nodes, heartbeats every second) twice, with hs_node_check after every
input: the same flags and seed give the same JSON apart from wall_s. (The main run goes without
--check: with it, 100 nodes took 8 minutes instead of 30 s, each check walking the whole node.)
A failure prints every figure and the command that reproduces the run.
"""
import json
import subprocess
import sys

FLAGS = ["--heartbeat-interval-s", "2", "--loss", "0.05", "--churn-s", "40", "--crashes", "10"]


def run(sim, *args):
    cmd = [sim, "--scenario", "churn", *args, "--json", "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        sys.exit(f"FAIL: exit {r.returncode}: {' '.join(cmd)}")
    return json.loads(r.stdout), r.stdout


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sim, nodes, seed = sys.argv[1:]
    j, _ = run(sim, "--nodes", nodes, "--seed", seed, *FLAGS)
    fails = []

    def check(cond, what):
        if not cond:
            fails.append(what)

    d, s = j["dead_timeout_ms"], j["suspicion_timeout_ms"]
    interval = j["heartbeat_interval_s"] * 1000
    det = j["detection_ms"]
    check(d == 12000 and s == 6000, f"timeouts from the config: dead {d}, suspect {s}")
    check(j["warmup_converged"], "the warm-up converged (every node saw every node alive)")
    check(j["crashes"] == 10 and j["crashes_skipped"] == 0,
          f"crashes {j['crashes']}, skipped {j['crashes_skipped']}")
    check(j["short_crashes"] >= 1 and j["long_crashes"] >= 1,
          f"short {j['short_crashes']} and long {j['long_crashes']} crashes")
    check(j["restarts"] == j["crashes"], f"restarts {j['restarts']} != crashes")
    check(j["false_dead"] == 0, f"false_dead {j['false_dead']} (first: {j['false_dead_first']})")
    check(j["pairs"]["detection"] > 0, "some (long crash, observer) pairs")
    check(j["undetected"] == 0,
          f"undetected {j['undetected']} crashes ({j['pairs']['undetected']} pairs)")
    check(det["max"] <= d + s, f"detection_ms.max {det['max']} > D + S = {d + s}")
    check(det["p50"] < d, f"detection_ms.p50 {det['p50']} >= D = {d}: no accusation beat the "
          "heartbeat timeout")
    check(j["pairs"]["recovery"] > 0, "some (long restart, observer) pairs")
    check(j["recovered_ratio"] == 1.0,
          f"recovered_ratio {j['recovered_ratio']} ({j['pairs']['recovered']}/"
          f"{j['pairs']['recovery']} within {j['recovery_window_ms']} ms)")
    check(j["faults"] == 0, f"honest faults {j['faults']}")
    check(j["events"]["departed"] == 0, "nobody left (a crash signs no leave)")
    check(j["true_size"] == int(nodes), f"true_size {j['true_size']} != {nodes}")
    check(j["members_alive_min"] == int(nodes),
          f"at the end every node sees every node alive: min {j['members_alive_min']}")
    check(j["anti_entropy_bytes_per_node_per_s"] > 0 and j["heartbeat_bytes_per_node_per_s"] > 0,
          "traffic measured")
    print(f"churn {nodes} nodes seed {seed}: false_dead {j['false_dead']}, undetected "
          f"{j['undetected']}, detection ms p50 {det['p50']} p99 {det['p99']} max {det['max']} "
          f"(bound {d + s}), recovered {j['recovered_ratio']} (restart to alive ms p99 "
          f"{j['recovery_ms']['p99']}), false_suspect {j['false_suspect']}, "
          f"{j['crashes']} crashes in {j['sim_seconds']} s simulated, wall {j['wall_s']} s")

    small = ["--nodes", "30", "--seed", seed, "--heartbeat-interval-s", "1", "--loss", "0.05",
             "--churn-s", "20", "--crashes", "4", "--check"]
    a, atext = run(sim, *small)
    b, btext = run(sim, *small)
    strip = lambda t: "\n".join(x for x in t.splitlines() if '"wall_s"' not in x)
    check(strip(atext) == strip(btext), "the same flags and seed give the same JSON")
    check(a["crashes"] == 4 and a["sim"]["check_calls"] > 0 and a["false_dead"] == 0,
          f"small run: crashes {a['crashes']}, checks {a['sim']['check_calls']}, false_dead "
          f"{a['false_dead']}")

    if fails:
        for f in fails:
            print("FAIL:", f, file=sys.stderr)
        print(json.dumps(j, indent=1), file=sys.stderr)
        print("reproduce:", j["command"], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
