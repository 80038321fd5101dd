#!/bin/sh
# State next to rumors in the simulator: hearsay-sim --scenario state at 1,000 nodes x 50
# rumors (each publish also sets one state entry on its origin). Writes
# RESULTS_DIR/sim_state.json, the run's JSON report; docs/SIM.md quotes it. The run is
# deterministic: the same seed gives the same figures on any build.
#   usage: bench/sim_state.sh BUILD_DIR RESULTS_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
sim=$1/bin/hearsay-sim
[ -x "$sim" ] || { echo "sim_state bench: no $sim; build hearsay-sim first" >&2; exit 1; }
mkdir -p "$2"
echo "   hearsay-sim --nodes 1000 --rumors 50 --seed 1 --scenario state"
"$sim" --json --quiet --nodes 1000 --rumors 50 --seed 1 --scenario state >"$2/sim_state.json.tmp"
mv "$2/sim_state.json.tmp" "$2/sim_state.json"
echo "wrote $2/sim_state.json"
