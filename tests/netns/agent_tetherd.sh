#!/usr/bin/env bash
# tether-agent with tetherd, end to end, behind a NAT router: enrollment by
# token and the URL it prints, the gateway's proxy user reaching the
# device's web server at its tunnel address, a port outside `expose`
# filtered by the agent, the device pinging the gateway's tunnel address,
# the tunnel coming back after the NAT mapping changes (the router's
# outside address is replaced, which flushes its masquerade mappings), a
# tetherd restart, and a disabled device backing off.
#
#   gateway (P-gw)                 router (P-nat)                  device (P-dev)
#   gw0 198.18.1.1/24 ------------ wan0 198.18.1.2/24 (then .3)
#                                  lan0 198.19.0.1/24 ------------ dev0 198.19.0.2/24
#                                  masquerade out of wan0          default via 198.19.0.1
#   tetherd on UDP 51900                                           tether-agent
#   tt-an12345678                                                  tether0 100.64.0.2 peer 100.64.0.1
#     100.64.0.1 peer 100.64.0.2                                   meterd on 80 and 8080
#
# P is "tat" and this script's PID. Underlay 198.18.0.0/15, tunnel
# 100.64.0.0/10; the router has no default route, so nothing leaves the
# namespaces. Every wait is bounded.
set -e

export NS_PREFIX=tat$$
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${BUILD_DIR:-$(dirname "$0")/../../build-ag}
AGENT=$BUILD_DIR/agent/tether-agent
TETHERD=$BUILD_DIR/concentrator/tetherd/tetherd
TETHERCTL=$BUILD_DIR/concentrator/tetherctl/tetherctl
METERD=$BUILD_DIR/tests/tools/meterd
NAME=an12345678

require_root
for b in "$AGENT" "$TETHERD" "$TETHERCTL" "$METERD"; do
	if [ ! -x "$b" ]; then
		echo "missing $b (build first)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/tagentd.XXXXXX)
chmod 755 "$tmp" # nobody (the proxy user here) runs curl from it
cleanup() {
	cleanup_netns
	rm -rf "$tmp"
}
trap cleanup EXIT

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

ctl() { "$TETHERCTL" -s "$tmp/ctl.sock" "$@"; }
dev_field() { ctl device show "$NAME" --json | jq -r "$1"; }
online() { [ "$(dev_field .online)" = true ]; }
endpoint_is() { dev_field .endpoint | grep -q "^$1:"; }
st() { "$AGENT" status -f "$tmp/agent.conf" --json | jq -r ".$1"; }
state_is() { [ "$(st state)" = "$1" ]; }
# the gateway's proxy user (nobody here) fetching from the device
fetch_ok() { n gw setpriv --reuid nobody --regid nogroup --clear-groups curl -sf -o /dev/null -m "${2:-5}" "$1"; }

ns_add gw
ns_add nat
ns_add dev
link gw gw0 198.18.1.1/24 nat wan0 198.18.1.2/24
link nat lan0 198.19.0.1/24 dev dev0 198.19.0.2/24
n dev ip route add default via 198.19.0.1
n nat sysctl -qw net.ipv4.ip_forward=1
n nat nft -f - <<'EOF'
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade
	}
}
EOF

(umask 077 && "$TETHERCTL" genkey >"$tmp/gw.key")
GWPUB=$("$TETHERCTL" pubkey <"$tmp/gw.key")
cat >"$tmp/tetherd.conf" <<EOF
[tetherd]
listen = 0.0.0.0:51900
private_key = $tmp/gw.key
domain = remote.test
pool = 100.64.0.0/24
gateway = 100.64.0.1
keepalive = 3
state_dir = $tmp/gwstate
control = $tmp/ctl.sock
control_ro = $tmp/ctl-ro.sock
policy = $tmp/policy.conf
proxy_user = nobody

[proxy]
# the proxy user may reach 80 and 8080: 8080 is then refused by the agent alone
device_https_port = 8080
EOF
: >"$tmp/policy.conf"

tetherd_pid=
start_tetherd() {
	bg gw "$TETHERD" -f "$tmp/tetherd.conf" -d 2>>"$tmp/tetherd.log"
	tetherd_pid=$LAST_PID
	wait_for 10 ctl status
}
start_tetherd

echo "== enrollment by token"
TOKEN=$(ctl device add "$NAME" --token --json | jq -r .token)
check "tetherctl gave a token" [ -n "$TOKEN" -a "$TOKEN" != null ]
# a factory config: remote access off, everything in $tmp
cat >"$tmp/agent.conf" <<EOF
[agent]
server = none
private_key = $tmp/dev.key
interface = tether0
expose = 80
state_dir = $tmp/state
EOF
url=$(n dev "$AGENT" enroll -f "$tmp/agent.conf" --server 198.18.1.1:51900 --server-key "$GWPUB" \
	--name "$NAME" --token "$TOKEN" 2>"$tmp/enroll.err") || true
check "enroll prints the device's URL" [ "$url" = "https://$NAME.remote.test/" ]
check "the one tetherd knows" [ "$url" = "$(dev_field .url)" ]
check "the device key is pinned" [ "$(dev_field .public_key)" = "$("$AGENT" pubkey <"$tmp/dev.key")" ]
check "the key file is 0600" [ "$(stat -c %a "$tmp/dev.key")" = 600 ]
cp "$tmp/agent.conf" "$tmp/enrolled.conf"
sed -i "s|^private_key = .*|private_key = $tmp/other.key|" "$tmp/enrolled.conf"
set +e
n dev "$AGENT" enroll -f "$tmp/enrolled.conf" --server 198.18.1.1:51900 --server-key "$GWPUB" \
	--name "$NAME" --token "$TOKEN" >/dev/null 2>"$tmp/enroll2.err"
rc=$?
set -e
check "a used token with another key: refused, exit 1" [ "$rc" -eq 1 ]
check "saying so" grep -q "refused to enroll" "$tmp/enroll2.err"

echo "== the tunnel behind NAT"
bg dev "$METERD" -p 80 -n "$NAME" >/dev/null 2>&1
bg dev "$METERD" -p 8080 -n "$NAME" >/dev/null 2>&1
bg dev "$AGENT" -f "$tmp/agent.conf" -d 2>>"$tmp/agent.log"
agent_pid=$LAST_PID
check "the agent connects" wait_for 10 state_is connected
check "tetherd has the device online" wait_for 5 online
check "seen from the router's outside address" endpoint_is 198.18.1.2
check "the agent's address is tetherd's" [ "$(st address)" = "$(dev_field .address)" ]
addr=$(st address)
peer=$(st peer)
check "the gateway reaches the web server at $addr" bash -c \
	"ip netns exec $(ns gw) setpriv --reuid nobody --regid nogroup --clear-groups curl -sf -m 5 http://$addr/ | grep -q 'meter $NAME'"
check_not "a port outside expose is not reachable" fetch_ok "http://$addr:8080/" 2
check "the agent's filter dropped it" wait_for 3 bash -c "[ \$('$AGENT' status -f '$tmp/agent.conf' --json | jq .filtered) -gt 0 ]"
check "the device pings the gateway's tunnel address" ping_ dev "$peer"
# memory while connected: RSS counts the shared libraries' pages, Pss
# shares them out, Private_Dirty is the agent's own
echo "   footprint while connected: $(awk '/^(Rss|Pss|Private_Dirty):/ {printf "%s %s kB  ", $1, $2}' "/proc/$agent_pid/smaps_rollup")"

echo "== the NAT mapping changes"
n nat ip addr del 198.18.1.2/24 dev wan0
n nat ip addr add 198.18.1.3/24 dev wan0
check "tetherd sees the device from the new address" wait_for 20 endpoint_is 198.18.1.3
check "the web server is reachable again" fetch_ok "http://$addr/" 5
check "the device still pings the gateway" ping_ dev "$peer"
check "the agent never dropped its tunnel" state_is connected

echo "== tetherd restarts"
stop_pid "$tetherd_pid"
start_tetherd
check "the agent finds out and is back (dead peer)" wait_for 30 online
check "the web server is reachable again" wait_for 5 fetch_ok "http://$addr/" 2

echo "== the device is disabled"
ctl device disable "$NAME" >/dev/null
check "the agent is refused and backs off" wait_for 30 state_is "backing off"
check "saying it was refused" bash -c "'$AGENT' status -f '$tmp/agent.conf' --json | jq -r .last_error | grep -q REJECTED"
check "its link is down" bash -c "! ip netns exec $(ns dev) ip link show tether0 up | grep -q UP"
ctl device enable "$NAME" >/dev/null
stop_pid "$agent_pid"
bg dev "$AGENT" -f "$tmp/agent.conf" -d 2>>"$tmp/agent.log"
agent_pid=$LAST_PID
check "enabled again, a restarted agent connects" wait_for 10 state_is connected

finish
