#!/bin/sh
# Runs every libFuzzer target for SECONDS seconds, starting from its checked-in corpus
# (fuzz/corpus/<name>/, read-only) plus a scratch corpus in the build tree. Prints each
# target's executions and exits non-zero if any target crashed.
set -eu
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
summary=""
for bin in "$build"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^fuzz_//')
	scratch="$build/fuzz-corpus/$name"
	log="$build/fuzz-logs/$name.log"
	mkdir -p "$scratch" "$(dirname "$log")"
	echo "fuzz: $name for ${seconds}s"
	if "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/fuzz-logs/$name-" \
		"$scratch" "$root/fuzz/corpus/$name" >"$log" 2>&1; then
		result=ok
	else
		result=CRASH
		status=1
		tail -n 40 "$log" >&2
	fi
	execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
	summary="$summary$(printf '%-24s %-6s %12s execs' "$name" "$result" "$execs")\n"
done
printf '\n%-24s %-6s %12s\n' target result executions
printf "$summary"
exit $status
