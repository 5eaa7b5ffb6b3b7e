#!/usr/bin/env bash
# Installs every Debian package that Tether's build, tests, demo and
# benchmarks need. Idempotent: when everything is present it only checks.
set -euo pipefail

packages=(
	# build
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	libmnl-dev libsodium-dev libnftables-dev libsqlite3-dev libjansson-dev
	libinih-dev libssl-dev
	# tests
	libcriterion-dev iproute2 iputils-ping nftables curl jq python3 openssl procps util-linux
	# benchmarks
	iperf3 wrk nginx-light wireguard-go wireguard-tools
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
