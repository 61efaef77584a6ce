#!/usr/bin/env bash
# test_package.sh - builds foothold's .deb and installs it into a fresh Debian 12 root.
#
# Usage: tests/root/test_package.sh [BUILD]   (as root; BUILD is not used: the package is
# built from a copy of the source tree, as a packager would, not from the developer's build)
#
# package-build     dpkg-buildpackage -us -uc -b in a copy of the tree (`git ls-files`, plus
#                   untracked files that are not ignored, so that uncommitted work is tested)
# package-lintian   lintian on the result: FAIL on errors only (warnings go to stderr);
#                   SKIP when lintian is not installed
# package-files     a debootstrap'ed bookworm root (minbase), `dpkg -i` then `apt-get -f
#                   install` for the libraries: every path of the .deb's manifest is in
#                   the root with its type, mode, owner and bytes; files under /etc are
#                   conffiles; with systemd/foothold.service in the tree, also the config,
#                   the unit and /var/lib/foothold
# package-run-n     `foothold run -n` in the root exits 0 and says "configuration OK"
# package-purge     with the files the daemon writes at run time added (logs, learned and
#                   admin rules, pending state), `dpkg --purge` leaves no path named
#                   *foothold* in the root and none of the manifest's files
# package-purge-quarantine  a second install and purge with a quarantine entry: the
#                   quarantine is kept (it holds the admin's blocked files), the rest goes
#
# The root is cached as a tarball in /var/cache/foothold-tests/, one per day, so that the
# slow debootstrap runs once a day per machine. The Debian mirror (FOOTHOLD_MIRROR, by
# default the one this machine's apt sources use for bookworm) is needed for debootstrap
# and for the dependencies: when it is unreachable the chroot tests SKIP; a failed build
# always FAILs.
# Prints PASS/FAIL/SKIP lines on stdout, details and timings on stderr; exits 1 if any failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SUITE=bookworm
# The first bookworm mirror of apt's sources (one-line .list or deb822 .sources files).
apt_mirror() {
	python3 - "$SUITE" <<-'EOF' 2>/dev/null
	import glob, sys
	suite = sys.argv[1]
	def one_line(path):
	    for line in open(path):
	        w = line.split("#")[0].split()
	        if w[:1] == ["deb"]:
	            if len(w) > 1 and w[1].startswith("["):
	                while w and not w[1].endswith("]"):
	                    del w[1]
	                del w[1]
	            if len(w) > 2 and w[2] == suite:
	                yield w[1]
	def deb822(path):
	    for stanza in open(path).read().split("\n\n"):
	        f = {}
	        for line in stanza.splitlines():
	            if ":" in line and not line.startswith((" ", "#")):
	                k, v = line.split(":", 1)
	                f[k.strip().lower()] = v.split()
	        if "deb" in f.get("types", []) and suite in f.get("suites", []):
	            yield from f.get("uris", [])
	for p in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
	    try:
	        for u in one_line(p):
	            print(u.rstrip("/")); sys.exit(0)
	    except OSError:
	        pass
	for p in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
	    for u in deb822(p):
	        print(u.rstrip("/")); sys.exit(0)
	EOF
}
MIRROR=${FOOTHOLD_MIRROR:-$(apt_mirror)}
CACHE=/var/cache/foothold-tests
rc=0
work=
mounts=()

pass() { echo "PASS root/$1"; }
fail() {
	echo "FAIL root/$1: $2"
	echo "FAIL root/$1: $2" >&2
	rc=1
}
skip() { echo "SKIP root/$1: $2"; }
note() { echo "test_package: $*" >&2; }
now() { date +%s.%N; }
secs() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

if [ "$(id -u)" -ne 0 ]; then
	skip package "needs root (chroot, mounts, dpkg)"
	exit 0
fi

# Unmounts what was mounted (reverse order) and removes the work directory, but never
# while something is still mounted under it: rm -rf would go into the host's /dev.
cleanup() {
	local i m
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		m=${mounts[$i]}
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || note "could not unmount $m"
	done
	mounts=()
	[ -n "$work" ] && [ -d "$work" ] || return 0
	if grep -q " $work/" /proc/self/mounts; then
		note "something is still mounted under $work; not removing it"
		return 0
	fi
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

work=$(mktemp -d /var/tmp/fh-package-XXXXXX)
R=$work/root

# --- package-build -------------------------------------------------------------------
build_deb() {
	local t0 t1 g
	g=(git -c safe.directory="$top" -C "$top")
	if ! "${g[@]}" rev-parse --git-dir >/dev/null 2>&1; then
		fail package-build "$top is not a git tree (the copy is made from git ls-files)"
		return 1
	fi
	mkdir -p "$work/src"
	# Tracked files that still exist, and untracked ones that are not ignored.
	"${g[@]}" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done) | tar -C "$top" --null -T - -cf - | tar -C "$work/src" -xf -
	t0=$(now)
	if ! (cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
		tail -40 "$work/build.log" >&2
		fail package-build "dpkg-buildpackage -us -uc -b failed (log above)"
		return 1
	fi
	t1=$(now)
	DEB=$(ls "$work"/foothold_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)
	if [ -z "$DEB" ]; then
		fail package-build "no foothold_*.deb next to the source copy"
		return 1
	fi
	note "package-build: dpkg-buildpackage took $(secs "$t0" "$t1") s"
	dpkg-deb -I "$DEB" control >&2
	pass package-build
}

lintian_check() {
	local out
	if ! command -v lintian >/dev/null; then
		skip package-lintian "lintian is not installed"
		return 0
	fi
	out=$(lintian -I "$work"/foothold_*.changes 2>&1)
	[ -n "$out" ] && printf '%s\n' "$out" >&2
	if printf '%s\n' "$out" | grep -q '^E: '; then
		fail package-lintian "lintian reports errors (above)"
	else
		pass package-lintian
	fi
}

# --- the root ------------------------------------------------------------------------
mirror_ok() {
	python3 - "$MIRROR/dists/$SUITE/Release" <<-'EOF' >/dev/null 2>&1
	import sys, urllib.request
	urllib.request.urlopen(sys.argv[1], timeout=15).read(64)
	EOF
}

# Fills $R with a bookworm minbase root: today's cached tarball, or debootstrap (then
# cached). Returns 2 when the mirror cannot be reached.
make_root() {
	local arch tarball t0 t1 tmp
	arch=$(dpkg --print-architecture)
	tarball=$CACHE/$SUITE-minbase-$arch-$(date -u +%Y%m%d).tar.gz
	mkdir -p "$R"
	if [ -f "$tarball" ]; then
		t0=$(now)
		if tar -C "$R" -xzf "$tarball"; then
			note "root: unpacked the cached $tarball in $(secs "$t0" "$(now)") s"
			return 0
		fi
		note "root: $tarball is damaged; making a new root"
		rm -rf --one-file-system "$R" "$tarball"
		mkdir -p "$R"
	fi
	if ! command -v debootstrap >/dev/null; then
		fail package-files "debootstrap is not installed (scripts/deps.sh --test installs it)"
		return 1
	fi
	t0=$(now)
	if ! debootstrap --variant=minbase "$SUITE" "$R" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
		tail -20 "$work/debootstrap.log" >&2
		if grep -qiE "couldn't download|failed getting release|couldn't resolve|connection" \
			"$work/debootstrap.log"; then
			return 2
		fi
		fail package-files "debootstrap failed (log above)"
		return 1
	fi
	t1=$(now)
	note "root: debootstrap --variant=minbase $SUITE took $(secs "$t0" "$t1") s"
	mkdir -p "$CACHE"
	tmp=$(mktemp "$CACHE/.tmp-XXXXXX")
	if tar -C "$R" -czf "$tmp" . && mv "$tmp" "$tarball"; then
		find "$CACHE" -maxdepth 1 -name "$SUITE-minbase-$arch-*.tar.gz" ! -path "$tarball" -delete
		note "root: cached as $tarball ($(du -h "$tarball" | cut -f1), $(secs "$t1" "$(now)") s)"
	else
		rm -f "$tmp"
		note "root: could not cache the root in $CACHE (continuing)"
	fi
	return 0
}

mount_root() {
	mount -t proc proc "$R/proc" && mounts+=("$R/proc") || return 1
	mount --bind /dev "$R/dev" && mounts+=("$R/dev") || return 1
	mount --bind /sys "$R/sys" && mounts+=("$R/sys") || return 1
	# Name resolution for apt, and no service started by a maintainer script.
	rm -f "$R/etc/resolv.conf"
	cat /etc/resolv.conf >"$R/etc/resolv.conf" 2>/dev/null || true
	printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
	chmod 755 "$R/usr/sbin/policy-rc.d"
}

in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
	LC_ALL=C.UTF-8 "$@"; }

status_of() { in_root dpkg-query -W -f='${Status}' foothold 2>/dev/null; }

# --- package-files -------------------------------------------------------------------
# The manifest: every path in the .deb, "/"-rooted, without the root itself.
manifest() {
	dpkg-deb --fsys-tarfile "$DEB" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' | grep -v '^$' |
		grep -v '^/$' || true
}

check_files() {
	local p ok=1 want have conff
	rm -rf "$work/x"
	dpkg-deb -x "$DEB" "$work/x"
	manifest >"$work/manifest"
	note "the .deb holds $(wc -l <"$work/manifest") paths:"
	sed 's/^/    /' "$work/manifest" >&2
	while IFS= read -r p; do
		if [ ! -e "$R$p" ] && [ ! -L "$R$p" ]; then
			note "missing in the root: $p"
			ok=0
			continue
		fi
		# A directory of the .deb may be a symlink to one in the root (merged /usr: /lib).
		if [ -d "$work/x$p" ] && [ ! -L "$work/x$p" ] && [ -L "$R$p" ] && [ -d "$R$p" ]; then
			continue
		fi
		want=$(stat -c '%F %a %U:%G' "$work/x$p")
		have=$(stat -c '%F %a %U:%G' "$R$p")
		if [ "$want" != "$have" ]; then
			note "$p: the .deb has '$want', the root has '$have'"
			ok=0
		elif [ -f "$work/x$p" ] && [ ! -L "$work/x$p" ] && ! cmp -s "$work/x$p" "$R$p"; then
			note "$p: content differs from the .deb's"
			ok=0
		elif [ -L "$work/x$p" ] && [ "$(readlink "$work/x$p")" != "$(readlink "$R$p")" ]; then
			note "$p: symlink target differs"
			ok=0
		fi
	done <"$work/manifest"
	# dpkg's own list of what it installed covers the manifest.
	in_root dpkg -L foothold | grep -v '^/\.$' | sort >"$work/listed"
	if [ -n "$(sort "$work/manifest" | comm -23 - "$work/listed")" ]; then
		note "dpkg -L foothold lacks: $(sort "$work/manifest" | comm -23 - "$work/listed" | tr '\n' ' ')"
		ok=0
	fi
	# Nothing the daemon writes or the boot creates is a packaged file.
	if grep -qE '^/(var/)?run(/|$)' "$work/manifest"; then
		note "the .deb ships paths under /run: $(grep -E '^/(var/)?run(/|$)' "$work/manifest" | tr '\n' ' ')"
		ok=0
	fi
	while IFS= read -r p; do
		case $p in /var/log/*) ;; *) continue ;; esac
		if [ ! -d "$work/x$p" ] || [ -L "$work/x$p" ]; then
			note "the .deb ships $p: dpkg would put it back over the log at every upgrade"
			ok=0
		fi
	done <"$work/manifest"
	[ -x "$R/usr/sbin/foothold" ] && [ -f "$R/usr/sbin/foothold" ] ||
		{ note "/usr/sbin/foothold is not an executable file"; ok=0; }
	# Every file under /etc is a conffile (dh_installdeb marks them).
	conff=$(in_root dpkg-query -W -f='${Conffiles}\n' foothold | awk 'NF {print $1}')
	note "conffiles: $(echo $conff)"
	while IFS= read -r p; do
		case $p in /etc/*) ;; *) continue ;; esac
		[ -f "$work/x$p" ] && [ ! -L "$work/x$p" ] || continue
		printf '%s\n' "$conff" | grep -qxF "$p" || { note "$p is not a conffile"; ok=0; }
	done <"$work/manifest"
	# Once the tree installs the service (systemd/foothold.service), the rest must be there.
	if [ -f "$top/systemd/foothold.service" ]; then
		[ -f "$R/etc/foothold/foothold.conf" ] || { note "no /etc/foothold/foothold.conf"; ok=0; }
		printf '%s\n' "$conff" | grep -qxF /etc/foothold/foothold.conf ||
			{ note "/etc/foothold/foothold.conf is not a conffile"; ok=0; }
		[ -f "$R/lib/systemd/system/foothold.service" ] ||
			{ note "no /lib/systemd/system/foothold.service (dh_installsystemd looks there)"; ok=0; }
		[ -d "$R/var/lib/foothold" ] || { note "no /var/lib/foothold"; ok=0; }
		# dh_installsystemd enables a unit that says where it is wanted.
		if grep -q '^WantedBy=multi-user.target' "$top/systemd/foothold.service" &&
			[ ! -L "$R/etc/systemd/system/multi-user.target.wants/foothold.service" ]; then
			note "the unit is not enabled (no multi-user.target.wants link)"
			ok=0
		fi
	else
		note "no systemd/foothold.service in the tree: checking the binary only"
	fi
	if [ $ok -eq 1 ]; then pass package-files; else fail package-files "files differ (details above)"; fi
}

check_run_n() {
	local out code
	out=$(in_root /usr/sbin/foothold run -n 2>&1)
	code=$?
	printf '%s\n' "$out" | sed 's/^/    foothold run -n: /' >&2
	if [ $code -ne 0 ]; then
		fail package-run-n "foothold run -n exited $code in the root"
	elif ! printf '%s\n' "$out" | grep -q "configuration OK"; then
		fail package-run-n "foothold run -n did not say 'configuration OK'"
	else
		pass package-run-n
	fi
}

# What the daemon and the admin leave behind at run time: purge must remove it too.
add_runtime_files() {
	mkdir -p "$R/var/log/foothold" "$R/var/lib/foothold/pending" "$R/etc/foothold/rules.d" \
		"$R/run/foothold"
	echo '{"event":{"kind":"alert"}}' >"$R/var/log/foothold/alerts.json"
	echo 'rotated' | gzip >"$R/var/log/foothold/alerts.json.1.gz"
	echo 'allow exe=/usr/bin/true' >"$R/var/lib/foothold/learned.rules"
	echo '{}' >"$R/var/lib/foothold/pending/1"
	echo 'allow exe=/usr/bin/false' >"$R/etc/foothold/rules.d/local.rules"
	: >"$R/run/foothold/foothold.pid"
}

# Paths in the root named after foothold (the .deb copied in is gone by then).
leftovers() {
	find "$R" -xdev \( -path "$R/proc" -o -path "$R/sys" -o -path "$R/dev" \) -prune -o \
		-name '*foothold*' -print | sed "s|^$R||" | sort
}

check_purge() {
	local p ok=1 left out
	add_runtime_files
	out=$(in_root dpkg --purge foothold 2>&1) || { printf '%s\n' "$out" >&2; fail package-purge \
		"dpkg --purge foothold failed"; return 1; }
	printf '%s\n' "$out" | sed 's/^/    purge: /' >&2
	case $(status_of) in *" installed" | *config-files*) note "still $(status_of)"; ok=0 ;; esac
	while IFS= read -r p; do
		[ -d "$work/x$p" ] && [ ! -L "$work/x$p" ] && continue # shared dirs (/usr/sbin) stay
		if [ -e "$R$p" ] || [ -L "$R$p" ]; then
			note "still there after the purge: $p"
			ok=0
		fi
	done <"$work/manifest"
	left=$(leftovers)
	if [ -n "$left" ]; then
		note "paths named *foothold* left after the purge: $(echo $left)"
		ok=0
	fi
	if [ $ok -eq 1 ]; then pass package-purge; else fail package-purge "purge left files (above)"; fi
}

check_purge_quarantine() {
	local ok=1 left entry=/var/lib/foothold/quarantine/0123456789abcdef0123456789abcdef out
	cp "$DEB" "$R/pkg.deb"
	out=$(in_root dpkg -i /pkg.deb 2>&1) || { printf '%s\n' "$out" >&2; rm -f "$R/pkg.deb"
		fail package-purge-quarantine "reinstalling with dpkg -i failed"; return 1; }
	rm -f "$R/pkg.deb"
	add_runtime_files
	mkdir -p "$R$entry"
	echo '* * * * * root /usr/local/bin/backup' >"$R$entry/data"
	echo '{"format":1}' >"$R$entry/meta.json"
	out=$(in_root dpkg --purge foothold 2>&1) || { printf '%s\n' "$out" >&2
		fail package-purge-quarantine "dpkg --purge foothold failed"; return 1; }
	printf '%s\n' "$out" | sed 's/^/    purge: /' >&2
	[ -f "$R$entry/data" ] && [ -f "$R$entry/meta.json" ] ||
		{ note "the quarantine entry is gone"; ok=0; }
	printf '%s\n' "$out" | grep -q "kept /var/lib/foothold/quarantine" ||
		{ note "the purge did not say it kept the quarantine"; ok=0; }
	left=$(leftovers | grep -vxF -e /var/lib/foothold)
	if [ -n "$left" ]; then
		note "left besides the quarantine: $(echo $left)"
		ok=0
	fi
	[ -z "$(find "$R/var/lib/foothold" -mindepth 1 -maxdepth 1 ! -name quarantine)" ] ||
		{ note "/var/lib/foothold holds more than the quarantine"; ok=0; }
	rm -rf "$R/var/lib/foothold"
	if [ $ok -eq 1 ]; then pass package-purge-quarantine; else
		fail package-purge-quarantine "(details above)"; fi
}

chroot_tests() {
	local r out t0
	if [ -z "$MIRROR" ]; then
		for t in package-files package-run-n package-purge package-purge-quarantine; do
			skip $t "no $SUITE mirror in apt's sources; set FOOTHOLD_MIRROR"
		done
		return 0
	fi
	note "mirror: $MIRROR"
	if ! mirror_ok; then
		for t in package-files package-run-n package-purge package-purge-quarantine; do
			skip $t "the apt mirror $MIRROR is unreachable (debootstrap and the dependencies need it)"
		done
		return 0
	fi
	make_root
	r=$?
	if [ $r -eq 2 ]; then
		for t in package-files package-run-n package-purge package-purge-quarantine; do
			skip $t "debootstrap could not download from $MIRROR (log above)"
		done
		return 0
	elif [ $r -ne 0 ]; then
		return 1
	fi
	if ! mount_root; then
		fail package-files "could not mount /proc, /dev and /sys in the root"
		return 1
	fi
	t0=$(now)
	cp "$DEB" "$R/pkg.deb"
	# Fails for the missing libraries (the root is minbase); apt-get -f install brings them
	# from the mirror, which checks the declared Depends.
	in_root dpkg -i /pkg.deb >"$work/install.log" 2>&1
	rm -f "$R/pkg.deb"
	if ! in_root apt-get update -qq >>"$work/install.log" 2>&1; then
		tail -20 "$work/install.log" >&2
		for t in package-files package-run-n package-purge package-purge-quarantine; do
			skip $t "apt-get update in the root failed: mirror unreachable? (log above)"
		done
		return 0
	fi
	if ! in_root apt-get -f install -y -qq --no-install-recommends >>"$work/install.log" 2>&1 ||
		[ "$(status_of)" != "install ok installed" ]; then
		tail -30 "$work/install.log" >&2
		fail package-files "dpkg -i + apt-get -f install did not install foothold: $(status_of)"
		return 1
	fi
	note "install: dpkg -i + apt-get -f install took $(secs "$t0" "$(now)") s"
	grep -E "^(Setting up|Unpacking|Selecting)" "$work/install.log" | sed 's/^/    /' >&2
	check_files
	check_run_n
	check_purge
	check_purge_quarantine
}

T0=$(now)
if build_deb; then
	lintian_check
	chroot_tests
else
	for t in package-lintian package-files package-run-n package-purge package-purge-quarantine; do
		skip $t "no package: the build failed"
	done
fi
note "total $(secs "$T0" "$(now)") s"
exit $rc
