#!/usr/bin/env bash
# Per-device kernel cost on the gateway, measured in a network namespace of
# its own (tests/bench_kernel/bench_kernel.c does the work): N devices up
# (persistent TUN, alias, group, IPv4 p2p address, IPv6 off, up), down and up
# again at N=1,000 and N=10,000; the flatness ratio (cost per device at
# 10,000 / at 1,000); teardown of all by one group delete; kernel memory per
# device. Then the same at 1,000 with the alternatives, for comparison.
# Goals: up <= 0.5 ms per device at 10,000, flat, teardown of 10,000 < 10 s.
#
#   BUILD_DIR=build-bench scripts/bench/kernel.sh   (scripts/bench.sh sets it)
set -euo pipefail

: "${BUILD_DIR:?run it through scripts/bench.sh, which builds and sets BUILD_DIR}"
bin=$BUILD_DIR/tests/bench_kernel/bench_kernel
if [ ! -x "$bin" ]; then
	echo "kernel: $bin is missing: is tests/bench_kernel in the build?" >&2
	exit 1
fi

ns=tnl-$$-bench
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"

# run ARGS...: one measurement; every run deletes what it created, and
# the namespace goes at the end whatever happens.
run() {
	timeout 150 ip netns exec "$ns" "$bin" "$@"
}

# field LINES NAME: the smallest number after NAME= in the result lines
# (the machine is shared: the best of a few short runs is the cost)
field() {
	sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1" | sort -g | sed -n 1p
}

echo "kernel: tetherd's way (IPv6 off by disable_ipv6, gateway address on each TUN, batched)"
r1=
for i in 1 2 3; do
	line=$(run -n 1000)
	echo "  $line"
	r1+="$line"$'\n'
done
r10=$(run -n 10000)
echo "  $r10"

echo "kernel: alternatives, for comparison"
for args in "-n 1000 -s" "-n 1000 -6 genmode" "-n 1000 -6 on" "-n 1000 -a lo" \
	"-n 10000 -6 genmode" "-n 10000 -a lo"; do
	# shellcheck disable=SC2086
	echo "  $(run $args)"
done

up1=$(field "$r1" up_ms_per_dev)
up10=$(field "$r10" up_ms_per_dev)
last10=$(field "$r10" last_tenth_up_ms_per_dev)
down1=$(field "$r1" down_ms_per_dev)
down10=$(field "$r10" down_ms_per_dev)
reup10=$(field "$r10" reup_ms_per_dev)
del10=$(field "$r10" group_delete_ms)
mem10=$(field "$r10" slab_percpu_vmalloc_kb_per_dev)
awk -v up1="$up1" -v up10="$up10" -v last10="$last10" -v down1="$down1" \
	-v down10="$down10" -v reup10="$reup10" -v del10="$del10" -v mem10="$mem10" 'BEGIN {
	printf "kernel: (1,000: best of three runs; 10,000: one run)\n"
	printf "kernel: up %.3f ms/device at 1,000, %.3f at 10,000 (the last 1,000: %.3f; goal <= 0.5)\n", up1, up10, last10
	printf "kernel: down %.3f ms/device at 1,000, %.3f at 10,000; up again %.3f at 10,000\n", down1, down10, reup10
	printf "kernel: flatness (per device at 10,000 / at 1,000): up %.2f, down %.2f (goal ~1)\n", up10 / up1, down10 / down1
	printf "kernel: teardown of 10,000 by one group delete %.1f s (goal < 10 s)\n", del10 / 1000
	printf "kernel: kernel memory %.0f KiB/device (Slab+Percpu+VmallocUsed)\n", mem10
}'

cleanup
trap - EXIT
if ip netns list | grep -q "^$ns\b"; then
	echo "kernel: namespace $ns left behind" >&2
	exit 1
fi
