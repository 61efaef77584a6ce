#!/usr/bin/env python3
"""test_procs.py - root integration tests of `foothold procs` against the real kernel.

Usage: test_procs.py BUILD [--sensor bpf|procconn]... [--only NAME]...

Each test starts `BUILD/foothold procs --json --sensor S`, waits for "foothold: ready",
runs a scenario, stops the monitor with SIGINT (or SIGTERM) and checks the JSON lines for
the scenario's events, found by pid and by unique markers in argv. It prints one line per
test and sensor on stdout: "PASS root/S/NAME", "FAIL root/S/NAME: reason" or
"SKIP root/S/NAME: reason"; failure details go to stderr. Exits 1 if any test failed.

The procconn sensor reads an exec's path and argv from /proc after the kernel's message:
a process that exits first cannot be described. Tests whose process is short-lived accept
from procconn only the exact values or an event flagged "proc_gone" with nothing in
place of the missing values; see docs/TESTING.md.
"""

import base64
import json
import os
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

READY_TIMEOUT = 20.0
SETTLE = 0.5  # seconds between the end of a scenario and the stop signal
NOBODY = 65534
SETPRIV_NOBODY = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]




def marker(tag="m"):
    return "fh%s-%s" % (tag, uuid.uuid4().hex)


class Result:
    def __init__(self, rc, out, err, json_mode):
        self.rc = rc
        self.out = out  # bytes
        self.err = err  # str
        self.events = []
        if json_mode:
            lines = out.split(b"\n")
            check(lines[-1] == b"", "stdout does not end with a newline", lines[-1][:300])
            for n, line in enumerate(lines[:-1]):
                try:
                    self.events.append(json.loads(line))
                except ValueError as e:
                    raise Fail("stdout line %d is not JSON: %s" % (n + 1, e), line[:300])

    def counters(self, name):
        """The counters of the stderr line "foothold: NAME: k v k v ...", as a dict."""
        for line in self.err.splitlines():
            if line.startswith("foothold: %s:" % name):
                words = line[len("foothold: %s:" % name):].split()
                return {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}
        raise Fail("no 'foothold: %s:' line on stderr" % name, self.err)

    def execs(self, **kw):
        return self.find(action="exec", **kw)

    def find(self, action=None, pid=None, mark=None):
        """Events by action, process.pid, and a marker equal to one of process.args."""
        r = []
        for e in self.events:
            p = e.get("process", {})
            if action and e["event"]["action"] != action:
                continue
            if pid is not None and p.get("pid") != pid:
                continue
            if mark is not None and mark not in p.get("args", []):
                continue
            r.append(e)
        return r


class Monitor(Foothold):
    """`foothold procs` as a subprocess (harness.Foothold)."""

    def __init__(self, ctx, sensor, json_mode=True, extra=()):
        self.ctx = ctx
        self.sensor = sensor
        self.json_mode = json_mode
        super().__init__([ctx.foothold, "procs", "--sensor", sensor] +
                         (["--json"] if json_mode else []) + list(extra),
                         "foothold", READY_TIMEOUT)

    def stop(self, sig=signal.SIGINT, settle=SETTLE):
        """Stops foothold with sig; returns the Result after checking the exit."""
        rc, out, err = self.finish(sig, settle)
        res = Result(rc, out, err, self.json_mode)
        check("foothold: sensor " in err, "no counters on stderr", err)
        if self.sensor == "bpf":
            check("foothold: drops:" in err, "no 'foothold: drops:' line on stderr", err)
        return res


class Ctx:
    """Paths shared by every test; a world-readable temp dir holding binary copies."""

    def __init__(self, build):
        self.build = os.path.realpath(build)
        self.foothold = os.path.join(self.build, "foothold")
        self.probe = os.path.join(self.build, "tests", "fh-probe")
        for f in (self.foothold, self.probe):
            if not os.access(f, os.X_OK):
                raise SystemExit("test_procs.py: %s is missing; build first" % f)
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix="fh-root-"))
        os.chmod(self.dir, 0o755)
        # A copy of /bin/true: exits at once. A copy of fh-probe: `sleep MS` lingers, so
        # the procconn sensor can still read it in /proc.
        self.true_copy = self.copy("/bin/true", "true-copy")
        self.linger = self.copy(self.probe, "fh-linger")
        self.children = []

    def copy(self, src, name, d=None):
        dst = os.path.join(d or self.dir, name)
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o755)
        return dst

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, **kw)
        self.children.append(p)
        return p

    def run(self, argv, timeout=30, ok=True, **kw):
        """Runs argv to its end; returns (pid, stdout text)."""
        p = self.spawn(argv, **kw)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Fail("%s did not finish in %ds" % (argv[:3], timeout))
        if ok:
            check(p.returncode == 0, "%s exited %d" % (argv[:3], p.returncode),
                  err.decode("utf-8", "replace"))
        return p.pid, out.decode("utf-8", "replace")

    def reap_children(self):
        for p in self.children:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.children = []

    def cleanup(self):
        self.reap_children()
        shutil.rmtree(self.dir, ignore_errors=True)


def write_blob(ctx, args):
    """Stores argv (a list of bytes) as NUL-terminated raw bytes; returns (path, blob)."""
    blob = b"".join(a + b"\0" for a in args)
    fd, path = tempfile.mkstemp(prefix="argv-", dir=ctx.dir)
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
    return path, blob


def expect_args(args):
    """process.args as foothold must print it: each argument, invalid UTF-8 replaced."""
    return [a.decode("utf-8", "replace") for a in args]


def only(events, what):
    check(len(events) == 1, "expected exactly one %s, got %d" % (what, len(events)),
          *[e if isinstance(e, bytes) else json.dumps(e) for e in events[:5]])
    return events[0]


def the_exec(res, sensor, pid, mark):
    """
    The exec event of pid whose args hold mark. A process that execs twice (fh-probe
    exec-argv, setpriv) may show the second image twice under procconn: the first exec's
    message is read from /proc after the second exec. Such an early event must be flagged
    "proc_racy"; the last one is the real exec.
    """
    evs = res.execs(pid=pid, mark=mark)
    if sensor == "bpf" or len(evs) < 2:
        return only(evs, "exec of pid %d with marker %s" % (pid, mark))
    for e in evs[:-1]:
        check("proc_racy" in incomplete(e), "a second exec event with the marker is not "
              "flagged proc_racy", json.dumps(e)[:2000])
    return evs[-1]


def incomplete(e):
    return e.get("foothold", {}).get("incomplete", [])


def check_image(e, sensor, exe, args, lingering=True, what="exec"):
    """
    Checks an event's executable and argv. From bpf, and from procconn when the process
    was still alive to be read, they must be exact. From procconn, for a short-lived
    process, they may be missing instead, but then the event says "proc_gone".
    """
    p = e["process"]
    if sensor == "procconn" and not lingering and "proc_gone" in incomplete(e):
        if "executable" in p:
            check(p["executable"] == exe, "%s: wrong executable %r (expected %r)" %
                  (what, p["executable"], exe), json.dumps(e))
        if "args" in p:
            check(p["args"] == args, "%s: wrong args" % what, json.dumps(e))
        return
    check(p.get("executable") == exe, "%s: executable %r, expected %r" %
          (what, p.get("executable"), exe), json.dumps(e))
    if args is not None:
        check(p.get("args") == args, "%s: args %r, expected %r" %
              (what, p.get("args"), args), json.dumps(e)[:2000])
        check(p.get("args_count") == len(args), "%s: args_count %r, expected %d" %
              (what, p.get("args_count"), len(args)))


def check_exec_exit(res, sensor, pid, exe, args, lingering=True, code=0, ppid=None,
                    comm=None):
    """
    The exec of pid (exact, see check_image) and its exit with code: one lifetime (same
    entity_id and start), the same parent (ppid, by default this script), the same name.
    comm is the name the kernel gives: the basename of the path given to execve.
    """
    ppid = os.getpid() if ppid is None else ppid
    ex = only(res.execs(pid=pid), "exec event of pid %d" % pid)
    check(ex["foothold"]["source"] == sensor, "source %r" % ex["foothold"]["source"])
    check_image(ex, sensor, exe, args, lingering)
    end = only(res.find(action="exit", pid=pid), "exit event of pid %d" % pid)
    check(end["process"].get("exit_code") == code, "exit_code %r, expected %d" %
          (end["process"].get("exit_code"), code), json.dumps(end))
    check(end["process"]["entity_id"] == ex["process"]["entity_id"],
          "exit entity_id %r != exec entity_id %r" %
          (end["process"]["entity_id"], ex["process"]["entity_id"]))
    check(end["process"].get("start") == ex["process"].get("start"),
          "exit start %r != exec start %r" % (end["process"].get("start"),
                                              ex["process"].get("start")))
    for e in (ex, end):
        what = e["event"]["action"]
        check(e["process"]["parent"]["pid"] == ppid, "%s: parent.pid %r, expected %d" %
              (what, e["process"]["parent"]["pid"], ppid), json.dumps(e)[:2000])
        # An exec foothold could not read may lack a name, but never show a stale one.
        if "name" in e["process"] or "proc_gone" not in incomplete(ex):
            want = (comm or os.path.basename(args[0]))[:15]
            check(e["process"].get("name") == want, "%s: name %r, expected %r" %
                  (what, e["process"].get("name"), want), json.dumps(e)[:2000])
    return ex, end


# The tests. Each takes (ctx, sensor) and raises Fail or Skip.

def t_exec_relative_symlink(ctx, sensor):
    links = tempfile.mkdtemp(prefix="links-", dir=ctx.dir)
    link = os.path.join(links, "ln-linger")
    os.symlink(os.path.relpath(ctx.linger, links), link)
    tlink = os.path.join(links, "ln-true")
    os.symlink(ctx.true_copy, tlink)
    m = [marker() for _ in range(4)]
    runs = [  # (argv, cwd, real executable, lingering)
        (["./fh-linger", "sleep", "300", m[0]], ctx.dir, ctx.linger, True),
        ([link, "sleep", "300", m[1]], None, ctx.linger, True),
        (["./true-copy", m[2]], ctx.dir, ctx.true_copy, False),
        (["./ln-true", m[3]], links, ctx.true_copy, False),
    ]
    with Monitor(ctx, sensor) as mon:
        pids = [ctx.run(argv, cwd=cwd)[0] for argv, cwd, _, _ in runs]
        res = mon.stop()
    for (argv, _, exe, lingering), pid in zip(runs, pids):
        check(exe == os.path.realpath(exe) and exe.startswith("/"), "bad test path " + exe)
        check_exec_exit(res, sensor, pid, exe, argv, lingering)


def t_exec_other_mount(ctx, sensor):
    top = tempfile.mkdtemp(prefix="mnt-", dir=ctx.dir)
    mnt = os.path.join(top, "mnt")
    inner = os.path.join(mnt, "sub", "inner")  # a mount on a mount
    os.mkdir(mnt)
    mounted = []
    try:
        for d in (mnt, inner):
            os.makedirs(d, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "fh-test", d],
                           check=True)
            mounted.insert(0, d)
        os.makedirs(os.path.join(mnt, "sub"), exist_ok=True)
        exe = ctx.copy(ctx.probe, "on-tmpfs", os.path.join(mnt, "sub"))
        texe = ctx.copy("/bin/true", "true-on-tmpfs", os.path.join(mnt, "sub"))
        iexe = ctx.copy(ctx.probe, "on-inner", inner)
        links = tempfile.mkdtemp(prefix="links-", dir=ctx.dir)
        link, tlink, ilink = [os.path.join(links, n) for n in ("to-tmpfs", "true-to", "inner")]
        os.symlink(exe, link)
        os.symlink(texe, tlink)
        os.symlink(iexe, ilink)
        check(os.path.realpath(ilink) == os.path.join(top, "mnt", "sub", "inner", "on-inner"),
              "realpath")
        m1, m2, m3 = marker(), marker(), marker()
        with Monitor(ctx, sensor) as mon:
            pid1 = ctx.run([link, "sleep", "300", m1])[0]
            pid2 = ctx.run([tlink, m2])[0]
            pid3 = ctx.run([ilink, "sleep", "300", m3])[0]
            res = mon.stop()
        check_exec_exit(res, sensor, pid1, exe, [link, "sleep", "300", m1])
        check_exec_exit(res, sensor, pid2, texe, [tlink, m2], lingering=False)
        check_exec_exit(res, sensor, pid3, iexe, [ilink, "sleep", "300", m3])
    finally:
        ctx.reap_children()
        for d in mounted:
            if subprocess.run(["umount", d]).returncode != 0:
                subprocess.run(["umount", "-l", d])


def big_argv(m, size, nasty=True):
    """An argv whose NUL-terminated bytes are exactly size long, with awkward bytes."""
    args = [b"fh-linger", b"sleep", b"300", m.encode()]
    specials = [b"\xff", b"\xc0\xaf", b"line1\nline2", b"\x1b[31mred\x1b[0m",
                b"caf\xc3\xa9", b"\xe2\x82", b"tab\there", b"\xf0\x9f\x98\x80", b""]
    i = 0
    while True:
        used = sum(len(a) + 1 for a in args)
        left = size - used
        if left <= 0:
            break
        if left <= 600:
            args.append(b"z" * (left - 1))  # fills to the exact size
            continue
        piece = b"arg%05d-" % i + (specials[i % len(specials)] if nasty else b"") + \
            bytes(range(0x20, 0x7f)) * 4
        args.append(piece)
        i += 1
    assert sum(len(a) + 1 for a in args) == size
    return args


def t_argv_32k_raw(ctx, sensor):
    m = marker()
    args = big_argv(m, 32 * 1024)
    path, blob = write_blob(ctx, args)
    check(len(blob) == 32768, "blob size")
    with Monitor(ctx, sensor) as mon:
        pid = ctx.run([ctx.probe, "exec-argv", path, ctx.linger])[0]
        res = mon.stop()
    ex = the_exec(res, sensor, pid, m)
    check_image(ex, sensor, ctx.linger, expect_args(args))
    p = ex["process"]
    check(p["args_count"] == len(args), "args_count %d != %d" % (p["args_count"], len(args)))
    check("\ufffd" in p["args"][4] and "\ufffd\ufffd" in p["args"][5],
          "U+FFFD missing where bytes were invalid: %r %r" % (p["args"][4], p["args"][5]))
    raw = ex["foothold"].get("raw", {}).get("args")
    check(raw is not None, "no foothold.raw.args although bytes were replaced")
    check(base64.b64decode(raw, validate=True) == blob,
          "foothold.raw.args does not decode to the exact argv bytes")
    check("args_bytes" not in ex["foothold"] and "argv_truncated" not in incomplete(ex),
          "32 KiB argv flagged truncated", json.dumps(ex["foothold"]))


def t_path_4000(ctx, sensor):
    top = tempfile.mkdtemp(prefix="deep-", dir=ctx.dir)
    d = top
    while 4000 - len(d) - 1 > 255:
        d = os.path.join(d, "d" * min(200, 4000 - len(d) - 1 - 201))
    name = "x" * (4000 - len(d) - 1)
    exe = os.path.join(d, name)
    check(len(exe) == 4000 and len(name) <= 255, "test bug: path of %d bytes" % len(exe))
    os.makedirs(d)
    ctx.copy(ctx.probe, name, d)
    m = marker()
    try:
        with Monitor(ctx, sensor) as mon:
            pid = ctx.run([exe, "sleep", "300", m])[0]
            res = mon.stop()
        ex, _ = check_exec_exit(res, sensor, pid, exe, [exe, "sleep", "300", m])
        check(len(ex["process"]["executable"]) == 4000, "length")
        check("path_truncated" not in incomplete(ex), "flagged path_truncated")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def t_fork_noexec(ctx, sensor):
    with Monitor(ctx, sensor) as mon:
        pid, out = ctx.run([ctx.probe, "fork-noexec", "300"])
        res = mon.stop()
    mo = re.match(r"parent=(\d+) child=(\d+)$", out.strip())
    check(mo, "fh-probe printed %r" % out)
    parent, child = int(mo.group(1)), int(mo.group(2))
    check(parent == pid, "fh-probe says parent=%d, Popen says %d" % (parent, pid))
    pex = only(res.execs(pid=parent), "exec of the parent")
    check_image(pex, sensor, ctx.probe, [ctx.probe, "fork-noexec", "300"])
    fk = only(res.find(action="fork", pid=child), "fork event of the child")
    p = fk["process"]
    check(p["parent"]["pid"] == parent, "fork: parent.pid %r != %d" % (p["parent"]["pid"], parent))
    check(p["parent"].get("entity_id") == pex["process"]["entity_id"],
          "fork: parent.entity_id %r != the parent's %r" %
          (p["parent"].get("entity_id"), pex["process"]["entity_id"]))
    check(p.get("executable") == ctx.probe, "fork: executable %r, expected the parent's %r" %
          (p.get("executable"), ctx.probe), json.dumps(fk))
    check(p.get("args") == [ctx.probe, "fork-noexec", "300"], "fork: args %r" % p.get("args"))
    check(not res.execs(pid=child), "the child never exec'd, yet an exec event names it")
    end = only(res.find(action="exit", pid=child), "exit event of the child")
    q = end["process"]
    check(q.get("exit_code") == 0, "child exit_code %r" % q.get("exit_code"))
    check(q["entity_id"] == p["entity_id"], "child exit entity_id %r != fork's %r" %
          (q["entity_id"], p["entity_id"]))
    check(q.get("executable") == ctx.probe, "child exit: executable %r" % q.get("executable"))
    check(q["parent"]["pid"] == parent, "child exit: process.parent.pid %r, expected %d" %
          (q["parent"]["pid"], parent), json.dumps(end))


def t_exec_exit_fast(ctx, sensor):
    """
    Execs that exit at once. The last ones run while foothold is stopped (SIGSTOP), so
    they are long gone when it reads their messages: bpf read everything at exec time and
    stays exact; procconn must flag them "proc_gone" and show nothing in place of what it
    could not read (no executable, no args, no name but the right one).
    """
    ms = [marker() for _ in range(8)]
    frozen = 3
    with Monitor(ctx, sensor) as mon:
        pids = [ctx.run([ctx.true_copy, m])[0] for m in ms[:-frozen]]
        mon.proc.send_signal(signal.SIGSTOP)
        try:
            pids += [ctx.run([ctx.true_copy, m])[0] for m in ms[-frozen:]]
        finally:
            mon.proc.send_signal(signal.SIGCONT)
        res = mon.stop()
    exact = 0
    for k, (pid, m) in enumerate(zip(pids, ms)):
        ex, _ = check_exec_exit(res, sensor, pid, ctx.true_copy, [ctx.true_copy, m],
                                lingering=False)
        gone = "proc_gone" in incomplete(ex)
        exact += not gone
        if sensor == "procconn" and k >= len(ms) - frozen:
            check(gone, "an exec read after its process exited is not flagged proc_gone",
                  json.dumps(ex))
    if sensor == "bpf":
        check(exact == len(ms), "bpf flagged %d of %d execs proc_gone" % (len(ms) - exact,
                                                                        len(ms)))
    else:
        sys.stderr.write("note: procconn described %d of %d short-lived execs\n" %
                         (exact, len(ms)))


def t_pid_reuse(ctx, sensor):
    ma, mb = marker("A"), marker("B")
    with Monitor(ctx, sensor) as mon:
        p = ctx.spawn([ctx.probe, "pid-reuse", ma, mb, ctx.linger, "sleep", "200"])
        out, err = p.communicate(timeout=30)
        res = mon.stop()
    out = out.decode()
    mo = re.match(r"first=(\d+) second=(\d+) tries=(\d+)$", out.strip())
    check(mo, "fh-probe pid-reuse printed %r (%s)" % (out, err.decode()))
    first, second = int(mo.group(1)), int(mo.group(2))
    if p.returncode == 4 or second == 0:
        raise Skip("fh-probe could not get pid %d again in %s tries" % (first, mo.group(3)))
    check(p.returncode == 0 and first == second, "pid-reuse failed: %r rc=%d" %
          (out, p.returncode))
    exs = {}
    for m in (ma, mb):
        ex = only(res.execs(pid=first, mark=m), "exec with marker %s" % m)
        check_image(ex, sensor, ctx.linger, [ctx.linger, "sleep", "200", m])
        exs[m] = ex["process"]
    a, b = exs[ma], exs[mb]
    check(a["entity_id"] != b["entity_id"], "both lifetimes of pid %d have entity_id %s" %
          (first, a["entity_id"]))
    check("start" in a and "start" in b and a["start"] < b["start"],
          "process.start not increasing: %r, %r" % (a.get("start"), b.get("start")))
    ends = res.find(action="exit", pid=first)
    for m, ex in ((ma, a), (mb, b)):
        e = [x for x in ends if x["process"]["entity_id"] == ex["entity_id"]]
        e = only(e, "exit of the %s lifetime (entity %s)" % (m[:3], ex["entity_id"]))
        # The exit names its lifetime's image; argv stays in the exec (docs/EVENTS.md).
        check(e["process"].get("executable") == ctx.linger and "args" not in e["process"],
              "exit of %s: executable %r, args %r" % (m[:3], e["process"].get("executable"),
                                                      e["process"].get("args")))
        check(e["process"].get("exit_code") == 0, "exit_code %r" % e["process"].get("exit_code"))


def t_argv_100k(ctx, sensor):
    m = marker()
    args = big_argv(m, 100 * 1024, nasty=False)
    path, blob = write_blob(ctx, args)
    with Monitor(ctx, sensor) as mon:
        pid = ctx.run([ctx.probe, "exec-argv", path, ctx.linger])[0]
        res = mon.stop()
    ex = the_exec(res, sensor, pid, m)
    p, fh = ex["process"], ex["foothold"]
    check(p.get("executable") == ctx.linger, "executable %r" % p.get("executable"))
    if sensor == "bpf":
        n = 64 * 1024  # the default --argv-max
        check("argv_truncated" in incomplete(ex), "no argv_truncated", json.dumps(fh))
        check(fh.get("args_bytes") == len(blob), "args_bytes %r, expected %d" %
              (fh.get("args_bytes"), len(blob)))
        # The first n bytes, split as foothold does: a final NUL only ends the blob.
        want = blob[:n].split(b"\0")
        if want[-1] == b"":
            want.pop()
        check(p["args"] == expect_args(want),
              "args are not the first %d bytes of argv (got %d args, expected %d)" %
              (n, len(p["args"]), len(want)))
        check(p["args_count"] == len(want), "args_count %r" % p["args_count"])
    else:
        # /proc/PID/cmdline holds all of it: nothing to truncate at 100 KiB.
        check(p["args"] == expect_args(args), "args are not the exact 100 KiB argv")
        check("args_bytes" not in fh and set(incomplete(ex)) <= {"proc_racy"}, "flags %r" % fh)


def t_filter_exec_only(ctx, sensor):
    m = marker()
    with Monitor(ctx, sensor, extra=["--exec-only"]) as mon:
        pid = ctx.run([ctx.linger, "sleep", "200", m])[0]
        res = mon.stop()
    bad = [e for e in res.events if e["event"]["action"] != "exec"]
    check(not bad, "%d non-exec events with --exec-only" % len(bad), *map(json.dumps, bad[:3]))
    ex = only(res.execs(pid=pid), "exec of pid %d" % pid)
    check_image(ex, sensor, ctx.linger, [ctx.linger, "sleep", "200", m])


def t_filter_uid(ctx, sensor):
    mn, mr = marker("nobody"), marker("root")
    with Monitor(ctx, sensor, extra=["--uid", str(NOBODY)]) as mon:
        pid = ctx.run(SETPRIV_NOBODY + [ctx.linger, "sleep", "300", mn])[0]
        ctx.run([ctx.linger, "sleep", "300", mr])
        res = mon.stop()
    bad = [e for e in res.events if e.get("user", {}).get("id") != str(NOBODY)]
    check(not bad, "%d events of other users with --uid %d" % (len(bad), NOBODY),
          *map(json.dumps, bad[:3]))
    check(not [e for e in res.events if mr in json.dumps(e)], "root's process shown")
    ex = the_exec(res, sensor, pid, mn)
    check_image(ex, sensor, ctx.linger, [ctx.linger, "sleep", "300", mn])
    check(ex["process"]["real_user"]["id"] == str(NOBODY), "real_user")
    end = only(res.find(action="exit", pid=pid), "exit of nobody's process")
    check(end["process"].get("exit_code") == 0, "exit_code")
    check(end["process"].get("real_user", {"id": str(NOBODY)})["id"] == str(NOBODY),
          "exit: real_user %r" % end["process"].get("real_user"))


def t_filter_comm(ctx, sensor):
    comm = "fhc-" + uuid.uuid4().hex[:8]
    exe = ctx.copy(ctx.probe, comm)
    mc, mo = marker(), marker()
    with Monitor(ctx, sensor, extra=["--comm", comm]) as mon:
        pid = ctx.run([exe, "sleep", "300", mc])[0]
        ctx.run([ctx.linger, "sleep", "300", mo])
        res = mon.stop()
    bad = [e for e in res.events if e["process"].get("name") != comm]
    check(not bad, "%d events of other commands with --comm" % len(bad),
          *map(json.dumps, bad[:3]))
    check_exec_exit(res, sensor, pid, exe, [exe, "sleep", "300", mc])
    check(not [e for e in res.events if mo in json.dumps(e)], "the other command was shown")


def t_text_escape(ctx, sensor):
    m1, m2 = marker(), marker()
    args = [b"fh-linger", b"sleep", b"300", m1.encode(),
            b"pre\x1b]0;evil\x07mid\n" + m2.encode(), b"\x1b[31mred\x9b\xc2\x9b"]
    path, _ = write_blob(ctx, args)
    with Monitor(ctx, sensor, json_mode=False) as mon:
        pid = ctx.run([ctx.probe, "exec-argv", path, ctx.linger])[0]
        res = mon.stop()
    out = res.out
    check(b"\x1b" not in out, "stdout holds an ESC byte")
    check(b"\x07" not in out, "stdout holds a BEL byte")
    lines = out.split(b"\n")
    check(lines[0].split()[:2] == [b"TIME", b"EVENT"], "no header: %r" % lines[0][:80])
    rows = [ln for ln in lines if m1.encode() in ln]
    if sensor == "bpf" or len(rows) < 2:
        only(rows, "text row with the marker")
    for row in rows:  # procconn: fh-probe's own exec may be read as the later image
        check(m2.encode() in row, "the argument with a newline was split over lines", row)
        check(b"\x9b" not in row and b"\\x9b" in row and b"\\u009b" in row,
              "CSI bytes (0x9b, U+009B) not escaped", row)
        check(b"pre\\x1b]0;evil\\x07mid\\n" + m2.encode() in row, "escaping", row)
        f = row.split()
        check(f[1] == b"exec" and int(f[2]) == pid, "row: %r" % row)
        check(f[5] == ctx.linger.encode(), "row executable %r" % f[5])
        if row is not rows[-1]:
            check(row.endswith(b"[proc_racy]"), "an early row is not flagged", row)


def t_not_root(ctx, sensor):
    p = subprocess.run(SETPRIV_NOBODY + [ctx.foothold, "procs", "--sensor", sensor, "--json"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode == 1, "exit code %d as nobody, expected 1" % p.returncode, err)
    check(p.stdout == b"", "stdout not empty", p.stdout[:200])
    check(err.endswith("\n") and err.count("\n") == 1 and len(err) > 10,
          "stderr is not one line: %r" % err)


def t_sigterm(ctx, sensor):
    m = marker()
    with Monitor(ctx, sensor) as mon:
        pid = ctx.run([ctx.linger, "sleep", "100", m])[0]
        res = mon.stop(signal.SIGTERM)
    mo = re.search(r"^foothold: sensor %s: events printed (\d+)$" % sensor, res.err, re.M)
    check(mo, "no 'foothold: sensor %s: events printed N' on stderr" % sensor, res.err)
    check(int(mo.group(1)) == len(res.events), "events printed %s, but %d lines" %
          (mo.group(1), len(res.events)))
    res.counters("table")
    if sensor == "bpf":
        res.counters("drops")
        res.counters("chunks")
    else:
        res.counters("netlink")
    check_exec_exit(res, sensor, pid, ctx.linger, [ctx.linger, "sleep", "100", m])


def t_storm(ctx, sensor):
    n = 2000
    m = marker()
    with Monitor(ctx, sensor) as mon:
        ctx.run([ctx.probe, "storm", str(n), ctx.true_copy, m], timeout=60)
        res = mon.stop(settle=1.0)
    seen, pids, wrong = {}, {}, []
    for e in res.execs(mark=m):
        p = e["process"]
        if p.get("args", [""])[0] == ctx.probe:
            continue  # the storm's own parent
        a = p.get("args", [])
        if len(a) != 3 or a[:2] != [ctx.true_copy, m] or not a[2].isdigit() or \
                p.get("executable") != ctx.true_copy:
            wrong.append(e)
            continue
        seen.setdefault(int(a[2]), []).append(p["entity_id"])
        pids[p["entity_id"]] = int(a[2])
    check(not wrong, "%d storm execs with wrong values" % len(wrong), *map(json.dumps, wrong[:3]))
    # procconn may describe one lifetime twice when its pid's exec message was read late,
    # but never two lifetimes with one argv.
    dup = [i for i, ids in seen.items() if len(ids) != 1 and (sensor == "bpf" or
                                                               len(set(ids)) != 1)]
    check(not dup, "storm execs seen twice: %r" % dup[:10])
    if sensor == "procconn":
        sys.stderr.write("note: procconn described %d of %d storm execs; %r\n" %
                         (len(seen), n, res.counters("netlink")))
        return
    missing = sorted(set(range(n)) - set(seen))
    if missing:
        inc = [e for e in res.execs() if incomplete(e) and e["process"].get("executable") in
               (ctx.true_copy, None)]
        raise Fail("%d of %d storm execs missing, first %r" % (len(missing), n, missing[:10]),
                   res.err, "%d incomplete execs of true-copy or unknown:" % len(inc),
                   *map(json.dumps, inc[:5]))
    exits = [e for e in res.find(action="exit") if e["process"]["entity_id"] in pids]
    codes = [e["process"].get("exit_code") for e in exits]
    check(len(exits) == n and set(codes) == {0}, "%d exits of %d storm processes, codes %r" %
          (len(exits), n, sorted(set(codes), key=str)))
    d = res.counters("drops")
    c = res.counters("chunks")
    for k in ("ring_full", "events_lost", "recursion"):
        check(d.get(k) == 0, "drops: %s %r" % (k, d.get(k)), res.err)
    for k in ("lost", "orphans", "expired", "evicted", "malformed"):
        check(c.get(k) == 0, "chunks: %s %r" % (k, c.get(k)), res.err)


def t_exec_deleted(ctx, sensor):
    """fexecve of a file unlinked first: the last path, flagged executable_deleted."""
    m = marker()
    exe = ctx.copy(ctx.probe, "doomed-" + m[:8])
    argv = [exe, "sleep", "200", m]
    code = ("import os,sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.unlink(sys.argv[1]); "
            "os.execve(fd, sys.argv[1:], {})")
    with Monitor(ctx, sensor) as mon:
        pid = ctx.run([sys.executable, "-c", code] + argv)[0]
        res = mon.stop()
    check(not os.path.exists(exe), "the file was not unlinked")
    # python's own exec carries the marker too, as an argument: take the fexecve.
    ex = only([e for e in res.execs(pid=pid, mark=m) if e["process"].get("name") != "python3"],
              "fexecve with marker %s" % m)
    check(ex["process"].get("executable") == exe, "executable %r, expected %r" %
          (ex["process"].get("executable"), exe), json.dumps(ex))
    check(ex["process"].get("args") == argv, "args %r" % ex["process"].get("args"))
    check(ex["foothold"].get("executable_deleted") is True, "not flagged executable_deleted",
          json.dumps(ex))
    # A file that exists is never flagged.
    others = [e for e in res.execs() if e["foothold"].get("executable_deleted") and
              os.path.exists(e["process"].get("executable", ""))]
    check(not others, "existing files flagged deleted", *map(json.dumps, others[:3]))


def t_fallback(ctx, sensor):
    """bpf(2) refused (EPERM, by seccomp): auto falls back in one line; forced bpf fails."""
    nobpf = os.path.join(ctx.build, "tests", "fh-nobpf")
    if sensor == "bpf":
        # Forced: no silent fallback, one error line, exit 1.
        p = subprocess.run([nobpf, ctx.foothold, "procs", "--sensor", "bpf", "--json"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        err = p.stderr.decode("utf-8", "replace")
        check(p.returncode == 1, "forced bpf without bpf(2) exited %d" % p.returncode, err)
        check("foothold: ready" not in err and p.stdout == b"", "it started anyway", err)
        check("eBPF sensor could not load" in err, "no clear error line", err)
        return
    m = marker()
    mon = Monitor(ctx, "auto")
    mon.argv = [nobpf] + mon.argv
    with mon:
        pid = ctx.run([ctx.linger, "sleep", "100", m])[0]
        res = mon.stop()
    before = [ln for ln in res.err.split("foothold: ready")[0].splitlines() if ln]
    check(len(before) == 1 and "eBPF sensor unavailable" in before[0] and
          "proc-connector" in before[0] and before[0].endswith("Operation not permitted"),
          "expected one fallback line before ready, got %r" % before)
    check("foothold: sensor procconn:" in res.err, "not running on the proc connector", res.err)
    check_exec_exit(res, sensor, pid, ctx.linger, [ctx.linger, "sleep", "100", m])


TESTS = [
    ("exec-relative-symlink", t_exec_relative_symlink),
    ("exec-other-mount", t_exec_other_mount),
    ("argv-32k-raw", t_argv_32k_raw),
    ("path-4000", t_path_4000),
    ("fork-noexec", t_fork_noexec),
    ("exec-exit-fast", t_exec_exit_fast),
    ("pid-reuse", t_pid_reuse),
    ("argv-100k-truncated", t_argv_100k),
    ("filter-exec-only", t_filter_exec_only),
    ("filter-uid", t_filter_uid),
    ("filter-comm", t_filter_comm),
    ("text-escape", t_text_escape),
    ("not-root", t_not_root),
    ("sigterm", t_sigterm),
    ("storm", t_storm),
    ("exec-deleted", t_exec_deleted),
    ("fallback", t_fallback),
]


def main(argv):
    args = argv[1:]
    if not args or args[0] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    build, sensors, only_names = args[0], [], []
    i = 1
    while i < len(args):
        if args[i] == "--sensor" and i + 1 < len(args):
            sensors.append(args[i + 1])
        elif args[i] == "--only" and i + 1 < len(args):
            only_names.append(args[i + 1])
        else:
            sys.stderr.write("test_procs.py: unexpected argument %r\n" % args[i])
            return 2
        i += 2
    if os.geteuid() != 0:
        for s in sensors or ["bpf", "procconn"]:
            print("SKIP root/%s/all: not root" % s)
        return 0
    # Killed by SIGTERM (a CI timeout): unwind, so that mounts, temp dirs and children go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ctx = Ctx(build)
    failed = 0
    try:
        for sensor in sensors or ["bpf", "procconn"]:
            for name, fn in TESTS:
                if only_names and name not in only_names:
                    continue
                tag = "root/%s/%s" % (sensor, name)
                t0 = time.monotonic()
                try:
                    fn(ctx, sensor)
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
                        sys.stderr.write("%s\n" % str(d)[:4000])
                except Exception as e:  # a broken test is a failure too
                    failed += 1
                    print("FAIL %s: %s: %s" % (tag, type(e).__name__, e), flush=True)
                    traceback.print_exc()
                finally:
                    ctx.reap_children()
                    sys.stderr.write("(%s took %.1fs)\n" % (tag, time.monotonic() - t0))
    finally:
        ctx.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
