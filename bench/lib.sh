# lib.sh - what the bench scripts share: checks, the workload build, a snapshot of foothold.
# Sourced by exec-storm.sh and chunk-size.sh after they set $name, $here and $build.
# Sets $work (a temp dir holding foothold and a copy of /bin/true), removed on exit unless
# KEEP is set.

die() {
	echo "$name: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (foothold loads eBPF programs)"
[ -x "$build/foothold" ] || die "no $build/foothold; run make first"
command -v python3 >/dev/null || die "needs python3"

cc -O2 -Wall -Wextra -Werror -o "$build/execstorm" "$here/execstorm.c"

work=$(mktemp -d /tmp/fh-bench.XXXXXX)
if [ -n "${KEEP:-}" ]; then
	echo "$name: keeping foothold's output files in $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
# A snapshot: a concurrent rebuild must not swap the binary in the middle of the rounds.
cp "$build/foothold" "$work/foothold"
cp /bin/true "$work/true"
