#!/usr/bin/env python3
"""test_deny.py - root tests of pre-emptive deny: writes to protected items refused up front.

Usage: test_deny.py BUILD

`foothold run` with `[decisions] lockdown = cron-d` answers fanotify permission events on
R/etc/cron.d: a write or a create by a process no rule allows is refused before any byte
lands, a read never is, a rule can allow a writer, --passive only records, and a writer
waiting for an answer is let through when the daemon is killed. One PASS/FAIL line per
test on stdout, details on stderr.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from harness import Fail, Foothold, check

PY = os.path.realpath(sys.executable)
APPEND = "import sys\nopen(sys.argv[1], 'a').write(sys.argv[2])\n"
CREATE = "import sys\nopen(sys.argv[1], 'x').write(sys.argv[2])\n"
READ = "import sys\nsys.stdout.write(open(sys.argv[1]).read())\n"


class Env:
    def __init__(self, build, passive=False, allow_exe=None):
        self.build = os.path.realpath(build)
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="fh-deny-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.root = os.path.join(self.base, "r")
        os.makedirs(self.root + "/etc/cron.d")
        os.makedirs(self.root + "/root")
        with open(self.root + "/etc/passwd", "w") as f:
            f.write("root:x:0:0:root:/root:/bin/bash\n")
        with open(self.root + "/etc/cron.d/old", "w") as f:
            f.write("# known good\n")
        os.makedirs(self.base + "/rules.d")
        if allow_exe:
            with open(self.base + "/rules.d/allow.rules", "w") as f:
                f.write("allow exe=%s type=cron-d\n" % allow_exe)
        self.conf = self.base + "/foothold.conf"
        with open(self.conf, "w") as f:
            f.write("[general]\nhealth_interval = 0\npid_file = {b}/foothold.pid\n"
                    "[decisions]\nlockdown = cron-d\n"
                    "rules_dir = {b}/rules.d\nlearned_rules = {b}/learned.rules\n"
                    "quarantine_dir = {b}/q\nstate_dir = {b}/state\nsocket = none\n"
                    .format(b=self.base))
        argv = [self.build + "/foothold", "run", "-c", self.conf, "--root", self.root,
                "--json", "--log-file", "none", "--no-journald"]
        self.mon = Foothold(argv + (["--passive"] if passive else []), "foothold run", 30.0)

    def item(self, name):
        return self.root + "/etc/cron.d/" + name

    def py(self, code, *args, exe=PY):
        return subprocess.run([exe, "-S", "-c", code] + list(args), capture_output=True,
                              text=True, timeout=30)

    def records(self, out):
        return [json.loads(l) for l in out.split(b"\n") if l.strip()]

    def cleanup(self):
        self.mon.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def stop_health(recs):
    stops = [e for e in recs if e["event"]["kind"] == "metric" and e["event"]["action"] == "stop"]
    check(len(stops) == 1, "%d stop health records" % len(stops))
    return stops[0]["foothold"]["health"]


def t_deny(build):
    e = Env(build)
    try:
        with e.mon:
            w = e.py(APPEND, e.item("old"), "* * * * * root /tmp/evil\n")
            c = e.py(CREATE, e.item("new"), "* * * * * root /tmp/evil\n")
            r = e.py(READ, e.item("old"))
            rc, out, err = e.mon.finish(signal.SIGINT, 0.5)
        recs = e.records(out)
        check(w.returncode != 0 and "PermissionError" in w.stderr, "the append was not refused",
              w.stderr)
        with open(e.item("old")) as f:
            check(f.read() == "# known good\n", "the protected file changed")
        check(c.returncode != 0 and "PermissionError" in c.stderr, "the create was not refused",
              c.stderr)
        check(not os.path.lexists(e.item("new")), "the refused create left a file behind")
        check(r.returncode == 0 and r.stdout == "# known good\n", "a read was refused", r.stderr)
        denied = [x for x in recs if x["event"].get("outcome") == "denied"]
        paths = sorted((x["file"]["path"], x["event"]["action"]) for x in denied)
        check(paths == [("/etc/cron.d/new", "created"), ("/etc/cron.d/old", "modified")],
              "denied records %r" % paths, *map(json.dumps, denied))
        for x in denied:
            check(x["process"].get("executable") == PY, "denied writer %r" %
                  x["process"].get("executable"))
            check(x["foothold"].get("decided_by") == "default", "decided_by %r" %
                  x["foothold"].get("decided_by"))
        h = stop_health(recs)["deny"]
        check(h["denied"] == 2 and h["removed_empty"] == 1, "deny counters %r" % h)
        check(h["allowed_reads"] >= 1, "the read was not counted as allowed: %r" % h)
    finally:
        e.cleanup()


def t_allow_rule(build):
    base = tempfile.mkdtemp(prefix="fh-allowed-", dir="/var/tmp")
    exe = os.path.join(base, "fh-allowed-py")
    shutil.copy2(PY, exe)
    e = Env(build, allow_exe=exe)
    try:
        with e.mon:
            ok = e.py(APPEND, e.item("old"), "* * * * * root /bin/true\n", exe=exe)
            no = e.py(APPEND, e.item("old"), "* * * * * root /tmp/evil\n")
            rc, out, err = e.mon.finish(signal.SIGINT, 0.5)
        check(ok.returncode == 0, "the allowed writer was refused", ok.stderr)
        check(no.returncode != 0, "the other writer was let through")
        with open(e.item("old")) as f:
            check(f.read() == "# known good\n* * * * * root /bin/true\n", "content after")
        recs = e.records(out)
        allowed = [x for x in recs if x["event"]["kind"] == "alert" and
                   x["file"]["path"] == "/etc/cron.d/old" and
                   x["event"].get("outcome") == "allowed"]
        check(allowed and allowed[0]["foothold"].get("decided_by") == "rule",
              "no alert allowed by the rule", *map(json.dumps, recs[-4:]))
    finally:
        e.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def t_passive(build):
    e = Env(build, passive=True)
    try:
        with e.mon:
            w = e.py(APPEND, e.item("old"), "* * * * * root /tmp/evil\n")
            rc, out, err = e.mon.finish(signal.SIGINT, 0.5)
        check(w.returncode == 0, "passive mode refused a write", w.stderr)
        h = stop_health(e.records(out))["deny"]
        check(h["passive_would_deny"] == 1 and h["denied"] == 0, "deny counters %r" % h)
    finally:
        e.cleanup()


def t_sigkill(build):
    """A writer waiting for the daemon's answer goes on when the daemon is killed."""
    e = Env(build)
    try:
        e.mon.start()
        e.mon.proc.send_signal(signal.SIGSTOP)
        w = subprocess.Popen([PY, "-S", "-c", APPEND, e.item("old"), "late\n"],
                             stderr=subprocess.PIPE)
        time.sleep(0.5)
        check(w.poll() is None, "the writer did not wait for the stopped daemon")
        e.mon.proc.send_signal(signal.SIGKILL)
        try:
            w.wait(timeout=5)
        except subprocess.TimeoutExpired:
            w.kill()
            raise Fail("the writer stayed blocked after the daemon was killed")
        check(w.returncode == 0, "the writer failed after the daemon died",
              w.stderr.read().decode())
        with open(e.item("old")) as f:
            check(f.read().endswith("late\n"), "the write did not land")
    finally:
        e.cleanup()


TESTS = [("deny-write-create-read", t_deny), ("allow-rule", t_allow_rule),
         ("passive", t_passive), ("sigkill-while-waiting", t_sigkill)]


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP root/deny: not root")
        return 0
    failed = 0
    for name, fn in TESTS:
        try:
            fn(argv[1])
            print("PASS root/deny/%s" % name)
        except Fail as e:
            failed += 1
            print("FAIL root/deny/%s: %s" % (name, e.args[0]))
            for d in e.args[1:]:
                sys.stderr.write("%s\n" % (d,))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
