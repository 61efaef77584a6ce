#!/usr/bin/env bash
# fanotify-marks.sh - what fanotify marks cost file operations, in watched and unwatched dirs.
#
# usage: bench/fanotify-marks.sh                     (needs root; no foothold build needed)
#
# Builds bench/fanbench.c, makes /var/tmp/fh-fan.XXXXXX/{watched,sibling} on the root
# filesystem and runs ROUNDS interleaved rounds of seven configurations (no fanotify; a
# filesystem mark with an event or batch reader, and with an ignore mark on the sibling; an
# inode mark on watched/ with the storm in sibling/ or in watched/), each a storm of N file
# operations. See bench/FANOTIFY.md.
# Environment: ROUNDS (7), N (20000), TMPBASE (/var/tmp), KEEP=1 keeps the temp tree.
# Results: stdout and bench/out/fanotify-<date>.md (raw runs: bench/out/fanotify-raw-<date>.jsonl).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=fanotify-marks
die() {
	echo "$name: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (fanotify filesystem and inode marks)"
command -v python3 >/dev/null || die "needs python3"

work=$(mktemp -d "${TMPBASE:-/var/tmp}/fh-fan.XXXXXX")
if [ -n "${KEEP:-}" ]; then
	echo "$name: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
mkdir "$work/watched" "$work/sibling"
fstype=$(findmnt -n -o FSTYPE -T "$work")
[ "$fstype" = tmpfs ] && echo "$name: warning: $work is on tmpfs" >&2

cc -O2 -Wall -Wextra -Werror -o "$work/fanbench" "$here/fanbench.c"

mkdir -p "$here/out"
stamp=$(date +%Y%m%d-%H%M%S)
python3 "$here/fanotify_analyze.py" --fanbench "$work/fanbench" --root "$work" \
	--rounds "${ROUNDS:-7}" -n "${N:-20000}" \
	--out "$here/out/fanotify-$stamp.md" --raw "$here/out/fanotify-raw-$stamp.jsonl" \
	--fstype "$fstype" \
	--command "$(env | grep -E '^(ROUNDS|N|TMPBASE)=' | sort | tr '\n' ' ')bench/fanotify-marks.sh"
