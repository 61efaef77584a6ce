#!/usr/bin/env python3
"""test_status.py - root tests of `foothold status` and of the daemon as a service.

Usage: test_status.py BUILD [--only NAME]...

Each test makes a temp dir D under /var/tmp holding a root R (R/etc/passwd, R/etc/cron.d,
R/opt/fh-agent) and a config D/foothold.conf whose pid file, API socket, rules, store
and state are all in D (never /run/foothold or /var/lib/foothold), and starts
`BUILD/foothold run -c D/foothold.conf --root R --json --log-file none --no-journald`:

- running: `foothold status` text and --json with real values (the alert counter moves
  after an item is written, the process table, the memory, a watched tmpfs whose device
  name holds control characters, escaped in the text);
- fallback: with bpf(2) refused (tests/fh-nobpf), status names the proc connector and why;
- stopped: exit 3 with text and --json (no socket, a stale socket, socket = none with and
  without a pid file), 2 for usage errors, 1 for a missing config;
- second-instance: a second daemon with the same pid file is refused (exit 1, naming the
  first one's pid) and disturbs nothing;
- stale-pid-file: the pid file of a SIGKILLed daemon is taken over; the pid file's
  directory is created 0750; with socket = none, status tells up from down by the lock;
- notify: sd_notify messages on a NOTIFY_SOCKET (READY=1 once armed, STATUS=, WATCHDOG=1
  at half of WATCHDOG_USEC, RELOADING=1 + MONOTONIC_USEC= then READY=1 on SIGHUP,
  STOPPING=1 on SIGTERM), all from the daemon's own pid;
- sigterm-permission: writers and a reader blocked on a protected item while the daemon
  is stopped (SIGSTOP) all get their answer within a second of SIGTERM + SIGCONT, a
  refusal only with its record, and the daemon exits 0;
- sighup-broken: SIGHUP with a broken config names file:line, keeps the old config (its
  catalog still applies, which the broken file no longer has) and says so in status; a
  good config is then taken.

One line per test on stdout: "PASS root/status-NAME" or "FAIL root/status-NAME: reason";
details on stderr. Exits 1 if any failed.
"""

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Fail, Foothold, Skip, check  # noqa: E402

PY = os.path.realpath(sys.executable)
READY_TIMEOUT = 30.0
BURST = 40  # writers blocked at once in sigterm-permission
CREATE = "import sys\nopen(sys.argv[1], 'x').write(sys.argv[2])\n"
READ = "import sys\nsys.stdout.write(open(sys.argv[1]).read())\n"
BUILD = None


class Env:
    """A temp dir with a root, a config and a daemon command line (not started)."""

    def __init__(self, tag, socket_on=True, lockdown=None, pid_dir="run", catalog=True,
                 root_name="r"):
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="fh-status-%s-" % tag,
                                                      dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.root = os.path.join(self.base, root_name)
        for d in ("etc/cron.d", "root", "opt/fh-agent"):
            os.makedirs(os.path.join(self.root, d))
        with open(self.host("/etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/bash\n")
        with open(self.host("/etc/cron.d/old"), "w") as f:
            f.write("# known good\n")
        self.pid_file = os.path.join(self.base, pid_dir, "foothold.pid")
        self.sock = os.path.join(self.base, "api.sock")
        self.conf = os.path.join(self.base, "foothold.conf")
        self.foothold = os.path.join(BUILD, "foothold")
        self.daemons = []
        self.write_conf(socket_on=socket_on, lockdown=lockdown, catalog=catalog)

    def conf_text(self, socket_on=True, lockdown=None, catalog=True, extra=""):
        b = self.base
        text = ("# test_status.py\n"
                "[general]\n"
                "health_interval = 0\n"
                "pid_file = %s\n" % self.pid_file + extra +
                "[decisions]\n"
                "timeout = 1\n"
                "rules_dir = %s/rules.d\n"
                "learned_rules = %s/learned.rules\n"
                "quarantine_dir = %s/quarantine\n"
                "state_dir = %s/state\n"
                "socket = %s\n" % (b, b, b, b, self.sock if socket_on else "none"))
        if lockdown:
            text += "lockdown = %s\n" % lockdown
        if catalog:
            text += ("[catalog]\n"
                     "type = fh-agent T1543 - test agent job files\n"
                     "system = fh-agent /opt/fh-agent/*.job\n")
        return text

    def write_conf(self, **kw):
        with open(self.conf, "w") as f:
            f.write(self.conf_text(**kw))

    def host(self, rel):
        return self.root + rel

    def argv(self):
        return [self.foothold, "run", "-c", self.conf, "--root", self.root, "--json",
                "--log-file", "none", "--no-journald"]

    def daemon(self, argv=None):
        d = Foothold(argv or self.argv(), "foothold run", READY_TIMEOUT)
        self.daemons.append(d)
        return d

    def status(self, *args, conf=True):
        argv = [self.foothold, "status"] + (["-c", self.conf] if conf else []) + list(args)
        return subprocess.run(argv, capture_output=True, timeout=60)

    def status_json(self, *args):
        p = self.status("--json", *args, conf="--socket" not in args)
        try:
            return p.returncode, json.loads(p.stdout)
        except ValueError:
            raise Fail("status --json printed no JSON object (exit %d)" % p.returncode,
                       p.stdout[:2000], p.stderr[:2000])

    def py(self, code, *args):
        return subprocess.run([PY, "-S", "-c", code] + list(args), capture_output=True,
                              text=True, timeout=30)

    def cleanup(self):
        for d in self.daemons:
            d.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def records(out):
    recs = []
    for line in out.split(b"\n"):
        if line.strip():
            recs.append(json.loads(line))
    return recs


def alerts_at(recs, path):
    return [r for r in recs if r.get("event", {}).get("kind") in ("alert", "event") and
            r.get("file", {}).get("path") == path]


def wait_for(fn, timeout, step=0.1):
    """Calls fn until it returns a true value or timeout seconds pass; returns the value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def vm_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# ---- running ----

HOSTILE_SRC = "fh-src\x1b[31mred\x07"


def t_running():
    # The root's name and the tmpfs "device" name are chosen by whoever mounts things:
    # both reach the status output, and must reach the terminal escaped.
    e = Env("running", root_name="r\x1b]0;title\x07")
    mnt = e.host("/etc/cron.d")
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", HOSTILE_SRC, mnt],
                       capture_output=True, text=True)
    mounted = m.returncode == 0
    try:
        with open(e.host("/etc/cron.d/old"), "w") as f:
            f.write("# known good\n")
        d = e.daemon().start()
        pid = d.proc.pid
        rc, before = e.status_json()
        check(rc == 0, "status --json exited %d with the daemon running" % rc)
        check(before.get("running") is True and before.get("pid") == pid,
              "running %r, pid %r (daemon %d)" % (before.get("running"), before.get("pid"),
                                                  pid))
        check(before["counters"]["alerts"]["alerted"] == 0, "alerts before any write: %r" %
              before["counters"]["alerts"])
        w = e.py(CREATE, e.host("/etc/cron.d/job"), "* * * * * root /bin/true\n")
        check(w.returncode == 0, "the item could not be written", w.stderr)
        # Decided by the default after timeout = 1 s: allowed.
        after = wait_for(lambda: (lambda r: r if r[1]["counters"]["alerts"]["outcome"]
                                  ["allowed"] >= 1 else None)(e.status_json()), 10, 0.3)
        check(after, "the allowed-alert counter did not move within 10 s",
              json.dumps(e.status_json()[1].get("counters", {}).get("alerts")))
        rc, r = after
        c = r["counters"]
        check(c["alerts"]["alerted"] == 1, "alerts.alerted %r after one write" %
              c["alerts"]["alerted"])
        check(c["fanotify"]["events"] >= 1, "fanotify.events %r" % c["fanotify"]["events"])
        check(c["process"]["events"] > 0, "process.events %r" % c["process"]["events"])
        check(c["decisions"]["pending"] == 0 and r["pending"] == 0, "still pending")
        sp = r["sensors"]["process"]
        check(sp["name"] == "bpf" or (sp["name"] == "procconn" and sp.get("fallback_reason")),
              "process sensor %r" % sp)
        check(sp["asked"] == "auto", "asked %r" % sp["asked"])
        sf = r["sensors"]["file"]
        check(sf["name"] == "fanotify" and "FAN_CLASS_NOTIF" in sf["flags"] and
              "FAN_REPORT_PIDFD" in sf["flags"] and "FAN_REPORT_NAME" in sf["flags"],
              "file sensor %r" % sf)
        check(r["sensors"]["deny"]["enabled"] is False and r["sensors"]["deny"]["why_not"],
              "deny %r without lockdown" % r["sensors"]["deny"])
        wt = r["watch"]
        check(wt["directories"] >= 2 and wt["files"] >= 2, "watch %r" %
              {k: wt[k] for k in ("directories", "files")})
        check(sum(f["directories"] for f in wt["filesystems"]) == wt["directories"] and
              sum(f["files"] for f in wt["filesystems"]) == wt["files"],
              "the filesystems' counts do not add up", json.dumps(wt))
        if mounted:
            tm = [f for f in wt["filesystems"] if f.get("fstype") == "tmpfs" and
                  f.get("mount_point") == mnt]
            check(len(tm) == 1 and tm[0]["source"] == HOSTILE_SRC and tm[0]["files"] >= 2,
                  "the tmpfs on cron.d is not listed right", json.dumps(wt))
        pt = r["process_table"]
        check(pt["entries"] > 0 and pt["bytes"] > 0 and pt["entries"] <= pt["max_entries"],
              "process_table %r" % pt)
        mem = r["memory"]
        rss = vm_rss(pid)
        check(mem["rss_bytes"] > (1 << 20) and mem["peak_rss_bytes"] >= mem["rss_bytes"] and
              rss / 2 <= mem["rss_bytes"] <= rss * 2,
              "memory %r, /proc says VmRSS %d" % (mem, rss))
        check(r["quarantine"] == {"entries": 0, "bytes": 0, "damaged": 0},
              "quarantine %r" % r["quarantine"])
        check(r["config"]["path"] == e.conf and r["pid_file"] == e.pid_file and
              r["socket"] == e.sock, "config %r, pid_file %r, socket %r" %
              (r["config"], r["pid_file"], r["socket"]))
        check(isinstance(r["drops"]["total"], int) and
              r["drops"]["total"] == sum(r["drops"]["by_cause"].values()) and
              "fanotify.overflows" in r["drops"]["by_cause"] and
              "process.ring_lost_records" in r["drops"]["by_cause"], "drops %r" % r["drops"])
        check(r["uptime_s"] >= 0 and r["version"] and r["protocol"] == 1, "header fields")

        p = e.status()
        out = p.stdout.decode("utf-8", "replace")
        check(p.returncode == 0, "status exited %d" % p.returncode, out, p.stderr)
        check(b"\x1b" not in p.stdout and b"\x07" not in p.stdout,
              "a control character reached the terminal", out)
        check(out.startswith("foothold is running: pid %d, up " % pid), "first line", out)
        for want in ("\nsensors\n", "  process      " + sp["name"], "fanotify, FAN_CLASS_NOTIF",
                     "deny         off: ", "watched        %d directories" % wt["directories"],
                     "\nevents         ", "\ndrops          ", "  fanotify.overflows",
                     "  process.ring_lost_records", "alerts         1: allowed 1, blocked 0",
                     "quarantine     0 entries", "process table  %d entries" % pt["entries"],
                     "\nmemory         ", "r\\x1b]0;title\\x07"):
            check(want in out, "the text lacks %r" % want, out)
        if mounted:
            check("tmpfs on %s" % mnt.replace("\x1b", "\\x1b").replace("\x07", "\\x07") in out
                  and "(fh-src\\x1b[31mred\\x07)" in out,
                  "the tmpfs line is not there, escaped", out)
        # --socket alone needs no config.
        p = e.status("--socket", e.sock, conf=False)
        check(p.returncode == 0, "status --socket exited %d" % p.returncode, p.stderr)
        rc, outb, err = d.finish(signal.SIGTERM, 0.1)
        check(not os.path.exists(e.pid_file), "the pid file is left after a clean stop")
        if not mounted:
            sys.stderr.write("(status-running: tmpfs not mounted: %s)\n" % m.stderr.strip())
    finally:
        for d in e.daemons:
            d.kill()
        if mounted:
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        e.cleanup()


# ---- the process sensor's fallback ----

def t_fallback():
    nobpf = os.path.join(BUILD, "tests", "fh-nobpf")
    if not os.access(nobpf, os.X_OK):
        raise Skip("%s is missing" % nobpf)
    e = Env("fallback")
    try:
        d = e.daemon([nobpf] + e.argv()).start()
        rc, r = e.status_json()
        sp = r["sensors"]["process"]
        check(rc == 0 and sp["name"] == "procconn" and sp["asked"] == "auto" and
              "Operation not permitted" in sp.get("fallback_reason", ""),
              "process sensor with bpf(2) refused: %r" % sp)
        p = e.status()
        check("  process      procconn (asked: auto)\n" in p.stdout.decode() and
              "the fallback, because the eBPF sensor could not load" in p.stdout.decode(),
              "the text does not say why the fallback runs", p.stdout.decode())
        d.finish(signal.SIGTERM, 0)
    finally:
        e.cleanup()


# ---- stopped ----

def t_stopped():
    e = Env("stopped")
    try:
        p = e.status()
        check(p.returncode == 3, "status exited %d without a daemon, not 3" % p.returncode,
              p.stdout, p.stderr)
        check(p.stdout.decode().startswith("foothold is not running: nothing answers on " +
                                           e.sock), "text %r" % p.stdout)
        rc, o = e.status_json()
        check(rc == 3 and o.get("running") is False and o.get("socket") == e.sock and
              o.get("reason"), "--json: exit %d, %r" % (rc, o))
        # A socket left behind, with nobody listening: refused, still "not running".
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(e.sock)
        s.close()
        p = e.status()
        check(p.returncode == 3, "a stale socket: exit %d" % p.returncode, p.stderr)
        p = e.status("--socket", os.path.join(e.base, "nothing.sock"), conf=False)
        check(p.returncode == 3, "--socket to nothing: exit %d" % p.returncode, p.stderr)
        # socket = none: the pid file says; there is none, then a stale one.
        e.write_conf(socket_on=False)
        p = e.status()
        check(p.returncode == 3 and b"pid file" in p.stdout, "socket none, no pid file: exit "
              "%d" % p.returncode, p.stdout, p.stderr)
        os.makedirs(os.path.dirname(e.pid_file))
        with open(e.pid_file, "w") as f:
            f.write("%d\n" % dead_pid())
        rc, o = e.status_json()
        check(rc == 3 and o["running"] is False and o["socket"] == "none" and
              o["pid_file"] == e.pid_file, "socket none, stale pid file: %d %r" % (rc, o))
        with open(e.conf, "w") as f:
            f.write(e.conf_text(socket_on=False).replace("pid_file = " + e.pid_file,
                                                         "pid_file = none"))
        p = e.status()
        check(p.returncode == 1 and b"none" in p.stderr, "socket and pid file none: exit %d" %
              p.returncode, p.stderr)
        # Usage and other errors.
        for args, want in ((["--bogus"], 2), (["extra"], 2)):
            p = e.status(*args, conf=False)
            check(p.returncode == want, "status %s exited %d, not %d" %
                  (" ".join(args), p.returncode, want))
        p = subprocess.run([e.foothold, "status", "-c", os.path.join(e.base, "none.conf")],
                           capture_output=True)
        check(p.returncode == 1 and b"no such file" in p.stderr, "a missing -c file: exit %d"
              % p.returncode, p.stderr)
    finally:
        e.cleanup()


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


# ---- single instance ----

def t_second_instance():
    e = Env("second")
    try:
        a = e.daemon().start()
        with open(e.pid_file) as f:
            check(f.read() == "%d\n" % a.proc.pid, "the pid file does not hold the pid")
        t0 = time.monotonic()
        b = subprocess.run(e.argv(), capture_output=True, text=True, timeout=30)
        took = time.monotonic() - t0
        check(b.returncode == 1, "the second daemon exited %d, not 1" % b.returncode, b.stderr)
        check("already running" in b.stderr and "pid %d" % a.proc.pid in b.stderr and
              e.pid_file in b.stderr, "the refusal does not name the running pid and file",
              b.stderr)
        check("foothold: ready" not in b.stderr, "the second daemon got ready", b.stderr)
        check(took < 5, "the refusal took %.1f s" % took)
        with open(e.pid_file) as f:
            check(f.read() == "%d\n" % a.proc.pid, "the pid file changed")
        check(os.path.exists(e.sock), "the second daemon removed the first one's socket")
        rc, o = e.status_json()
        check(rc == 0 and o["pid"] == a.proc.pid, "status after the refusal: %d %r" %
              (rc, o.get("pid")))
        a.finish(signal.SIGTERM, 0)
        check(not os.path.exists(e.pid_file), "the pid file is left after a clean stop")
        sys.stderr.write("(second-instance: refused in %.3f s)\n" % took)
    finally:
        e.cleanup()


def t_stale_pid_file():
    e = Env("stale", pid_dir="run/sub")
    try:
        check(not os.path.exists(os.path.dirname(e.pid_file)), "setup")
        os.makedirs(os.path.dirname(os.path.dirname(e.pid_file)))
        a = e.daemon().start()
        st = os.stat(os.path.dirname(e.pid_file))
        check(st.st_mode & 0o7777 == 0o750, "the pid file's directory is %o, not 750" %
              (st.st_mode & 0o7777))
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        with open(e.pid_file) as f:
            check(f.read() == "%d\n" % a.proc.pid, "the killed daemon's pid file")
        # The next one takes it over, and with socket = none status goes by the lock.
        e.write_conf(socket_on=False)
        b = e.daemon().start()
        err = "".join(b.err)
        check("taking it over" in err and "pid %d" % a.proc.pid in err,
              "no word about the stale pid file", err)
        with open(e.pid_file) as f:
            check(f.read() == "%d\n" % b.proc.pid, "the pid file was not taken over")
        p = e.status()
        out = p.stdout.decode()
        check(p.returncode == 0 and out.startswith("foothold is running: pid %d" % b.proc.pid)
              and "socket = none" in out, "status by the pid file: exit %d" % p.returncode,
              out, p.stderr)
        rc, o = e.status_json()
        check(rc == 0 and o["running"] is True and o["pid"] == b.proc.pid, "--json: %r" % o)
        b.finish(signal.SIGTERM, 0)
        p = e.status()
        check(p.returncode == 3, "status after the stop: exit %d" % p.returncode)
    finally:
        e.cleanup()


# ---- sd_notify ----

class NotifySocket:
    """A NOTIFY_SOCKET: every datagram with its arrival time and sender pid."""

    def __init__(self, path):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.s.settimeout(0.2)
        self.msgs = []  # (monotonic time, pid, {key: value}, text)
        self.cond = threading.Condition()
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                data, anc, _, _ = self.s.recvmsg(4096, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", cdata[:12])[0]
            text = data.decode("utf-8", "replace")
            kv = dict(l.split("=", 1) for l in text.split("\n") if "=" in l)
            with self.cond:
                self.msgs.append((time.monotonic(), pid, kv, text))
                self.cond.notify_all()

    def wait(self, pred, timeout, start=0):
        """The index of the first message from start on with pred(kv), or None."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.msgs)):
                    if pred(self.msgs[i][2]):
                        return i
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self):
        self.stop = True
        self.t.join(2)
        self.s.close()


def t_notify():
    e = Env("notify")
    ns = NotifySocket(os.path.join(e.base, "notify.sock"))
    try:
        # WATCHDOG_PID must be the daemon's pid: sh sets it to its own, then execs foothold.
        argv = ["sh", "-c", 'NOTIFY_SOCKET="$0" WATCHDOG_USEC=2000000 WATCHDOG_PID=$$ '
                'exec "$@"', ns.path] + e.argv()
        d = e.daemon(argv)
        d.start()
        pid = d.proc.pid
        i_ready = ns.wait(lambda kv: kv.get("READY") == "1", 5)
        check(i_ready is not None, "no READY=1 within 5 s of 'foothold: ready'",
              [m[3] for m in ns.msgs])
        # READY=1 means armed: a write right after it is alerted.
        w = e.py(CREATE, e.host("/etc/cron.d/after-ready"), "* * * * * root /bin/true\n")
        check(w.returncode == 0, "the write failed", w.stderr)
        check(d.ready.is_set(), "READY=1 before 'foothold: ready'")
        check(ns.msgs[i_ready][2].get("STATUS", "").startswith("alerts: 0, pending: 0"),
              "READY=1 without a STATUS= line: %r" % ns.msgs[i_ready][3])
        i_st = ns.wait(lambda kv: kv.get("STATUS", "").startswith("alerts: 1,"), 8, i_ready + 1)
        check(i_st is not None, "no STATUS= with the new alert within 8 s",
              [m[3] for m in ns.msgs])
        # Watchdog pings at half of WATCHDOG_USEC: every second.
        time.sleep(3.5)
        wd = [m[0] for m in ns.msgs if m[2].get("WATCHDOG") == "1"]
        gaps = [b - a for a, b in zip(wd, wd[1:])]
        check(len(wd) >= 4 and all(0.5 <= g <= 1.6 for g in gaps),
              "WATCHDOG=1 pings: %d, gaps %s" % (len(wd), ["%.2f" % g for g in gaps]))
        # SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1.
        n0 = len(ns.msgs)
        d.proc.send_signal(signal.SIGHUP)
        now_us = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
        i_rl = ns.wait(lambda kv: kv.get("RELOADING") == "1", 5, n0)
        check(i_rl is not None, "no RELOADING=1 after SIGHUP", [m[3] for m in ns.msgs[n0:]])
        mono = ns.msgs[i_rl][2].get("MONOTONIC_USEC", "")
        check(mono.isdigit() and abs(int(mono) - now_us) < 5e6,
              "MONOTONIC_USEC=%r, CLOCK_MONOTONIC is %d us" % (mono, now_us))
        i_r2 = ns.wait(lambda kv: kv.get("READY") == "1", 10, i_rl + 1)
        check(i_r2 is not None, "no READY=1 after the reload", [m[3] for m in ns.msgs[n0:]])
        # SIGTERM: STOPPING=1, exit 0.
        n1 = len(ns.msgs)
        rc, out, err = d.finish(signal.SIGTERM, 0)
        i_stop = ns.wait(lambda kv: kv.get("STOPPING") == "1", 2, n1)
        check(i_stop is not None, "no STOPPING=1 after SIGTERM", [m[3] for m in ns.msgs[n1:]])
        pids = set(m[1] for m in ns.msgs)
        check(pids == {pid}, "messages from pids %r, the daemon is %d" % (pids, pid))
        check(alerts_at(records(out), "/etc/cron.d/after-ready"),
              "the write right after READY=1 was not alerted")
        statuses = [m[2]["STATUS"] for m in ns.msgs if "STATUS" in m[2]]
        sys.stderr.write("(notify: %d messages, %d STATUS=, watchdog gaps %s s; last STATUS=%s)\n"
                         % (len(ns.msgs), len(statuses), ",".join("%.2f" % g for g in gaps),
                            statuses[-1] if statuses else None))
    finally:
        ns.close()
        e.cleanup()


# ---- SIGTERM with permission events waiting ----

def task_states(pid):
    states = []
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        except OSError:
            pass
    return states


def t_sigterm_permission():
    e = Env("perm", lockdown="cron-d")
    try:
        d = e.daemon().start()
        d.proc.send_signal(signal.SIGSTOP)
        check(wait_for(lambda: all(s == "T" for s in task_states(d.proc.pid)), 5),
              "the daemon's threads did not stop: %r" % task_states(d.proc.pid))
        # A burst, so that the daemon is still answering when it stops: then the events it
        # has read get the default (allow) and those still queued the kernel's allow.
        procs = []
        for i in range(BURST):
            procs.append(("append", subprocess.Popen(
                ["sh", "-c", 'echo "evil %d" >> "$1" || { echo PermissionError >&2; exit 1; }'
                 % i, "sh", e.host("/etc/cron.d/old")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        for i in range(3):
            procs.append(("create", subprocess.Popen(
                [PY, "-S", "-c", CREATE, e.host("/etc/cron.d/new%d" % i), "evil\n"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        procs.append(("read", subprocess.Popen(
            [PY, "-S", "-c", READ, e.host("/etc/cron.d/old")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        time.sleep(1.0)
        waiting = [k for k, p in procs if p.poll() is None]
        check(len(waiting) == len(procs), "only %d of %d opens waited for the stopped daemon"
              % (len(waiting), len(procs)))
        d.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGCONT)
        results = []
        for kind, p in procs:
            try:
                out, err = p.communicate(timeout=max(0.05, t0 + 5 - time.monotonic()))
            except subprocess.TimeoutExpired:
                for _, q in procs:
                    q.kill()
                raise Fail("a %s stayed blocked 5 s after SIGTERM + SIGCONT" % kind)
            results.append((kind, p.returncode, out.decode(), err.decode(),
                            time.monotonic() - t0))
        slowest = max(r[4] for r in results)
        rc, out, err = d.finish(signal.SIGTERM, 0)  # the daemon already has its SIGTERM
        recs = records(out)
        for kind, code, o, er, took in results:
            if kind == "read":
                check(code == 0 and o.startswith("# known good\n"), "the read failed", er)
            else:
                check(code == 0 or "PermissionError" in er or "Permission denied" in er,
                      "a %s failed otherwise" % kind, er)
        check(slowest < 1.0, "the last open was answered %.2f s after SIGTERM + SIGCONT" %
              slowest)
        refused = sum(1 for r in results if r[0] != "read" and r[1] != 0)
        denied = [x for x in recs if x["event"].get("outcome") == "denied"]
        check(len(denied) == refused, "%d opens refused, %d denied records: a refusal "
              "without its record" % (refused, len(denied)))
        stop = [x for x in recs if x["event"].get("kind") == "metric" and
                x["event"].get("action") == "stop"]
        check(len(stop) == 1, "%d stop health records" % len(stop))
        h = stop[0]["foothold"]["health"]["deny"]
        # Writes let through at stop land while fanotify is still read: they are alerted.
        landed = sum(1 for r in results if r[0] == "append" and r[1] == 0)
        with open(e.host("/etc/cron.d/old")) as f:
            lines = f.read().count("evil ")
        check(lines == landed, "%d appends succeeded, %d lines landed" % (landed, lines))
        seen = len([x for x in alerts_at(recs, "/etc/cron.d/old")
                    if x["event"].get("outcome") != "denied"])
        sys.stderr.write("(sigterm-permission: %d writers, %d refused by the lockdown, %d let "
                         "through; answered at stop %d of %d read; %d of %d appends that "
                         "landed alerted; slowest %.3f s)\n" %
                         (len(results) - 1, refused, len(results) - 1 - refused,
                          h.get("answered_at_stop", -1), h.get("events", -1), seen, landed,
                          slowest))
        check("answered_at_stop" in h, "no deny.answered_at_stop counter", json.dumps(h))
        check(seen * 2 >= landed, "only %d of the %d appends let through at stop were alerted"
              % (seen, landed))
    finally:
        e.cleanup()


# ---- SIGHUP with a broken config ----

def t_sighup_broken():
    e = Env("sighup")
    try:
        d = e.daemon().start()
        w = e.py(CREATE, e.host("/opt/fh-agent/a.job"), "run a\n")
        check(w.returncode == 0, "write a", w.stderr)
        # The broken config drops the [catalog] section and has a bad key on a known line.
        good = e.conf_text(catalog=False)
        broken = good.replace("[general]\n", "[general]\nbogus_key = yes\n", 1)
        line = broken.split("\n").index("bogus_key = yes") + 1
        with open(e.conf, "w") as f:
            f.write(broken)
        n_err = len(d.err)
        d.proc.send_signal(signal.SIGHUP)
        check(wait_for(lambda: any("keeping the running" in l for l in d.err[n_err:]), 5),
              "no word that the running config is kept", "".join(d.err[n_err:]))
        errs = "".join(d.err[n_err:])
        check(re.search(re.escape(e.conf) + ":%d: .*bogus_key" % line, errs),
              "the error does not name %s:%d" % (e.conf, line), errs)
        # The old catalog still applies: the broken file has no fh-agent type.
        w = e.py(CREATE, e.host("/opt/fh-agent/b.job"), "run b\n")
        check(w.returncode == 0, "write b", w.stderr)
        # The file on disk is broken: status is told the socket instead.
        check(e.status().returncode == 1, "status -c with a broken config did not fail")
        rc, o = e.status_json("--socket", e.sock)
        cfg = o["config"]
        check(cfg["reloads"] == 1 and cfg["reload_failures"] == 1 and
              cfg.get("last_reload_error", "").startswith("%s:%d:" % (e.conf, line)),
              "status config %r" % cfg)
        p = e.status("--socket", e.sock, conf=False)
        check(("the last reload failed: %s:%d:" % (e.conf, line)) in p.stdout.decode(),
              "status does not show the failed reload", p.stdout.decode())
        # A good config without the catalog is then taken: c.job is no item any more.
        time.sleep(0.3)
        with open(e.conf, "w") as f:
            f.write(good)
        n_err = len(d.err)
        d.proc.send_signal(signal.SIGHUP)
        check(wait_for(lambda: any("reloaded the configuration" in l
                                   for l in d.err[n_err:]), 5),
              "the good config was not reloaded", "".join(d.err[n_err:]))
        w = e.py(CREATE, e.host("/opt/fh-agent/c.job"), "run c\n")
        check(w.returncode == 0, "write c", w.stderr)
        rc, o = e.status_json()
        check(o["config"]["reloads"] == 2 and "last_reload_error" not in o["config"],
              "status config after a good reload %r" % o["config"])
        rc, out, err = d.finish(signal.SIGINT, 0.5)
        recs = records(out)
        check(alerts_at(recs, "/opt/fh-agent/a.job"), "a.job (before SIGHUP) not alerted")
        check(alerts_at(recs, "/opt/fh-agent/b.job"),
              "b.job not alerted: the broken config was not refused as a whole")
        check(not alerts_at(recs, "/opt/fh-agent/c.job"),
              "c.job alerted: the good config was not taken")
    finally:
        e.cleanup()


TESTS = [("running", t_running), ("fallback", t_fallback), ("stopped", t_stopped),
         ("second-instance", t_second_instance), ("stale-pid-file", t_stale_pid_file),
         ("notify", t_notify), ("sigterm-permission", t_sigterm_permission),
         ("sighup-broken", t_sighup_broken)]


def main(argv):
    global BUILD
    args = argv[1:]
    only = []
    while "--only" in args:
        i = args.index("--only")
        only.append(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP root/status: not root")
        return 0
    BUILD = os.path.realpath(args[0])
    if not os.access(os.path.join(BUILD, "foothold"), os.X_OK):
        print("FAIL root/status: %s/foothold is missing; build first" % BUILD)
        return 1
    failed = 0
    for name, fn in TESTS:
        if only and name not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
            print("PASS root/status-%s" % name)
        except Skip as e:
            print("SKIP root/status-%s: %s" % (name, e.args[0]))
        except Fail as e:
            failed += 1
            print("FAIL root/status-%s: %s" % (name, e.args[0]))
            for x in e.args[1:]:
                sys.stderr.write("%s\n" % (x,))
        except Exception as e:  # a bug in the test itself is a failure too
            failed += 1
            print("FAIL root/status-%s: %s: %s" % (name, type(e).__name__, e))
            import traceback
            traceback.print_exc()
        sys.stderr.write("(%s: %.1f s)\n" % (name, time.monotonic() - t0))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
