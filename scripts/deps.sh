#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing foothold need, only when one is missing.
set -euo pipefail

# Build and run: compiler, meson, the BPF toolchain, the libraries foothold links, cmocka.
pkgs=(build-essential pkg-config meson ninja-build clang llvm
      libbpf-dev bpftool libelf-dev zlib1g-dev
      libjansson-dev libinih-dev libsystemd-dev libcmocka-dev libmd-dev)
# Tests: unit tests, fuzzing runtime, format check, the tools the root tests drive.
if [ "${1:-}" = "--test" ]; then
	pkgs+=(libclang-rt-14-dev clang-format python3 util-linux
	       # the service and package tier: unit checks, man page lint, the .deb and its
	       # chroot install, log rotation, shipping alerts through rsyslog
	       systemd mandoc logrotate bash-completion debhelper dpkg-dev fakeroot debootstrap
	       rsyslog rsyslog-relp lintian)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "foothold: missing packages: ${missing[*]} (run as root, or install them)" >&2
	exit 1
fi
echo "foothold: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
