#!/bin/sh
# The membership benchmark: failure detection across 32 hearsayd processes on loopback
# (bench/members.py). Called by scripts/bench.sh with the build and results directories.
#   usage: bench/members.sh BUILD_DIR RESULTS_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
exec python3 "$(dirname "$0")/members.py" "$1/bin" "$2"
