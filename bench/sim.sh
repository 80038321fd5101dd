#!/bin/sh
# The simulator benchmark: hearsay-sim at 1,000 nodes x 50 rumors (without and with 5% loss),
# at 10,000 nodes x 10 rumors, and the eager-push trade-off at 1,000 x 50: the receiver-driven
# policy (docs/PROTOCOL.md §9.3, docs/KNOBS.md) with eager_push 0..4 at the default cover, and
# with eager_cover 0, 20, 35, 50, 100 at eager_push 2 and 3. Writes RESULTS_DIR/sim.json: each
# run's full JSON report (with peak RSS) and a table of copies against latency for the sweep.
# Called by scripts/bench.sh (make bench) with the Release build; docs/SIM.md explains every
# figure.
#   usage: bench/sim.sh BUILD_DIR RESULTS_DIR
# SIM_SKIP_10000=1 skips the 10,000-node run (minutes on 2 cores) and carries that run over
# from the RESULTS_DIR/sim.json already there, marked "carried_over": true.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
sim=$1/bin/hearsay-sim
out=$2
[ -x "$sim" ] || { echo "sim bench: no $sim; build the hearsay-sim target first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "sim bench: python3 is needed to assemble sim.json" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

run() { # name, then hearsay-sim flags
	name=$1
	shift
	echo "   hearsay-sim $*"
	"$sim" --json --rss --quiet "$@" >"$tmp/$name.json"
}

run n1000 --nodes 1000 --rumors 50 --seed 1
run n1000_loss5 --nodes 1000 --rumors 50 --seed 1 --loss 0.05
if [ "${SIM_SKIP_10000:-0}" = 1 ] && [ -f "$out/sim.json" ]; then
	echo "   (10,000-node run skipped: carried over from $out/sim.json)"
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["runs"]["nodes10000_rumors10"]
r["carried_over"] = True
json.dump(r, open(sys.argv[2], "w"))' "$out/sim.json" "$tmp/n10000.json"
else
	run n10000 --nodes 10000 --rumors 10 --seed 1
fi
# The default is eager_push 2, eager_cover 35: n1000 is that row of the sweep.
for k in 0 1 2 3 4; do
	for c in 0 20 35 50 100; do
		[ "$k" = 2 ] && [ "$c" = 35 ] && continue
		# eager_cover matters only when a node may ask for two pushers or more.
		[ "$c" != 35 ] && [ "$k" != 2 ] && [ "$k" != 3 ] && continue
		run "eager${k}_cover$c" --nodes 1000 --rumors 50 --seed 1 --eager-push "$k" \
			--eager-cover "$c"
	done
done
cp "$tmp/n1000.json" "$tmp/eager2_cover35.json"

python3 - "$tmp" "$out/sim.json" <<'EOF'
import json, os, platform, sys
tmp, dest = sys.argv[1], sys.argv[2]
load = lambda n: json.load(open(os.path.join(tmp, n + ".json")))
sweep = []
for k, c in [(0, 35), (1, 35), (2, 0), (2, 20), (2, 35), (2, 50), (2, 100), (3, 0), (3, 20),
             (3, 35), (3, 50), (3, 100), (4, 35)]:
    r = load(f"eager{k}_cover{c}")
    sweep.append({
        "eager_push": k,
        "eager_cover_pct": c,
        "payload_copies_per_node": r["payload_copies_per_node"],
        "latency_p99_ms": r["latency_ms"]["p99"],
        "flood_bound_p99_ms": r["flood_bound_ms"]["p99"],
        "p99_over_flood_p99": r["p99_over_flood_p99"],
        "latency_p50_ms": r["latency_ms"]["p50"],
        "push_fraction": r["paths"]["push_fraction"],
        "requests_per_node": r["protocol"]["requests_per_node"],
        "traffic_bytes_per_node": r["traffic_bytes_per_node"],
        "push_frames_per_node": r["msgs_per_node_by_type"].get("push", 0),
    })
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
doc = {
    "bench": "hearsay-sim",
    "machine": {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform()},
    "runs": {
        "nodes1000_rumors50": load("n1000"),
        "nodes1000_rumors50_loss5": load("n1000_loss5"),
        "nodes10000_rumors10": load("n10000"),
    },
    "eager_push_sweep": sweep,
}
with open(dest, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
for name, r in doc["runs"].items():
    print(f"   {name}: delivery {r['delivery_ratio']}, p99 {r['latency_ms']['p99']} ms "
          f"(flood {r['flood_bound_ms']['p99']}), copies {r['payload_copies_per_node']}, "
          f"wall {r['wall_s']} s, peak RSS {r.get('peak_rss_kb', 0) // 1024} MiB")
print("   eager_push  eager_cover  copies  p99/flood-p99")
for row in sweep:
    print(f"   {row['eager_push']:10d}  {row['eager_cover_pct']:11d}  "
          f"{row['payload_copies_per_node']:6.3f}  {row['p99_over_flood_p99']:.3f}")
EOF
