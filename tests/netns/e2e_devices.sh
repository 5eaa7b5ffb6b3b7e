#!/usr/bin/env bash
# End to end with the real tetherd and real agents behind a NAT router (issue
# 4, "End-to-end tests"), proving what tetherd_basic.sh (a test initiator)
# and agent_tetherd.sh (one agent) do not: two devices enrolled by token and
# by key as `device list --json` says; the proxy user, and only it, reaching
# each device's own web server; devices kept apart from each other and from
# the gateway's ports; a device cut off going offline (a connect fails at
# once) and coming back; a tetherd restart with devices online; kill -9
# during an enrollment storm; disable, enable and remove with agents online;
# the real tether-proxy serving each device at its URL to a client (404 for
# an unknown name, 502 offline, following tetherd across its restart).
#
#   gateway (P-gw)                 router (P-nat)                  devices
#   gw0 198.18.1.1/24 ------------ wan0 198.18.1.2/24
#   tetherd on UDP 51900           masquerade out of wan0
#   tt-<a> 100.64.0.1 peer A       lan-a 198.19.1.1/24 ----------- P-a: dev0 198.19.1.2/24
#   tt-<hash of b> ... peer B                                            tether-agent (token), meterd :80
#   curl as nobody (proxy_user)    lan-b 198.19.2.1/24 ----------- P-b: dev0 198.19.2.2/24
#   listener 100.64.0.1:2222                                             tether-agent (key), meterd :80
#   tether-proxy :80 on cl0        lan-f 198.19.3.1/24 ----------- P-fab: dev0 198.19.3.2/24
#   cl0 198.18.2.1/24 --- P-cl: eth0 198.18.2.2/24                      30 x tether-agent enroll
#                             curl http://<name>.remote.test/ (no route out)
#
# P is "e2e" and this script's PID. Underlay 198.18.0.0/15, tunnel
# 100.64.0.0/24; the router has no default route, so nothing leaves the
# namespaces. keepalive = 2 s. Every wait is bounded in count and time.
set -e

export NS_PREFIX=e2e$$
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${BUILD_DIR:-$(dirname "$0")/../../build}
AGENT=$BUILD_DIR/agent/tether-agent
TETHERD=$BUILD_DIR/concentrator/tetherd/tetherd
TETHERCTL=$BUILD_DIR/concentrator/tetherctl/tetherctl
PROXY=$BUILD_DIR/concentrator/proxy/tether-proxy
METERD=$BUILD_DIR/tests/tools/meterd
A=meter-a1                      # enrolled by token; short name: tt-meter-a1
B=meter-b2-with-a-long-name     # enrolled by key; long name: tt- + 12 hash characters
GW=100.64.0.1
PROXY_ADDR=198.18.2.1           # the gateway's client-facing address: tether-proxy's http
STORM=30

require_root
for b in "$AGENT" "$TETHERD" "$TETHERCTL" "$METERD" "$PROXY"; do
	if [ ! -x "$b" ]; then
		echo "missing $b (build first)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
for t in jq curl setpriv ping python3; do
	command -v "$t" >/dev/null || { echo "needs $t"; echo "0 passed, 1 failed"; exit 1; }
done

tmp=$(mktemp -d /tmp/te2e.XXXXXX)
chmod 711 "$tmp" # the proxy runs as nobody and must reach ctl-ro.sock (keys stay 0600)
cleanup() {
	cleanup_netns
	rm -rf "$tmp"
}
trap cleanup EXIT
# a step that fails outside a check (set -e) still ends with the summary
trap 'fail "aborted at line $LINENO (log: tetherd and agents in $tmp)"; finish; exit 1' ERR
pretty() { echo "== $*"; }
quiet() { "$@" >/dev/null 2>&1; }

# --- helpers ---------------------------------------------------------------
ctl() { "$TETHERCTL" -s "$tmp/ctl.sock" "$@"; }
field() { ctl device show "$1" --json | jq -r "$2"; }
online() { [ "$(field "$1" .online)" = true ]; }
offline() { [ "$(field "$1" .online)" = false ]; }
ast() { "$AGENT" status -f "$tmp/$1/agent.conf" --json | jq -r ".$2"; }
agent_state() { [ "$(ast "$1" state)" = "$2" ]; }
link_json() { n gw ip -j -d link show "$1" 2>/dev/null; }
is_up() { link_json "$1" | jq -e '.[0].flags | index("UP") != null' >/dev/null; }
is_down() { link_json "$1" | jq -e '.[0].flags | index("UP") == null' >/dev/null; }
absent() { ! n gw ip link show "$1" >/dev/null 2>&1; }
ifindex() { link_json "$1" | jq -r '.[0].ifindex'; }
in_spoof4() { n gw nft -j list set inet tether spoof4 | jq -e --arg i "$1" --arg a "$2" \
	'[.nftables[] | select(.set) | .set.elem // [] | .[] | (.elem.val // .) | .concat? // empty
	  | select(.[0] == $i and .[1] == $a)] | length > 0' >/dev/null; }
not_in_spoof4() { ! in_spoof4 "$@"; }
# packets counted by the rules of CHAIN whose comment starts with TEXT
counter() { n gw nft -j list chain inet tether "$1" | jq --arg c "$2" \
	'[.nftables[] | select(.rule) | .rule | select((.comment // "") | startswith($c))
	  | .expr[] | select(.counter) | .counter.packets] | add // 0'; }
# the proxy user (nobody) fetching ADDR's /name
fetch() { n gw setpriv --reuid=nobody --regid=nogroup --clear-groups \
	curl -sf -m "${2:-3}" "http://$1/name"; }
name_is() { [ "$(fetch "$1" "${3:-3}")" = "$2" ]; }
unreachable() { ! fetch "$1" 0.5 >/dev/null 2>&1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# within MS DESCRIPTION CMD...: CMD succeeds within MS ms of wall time
within() {
	local ms=$1 what=$2 start i
	shift 2
	start=$(now_ms)
	for i in $(seq $((ms / 25 + 40))); do
		if "$@" >/dev/null 2>&1; then
			pass "$what ($(($(now_ms) - start)) ms)"
			return 0
		fi
		[ $(($(now_ms) - start)) -ge "$ms" ] && break
		sleep 0.025
	done
	fail "$what: not within $ms ms"
	return 0
}
# equal WANT DESCRIPTION CMD...: CMD's output is WANT
equal() {
	local want=$1 what=$2 got
	shift 2
	got=$("$@" 2>&1 || true)
	if [ "$got" = "$want" ]; then pass "$what"; else fail "$what: wanted '$want', got '$got'"; fi
}
# a TCP connect: from SRC (a local address, or - for any) to DST PORT; prints
# "connected", or the error and how long it took; exit 0 only when connected
cat >"$tmp/connect.py" <<'EOF'
import socket, sys, time
src, dst, port, tmo = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket()
s.settimeout(tmo)
if src != "-":
    s.bind((src, 0))
t = time.monotonic()
try:
    s.connect((dst, port))
    print("connected")
    sys.exit(0)
except OSError as e:
    print("%s %d" % (e.strerror or "timed out", int((time.monotonic() - t) * 1000)))
    sys.exit(1)
EOF
tcp() { local role=$1; shift; n "$role" python3 "$tmp/connect.py" "$@"; }

start_tetherd() {
	bg gw "$TETHERD" -f "$tmp/tetherd.conf" -d 2>>"$tmp/tetherd.log"
	TETHERD_PID=$LAST_PID
	wait_for 10 ctl status
}
# the client fetching http://NAME.remote.test/PATH through the proxy: prints
# the body, or with -c the status code
via_proxy() {
	local fmt=() out=()
	if [ "$1" = -c ]; then fmt=(-w '%{http_code}'); out=(-o /dev/null); shift; fi
	n cl curl -s -m "${3:-3}" "${fmt[@]}" "${out[@]}" \
		--resolve "$1.remote.test:80:$PROXY_ADDR" "http://$1.remote.test${2:-/name}"
}
proxy_serves() { [ "$(via_proxy "$1")" = "$1" ]; }
proxy_offline_page() {
	local page code
	page=$(via_proxy "$1" / 1) || return 1
	code=$(via_proxy -c "$1" / 1) || return 1
	[ "$code" = 502 ] && echo "$page" | grep -q "$1 is offline"
}
snapshots() { grep -c 'following tetherd on' "$tmp/proxy.log" || true; }

start_agent() {
	bg "$1" "$AGENT" -f "$tmp/$1/agent.conf" -d 2>>"$tmp/$1/agent.log"
	declare -g "AGENT_PID_$1=$LAST_PID"
}

# --- topology --------------------------------------------------------------
pretty "topology and configuration"
ns_add gw
ns_add nat
ns_add a
ns_add b
ns_add fab
ns_add cl
link gw gw0 198.18.1.1/24 nat wan0 198.18.1.2/24
link nat lan-a 198.19.1.1/24 a dev0 198.19.1.2/24
link nat lan-b 198.19.2.1/24 b dev0 198.19.2.2/24
link nat lan-f 198.19.3.1/24 fab dev0 198.19.3.2/24
link gw cl0 $PROXY_ADDR/24 cl eth0 198.18.2.2/24
n a ip route add default via 198.19.1.1
n b ip route add default via 198.19.2.1
n fab ip route add default via 198.19.3.1
n nat sysctl -qw net.ipv4.ip_forward=1
# a gateway forwards (the policy lets admin networks through to devices), so
# that nft, not a disabled ip_forward, is what keeps devices apart
n gw sysctl -qw net.ipv4.ip_forward=1
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
gateway = $GW
keepalive = 2
state_dir = $tmp/gwstate
control = $tmp/ctl.sock
control_ro = $tmp/ctl-ro.sock
policy = $tmp/policy.conf
proxy_user = nobody

[proxy]
http = $PROXY_ADDR:80
EOF
: >"$tmp/policy.conf"
start_tetherd
bg gw "$PROXY" -f "$tmp/tetherd.conf" -d 2>>"$tmp/proxy.log"
PROXY_PID=$LAST_PID
check "tether-proxy listens on $PROXY_ADDR:80" wait_for 5 sh -c \
	"ip netns exec $(ns gw) ss -Htln 'sport = :80' | grep -q '$PROXY_ADDR:80'"

# --- enrollment ------------------------------------------------------------
pretty "enrollment: $A by token, $B by key"
mkdir -p "$tmp/a" "$tmp/b"
TOKEN_A=$(ctl device add "$A" --token --json | jq -r .token)
cat >"$tmp/a/agent.conf" <<EOF
[agent]
server = none
private_key = $tmp/a/dev.key
interface = tether0
expose = 80
state_dir = $tmp/a/state
EOF
url=$(n a "$AGENT" enroll -f "$tmp/a/agent.conf" --server 198.18.1.1:51900 --server-key "$GWPUB" \
	--name "$A" --token "$TOKEN_A" 2>"$tmp/a/enroll.err") || true
equal "https://$A.remote.test/" "$A: enroll by token prints the URL" echo "$url"

(umask 077 && "$AGENT" genkey >"$tmp/b/dev.key")
PUB_B=$("$AGENT" pubkey <"$tmp/b/dev.key")
equal "active" "$B: device add --key makes it active" \
	sh -c "'$TETHERCTL' -s '$tmp/ctl.sock' device add '$B' --key '$PUB_B' --json | jq -r .device.state"
cat >"$tmp/b/agent.conf" <<EOF
[agent]
server = 198.18.1.1:51900
server_key = $GWPUB
name = $B
private_key = $tmp/b/dev.key
interface = tether0
expose = 80
state_dir = $tmp/b/state
EOF

bg a "$METERD" -p 80 -n "$A" >/dev/null 2>&1
bg b "$METERD" -p 80 -n "$B" >/dev/null 2>&1
start_agent a
start_agent b
check "$A: the agent connects" wait_for 15 agent_state a connected
check "$B: the agent connects" wait_for 15 agent_state b connected
check "both online at tetherd" wait_for 5 sh -c \
	"[ \$('$TETHERCTL' -s '$tmp/ctl.sock' device list --json | jq '[.[] | select(.online)] | length') = 2 ]"
ADDR_A=$(ast a address)
ADDR_B=$(ast b address)
PUB_A=$("$AGENT" pubkey <"$tmp/a/dev.key")
IF_A=$(field "$A" .interface)
IF_B=$(field "$B" .interface)

pretty "device list --json"
ctl device list --json >"$tmp/list.json"
for d in a b; do
	name=$A pub=$PUB_A addr=$ADDR_A ifn=$IF_A
	[ $d = b ] && name=$B pub=$PUB_B addr=$ADDR_B ifn=$IF_B
	equal "active $pub $addr $ifn true 198.18.1.2 https://$name.remote.test/" \
		"$name: name, state, key, address, interface, online, endpoint (the NAT router), url" \
		jq -r --arg n "$name" '.[] | select(.name == $n) |
		  [.state, .public_key, .address, .interface, (.online | tostring),
		   (.endpoint | split(":")[0]), .url] | join(" ")' "$tmp/list.json"
	equal "$name $addr" "$name: ${ifn} has alias $name and $GW peer $addr" sh -c \
		"echo \$(ip netns exec $(ns gw) ip -j -d link show '$ifn' | jq -r '.[0].ifalias') \
		\$(ip netns exec $(ns gw) ip -j addr show '$ifn' | jq -r '.[0].addr_info[] | select(.family == \"inet\" and .local == \"$GW\") | .address')"
	check "$name: spoof4 holds $ifn . $addr" in_spoof4 "$ifn" "$addr"
done
check "the long name's interface is tt- and 12 characters" [ "${#IF_B}" -eq 15 -a "${IF_B#tt-}" != "$IF_B" ]
check "the two devices have distinct NAT ports" [ "$(jq -r '[.[].endpoint] | unique | length' "$tmp/list.json")" = 2 ]

# --- reachability ----------------------------------------------------------
pretty "the gateway reaches each device as the proxy user, and only as it"
equal "$A" "$A: the proxy user gets $A's own page from $ADDR_A" fetch "$ADDR_A"
equal "$B" "$B: the proxy user gets $B's own page from $ADDR_B" fetch "$ADDR_B"
before=$(counter output "access: no other local process")
check_not "as root: refused by nftables" n gw curl -sf -m 2 -o /dev/null "http://$ADDR_A/name"
after=$(counter output "access: no other local process")
check "  (counted on 'no other local process reaches a device')" [ "$after" -gt "$before" ]
check "$A pings the gateway's tunnel address" quiet n a ping -c 1 -W 2 -q "$GW"
check "$B pings the gateway's tunnel address" quiet n b ping -c 1 -W 2 -q "$GW"

pretty "tether-proxy: each device at http://<name>.remote.test/ from the client"
check "$A: its URL serves $A's own page" wait_for 5 proxy_serves "$A"
check "$B: its URL serves $B's own page" wait_for 5 proxy_serves "$B"
equal 404 "an unknown name: 404" via_proxy -c nosuch /name
check_not "the client has no route to a device's tunnel address" \
	quiet n cl curl -s -m 1 -o /dev/null "http://$ADDR_A/name"

pretty "devices are kept apart, and from the gateway's ports"
# the device sends from its tunnel address, so the agent's rule puts it
# into the tunnel; the counters show tetherd delivered it and nft dropped it
before=$(counter forward "isolation: nothing else is forwarded")
check_not "$A cannot ping $B's tunnel address" quiet n a ping -c 1 -W 1 -q -I "$ADDR_A" "$ADDR_B"
check_not "$A cannot open TCP 80 on $B's tunnel address" quiet tcp a "$ADDR_A" "$ADDR_B" 80 1.5
check_not "$B cannot open TCP 80 on $A's tunnel address" quiet tcp b "$ADDR_B" "$ADDR_A" 80 1.5
after=$(counter forward "isolation: nothing else is forwarded")
check "  (the tunnel carried them, nft dropped them: $((after - before)) packets)" [ $((after - before)) -ge 3 ]
bg gw timeout 120 python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$GW"'", 2222))
s.listen(16)
while True:
    s.accept()[0].close()
'
LISTENER=$LAST_PID
check "a listener on $GW:2222 in the gateway (reached from the gateway)" \
	wait_for 5 quiet tcp gw - "$GW" 2222 1
before=$(counter input "isolation: devices open no connection")
check_not "$A cannot connect to the gateway's $GW:2222" quiet tcp a - "$GW" 2222 1.5
check_not "$B cannot connect to the gateway's $GW:2222" quiet tcp b - "$GW" 2222 1.5
after=$(counter input "isolation: devices open no connection")
check "  (dropped by 'devices open no connection to the gateway')" [ "$after" -gt "$before" ]
stop_pid "$LISTENER"

# --- cut off ---------------------------------------------------------------
pretty "$A cut off (its underlay link down), then restored"
n a ip link set dev0 down
within 7000 "$A offline within 3 keepalives (6 s) and the sweep" offline "$A"
within 1000 "proxy: $A's URL answers 502 'offline' within a second" proxy_offline_page "$A"
check "$IF_A is down" is_down "$IF_A"
check "$B stayed online" online "$B"
check "proxy: $B's URL still serves $B" proxy_serves "$B"
out=$(tcp gw - "$ADDR_A" 80 3 || true)
ms=${out##* }
check "a connect from the gateway fails at once: '$out' ms" \
	sh -c "echo '$out' | grep -q 'No route to host' && [ '$ms' -lt 1000 ]"
t0=$(now_ms)
rc=0; n gw setpriv --reuid=nobody --regid=nogroup --clear-groups curl -sf -m 3 -o /dev/null \
	"http://$ADDR_A/name" 2>/dev/null || rc=$?
took=$(($(now_ms) - t0))
check "the proxy user's curl fails at once too (exit $rc, $took ms)" [ "$rc" -eq 7 -a "$took" -lt 1000 ]
n a ip link set dev0 up
n a ip route replace default via 198.19.1.1
within 20000 "$A back online after the link is restored" online "$A"
check "$IF_A is up" is_up "$IF_A"
check "$A's page is reachable again" wait_for 5 name_is "$ADDR_A" "$A"
check "proxy: $A's URL serves $A again" wait_for 5 proxy_serves "$A"

# --- restart ---------------------------------------------------------------
pretty "tetherd restarted (SIGTERM) with both devices online"
IDX_A=$(ifindex "$IF_A")
IDX_B=$(ifindex "$IF_B")
SNAPS=$(snapshots)
kill -TERM "$TETHERD_PID"
rc=0; wait "$TETHERD_PID" || rc=$?
equal 0 "SIGTERM: clean exit" echo "$rc"
check "while tetherd is stopped its interfaces stay, down" sh -c \
	"[ -n \"\$(ip netns exec $(ns gw) ip link show '$IF_A')\" ] && ! ip netns exec $(ns gw) ip link show up '$IF_A' | grep -q ."
out=$(tcp gw - "$ADDR_A" 80 3 || true)
check "and a connect to a device fails at once: '$out' ms" \
	sh -c "echo '$out' | grep -q 'No route to host' && [ '${out##* }' -lt 1000 ]"
t0=$(now_ms)
start_tetherd
within 10000 "both back online within 10 s of the start" sh -c \
	"[ \$('$TETHERCTL' -s '$tmp/ctl.sock' device list --json | jq '[.[] | select(.online)] | length') = 2 ]"
echo "   (counted from the start: $(($(now_ms) - t0)) ms)"
equal "$IDX_A $IDX_B" "every tt- interface kept its ifindex" sh -c "echo \$(ip netns exec $(ns gw) ip -j link show '$IF_A' | jq '.[0].ifindex') \$(ip netns exec $(ns gw) ip -j link show '$IF_B' | jq '.[0].ifindex')"
check "$A's page is reachable" wait_for 5 name_is "$ADDR_A" "$A"
check "$B's page is reachable" wait_for 5 name_is "$ADDR_B" "$B"
within 6000 "proxy: reconnected to tetherd's watch stream (a new snapshot)" \
	sh -c "[ \$(grep -c 'following tetherd on' '$tmp/proxy.log') -gt $SNAPS ]"
within 3000 "proxy: $A's URL serves $A after the restart" proxy_serves "$A"
within 3000 "proxy: $B's URL serves $B after the restart" proxy_serves "$B"
check "proxy: still running" kill -0 "$PROXY_PID"

# --- enrollment storm ------------------------------------------------------
pretty "kill -9 during an enrollment storm of $STORM agents"
for i in $(seq -w 1 $STORM); do
	d=$tmp/storm/$i
	mkdir -p "$d"
	ctl device add "st$i" --token --json | jq -r .token >"$d/token"
	cat >"$d/agent.conf" <<EOF
[agent]
server = none
private_key = $d/key
interface = tether0
expose = 80
state_dir = $d/state
EOF
done
check "$STORM tokens made" [ "$(ctl device list --json | jq '[.[] | select(.state == "pending")] | length')" = "$STORM" ]
for i in $(seq -w 1 $STORM); do
	d=$tmp/storm/$i
	bg fab sh -c "timeout 45 '$AGENT' enroll -f '$d/agent.conf' --server 198.18.1.1:51900 \
		--server-key '$GWPUB' --name st$i --token \$(cat '$d/token') >'$d/url' 2>'$d/err'; echo \$? >'$d/rc'"
done
# the kill comes a random 0-30 ms after the first enroll finished, so some
# are through and others are in flight (polled every 5 ms, at most 20 s)
for i in $(seq 4000); do
	ls "$tmp"/storm/*/rc >/dev/null 2>&1 && break
	sleep 0.005
done
sleep "0.0$((RANDOM % 3))$((RANDOM % 10))"
kill -KILL "$TETHERD_PID"
wait "$TETHERD_PID" 2>/dev/null || true
rcs=$(cat "$tmp"/storm/*/rc 2>/dev/null || true)
done_at_kill=$(echo "$rcs" | grep -c . || true)
ok_at_kill=$(echo "$rcs" | grep -c '^0$' || true)
check "tetherd was killed while enrolls ran ($done_at_kill of $STORM finished, $ok_at_kill OK)" \
	[ "$done_at_kill" -lt "$STORM" ]
check "tetherd starts again after kill -9" start_tetherd
all_done() { [ "$(ls "$tmp"/storm/*/rc 2>/dev/null | wc -l)" -eq "$STORM" ]; }
check "every enroll finished (bounded: 45 s)" wait_for 50 all_done
ok=0
bad=()
ctl device list --json >"$tmp/storm.json"
for i in $(seq -w 1 $STORM); do
	d=$tmp/storm/$i
	[ "$(cat "$d/rc" 2>/dev/null)" = 0 ] || continue
	ok=$((ok + 1))
	want="active $("$AGENT" pubkey <"$d/key") https://st$i.remote.test/"
	got="$(jq -r --arg n "st$i" '.[] | select(.name == $n) | [.state, .public_key, .url] | join(" ")' \
		"$tmp/storm.json") $(cat "$d/url")"
	[ "$got" = "$want https://st$i.remote.test/" ] || bad+=("st$i: $got")
done
check "every enroll that printed OK ($ok) is active with that agent's key: ${bad[*]:-all}" \
	[ "${#bad[@]}" -eq 0 -a "$ok" -gt 0 ]
check "all $STORM enrolls succeeded in the end (an OK lost to the kill is retried): $ok" \
	[ "$ok" -eq "$STORM" ]
check "the registry is consistent: $((STORM + 2)) devices, distinct addresses and keys" quiet jq -e \
	--argjson n $((STORM + 2)) 'length == $n and ([.[].address] | unique | length) == $n and
	 ([.[].public_key | select(. != null)] | (unique | length) == length)' "$tmp/storm.json"
check "a storm device not enrolled is still pending, without a key" quiet jq -e \
	'all(.[] | select(.name | startswith("st")); (.state == "active" and .public_key != null)
	 or (.state == "pending" and .public_key == null))' "$tmp/storm.json"
check "$A and $B came back after the kill" wait_for 15 sh -c \
	"'$TETHERCTL' -s '$tmp/ctl.sock' device list --json | jq -e '[.[] | select(.online)] | length == 2' >/dev/null"
equal "$IDX_A $IDX_B" "after kill -9 too, every tt- interface kept its ifindex" sh -c "echo \$(ip netns exec $(ns gw) ip -j link show '$IF_A' | jq '.[0].ifindex') \$(ip netns exec $(ns gw) ip -j link show '$IF_B' | jq '.[0].ifindex')"
check "$A's page is reachable after the kill" wait_for 5 name_is "$ADDR_A" "$A"
check "$B's page is reachable after the kill" wait_for 5 name_is "$ADDR_B" "$B"
check "no storm token in tetherd's log" bash -c "! grep -qFf <(cat '$tmp'/storm/*/token) '$tmp/tetherd.log'"

# --- disable, enable, remove -----------------------------------------------
pretty "disable, enable and remove with the agents online"
check "$A reachable before" name_is "$ADDR_A" "$A"
ctl device disable "$A" >/dev/null
within 1000 "disable: $A's page unreachable within a second" unreachable "$ADDR_A"
check "disable: $IF_A is down" is_down "$IF_A"
check "disable: the agent's next handshake is refused, it backs off" \
	wait_for 20 agent_state a "backing off"
check "disable: its status says REJECTED" sh -c "'$AGENT' status -f '$tmp/a/agent.conf' --json | jq -r .last_error | grep -q REJECTED"
check "disable: $B is unaffected" name_is "$ADDR_B" "$B"
ctl device enable "$A" >/dev/null
check "enable: the same agent comes back by itself" wait_for 30 agent_state a connected
check "enable: online" wait_for 5 online "$A"
check "enable: the page is reachable again" wait_for 5 name_is "$ADDR_A" "$A"

ctl device remove "$B" >/dev/null
t0=$(now_ms)
within 1000 "remove: $IF_B deleted within a second" absent "$IF_B"
check "remove: spoof4 element gone within a second too ($(($(now_ms) - t0)) ms)" \
	not_in_spoof4 "$IF_B" "$ADDR_B"
check "remove: no longer listed" sh -c "! '$TETHERCTL' -s '$tmp/ctl.sock' device list --json | jq -e '.[] | select(.name == \"$B\")' >/dev/null"
check "remove: $B's page unreachable" unreachable "$ADDR_B"
check "remove: $B's agent is refused" wait_for 20 agent_state b "backing off"
check "remove: $A is unaffected" name_is "$ADDR_A" "$A"
PUB_B_LISTED=$(ctl device add "$B" --key "$PUB_B" --json | jq -r .device.public_key)
check "added again with the same key" [ "$PUB_B_LISTED" = "$PUB_B" ]
check "added again: the same agent comes back by itself" wait_for 30 agent_state b connected
ADDR_B=$(ast b address)
check "added again: online, on a new $IF_B" wait_for 5 sh -c \
	"'$TETHERCTL' -s '$tmp/ctl.sock' device show '$B' --json | jq -e '.online' >/dev/null && ip netns exec $(ns gw) ip link show up '$IF_B' | grep -q ."
check "added again: spoof4 holds $IF_B . $ADDR_B" in_spoof4 "$IF_B" "$ADDR_B"
check "added again: the page is reachable" wait_for 5 name_is "$ADDR_B" "$B"

kill -TERM "$TETHERD_PID"
rc=0; wait "$TETHERD_PID" || rc=$?
equal 0 "tetherd stopped cleanly" echo "$rc"
trap - EXIT
rc=0
finish || rc=$?
rm -rf "$tmp"
exit "$rc"
