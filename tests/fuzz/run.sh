#!/usr/bin/env bash
# run.sh - builds every tests/fuzz/fuzz_*.c with libFuzzer and sanitizers and runs each briefly.
#
# Usage: tests/fuzz/run.sh [BUILD_DIR]   (default: build; binaries go to BUILD_DIR/fuzz/)
# Prints PASS/FAIL lines for tests/run-all.sh. FUZZ_SECONDS (default 20) is each target's time budget. The committed seeds in
# tests/fuzz/corpus/<name without fuzz_>/ are copied to a temporary directory first, so a
# run never modifies the repository. Exits non-zero when a target fails to build or crashes;
# the crashing input and the log are left in BUILD_DIR/fuzz/.
set -euo pipefail

# The sources each target needs besides its own file. Add a line per new target.
declare -A FUZZ_SOURCES=(
	[fuzz_wire]="src/wire/wire.c"
	[fuzz_fanrec]="src/wire/fanrec.c"
	[fuzz_out]="src/out/out.c src/common/text.c src/common/clock.c src/wire/wire.c"
	[fuzz_catalog]="src/persist/catalog.c"
	[fuzz_detail_cron]="src/persist/detail_cron.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_unit]="src/persist/detail_unit.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_diff]="src/persist/detail_diff.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_keys]="src/persist/detail_keys.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_files]="src/persist/detail_files.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_accounts]="src/persist/detail_accounts.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_kernel]="src/persist/detail_kernel.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_boot]="src/persist/detail_boot.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_auth]="src/persist/detail_auth.c src/persist/detail_json.c src/common/text.c"
	[fuzz_detail_item]="src/persist/detail.c src/persist/detail_misc.c src/persist/detail_cron.c src/persist/detail_unit.c src/persist/detail_diff.c src/persist/detail_keys.c src/persist/detail_files.c src/persist/detail_accounts.c src/persist/detail_kernel.c src/persist/detail_boot.c src/persist/detail_auth.c src/persist/detail_json.c src/common/text.c"
	[fuzz_config]="src/daemon/config.c src/common/text.c src/common/log.c"
	[fuzz_rules]="src/policy/rules.c src/persist/catalog.c src/common/text.c src/common/log.c src/common/clock.c"
	[fuzz_api]="src/api/frame.c src/common/text.c"
	[fuzz_scan]="src/scan/pkgdb.c src/scan/cache.c src/scan/flags.c src/common/map.c src/common/text.c"
)
# The libraries each target links, besides libFuzzer's runtime.
declare -A FUZZ_LIBS=(
	[fuzz_out]="-ljansson"
	[fuzz_detail_cron]="-ljansson"
	[fuzz_detail_unit]="-ljansson"
	[fuzz_detail_diff]="-ljansson"
	[fuzz_detail_keys]="-ljansson -lmd"
	[fuzz_detail_files]="-ljansson"
	[fuzz_detail_accounts]="-ljansson"
	[fuzz_detail_kernel]="-ljansson"
	[fuzz_detail_boot]="-ljansson"
	[fuzz_detail_auth]="-ljansson"
	[fuzz_detail_item]="-ljansson -lmd"
	[fuzz_config]="-linih"
	[fuzz_rules]="-lmd"
	[fuzz_api]="-ljansson"
	[fuzz_scan]="-ljansson"
)

CC=${CC:-clang}
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-std=c11 -D_GNU_SOURCE -Isrc -Ibpf)

cd "$(dirname "$0")/../.."
build=${1:-build}
out="$build/fuzz"
mkdir -p "$out"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
shopt -s nullglob
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	read -r -a extra <<<"${FUZZ_SOURCES[$name]:-}"
	read -r -a libs <<<"${FUZZ_LIBS[$name]:-}"
	if ! "$CC" "${CFLAGS[@]}" "$src" "${extra[@]}" -o "$out/$name" "${libs[@]}"; then
		echo "fuzz: $name FAILED to build"
		echo "FAIL fuzz/$name"
		status=1
		continue
	fi

	corpus="$tmp/$name"
	mkdir -p "$corpus"
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	if [ -d "$seeds" ]; then
		cp -R "$seeds/." "$corpus/"
	fi

	log="$out/$name.log"
	if "$out/$name" "$corpus" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 \
		-artifact_prefix="$out/$name-" >"$log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
		echo "fuzz: $name ok (${runs:-?} runs)"
		echo "PASS fuzz/$name"
	else
		tail -n 40 "$log"
		echo "fuzz: $name FAILED (log: $log)"
		echo "FAIL fuzz/$name"
		status=1
	fi
done

exit "$status"
