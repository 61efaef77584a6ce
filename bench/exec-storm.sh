#!/usr/bin/env bash
# exec-storm.sh - foothold's exec-storm benchmark: exec rate, CPU, completeness and exactness.
#
# usage: bench/exec-storm.sh [--rss] [BUILD]        (BUILD defaults to build/; needs root)
#
# Default mode: for each variant (plain argv; 50 arguments of 100 chars; a 3000-char
# executable path) runs ROUNDS interleaved rounds of {no monitor, foothold procs --json,
# foothold procs --json --wakeup batch}, N execs each, and prints a table of medians.
# --rss: one run of RSS_N execs under foothold procs --json --grace 3600; reports VmRSS,
# VmHWM and the process table size.
# Environment: ROUNDS (7), N (4000), WORKERS (2), RSS_N (100000), VARIANTS
# (plain,args50x100,path3000), KEEP=1 keeps foothold's output files (and the temp dir).
# Results: stdout and bench/out/results-<date>.md (raw runs: bench/out/raw-<date>.jsonl).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
mode=storm
if [ "${1:-}" = "--rss" ]; then
	mode=rss
	shift
fi
build=${1:-$repo/build}
build=$(cd "$build" && pwd)

name=exec-storm
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

# The same executable under a path of exactly 3000 characters (components of 200 chars).
long=$(realpath "$work")/long
while [ $((3000 - ${#long} - 1 - 5)) -gt 255 ]; do
	long="$long/$(printf 'd%.0s' $(seq 200))"
done
last=$((3000 - ${#long} - 1 - 5))
long="$long/$(printf 'e%.0s' $(seq "$last"))"
mkdir -p "$long"
cp /bin/true "$long/true"
[ ${#long} -eq 2995 ] || die "long path is ${#long}+5 characters, not 3000"

if [ "$mode" = rss ]; then
	cmdline="RSS_N=${RSS_N:-100000} WORKERS=${WORKERS:-2} bench/exec-storm.sh --rss $build"
else
	cmdline="ROUNDS=${ROUNDS:-7} N=${N:-4000} WORKERS=${WORKERS:-2} bench/exec-storm.sh $build"
fi
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$here/out"
if [ "$mode" = rss ]; then
	md="$here/out/results-rss-$stamp.md"
	n=${RSS_N:-100000}
	rounds=1
else
	md="$here/out/results-$stamp.md"
	n=${N:-4000}
	rounds=${ROUNDS:-7}
fi

python3 "$here/analyze.py" "$mode" \
	--foothold "$work/foothold" --foothold-src "$build/foothold" \
	--execstorm "$build/execstorm" --exe "$work/true" --long-exe "$long/true" \
	--workdir "$work" --repo "$repo" --rounds "$rounds" --n "$n" \
	--workers "${WORKERS:-2}" --variants "${VARIANTS:-plain,args50x100,path3000}" \
	${KEEP:+--keep} --md "$md" --raw "$here/out/raw-$mode-$stamp.jsonl" \
	--cmdline "$cmdline"
