#!/usr/bin/env bash
# tether-agent on its own, against tether-agent-testgw (a one-device
# concentrator made of proto/, agent/testgw.c) instead of tetherd: key
# commands and exit codes, enroll (silent gateway, refused token, good
# token), -n, the daemon's tunnel (addresses, IPv6 off, the web server
# reached, a non-exposed port filtered, ping), TIMESTAMPs increasing across
# restarts, cookies, refusal and backoff, roaming to a new device address,
# server = none (no socket, no TUN) and SIGHUP switching between the two.
#
#   gateway (P-gw)                                device (P-dev)
#   gw0 198.18.0.1/24 ---------- veth ---------- dev0 198.18.0.2/24 (later .3)
#   testgw on UDP 51900                           tether-agent, meterd on 80 and 8080
#   tgw0 100.64.0.1 peer 100.64.0.2               tether0 100.64.0.2 peer 100.64.0.1
#
# P is "tag" and this script's PID. Underlay 198.18.0.0/15, tunnel
# 100.64.0.0/10, no route out of the namespaces. Every wait is bounded.
set -e

export NS_PREFIX=tag$$
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${BUILD_DIR:-$(dirname "$0")/../../build-ag}
AGENT=$BUILD_DIR/agent/tether-agent
TESTGW=$BUILD_DIR/agent/tether-agent-testgw
METERD=$BUILD_DIR/tests/tools/meterd
URL=https://an12345678.remote.example.com
TOKEN=tok-0123456789abcdef

require_root
for b in "$AGENT" "$TESTGW" "$METERD"; do
	if [ ! -x "$b" ]; then
		echo "missing $b (build first)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/tagent.XXXXXX)
cleanup() {
	cleanup_netns
	rm -rf "$tmp"
}
trap cleanup EXIT
log=$tmp/agent.log
gwlog=$tmp/gw.log

# ping_ ROLE ADDR: one ICMP echo answered within 2 s (iputils may be absent)
cat >"$tmp/ping.py" <<'EOF'
import os, socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
dst, ident = sys.argv[1], os.getpid() & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.2)
body = struct.pack('!HH', ident, 1) + b'tether'
s.sendto(struct.pack('!BBH', 8, 0, csum(struct.pack('!BBH', 8, 0, 0) + body)) + body, (dst, 0))
end = time.time() + 2
while time.time() < end:
    try:
        data, addr = s.recvfrom(2048)
    except socket.timeout:
        continue
    ihl = (data[0] & 15) * 4
    t, _, _, i = struct.unpack('!BBHH', data[ihl:ihl + 6])
    if t == 0 and i == ident and addr[0] == dst:
        sys.exit(0)
sys.exit(1)
EOF
ping_() { n "$1" python3 "$tmp/ping.py" "$2"; }

ns_add gw
ns_add dev
link gw gw0 198.18.0.1/24 dev dev0 198.18.0.2/24

(umask 077 && "$AGENT" genkey >"$tmp/gw.key")
GWPUB=$("$AGENT" pubkey <"$tmp/gw.key")

# conf FILE SERVER [KEY]: an agent.conf with everything in $tmp
conf() {
	cat >"$1" <<EOF
[agent]
server = $2
server_key = ${3:-$GWPUB}
name = an12345678
private_key = $tmp/dev.key
interface = tether0
expose = 80
state_dir = $tmp/state
EOF
}

# testgw ARGS...: (re)start the gateway, wait until it listens
gw_pid=
testgw() {
	[ -n "$gw_pid" ] && stop_pid "$gw_pid"
	: >"$gwlog"
	gw_seen=0
	bg gw "$TESTGW" -l 198.18.0.1:51900 -k "$tmp/gw.key" -a 100.64.0.2 -g 100.64.0.1 \
		-i tgw0 -u "$URL" "$@" >>"$gwlog" 2>&1
	gw_pid=$LAST_PID
	wait_for 5 grep -q listening "$gwlog"
}

agent_pid=
agent_start() {
	[ -n "$agent_pid" ] && stop_pid "$agent_pid"
	bg dev "$AGENT" -f "$1" -d -v >>"$log" 2>&1
	agent_pid=$LAST_PID
}
agent_stop() {
	[ -n "$agent_pid" ] && stop_pid "$agent_pid"
	agent_pid=
}

st() { "$AGENT" status -f "$tmp/agent.conf" --json | jq -r ".$1"; }
state_is() { [ "$(st state)" = "$1" ]; }
stamp() { cat "$tmp/state/timestamp"; }
# every TIMESTAMP the gateway saw, in order, and never a stale one
stamps_increase() {
	local prev="" ts
	! grep -q stale "$gwlog" || return 1
	for ts in $(cat "$@"); do
		[[ "$ts" > "$prev" ]] || return 1
		prev=$ts
	done
}
# seen_stamps: add the stamps the gateway logged since the last call
gw_seen=0
seen_stamps() {
	grep -o 'ts=@[0-9a-f]*' "$gwlog" | cut -c4- | tail -n +$((gw_seen + 1)) >>"$tmp/stamps"
	gw_seen=$(grep -c 'ts=@' "$gwlog" || true)
}

echo "== key commands and exit codes"
check "genkey gives a key pubkey reads" bash -c "'$AGENT' genkey | '$AGENT' pubkey | grep -qE '^[A-Za-z0-9+/]{43}=$'"
check_not "pubkey refuses garbage" bash -c "echo garbage | '$AGENT' pubkey 2>/dev/null"
set +e
"$AGENT" --bogus 2>/dev/null
rc_usage=$?
"$AGENT" enroll --server 198.18.0.1:51900 2>/dev/null
rc_enroll_usage=$?
"$AGENT" -f "$tmp/none.conf" -n 2>/dev/null
rc_missing=$?
set -e
check "an unknown option exits 2" [ "$rc_usage" -eq 2 ]
check "enroll without its options exits 2" [ "$rc_enroll_usage" -eq 2 ]
check "-n on a missing config exits 1" [ "$rc_missing" -eq 1 ]
check "--help exits 0" "$AGENT" enroll --help >/dev/null

echo "== enroll against a silent gateway"
# a config from the factory: remote access off, paths in $tmp; enroll keeps them
conf "$tmp/agent.conf" none
sed -i '/server_key\|^name/d' "$tmp/agent.conf"
cp "$tmp/agent.conf" "$tmp/factory.conf"
testgw -M silent -t "$TOKEN"
set +e
out=$(n dev "$AGENT" enroll -f "$tmp/agent.conf" --server 198.18.0.1:51900 --server-key "$GWPUB" \
	--name an12345678 --token "$TOKEN" 2>"$tmp/enroll.err")
rc=$?
set -e
check "enroll against silence exits 1" [ "$rc" -eq 1 ]
check "and says there was no answer" grep -q "no answer from 198.18.0.1:51900" "$tmp/enroll.err"
check "and leaves the config as it was" cmp -s "$tmp/agent.conf" "$tmp/factory.conf"
check "it made the device key, mode 0600" [ "$(stat -c %a "$tmp/dev.key")" = 600 ]
check "each attempt was a fresh message 1 with the token" \
	[ "$(grep -c 'init .* token=yes' "$gwlog")" -ge 3 ]
seen_stamps

echo "== enroll with a wrong token"
testgw -t "$TOKEN"
set +e
n dev "$AGENT" enroll -f "$tmp/agent.conf" --server 198.18.0.1:51900 --server-key "$GWPUB" \
	--name an12345678 --token tok-wrong-wrong-wrong >/dev/null 2>"$tmp/enroll.err"
rc=$?
set -e
check "a refused enrollment exits 1" [ "$rc" -eq 1 ]
check "and says the gateway refused" grep -q "refused to enroll" "$tmp/enroll.err"
check "and leaves the config as it was" cmp -s "$tmp/agent.conf" "$tmp/factory.conf"
seen_stamps

echo "== enroll with the token"
testgw -t "$TOKEN"
out=$(n dev "$AGENT" enroll -f "$tmp/agent.conf" --server 198.18.0.1:51900 --server-key "$GWPUB" \
	--name an12345678 --token "$TOKEN" 2>"$tmp/enroll.err") || true
check "enroll prints the device's URL" [ "$out" = "$URL" ]
check "and writes the config" grep -q "^server = 198.18.0.1:51900" "$tmp/agent.conf"
check "keeping the factory's settings" grep -q "^state_dir = $tmp/state" "$tmp/agent.conf"
check "-n accepts it" "$AGENT" -f "$tmp/agent.conf" -n
seen_stamps
check "enroll's stamps increase and none is stale" stamps_increase "$tmp/stamps"

echo "== -n on bad configs and keys"
conf "$tmp/bad.conf" 198.18.0.1:51900 "not-a-key"
check_not "-n refuses a bad server_key" "$AGENT" -f "$tmp/bad.conf" -n
chmod 644 "$tmp/dev.key"
check_not "-n refuses a key others can read" "$AGENT" -f "$tmp/agent.conf" -n
chmod 600 "$tmp/dev.key"
sed 's/^expose = .*/expose = 99999/' "$tmp/agent.conf" >"$tmp/bad.conf"
check_not "-n refuses a bad expose" "$AGENT" -f "$tmp/bad.conf" -n

echo "== the daemon"
bg dev "$METERD" -p 80 -n an12345678 >/dev/null 2>&1
bg dev "$METERD" -p 8080 -n an12345678 >/dev/null 2>&1
before=$(stamp)
agent_start "$tmp/agent.conf"
check "it connects" wait_for 10 state_is connected
check "the key is confirmed at once" wait_for 3 grep -q confirmed "$gwlog"
check "status shows the tunnel address" [ "$(st address)" = 100.64.0.2 ]
check "and the URL" [ "$(st url)" = "$URL" ]
check "tether0 is 100.64.0.2 peer 100.64.0.1" \
	[ "$(n dev ip -j addr show dev tether0 | jq -r '.[0].addr_info[0] | "\(.local) \(.address)/\(.prefixlen)"')" = "100.64.0.2 100.64.0.1/32" ]
check "tether0 is up with the MTU of message 2" \
	[ "$(n dev ip -j link show dev tether0 | jq -r '.[0] | "\(.flags | index("UP") != null) \(.mtu)"')" = "true 1420" ]
check "IPv6 is off on tether0" [ "$(n dev cat /proc/sys/net/ipv6/conf/tether0/disable_ipv6)" = 1 ]
check "the gateway reaches the web server" bash -c \
	"ip netns exec $(ns gw) curl -sf -m 5 http://100.64.0.2/ | grep -q 'meter an12345678'"
check_not "a port not in expose is not reachable" \
	n gw curl -sf -m 2 -o /dev/null http://100.64.0.2:8080/
check "the exposure filter counted it" wait_for 3 bash -c "[ \$('$AGENT' status -f '$tmp/agent.conf' --json | jq .filtered) -gt 0 ]"
check "the device pings the gateway" ping_ dev 100.64.0.1
check "the gateway pings the device" ping_ gw 100.64.0.2
check "answers to other hosts leave by the tunnel" \
	bash -c "ip netns exec $(ns dev) ip route get 198.18.9.7 from 100.64.0.2 | grep -q 'dev tether0'"
check "status counts traffic" wait_for 3 bash -c "[ \$('$AGENT' status -f '$tmp/agent.conf' --json | jq .rx_packets) -gt 0 ]"
check "the human status reads connected" bash -c "'$AGENT' status -f '$tmp/agent.conf' | grep -q 'tether-agent: connected'"
check "the stamp on disk moved on" [ "$(stamp)" \> "$before" ]

echo "== restarts keep TIMESTAMPs increasing"
for i in 1 2 3; do
	before=$(stamp)
	agent_stop
	check "restart $i: tether0 went with the agent" bash -c "! ip netns exec $(ns dev) ip link show tether0 2>/dev/null"
	check "restart $i: its source rule and routes too" bash -c \
		"! ip netns exec $(ns dev) ip rule | grep -q 5190 && ! ip netns exec $(ns dev) ip route show table all | grep -q 'table 519'"
	agent_start "$tmp/agent.conf"
	check "restart $i: connected again" wait_for 10 state_is connected
	check "restart $i: a later stamp" [ "$(stamp)" \> "$before" ]
done
seen_stamps
check "every stamp the gateway saw was later than the one before" stamps_increase "$tmp/stamps"

echo "== roaming: the device's address changes"
n dev ip addr del 198.18.0.2/24 dev dev0
n dev ip addr add 198.18.0.3/24 dev dev0
# the next packet from the device shows the gateway its new source
check "the device still pings the gateway" wait_for 5 ping_ dev 100.64.0.1
check "the gateway sees the new source" wait_for 5 grep -q "roamed from=198.18.0.3" "$gwlog"
check "and still reaches the web server" n gw curl -sf -m 5 -o /dev/null http://100.64.0.2/

echo "== IPv6 inside the tunnel when message 2 gives ADDR6"
testgw -A fd00:64::2 -G fd00:64::1
agent_start "$tmp/agent.conf"
check "connected" wait_for 10 state_is connected
check "tether0 has fd00:64::2 peer fd00:64::1/128" \
	[ "$(n dev ip -j -6 addr show dev tether0 scope global | jq -r '.[0].addr_info[0] | "\(.local) \(.address)/\(.prefixlen)"')" = "fd00:64::2 fd00:64::1/128" ]
check "IPv6 is on on tether0" [ "$(n dev cat /proc/sys/net/ipv6/conf/tether0/disable_ipv6)" = 0 ]
check "status shows it" [ "$(st address6)" = fd00:64::2 ]

echo "== a server given by name, looked up on every attempt"
# a second gateway in the device's own namespace, reached as "localhost"
bg dev "$TESTGW" -l 127.0.0.1:51901 -k "$tmp/gw.key" -a 100.64.1.2 -g 100.64.1.1 >"$tmp/gw2.log" 2>&1
wait_for 5 grep -q listening "$tmp/gw2.log"
conf "$tmp/name.conf" localhost:51901
sed -i "s|^interface = .*|interface = tether1|; s|^state_dir = .*|state_dir = $tmp/state2|" "$tmp/name.conf"
bg dev "$AGENT" -f "$tmp/name.conf" -d -v >>"$tmp/name.log" 2>&1
name_pid=$LAST_PID
check "it resolves the name and connects" wait_for 15 bash -c \
	"'$AGENT' status -f '$tmp/name.conf' --json | jq -e '.state == \"connected\" and .endpoint == \"127.0.0.1:51901\"' >/dev/null"
stop_pid "$name_pid"

echo "== a gateway under load (cookies)"
testgw -M cookie
agent_start "$tmp/agent.conf"
check "a cookie reply, then OK" wait_for 15 grep -q "^ok" "$gwlog"
check "and connected" wait_for 5 state_is connected

echo "== a refusing gateway"
testgw -M reject
agent_start "$tmp/agent.conf"
check "backs off after REJECTED" wait_for 10 state_is "backing off"
check "and says why" bash -c "'$AGENT' status -f '$tmp/agent.conf' --json | jq -r .last_error | grep -q REJECTED"
check "its link stays down" bash -c "! ip netns exec $(ns dev) ip link show tether0 up | grep -q UP"

echo "== server = none"
testgw
conf "$tmp/agent.conf" none
agent_start "$tmp/agent.conf"
check "status says disabled" wait_for 5 state_is disabled
check "no UDP socket" bash -c "! ip netns exec $(ns dev) ss -uanp | grep -q 'pid=$agent_pid,'"
check "no TUN" bash -c "! ip netns exec $(ns dev) ip link show tether0 2>/dev/null"
conf "$tmp/agent.conf" 198.18.0.1:51900
kill -HUP "$agent_pid"
check "SIGHUP with a server connects" wait_for 10 state_is connected
check "through tether0" bash -c "ip netns exec $(ns dev) ip link show tether0 >/dev/null"
conf "$tmp/agent.conf" none
kill -HUP "$agent_pid"
check "SIGHUP with none disconnects" wait_for 5 state_is disabled
check "and takes tether0 away" bash -c "! ip netns exec $(ns dev) ip link show tether0 2>/dev/null"
check "and closes the socket" bash -c "! ip netns exec $(ns dev) ss -uanp | grep -q 'pid=$agent_pid,'"
agent_stop
check "status after stopping says stopped" state_is stopped

finish
