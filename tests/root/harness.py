"""harness.py - what the root tests share: failures, checks, and a foothold subprocess.

A test raises Fail (or Skip) with a message and detail objects for stderr; check() is the
assertion. Foothold runs as a subprocess whose stdout and stderr are read by threads, so
that a chatty process never blocks on a full pipe; start() waits for "foothold: ready",
finish() stops it with a signal and returns its exit code, stdout bytes and stderr text.
"""

import signal
import subprocess
import threading
import time


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg, *detail):
    """Fails the test with msg when cond is false; detail objects go to stderr."""
    if not cond:
        raise Fail(msg, *detail)


class Foothold:
    """One foothold command as a subprocess (a context manager that kills it on exit)."""

    def __init__(self, argv, what, ready_timeout):
        self.argv = argv
        self.what = what  # "foothold run", for messages
        self.ready_timeout = ready_timeout
        self.proc = None
        self.out = bytearray()
        self.err = []
        self.ready = threading.Event()

    def _read_out(self):
        while True:
            b = self.proc.stdout.read1(1 << 16)
            if not b:
                return
            self.out += b

    def _read_err(self):
        for line in self.proc.stderr:
            s = line.decode("utf-8", "replace")
            self.err.append(s)
            if s.rstrip("\n") == "foothold: ready":
                self.ready.set()
        self.ready.set()  # EOF: do not wait for a line that will not come

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.threads = [threading.Thread(target=self._read_out, daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for t in self.threads:
            t.start()
        if not self.ready.wait(self.ready_timeout) or self.proc.poll() is not None:
            err = "".join(self.err)
            self.kill()
            raise Fail("%s did not print 'foothold: ready' within %gs" %
                       (self.what, self.ready_timeout), err)
        return self

    def finish(self, sig, settle):
        """Waits settle seconds, stops it with sig; returns (rc, stdout, stderr)."""
        time.sleep(settle)
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail("%s did not exit within 20s of %s" % (self.what,
                                                             signal.Signals(sig).name))
        for t in self.threads:
            t.join(timeout=10)
        err = "".join(self.err)
        check(rc == 0, "%s exited %d on %s" % (self.what, rc, signal.Signals(sig).name), err)
        return rc, bytes(self.out), err

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        return False
