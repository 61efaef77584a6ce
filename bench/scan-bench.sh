#!/usr/bin/env bash
# scan-bench.sh - how long `foothold scan` takes on this machine: cold, warm without the
# digest cache, warm with it (bench/SCAN.md).
# Usage: bench/scan-bench.sh [BUILD] (ROUNDS=11 by default; root: it drops the page cache)
#
# Each round runs, in this order:
#   cold     sync; echo 3 > /proc/sys/vm/drop_caches; the digest cache removed
#            (STATE/scan-cache); then a scan (which writes the cache again)
#   nocache  a scan with --no-cache: the page cache is warm, every item is read and hashed
#   cache    a scan with the digest cache the cold run left: unchanged files are not hashed
# so the three kinds are interleaved and share whatever else the machine is doing. Every
# scan is `foothold scan --no-progress` (the table, to stdout, to a file) timed by
# /usr/bin/time: wall, user and sys seconds; items and directories read come from the
# scan's own summary line. Prints the median and min..max of each, and the raw figures.
set -u
name=scan-bench
build=${1:-build}
rounds=${ROUNDS:-11}
state=${STATE:-/var/lib/foothold}

die() {
	echo "$name: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (it drops the page cache)"
[ -x "$build/foothold" ] || die "no $build/foothold; build first"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"
command -v python3 >/dev/null || die "needs python3"

work=$(mktemp -d /tmp/fh-scan-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# A snapshot: a concurrent rebuild must not swap the binary in the middle of the rounds.
cp "$build/foothold" "$work/foothold"
# The digest cache is restored afterwards as it was (a bench must not leave it changed).
[ -f "$state/scan-cache" ] && cp -p "$state/scan-cache" "$work/scan-cache.orig"

one() { # kind, extra args...
	local kind=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$work/time" "$work/foothold" scan --no-progress "$@" \
		>"$work/out" 2>"$work/err" || die "$kind: foothold scan exited $?: $(tail -3 "$work/err")"
	local sum
	sum=$(grep -E '^[0-9]+ item\(s\)' "$work/out" | tail -1)
	read -r wall user sys <"$work/time"
	items=$(echo "$sum" | sed -E 's/^([0-9]+) item.*/\1/')
	dirs=$(echo "$sum" | sed -E 's/.*\(([0-9]+) directories read.*/\1/')
	hits=$(echo "$sum" | sed -E 's/.*digests cached: ([0-9]+)\).*/\1/')
	printf '{"kind":"%s","wall":%s,"user":%s,"sys":%s,"items":%s,"dirs":%s,"cached":%s}\n' \
		"$kind" "$wall" "$user" "$sys" "$items" "$dirs" "$hits" >>"$work/raw.jsonl"
}

echo "$name: $rounds rounds of cold / warm --no-cache / warm with the digest cache;" \
	"load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
start=$(date +%s)
for i in $(seq 1 "$rounds"); do
	rm -f "$state/scan-cache"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	one cold
	one nocache --no-cache
	one cache
	echo "$name: round $i/$rounds done ($(($(date +%s) - start)) s)" >&2
done
if [ -f "$work/scan-cache.orig" ]; then
	cp -p "$work/scan-cache.orig" "$state/scan-cache"
fi
echo "$name: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$work/raw.jsonl" "$rounds" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("%d rounds, kernel %s" % (int(sys.argv[2]), open("/proc/sys/kernel/osrelease").read().strip()))
print()
print("| run | wall s median (min..max) | CPU s user+sys median (min..max) | items | directories read | digests cached |")
print("|---|---|---|---|---|---|")
for kind, label in (("cold", "cold (caches dropped, no digest cache)"),
                    ("nocache", "warm, --no-cache"), ("cache", "warm, digest cache")):
    rs = [r for r in rows if r["kind"] == kind]
    wall = [r["wall"] for r in rs]
    cpu = [r["user"] + r["sys"] for r in rs]
    def span(v):
        return "%.2f (%.2f..%.2f)" % (statistics.median(v), min(v), max(v))
    def one(k):
        v = sorted({r[k] for r in rs})
        return str(v[0]) if len(v) == 1 else "%d..%d" % (v[0], v[-1])
    print("| %s | %s | %s | %s | %s | %s |" % (label, span(wall), span(cpu), one("items"),
                                              one("dirs"), one("cached")))
print()
print("raw (kind wall user sys items dirs cached):")
for r in rows:
    print("  %-8s %6.2f %6.2f %6.2f %6d %6d %6d" % (r["kind"], r["wall"], r["user"], r["sys"],
                                                  r["items"], r["dirs"], r["cached"]))
EOF
