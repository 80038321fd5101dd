#!/bin/sh
# Runs every benchmark program in BUILD/bench (bench_*), each with the results directory
# bench/results as its argument, then every bench/*.sh script with BUILD and that directory,
# and shows what each one prints and which result files it wrote. New benches are picked up by
# name; nothing here needs to change for them.
#   usage: scripts/bench.sh BUILD_DIR
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/results
[ -d "$build/bench" ] || { echo "bench: no $build/bench; build the bench_* targets first" >&2; exit 1; }
mkdir -p "$out"

# Recorded by the benches that report library versions.
HS_SECP256K1_VERSION=$(pkg-config --modversion libsecp256k1 2>/dev/null || echo unknown)
export HS_SECP256K1_VERSION

marker=$(mktemp)
trap 'rm -f "$marker"' EXIT INT TERM
status=0
found=0
for b in "$build"/bench/bench_*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	found=$((found + 1))
	echo "== $(basename "$b")"
	touch "$marker"
	if ! "$b" "$out"; then
		echo "bench: $(basename "$b") failed" >&2
		status=1
	fi
	find "$out" -type f -newer "$marker" | sort | sed 's/^/   result: /'
done
# Scripted benches (bench/*.sh, e.g. the simulator's): each gets the build and results dirs.
for sh in "$root"/bench/*.sh; do
	[ -f "$sh" ] || continue
	found=$((found + 1))
	echo "== $(basename "$sh")"
	touch "$marker"
	if ! sh "$sh" "$build" "$out"; then
		echo "bench: $(basename "$sh") failed" >&2
		status=1
	fi
	find "$out" -type f -newer "$marker" | sort | sed 's/^/   result: /'
done
[ "$found" -gt 0 ] || { echo "bench: no bench_* programs in $build/bench" >&2; exit 1; }
exit $status
