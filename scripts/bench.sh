#!/usr/bin/env bash
# Benchmarks. Each prints its figures as ratios against a peer or a
# baseline measured in the same run: this machine is shared and noisy.
#
#   ./scripts/bench.sh proto     seal/open and handshakes vs bare libsodium
#   ./scripts/bench.sh kernel    per-device TUN, address and nft cost
#   ./scripts/bench.sh all       every benchmark that exists
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

usage() {
	echo "usage: $0 {$(ls scripts/bench/*.sh 2>/dev/null | xargs -n1 basename | sed 's/\.sh$//' | paste -sd'|')|all}" >&2
	exit 2
}

[ $# -eq 1 ] || usage
./scripts/setup.sh
if [ ! -f build-bench/build.ninja ]; then
	meson setup build-bench --buildtype=release >/dev/null
fi
ninja -C build-bench >/dev/null
export BUILD_DIR="$top/build-bench"

if [ "$1" = all ]; then
	for b in scripts/bench/*.sh; do
		echo "== $(basename "$b" .sh)"
		"$b"
	done
elif [ -x "scripts/bench/$1.sh" ]; then
	exec "scripts/bench/$1.sh"
else
	usage
fi
