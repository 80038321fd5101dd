#!/bin/sh
# make demo: two hearsay processes on loopback complete a real Noise XX handshake over TCP,
# each proves its secp256k1 identity, one sends a signed rumor, the other verifies it.
set -eu
build=${1:-build}
bin="$build/bin/hearsay-pair"
[ -x "$bin" ] || { echo "demo: $bin not built (run make build)" >&2; exit 1; }
dir=$(mktemp -d /tmp/hearsay-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
port=$(( 20000 + $$ % 20000 ))
echo "== hearsay demo: two nodes on 127.0.0.1:$port, network 'demo' =="
"$bin" listen "127.0.0.1:$port" -datadir="$dir/a" &
listener=$!
"$bin" connect "127.0.0.1:$port" -datadir="$dir/b"
wait "$listener"
echo "== done: handshake proven both ways, rumor signature verified =="
