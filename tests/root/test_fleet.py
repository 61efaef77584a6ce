#!/usr/bin/env python3
"""test_fleet.py - foothold's alerts travel through a real rsyslog, every field intact.

Usage: test_fleet.py BUILD [--keep]

foothold has no server of its own: its alert log (JSON lines) is shipped by what admins
already run. This test runs the shipping configs of docs/fleet/ as they are (only paths,
host and ports are replaced) with Debian's rsyslog:

  foothold run --root R --log-file L/alerts.json --no-journald --quiet-stdout -c CONF
      -> L/alerts.json -> SENDER rsyslogd (imfile, mmjsonparse, omfwd TCP or omrelp)
      -> loopback -> RECEIVER rsyslogd (imtcp / imrelp, mmjsonparse, omfile "%$!%")

For each transport, a fresh receiver and sender; then an item whose name is hostile (a
newline, the invalid UTF-8 byte 0xff, ESC [31m, a quote, a backslash) is written into
R/etc/cron.d by a process with a 20 KB argument (so the alert, ~50 KB, is far over
rsyslog's default 8 KiB limit), and the receiver's file must hold that alert as one JSON
line equal, field for field, to the line foothold wrote (so also file.name with its U+FFFD
and escapes, foothold.raw.path and foothold.raw.args, the exact bytes in base64), and every
line foothold wrote before it. Nothing may land in either side's rejected file.

  fleet-rsyslog-tcp       omfwd over TCP (octet-counted) to imtcp
  fleet-rsyslog-relp      omrelp to imrelp (SKIP without the rsyslog-relp package)
  fleet-rsyslog-rotate    with the TCP pair, the sender stopped (SIGSTOP) meanwhile: the
                          alert log renamed (logrotate) and foothold sent SIGHUP; the alert
                          left unread in the renamed file and the next one, in the new
                          file, arrive once each
  fleet-rsyslog-oversize  maxMessageSize lowered to 16k on both sides: the ~50 KB alert is
                          cut, and lands in both rejected files (seen, not lost unseen)
  fleet-rsyslog-dropin    each docs/fleet/rsyslog-*.conf passes `rsyslogd -N1` included
                          from Debian's stock /etc/rsyslog.conf, as the docs tell admins

Prints PASS/FAIL/SKIP lines on stdout, details and round-trip times on stderr; exits 1 if
any failed. Every daemon it started is stopped and its temp directory removed, also on
failure (--keep leaves the directory, for reading the configs and logs).
"""

import base64
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Fail, Foothold, Skip, check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FLEET = os.path.realpath(os.path.join(HERE, "..", "..", "docs", "fleet"))
READY_TIMEOUT = 30.0
ARRIVAL_TIMEOUT = 30.0  # seconds for a line to travel foothold -> sender -> receiver
# An argument the writer ignores, making the alert a line of about 50 KB (rsyslog cuts
# messages at 8 KiB unless told otherwise); its 0xff byte adds foothold.raw.args.
BIG_ARG = b"pad\xff" + b"A" * 20000
RSYSLOG_MODDIRS = glob.glob("/usr/lib/*/rsyslog") + ["/usr/lib/rsyslog"]

# The writer of the hostile item: python, writing argv[2] to the path argv[1] (bytes).
WRITE_PY = ("import os,sys\n"
            "fd=os.open(os.fsencode(sys.argv[1]),os.O_WRONLY|os.O_CREAT|os.O_TRUNC,0o644)\n"
            "os.write(fd,sys.argv[2].encode())\n"
            "os.close(fd)\n")


def decisions_conf(base):
    """As test_run.py's: foothold's decision state under base, no socket."""
    return ("[general]\npid_file = %s/foothold.pid\n"
            "[decisions]\nrules_dir = %s/rules.d\nlearned_rules = %s/learned.rules\n"
            "quarantine_dir = %s/quarantine\nstate_dir = %s/state\nsocket = none\n" %
            (base, base, base, base, base))


def wait_for(what, cond, timeout, interval=0.05):
    """Polls cond() until it returns something true; returns it, or fails after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise Fail("timed out after %gs waiting for %s" % (timeout, what))
        time.sleep(interval)


def free_port():
    """A TCP port free on loopback now (bound to 0 and released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    """True when something listens on TCP port (IPv4 or IPv6), from /proc/net/tcp*."""
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fp:
                next(fp)
                for line in fp:
                    w = line.split()
                    if w[3] == "0A" and int(w[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def json_lines(path):
    """(raw line, object) for every complete line of path; [] when it does not exist."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in data.split(b"\n")[:-1]:  # a last line without "\n" is still being written
        try:
            out.append((line, json.loads(line)))
        except ValueError as e:
            raise Fail("%s: a line is not JSON (%s)" % (path, e), line[:500])
    return out


def read_tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return ""


def diff(a, b, path=""):
    """Every dotted path where the JSON values a and b differ (types included)."""
    if type(a) is not type(b):
        return ["%s: %r != %r" % (path or ".", a, b)]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            p = path + "." + k if path else k
            if k not in a:
                out.append("%s: only at the receiver" % p)
            elif k not in b:
                out.append("%s: missing at the receiver" % p)
            else:
                out += diff(a[k], b[k], p)
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return ["%s: %d items != %d" % (path, len(a), len(b))]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, "%s.%d" % (path, i))
        return out
    return [] if a == b else ["%s: %r != %r" % (path, a, b)]


def leaves(obj):
    """How many scalar fields obj holds."""
    if isinstance(obj, dict):
        return sum(leaves(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(leaves(v) for v in obj)
    return 1


class Rsyslog:
    """One rsyslogd of ours: its own config, pid file and work directory, in the foreground."""

    def __init__(self, ctx, name, doc, subst, drop_relp=False):
        self.name = name
        self.dir = os.path.join(ctx.base, name)
        self.work = os.path.join(self.dir, "work")
        os.makedirs(self.work)
        with open(os.path.join(FLEET, doc)) as f:
            text = f.read()
        # The documented file, with only its host, ports and paths replaced; each
        # replaced string must be there, so that the test follows the docs.
        for old, new in subst:
            check(old in text, "docs/fleet/%s no longer contains %s" % (doc, old))
            text = text.replace(old, new)
        if drop_relp:
            text = "".join(l for l in text.splitlines(True) if not l.rstrip().endswith("# RELP"))
        self.doc_conf = os.path.join(self.dir, doc)
        with open(self.doc_conf, "w") as f:
            f.write(text)
        # Debian's rsyslog.conf sets the work directory before it includes rsyslog.d/.
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write('global(workDirectory="%s")\ninclude(file="%s")\n' %
                    (self.work, self.doc_conf))
        self.pidfile = os.path.join(self.dir, "rsyslogd.pid")
        self.errlog = os.path.join(self.dir, "rsyslogd.err")
        self.proc = None

    def start(self):
        with open(self.errlog, "wb") as err:
            self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", self.conf, "-i", self.pidfile],
                                         stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        return self

    def alive(self):
        if self.proc.poll() is not None:
            raise Fail("%s rsyslogd exited %d" % (self.name, self.proc.returncode), self.errors())
        return True

    def errors(self):
        try:
            with open(self.errlog, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Ctx:
    def __init__(self, build, keep):
        self.foothold = os.path.join(os.path.realpath(build), "foothold")
        if not os.access(self.foothold, os.X_OK):
            raise SystemExit("test_fleet.py: %s is missing; build first" % self.foothold)
        self.keep = keep
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="fh-fleet-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.root = os.path.join(self.base, "root")
        os.makedirs(os.path.join(self.root, "etc", "cron.d"))
        os.makedirs(os.path.join(self.root, "root"))
        with open(os.path.join(self.root, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/bash\n")
        self.logdir = os.path.join(self.base, "log")  # outside every catalog path of R
        os.makedirs(self.logdir)
        self.log = os.path.join(self.logdir, "alerts.json")
        self.conf = os.path.join(self.base, "foothold.conf")
        with open(self.conf, "w") as f:
            f.write(decisions_conf(self.base))
        self.daemons = []
        self.mon = None

    def start_foothold(self):
        self.mon = Foothold([self.foothold, "run", "--root", self.root, "--log-file", self.log,
                             "--no-journald", "--quiet-stdout", "-c", self.conf],
                            "foothold run", READY_TIMEOUT)
        self.mon.start()

    def rsyslog(self, *a, **kw):
        r = Rsyslog(self, *a, **kw)
        self.daemons.append(r)
        return r.start()

    def write_item(self, name_bytes, content, extra=()):
        """Writes R/etc/cron.d/NAME from a child process (extra: more argv, ignored)."""
        path = os.fsencode(os.path.join(self.root, "etc", "cron.d")) + b"/" + name_bytes
        p = subprocess.run([sys.executable, "-c", WRITE_PY, path, content] + list(extra),
                           stdin=subprocess.DEVNULL, capture_output=True)
        check(p.returncode == 0, "the writer failed", p.stderr)
        return path

    def cleanup(self):
        for d in self.daemons:
            d.stop()
        if self.mon:
            self.mon.kill()
        if self.keep:
            sys.stderr.write("test_fleet: kept %s\n" % self.base)
        else:
            shutil.rmtree(self.base, ignore_errors=True)


def hostile_name(tag):
    """A cron.d file name with a newline, 0xff, ESC [31m, a quote and a backslash."""
    raw = tag.encode() + b"-\n\xff\x1b[31mred\"q\\b"
    shown = tag + "-\n\ufffd\x1b[31mred\"q\\b"  # what file.name must say
    return raw, shown


def alert_for(ctx, tag):
    """foothold's own log line for the item named after tag, once it is written."""
    for line, e in json_lines(ctx.log):
        if e.get("event", {}).get("kind") == "alert" and \
                e.get("file", {}).get("name", "").startswith(tag + "-"):
            return line, e
    return None


def check_hostile(e, raw, shown):
    """foothold's record of the hostile item says what the item is, exactly."""
    check(e["file"]["name"] == shown, "foothold wrote file.name %r" % e["file"]["name"])
    got = base64.b64decode(e["foothold"]["raw"]["path"])
    check(got == b"/etc/cron.d/" + raw, "foothold.raw.path decodes to %r" % got)


def pair(ctx, sender_doc, port_key, transport, extra=()):
    """A fresh receiver and sender for one transport, from the docs' files with the host,
    ports and paths replaced (and extra replacements in both)."""
    if not (has_module("imfile") and has_module("mmjsonparse")):
        raise Skip("rsyslog's imfile or mmjsonparse module is not installed")
    tcp_port, relp_port = free_port(), free_port()
    out = os.path.join(ctx.base, "fleet-" + transport)
    rcv = ctx.rsyslog("receiver-" + transport, "rsyslog-receiver.conf",
                      [('port="514"', 'port="%d"' % tcp_port),
                       ('port="2514"', 'port="%d"' % relp_port),
                       ("/var/log/foothold-fleet/", out + "/")] + list(extra),
                      drop_relp=not has_relp())
    port = {"tcp": tcp_port, "relp": relp_port}[port_key]
    wait_for("the receiver to listen on %d" % port, lambda: rcv.alive() and listening(port), 15)
    snd_rejected = os.path.join(ctx.base, "sender-%s-rejected.log" % transport)
    snd = ctx.rsyslog("sender-" + transport, sender_doc,
                      [('File="/var/log/foothold/alerts.json"', 'File="%s"' % ctx.log),
                       ('target="logs.example.org"', 'target="127.0.0.1"'),
                       ('port="%s"' % {"tcp": "514", "relp": "2514"}[port_key],
                        'port="%d"' % port),
                       ("/var/log/foothold-rejected.log", snd_rejected)] + list(extra))
    snd.alive()
    return snd, rcv, os.path.join(out, "alerts.json"), (snd_rejected,
                                                         os.path.join(out, "rejected.log"))


def roundtrip(ctx, sender_doc, port_key, transport, timings):
    """Receiver and sender for one transport; the hostile item's alert must arrive intact."""
    snd, rcv, received, rejected = pair(ctx, sender_doc, port_key, transport)
    tag = "fleet%s%s" % (transport, uuid.uuid4().hex[:10])
    raw, shown = hostile_name(tag)
    seen = {}
    sizes = {}

    def grew(path):
        try:
            n = os.stat(path).st_size
        except FileNotFoundError:
            n = -1
        if sizes.get(path) == n:
            return False
        sizes[path] = n
        return True

    def both():
        """Watches foothold's log, then the receiver's file, for the alert: when each file
        grows, it is read, and the time is noted when it first holds the alert."""
        snd.alive()
        rcv.alive()
        for f in rejected:
            check(not os.path.exists(f) or os.path.getsize(f) == 0,
                  "%s is not empty: a line did not parse as JSON" % f, read_tail(f))
        if "log" not in seen:
            if not grew(ctx.log):
                return None
            now = time.monotonic()
            a = alert_for(ctx, tag)
            if not a:
                return None
            seen["log"], seen["orig"] = now, a[1]
        if not grew(received):
            return None
        now = time.monotonic()
        want = seen["orig"]["foothold"]["alert"]["id"]
        for _, e in json_lines(received):
            if e.get("foothold", {}).get("alert", {}).get("id") == want:
                seen["rcv"], seen["got"] = now, e
                return True
        return None

    t0 = time.monotonic()
    ctx.write_item(raw, "*/5 * * * * root /usr/bin/true %s\n" % tag, [BIG_ARG])
    wait_for("the alert for %r in foothold's log, then at the receiver (%s)" % (shown, transport),
             both, ARRIVAL_TIMEOUT, 0.0002)
    orig, got = seen["orig"], seen["got"]
    timings[transport] = (seen["log"] - t0, seen["rcv"] - seen["log"])
    sys.stderr.write("test_fleet: %s: item written -> alert in foothold's log %.1f ms -> at the "
                     "receiver %.2f ms later (%d fields; file sizes polled every 0.2 ms)\n" %
                     (transport, (seen["log"] - t0) * 1e3, (seen["rcv"] - seen["log"]) * 1e3,
                      leaves(orig)))
    check_hostile(orig, raw, shown)
    args = base64.b64decode(orig["foothold"].get("raw", {}).get("args", ""))
    check(BIG_ARG in args.split(b"\0"), "foothold.raw.args lacks the writer's argument")
    n = len(json.dumps(orig, ensure_ascii=False).encode())
    check(n > 32768, "the alert is only %d bytes: it was meant to be over rsyslog's default "
          "8 KiB limit" % n)
    d = diff(orig, got)
    check(not d, "%d fields differ between foothold's line and the receiver's" % len(d), *d[:40])
    check_hostile(got, raw, shown)
    # Every line foothold wrote up to this alert arrived (the start health record...).
    mine = [e for l, e in json_lines(ctx.log)]
    mine = mine[:mine.index(orig) + 1]
    theirs = [e for _, e in json_lines(received)]
    missing = [e for e in mine if e not in theirs]
    check(not missing, "%d of foothold's %d lines did not arrive" % (len(missing), len(mine)),
          *[json.dumps(e)[:300] for e in missing[:5]])
    for f in rejected:
        check(not os.path.exists(f) or os.path.getsize(f) == 0,
              "%s is not empty: a line did not parse as JSON" % f, read_tail(f))
    for d in (snd, rcv):
        bad = [l for l in d.errors().splitlines() if "error" in l.lower() or "warn" in l.lower()]
        check(not bad, "%s rsyslogd reports problems" % d.name, *bad[:10])
    return snd, rcv, received


def has_module(name):
    return any(os.path.exists(os.path.join(d, name + ".so")) for d in RSYSLOG_MODDIRS)


def has_relp():
    return has_module("imrelp") and has_module("omrelp")


def t_tcp(ctx, timings):
    snd, rcv, received = roundtrip(ctx, "rsyslog-sender-tcp.conf", "tcp", "tcp", timings)
    ctx.tcp = (snd, rcv, received)


def t_relp(ctx, timings):
    if not has_relp():
        raise Skip("rsyslog-relp is not installed (imrelp.so, omrelp.so)")
    snd, rcv, _ = roundtrip(ctx, "rsyslog-sender-relp.conf", "relp", "relp", timings)
    snd.stop()
    rcv.stop()


def t_rotate(ctx, timings):
    """logrotate's way: rename, SIGHUP; imfile must finish the old file and follow the new."""
    if not getattr(ctx, "tcp", None):
        raise Skip("needs the TCP pair of fleet-rsyslog-tcp, which did not run")
    snd, rcv, received = ctx.tcp
    tag_a = "rotA%s" % uuid.uuid4().hex[:10]
    tag_b = "rotB%s" % uuid.uuid4().hex[:10]
    # The sender is stopped while the log rotates, so that the line for tag_a is still
    # unread in the renamed file: imfile must finish that file, then take the new one.
    snd.proc.send_signal(signal.SIGSTOP)
    try:
        ctx.write_item(tag_a.encode() + b"-x", "* * * * * root /a\n")
        wait_for("foothold to log %s" % tag_a, lambda: alert_for(ctx, tag_a), 15, 0.01)
        os.rename(ctx.log, ctx.log + ".1")
        ctx.mon.proc.send_signal(signal.SIGHUP)
        wait_for("foothold to reopen its log", lambda: os.path.exists(ctx.log), 10, 0.01)
        ctx.write_item(tag_b.encode() + b"-x", "* * * * * root /b\n")
        wait_for("foothold to log %s in the new file" % tag_b, lambda: alert_for(ctx, tag_b),
                 15, 0.01)
    finally:
        snd.proc.send_signal(signal.SIGCONT)

    def names():
        snd.alive()
        rcv.alive()
        return [e["file"]["name"] for _, e in json_lines(received)
                if e.get("event", {}).get("kind") == "alert"]

    for tag in (tag_a, tag_b):
        wait_for("%s at the receiver after the rotation" % tag,
                 lambda: any(n.startswith(tag + "-") for n in names()), ARRIVAL_TIMEOUT, 0.02)
    for tag in (tag_a, tag_b):
        n = sum(1 for x in names() if x.startswith(tag + "-"))
        check(n == 1, "%s arrived %d times" % (tag, n))


def t_oversize(ctx, timings):
    """A record longer than maxMessageSize is not lost unseen: with the limit at 16k on both
    sides, the cut ~50 KB alert lands in both rejected files (imfile drops the rest of a
    cut line: rsyslog 8.2302 splits only in its multi-line read modes)."""
    snd, rcv, received, rejected = pair(ctx, "rsyslog-sender-tcp.conf", "tcp", "oversize",
                                        [('maxMessageSize="1m"', 'maxMessageSize="16k"')])
    tag = "big%s" % uuid.uuid4().hex[:10]
    ctx.write_item(tag.encode() + b"-x", "* * * * * root /big\n", [BIG_ARG])
    line, _ = wait_for("foothold to log %s" % tag, lambda: alert_for(ctx, tag), 15, 0.01)
    check(len(line) > 3 * 16384, "the alert is only %d bytes" % len(line))

    def held(path):
        snd.alive()
        rcv.alive()
        return tag.encode() in open(path, "rb").read() if os.path.exists(path) else False
    for f in rejected:
        wait_for("the cut long alert in %s" % f, lambda: held(f), ARRIVAL_TIMEOUT,
                 0.01)
    ids = [e["foothold"]["alert"]["id"] for _, e in json_lines(received)
           if tag in e.get("file", {}).get("name", "")]
    check(not ids, "the receiver parsed a record that should have been cut")
    snd.stop()
    rcv.stop()


def t_dropin(ctx, timings):
    """The drop-ins pass rsyslogd -N1 inside Debian's stock rsyslog.conf."""
    stock = "/etc/rsyslog.conf"
    if not os.path.exists(stock):
        raise Skip("no /etc/rsyslog.conf to include the drop-ins from")
    with open(stock) as f:
        text = f.read()
    inc = "$IncludeConfig /etc/rsyslog.d/*.conf"
    check(inc in text, "%s does not include /etc/rsyslog.d/*.conf" % stock)
    docs = sorted(glob.glob(os.path.join(FLEET, "rsyslog-*.conf")))
    check(docs, "no docs/fleet/rsyslog-*.conf")
    for doc in docs:
        if "relp" in doc and not has_relp():
            continue
        conf = os.path.join(ctx.base, "stock-" + os.path.basename(doc))
        with open(conf, "w") as f:
            f.write(text.replace(inc, "$IncludeConfig " + doc))
        p = subprocess.run(["rsyslogd", "-N1", "-f", conf], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        check(p.returncode == 0, "rsyslogd -N1 refuses %s in Debian's rsyslog.conf" %
              os.path.basename(doc), p.stdout + p.stderr)
        bad = [l for l in (p.stdout + p.stderr).splitlines()
               if "error" in l.lower() or "warning" in l.lower()]
        check(not bad, "rsyslogd -N1 complains about %s" % os.path.basename(doc), *bad)


TESTS = [("fleet-rsyslog-tcp", t_tcp), ("fleet-rsyslog-relp", t_relp),
         ("fleet-rsyslog-rotate", t_rotate), ("fleet-rsyslog-oversize", t_oversize),
         ("fleet-rsyslog-dropin", t_dropin)]


def main():
    args = sys.argv[1:]
    keep = "--keep" in args
    args = [a for a in args if a != "--keep"]
    build = args[0] if args else "build"
    if os.geteuid() != 0:
        print("SKIP root/fleet: needs root")
        return 0
    if not shutil.which("rsyslogd"):
        for name, _ in TESTS:
            print("SKIP root/%s: rsyslogd is not installed (package rsyslog)" % name)
        return 0
    ctx = Ctx(build, keep)
    failed = 0
    timings = {}
    try:
        try:
            ctx.start_foothold()
        except Fail as e:
            for name, _ in TESTS:
                print("FAIL root/%s: %s" % (name, e.args[0]))
            for d in e.args[1:]:
                sys.stderr.write("%s\n" % (d,))
            return 1
        for name, fn in TESTS:
            try:
                fn(ctx, timings)
                print("PASS root/%s" % name)
            except Skip as e:
                print("SKIP root/%s: %s" % (name, e.args[0]))
            except Fail as e:
                failed += 1
                print("FAIL root/%s: %s" % (name, e.args[0]))
                sys.stderr.write("FAIL root/%s: %s\n" % (name, e.args[0]))
                for d in e.args[1:]:
                    sys.stderr.write("  %s\n" % (d if isinstance(d, str) else repr(d)))
                for d in ctx.daemons:
                    err = d.errors()
                    if err:
                        sys.stderr.write("  %s's stderr:\n%s\n" % (d.name, err))
            except Exception:
                failed += 1
                print("FAIL root/%s: exception (stderr)" % name)
                traceback.print_exc()
            sys.stdout.flush()
    finally:
        ctx.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
