#!/usr/bin/env bash
# file-storm.sh - what foothold's file monitoring costs, whether it misses items, how fast it is.
#
# usage: bench/file-storm.sh [--rounds N] [BUILD]     (BUILD defaults to build/; needs root)
#
# In one run, ROUNDS interleaved rounds of: (1) a create/write/close/rename/unlink storm in a
# directory foothold does not watch, with no daemon, with `foothold run --root DIR` and with
# `foothold run` on the real /, and the same storm of non-item files in a watched home with
# and without `--root DIR`: CPU per operation (workload + daemon); (2) N new cron.d files
# from 1 and from 2 writers, and N appends to shell start-up files, with and without the
# daemon: completeness, alerts/s, fanotify.overflows, CPU per file; (3) paced new files and
# appends: latency from close(2) to the alert's @timestamp. See bench/FILES.md.
# Environment: ROUNDS (7; --rounds wins), N_OUTSIDE (40000), OUT_WORKERS (1), OUT_REPS (3),
# N_SIBLING (10000), N_CREATE (2000), N_MODIFY (2000), N_LAT (200), INTERVAL_MS (20),
# TMPBASE (/var/tmp), KEEP=1 keeps the work directory and foothold's output files.
# Results: stdout and bench/out/files-<date>.md (raw runs: bench/out/files-raw-<date>.jsonl).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
rounds=${ROUNDS:-7}
if [ "${1:-}" = "--rounds" ]; then
	rounds=${2:?--rounds needs a number}
	shift 2
fi
build=${1:-$repo/build}
build=$(cd "$build" && pwd)

name=file-storm
die() {
	echo "$name: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (foothold uses fanotify and eBPF)"
[ -x "$build/foothold" ] || die "no $build/foothold; run make first"
command -v python3 >/dev/null || die "needs python3"

# On the root filesystem (not tmpfs), like the machine's own persistence locations.
work=$(mktemp -d "${TMPBASE:-/var/tmp}/fh-files.XXXXXX")
if [ -n "${KEEP:-}" ]; then
	echo "$name: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
[ "$(findmnt -n -o FSTYPE -T "$work")" = tmpfs ] && echo "$name: warning: $work is on tmpfs" >&2

cc -O2 -Wall -Wextra -Werror -o "$work/filestorm" "$here/filestorm.c"
# A snapshot: a concurrent rebuild must not swap the binary in the middle of the rounds.
cp "$build/foothold" "$work/foothold"
# Defaults, but every decision's state in the work dir (never /var/lib/foothold), no socket.
printf '# file-storm.sh: defaults, state in the work dir\n[general]\npid_file = %s/foothold.pid\n[decisions]\nrules_dir = %s/rules.d\nlearned_rules = %s/learned.rules\nquarantine_dir = %s/quarantine\nstate_dir = %s/state\nsocket = none\n' \
	"$work" "$work" "$work" "$work" "$work" >"$work/foothold.conf"

stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$here/out"
settings=$(env | grep -E '^(N_OUTSIDE|OUT_WORKERS|OUT_REPS|N_SIBLING|N_CREATE|N_MODIFY|N_LAT|INTERVAL_MS|TMPBASE)=' |
	sort | tr '\n' ' ' || true)
cmdline="${settings}bench/file-storm.sh --rounds $rounds $build"
python3 "$here/filestorm_analyze.py" \
	--foothold "$work/foothold" --foothold-src "$build/foothold" --filestorm "$work/filestorm" \
	--workdir "$work" --config "$work/foothold.conf" --repo "$repo" --rounds "$rounds" \
	--n-outside "${N_OUTSIDE:-40000}" --out-workers "${OUT_WORKERS:-1}" \
	--out-reps "${OUT_REPS:-3}" --n-sibling "${N_SIBLING:-10000}" \
	--n-create "${N_CREATE:-2000}" --n-modify "${N_MODIFY:-2000}" --n-lat "${N_LAT:-200}" \
	--interval-ms "${INTERVAL_MS:-20}" ${KEEP:+--keep} \
	--md "$here/out/files-$stamp.md" --raw "$here/out/files-raw-$stamp.jsonl" \
	--cmdline "$cmdline"
