#!/bin/sh
# Install the Debian 12 packages one hearsay task needs, and nothing more:
#
#   scripts/deps.sh          building, running, the demo and `make install` (man pages need
#                            help2man at build time; python3 writes the sample config;
#                            libmicrohttpd serves JSON-RPC over HTTP)
#   scripts/deps.sh test     that, plus what only the test suite needs: clang-format-19 (the
#                            format check), systemd (systemd-analyze and systemd-sysusers
#                            check the unit), strace (the unit's system call filter),
#                            faketime (a node whose clock is off, functional_clock), and a
#                            real UPnP gateway for functional_upnp: miniupnpd with its
#                            nftables backend (Debian 12's default), nftables, miniupnpc
#                            (upnpc) and iproute2 (ip netns). miniupnpd's package asks
#                            whether to start the daemon, defaulting to no; installed
#                            noninteractively it starts no service and changes no firewall:
#                            the test runs it in network namespaces of its own.
#   scripts/deps.sh fuzz     that, plus clang-19 with its sanitizer runtimes and libFuzzer
#   scripts/deps.sh format   that, plus clang-format-19
#
# With HS_DEPS_LOG=FILE, apt's output goes to FILE and one line is printed (make demo).
# Idempotent: does nothing when every package is present. When something is missing and we
# are not root, print the exact command to run and exit non-zero.
set -eu

BASE="build-essential cmake make pkg-config binutils python3 help2man \
libsecp256k1-dev libsodium-dev libleveldb-dev libsnappy-dev \
libuv1-dev libjansson-dev libinih-dev libminiupnpc-dev libmicrohttpd-dev"
# functional_upnp's gateway (see above).
UPNP_GATEWAY="miniupnpd miniupnpd-nftables nftables miniupnpc iproute2"

case "${1:-build}" in
build) PKGS="$BASE" ;;
test) PKGS="$BASE clang-format-19 systemd strace faketime $UPNP_GATEWAY" ;;
fuzz) PKGS="$BASE clang-19 libclang-rt-19-dev libfuzzer-19-dev" ;;
format) PKGS="$BASE clang-format-19" ;;
*)
	echo "usage: $0 [build|test|fuzz|format]" >&2
	exit 64
	;;
esac

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

export DEBIAN_FRONTEND=noninteractive
if [ -z "${HS_DEPS_LOG:-}" ]; then
	echo "hearsay: installing$missing"
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
	exit 0
fi
# Quiet (make demo): apt's output goes to HS_DEPS_LOG, shown only if it fails.
printf 'hearsay: installing%s ... ' "$missing"
# shellcheck disable=SC2086
if { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } \
	>"$HS_DEPS_LOG" 2>&1; then
	echo "done"
else
	echo "failed; the end of $HS_DEPS_LOG:" >&2
	tail -n 30 "$HS_DEPS_LOG" >&2
	exit 1
fi
