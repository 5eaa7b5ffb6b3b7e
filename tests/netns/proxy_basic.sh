#!/usr/bin/env bash
# tether-proxy end to end, with a fake tetherd (proxy_fake_control.py) and veth pairs standing
# in for the devices' tunnels: routing by Host to 50 devices, TLS termination with a wildcard
# certificate, SNI passthrough to a device that serves TLS itself, a WebSocket echo, forwarding
# fields on a keep-alive connection, the error pages (404, offline, unreachable, 504, 400, 431),
# slowloris, reconnecting to a restarted tetherd, and the privileges the proxy keeps.
#
#   client (tpxP-cl)         gateway (tpxP-gw)                                   devices
#   198.18.1.2/24 -- veth -- 198.18.1.1/24
#                            proxy T (terminates TLS): :80, :443
#                            proxy P (passes TLS by SNI): :8080, :8443
#                            fake tetherd: ro.sock, admin.sock
#                            tt-dI 100.64.0.1 peer 100.64.0.J -- veth -- eth0 100.64.0.J (tpxP-dI)
#                                                                        meterd :80 "meterII"
#                            (I = 1..50, J = I + 1; d2 also runs openssl s_server on :443,
#                            d16 runs proxy_client.py serve instead of meterd: big bodies)
#
# Underlay 198.18.0.0/15, tunnel 100.64.0.0/10, no route out of the namespaces; P is this
# script's PID. Needs root; the proxies drop to the user "nobody".
set -e

NS_PREFIX=tpx$$
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${BUILD_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
proxy_bin=$BUILD_DIR/concentrator/proxy/tether-proxy
meterd=$BUILD_DIR/tests/tools/meterd
here=$(cd "$(dirname "$0")" && pwd)
fake=$here/proxy_fake_control.py
client=$here/proxy_client.py
devices=50
domain=remote.test
gw=198.18.1.1

require_root
for f in "$proxy_bin" "$meterd"; do
	if [ ! -x "$f" ]; then
		echo "missing $f (build first)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
tmp=$(mktemp -d /tmp/tpx.XXXXXX)
chmod 755 "$tmp" # the proxies run as nobody and must reach ro.sock
logs() {
	echo "--- proxy T log (tail)"
	tail -n 30 "$tmp/t.log" 2>/dev/null
	echo "--- proxy P log (tail)"
	tail -n 15 "$tmp/p.log" 2>/dev/null
}
# an early exit (set -e) still says why, cleans up and counts as a failure
on_exit() {
	local rc=$?
	set +e
	if [ -n "$MADE_NS" ]; then
		logs
		fail "stopped early (exit status $rc)"
		finish
	fi
	rm -rf "$tmp"
}
trap on_exit EXIT

name_of() { printf 'meter%02d' "$1"; }
addr_of() { echo "100.64.0.$(($1 + 1))"; }
pretty() { echo -e "\x1b[32m\x1b[1m[+] $*\x1b[0m" >&2; }

# --- topology ---
pretty "topology: client, gateway, $devices devices"
ns_add cl
ns_add gw
link cl eth0 198.18.1.2/24 gw eth0 $gw/24
for i in $(seq $devices); do
	ns_add "d$i"
	link gw "tt-d$i" "" "d$i" eth0 ""
	n gw ip addr add 100.64.0.1 peer "$(addr_of "$i")" dev "tt-d$i"
	n "d$i" ip addr add "$(addr_of "$i")" peer 100.64.0.1 dev eth0
	if [ "$i" = 16 ]; then
		continue
	fi
	bg "d$i" "$meterd" -p 80 -n "$(name_of "$i")" -b "$(addr_of "$i")"
done
mkdir "$tmp/files"
head -c 2000000 /dev/urandom >"$tmp/files/big"
head -c 200000 /dev/urandom >"$tmp/files/post"
bg d16 python3 "$client" serve "$(addr_of 16)" 80 "$tmp/files"

# --- certificates: a test CA, the wildcard for proxy T, meter02's own for passthrough ---
pretty "certificates"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=tether-test-ca -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
cert() { # cert NAME DNS
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$tmp/$1.key" -out "$tmp/$1.csr" 2>/dev/null
	openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
		-CAcreateserial -days 2 -out "$tmp/$1.pem" \
		-extfile <(printf 'subjectAltName=DNS:%s\n' "$2") 2>/dev/null
	chmod 600 "$tmp/$1.key" # only root: the proxy reads it before dropping privileges
}
cert wild "*.$domain"
cert dev2 "meter02.$domain"
bg d2 openssl s_server -quiet -accept 443 -cert "$tmp/dev2.pem" -key "$tmp/dev2.key" -www

# --- fake tetherd and the two proxies ---
pretty "fake tetherd and two proxies"
{
	echo -n "["
	for i in $(seq $devices); do
		[ "$i" -gt 1 ] && echo -n ","
		echo -n "[\"$(name_of "$i")\", \"$(addr_of "$i")\", true]"
	done
	echo "]"
} >"$tmp/devices.json"
start_fake() {
	bg gw python3 "$fake" serve "$tmp/ro.sock" "$tmp/admin.sock" "$tmp/devices.json"
	FAKE_PID=$LAST_PID
	wait_for 5 test -S "$tmp/admin.sock"
}
admin() { python3 "$fake" send "$tmp/admin.sock" "$*"; }
start_fake

conf() { # conf FILE HTTP HTTPS [TLS]
	cat >"$1" <<-EOF
	[tetherd]
	private_key = $tmp/unused.key
	domain = $domain
	control = $tmp/rw.sock
	control_ro = $tmp/ro.sock
	proxy_user = nobody
	[proxy]
	http = $2
	https = $3
	EOF
	if [ -n "$4" ]; then
		printf 'tls_cert = %s\ntls_key = %s\n' "$tmp/wild.pem" "$tmp/wild.key" >>"$1"
	fi
}
conf "$tmp/t.conf" $gw:80 $gw:443 tls
conf "$tmp/p.conf" $gw:8080 $gw:8443
check "tether-proxy -n accepts the configuration" "$proxy_bin" -n -f "$tmp/t.conf"
sed "s|$tmp/wild.pem|$tmp/none.pem|" "$tmp/t.conf" >"$tmp/bad.conf"
refuses_cert() {
	! "$proxy_bin" -n -f "$tmp/bad.conf" 2>"$tmp/bad.err" &&
		grep -q "$tmp/none.pem: No such file" "$tmp/bad.err"
}
check "tether-proxy -n refuses a missing certificate, naming it" refuses_cert
bg gw "$proxy_bin" -d -f "$tmp/t.conf" 2>"$tmp/t.log"
PROXY_T=$LAST_PID
bg gw "$proxy_bin" -d -f "$tmp/p.conf" 2>"$tmp/p.log"
PROXY_P=$LAST_PID
listening() { n gw ss -Htln "sport = :$1" | grep -q .; }
wait_for 5 listening 80 && wait_for 5 listening 8443 ||
	fail "the proxies listen"

# curl from the client with Host routing: get HOST [PATH]
get() { n cl curl -s -m 5 -H "Host: $1" "http://$gw${2:-/}"; }
code() { n cl curl -s -o /dev/null -m 5 -w '%{http_code}' -H "Host: $1" "http://$gw${2:-/}"; }
# has HOST TEXT: the page for HOST says TEXT
has() { get "$1" | grep -q "$2"; }
code_is() { [ "$(code "$1")" = "$2" ]; }
wait_for 5 has "meter01.$domain" meter01 || fail "the proxy learnt the device table"

# --- routing ---
pretty "routing by Host to $devices devices"
right=0
for i in $(seq $devices); do
	nm=$(name_of "$i")
	if [ "$i" = 16 ]; then # the big-body device
		code_is "$nm.$domain" 404 && right=$((right + 1))
	elif get "$nm.$domain" | grep -q "<h1>meter $nm</h1>"; then
		right=$((right + 1))
	fi
done
check "$right of $devices devices answer with their own name" [ "$right" -eq $devices ]
check "Host is case-insensitive and its port ignored" has METER07.Remote.Test:80 'meter meter07'
check "unknown name: 404" code_is "nosuch.$domain" 404
check "other domain: 404" code_is meter01.example.com 404
check "bare domain: 404" code_is "$domain" 404

# --- TLS ---
pretty "TLS"
tls_has() { # tls_has PORT NAME PATH TEXT: through the client, checked with the test CA
	n cl curl -s -m 5 --cacert "$tmp/ca.pem" --resolve "$2.$domain:$1:$gw" \
		"https://$2.$domain:$1$3" | grep -q "$4"
}
check "TLS termination with the wildcard certificate" tls_has 443 meter03 / 'meter meter03'
check "terminated TLS forwards X-Forwarded-Proto: https" \
	tls_has 443 meter04 /headers 'X-Forwarded-Proto: https'
check_not "terminated TLS refuses a SNI outside the domain" \
	n cl curl -s -m 5 -k --resolve other.example.com:443:$gw https://other.example.com/
sv=$(n cl curl -s -m 5 -o /dev/null -w '%{http_code} %{ssl_verify_result}' -v --cacert "$tmp/ca.pem" \
	--resolve "meter02.$domain:8443:$gw" "https://meter02.$domain:8443/" 2>"$tmp/pass.err" || true)
check "SNI passthrough reaches the device's own TLS server (got '$sv')" [ "$sv" = "200 0" ]
check "SNI passthrough: the certificate is the device's, not the wildcard" \
	grep -q "subject: CN=meter02.$domain" "$tmp/pass.err"
check_not "SNI passthrough to an unknown name just closes" \
	n cl curl -s -m 5 -k --resolve "nosuch.$domain:8443:$gw" "https://nosuch.$domain:8443/"

# --- WebSocket, keep-alive forwarding fields ---
pretty "WebSocket and forwarding fields"
check "WebSocket echo through the proxy" n cl python3 "$client" ws $gw 80 "meter05.$domain"
check "forwarding fields right on the 2nd keep-alive request, forged ones replaced" \
	n cl python3 "$client" keepalive $gw 80 "meter06.$domain" 198.18.1.2
check "pipelined requests to two devices on one connection, answered in order" \
	n cl python3 "$client" pipeline $gw 80 "meter07.$domain" "meter08.$domain"

# --- error pages ---
pretty "error pages"
st() { [ "$(n cl python3 "$client" status $gw 80 "$1")" = "$2" ]; }
check "malformed request: 400" st 'GET / HTTP/1.1\r\nHost: meter01.remote.test\r\nBad Header\r\n\r\n' 400
check "request smuggling (Content-Length and chunked): 400" \
	st 'POST / HTTP/1.1\r\nHost: meter01.remote.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' 400
check "bad chunked request body: 400" \
	st 'POST /post HTTP/1.1\r\nHost: meter16.remote.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n' 400
check "head too large: 431" st 'GET / HTTP/1.1\r\nHost: meter01.remote.test\r\nX-Big: {big:20000}\r\n\r\n' 431
check "HTTP/2.0 request line: 505" st 'GET / HTTP/2.0\r\nHost: meter01.remote.test\r\n\r\n' 505
big_sum=$(sha256sum <"$tmp/files/big" | cut -d' ' -f1)
post_sum=$(sha256sum <"$tmp/files/post" | cut -d' ' -f1)
# sum_is WANT CURL-ARGS...: what curl gets through the proxy hashes (or says) WANT
sum_is() {
	local want=$1 got
	shift
	got=$(n cl curl -s -m 10 "$@" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || [ "$(n cl curl -s -m 10 "$@")" = "$want" ]
}
check "a 2 MB response body, plain HTTP (splice)" \
	sum_is "$big_sum" -H "Host: meter16.$domain" "http://$gw/big"
check "a 2 MB response body, TLS terminated (buffers)" \
	sum_is "$big_sum" --cacert "$tmp/ca.pem" --resolve "meter16.$domain:443:$gw" \
	"https://meter16.$domain/big"
check "a 2 MB chunked response body (chunks of 1 B to 70 KB, extensions, trailer)" \
	sum_is "$big_sum" -H "Host: meter16.$domain" "http://$gw/chunked/big"
check "a 2 MB response body delimited by the device closing" \
	sum_is "$big_sum" -H "Host: meter16.$domain" "http://$gw/close/big"
check "a 2 MB chunked response body over TLS" \
	sum_is "$big_sum" --cacert "$tmp/ca.pem" --resolve "meter16.$domain:443:$gw" \
	"https://meter16.$domain/chunked/big"
check "a 200 KB request body with Content-Length" \
	sum_is "$post_sum" -H "Host: meter16.$domain" -H 'Expect:' --data-binary @"$tmp/files/post" \
	"http://$gw/post"
check "a 200 KB chunked request body" \
	sum_is "$post_sum" -H "Host: meter16.$domain" -H 'Expect:' -H 'Transfer-Encoding: chunked' \
	--data-binary @"$tmp/files/post" "http://$gw/post"
check "a chunked request body over TLS, with Expect: 100-continue" \
	sum_is "$post_sum" --cacert "$tmp/ca.pem" --resolve "meter16.$domain:443:$gw" \
	-H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue' --data-binary @"$tmp/files/post" \
	"https://meter16.$domain/post"

admin offline meter09
t0=$(date +%s%N)
page=$(get "meter09.$domain" || true)
ms=$((($(date +%s%N) - t0) / 1000000))
check "offline device: 502 page saying since when, in ${ms} ms" \
	test "$(grep -c 'meter09 is offline since' <<<"$page")" = 1 -a $ms -lt 1000
admin online meter09
check "back online: served again" wait_for 2 has "meter09.$domain" 'meter meter09'

# a tunnel that went down before tetherd said so: a new connection fails at once (the
# offline/online events meanwhile dropped meter10's kept connections: they are from before)
admin offline meter10
admin online meter10
n gw ip link set tt-d10 down
t0=$(date +%s%N)
c10=$(code "meter10.$domain" || true)
ms=$((($(date +%s%N) - t0) / 1000000))
check "tunnel interface down: 502 at once ($c10 in ${ms} ms)" test "$c10" = 502 -a $ms -lt 1000
n gw ip link set tt-d10 up
# ... and a kept connection into it is given up after the TCP user timeout (5 s): 504
n gw ip link set tt-d17 down
c17=$(n cl curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}' -H "Host: meter17.$domain" \
	"http://$gw/" || true)
check "tunnel down under a kept connection: 504 within 7 s (got $c17)" \
	awk -v r="$c17" 'BEGIN { split(r, a, " "); exit !(a[1] == 504 && a[2] < 7) }'
n gw ip link set tt-d17 up

admin remove meter11
check "removed device: 404" wait_for 2 code_is "meter11.$domain" 404
admin add meter11 "$(addr_of 11)"
check "added device: served" wait_for 2 has "meter11.$domain" 'meter meter11'

# a device that drops every packet: 504 after 5 s (the connect timeout, or the TCP user
# timeout of a kept connection), while every other device goes on answering at once
printf 'table inet tpx {\n chain in {\n  type filter hook input priority 0; policy drop;\n }\n}\n' |
	n d12 nft -f -
n cl curl -s -o "$tmp/504.out" -m 10 -w '%{http_code} %{time_total}' -H "Host: meter12.$domain" \
	"http://$gw/" >"$tmp/504.code" &
slow_curl=$!
sleep 0.5
t0=$(date +%s%N)
others=$(get "meter13.$domain" | grep -c 'meter meter13' || true)
ms=$((($(date +%s%N) - t0) / 1000000))
check "a dead device does not block others (${ms} ms)" test "$others" = 1 -a $ms -lt 500
wait "$slow_curl" || true
read -r c12 t12 <"$tmp/504.code" || true
check "dead device: 504 after 5 s ($c12 after ${t12}s)" \
	sh -c "[ '$c12' = 504 ] && awk 'BEGIN { exit !($t12 >= 4.5 && $t12 < 7) }'"
n d12 nft delete table inet tpx

# --- slowloris ---
pretty "slowloris"
base=$(n cl curl -s -o /dev/null -m 5 -w '%{time_total}' -H "Host: meter14.$domain" "http://$gw/" ||
	echo 5)
n cl python3 "$client" slowloris $gw 80 "meter14.$domain" 200 12 "$tmp/slow.ready" >"$tmp/slow.out" 2>&1 &
slow=$!
wait_for 10 test -f "$tmp/slow.ready" || true
sleep 1
during=$(n cl curl -s -o /dev/null -m 5 -w '%{time_total}' -H "Host: meter14.$domain" "http://$gw/" ||
	echo 5)
check "200 slowloris connections: a normal request takes ${during}s (${base}s without)" \
	awk "BEGIN { exit !($during < $base + 0.2) }"
wait "$slow" || true
check "slowloris connections closed by the header timeout ($(cat "$tmp/slow.out"))" \
	grep -q "closed by the proxy: 200 of 200" "$tmp/slow.out"

# --- tetherd restarts ---
pretty "fake tetherd restarts"
stop_pid "$FAKE_PID"
check "tetherd gone: answers from the last known table" has "meter15.$domain" 'meter meter15'
sed -i 's/\["meter15", "\([0-9.]*\)", true\]/["meter15", "\1", false]/' "$tmp/devices.json"
start_fake
check "tetherd back: the proxy reconnects and takes the new table" \
	wait_for 8 has "meter15.$domain" 'meter15 is offline'

# --- privileges ---
pretty "privileges"
for pid in $PROXY_T $PROXY_P; do
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	caps=$(awk '/^Cap(Inh|Prm|Eff|Amb):/ { printf "%s", $2 }' "/proc/$pid/status")
	nobody=$(id -u nobody)
	check "proxy $pid runs as nobody (uid $uids, gid $gids)" \
		[ "$uids" = "$nobody $nobody $nobody $nobody" ]
	check "proxy $pid has no capability ($caps)" [ "$caps" = "$(printf '0%.0s' $(seq 64))" ]
	check "proxy $pid has no supplementary group" \
		[ "$(awk '/^Groups:/ { print $2 }' "/proc/$pid/status")" = "$(id -g nobody)" ]
	check "proxy $pid has no_new_privs" grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status"
done
check "the proxies are still running" kill -0 "$PROXY_T" "$PROXY_P"
kill -USR1 "$PROXY_T"
sleep 0.2
check "SIGUSR1 logs per-device counters" grep -q 'device meter01: online requests=' "$tmp/t.log"
check "an access log line per request" \
	grep -q 'client=198.18.1.2 device=meter09 method=GET path=/ status=502 .* note=offline' "$tmp/t.log"
if [ "$TESTS_FAILED" -gt 0 ]; then
	logs
fi

finish
