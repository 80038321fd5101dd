#!/usr/bin/env python3
"""hearsay-sim --scenario churn --attack false-suspect: liars accusing live members.

usage: false_suspect.py HEARSAY_SIM NODES BYZANTINE GROUPS SEED

Runs the churn scenario (heartbeats every second, 5 % loss, 4 crashes over 20 s) with
BYZANTINE cores from GROUPS network groups that sign, once a second each, suspects lists
naming the current heartbeats of live honest members (docs/MEMBERSHIP.md, "The Byzantine
rule"), and asserts:

  false_suspect > 0        the liars did make live members suspect
  false_dead == 0          but never got one declared dead: each refuted with a fresh heartbeat
  undetected == 0          real crashes are still detected by every observer
  recovered_ratio == 1.0   and restarts still seen alive again everywhere
  honest_banned == 0       nobody is punished for what membership concludes

A failure prints every figure and the command that reproduces the run.
"""
import json
import subprocess
import sys


def main():
    sim, nodes, byz, groups, seed = sys.argv[1:]
    cmd = [sim, "--scenario", "churn", "--nodes", nodes, "--seed", seed,
           "--heartbeat-interval-s", "1", "--loss", "0.05", "--churn-s", "20", "--crashes", "4",
           "--attack", "false-suspect", "--byzantine", byz, "--attacker-groups", groups,
           "--json", "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        print(out.stdout, out.stderr)
        print("FAIL: exit", out.returncode, "\nreproduce:", " ".join(cmd))
        sys.exit(1)
    j = json.loads(out.stdout)
    fails = []

    def check(cond, what):
        if not cond:
            fails.append(what)

    check(j["attack"]["name"] == "false-suspect", "the attack ran")
    check(j["false_suspect"] > 0, f"false_suspect {j['false_suspect']}: the liars did nothing")
    check(j["false_dead"] == 0, f"false_dead {j['false_dead']} (first: {j['false_dead_first']})")
    check(j["undetected"] == 0, f"undetected {j['undetected']}")
    check(j["recovered_ratio"] == 1.0, f"recovered_ratio {j['recovered_ratio']}")
    check(j["honest_banned"] == 0, f"honest_banned {j['honest_banned']}")
    check(j["crashes"] == 4, f"crashes {j['crashes']}")
    print(f"false-suspect {nodes}+{byz} in {groups} groups seed {seed}: false_suspect "
          f"{j['false_suspect']}, false_dead {j['false_dead']}, undetected {j['undetected']}, "
          f"detection ms p50 {j['detection_ms']['p50']} max {j['detection_ms']['max']}, "
          f"recovered {j['recovered_ratio']}, honest banned {j['honest_banned']}")
    for f in fails:
        print("FAIL:", f)
    if fails:
        print(json.dumps(j, indent=1))
        print("reproduce:", " ".join(cmd))
        sys.exit(1)


main()
