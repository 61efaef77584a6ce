#!/usr/bin/env bash
# deny-bench.sh - what foothold's pre-emptive deny costs: the wait in open(2), and everyone else.
#
# usage: bench/deny-bench.sh [--rounds N] [BUILD]     (BUILD defaults to build/; needs root)
#
# In one run, ROUNDS interleaved rounds of, under `[decisions] lockdown = cron-d`: (1) N
# opens of existing DIR/etc/cron.d files, each timed alone, by a writer a rule allows (paced,
# back to back, and alongside a refused writer), by one no rule allows (refused: EPERM),
# read-only, and with no daemon: p50/p99/max of open(2); (2) an open/read/close storm in a
# directory foothold does not protect, with no daemon, with the lockdown daemon and with a
# daemon without lockdown: CPU per operation (workload + daemon); (3) the daemon's deny
# counters against what the writers saw. See bench/DENY.md.
# Environment: ROUNDS (7; --rounds wins), N (2000), N_PACED (300), N_BURST (400),
# N_CONTEND (50), INTERVAL_US (10000), HANG_S (120: a writer still in open() after this long
# is a hang), N_STORM (100000), STORM_REPS (3), TMPBASE (/var/tmp), KEEP=1 keeps the work
# directory and foothold's output files.
# Results: stdout and bench/out/deny-<date>.md (raw runs: bench/out/deny-raw-<date>.jsonl).
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

name=deny-bench
die() {
	echo "$name: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (foothold uses fanotify permission events and eBPF)"
[ -x "$build/foothold" ] || die "no $build/foothold; run make first"
command -v python3 >/dev/null || die "needs python3"

# On the root filesystem (not tmpfs): the permission marks and the storm share a superblock,
# as /etc and /var/tmp do on a real machine.
work=$(mktemp -d "${TMPBASE:-/var/tmp}/fh-deny.XXXXXX")
if [ -n "${KEEP:-}" ]; then
	echo "$name: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
[ "$(findmnt -n -o FSTYPE -T "$work")" = tmpfs ] && echo "$name: warning: $work is on tmpfs" >&2

cc -O2 -Wall -Wextra -Werror -o "$work/denybench" "$here/denybench.c"
# The same program under a second name, so that a rule can allow it and not the first.
cp "$work/denybench" "$work/denybench-allowed"
# A snapshot: a concurrent rebuild must not swap the binary in the middle of the rounds.
cp "$build/foothold" "$work/foothold"

mkdir -p "$work/rules.d" "$work/rules-none.d" "$work/q" "$work/state"
echo "allow exe=$(realpath "$work/denybench-allowed") type=cron-d" >"$work/rules.d/allow.rules"
conf() { # conf LOCKDOWN RULES_DIR
	printf '[general]\nhealth_interval = 0\npid_file = %s/foothold.pid\n[decisions]\n%srules_dir = %s\n' "$work" "$1" "$2"
	printf 'learned_rules = %s\nquarantine_dir = %s\nstate_dir = %s\nsocket = none\n' \
		"$work/learned.rules" "$work/q" "$work/state"
}
conf 'lockdown = cron-d
' "$work/rules.d" >"$work/foothold.conf"
conf '' "$work/rules-none.d" >"$work/foothold-nolock.conf"

stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$here/out"
vars='N|N_PACED|N_BURST|N_CONTEND|INTERVAL_US|HANG_S|N_STORM|STORM_REPS|TMPBASE'
settings=$(env | grep -E "^($vars)=" |
	sort | tr '\n' ' ' || true)
cmdline="${settings}bench/deny-bench.sh --rounds $rounds $build"
python3 "$here/deny_analyze.py" \
	--foothold "$work/foothold" --foothold-src "$build/foothold" \
	--denied-exe "$work/denybench" --allowed-exe "$work/denybench-allowed" \
	--workdir "$work" --config "$work/foothold.conf" --config-nolock "$work/foothold-nolock.conf" \
	--repo "$repo" --rounds "$rounds" --n "${N:-2000}" --n-paced "${N_PACED:-300}" \
	--n-burst "${N_BURST:-400}" --n-contend "${N_CONTEND:-50}" \
	--interval-us "${INTERVAL_US:-10000}" --hang-s "${HANG_S:-120}" \
	--n-storm "${N_STORM:-100000}" --storm-reps "${STORM_REPS:-3}" ${KEEP:+--keep} \
	--md "$here/out/deny-$stamp.md" --raw "$here/out/deny-raw-$stamp.jsonl" \
	--cmdline "$cmdline"
