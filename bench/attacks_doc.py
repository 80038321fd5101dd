#!/usr/bin/env python3
"""Renders docs/ATTACKS.md from bench/results/attacks.json (written by bench/attacks.sh).

usage: attacks_doc.py ATTACKS_JSON ATTACKS_MD

Standard library only. The table has one row per (attack, Byzantine count), the defence behind
each attack, and the command that reproduces every figure.
"""
import json
import sys

# The defence each attack measures. One line each; the defences are being built (issue 8).
DEFENCES = {
    "drop": "placeholder: enough honest outbound sessions (one per /16) and pull repair route around black holes",
    "invalid-sig": "placeholder: a bad signature is a provable fault: ban on the first one; fair verification per peer and group",
    "spam": "placeholder: per-peer frame rate limit, malformed frames are provable faults, a flood ends in a ban",
    "withhold": "placeholder: request scheduling an attacker cannot steer (random announcer, bounded delay)",
    "eclipse": "placeholder: addrman new/tried tables keyed by source group, anchors, one outbound per group",
    "replay": "placeholder: seen cache and (generation, version) ordering make replays free to ignore",
    "equivocate": "placeholder: equivocation detection on (origin, key, generation, version)",
    "censor": "placeholder: many independent paths (outbound diversity) and pull repair",
    "covert-flash": "placeholder: scores that do not let earned standing steer requests; bounded request delay",
    "cold-boot": "placeholder: seeds' tried-biased getaddr answers, per-group limits on addresses",
}


def pct(p):
    return f"{p['p50']:.0f} / {p['p99']:.0f} / {p['max']:.0f}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    doc = json.load(open(sys.argv[1]))
    sc = doc["scale"]
    out = []
    w = out.append
    w("# Attacks: hearsay-sim against Byzantine cores")
    w("")
    w("Written by `bench/attacks.sh` (`make bench`) from `bench/results/attacks.json`; do not edit "
      "by hand. Every figure comes from `hearsay-sim --attack NAME` (docs/SIM.md §9): real hearsay "
      "cores, the Byzantine ones driven through a strategy that filters their output and injects "
      "frames built with the public codecs, each run next to its benign twin (the same seed "
      "without attackers).")
    w("")
    w(f"Scale: {sc['honest']:,} honest nodes, {', '.join(f'{m:,}' for m in sc['byzantine'])} "
      f"Byzantine cores in at most {sc['attacker_groups_max']} /16 groups, seed {sc['seed']}, "
      f"{sc['rumors']} rumors. Machine: {doc['machine']['cpu']}, {doc['machine']['cores']} cores.")
    w("")
    w("Properties (issue 8): honest delivery ≥ 0.999, latency p99 ≤ 2 × the benign p99, no honest "
      "node banned; invalid-sig: every attacker banned and ≤ 10 % of signature checks on attacker "
      "bytes; eclipse: no victim eclipsed. **Fails** lists the properties a run misses.")
    w("")
    if doc.get("not_run"):
        w("Not run at this scale (time): " + ", ".join(doc["not_run"]) + ".")
        w("")
    w("| attack | Byzantine | delivery | latency p50 / p99 / max ms | benign p50 / p99 / max ms | "
      "p99 ÷ benign | attackers banned | honest banned | victims eclipsed | verify share | "
      "peak conns / book | bytes/node honest / attacker | fails |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in doc["runs"]:
        f = r["figures"]
        bad = [k for k, v in r["properties"].items() if not v]
        w(f"| {r['attack']} | {r['byzantine']:,} | {f['honest_delivery_ratio']:.6f} | "
          f"{pct(f['latency_ms'])} | {pct(f['benign_latency_ms'])} | "
          f"{f['p99_over_benign_p99']:.2f} | {f['attackers_banned']:,} | {f['honest_banned']} | "
          f"{f['victims_eclipsed']}/{f['victims']} | {f['verify_share_attackers']:.3f} | "
          f"{f['honest_memory']['peak_connections']} / {f['honest_memory']['peak_addrbook']} | "
          f"{f['bytes_sent']['honest_per_node']:,.0f} / {f['bytes_sent']['attacker_per_node']:,.0f} | "
          f"{'; '.join(bad) if bad else '—'} |")
    w("")
    e = doc["eclipse_seeds"]
    w(f"## Eclipse over {e['seeds']} seeds")
    w("")
    w(f"{e['honest']:,} honest nodes, {e['byzantine']:,} Sybils; seeds 1 … {e['seeds']}: "
      f"**{e['victims_eclipsed']} of {e['victims']} victims eclipsed** "
      f"({e['runs_with_an_eclipsed_victim']} runs with at least one).")
    w("")
    w("| seed | victims | eclipsed | delivery |")
    w("|---|---|---|---|")
    for s in e["per_seed"]:
        w(f"| {s['seed']} | {s['victims']} | {s['victims_eclipsed']} | "
          f"{s['honest_delivery_ratio']:.6f} |")
    w("")
    w("## The defence behind each row")
    w("")
    w("| attack | defence |")
    w("|---|---|")
    seen = []
    for r in doc["runs"]:
        if r["attack"] not in seen:
            seen.append(r["attack"])
            w(f"| {r['attack']} | {DEFENCES.get(r['attack'], 'placeholder')} |")
    w("")
    w("## Commands")
    w("")
    w("Each figure above, reproduced (the benign twin runs in the same invocation):")
    w("")
    w("```")
    for r in doc["runs"]:
        w(r["command"])
    if e["per_seed"]:
        w(e["per_seed"][0]["command"].replace(f"--seed {e['per_seed'][0]['seed']} ",
                                              "--seed S ") + "   # S = 1 … " + str(e["seeds"]))
    w("```")
    w("")
    open(sys.argv[2], "w").write("\n".join(out))


if __name__ == "__main__":
    main()
