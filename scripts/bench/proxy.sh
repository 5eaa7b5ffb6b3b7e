#!/usr/bin/env bash
# tether-proxy against nginx as reverse proxies in front of the same backend, on the same path,
# loaded by wrk in the same run: requests per second with keep-alive and small responses, p99
# latency, and memory per idle connection (2,000 connections opened and held; RSS growth of the
# proxy process, or of nginx's worker). Printed as ratios to nginx. Goals: >= 1.0x nginx's
# requests/s, p99 no worse, no more memory per idle connection. Each figure is the median of
# alternating rounds; CPU time per request of the process under test is printed too, as the
# shared machine's noise moves it least.
#
#   client (bpxP-cl)            gateway (bpxP-gw)                       backend (bpxP-dev)
#   198.18.2.2/24   -- veth --  198.18.2.1/24                           nginx, 1 worker,
#   198.18.2.10-29 (idle conns) nginx :8000 (1 worker, upstream         a 128-byte file
#   wrk, 1 thread               keepalive 32) | tether-proxy :8080
#                               tt-bench 100.64.0.1 peer 100.64.0.2 -- veth -- 100.64.0.2:80
#
# tether-proxy is single-threaded, so nginx gets one worker. The proxy under test runs on CPU 1,
# wrk and the backend on CPU 0 (when there are two). Access logs off on both. About a minute.
#
#   BUILD_DIR=build-bench scripts/bench/proxy.sh   (scripts/bench.sh sets it)
set -euo pipefail

: "${BUILD_DIR:?run it through scripts/bench.sh, which builds and sets BUILD_DIR}"
top=$(cd "$(dirname "$0")/../.." && pwd)
proxy_bin=$BUILD_DIR/concentrator/proxy/tether-proxy
fake=$top/tests/netns/proxy_fake_control.py
for f in "$proxy_bin" "$fake"; do
	[ -e "$f" ] || { echo "proxy: $f is missing" >&2; exit 1; }
done
for tool in nginx wrk python3 taskset; do
	command -v $tool >/dev/null || { echo "proxy: $tool is not installed" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "proxy: needs root (network namespaces)" >&2; exit 1; }

NS_PREFIX=bpx$$
. "$top/tests/netns/lib.sh"
tmp=$(mktemp -d /tmp/bpx.XXXXXX)
chmod 755 "$tmp"
trap 'set +e; cleanup_netns; rm -rf "$tmp"' EXIT

secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-32}
idle=${BENCH_IDLE:-2000}
if [ "$(nproc)" -ge 2 ]; then cpu_load=0 cpu_proxy=1; else cpu_load=0 cpu_proxy=0; fi
host=bench.remote.test

ns_add cl
ns_add gw
ns_add dev
link cl eth0 198.18.2.2/24 gw eth0 198.18.2.1/24
for i in $(seq 10 29); do n cl ip addr add "198.18.2.$i/24" dev eth0; done
link gw tt-bench "" dev eth0 ""
n gw ip addr add 100.64.0.1 peer 100.64.0.2 dev tt-bench
n dev ip addr add 100.64.0.2 peer 100.64.0.1 dev eth0

# --- the backend: nginx serving a small file ---
mkdir -p "$tmp/www" "$tmp/dev" "$tmp/gw"
head -c 128 /dev/zero | tr '\0' 'm' >"$tmp/www/index.html"
common="user nobody nogroup; worker_processes 1; daemon off; worker_rlimit_nofile 20000;"
temps() { # nginx's temp paths, in tmp
	for t in client_body proxy fastcgi uwsgi scgi; do printf '%s_temp_path %s/%s_temp; ' $t "$1" $t; done
}
cat >"$tmp/dev/nginx.conf" <<EOF
$common pid $tmp/dev/nginx.pid; error_log $tmp/dev/error.log;
events { worker_connections 10000; }
http { access_log off; $(temps "$tmp/dev") keepalive_requests 1000000; keepalive_timeout 120s;
	server { listen 100.64.0.2:80; root $tmp/www; } }
EOF
bg dev taskset -c $cpu_load nginx -c "$tmp/dev/nginx.conf"

# --- the front nginx, doing what tether-proxy does: forwarding fields, keep-alive upstream ---
cat >"$tmp/gw/nginx.conf" <<EOF
$common pid $tmp/gw/nginx.pid; error_log $tmp/gw/error.log;
events { worker_connections 10000; }
http { access_log off; $(temps "$tmp/gw") keepalive_requests 1000000; keepalive_timeout 120s;
	upstream device { server 100.64.0.2:80; keepalive $conns; keepalive_requests 1000000; }
	server { listen 198.18.2.1:8000;
		location / { proxy_pass http://device; proxy_http_version 1.1;
			proxy_set_header Connection ""; proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$remote_addr;
			proxy_set_header X-Forwarded-Proto \$scheme;
			proxy_set_header X-Forwarded-Host \$host;
			proxy_set_header Forwarded "for=\$remote_addr;proto=\$scheme;host=\$host"; } } }
EOF
bg gw taskset -c $cpu_proxy nginx -c "$tmp/gw/nginx.conf"
NGINX=$LAST_PID

# --- tether-proxy with a fake tetherd that knows the one device ---
echo '[["bench", "100.64.0.2", true]]' >"$tmp/devices.json"
bg gw python3 "$fake" serve "$tmp/ro.sock" "$tmp/admin.sock" "$tmp/devices.json"
wait_for 5 test -S "$tmp/ro.sock"
cat >"$tmp/proxy.conf" <<EOF
[tetherd]
private_key = $tmp/unused.key
domain = remote.test
control = $tmp/rw.sock
control_ro = $tmp/ro.sock
proxy_user = nobody
[proxy]
http = 198.18.2.1:8080
https = 198.18.2.1:8443
log_level = notice
EOF
bg gw taskset -c $cpu_proxy "$proxy_bin" -d -f "$tmp/proxy.conf" 2>"$tmp/proxy.log"
TETHER=$LAST_PID

up() { n cl curl -s -m 2 -H "Host: $host" "http://198.18.2.1:$1/" | grep -q mmmm; }
wait_for 5 up 8000 || { echo "proxy: nginx does not answer" >&2; cat "$tmp"/*/error.log >&2; exit 1; }
wait_for 5 up 8080 || { echo "proxy: tether-proxy does not answer" >&2; cat "$tmp/proxy.log" >&2; exit 1; }
nginx_worker=$(pgrep -P "$NGINX" | head -1)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# wrk_run PORT SECONDS PID: "requests_per_s p99_ms cpu_us_per_request" (CPU of PID, the
# process under test: what a request costs it, whichever side is the bottleneck)
wrk_run() {
	local t0 t1 out
	t0=$(cpu_ticks "$3")
	out=$(n cl taskset -c $cpu_load wrk -t1 -c"$conns" -d"$2"s --latency -H "Host: $host" \
		"http://198.18.2.1:$1/")
	t1=$(cpu_ticks "$3")
	awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
		/^Requests\/sec:/ { rps = $2 }
		/ requests in / { reqs = $1 }
		$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			p99 = u == "us" ? v / 1000 : u == "s" ? v * 1000 : v }
		END { printf "%.0f %.3f %.2f\n", rps, p99, reqs ? ticks * 1e6 / hz / reqs : 0 }' <<<"$out"
}

echo "proxy: $conns keep-alive connections, ${secs}s per round, small responses (128 bytes)," \
	"proxies on CPU $cpu_proxy, wrk and backend on CPU $cpu_load"
echo "  backend direct (wrk in the gateway): $(n gw taskset -c $cpu_load wrk -t1 -c"$conns" -d3s \
	http://100.64.0.2/ | awk '/^Requests\/sec:/ { printf "%.0f", $2 }') requests/s"
wrk_run 8000 2 "$nginx_worker" >/dev/null # warm up both
wrk_run 8080 2 "$TETHER" >/dev/null
rounds=${BENCH_ROUNDS:-5}
: >"$tmp/rounds"
for round in $(seq "$rounds"); do
	read -r rn pn cn < <(wrk_run 8000 "$secs" "$nginx_worker")
	read -r rt pt ct < <(wrk_run 8080 "$secs" "$TETHER")
	echo "  round $round: nginx $rn req/s, p99 $pn ms, $cn us CPU/request |" \
		"tether-proxy $rt req/s, p99 $pt ms, $ct us CPU/request"
	echo "$rn $pn $cn $rt $pt $ct" >>"$tmp/rounds"
done
# the median of the rounds (alternating, so both see the same machine): robust to a
# neighbour's burst in one round
median() { cut -d' ' -f"$1" "$tmp/rounds" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best_n=$(median 1) p99_n=$(median 2) cpu_n=$(median 3)
best_t=$(median 4) p99_t=$(median 5) cpu_t=$(median 6)
echo "  median: nginx $best_n req/s, p99 $p99_n ms, $cpu_n us CPU/request |" \
	"tether-proxy $best_t req/s, p99 $p99_t ms, $cpu_t us CPU/request"
fails=$(grep -c 'unanswered\|error' "$tmp/proxy.log" || true)

# --- memory per idle connection ---
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# idle_cost PORT PID MODE: bytes of RSS per connection, MODE fresh (nothing sent) or used
# (one request answered, then keep-alive)
idle_cost() {
	local port=$1 pid=$2 mode=$3 before after holder
	rm -f "$tmp/held"
	before=$(rss_kb "$pid")
	# started directly, so that $! is python itself (ip netns exec execs it)
	ip netns exec "$(ns cl)" python3 - "$port" "$idle" "$mode" "$tmp/held" "$host" <<'EOF' &
import socket, sys, time
port, count, mode, ready, host = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
socks = []
for i in range(count):
    s = socket.socket()
    s.bind(("198.18.2.%d" % (10 + i % 20), 0))  # 100 per address: under the per-client limit
    s.connect(("198.18.2.1", port))
    if mode == "used":
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
        data = b""
        while not data.endswith(b"m" * 128):
            data += s.recv(4096)
    socks.append(s)
open(ready, "w").close()
time.sleep(20)
EOF
	HOLDERS+=($!)
	wait_for 20 test -f "$tmp/held" || true
	sleep 1
	after=$(rss_kb "$pid")
	echo $(((after - before) * 1024 / idle)) >"$tmp/cost"
}
# connections after a request first (they may idle 60 s), then fresh ones (the header timeout
# is 10 s); all held until both are measured, so no memory freed meanwhile is counted twice
HOLDERS=()
idle_cost 8000 "$nginx_worker" used
used_n=$(cat "$tmp/cost")
idle_cost 8080 "$TETHER" used
used_t=$(cat "$tmp/cost")
idle_cost 8000 "$nginx_worker" fresh
mem_n=$(cat "$tmp/cost")
idle_cost 8080 "$TETHER" fresh
mem_t=$(cat "$tmp/cost")
for pid in "${HOLDERS[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${HOLDERS[@]}"; do wait "$pid" 2>/dev/null || true; done
echo "  memory per idle connection ($idle held): nginx $mem_n B, tether-proxy $mem_t B;" \
	"after one request: nginx $used_n B, tether-proxy $used_t B"

awk -v rn="$best_n" -v rt="$best_t" -v pn="$p99_n" -v pt="$p99_t" -v mn="$mem_n" -v mt="$mem_t" \
	-v un="$used_n" -v ut="$used_t" -v cn="$cpu_n" -v ct="$cpu_t" 'BEGIN {
	rps = rt / rn; p99 = pt / pn; cpu = (cn > 0) ? ct / cn : 0
	mem = (mn > 0) ? mt / mn : 0
	used = (un > 0) ? ut / un : 0
	printf "proxy: requests/s %.2fx nginx (goal >= 1.0: %s)\n", rps, (rps >= 1.0) ? "met" : "MISSED"
	printf "proxy: p99 latency %.2fx nginx (goal <= 1.0: %s)\n", p99, (p99 <= 1.0) ? "met" : "MISSED"
	printf "proxy: CPU per request %.2fx nginx\n", cpu
	printf "proxy: memory per idle connection %.2fx nginx (goal <= 1.0: %s); after a request %.2fx\n",
		mem, (mem <= 1.0) ? "met" : "MISSED", used
}'
[ "$fails" -eq 0 ] || echo "proxy: tether-proxy logged $fails errors (see its log)"
