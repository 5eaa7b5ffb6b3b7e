#!/usr/bin/env bash
# tetherd end to end against tt_initiator (an agent made of proto/): flags
# and -n, enrollment by key and by token, the REJECTED cases of PROTOCOL.md
# 3.5, silent drops (no answer at all), data through the tunnel to the TUN
# and back (ICMP echo to the gateway's tunnel address), anti-spoofing counted
# before the kernel, the interface and nftables elements as INTERFACE.md
# says, offline after silence (a connect fails at once), disable and remove
# within a second, SIGHUP with a bad and a good policy, a restart that
# reattaches every interface (same ifindex) and deletes leftovers, and an
# expired token.
#
#   gateway (P-gw)                                device side (P-dev)
#   gw0 198.18.0.1/24 ---------- veth ---------- dev0 198.18.0.2/24
#   tetherd on UDP 51900                          tt_initiator, one run per step
#   tt-<name> 100.64.0.1 peer 100.64.0.N/32
#
# P is "ttd" and this script's PID. Underlay 198.18.0.0/15, tunnel
# 100.64.0.0/10, no route out of the namespaces. Every wait is bounded.
set -e

export NS_PREFIX=ttd$$
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${BUILD_DIR:-$(dirname "$0")/../../build-td}
TETHERD=$BUILD_DIR/concentrator/tetherd/tetherd
TETHERCTL=$BUILD_DIR/concentrator/tetherctl/tetherctl
INIT=$BUILD_DIR/tests/netns/tt_initiator

if [ "$(id -u)" -ne 0 ]; then
	if [ "${CI:-}" = "true" ]; then require_root; fi
	echo "skipped: needs root for network namespaces"
	exit 77
fi
for b in "$TETHERD" "$TETHERCTL" "$INIT"; do
	if [ ! -x "$b" ]; then
		echo "missing $b (build first)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
command -v jq >/dev/null || { echo "needs jq"; echo "0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d /tmp/ttd.XXXXXX)
cleanup() {
	cleanup_netns
	rm -rf "$tmp"
}
trap cleanup EXIT
log=$tmp/tetherd.log
pretty() { echo -e "\x1b[32m\x1b[1m[+] $*\x1b[0m" >&2; }

ctl() { "$TETHERCTL" -s "$tmp/ctl.sock" "$@"; }
init() { n dev "$INIT" -s 198.18.0.1:51900 -k "$GWPUB" -w 1000 "$@"; }
show() { ctl device show "$1" --json; }
field() { show "$1" | jq -r "$2"; }
link_json() { n gw ip -j -d link show "$1" 2>/dev/null; }
is_up() { link_json "$1" | jq -e '.[0].flags | index("UP") != null' >/dev/null; }
is_down() { link_json "$1" | jq -e '.[0].flags | index("UP") == null' >/dev/null; }
absent() { ! n gw ip link show "$1" >/dev/null 2>&1; }
ifindex() { link_json "$1" | jq -r '.[0].ifindex'; }
in_spoof4() { n gw nft -j list set inet tether spoof4 | jq -e --arg i "$1" --arg a "$2" \
	'[.nftables[] | select(.set) | .set.elem // [] | .[] | (.elem.val // .) | .concat? // empty
	  | select(.[0] == $i and .[1] == $a)] | length > 0' >/dev/null; }
# equal WANT DESCRIPTION COMMAND...: the command's output must be WANT
equal() {
	local want=$1 what=$2 got
	shift 2
	got=$("$@" 2>&1 || true)
	if [ "$got" = "$want" ]; then pass "$what"; else fail "$what: wanted '$want', got '$got'"; fi
}
# within MS DESCRIPTION COMMAND...: the command succeeds within MS milliseconds
within() {
	local ms=$1 what=$2 i start end
	shift 2
	start=$(date +%s%N)
	for i in $(seq $((ms / 50 + 1))); do
		if "$@" >/dev/null 2>&1; then
			end=$(date +%s%N)
			pass "$what ($(((end - start) / 1000000)) ms)"
			return 0
		fi
		sleep 0.05
	done
	fail "$what: not within $ms ms"
}
start_tetherd() {
	bg gw "$TETHERD" -f "$tmp/tetherd.conf" -d -v 2>>"$log"
	TETHERD_PID=$LAST_PID
	wait_for 10 ctl status
}
stop_tetherd() {
	kill -TERM "$TETHERD_PID"
	local rc=0
	wait "$TETHERD_PID" || rc=$?
	return $rc
}

pretty "topology and configuration"
ns_add gw
ns_add dev
link gw gw0 198.18.0.1/24 dev dev0 198.18.0.2/24

for k in gw k1 k2 k3 k4 k5; do
	(umask 077 && "$TETHERCTL" genkey >"$tmp/$k.key")
	declare "PUB_$k=$("$TETHERCTL" pubkey <"$tmp/$k.key")"
done
GWPUB=$PUB_gw
cat >"$tmp/tetherd.conf" <<EOF
[tetherd]
listen = [::]:51900
private_key = $tmp/gw.key
domain = remote.test
pool = 100.64.0.0/24
gateway = 100.64.0.1
keepalive = 2
state_dir = $tmp/state
control = $tmp/ctl.sock
control_ro = $tmp/ctl-ro.sock
policy = $tmp/policy.conf
proxy_user = nobody
EOF
: >"$tmp/policy.conf"

pretty "flags and -n"
check "--help exits 0" sh -c "'$TETHERD' --help >/dev/null"
rc=0; "$TETHERD" -x >/dev/null 2>&1 || rc=$?
equal 2 "a bad flag exits 2" echo $rc
check "-n accepts the configuration" sh -c "'$TETHERD' -f '$tmp/tetherd.conf' -n >/dev/null"
chmod 644 "$tmp/gw.key"
rc=0; out=$("$TETHERD" -f "$tmp/tetherd.conf" -n 2>&1) || rc=$?
check "-n refuses a key readable by others, naming it" \
	test "$rc" = 1 -a -n "$(echo "$out" | grep -F "$tmp/gw.key")"
chmod 600 "$tmp/gw.key"
echo "allow 198.18.9.0/24 to * tcp 70000" >"$tmp/bad-policy.conf"
sed "s|$tmp/policy.conf|$tmp/bad-policy.conf|" "$tmp/tetherd.conf" >"$tmp/bad.conf"
rc=0; out=$("$TETHERD" -f "$tmp/bad.conf" -n 2>&1) || rc=$?
check "-n refuses a bad policy line, naming file and line" \
	test "$rc" = 1 -a -n "$(echo "$out" | grep -F "bad-policy.conf:1")"

pretty "start"
start_tetherd
equal "$GWPUB" "status shows the public key" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' status --json | jq -r .public_key"
equal "[::]:51900" "status shows the dual-stack listen address" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' status --json | jq -r .listen"
check "the read-only socket is 0660" test "$(stat -c %a "$tmp/ctl-ro.sock")" = 660

bg gw "$TETHERCTL" -s "$tmp/ctl-ro.sock" watch --json >"$tmp/watch1.log"
wait_for 5 grep -q '"devices"' "$tmp/watch1.log" || true
check "watch on the read-only socket starts with a snapshot" grep -q '"ok":true' "$tmp/watch1.log"
check_not "the read-only socket refuses changes" "$TETHERCTL" -s "$tmp/ctl-ro.sock" device add x --token

pretty "enrollment: by key and by token"
equal "active 100.64.0.2" "device add by key" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device add an12345678 --key $PUB_k1 --json | jq -r '.device.state + \" \" + .device.address'"
T1=$(ctl device add tok1 --token --json | jq -r .token)
T2=$(ctl device add tok2 --token --json | jq -r .token)
TE=$(ctl device add exp1 --token --ttl 60 --json | jq -r .token)
TE_MADE=$(date +%s)
check "tokens are printed once" test -n "$T1" -a -n "$T2" -a -n "$TE" -a "$T1" != null
equal "pending" "a token device is pending" field tok1 .state
check "no interface before the device is first online" absent tt-an12345678

pretty "silent drops: no answer at all"
for kind in garbage short badmac1 badtype bigdata; do
	equal NONE "$kind: no answer" init -p "$tmp/k1.key" -n an12345678 -w 700 raw "$kind"
done
check "drops counted by reason" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' status --json | jq -e '.drops.bad_mac1 >= 2 and .drops.bad_length >= 1 and .drops.bad_type >= 1 and .drops.unknown_index >= 1' >/dev/null"

pretty "handshakes: OK and REJECTED"
equal "REJECTED" "unknown key without a token" init -p "$tmp/k5.key" -n newdevice hello
equal "OK 100.64.0.2 100.64.0.1 1420 2 https://an12345678.remote.test/" \
	"enrolled key: OK with ADDR4, PEER4, MTU, KEEPALIVE, URL" init -p "$tmp/k1.key" -n an12345678 hello
equal "REJECTED" "rename refused" init -p "$tmp/k1.key" -n another hello
equal "REJECTED" "a second key for a name" init -p "$tmp/k2.key" -n an12345678 hello
equal "REJECTED" "a second key for a name, even with a token" init -p "$tmp/k2.key" -n an12345678 -t "$T1" hello
equal "REJECTED" "an invalid name" init -p "$tmp/k1.key" -n Bad_Name hello
equal "$(printf 'OK 100.64.0.2 100.64.0.1 1420 2 https://an12345678.remote.test/\nNONE')" \
	"a replayed message 1 gets no answer" init -p "$tmp/k1.key" -n an12345678 replay
equal "REJECTED" "a token for another name" init -p "$tmp/k3.key" -n tok2 -t "$T1" hello
equal "REJECTED" "a wrong token" init -p "$tmp/k3.key" -n tok1 -t "wrong-token-0123456789" hello
equal "OK 100.64.0.3 100.64.0.1 1420 2 https://tok1.remote.test/" "enrollment by token" \
	init -p "$tmp/k3.key" -n tok1 -t "$T1" confirm
equal "active $PUB_k3" "the token pinned the key" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device show tok1 --json | jq -r '.state + \" \" + .public_key'"
equal "REJECTED" "a used token" init -p "$tmp/k4.key" -n tok1 -t "$T1" hello
equal "OK 100.64.0.3 100.64.0.1 1420 2 https://tok1.remote.test/" "the enrolled key goes on without its token" \
	init -p "$tmp/k3.key" -n tok1 hello

pretty "data through the tunnel"
equal "$(printf 'PONG 1\nPONG 2\nPONG 3')" "ICMP echo to the gateway's tunnel address and back" \
	init -p "$tmp/k1.key" -n an12345678 ping - 3
equal "true" "online after the confirming keepalive" field an12345678 .online
equal "KEEPALIVE" "tetherd answers an agent's keepalive with its own" \
	init -p "$tmp/k1.key" -n an12345678 -w 2500 keepalive
check "rx and tx counted" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device show an12345678 --json | jq -e '.rx_packets == 3 and .tx_packets == 3 and .rx_bytes == 132' >/dev/null"
equal "198.18.0.2" "endpoint is where the device was heard from" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device show an12345678 --json | jq -r '.endpoint | split(\":\")[0]'"
equal "$(printf 'PONG\nPONG')" "roaming: the answer follows a new source port" \
	init -p "$tmp/k1.key" -n an12345678 roam
equal "NONE" "a spoofed inner source is dropped" init -p "$tmp/k1.key" -n an12345678 ping 100.64.0.99 1
equal "1" "and counted before the kernel" field an12345678 .drops.inner_source
equal "0" "the kernel never saw it (anti-spoofing rule counter)" sh -c \
	"ip netns exec $(ns gw) nft -j list chain inet tether prerouting | jq '[.nftables[] | select(.rule) | .rule | select(.comment | test(\"anything else\")) | .expr[] | select(.counter) | .counter.packets] | add'"

pretty "kernel objects (INTERFACE.md)"
equal "tt-an12345678 an12345678 51900 1420 tun true" "tt-<name>: alias, group, MTU, persistent TUN" sh -c \
	"ip netns exec $(ns gw) ip -j -d link show tt-an12345678 | jq -r '.[0] | [.ifname, .ifalias, .group, (.mtu|tostring), .linkinfo.info_kind, (.linkinfo.info_data.persist|tostring)] | join(\" \")'"
equal "100.64.0.1 100.64.0.2 32" "address <gateway> peer <device>/32" sh -c \
	"ip netns exec $(ns gw) ip -j addr show tt-an12345678 | jq -r '.[0].addr_info[] | select(.family == \"inet\") | [.local, .address, (.prefixlen|tostring)] | join(\" \")'"
equal "0" "no IPv6 on the interface" sh -c \
	"ip netns exec $(ns gw) ip -j addr show tt-an12345678 | jq '[.[0].addr_info[] | select(.family == \"inet6\")] | length'"
check "up while online" is_up tt-an12345678
check "nftables: spoof4 holds tt-an12345678 . 100.64.0.2" in_spoof4 tt-an12345678 100.64.0.2
check "nftables: spoof4 holds tt-tok1 . 100.64.0.3" in_spoof4 tt-tok1 100.64.0.3
check "nft list table inet tether names the device" sh -c "ip netns exec $(ns gw) nft list table inet tether | grep -q 'comment \"an12345678\"'"

pretty "offline after silence, and a connect fails at once"
within 9000 "offline within 3 keepalives (2 s each)" is_down tt-an12345678
equal "false" "device list says offline" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device list --json | jq -r '.[] | select(.name == \"an12345678\") | .online'"
start=$(date +%s%N)
rc=0; n gw timeout 3 bash -c 'exec 3<>/dev/tcp/100.64.0.2/80' 2>/dev/null || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
check "a connect to the offline device fails at once ($took ms)" test "$rc" -ne 0 -a "$took" -lt 1000

pretty "disable and enable"
bg dev "$INIT" -s 198.18.0.1:51900 -k "$GWPUB" -p "$tmp/k1.key" -n an12345678 hold 30 >/dev/null
HOLD=$LAST_PID
within 3000 "a holding device comes online" is_up tt-an12345678
ctl device disable an12345678 >/dev/null
within 1000 "disable: link down within a second" is_down tt-an12345678
equal "false disabled" "disable: offline and disabled" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device show an12345678 --json | jq -r '(.online|tostring) + \" \" + .state'"
sleep 1
check "disable: keepalives on the old session change nothing" is_down tt-an12345678
equal "REJECTED" "disable: new handshakes refused" init -p "$tmp/k1.key" -n an12345678 hello
stop_pid "$HOLD"
ctl device enable an12345678 >/dev/null
equal "OK 100.64.0.2 100.64.0.1 1420 2 https://an12345678.remote.test/" "enable: allowed again" \
	init -p "$tmp/k1.key" -n an12345678 confirm

pretty "under load: cookies (PROTOCOL.md 3.4)"
equal "$(printf 'COOKIE\nOK 100.64.0.2 100.64.0.1 1420 2 https://an12345678.remote.test/')" \
	"a flood of message 1s: a cookie reply, then OK with mac2" \
	init -p "$tmp/k1.key" -n an12345678 -w 3000 flood 1000
check "cookies counted" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' status --json | jq -e '.cookies_sent >= 1' >/dev/null"
# the load lasts a second past the flood; polled, not slept
wait_for 5 sh -c "ip netns exec $(ns dev) '$INIT' -s 198.18.0.1:51900 -k '$GWPUB' -p '$tmp/k1.key' -n an12345678 hello | grep -q ^OK" || true
check "the watch saw the device come online and go offline" sh -c \
	"grep -q '\"event\":\"online\".*an12345678' '$tmp/watch1.log' && grep -q '\"event\":\"offline\".*an12345678' '$tmp/watch1.log' && grep -q '\"event\":\"added\".*tok1' '$tmp/watch1.log'"

pretty "SIGHUP: a bad policy keeps the old one, a good one applies"
echo "allow 198.18.9.0/24 to * tcp 99999" >"$tmp/policy.conf"
kill -HUP "$TETHERD_PID"
wait_for 5 grep -q "reload:.*policy.conf:1" "$log" || true
check "a bad policy is logged with file and line" grep -q "policy.conf:1" "$log"
check "tetherd still runs" kill -0 "$TETHERD_PID"
echo "allow 198.18.9.0/24 to an1234* tcp 22" >"$tmp/policy.conf"
kill -HUP "$TETHERD_PID"
wait_for 5 sh -c "ip netns exec $(ns gw) nft list table inet tether | grep -q 'policy line 1'" || true
check "the new rule is in force" sh -c "ip netns exec $(ns gw) nft list table inet tether | grep -q 'policy line 1'"
check "the reload kept the device elements" in_spoof4 tt-an12345678 100.64.0.2
equal "PONG 1" "tunnels work after the reload" init -p "$tmp/k1.key" -n an12345678 ping - 1

pretty "restart: interfaces reattached, not recreated"
IDX_A=$(ifindex tt-an12345678)
IDX_T=$(ifindex tt-tok1)
rc=0; stop_tetherd || rc=$?
equal 0 "SIGTERM: clean exit" echo $rc
check "interfaces stay after stop" test -n "$(link_json tt-an12345678)" -a -n "$(link_json tt-tok1)"
check "and are down" is_down tt-an12345678
# leftovers: a TUN of a device the registry no longer has, and a foreign link
n gw ip tuntap add tt-gone mode tun
n gw ip link set tt-gone group 51900 alias gone
n gw ip link add tt-foreign type veth peer name ttd-foreign
start_tetherd
equal "$IDX_A $IDX_T" "same ifindex after the restart" sh -c "echo \$(ip netns exec $(ns gw) ip -j link show tt-an12345678 | jq -r '.[0].ifindex') \$(ip netns exec $(ns gw) ip -j link show tt-tok1 | jq -r '.[0].ifindex')"
check "a removed device's leftover interface is deleted" absent tt-gone
check "a foreign tt-* link is left alone" test -n "$(link_json tt-foreign)"
check "reattached interfaces wait down" is_down tt-an12345678
equal "PONG 1" "the device is back" init -p "$tmp/k1.key" -n an12345678 ping - 1
equal "$IDX_A" "and its interface is the same one" ifindex tt-an12345678
check "nftables elements survived the restart" in_spoof4 tt-tok1 100.64.0.3
n gw ip link del tt-foreign

pretty "remove"
bg gw "$TETHERCTL" -s "$tmp/ctl-ro.sock" watch --json >"$tmp/watch2.log"
wait_for 5 grep -q '"devices"' "$tmp/watch2.log" || true
ctl device remove tok1 >/dev/null
within 1000 "remove: interface gone within a second" absent tt-tok1
check_not "remove: set elements gone" in_spoof4 tt-tok1 100.64.0.3
equal "REJECTED" "remove: the key is refused" init -p "$tmp/k3.key" -n tok1 hello
wait_for 2 grep -q '"event":"removed"' "$tmp/watch2.log" || true
check "remove: watchers told" grep -q '"event":"removed".*tok1' "$tmp/watch2.log"
check_not "remove: not listed" sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device list --json | jq -e '.[] | select(.name == \"tok1\")' >/dev/null"

pretty "expired token"
while [ $(($(date +%s) - TE_MADE)) -le 61 ]; do sleep 1; done
equal "REJECTED" "an expired token" init -p "$tmp/k5.key" -n exp1 -t "$TE" hello
equal "pending" "the device stays pending" field exp1 .state

rc=0; stop_tetherd || rc=$?
equal 0 "stopped cleanly" echo $rc
check "the log names refusals with their reason" grep -q "REJECTED (rename)" "$log"
check "no token in the log" sh -c "! grep -qF -e '$T1' -e '$T2' -e '$TE' '$log'"
trap - EXIT
finish
rm -rf "$tmp"
