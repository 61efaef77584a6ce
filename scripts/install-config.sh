#!/bin/sh
# Installs the default foothold.conf (meson install script): SRC to DEST under $DESTDIR, only
# when DEST does not exist, so that reinstalling or upgrading keeps the admin's configuration.
# Usage (from data/meson.build): install-config.sh SRC DEST
set -eu
src=$1
dest=${DESTDIR:-}$2
if [ -e "$dest" ] || [ -L "$dest" ]; then
	[ -n "${MESON_INSTALL_QUIET:-}" ] || echo "Keeping $dest (not overwritten)"
	exit 0
fi
[ -n "${MESON_INSTALL_DRY_RUN:-}" ] && exit 0
mkdir -p "$(dirname "$dest")"
install -m 0644 "$src" "$dest"
[ -n "${MESON_INSTALL_QUIET:-}" ] || echo "Installing $src to $dest"
