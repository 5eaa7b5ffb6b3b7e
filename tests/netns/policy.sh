#!/usr/bin/env bash
# Table inet tether with real traffic: anti-spoofing, isolation, access by the proxy's uid and
# by the policy file, atomic reload, a bad policy file, device changes and removal. Every
# verdict is read from socket results and from the table's own counters.
#
#   admin (tpolP-adm)           gateway (tpolP-gw)                          devices
#   198.18.9.7/24 ---- veth ---- adm0 198.18.9.1/24
#   198.18.9.8/24                tt-a 100.64.0.1 peer 100.64.0.2 -- veth -- a0 100.64.0.2 (tpolP-a)
#                                                                  device "a"
#                                tt-b 100.64.0.1 peer 100.64.0.3 -- veth -- b0 100.64.0.3 (tpolP-b)
#                                                                  device "an12345678901b"
#                                (tt-b stands for the hashed interface of a long name)
#
# The veth pairs stand in for the TUN interfaces of real tunnels. Underlay 198.18.0.0/15,
# tunnel 100.64.0.0/10, no route out of the namespaces. P is this script's PID.
set -e

tool=${BUILD_DIR:-$(dirname "$0")/../../build-pol}/policy/tether-policy-tool
p=tpol$$
proxy_uid=$((40000 + $$ % 20000)) # throwaway uids, no such users exist
other_uid=$((proxy_uid + 1))
tmp=$(mktemp -d /tmp/tpol.XXXXXX)
pids=()
passed=0
failed=0

n() { local ns=$1; shift; ip netns exec "$p-$ns" "$@"; }
# bg NS COMMAND...: runs in the background as its own process (ip netns exec execs it), so the
# PID that cleanup kills is the command itself
bg() { local ns=$1; shift; ip netns exec "$p-$ns" "$@" & pids+=($!); }
pretty() { echo -e "\x1b[32m\x1b[1m[+] ${1:+$1: }$2\x1b[0m" >&2; }

cleanup() {
	set +e
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	for ns in adm gw a b; do ip netns del "$p-$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); pretty "" "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAIL: $1" >&2; }
# expect WANT DESCRIPTION COMMAND...: the command's one-word result must be WANT
expect() {
	local want=$1 what=$2 got
	shift 2
	got=$("$@" 2>&1 || true)
	if [ "$got" = "$want" ]; then ok "$what"; else bad "$what: wanted '$want', got '$got'"; fi
}
check() { # check DESCRIPTION COMMAND...: the command must succeed
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
# packets counted by the rules whose comment starts with PREFIX
counter() {
	n gw nft -j list table inet tether | jq -r --arg c "$1" '[.nftables[] | select(.rule) |
		.rule | select(.comment != null and (.comment | startswith($c))) | .expr[] |
		select(.counter) | .counter.packets] | add // 0'
}
# counter_moves PREFIX DESCRIPTION COMMAND...: the command runs and the counter grows
counter_moves() {
	local prefix=$1 what=$2 before after
	shift 2
	before=$(counter "$prefix")
	"$@" >/dev/null 2>&1 || true
	after=$(counter "$prefix")
	if [ "$after" -gt "$before" ]; then ok "$what (counter $before -> $after)"; else
		bad "$what: counter '$prefix' stayed at $before"; fi
}
# wait_for NS ADDR PORT [udp]: a listener is up (polls, bounded to 5 s)
wait_for() {
	local i flags=-Htln
	[ "${4:-}" = udp ] && flags=-Huln
	for i in $(seq 50); do
		n "$1" ss "$flags" "src $2:$3" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
connect() { n "$1" "$tool" connect "$2" "$3" "${CONNECT_MS:-1000}" ${4:+"$4"}; }
as_uid() { n gw setpriv --reuid="$1" --regid="$1" --clear-groups "${@:2}"; }
rules_only() { # the rules with handles, no counters or elements
	local c
	for c in prerouting input forward output; do n gw nft -a -s list chain inet tether "$c"; done
}

if [ "$(id -u)" -ne 0 ]; then
	if [ "${CI:-}" = "true" ]; then echo "needs root"; echo "0 passed, 1 failed"; exit 1; fi
	echo "skipped: needs root for network namespaces"
	exit 77
fi
[ -x "$tool" ] || { echo "no $tool (set BUILD_DIR)"; echo "0 passed, 1 failed"; exit 1; }

pretty "" "building the topology"
for ns in adm gw a b; do ip netns add "$p-$ns"; done
n gw sysctl -qw net.ipv4.ip_forward=1
# rp_filter would drop spoofed packets too; switched off, every drop below is the table's
n gw sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
for ns in adm gw a b; do n "$ns" ip link set lo up; done
n gw ip link add adm0 type veth peer name eth0 netns "$p-adm"
n gw ip link add tt-a type veth peer name a0 netns "$p-a"
n gw ip link add tt-b type veth peer name b0 netns "$p-b"
n gw ip addr add 198.18.9.1/24 dev adm0
n gw ip addr add 100.64.0.1 peer 100.64.0.2/32 dev tt-a
n gw ip addr add 100.64.0.1 peer 100.64.0.3/32 dev tt-b
n adm ip addr add 198.18.9.7/24 dev eth0
n adm ip addr add 198.18.9.8/24 dev eth0
n a ip addr add 100.64.0.2 peer 100.64.0.1/32 dev a0
n b ip addr add 100.64.0.3 peer 100.64.0.1/32 dev b0
n a ip addr add 100.64.0.99/32 dev a0 # a source that is not a's: for spoofing
for l in "gw adm0" "gw tt-a" "gw tt-b" "adm eth0" "a a0" "b b0"; do
	set -- $l
	n "$1" ip link set "$2" up
done
n adm ip route add 100.64.0.0/10 via 198.18.9.1
n a ip route add default via 100.64.0.1
n b ip route add default via 100.64.0.1

for port in 22 80 502 23; do bg a "$tool" listen 0.0.0.0 "$port" 120; done
for port in 22 80 502; do bg b "$tool" listen 0.0.0.0 "$port" 120; done
bg gw "$tool" listen 0.0.0.0 2222 120
for l in "a 22" "a 80" "a 502" "a 23" "b 22" "b 80" "b 502" "gw 2222"; do
	set -- $l
	wait_for "$1" 0.0.0.0 "$2" || { echo "listener $l did not come up"; exit 1; }
done

cat >"$tmp/policy1.conf" <<-EOF
	# admin network may ssh to every device
	allow 198.18.9.0/24 to * tcp 22
	allow 198.18.9.7 to an1234* tcp 502   # Modbus/TCP on some devices
	allow 198.18.9.0/24 to * udp 7001
EOF
cat >"$tmp/policy2.conf" <<-EOF
	allow 198.18.9.8 to * tcp 22
	allow 198.18.9.7 to a tcp 502
	allow 198.18.9.0/24 to * udp 7001
EOF
cat >"$tmp/bad.conf" <<-EOF
	allow 198.18.9.0/24 to * tcp 22

	allow 198.18.9.0/24 to * tcp 70000
EOF
printf 'a tt-a 100.64.0.2\nan12345678901b tt-b 100.64.0.3\n' >"$tmp/devices"
apply() { n gw "$tool" --proxy-uid "$proxy_uid" --gateway 100.64.0.1 apply "$1" "$tmp/devices"; }

pretty "" "without the table, the lab forwards everything"
expect connected "baseline: device a reaches device b" connect a 100.64.0.3 22
expect connected "baseline: device a reaches a gateway port" connect a 100.64.0.1 2222
expect connected "baseline: any local user reaches a device" as_uid "$other_uid" "$tool" connect 100.64.0.2 80 1000

pretty "" "policy 1"
check "apply policy 1" apply "$tmp/policy1.conf"
check "one table inet tether" test "$(n gw nft -j list tables | jq '[.nftables[] | select(.table)] | length')" = 1

pretty "" "anti-spoofing"
expect reply "device a pings the gateway from its own address" n a "$tool" ping 100.64.0.1 1000 100.64.0.2
counter_moves "anti-spoofing: anything else" "a spoofed source from tt-a is dropped" \
	n a "$tool" udp-send 100.64.0.99 100.64.0.1 5000 5 0
expect timeout "a spoofed ping gets no answer" n a "$tool" ping 100.64.0.1 1000 100.64.0.99

pretty "" "isolation"
counter_moves "isolation: nothing else is forwarded" "tt-a to tt-b is dropped" connect a 100.64.0.3 22
expect timeout "device a cannot connect to device b" connect a 100.64.0.3 22
expect timeout "device a cannot connect to a gateway port" connect a 100.64.0.1 2222
counter_moves "isolation: devices open no connection" "the gateway drop counts it" connect a 100.64.0.1 2222
counter_moves "isolation: devices may ping" "device a pings the gateway's tunnel address" \
	n a "$tool" ping 100.64.0.1 1000

pretty "" "access from the gateway: only the proxy user, only web ports"
expect connected "proxy uid $proxy_uid reaches device a port 80" as_uid "$proxy_uid" "$tool" connect 100.64.0.2 80 1000
expect connected "proxy uid reaches device b (hashed interface) port 80" as_uid "$proxy_uid" "$tool" connect 100.64.0.3 80 1000
expect timeout "uid $other_uid does not reach device a port 80" as_uid "$other_uid" "$tool" connect 100.64.0.2 80 1000
expect timeout "root does not reach device a port 80" n gw "$tool" connect 100.64.0.2 80 1000
expect timeout "proxy uid does not reach device a port 22" as_uid "$proxy_uid" "$tool" connect 100.64.0.2 22 1000
counter_moves "access: no other local process" "the output drop counts it" \
	as_uid "$other_uid" "$tool" connect 100.64.0.2 80 300

pretty "" "access from the admin network: what the policy names"
expect connected "198.18.9.7 reaches a:22 (line 2: * tcp 22)" connect adm 100.64.0.2 22 198.18.9.7
expect connected "198.18.9.8 reaches b:22" connect adm 100.64.0.3 22 198.18.9.8
counter_moves "policy line 3:" "198.18.9.7 reaches b:502 (an1234* matches b's name)" \
	connect adm 100.64.0.3 502 198.18.9.7
expect connected "198.18.9.7 reaches b:502" connect adm 100.64.0.3 502 198.18.9.7
expect timeout "198.18.9.7 does not reach a:502 ('a' does not match an1234*)" connect adm 100.64.0.2 502 198.18.9.7
expect timeout "198.18.9.8 does not reach b:502" connect adm 100.64.0.3 502 198.18.9.8
expect timeout "nobody reaches a:23" connect adm 100.64.0.2 23 198.18.9.7
counter_moves "access: nothing else reaches" "the forward drop counts it" connect adm 100.64.0.2 23 198.18.9.7

pretty "" "reload, atomically"
before=$(n gw nft -j list tables | jq '.nftables[] | select(.table) | .table.handle')
ip netns exec "$p-a" "$tool" udp-count 0.0.0.0 7001 8 >"$tmp/a7001" & a7001=$!
ip netns exec "$p-b" "$tool" udp-count 0.0.0.0 7000 8 >"$tmp/b7000" & b7000=$!
pids+=("$a7001" "$b7000")
wait_for a 0.0.0.0 7001 udp && wait_for b 0.0.0.0 7000 udp || { echo "no UDP counters"; exit 1; }
# 40 reloads between policy 1 and 2 while traffic runs: a -> b must never pass, admin -> a:7001
# (allowed by both) must never stop
(for i in $(seq 20); do apply "$tmp/policy2.conf"; apply "$tmp/policy1.conf"; sleep 0.02; done) &
reloads=$!
pids+=("$reloads")
bg a "$tool" udp-send 100.64.0.2 100.64.0.3 7000 300 5
n adm "$tool" udp-send 198.18.9.7 100.64.0.2 7001 300 5 >"$tmp/sent-adm"
check "40 reloads succeeded" wait "$reloads"
wait "$a7001" "$b7000" || true
check "no datagram from a reached b during reloads" test "$(cat "$tmp/b7000")" = 0
check "all $(cat "$tmp/sent-adm") datagrams admin -> a:7001 arrived during reloads" \
	test "$(cat "$tmp/a7001")" = "$(cat "$tmp/sent-adm")"
check "each reload made a new table (handle $before -> $(n gw nft -j list tables | jq '.nftables[] | select(.table) | .table.handle'))" \
	test "$before" -lt "$(n gw nft -j list tables | jq '.nftables[] | select(.table) | .table.handle')"
check "apply policy 2" apply "$tmp/policy2.conf"
expect timeout "policy 2: 198.18.9.7 no longer reaches b:22" connect adm 100.64.0.3 22 198.18.9.7
expect connected "policy 2: 198.18.9.8 still reaches b:22" connect adm 100.64.0.3 22 198.18.9.8
expect connected "policy 2: 198.18.9.7 now reaches a:502" connect adm 100.64.0.2 502 198.18.9.7
expect timeout "policy 2: 198.18.9.7 no longer reaches b:502" connect adm 100.64.0.3 502 198.18.9.7

pretty "" "a bad policy file"
before=$(n gw nft -a -s list ruleset)
err=$(apply "$tmp/bad.conf" 2>&1) && bad "bad.conf was applied" || ok "bad.conf is refused"
check "the error names file:line:token ($err)" test "$err" = "$tmp/bad.conf:3: bad port '70000'"
check "the old ruleset stays in force, unchanged" test "$before" = "$(n gw nft -a -s list ruleset)"
expect connected "policy 2 still decides: 198.18.9.8 reaches b:22" connect adm 100.64.0.3 22 198.18.9.8

pretty "" "devices come and go: set elements only"
before=$(rules_only)
del_b() { n gw "$tool" --proxy-uid "$proxy_uid" del "$tmp/policy2.conf" an12345678901b tt-b 100.64.0.3; }
add_b() { n gw "$tool" --proxy-uid "$proxy_uid" add "$tmp/policy2.conf" an12345678901b tt-b 100.64.0.3; }
check "remove device b" del_b
check "removing it again is fine" del_b
check "b left the anti-spoofing set" test "$(n gw nft -j list set inet tether spoof4 | jq '[.nftables[] | select(.set) | .set.elem // [] | length] | add')" = 1
expect timeout "b's answers are now spoofed: 198.18.9.8 no longer reaches b:22" connect adm 100.64.0.3 22 198.18.9.8
check "add device b back" add_b
expect connected "198.18.9.8 reaches b:22 again" connect adm 100.64.0.3 22 198.18.9.8
check "the rules were not touched" test "$before" = "$(rules_only)"

pretty "" "remove"
check "remove the table" n gw "$tool" remove
check "nothing is left in the gateway's ruleset" test -z "$(n gw nft list ruleset)"
expect connected "without the table a reaches b again" connect a 100.64.0.3 22

pretty "" "cleanup"
cleanup
trap - EXIT
check "every namespace is gone" test -z "$(ip netns list | grep "^$p-" || true)"
for pid in "${pids[@]}"; do
	if kill -0 "$pid" 2>/dev/null; then bad "process $pid still runs"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
