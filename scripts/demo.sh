#!/bin/sh
# make demo: install what building needs, build quietly, then run a local hearsay network of
# 24 real nodes, shown live (scripts/demo.py).
#
#   scripts/demo.sh [BUILD_DIR] [--keep]
#
# The package installation and the build print one line each; their output goes to
# BUILD_DIR/demo-build.log and is shown only when a step fails. With --keep (make demo KEEP=1)
# the network is left running and the demo ends with commands that work against it;
# `make demo-stop` (or the stop script it names) ends it.
# Environment: JOBS (parallel build jobs), CMAKE, PREFIX (as make build).
set -eu
build=${1:-build}
keep=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cmake=${CMAKE:-cmake}
mkdir -p "$build"
log=$(cd "$build" && pwd)/demo-build.log
: >"$log"

HS_DEPS_LOG="$log" "$here/deps.sh"

printf 'building hearsay (%s jobs; output in %s) ... ' "$jobs" "$log"
start=$(date +%s)
if ! { "$cmake" -S "$here/.." -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_INSTALL_PREFIX="${PREFIX:-/usr/local}" &&
	"$cmake" --build "$build" -j "$jobs"; } >>"$log" 2>&1; then
	echo "failed" >&2
	echo "the end of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
echo "done in $(($(date +%s) - start)) s"

[ -x "$build/bin/hearsayd" ] || { echo "demo: $build/bin/hearsayd not built" >&2; exit 1; }
exec python3 "$here/demo.py" "$build/bin" $keep
