#!/usr/bin/env bash
# Runs the root integration tests for both sensors against BUILD: test_procs.py (`foothold
# procs`, the process monitor) and test_run.py (`foothold run`, the persistence monitor);
# harness.py is what they share.
# Usage: tests/root/run.sh [BUILD] [options for both, e.g. --only storm or --only rows]
# Prints "PASS|FAIL|SKIP root/SENSOR/NAME" lines; exits non-zero if any test failed.
set -u
BUILD=${1:-build}
shift || true
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP root/all: needs root"
	exit 0
fi
for f in "$BUILD/foothold" "$BUILD/tests/fh-probe"; do
	if [ ! -x "$f" ]; then
		echo "FAIL root/all: $f is missing; build first (make)" >&2
		echo "FAIL root/all: $f missing"
		exit 1
	fi
done
# libbpf needs neither, but a bare container may lack them; mounting is harmless.
mountpoint -q /sys/fs/bpf 2>/dev/null || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
mountpoint -q /sys/kernel/tracing 2>/dev/null ||
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true

# The fanotify decoder against the real kernel (wire/fanrec.c; the file sensor's input).
if [ $# -eq 0 ]; then
	"$BUILD/tests/fh-fanprobe" || true
fi
python3 "$here/test_procs.py" "$BUILD" --sensor bpf --sensor procconn "$@"; rc=$?
python3 "$here/test_cli.py" "$BUILD" --sensor bpf "$@" || rc=1
python3 "$here/test_deny.py" "$BUILD" || rc=1
python3 "$here/test_decide.py" "$BUILD" --sensor bpf "$@" || rc=1
python3 "$here/test_scan.py" "$BUILD" "$@" || rc=1
if [ $# -eq 0 ]; then
	# The service tier: unit file, install, man pages, status, the .deb, rsyslog.
	"$here/test_service.sh" "$BUILD" || rc=1
	"$here/test_package.sh" "$BUILD" || rc=1
	python3 "$here/test_fleet.py" "$BUILD" || rc=1
	python3 "$here/test_status.py" "$BUILD" || rc=1
fi
python3 "$here/test_run.py" "$BUILD" --sensor bpf --sensor procconn "$@" && exit "$rc"; exit 1
