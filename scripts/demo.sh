#!/bin/sh
# make demo: a local hearsay network of 24 real nodes, shown live (scripts/demo.py).
set -eu
build=${1:-build}
[ -x "$build/bin/hearsayd" ] || { echo "demo: $build/bin/hearsayd not built" >&2; exit 1; }
exec python3 "$(dirname "$0")/demo.py" "$build/bin"
