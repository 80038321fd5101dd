#!/bin/sh
# The adversarial benchmark: every hearsay-sim attack (docs/SIM.md §9) at 1,000 honest nodes with
# 1,000 and 4,000 Byzantine cores in at most 32 /16 groups, fixed seeds, each run with its benign
# twin (same seed, no attacker); and eclipse over 100 seeds. Writes RESULTS_DIR/attacks.json
# (every run's figures, the property checks and the command behind each figure), then renders
# docs/ATTACKS.md from it (bench/attacks_doc.py). Called by scripts/bench.sh (make bench).
#
# The scale can be lowered for a quick check (the JSON records what ran):
#   ATTACK_HONEST (1000)  ATTACK_SYBILS ("1000 4000")  ATTACK_GROUPS (32)  ATTACK_SEED (1)
#   ATTACK_RUMORS (10)  ATTACK_ECLIPSE_SEEDS (100)  ATTACK_ECLIPSE_SYBILS (first of SYBILS)
#   ATTACK_LIST (every attack)
# ATTACK_KEEP=DIR keeps every run's JSON in DIR and does not run again one whose JSON is there
# (to resume, or to assemble runs made in pieces); with ATTACK_ASSEMBLE=1 as well nothing is
# run: the JSON and ATTACKS.md are made from the runs in DIR, the missing ones listed as not run.
#   usage: bench/attacks.sh BUILD_DIR RESULTS_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
sim=$1/bin/hearsay-sim
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$sim" ] || { echo "attack bench: no $sim; build the hearsay-sim target first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "attack bench: python3 is needed" >&2; exit 1; }
honest=${ATTACK_HONEST:-1000}
sybils=${ATTACK_SYBILS:-1000 4000}
groups=${ATTACK_GROUPS:-32}
seed=${ATTACK_SEED:-1}
rumors=${ATTACK_RUMORS:-10}
eseeds=${ATTACK_ECLIPSE_SEEDS:-100}
esybils=${ATTACK_ECLIPSE_SYBILS:-${sybils%% *}}
list=${ATTACK_LIST:-drop invalid-sig spam withhold eclipse replay equivocate censor covert-flash cold-boot}
mkdir -p "$out"
if [ -n "${ATTACK_KEEP:-}" ]; then
	tmp=$ATTACK_KEEP
	mkdir -p "$tmp"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT INT TERM
fi

run() { # file name, then hearsay-sim flags
	name=$1
	shift
	[ -s "$tmp/$name.json" ] && { echo "   (kept) hearsay-sim $*"; return 0; }
	[ -n "${ATTACK_ASSEMBLE:-}" ] && { echo "   (not run) hearsay-sim $*"; return 0; }
	echo "   hearsay-sim $*"
	"$sim" --json --rss --quiet "$@" >"$tmp/$name.json.part"
	mv "$tmp/$name.json.part" "$tmp/$name.json"
}

for a in $list; do
	for m in $sybils; do
		g=$groups
		[ "$m" -lt "$g" ] && g=$m
		run "run_${a}_$m" --attack "$a" --nodes "$honest" --byzantine "$m" \
			--attacker-groups "$g" --seed "$seed" --rumors "$rumors"
	done
done
s=1
while [ "$s" -le "$eseeds" ]; do
	g=$groups
	[ "$esybils" -lt "$g" ] && g=$esybils
	run "eclipse_seed_$s" --attack eclipse --nodes "$honest" --byzantine "$esybils" \
		--attacker-groups "$g" --seed "$s" --rumors "$rumors"
	s=$((s + 1))
done

python3 - "$tmp" "$out/attacks.json" "$honest" "$sybils" "$groups" "$seed" "$rumors" \
	"$eseeds" "$esybils" "$list" <<'PYEOF'
import glob, json, os, platform, sys
tmp, dest, honest, sybils, groups, seed, rumors, eseeds, esybils, lst = sys.argv[1:]

def props(attack, j):
    """The properties issue 8 asks for, each with its verdict."""
    p = {
        "honest_delivery_ratio >= 0.999": j["honest_delivery_ratio"] >= 0.999,
        "latency_ms.p99 <= 2 x benign": j["latency_ms"]["p99"] <= 2 * j["benign_latency_ms"]["p99"],
        "honest_banned == 0": j["honest_banned"] == 0,
    }
    if attack == "invalid-sig":
        p["attackers_banned == byzantine"] = j["attackers_banned"] == j["attack"]["byzantine"]
        p["verify_share_attackers <= 0.10"] = j["verify_share_attackers"] <= 0.10
    if attack == "eclipse":
        p["victims_eclipsed == 0"] = j["victims_eclipsed"] == 0
    return p

def figures(j):
    return {
        "honest_delivery_ratio": j["honest_delivery_ratio"],
        "latency_ms": j["latency_ms"],
        "benign_latency_ms": j["benign_latency_ms"],
        "p99_over_benign_p99": j["p99_over_benign_p99"],
        "attackers_banned": j["attackers_banned"],
        "honest_banned": j["honest_banned"],
        "victims": j["attack"]["victims"],
        "victims_eclipsed": j["victims_eclipsed"],
        "verify_share_attackers": j["verify_share_attackers"],
        "honest_memory": j["honest_memory"],
        "bytes_sent": j["bytes_sent"],
        "adversary": j["adversary"],
        "peak_rss_kb": j.get("peak_rss_kb", 0),
        "wall_s": j["wall_s"] + j["benign"]["wall_s"],
    }

runs, not_run = [], []
def load(name):
    path = os.path.join(tmp, name + ".json")
    return json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else None
for a in lst.split():
    for m in sybils.split():
        j = load(f"run_{a}_{m}")
        if j is None:
            not_run.append(f"{a} {honest}+{m}")
            continue
        runs.append({"attack": a, "honest": int(honest), "byzantine": int(m),
                     "attacker_groups": j["attack"]["attacker_groups"], "seed": int(seed),
                     "command": j["attack"]["command"], "figures": figures(j),
                     "properties": props(a, j)})
per_seed = []
for s in range(1, int(eseeds) + 1):
    j = load(f"eclipse_seed_{s}")
    if j is None:
        not_run.append(f"eclipse {honest}+{esybils} seed {s}")
        continue
    per_seed.append({"seed": s, "victims": j["attack"]["victims"],
                     "victims_eclipsed": j["victims_eclipsed"],
                     "honest_delivery_ratio": j["honest_delivery_ratio"],
                     "command": j["attack"]["command"]})
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
doc = {
    "bench": "hearsay-sim attacks",
    "machine": {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform()},
    "scale": {"honest": int(honest), "byzantine": [int(m) for m in sybils.split()],
              "attacker_groups_max": int(groups), "seed": int(seed), "rumors": int(rumors)},
    "runs": runs,
    "not_run": not_run,
    "eclipse_seeds": {"honest": int(honest), "byzantine": int(esybils), "seeds": len(per_seed),
                      "runs_with_an_eclipsed_victim": sum(1 for r in per_seed if r["victims_eclipsed"]),
                      "victims": sum(r["victims"] for r in per_seed),
                      "victims_eclipsed": sum(r["victims_eclipsed"] for r in per_seed),
                      "per_seed": per_seed},
}
with open(dest, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
for r in runs:
    bad = [k for k, v in r["properties"].items() if not v]
    print(f"   {r['attack']:12s} {r['honest']}+{r['byzantine']}: delivery "
          f"{r['figures']['honest_delivery_ratio']:.6f}, p99 {r['figures']['latency_ms']['p99']:.0f}"
          f" ms (benign {r['figures']['benign_latency_ms']['p99']:.0f}), "
          f"{'ok' if not bad else 'FAILS ' + '; '.join(bad)}")
e = doc["eclipse_seeds"]
print(f"   eclipse over {e['seeds']} seeds: {e['victims_eclipsed']}/{e['victims']} victims eclipsed")
PYEOF
python3 "$root/bench/attacks_doc.py" "$out/attacks.json" "$root/docs/ATTACKS.md"
echo "   wrote $root/docs/ATTACKS.md"
