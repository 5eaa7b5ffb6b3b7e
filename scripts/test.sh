#!/usr/bin/env bash
# Builds Tether from scratch and runs every test: unit tests, network tests
# in namespaces, the unit tests again under ASan+UBSan, and a short run of
# every fuzz harness. Prints each Criterion summary and, last, one line
# "N passed, N failed". Exits non-zero on any failure.
#
#   ./scripts/test.sh              everything
#   FUZZ_SECONDS=60 ./scripts/test.sh   longer fuzz runs (default 10 s each)
#   SKIP_FUZZ=1 SKIP_ASAN=1 ./scripts/test.sh   a quicker local loop
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

fuzz_seconds=${FUZZ_SECONDS:-10}
logs=$(mktemp -d /tmp/tether-test.XXXXXX)
passed=0
failed=0
broken=()

./scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

# tally LOG LABEL: add up what the tests in LOG reported. Criterion's
# summary line and our own "N passed, N failed" line both count; a
# Criterion run that tested nothing counts as a failure.
tally() {
	local log=$1 label=$2 line t p f c
	while IFS= read -r line; do
		echo "$label: $line"
		if [[ $line =~ Tested:\ ([0-9]+)\ \|\ Passing:\ ([0-9]+)\ \|\ Failing:\ ([0-9]+)\ \|\ Crashing:\ ([0-9]+) ]]; then
			t=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]} c=${BASH_REMATCH[4]}
			passed=$((passed + p))
			failed=$((failed + f + c))
			if [ "$t" -eq 0 ]; then
				failed=$((failed + 1))
				broken+=("$label: a Criterion suite ran no test")
			fi
		elif [[ $line =~ ^([A-Za-z-]+:\ )?([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
			passed=$((passed + BASH_REMATCH[2]))
			failed=$((failed + BASH_REMATCH[3]))
		fi
	done < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'Synthesis: Tested:|^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed')
}

# run_meson_tests BUILD LABEL SUITE...: run the suites, keep the full log,
# and count a test binary that failed without printing a summary.
run_meson_tests() {
	local build=$1 label=$2 log="$logs/$2.log" args=() s
	shift 2
	for s in "$@"; do args+=(--suite "$s"); done
	meson test -C "$build" "${args[@]}" -v --print-errorlogs --num-processes 2 >"$log" 2>&1
	local rc=$?
	tally "$log" "$label"
	if [ $rc -ne 0 ]; then
		broken+=("$label: meson test exited $rc (log: $log)")
		grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$log" | sed "s/^/$label: /"
		# a binary that died before its summary still counts as a failure
		local fails
		fails=$(grep -cE '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$log")
		[ "$fails" -gt 0 ] || fails=1
		failed=$((failed + fails))
	fi
}

build() {
	local dir=$1
	shift
	rm -rf "$dir"
	if ! meson setup "$dir" "$@" >"$logs/$(basename "$dir")-setup.log" 2>&1; then
		cat "$logs/$(basename "$dir")-setup.log"
		return 1
	fi
	if ! ninja -C "$dir" >"$logs/$(basename "$dir")-build.log" 2>&1; then
		tail -50 "$logs/$(basename "$dir")-build.log"
		return 1
	fi
}

echo "== build"
if build build; then
	echo "== unit and network tests"
	run_meson_tests build tests unit netns
else
	broken+=("build failed")
	failed=$((failed + 1))
fi

if [ -z "${SKIP_ASAN:-}" ]; then
	echo "== unit tests under ASan and UBSan"
	if build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
			run_meson_tests build-asan asan unit
	else
		broken+=("sanitizer build failed")
		failed=$((failed + 1))
	fi
fi

if [ -z "${SKIP_FUZZ:-}" ]; then
	echo "== fuzz harnesses, ${fuzz_seconds}s each"
	if CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dtests=disabled; then
		for fuzzer in build-fuzz/tests/fuzz/fuzz_*; do
			[ -f "$fuzzer" ] && [ -x "$fuzzer" ] || continue
			name=$(basename "$fuzzer")
			corpus="$logs/corpus-$name"
			mkdir -p "$corpus"
			seeds="tests/fuzz/corpus/${name#fuzz_}"
			[ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
			if "$fuzzer" -max_total_time="$fuzz_seconds" -timeout=5 -rss_limit_mb=1024 \
				-print_final_stats=1 "$corpus" >"$logs/$name.log" 2>&1; then
				runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$logs/$name.log" | grep -oE '[0-9]+$')
				echo "fuzz: $name clean after ${runs:-?} inputs"
				passed=$((passed + 1))
			else
				echo "fuzz: $name FAILED (log: $logs/$name.log)"
				grep -E 'ERROR|SUMMARY' "$logs/$name.log" | head -5
				broken+=("fuzz: $name crashed")
				failed=$((failed + 1))
			fi
		done
	else
		broken+=("fuzz build failed")
		failed=$((failed + 1))
	fi
fi

for b in "${broken[@]}"; do echo "FAILED: $b"; done
echo "logs: $logs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
