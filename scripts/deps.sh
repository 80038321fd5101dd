#!/bin/sh
# Install the Debian 12 packages hearsay needs to build, test, fuzz and run its demo.
# Idempotent: does nothing when every package is present. When something is missing and we
# are not root, print the exact command to run and exit non-zero.
set -eu

PKGS="build-essential cmake make pkg-config binutils python3 \
libsecp256k1-dev libsodium-dev libleveldb-dev libsnappy-dev \
libuv1-dev libjansson-dev libinih-dev libminiupnpc-dev \
clang-19 libclang-rt-19-dev libfuzzer-19-dev clang-format-19 faketime"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "hearsay: missing Debian packages:$missing" >&2
	echo "run as root: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

echo "hearsay: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
