#!/usr/bin/env python3
"""test_cli.py - root tests of the API clients: `foothold rules`, `decide`, `quarantine`, `alerts`.

Usage: test_cli.py BUILD [--sensor bpf|procconn]... [--only NAME]...  (NAME: rules,
decide-quarantine, alerts-pty, alerts-hostile)

Each test makes a temp dir D (under /var/tmp) holding a root R (R/etc/passwd, R/etc/cron.d)
and a config whose [decisions] section puts the rules, the learned rules, the quarantine,
the state and the API socket in D; starts `BUILD/foothold run --root R -c CONF --json
--log-file none --no-journald --sensor S`, waits for "foothold: ready", and drives the
CLI against D/api.sock. Pending alerts are made by writing R/etc/cron.d/NAME; their ids
come from the daemon's JSON output (foothold.alert.id), and so does the decided record.
`foothold alerts` runs on a pty (os.openpty) for the interactive tests: the test reads
the card and sends keys as a person would. One line per test and sensor on stdout:
"PASS root/S/cli-NAME", "FAIL root/S/cli-NAME: reason" or "SKIP ..."; details on stderr.
Exits 1 if any failed.
"""

import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Fail, Foothold, Skip, check  # noqa: E402

READY_TIMEOUT = 30.0
WAIT = 10.0  # seconds to wait for an alert, a record or a card
PASSWD = "root:x:0:0:root:/root:/bin/bash\n"

CONF = """# test_cli.py
[general]
health_interval = 0
pid_file = {d}/foothold.pid

[decisions]
timeout = 300
default = allow
rules_dir = {d}/rules.d
learned_rules = {d}/learned.rules
quarantine_dir = {d}/quarantine
state_dir = {d}/state
socket = {d}/api.sock
"""


class Ctx:
    def __init__(self, build):
        self.build = os.path.realpath(build)
        self.foothold = os.path.join(self.build, "foothold")
        if not os.access(self.foothold, os.X_OK):
            raise SystemExit("test_cli.py: %s is missing; build first" % self.foothold)
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="fh-cli-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


class Daemon(Foothold):
    """`foothold run` on a fresh temp dir: root, config, rules, store, state, socket."""

    def __init__(self, ctx, sensor, tag):
        self.ctx = ctx
        self.d = os.path.realpath(tempfile.mkdtemp(prefix="%s-" % tag, dir=ctx.base))
        os.chmod(self.d, 0o755)
        self.root = os.path.join(self.d, "R")
        os.makedirs(self.root + "/etc/cron.d")
        os.makedirs(self.root + "/root")
        with open(self.root + "/etc/passwd", "w") as f:
            f.write(PASSWD)
        os.makedirs(self.d + "/rules.d")
        self.conf = os.path.join(self.d, "foothold.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(d=self.d))
        self.sock = os.path.join(self.d, "api.sock")
        self.store = os.path.join(self.d, "quarantine")
        super().__init__([ctx.foothold, "run", "--root", self.root, "-c", self.conf, "--json",
                          "--log-file", "none", "--no-journald", "--sensor", sensor],
                         "foothold run", READY_TIMEOUT)

    def records(self):
        """Every JSON line the daemon has written so far."""
        out = []
        for line in bytes(self.out).split(b"\n"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait_record(self, pred, what, timeout=WAIT):
        end = time.monotonic() + timeout
        while True:
            for r in self.records():
                if pred(r):
                    return r
            if time.monotonic() > end:
                raise Fail("no %s in the daemon's output within %gs" % (what, timeout),
                           bytes(self.out)[-6000:].decode("utf-8", "replace"),
                           "".join(self.err))
            time.sleep(0.05)

    def host(self, rel):
        return self.root + rel

    def cron(self, name, content):
        """Writes R/etc/cron.d/name; returns its pending alert record."""
        p = self.host("/etc/cron.d/" + name)
        with open(p, "wb") as f:
            f.write(content)
        return self.wait_record(lambda r: get(r, "file.path") == "/etc/cron.d/" + name and
                                get(r, "event.outcome") == "pending",
                                "pending alert for %r" % name)

    def cli(self, *args, stdin=None, input=None):
        """Runs a foothold CLI command against this daemon's socket."""
        argv = [self.ctx.foothold] + list(args)
        return subprocess.run(argv, input=input, stdin=stdin, capture_output=True,
                              timeout=30)

    def stop(self):
        return self.finish(signal.SIGINT, 0.2)


def get(obj, dotted):
    for k in dotted.split("."):
        if not isinstance(obj, dict) or k not in obj:
            return None
        obj = obj[k]
    return obj


def text(p):
    return (p.stdout + p.stderr).decode("utf-8", "replace")


def run_ok(p, what):
    check(p.returncode == 0, "%s: exit %d" % (what, p.returncode), text(p))
    return p.stdout.decode("utf-8", "replace")


class Pty:
    """A command on a new pseudo-terminal: stdin, stdout and stderr are its slave."""

    def __init__(self, argv):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x00\x30\x00\xc8\x00\x00\x00\x00")
        self.slave = slave
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave)
        self.buf = b""

    def read_some(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                b = os.read(self.master, 65536)
            except OSError:
                b = b""
            self.buf += b
            return len(b)
        return 0

    def expect(self, pattern, what, timeout=WAIT, start=0):
        """Waits until pattern (bytes regex) is in the output from start; returns the match."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf[start:])
            if m:
                return m
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("pty: no %s within %gs" % (what, timeout),
                           self.buf[-4000:].decode("utf-8", "replace"))
            self.read_some(min(left, 0.2))

    def send(self, data):
        os.write(self.master, data)

    def lflag(self):
        return termios.tcgetattr(self.slave)[3]

    def wait(self, timeout=10):
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self.read_some(0.1)
        check(self.proc.poll() is not None, "pty: the command did not exit", self.buf[-2000:])
        while self.read_some(0.05):
            pass
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


# ---- the tests ----

BAD_RULES = (b"# a comment\n"
             b"allow exe=/usr/bin/apt type=cron-d\n"
             b"block exe=relative/path\n")


def t_rules(ctx, sensor):
    with Daemon(ctx, sensor, "rules") as d:
        s = ["--socket", d.sock]
        out = run_ok(d.cli("rules", *s, "list"), "rules list (empty)")
        check("no rules" in out, "rules list on no rules: %r" % out)
        # add: two rules in one command; the shell words of one rule are joined.
        out = run_ok(d.cli("rules", *s, "add", "allow", "exe=/usr/bin/apt", "type=cron-d",
                           "block path=/etc/ld.so.preload"), "rules add")
        ids = re.findall(r"added ([0-9a-f]{16}): ", out)
        check(len(ids) == 2, "rules add printed %d ids" % len(ids), out)
        # A bad rule: its column, exit 1, nothing sent.
        p = d.cli("rules", *s, "add", "allow", "exe=/x", "typo=1")
        check(p.returncode == 1 and "rule 1:1:14: unknown key" in text(p),
              "rules add of a bad rule: exit %d" % p.returncode, text(p))
        # list: the table and --json.
        out = run_ok(d.cli("rules", *s, "list"), "rules list")
        for i in ids:
            check(i in out, "rules list lacks %s" % i, out)
        check(re.search(r"allow\s+exe=/usr/bin/apt type=cron-d\s+\S*learned.rules:\d", out),
              "rules list: no row for the allow rule", out)
        rows = [json.loads(x) for x in run_ok(d.cli("rules", *s, "list", "--json"),
                                              "rules list --json").splitlines()]
        check(sorted(r["rule_id"] for r in rows) == sorted(ids), "rules list --json ids", rows)
        check({r["text"] for r in rows} == {"allow exe=/usr/bin/apt type=cron-d",
                                            "block path=/etc/ld.so.preload"},
              "rules list --json texts", rows)
        # export: each rule under "# source:line"; the export checks clean.
        exp = run_ok(d.cli("rules", *s, "export"), "rules export")
        for r in rows:
            want = "# %s:%d\n%s\n" % (r["source"], r["line"], r["text"])
            check(want in exp, "rules export lacks %r" % want, exp)
        ef = os.path.join(d.d, "export.rules")
        with open(ef, "w") as f:
            f.write(exp)
        out = run_ok(d.cli("rules", "check", ef), "rules check of the export")
        check("OK" in out and "2 rule(s)" in out, "rules check summary: %r" % out)
        # check on a broken file: file:line:col: message, exit 1.
        bf = os.path.join(d.d, "bad.rules")
        with open(bf, "wb") as f:
            f.write(BAD_RULES)
        p = d.cli("rules", "check", ef, bf)
        check(p.returncode == 1, "rules check of a bad file: exit %d" % p.returncode, text(p))
        check(re.search(r"^%s:3:\d+: exe must be an absolute path$" % re.escape(bf), text(p), re.M),
              "rules check: no file:line:col error", text(p))
        # delete: a learned rule goes; an unknown id is an error.
        out = run_ok(d.cli("rules", *s, "delete", ids[0]), "rules delete")
        p = d.cli("rules", *s, "delete", ids[0])
        check(p.returncode == 1, "rules delete of a gone rule: exit %d" % p.returncode, text(p))
        left = [json.loads(x)["rule_id"] for x in
                run_ok(d.cli("rules", *s, "list", "--json"), "list").splitlines()]
        check(left == [ids[1]], "after delete: %r" % left)
        # import: a bad file adds nothing; the export adds what is missing, once.
        p = d.cli("rules", *s, "import", bf)
        check(p.returncode == 1 and ":3:" in text(p), "import of a bad file", text(p))
        out = run_ok(d.cli("rules", *s, "import", ef), "rules import")
        check("imported 1 rule(s)" in out and "1 already in force" in out,
              "rules import: %r" % out)
        out = run_ok(d.cli("rules", *s, "import", ef), "rules import again")
        check("imported 0 rule(s)" in out, "second import: %r" % out)
        left = [json.loads(x)["rule_id"] for x in
                run_ok(d.cli("rules", *s, "list", "--json"), "list").splitlines()]
        check(sorted(left) == sorted(ids), "after import: %r" % left)
        with open(d.d + "/learned.rules") as f:
            learned = f.read()
        check("allow exe=/usr/bin/apt type=cron-d\n" in learned, "learned.rules", learned)
        d.stop()
        # The daemon is gone: exit 3.
        p = d.cli("rules", *s, "list")
        check(p.returncode == 3 and "not running" in text(p),
              "rules list without a daemon: exit %d" % p.returncode, text(p))


def t_decide_quarantine(ctx, sensor):
    with Daemon(ctx, sensor, "decide") as d:
        s = ["--socket", d.sock]
        content = b"* * * * * root /tmp/fh-cli-evil\n# \xff binary-ish \x00 byte\n"
        path = d.host("/etc/cron.d/x")
        a = d.cron("x", content)
        want_sha = hashlib.sha256(content).hexdigest()
        aid = get(a, "foothold.alert.id")
        p = d.cli("decide", *s, aid, "maybe")
        check(p.returncode == 2, "decide with a bad action: exit %d" % p.returncode, text(p))
        out = run_ok(d.cli("decide", *s, aid, "block"), "decide block")
        check("blocked" in out, "decide output: %r" % out)
        r = d.wait_record(lambda r: get(r, "foothold.alert.id") == aid and
                          get(r, "foothold.decided_by") == "user", "decided record")
        check(get(r, "event.outcome") == "quarantined", "outcome %r" % get(r, "event.outcome"),
              r)
        qid = get(r, "foothold.quarantine.id")
        check(not os.path.lexists(path), "the blocked file is still there")
        # A second answer: the alert is decided already.
        p = d.cli("decide", *s, aid, "allow")
        check(p.returncode == 1, "decide twice: exit %d" % p.returncode, text(p))
        rows = [json.loads(x) for x in run_ok(d.cli("quarantine", *s, "list", "--json"),
                                              "quarantine list --json").splitlines()]
        check([x["qid"] for x in rows] == [qid] and rows[0]["path"] == "/etc/cron.d/x" and
              rows[0]["sha256"] == want_sha, "quarantine list --json", rows)
        out = run_ok(d.cli("quarantine", *s, "list"), "quarantine list")
        check(qid in out and "/etc/cron.d/x" in out, "quarantine list: %r" % out)
        out = run_ok(d.cli("quarantine", "--dir", d.store, "show", qid), "quarantine show")
        check(want_sha in out and aid in out, "quarantine show: %r" % out)
        meta = json.loads(run_ok(d.cli("quarantine", "--dir", d.store, "--json", "show", qid),
                                 "quarantine show --json"))
        check(meta.get("sha256") == want_sha, "show --json sha256", meta)
        out = run_ok(d.cli("quarantine", *s, "restore", qid), "quarantine restore")
        check("/etc/cron.d/x" in out, "quarantine restore: %r" % out)
        with open(path, "rb") as f:
            check(f.read() == content, "the restored file differs")
        out = run_ok(d.cli("quarantine", *s, "list"), "quarantine list after restore")
        check(qid not in out, "the entry is still listed after restore", out)
        # remember: a learned rule that decides the next change by itself.
        a = d.cron("y", b"* * * * * root /tmp/fh-cli-remember\n")
        out = run_ok(d.cli("decide", *s, get(a, "foothold.alert.id"), "allow", "--remember",
                           "process+file"), "decide --remember")
        check("remembered as rule" in out, "decide --remember: %r" % out)
        rules = run_ok(d.cli("rules", *s, "list"), "rules list")
        check("scope=process+file" in rules and "/etc/cron.d/y" in rules, "learned rule", rules)
        # Quarantine another item, then list it with no daemon: the store directly.
        a = d.cron("z", b"* * * * * root /tmp/fh-cli-offline\n")
        run_ok(d.cli("decide", *s, get(a, "foothold.alert.id"), "block"), "decide block z")
        r = d.wait_record(lambda r: get(r, "foothold.alert.id") == get(a, "foothold.alert.id")
                          and get(r, "foothold.decided_by") == "user", "decided record z")
        qz = get(r, "foothold.quarantine.id")
        check(qz, "no quarantine id for z", r)
        d.stop()
        p = d.cli("quarantine", *s, "--dir", d.store, "list")
        check(p.returncode == 0 and qz in text(p), "offline quarantine list", text(p))
        p = d.cli("quarantine", *s, "--dir", d.store, "show", qz)
        check(p.returncode == 0 and "/etc/cron.d/z" in text(p), "offline show", text(p))
        p = d.cli("quarantine", *s, "--dir", d.store, "restore", qz)
        check(p.returncode == 3 and "daemon" in text(p) and not os.path.exists(
            d.host("/etc/cron.d/z")), "offline restore: exit %d" % p.returncode, text(p))
        p = d.cli("decide", *s, "x-1", "allow")
        check(p.returncode == 3, "decide without a daemon: exit %d" % p.returncode, text(p))


def alerts_pty(d, *extra):
    return Pty([d.ctx.foothold, "alerts", "--socket", d.sock] + list(extra))


def t_alerts_pty(ctx, sensor):
    with Daemon(ctx, sensor, "pty") as d:
        # Queued before any client: shown first, with its card.
        a = d.cron("queued", b"* * * * * root /tmp/fh-cli-queued\n")
        aid = get(a, "foothold.alert.id")
        t = alerts_pty(d)
        try:
            t.expect(rb"=== alert " + re.escape(aid.encode()) + rb" \(pending\)",
                     "card of the queued alert")
            t.expect(rb"path +/etc/cron\.d/queued", "path line")
            t.expect(rb"runs +/tmp/fh-cli-queued", "runs line")
            t.expect(rb"process +\S*python\S* \(pid %d\)" % os.getpid(), "process line")
            t.expect(rb"ancestry", "ancestry")
            t.expect(rb"\[a\]llow \[b\]lock \[r\]emember \[s\]kip", "the prompt")
            lf = t.lflag()
            check(not lf & termios.ECHO and not lf & termios.ICANON,
                  "the terminal is not in raw mode while asking")
            t.send(b"b")
            r = d.wait_record(lambda r: get(r, "foothold.alert.id") == aid and
                              get(r, "foothold.decided_by") == "user", "decided record")
            check(get(r, "event.outcome") == "quarantined",
                  "outcome %r" % get(r, "event.outcome"), r)
            check(not os.path.lexists(d.host("/etc/cron.d/queued")), "the file is still there")
            t.expect(rb"-> blocked", "the answer's result")
            # A live one: open the scope chooser, go back (Esc), then another client
            # decides it: the prompt goes and the card says who.
            mark = len(t.buf)
            b = d.cron("live", b"* * * * * root /tmp/fh-cli-live\n")
            bid = get(b, "foothold.alert.id")
            t.expect(rb"=== alert " + re.escape(bid.encode()), "card of the live alert",
                     start=mark)
            t.expect(rb"\[s\]kip", "the prompt", start=mark)
            t.send(b"r")
            t.expect(rb"remember for: \[1\]", "the scope chooser", start=mark)
            t.send(b"\x1b")  # Esc: back
            mark2 = len(t.buf)
            t.expect(rb"\[a\]llow \[b\]lock", "the prompt again", start=mark2)
            run_ok(d.cli("decide", "--socket", d.sock, bid, "allow"), "decide elsewhere")
            t.expect(rb"decided elsewhere: allow, decided by user \(uid 0\)",
                     "the note about the other client", start=mark)
            # Remember through the keys: r, 2 (this program and file), a.
            mark = len(t.buf)
            c = d.cron("remember", b"* * * * * root /tmp/fh-cli-rem\n")
            cid = get(c, "foothold.alert.id")
            t.expect(rb"=== alert " + re.escape(cid.encode()), "card", start=mark)
            t.expect(rb"\[s\]kip", "the prompt", start=mark)
            t.send(b"r")
            t.expect(rb"remember for", "the scope chooser", start=mark)
            t.send(b"2")
            t.expect(rb"remember \(process\+file\): \[a\]llow or \[b\]lock", "scope action",
                     start=mark)
            t.send(b"a")
            t.expect(rb"-> allowed, remembered as rule [0-9a-f]{16}", "remembered", start=mark)
            r = d.wait_record(lambda r: get(r, "foothold.alert.id") == cid and
                              get(r, "foothold.decided_by") == "user", "decided record")
            check(get(r, "event.outcome") == "allowed", "outcome", r)
            # Skip: it stays pending in the daemon.
            mark = len(t.buf)
            e = d.cron("skipped", b"* * * * * root /tmp/fh-cli-skip\n")
            t.expect(rb"\[s\]kip", "the prompt", start=mark)
            t.send(b"s")
            t.expect(rb"-> skipped", "skipped", start=mark)
            time.sleep(0.3)
            check(not any(get(r, "foothold.alert.id") == get(e, "foothold.alert.id") and
                          get(r, "foothold.decided_by") for r in d.records()),
                  "a skipped alert was decided")
            t.send(b"q")
            rc = t.wait()
            check(rc == 0, "foothold alerts exited %d on q" % rc, t.buf[-2000:])
            lf = t.lflag()
            check(lf & termios.ECHO and lf & termios.ICANON, "the terminal was not restored")
            check(b"\x1b" not in t.buf, "an escape byte reached the terminal")
        finally:
            t.close()
        # SIGTERM restores the terminal too.
        t = alerts_pty(d)
        try:
            t.expect(rb"\[s\]kip", "the prompt for the skipped alert")
            t.proc.send_signal(signal.SIGTERM)
            rc = t.wait()
            check(rc == 0, "foothold alerts exited %d on SIGTERM" % rc)
            lf = t.lflag()
            check(lf & termios.ECHO and lf & termios.ICANON,
                  "the terminal was not restored after SIGTERM")
        finally:
            t.close()


def t_alerts_hostile(ctx, sensor):
    with Daemon(ctx, sensor, "hostile") as d:
        name = "x\x1b[31mEVIL\nline\x07"
        body = b"* * * * * root /bin/echo \x1b]0;pwned\x07 \x9b31m\n"
        a = d.cron(name, body)
        aid = get(a, "foothold.alert.id")
        t = alerts_pty(d)
        try:
            t.expect(rb"=== alert " + re.escape(aid.encode()), "the card")
            t.expect(rb"path +/etc/cron\.d/x\\x1b\[31mEVIL\\nline\\x07\r?\n",
                     "the escaped path")
            t.expect(rb"\[s\]kip", "the prompt")
            t.send(b"b")
            t.expect(rb"-> blocked", "blocked")
            t.send(b"q")
            t.wait()
        finally:
            t.close()
        check(b"\x1b" not in t.buf and b"\x07" not in t.buf and b"\x9b" not in t.buf,
              "a control byte from the alert reached the terminal", t.buf[-3000:])
        r = d.wait_record(lambda r: get(r, "foothold.alert.id") == aid and
                          get(r, "foothold.decided_by") == "user", "decided record")
        check(get(r, "event.outcome") == "quarantined", "outcome", r)
        # Not a terminal: the card, no prompt, escaped the same way.
        b = d.cron("y\x1bz", b"* * * * * root /bin/true\n")
        p = subprocess.Popen([ctx.foothold, "alerts", "--socket", d.sock],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        check(p.returncode == 0, "alerts on a pipe: exit %d" % p.returncode, err)
        check(get(b, "foothold.alert.id").encode() in out and b"y\\x1bz" in out and
              b"\x1b" not in out and b"[a]llow" not in out and b"foothold decide" in out,
              "alerts on a pipe: the card", out)
        # --json: one message per line, never asks.
        p = subprocess.Popen([ctx.foothold, "alerts", "--socket", d.sock, "--json"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
        msgs = [json.loads(x) for x in out.splitlines()]
        check(any(m.get("type") == "alert" and m.get("alert_id") == get(b, "foothold.alert.id")
                  and m.get("pending") for m in msgs), "alerts --json", out)
        d.stop()
        p = subprocess.run([ctx.foothold, "alerts", "--socket", d.sock], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=10)
        check(p.returncode == 3, "alerts without a daemon: exit %d" % p.returncode, p.stderr)


TESTS = [
    ("rules", t_rules),
    ("decide-quarantine", t_decide_quarantine),
    ("alerts-pty", t_alerts_pty),
    ("alerts-hostile", t_alerts_hostile),
]


def main(argv):
    args = argv[1:]
    if not args or args[0] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    build, sensors, only = args[0], [], []
    i = 1
    while i < len(args):
        if args[i] == "--dump":  # test_run.py's option, passed on by run.sh: nothing to dump
            i += 1
            continue
        if args[i] in ("--sensor", "--only") and i + 1 < len(args):
            (sensors if args[i] == "--sensor" else only).append(args[i + 1])
        else:
            sys.stderr.write("test_cli.py: unexpected argument %r\n" % args[i])
            return 2
        i += 2
    if os.geteuid() != 0:
        for s in sensors or ["bpf"]:
            print("SKIP root/%s/cli-all: not root" % s)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.umask(0o022)
    ctx = Ctx(build)
    failed = 0
    try:
        for sensor in sensors or ["bpf"]:
            for name, fn in TESTS:
                if only and name not in only:
                    continue
                tag = "root/%s/cli-%s" % (sensor, name)
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
                        sys.stderr.write("%s\n" % str(d)[:6000])
                except Exception as e:
                    failed += 1
                    print("FAIL %s: %s: %s" % (tag, type(e).__name__, e), flush=True)
                    traceback.print_exc()
                sys.stderr.write("(%s took %.1fs)\n" % (tag, time.monotonic() - t0))
    finally:
        ctx.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
