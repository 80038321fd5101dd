#!/bin/sh
# Every C source and header is clang-format-19 clean (style in .clang-format).
set -eu
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
command -v clang-format-19 >/dev/null || { echo "format: clang-format-19 not installed (scripts/deps.sh)" >&2; exit 1; }
files=$(find base crypto reputation overlay store node sim include tests fuzz bench examples -name '*.[ch]' 2>/dev/null | sort)
[ -n "$files" ] || { echo "format: no sources found under $root" >&2; exit 1; }
bad=""
for f in $files; do
	clang-format-19 --dry-run --Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
	echo "format: not clang-format-19 clean (run 'make format'):" >&2
	for f in $bad; do echo "  $f" >&2; done
	exit 1
fi
echo "format: $(echo "$files" | wc -l) files clean"
