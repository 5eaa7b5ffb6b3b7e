#!/usr/bin/env bash
# The Tether demo lab, in network namespaces on this machine:
#
#              198.18.2.0/24                  198.18.0.0/24             198.18.1.0/24
#   [client] ---------------- [gateway] ------------------ [nat] ----+---- [meter1]
#    curl                      tetherd                   masquerade  +---- [meter2]
#                              tether-proxy                          +---- [meter3]
#                              tt-<name> per meter          each meter: tether-agent + meterd
#
# The meters sit behind a NAT router and dial out; the client reaches each
# meter's web page at http(s)://<name>.demo.tether.test through the proxy.
#
#   ./scripts/demo.sh          build, start the lab, show it, leave it running
#   ./scripts/demo.sh stop     tear everything down
#
# Everything stays inside namespaces named tdemo-*: nothing is routed out
# of them and nothing is sent beyond them.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
prefix=tdemo
run_dir=/run/tether-demo
domain=demo.tether.test
meters=(an10000001 an10000002 an10000003)
gw_wan=198.18.0.1
gw_lan=198.18.2.1
build=$top/build-demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
n() { local role=$1; shift; ip netns exec "$prefix-$role" "$@"; }
# bg ROLE NAME CMD...: start CMD in ROLE's namespace, its PID in NAME.pid
# (ip netns exec execs CMD, so $! is CMD's own PID)
bg() {
	local role=$1 name=$2
	shift 2
	ip netns exec "$prefix-$role" "$@" &
	echo $! >"$run_dir/$name.pid"
}

stop() {
	local pidfile pid ns
	for pidfile in "$run_dir"/*.pid; do
		[ -e "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null || true
	done
	sleep 0.3
	for pidfile in "$run_dir"/*.pid; do
		[ -e "$pidfile" ] || continue
		kill -9 "$(cat "$pidfile")" 2>/dev/null || true
	done
	for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
		# only the demo's own processes run in its namespaces
		for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
		ip netns del "$ns"
	done
	rm -rf "$run_dir" "/etc/netns/$prefix-client"
}

if [ "${1:-}" = stop ]; then
	[ "$(id -u)" -eq 0 ] || { echo "demo: run as root" >&2; exit 1; }
	stop
	echo "demo: stopped"
	exit 0
fi
if [ $# -ne 0 ]; then
	echo "usage: $0 [stop]" >&2
	exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }

say "installing packages and building"
"$top/scripts/setup.sh"
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release >/dev/null
tetherd=$build/concentrator/tetherd/tetherd
tetherctl=$build/concentrator/tetherctl/tetherctl
proxy=$build/concentrator/proxy/tether-proxy
agent=$build/agent/tether-agent
meterd=$build/tests/tools/meterd
# only the programs the lab runs, not the test suites
ninja -C "$build" "${tetherd#$build/}" "${tetherctl#$build/}" "${proxy#$build/}" \
	"${agent#$build/}" "${meterd#$build/}" >/dev/null
for bin in "$tetherd" "$tetherctl" "$proxy" "$agent" "$meterd"; do
	[ -x "$bin" ] || { echo "demo: $bin was not built" >&2; exit 1; }
done

# a second run starts from a clean slate
stop
mkdir -p "$run_dir"
chmod 755 "$run_dir"

say "network: gateway, NAT router, three meters and a client"
for role in gw nat client "${meters[@]}"; do
	ip netns add "$prefix-$role"
	n "$role" ip link set lo up
done
veth() { # veth ROLE_A IF_A ADDR_A ROLE_B IF_B ADDR_B
	ip link add "$prefix-tmp-a" type veth peer name "$prefix-tmp-b"
	ip link set "$prefix-tmp-a" netns "$prefix-$1"
	ip link set "$prefix-tmp-b" netns "$prefix-$4"
	n "$1" ip link set "$prefix-tmp-a" name "$2"
	n "$4" ip link set "$prefix-tmp-b" name "$5"
	[ -z "$3" ] || n "$1" ip addr add "$3" dev "$2"
	[ -z "$6" ] || n "$4" ip addr add "$6" dev "$5"
	n "$1" ip link set "$2" up
	n "$4" ip link set "$5" up
}
veth gw wan "$gw_wan/24" nat wan 198.18.0.2/24
veth gw lan "$gw_lan/24" client eth0 198.18.2.2/24
n nat ip link add br0 type bridge
n nat ip addr add 198.18.1.1/24 dev br0
n nat ip link set br0 up
n nat sysctl -qw net.ipv4.ip_forward=1
n nat nft -f - <<EOF
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "wan" masquerade
	}
}
EOF
i=0
for m in "${meters[@]}"; do
	i=$((i + 1))
	veth "$m" eth0 "198.18.1.1$i/24" nat "m$i" ""
	n nat ip link set "m$i" master br0
	# the meters know only the way to the gateway's network, through the NAT
	n "$m" ip route add 198.18.0.0/24 via 198.18.1.1
done

say "gateway: tetherd and tether-proxy"
id tether-proxy >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin tether-proxy
gw=$run_dir/gw
mkdir -p "$gw"
(umask 077 && "$tetherctl" genkey >"$gw/tetherd.key")
server_key=$("$tetherctl" pubkey <"$gw/tetherd.key")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
	-subj "/CN=*.$domain" -addext "subjectAltName=DNS:*.$domain" \
	-keyout "$gw/wildcard.key" -out "$gw/wildcard.pem" 2>/dev/null
chown tether-proxy "$gw/wildcard.key"
chmod 600 "$gw/wildcard.key"
cat >"$gw/policy.conf" <<EOF
# the admin network may reach every meter's web server directly
allow 198.18.2.0/24 to * tcp 80
EOF
cat >"$gw/tetherd.conf" <<EOF
[tetherd]
listen = 0.0.0.0:51900
private_key = $gw/tetherd.key
domain = $domain
pool = 100.64.0.0/16
gateway = 100.64.0.1
keepalive = 5
state_dir = $gw/state
control = $gw/tetherd.sock
control_ro = $gw/tetherd-ro.sock
policy = $gw/policy.conf
proxy_user = tether-proxy

[proxy]
http = 0.0.0.0:80
https = 0.0.0.0:443
tls_cert = $gw/wildcard.pem
tls_key = $gw/wildcard.key
EOF
bg gw tetherd "$tetherd" -f "$gw/tetherd.conf" -d >"$gw/tetherd.log" 2>&1
for _ in $(seq 50); do
	[ -S "$gw/tetherd-ro.sock" ] && break
	sleep 0.1
done
[ -S "$gw/tetherd-ro.sock" ] || { echo "demo: tetherd did not start:"; cat "$gw/tetherd.log"; exit 1; }
bg gw proxy "$proxy" -f "$gw/tetherd.conf" -d >"$gw/proxy.log" 2>&1

say "meters: enroll each with a one-time token, then start its agent"
i=0
for m in "${meters[@]}"; do
	i=$((i + 1))
	dir=$run_dir/$m
	mkdir -p "$dir"
	bg "$m" "meterd-$m" "$meterd" -p 80 -n "$m" >"$dir/meterd.log" 2>&1
	token=$("$tetherctl" -s "$gw/tetherd.sock" device add "$m" --token --ttl 1h --json | jq -r .token)
	cat >"$dir/agent.conf" <<EOF
[agent]
server = $gw_wan:51900
server_key = $server_key
name = $m
private_key = $dir/agent.key
interface = tether0
expose = 80
state_dir = $dir/state
EOF
	echo "\$ tether-agent enroll --server $gw_wan:51900 --server-key $server_key --name $m --token <token>"
	n "$m" "$agent" enroll --server "$gw_wan:51900" --server-key "$server_key" --name "$m" \
		--token "$token" -f "$dir/agent.conf"
	bg "$m" "agent-$m" "$agent" -f "$dir/agent.conf" -d >"$dir/agent.log" 2>&1
done

online() {
	[ "$("$tetherctl" -s "$gw/tetherd.sock" device list --json | jq '[.[] | select(.online)] | length')" -eq ${#meters[@]} ]
}
for _ in $(seq 100); do
	online && break
	sleep 0.1
done
online || { echo "demo: not every meter came online; see $run_dir/*/agent.log"; }

say "what an admin sees on the gateway"
echo "\$ tetherctl device list"
"$tetherctl" -s "$gw/tetherd.sock" device list
echo
echo "\$ ip -br addr"
n gw ip -br addr
echo
echo "\$ nft list table inet tether"
n gw nft list table inet tether

say "the client fetches each meter's page through the proxy"
# the client resolves every meter's name to the gateway
mkdir -p "/etc/netns/$prefix-client"
for m in "${meters[@]}"; do echo "$gw_lan $m.$domain"; done >"/etc/netns/$prefix-client/hosts"
cp "$gw/wildcard.pem" "$run_dir/demo-ca.pem"
for m in "${meters[@]}"; do
	echo "\$ curl http://$m.$domain/"
	n client curl -sS --max-time 5 "http://$m.$domain/" || true
	echo "\$ curl --cacert demo-ca.pem https://$m.$domain/"
	n client curl -sS --max-time 5 --cacert "$run_dir/demo-ca.pem" "https://$m.$domain/" || true
done

say "the lab keeps running"
cat <<EOF
Browse from the client namespace:
  ip netns exec $prefix-client curl http://${meters[0]}.$domain/
  ip netns exec $prefix-client curl --cacert $run_dir/demo-ca.pem https://${meters[0]}.$domain/
Take a meter offline and see the offline page (after 3 keepalives, 15 s):
  kill \$(cat $run_dir/agent-${meters[1]}.pid)
  ip netns exec $prefix-client curl http://${meters[1]}.$domain/
A name the gateway does not know gets a 404 page:
  ip netns exec $prefix-client curl --resolve nosuch.$domain:80:$gw_lan http://nosuch.$domain/
Look around on the gateway:
  $tetherctl -s $gw/tetherd.sock device list
  ip netns exec $prefix-gw ip -br link
  ip netns exec $prefix-gw nft list table inet tether
Logs are in $run_dir. Tear it all down with:
  ./scripts/demo.sh stop
EOF
