#!/usr/bin/env bash
# Checks that every C file follows .clang-format (kernel style); lists the files that do not.
set -u
cd "$(dirname "$0")/.."
bad=0
for f in $(git ls-files -co --exclude-standard '*.c' '*.h' | grep -v '^bpf/vmlinux.h$'); do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=1
	fi
done
exit $bad
