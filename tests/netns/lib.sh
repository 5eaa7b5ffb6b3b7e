# Helpers for Tether's network tests, sourced by tests/netns/*.sh.
# Every namespace a test makes is named "$NS_PREFIX-<role>" and every
# process it starts is remembered, so cleanup removes exactly what the test
# made, even on failure. Shape: wireguard-linux-compat's src/tests/netns.sh.

NS_PREFIX=${NS_PREFIX:-tt$$}
TESTS_PASSED=0
TESTS_FAILED=0
STARTED_PIDS=()
MADE_NS=()

ns() { echo "$NS_PREFIX-$1"; }

# n ROLE CMD...: run CMD inside the namespace of ROLE
n() {
	local role=$1
	shift
	ip netns exec "$(ns "$role")" "$@"
}

ns_add() {
	ip netns add "$(ns "$1")"
	MADE_NS+=("$(ns "$1")")
	n "$1" ip link set lo up
}

# link ROLE_A IF_A ADDR_A ROLE_B IF_B ADDR_B: a veth pair between two
# namespaces, addresses with prefix (e.g. 198.18.0.1/24)
link() {
	local tmp_a="v$$a$RANDOM" tmp_b="v$$b$RANDOM"
	ip link add "$tmp_a" type veth peer name "$tmp_b"
	ip link set "$tmp_a" netns "$(ns "$1")"
	ip link set "$tmp_b" netns "$(ns "$4")"
	n "$1" ip link set "$tmp_a" name "$2"
	n "$4" ip link set "$tmp_b" name "$5"
	[ -n "$3" ] && n "$1" ip addr add "$3" dev "$2"
	[ -n "$6" ] && n "$4" ip addr add "$6" dev "$5"
	n "$1" ip link set "$2" up
	n "$4" ip link set "$5" up
}

# bg ROLE CMD...: start CMD in the background inside ROLE, remember its PID
bg() {
	local role=$1
	shift
	ip netns exec "$(ns "$role")" "$@" &
	STARTED_PIDS+=($!)
	LAST_PID=$!
}

stop_pid() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup_netns() {
	local pid ns_name
	set +e
	for pid in "${STARTED_PIDS[@]}"; do
		stop_pid "$pid"
	done
	for ns_name in "${MADE_NS[@]}"; do
		ip netns pids "$ns_name" 2>/dev/null | while read -r pid; do
			# only what this test started runs there; make sure of it
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns_name" 2>/dev/null
	done
}

# wait_for TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds
wait_for() {
	local timeout=$1 i
	shift
	for i in $(seq $((timeout * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

pass() {
	TESTS_PASSED=$((TESTS_PASSED + 1))
	echo "ok: $*"
}

fail() {
	TESTS_FAILED=$((TESTS_FAILED + 1))
	echo "FAIL: $*"
}

# check DESCRIPTION CMD...: a test case that passes when CMD succeeds
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# check_not DESCRIPTION CMD...: passes when CMD fails
check_not() {
	local what=$1
	shift
	if "$@"; then fail "$what"; else pass "$what"; fi
}

# The final line that scripts/test.sh counts. Also checks that nothing the
# test made is left behind.
finish() {
	cleanup_netns
	local ns_name
	for ns_name in "${MADE_NS[@]}"; do
		if ip netns list | grep -qw "$ns_name"; then
			fail "namespace $ns_name left behind"
		fi
	done
	MADE_NS=()
	STARTED_PIDS=()
	echo "$TESTS_PASSED passed, $TESTS_FAILED failed"
	[ "$TESTS_FAILED" -eq 0 ]
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "this network test needs root (it creates network namespaces)"
		echo "0 passed, 1 failed"
		exit 1
	fi
}
