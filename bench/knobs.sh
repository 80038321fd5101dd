#!/bin/sh
# The dissemination knobs' trade-offs, measured with hearsay-sim (the eager-push sweep is in
# bench/sim.sh). Each knob is varied alone around the core defaults, in the scenario where it
# matters:
#   lazy_delay, eager_wait_max        1,000 nodes x 50 rumors (latency against copies)
#   pull_interval, request_timeout    the same with 5% chunk loss (repair against traffic)
#   pull_window                       200 nodes, a rumor every 500 ms for 200 s, 5% loss
#   retention                         200 nodes x 20 rumors, half cut off for the first 90 s
#   feeler_interval                   80 nodes x 20 rumors, half cut off until 120 s
# Runs two simulations at a time (virtual time: the figures do not depend on the machine) and
# writes RESULTS_DIR/knobs.json. docs/KNOBS.md reads from it. Called by scripts/bench.sh.
#   usage: bench/knobs.sh BUILD_DIR RESULTS_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
sim=$1/bin/hearsay-sim
out=$2
[ -x "$sim" ] || { echo "knobs bench: no $sim; build the hearsay-sim target first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "knobs bench: python3 is needed" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
SIM=$sim TMP=$tmp
export SIM TMP
trap 'rm -rf "$tmp"' EXIT INT TERM

base="--nodes 1000 --rumors 50 --seed 1"
lossy="$base --loss 0.05"
steady="--nodes 200 --rumors 400 --rumor-interval-ms 500 --seed 5 --loss 0.05"
cut="--nodes 200 --rumors 20 --seed 3 --partition 0:90:0.5 --tail-s 300"
long="--nodes 80 --rumors 20 --seed 14 --partition -1:120:0.5 --tail-s 240"
# knob, value, flags: one line per run.
cat >"$tmp/runs" <<EOF
lazy_delay_ms 0 $base
lazy_delay_ms 50 $base --lazy-delay-ms 50
lazy_delay_ms 200 $base --lazy-delay-ms 200
eager_wait_max_ms 0 $base --eager-wait-max-ms 0
eager_wait_max_ms 100 $base --eager-wait-max-ms 100
eager_wait_max_ms 500 $base
eager_wait_max_ms 1000 $base --eager-wait-max-ms 1000
pull_interval_ms 1000 $lossy --pull-interval-ms 1000
pull_interval_ms 5000 $lossy
pull_interval_ms 20000 $lossy --pull-interval-ms 20000
request_timeout_ms 500 $lossy --request-timeout-ms 500
request_timeout_ms 2000 $lossy
request_timeout_ms 8000 $lossy --request-timeout-ms 8000
pull_window_s 10 $steady --pull-window-s 10
pull_window_s 60 $steady
pull_window_s 300 $steady --pull-window-s 300
retention_s 30 $cut --retention-s 30 --pull-window-s 30
retention_s 120 $cut --retention-s 120
retention_s 600 $cut
feeler_interval_s 0 $long --feeler-interval-s 0
feeler_interval_s 30 $long --feeler-interval-s 30
feeler_interval_s 120 $long
EOF
# xargs runs "sh -c SCRIPT knob value flags...": the knob lands in $0, the value in $1.
xargs -P 2 -L 1 sh -c 'echo "   $0 $1" >&2; k=$0 v=$1; shift
	"$SIM" --json --quiet "$@" >"$TMP/$k-$v.json"' <"$tmp/runs"

python3 - "$tmp" "$out/knobs.json" <<'PYEOF'
import json, os, sys
tmp, dest = sys.argv[1], sys.argv[2]
rows = {}
for line in open(os.path.join(tmp, "runs")):
    knob, value, flags = line.split(" ", 2)
    r = json.load(open(os.path.join(tmp, f"{knob}-{value}.json")))
    t = r["msgs_per_node_by_type"]
    rows.setdefault(knob, []).append({
        "value": float(value),
        "flags": flags.strip(),
        "delivery_ratio": r["delivery_ratio"],
        "latency_p50_ms": r["latency_ms"]["p50"],
        "latency_p99_ms": r["latency_ms"]["p99"],
        "latency_max_ms": r["latency_ms"]["max"],
        "flood_bound_p99_ms": r["flood_bound_ms"]["p99"],
        "p99_over_flood_p99": r["p99_over_flood_p99"],
        "payload_copies_per_node": r["payload_copies_per_node"],
        "traffic_bytes_per_node": r["traffic_bytes_per_node"],
        "traffic_msgs_per_node": r["traffic_msgs_per_node"],
        "requests_per_node": r["protocol"]["requests_per_node"],
        "request_timeouts_per_node": r["protocol"]["request_timeouts_per_node"],
        "pull_frames_per_node": t.get("pull", 0),
        "pull_rumors_per_node": r["protocol"]["pull_rumors_per_node"],
        "isolated": r["overlay"]["isolated"],
    })
json.dump({"bench": "hearsay-sim knobs", "knobs": rows}, open(dest, "w"), indent=2)
for knob, rs in rows.items():
    print(f"   {knob}")
    for x in rs:
        print(f"     {x['value']:>8g}: delivery {x['delivery_ratio']:.4f}  p50 "
              f"{x['latency_p50_ms']:9.1f}  p99 {x['latency_p99_ms']:9.1f} ms  copies "
              f"{x['payload_copies_per_node']:.3f}  bytes/node {x['traffic_bytes_per_node']:.0f}")
PYEOF
