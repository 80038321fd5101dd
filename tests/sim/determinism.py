#!/usr/bin/env python3
"""hearsay-sim determinism: two runs with the same seed print the same JSON apart from wall_s.

usage: determinism.py HEARSAY_SIM

Runs a small network twice with the same seed (with loss, so the loss draws are covered too)
and compares the JSON objects key by key with wall_s removed; then once with another seed,
which must differ; then an attack run (spam, with its benign twin) twice, which must agree
apart from the two wall_s. A failure prints the command line that reproduces it.
"""
import json
import subprocess
import sys

ARGS = ["--nodes", "60", "--rumors", "5", "--loss", "0.03", "--warmup-s", "12", "--check",
        "--json", "--quiet"]


def run(sim, seed):
    cmd = [sim, "--seed", str(seed)] + ARGS
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    report = json.loads(out)
    for key in ("nodes", "rumors", "seed", "delivery_ratio", "residue", "latency_ms",
                "flood_bound_ms", "payload_copies_per_node", "traffic_msgs_per_node",
                "traffic_bytes_per_node", "time_avg_ms", "time_last_ms", "wall_s"):
        if key not in report:
            sys.exit(f"determinism: key {key} missing from: {' '.join(cmd)}")
    wall = report.pop("wall_s")
    if not isinstance(wall, (int, float)) or wall < 0:
        sys.exit(f"determinism: bad wall_s {wall!r}")
    return cmd, report


ATTACK = ["--nodes", "30", "--byzantine", "30", "--attack", "spam", "--rumors", "3", "--loss",
          "0.03", "--warmup-s", "10", "--check", "--json", "--quiet", "--seed", "3"]


def attack_run(sim):
    cmd = [sim] + ATTACK
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    report = json.loads(out)
    report.pop("wall_s")
    report["benign"].pop("wall_s")
    return cmd, report


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sim = sys.argv[1]
    cmd, a = run(sim, 5)
    _, b = run(sim, 5)
    if a != b:
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        sys.exit(f"determinism: same seed, different reports (keys {diff}); reproduce: "
                 f"{' '.join(cmd)} (twice)")
    if a["seed"] != 5 or a["nodes"] != 60 or a["rumors"] != 5:
        sys.exit("determinism: the report does not echo nodes, rumors and seed")
    _, c = run(sim, 6)
    if c == a:
        sys.exit("determinism: seeds 5 and 6 gave identical reports")
    cmd, a = attack_run(sim)
    _, b = attack_run(sim)
    if a != b:
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        sys.exit(f"determinism: attack run differs (keys {diff}); reproduce: {' '.join(cmd)}")
    if a["adversary"]["frames_injected"] == 0:
        sys.exit(f"determinism: the spam attack injected nothing: {' '.join(cmd)}")
    print(f"determinism: ok (delivery_ratio {a['delivery_ratio']}, "
          f"p99 {a['latency_ms']['p99']} ms)")


if __name__ == "__main__":
    main()
