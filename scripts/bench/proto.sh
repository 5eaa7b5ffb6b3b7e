#!/usr/bin/env bash
# proto/ benchmark: seal+open of 1420-byte packets through sessions against
# bare libsodium in the same run (a ratio, goal >= 0.95), and handshakes per
# second for each side against bare X25519 / 4 (goal >= 0.9). Run through
# scripts/bench.sh, which builds $BUILD_DIR in release mode. On one core
# when taskset allows it. Arguments: [packets] [rounds] [handshakes].
set -euo pipefail

: "${BUILD_DIR:?run this through scripts/bench.sh, which sets BUILD_DIR}"
bin="$BUILD_DIR/tests/bench/bench_proto"
if [ ! -x "$bin" ]; then
	echo "proto: $bin is missing (is tests/bench in the build?)" >&2
	exit 1
fi

pin=()
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
	pin=(taskset -c 0)
fi
exec "${pin[@]}" "$bin" "$@"
