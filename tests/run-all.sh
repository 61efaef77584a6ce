#!/usr/bin/env bash
# Runs every test tier: format, unit (cmocka), fuzz (libFuzzer, briefly), root (real kernel).
# Each tier prints "PASS name" / "FAIL name" / "SKIP name" lines; the last line is the total.
set -u
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=$(mktemp -d /tmp/foothold-tests.XXXXXX)
pass=0 fail=0 skip=0

record() { # record STATUS NAME
	echo "$1 $2"
	case $1 in PASS) pass=$((pass + 1)) ;; FAIL) fail=$((fail + 1)) ;; SKIP) skip=$((skip + 1)) ;; esac
}

# Tier 1: formatting (kernel style, .clang-format).
if tests/check-format.sh >"$log/format.txt" 2>&1; then record PASS format; else
	cat "$log/format.txt"; record FAIL format; fi

# Tier 2: unit tests, one cmocka program per pure module.
for t in "$BUILD"/tests/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=unit/$(basename "$t")
	if "$t" >"$log/$(basename "$t").txt" 2>&1; then record PASS "$name"; else
		cat "$log/$(basename "$t").txt"; record FAIL "$name"; fi
done

# Tier 3: fuzzers, briefly, on the committed corpora.
while read -r status name; do
	record "$status" "$name"
done < <(tests/fuzz/run.sh "$BUILD" 2>"$log/fuzz.txt" | grep -E '^(PASS|FAIL|SKIP) ')
grep -q . "$log/fuzz.txt" && grep -E 'ERROR|FAIL' "$log/fuzz.txt" | head -20

# Tier 4: root integration tests against the real kernel.
if [ "$(id -u)" -eq 0 ]; then
	while read -r status name; do
		record "$status" "$name"
	done < <(tests/root/run.sh "$BUILD" 2>"$log/root.txt" | grep -E '^(PASS|FAIL|SKIP) ')
	grep -E 'FAIL|Error|error' "$log/root.txt" | head -40
else
	record SKIP "root (not root)"
fi

echo "logs: $log"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
