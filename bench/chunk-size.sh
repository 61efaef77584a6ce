#!/usr/bin/env bash
# chunk-size.sh - sweeps foothold's --chunk-size over interleaved rounds of an exec storm.
#
# usage: bench/chunk-size.sh [BUILD]        (BUILD defaults to build/; needs root)
#
# For the plain variant and the 50x100-char argv variant, runs ROUNDS rounds; each round runs
# a no-monitor baseline and foothold procs --json --chunk-size S for every S in SIZES, in an
# order rotated every round. Reports foothold CPU ms per 1000 execs, total CPU per exec, ring
# records per exec and completeness, as medians with their spread.
# Environment: ROUNDS (7), N (4000), WORKERS (2), SIZES (256,512,1024,2048,4096),
# VARIANTS (plain,args50x100).
# Results: stdout and bench/out/results-chunk-<date>.md (raw runs: bench/out/raw-chunk-*.jsonl).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${1:-$repo/build}
build=$(cd "$build" && pwd)

name=chunk-size
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

rounds=${ROUNDS:-7}
n=${N:-4000}
workers=${WORKERS:-2}
sizes=${SIZES:-256,512,1024,2048,4096}
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$here/out"
python3 "$here/analyze.py" chunk \
	--foothold "$work/foothold" --foothold-src "$build/foothold" \
	--execstorm "$build/execstorm" --exe "$work/true" \
	--workdir "$work" --repo "$repo" --rounds "$rounds" --n "$n" --workers "$workers" \
	--variants "${VARIANTS:-plain,args50x100}" --sizes "$sizes" \
	--md "$here/out/results-chunk-$stamp.md" --raw "$here/out/raw-chunk-$stamp.jsonl" \
	--cmdline "ROUNDS=$rounds N=$n WORKERS=$workers SIZES=$sizes bench/chunk-size.sh $build"
