#!/usr/bin/env python3
"""filestorm_analyze.py - runs and analyses foothold's file-storm benchmark (stdlib only).

Called by bench/file-storm.sh, which builds bench/filestorm.c, snapshots the foothold binary
and makes the work directory; see bench/FILES.md for what is measured and why.

Every round runs, in this order (the on/off order of each pair rotated every round):
  outside   OUT_REPS times {no daemon, foothold run --root DIR, foothold run (real /)}: a
            create/write/close/rename/unlink storm in DIR/var/tmp/fh-storm, which no catalog
            pattern covers
  sibling   OUT_REPS times {no daemon, --root DIR}: the same storm in DIR/root, a home that
            foothold marks for its start-up files, with file names that are not items
  create1   {no daemon, --root DIR}: N new files in DIR/etc/cron.d from 1 writer
  create2   the same from 2 writers
  modify    {no daemon, --root DIR}: N appends round-robin over 16 shell start-up files
  latency   --root DIR: paced new files, then paced appends to existing cron.d items
Every run with the daemon starts its own foothold (and stops it with SIGINT), from the same
reset tree, so runs do not inherit each other's pending changes or snapshots.
"""
import argparse
import calendar
import datetime
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

RC_NAMES = [".bashrc", ".profile", ".bash_profile", ".bash_logout", ".bash_aliases", ".zshrc",
            ".kshrc", ".shrc"]
HOMES = ["root", "home/alice"]
CRON_BASE = {"0hourly": "17 * * * * root run-parts /etc/cron.hourly\n",
             "e2scrub_all": "30 3 * * 0 root test -e /run/systemd/system || "
                            "/sbin/e2scrub_all -A -r\n"}


# ---------------------------------------------------------------------------------------------
# The tree foothold watches


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def populate(root):
    """The watched tree: cron, systemd, shell start-up files, ssh keys, autostart."""
    write(f"{root}/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
          "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n")
    write(f"{root}/etc/group", "root:x:0:\nalice:x:1000:\n")
    write(f"{root}/etc/crontab", "SHELL=/bin/sh\n17 * * * * root cd / && run-parts "
          "--report /etc/cron.hourly\n")
    write(f"{root}/etc/cron.daily/logrotate", "#!/bin/sh\n/usr/sbin/logrotate "
          "/etc/logrotate.conf\n", 0o755)
    write(f"{root}/etc/systemd/system/backup.service", "[Unit]\nDescription=Backup\n\n"
          "[Service]\nExecStart=/usr/local/bin/backup\n\n[Install]\n"
          "WantedBy=multi-user.target\n")
    write(f"{root}/etc/systemd/system/backup.timer", "[Timer]\nOnCalendar=daily\n\n[Install]\n"
          "WantedBy=timers.target\n")
    wants = f"{root}/etc/systemd/system/multi-user.target.wants"
    os.makedirs(wants, exist_ok=True)
    if not os.path.lexists(f"{wants}/backup.service"):
        os.symlink("/etc/systemd/system/backup.service", f"{wants}/backup.service")
    write(f"{root}/etc/profile", "PATH=/usr/local/bin:/usr/bin:/bin\nexport PATH\n")
    write(f"{root}/etc/bash.bashrc", "PS1='\\u@\\h:\\w\\$ '\n")
    write(f"{root}/etc/profile.d/local.sh", "umask 022\n")
    write(f"{root}/etc/ssh/sshd_config", "PermitRootLogin no\nPasswordAuthentication no\n")
    write(f"{root}/var/spool/cron/crontabs/root", "0 4 * * * /usr/local/bin/backup\n", 0o600)
    for h in HOMES:
        write(f"{root}/{h}/.ssh/authorized_keys",
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
              f"{h.split('/')[-1]}@example\n", 0o600)
    write(f"{root}/home/alice/.config/autostart/notes.desktop",
          "[Desktop Entry]\nType=Application\nName=Notes\nExec=/usr/bin/notes\n")
    os.makedirs(f"{root}/var/tmp/fh-storm", exist_ok=True)
    reset(root)


def rc_items(root):
    return [f"{root}/{h}/{n}" for h in HOMES for n in RC_NAMES]


def reset(root):
    """Back to the same state before every run (with no daemon running)."""
    d = f"{root}/etc/cron.d"
    os.makedirs(d, exist_ok=True)
    for n in os.listdir(d):
        if n not in CRON_BASE:
            os.unlink(os.path.join(d, n))
    for n, text in CRON_BASE.items():
        write(f"{d}/{n}", text)
    for p in rc_items(root):
        write(p, "# ~/%s\nalias ll='ls -l'\n" % os.path.basename(p))
    shutil.rmtree(f"{root}/var/tmp/fh-storm", ignore_errors=True)
    os.makedirs(f"{root}/var/tmp/fh-storm")


# ---------------------------------------------------------------------------------------------
# Process accounting (as in bench/analyze.py)


def cpu_ns(pid):
    """CPU time of all threads of pid in ns, from /proc/PID/task/*/schedstat (exact)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def cpu_ticks(pid):
    """utime + stime of pid in clock ticks, from /proc/PID/stat (cross-check, 10 ms grain)."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def other_fanotify(own=()):
    """Marks of fanotify groups held by processes other than own: the machine is shared, and
    a filesystem or mount mark anywhere on / taxes every file operation (bench/FANOTIFY.md)."""
    c = {"groups": 0, "inode": 0, "sb": 0, "mnt": 0, "footholds": 0}
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) in own or int(p) == os.getpid():
            continue
        try:
            with open(f"/proc/{p}/comm") as f:
                c["footholds"] += f.read().strip() == "foothold"
            for fd in os.listdir(f"/proc/{p}/fdinfo"):
                with open(f"/proc/{p}/fdinfo/{fd}") as f:
                    text = f.read()
                if "fanotify" not in text:
                    continue
                c["groups"] += 1
                for line in text.splitlines():
                    if line.startswith("fanotify ino:"):
                        c["inode"] += 1
                    elif line.startswith("fanotify sdev:"):
                        c["sb"] += 1
                    elif line.startswith("fanotify mnt_id:"):
                        c["mnt"] += 1
        except OSError:
            pass
    return c


def ts_ns(s):
    """'2026-11-22T11:25:49.909908Z' -> ns since the epoch, exactly."""
    base, _, frac = s.rstrip("Z").partition(".")
    sec = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return sec * 1_000_000_000 + int((frac + "000000000")[:9])


# ---------------------------------------------------------------------------------------------
# The daemon


class Daemon:
    """One `foothold run --json` with its output in a file, read incrementally."""

    def __init__(self, a, root, tag):
        self.out = os.path.join(a.workdir, f"out-{tag}.json")
        cmd = [a.foothold, "run", "--config", a.config, "--json", "--log-file", "none",
               "--no-journald"]
        if root:
            cmd += ["--root", root]
        self.cmd = cmd
        self.keep = a.keep
        self.errlines = []
        self.alerts = []  # (path, ts_ns, action, record subset)
        self.metrics = []
        self.bad = 0
        self.tail = b""
        ready = threading.Event()
        with open(self.out, "wb") as outf:
            self.p = subprocess.Popen(cmd, stdout=outf, stderr=subprocess.PIPE,
                                      stdin=subprocess.DEVNULL)

        def read_err():
            for raw in self.p.stderr:
                line = raw.decode(errors="replace").rstrip("\n")
                self.errlines.append(line)
                if line.strip() == "foothold: ready":
                    ready.set()

        self.t = threading.Thread(target=read_err, daemon=True)
        self.t.start()
        t0 = time.monotonic()
        if not ready.wait(60):
            self.p.kill()
            self.p.wait()
            sys.exit("file-storm: foothold did not become ready:\n" + "\n".join(self.errlines))
        self.ready_s = time.monotonic() - t0
        self.f = open(self.out, "rb")
        self.ns0, self.tk0 = cpu_ns(self.p.pid), cpu_ticks(self.p.pid)

    def poll(self):
        """Reads what foothold wrote since the last call; returns the number of new alerts."""
        n = 0
        while True:
            data = self.f.read(1 << 24)
            if not data:
                return n
            data = self.tail + data
            lines = data.split(b"\n")
            self.tail = lines.pop()
            for line in lines:
                if not line.strip():
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    self.bad += 1
                    continue
                kind = ev.get("event", {}).get("kind")
                if kind == "alert":
                    fi = ev.get("file", {})
                    self.alerts.append({
                        "path": fi.get("path"), "ts": ts_ns(ev["@timestamp"]),
                        "action": ev["event"].get("action"), "size": fi.get("size"),
                        "sha256": fi.get("hash", {}).get("sha256"),
                        "attribution": ev.get("foothold", {}).get("attribution", {})
                        .get("status"),
                        "pid": ev.get("process", {}).get("pid"),
                    })
                    n += 1
                elif kind == "metric":
                    self.metrics.append(ev)

    def stop(self):
        self.poll()
        ns1, tk1 = cpu_ns(self.p.pid), cpu_ticks(self.p.pid)
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.t.join(10)
        self.poll()
        if self.tail.strip():
            self.bad += 1
        self.f.close()
        if not self.keep:
            os.unlink(self.out)
        health = self.metrics[-1]["foothold"]["health"] if self.metrics else {}
        return {
            "fh_cpu_ns": ns1 - self.ns0, "fh_cpu_ticks": tk1 - self.tk0,
            "fh_rc": self.p.returncode, "ready_s": self.ready_s, "health": health,
            "health_reasons": [m["event"].get("action") for m in self.metrics],
            "bad_lines": self.bad,
            "stderr_other": [l for l in self.errlines
                             if l.strip() != "foothold: ready"
                             and "need a filesystem-wide watch" not in l][:10],
        }


def run_filestorm(a, args):
    r = subprocess.run([a.filestorm] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    try:
        w = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        sys.exit(f"file-storm: filestorm {' '.join(args)} failed (rc {r.returncode}): "
                 f"{r.stdout} {r.stderr}")
    if r.returncode or w["bad_workers"]:
        sys.exit(f"file-storm: filestorm {' '.join(args)}: {r.stderr.strip()}")
    return w


def wait_alerts(a, d, done):
    """Polls until done() or no new alert for a.settle s (a.timeout s at most)."""
    t0 = last = time.monotonic()
    while not done():
        now = time.monotonic()
        if d.poll():
            last = now
        elif now - last > a.settle or now - t0 > a.timeout:
            break
        time.sleep(0.05)
    return time.monotonic() - t0


def health_pick(h):
    fan = h.get("fanotify", {})
    al = h.get("alerts", {})
    at = h.get("attribution", {})
    pr = h.get("process", {})
    return {
        "fan_events": fan.get("events"), "overflows": fan.get("overflows"),
        "malformed": fan.get("malformed"), "unresolved": fan.get("unresolved"),
        "mark_budget": fan.get("mark_budget"), "marks": fan.get("marks"),
        "alerted": al.get("alerted"), "quiet": al.get("quiet"), "unchanged": al.get("unchanged"),
        "transient": al.get("transient"), "pending": al.get("pending"),
        "pending_overflow": al.get("pending_overflow"), "rescans": al.get("rescans"),
        "attr_exact": at.get("exact"), "attr_degraded": at.get("degraded"),
        "attr_unknown": at.get("unknown"),
        "ring_lost": (pr.get("ring_lost_records") or 0) + (pr.get("ring_lost_events") or 0),
    }


# ---------------------------------------------------------------------------------------------
# The runs


def start_rec(kind, mode):
    return {"kind": kind, "mode": mode, "load_start": loadavg(), "others": other_fanotify()}


def run_outside(a, mode, tag, kind="outside"):
    """kind outside: in DIR/var/tmp/fh-storm, unwatched; sibling: in the home DIR/root, which
    foothold marks (for .bashrc and the like) but whose other files are not items."""
    reset(a.root)
    rec = start_rec(kind, mode)
    d = None
    if mode != "off":
        d = Daemon(a, a.root if mode == "root" else None, tag)
    args = ["outside", "--dir", f"{a.root}/var/tmp/fh-storm", "-n", str(a.n_outside), "-w",
            str(a.out_workers)]
    if kind == "sibling":
        args = ["outside", "--dir", f"{a.root}/root", "-n", str(a.n_sibling), "-w",
                str(a.out_workers), "--flat"]
    rec["workload"] = run_filestorm(a, args)
    if d:
        # Let foothold finish what the storm queued (nothing, if unwatched), up to 30 s.
        t0 = time.monotonic()
        last = -1
        while time.monotonic() - t0 < 30:
            time.sleep(0.3)
            now = cpu_ns(d.p.pid)
            if now - last < 3_000_000:  # under 1% of a CPU over 0.3 s: idle
                break
            last = now
        rec.update(d.stop())
        rec["alerts"] = len(d.alerts)
        rec["alerts_in_storm_dir"] = sum(
            1 for x in d.alerts if x["path"] and ("fh-storm" in x["path"] or
                                                  os.path.basename(x["path"]).startswith("w")))
    ops = rec["workload"]["ops"]
    rec["wl_ns_per_op"] = rec["workload"]["cpu_us"] * 1000 / ops
    rec["ns_per_op"] = rec["wl_ns_per_op"] + rec.get("fh_cpu_ns", 0) / ops
    rec["fh_ns_per_op"] = rec.get("fh_cpu_ns", 0) / ops
    rec["ops_per_s"] = ops / rec["workload"]["wall_s"]
    return rec


def run_create(a, mode, workers, tag):
    reset(a.root)
    rec = start_rec(f"create{workers}", mode)
    prefix = f"fs{tag}"
    crond = f"{a.root}/etc/cron.d"
    n = a.n_create
    expected = {f"/etc/cron.d/{prefix}-{k}-{i}" for k in range(workers)
                for i in range(n // workers + (k < n % workers))}
    d = Daemon(a, a.root, tag) if mode == "on" else None
    rec["workload"] = w = run_filestorm(a, ["create", "--dir", crond, "-n", str(n), "-w",
                                            str(workers), "-p", prefix])
    if d:
        seen = set()

        def done():
            for x in d.alerts[len(seen_list):]:
                seen_list.append(x)
                if x["path"] in expected:
                    seen.add(x["path"])
            return len(seen) >= len(expected)

        seen_list = []
        rec["drain_s"] = wait_alerts(a, d, done)
        rec.update(d.stop())
        mine = [x for x in d.alerts if x["path"] in expected]
        paths = {x["path"] for x in mine}
        rec["expected"] = len(expected)
        rec["seen"] = len(paths)
        rec["alerts_mine"] = len(mine)
        rec["alerts_other"] = len(d.alerts) - len(mine)
        rec["actions"] = sorted({x["action"] for x in mine})
        rec["attribution"] = {s: sum(1 for x in mine if x["attribution"] == s)
                              for s in {x["attribution"] for x in mine}}
        if mine:
            last = max(x["ts"] for x in mine)
            first = min(x["ts"] for x in mine)
            rec["alerts_per_s"] = len(paths) / max((last - w["start_realtime_ns"]) / 1e9, 1e-9)
            rec["last_alert_after_storm_ms"] = (last - w["end_realtime_ns"]) / 1e6
            rec["first_alert_after_start_ms"] = (first - w["start_realtime_ns"]) / 1e6
        rec["missing_examples"] = sorted(expected - paths)[:5]
    rec["wl_us_per_file"] = w["cpu_us"] / n
    rec["us_per_file"] = rec["wl_us_per_file"] + rec.get("fh_cpu_ns", 0) / 1000 / n
    rec["files_per_s"] = n / w["wall_s"]
    return rec


def sha256_file(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_modify(a, mode, tag):
    reset(a.root)
    rec = start_rec("modify", mode)
    items = rc_items(a.root)
    lst = os.path.join(a.workdir, "rc-items.txt")
    with open(lst, "w") as f:
        f.write("\n".join(items) + "\n")
    d = Daemon(a, a.root, tag) if mode == "on" else None
    rec["workload"] = w = run_filestorm(a, ["append", "--list", lst, "-n", str(a.n_modify),
                                            "-w", "1"])
    rec["items"] = len(items)
    if d:
        rel = {p[len(a.root):]: sha256_file(p) for p in items}
        final_seen = set()

        def done():
            for x in d.alerts[len(seen_list):]:
                seen_list.append(x)
                if x["path"] in rel and x["sha256"] == rel[x["path"]]:
                    final_seen.add(x["path"])
            return len(final_seen) >= len(rel)

        seen_list = []
        rec["drain_s"] = wait_alerts(a, d, done)
        rec.update(d.stop())
        mine = [x for x in d.alerts if x["path"] in rel]
        rec["alerts_mine"] = len(mine)
        rec["final_seen"] = len(final_seen)
        rec["items_alerted"] = len({x["path"] for x in mine})
        rec["actions"] = sorted({x["action"] for x in mine})
        if mine:
            last = max(x["ts"] for x in mine)
            rec["alerts_per_s"] = len(mine) / max((last - w["start_realtime_ns"]) / 1e9, 1e-9)
            rec["last_alert_after_storm_ms"] = (last - w["end_realtime_ns"]) / 1e6
    rec["wl_us_per_op"] = w["cpu_us"] / a.n_modify
    rec["us_per_op"] = rec["wl_us_per_op"] + rec.get("fh_cpu_ns", 0) / 1000 / a.n_modify
    return rec


def read_lat(prefix, workers, root):
    out = {}
    for k in range(workers):
        with open(f"{prefix}.{k}") as f:
            for line in f:
                p, _, ns = line.rstrip("\n").partition("\t")
                out[p[len(root):]] = int(ns)
        os.unlink(f"{prefix}.{k}")
    return out


def run_latency(a, tag):
    reset(a.root)
    rec = start_rec("latency", "on")
    crond = f"{a.root}/etc/cron.d"
    n = a.n_lat
    app = [f"{crond}/latapp-{i}" for i in range(n)]
    for p in app:
        write(p, "# existing item\n0 5 * * * root /bin/true\n")
    lst = os.path.join(a.workdir, "lat-items.txt")
    with open(lst, "w") as f:
        f.write("\n".join(app) + "\n")
    d = Daemon(a, a.root, tag)
    latf = os.path.join(a.workdir, "lat")
    rec["new_wl"] = run_filestorm(a, ["create", "--dir", crond, "-n", str(n), "-w", "1",
                                      "-p", f"latnew{tag}", "--interval-ms",
                                      str(a.interval_ms), "--lat", latf + "-new"])
    rec["app_wl"] = run_filestorm(a, ["append", "--list", lst, "-n", str(n), "-w", "1",
                                      "--interval-ms", str(a.interval_ms),
                                      "--lat", latf + "-app"])
    closes = {"new": read_lat(latf + "-new", 1, a.root), "append": read_lat(latf + "-app", 1,
                                                                             a.root)}
    want = set(closes["new"]) | set(closes["append"])
    got = set()

    def done():
        for x in d.alerts[len(seen_list):]:
            seen_list.append(x)
            if x["path"] in want:
                got.add(x["path"])
        return len(got) >= len(want)

    seen_list = []
    rec["drain_s"] = wait_alerts(a, d, done)
    rec.update(d.stop())
    first = {}
    for x in d.alerts:
        if x["path"] in want and x["path"] not in first:
            first[x["path"]] = x
    for kind, c in closes.items():
        lat = [(first[p]["ts"] - t) / 1e6 for p, t in c.items() if p in first]
        rec[f"{kind}_ms"] = lat
        rec[f"{kind}_missing"] = len(c) - len(lat)
        rec[f"{kind}_actions"] = sorted({first[p]["action"] for p in c if p in first})
        rec[f"{kind}_dups"] = sum(1 for x in d.alerts if x["path"] in c) - len(lat)
    return rec


# ---------------------------------------------------------------------------------------------
# Statistics and tables


def spread(xs):
    xs = sorted(xs)
    if not xs:
        return None
    if len(xs) >= 2:
        q = statistics.quantiles(xs, n=4, method="inclusive")
        q1, q3 = q[0], q[2]
    else:
        q1 = q3 = xs[0]
    return {"median": statistics.median(xs), "min": xs[0], "max": xs[-1], "q1": q1, "q3": q3}


def fmt(s, nd=1, pct=False):
    if s is None:
        return "-"
    u = "%" if pct else ""
    f = f"{{:.{nd}f}}"
    return (f"{f.format(s['median'])}{u} [{f.format(s['min'])}..{f.format(s['max'])}; "
            f"IQR {f.format(s['q1'])}..{f.format(s['q3'])}]")


def pct(xs, p):
    """Nearest-rank percentile."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))
    return xs[k]


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def sumh(rs, key):
    return sum((r.get("health_pick", {}).get(key) or 0) for r in rs)


def env_report(a):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:
            return "?"

    return "\n".join([
        f"- started: {a.started}",
        f"- host: {os.uname().nodename}, kernel {os.uname().release}, {os.cpu_count()} CPUs, "
        f"work dir {a.workdir} on {sh('findmnt -n -o FSTYPE -T ' + a.workdir)}",
        f"- foothold: snapshot of {a.foothold_src} (sha256 "
        f"{sh('sha256sum ' + a.foothold).split()[0][:16]}), repo HEAD "
        f"{sh('git -C ' + a.repo + ' rev-parse --short HEAD')}, "
        f"{len(sh('git -C ' + a.repo + ' status --porcelain').splitlines())} uncommitted paths",
        f"- config: {a.config} (empty: every setting at its default, rename_grace_ms 5, "
        f"modify_settle_ms 500)",
        f"- load average when the report was written: {sh('cat /proc/loadavg')}",
    ])


def report(a, recs, t0):
    by = lambda kind, mode: [r for r in recs if r["kind"] == kind and r["mode"] == mode]
    base_of = lambda kind: {r["round"]: r for r in by(kind, "off")}
    sections = []

    # 1. outside, and non-item files in a watched home
    rows = []
    for kind, mode, label in [("outside", "off", "unwatched dir: no daemon"),
                              ("outside", "root", "unwatched dir: foothold run --root DIR"),
                              ("outside", "slash", "unwatched dir: foothold run (real /)"),
                              ("sibling", "off", "watched home, non-item files: no daemon"),
                              ("sibling", "root", "watched home, non-item files: foothold "
                               "run --root DIR")]:
        base = base_of(kind)
        rs = by(kind, mode)
        if not rs:
            continue
        cpu = spread([r["ns_per_op"] / 1000 for r in rs])
        if mode == "off":
            rows.append([label, fmt(cpu, 2), "-", fmt(spread([r["wl_ns_per_op"] / 1000
                                                              for r in rs]), 2), "-",
                         fmt(spread([r["ops_per_s"] for r in rs]), 0), "-", "-", "-"])
            continue
        ratio = spread([(r["ns_per_op"] / base[r["round"]]["ns_per_op"] - 1) * 100 for r in rs])
        rate = spread([(1 - r["ops_per_s"] / base[r["round"]]["ops_per_s"]) * 100 for r in rs])
        rows.append([label, fmt(cpu, 2), "**" + fmt(ratio, 1, True) + "**",
                     fmt(spread([r["wl_ns_per_op"] / 1000 for r in rs]), 2),
                     fmt(spread([r["fh_ns_per_op"] / 1000 for r in rs]), 3),
                     fmt(spread([r["ops_per_s"] for r in rs]), 0) + f"; rate loss "
                     f"{fmt(rate, 1, True)}",
                     f"{sumh(rs, 'fan_events')} / {sum(r['alerts'] for r in rs)} "
                     f"({sum(r['alerts_in_storm_dir'] for r in rs)} for storm files)",
                     str(sumh(rs, "overflows")),
                     fmt(spread([r["ready_s"] for r in rs]), 2)])
    sections.append(
        f"## 1. Outside the watched locations\n\n{a.n_outside} operations per run "
        f"({a.out_workers} writer(s)), one = create f.tmp + write 100 B + close + rename to f + "
        f"unlink, in DIR/var/tmp/fh-storm (no catalog pattern covers it); {a.out_reps} "
        f"triples per round, {len(by('outside', 'off'))} in all. The same storm of "
        f"{a.n_sibling} operations in DIR/root (marked for its shell start-up files; the "
        f"storm's files are not items), {len(by('sibling', 'off'))} pairs. CPU/op = (workload "
        f"CPU + foothold CPU from ready to just before SIGINT) / operations; overhead = "
        f"CPU/op / CPU/op(no daemon, same round) - 1.\n\n" + md_table(
            ["daemon", "CPU/op µs (workload + foothold)", "CPU/op overhead",
             "workload-only CPU/op µs", "foothold CPU/op µs", "ops/s",
             "fanotify events / alerts seen by foothold (sum of runs)", "overflows (sum)",
             "start to ready s"], rows))

    # 2. inside: create storms and the modify storm
    rows = []
    for kind in ("create1", "create2"):
        base = base_of(kind)
        rs = by(kind, "on")
        if not rs:
            continue
        exp = sum(r["expected"] for r in rs)
        seen = sum(r["seen"] for r in rs)
        worst = min(r["seen"] / r["expected"] for r in rs) * 100
        ratio = spread([(r["us_per_file"] / base[r["round"]]["us_per_file"] - 1) * 100
                        for r in rs if r["round"] in base])
        rows.append([
            f"{a.n_create} new cron.d files, {kind[-1]} writer(s)",
            f"**{seen}/{exp}** ({seen / exp * 100:.2f}%; worst run {worst:.2f}%)",
            f"{sum(r['alerts_mine'] for r in rs) - seen}",
            fmt(spread([r.get("alerts_per_s", 0) for r in rs]), 0),
            fmt(spread([r.get("last_alert_after_storm_ms", 0) for r in rs]), 0),
            fmt(spread([r["files_per_s"] for r in rs]), 0),
            fmt(spread([base[r["round"]]["us_per_file"] for r in rs if r["round"] in base]), 1)
            + " → " + fmt(spread([r["us_per_file"] for r in rs]), 1) + f" ({fmt(ratio, 0, True)})",
            f"**{sumh(rs, 'overflows')}**",
            f"{sumh(rs, 'pending_overflow')} / {sumh(rs, 'rescans')} / {sumh(rs, 'transient')}"
            f" / {sumh(rs, 'unchanged')}",
            ", ".join(f"{k} {v}" for k, v in sorted(
                {s: sum(r["attribution"].get(s, 0) for r in rs)
                 for r0 in rs for s in r0["attribution"]}.items())),
        ])
    base = base_of("modify")
    rs = by("modify", "on")
    if rs:
        ratio = spread([(r["us_per_op"] / base[r["round"]]["us_per_op"] - 1) * 100
                        for r in rs if r["round"] in base])
        items = sum(r["items"] for r in rs)
        rows.append([
            f"{a.n_modify} appends over {rs[0]['items']} shell rc items, 1 writer",
            f"final state of **{sum(r['final_seen'] for r in rs)}/{items}** items alerted; "
            f"{sum(r['alerts_mine'] for r in rs)} alerts for "
            f"{a.n_modify * len(rs)} appends",
            "-",
            fmt(spread([r.get("alerts_per_s", 0) for r in rs]), 0),
            fmt(spread([r.get("last_alert_after_storm_ms", 0) for r in rs]), 0),
            fmt(spread([a.n_modify / r["workload"]["wall_s"] for r in rs]), 0),
            fmt(spread([base[r["round"]]["us_per_op"] for r in rs if r["round"] in base]), 1)
            + " → " + fmt(spread([r["us_per_op"] for r in rs]), 1) + f" ({fmt(ratio, 0, True)})",
            f"**{sumh(rs, 'overflows')}**",
            f"{sumh(rs, 'pending_overflow')} / {sumh(rs, 'rescans')} / {sumh(rs, 'transient')}"
            f" / {sumh(rs, 'unchanged')}",
            "-",
        ])
    sections.append(
        "## 2. Inside: storms of item changes\n\nCompleteness = distinct expected paths with "
        "an alert / files written; alerts/s = distinct paths alerted / (last alert's "
        "@timestamp - storm start); drain = last alert's @timestamp - storm end. CPU per "
        "file = (writers' CPU + foothold's) / files, no daemon → with daemon. Counters are "
        "from each run's last health record (`stop`), summed over runs.\n\n" + md_table(
            ["storm", "complete", "duplicate alerts", "alerts/s", "drain ms (last alert after "
             "the storm's end)", "files/s written (with daemon)", "CPU µs per file",
             "fanotify.overflows", "pending_overflow / rescans / transient / unchanged",
             "attribution"], rows))

    # 3. latency
    rows = []
    rs = by("latency", "on")
    for kind, label in (("new", "new file (create + write + close)"),
                        ("append", "append to an existing item")):
        pooled = [x for r in rs for x in r[f"{kind}_ms"]]
        miss = sum(r[f"{kind}_missing"] for r in rs)
        rows.append([
            label, f"{len(pooled)}/{len(pooled) + miss}",
            f"{pct(pooled, 50):.2f}", f"**{pct(pooled, 99):.2f}**", f"{max(pooled):.2f}"
            if pooled else "-",
            fmt(spread([pct(r[f"{kind}_ms"], 50) for r in rs if r[f"{kind}_ms"]]), 2),
            fmt(spread([pct(r[f"{kind}_ms"], 99) for r in rs if r[f"{kind}_ms"]]), 2),
            f"{min(pooled):.2f}" if pooled else "-",
            ", ".join(sorted({x for r in rs for x in r[f'{kind}_actions']})),
            str(sum(r[f"{kind}_dups"] for r in rs)),
        ])
    sections.append(
        f"## 3. Latency from close(2) to the alert\n\n{a.n_lat} files per kind per round, "
        f"one every {a.interval_ms} ms from one writer; latency = alert @timestamp - "
        f"CLOCK_REALTIME read right after close(2) returned. Pooled over {len(rs)} rounds "
        f"(nearest-rank percentiles), and per-round p50/p99 as median [min..max; IQR]. "
        f"Overflows in these runs: {sumh(rs, 'overflows')}.\n\n" + md_table(
            ["change", "alerted", "p50 ms", "p99 ms", "max ms", "per-round p50 ms",
             "per-round p99 ms", "min ms", "actions", "duplicate alerts"], rows))

    loads = [r["load_start"] for r in recs]
    oth = [r["others"] for r in recs]
    busy = [o for o in oth if o["groups"]]
    others_line = (
        f"- other processes' fanotify groups at run starts (this machine is shared): in "
        f"{len(busy)} of {len(recs)} runs, at most {max((o['groups'] for o in oth), default=0)}"
        f" groups with {max((o['inode'] for o in oth), default=0)} inode, "
        f"{max((o['sb'] for o in oth), default=0)} filesystem and "
        f"{max((o['mnt'] for o in oth), default=0)} mount marks; other foothold processes "
        f"in {sum(1 for o in oth if o['footholds'])} runs\n")
    notes = []
    for r in recs:
        if r["mode"] == "off":
            continue
        hp = r.get("health_pick", {})
        bad = (hp.get("overflows") or hp.get("pending_overflow") or hp.get("rescans")
               or hp.get("ring_lost") or r.get("bad_lines") or r.get("stderr_other")
               or r.get("fh_rc") not in (0, None)
               or (r["kind"].startswith("create") and r["seen"] < r["expected"])
               or (r["kind"] == "modify" and r["final_seen"] < r["items"])
               or (r["kind"] == "latency" and (r["new_missing"] or r["append_missing"])))
        if bad:
            notes.append(f"- round {r['round']} {r['kind']}/{r['mode']}: health {json.dumps(hp)}"
                         f", rc {r.get('fh_rc')}, bad lines {r.get('bad_lines')}, stderr "
                         f"{r.get('stderr_other')}"
                         + (f", seen {r['seen']}/{r['expected']}, missing e.g. "
                            f"{r['missing_examples']}" if r["kind"].startswith("create") else "")
                         + (f", final states {r['final_seen']}/{r['items']}"
                            if r["kind"] == "modify" else "")
                         + (f", missing new {r['new_missing']} append {r['append_missing']}"
                            if r["kind"] == "latency" else ""))
    body = (f"Command: `{a.cmdline}`\n\n{env_report(a)}\n"
            f"- load average (1 min) at run starts: median {statistics.median(loads):.2f}, "
            f"max {max(loads):.2f}\n{others_line}- duration: {(time.time() - t0) / 60:.1f} min\n\n"
            f"{a.rounds} rounds; every figure is median [min..max; IQR q1..q3] over the rounds "
            f"unless said otherwise; ratios are against the no-daemon run of the same round.\n\n"
            + "\n\n".join(sections) + "\n")
    if notes:
        body += ("\nRuns with overflows, rescans, lost records, missing alerts, or anything "
                 "else on stderr:\n\n" + "\n".join(notes) + "\n")
    text = f"# foothold file-storm benchmark\n\n{body}"
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)
        print(f"(written to {a.md}; raw runs in {a.raw})")


def progress(r):
    s = f"  r{r['round']} {r['kind']:<8} {r['mode']:<5}"
    hp = r.get("health_pick", {})
    if r["kind"] in ("outside", "sibling"):
        s += f" {r['ns_per_op'] / 1000:6.2f} us/op (fh {r['fh_ns_per_op'] / 1000:.3f})"
        if r["mode"] != "off":
            s += f" fan events {hp.get('fan_events')} alerts {r['alerts']}"
    elif r["kind"].startswith("create"):
        s += f" {r['us_per_file']:7.1f} us/file"
        if r["mode"] == "on":
            s += (f" seen {r['seen']}/{r['expected']} {r.get('alerts_per_s', 0):.0f}/s drain "
                  f"{r.get('last_alert_after_storm_ms', 0):.0f} ms overflows "
                  f"{hp.get('overflows')} pend_ovf {hp.get('pending_overflow')}")
    elif r["kind"] == "modify":
        s += f" {r['us_per_op']:7.1f} us/append"
        if r["mode"] == "on":
            s += (f" alerts {r['alerts_mine']} final {r['final_seen']}/{r['items']} overflows "
                  f"{hp.get('overflows')}")
    else:
        for k in ("new", "append"):
            s += (f" {k}: p50 {pct(r[k + '_ms'], 50):.2f} p99 {pct(r[k + '_ms'], 99):.2f} max "
                  f"{max(r[k + '_ms'] or [float('nan')]):.2f} ms missing {r[k + '_missing']};")
    s += f" load {r['load_start']:.2f}"
    print(s, file=sys.stderr, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--foothold", required=True)
    p.add_argument("--foothold-src", default="")
    p.add_argument("--filestorm", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--repo", default=".")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--n-outside", type=int, default=40000)
    p.add_argument("--out-workers", type=int, default=1)
    p.add_argument("--out-reps", type=int, default=3, help="outside triples per round")
    p.add_argument("--n-sibling", type=int, default=10000)
    p.add_argument("--n-create", type=int, default=2000)
    p.add_argument("--n-modify", type=int, default=2000)
    p.add_argument("--n-lat", type=int, default=200)
    p.add_argument("--interval-ms", type=int, default=20)
    p.add_argument("--settle", type=float, default=3.0)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--keep", action="store_true", help="keep foothold's output files")
    p.add_argument("--md", default="")
    p.add_argument("--raw", default="")
    p.add_argument("--cmdline", default="")
    a = p.parse_args()
    a.started = datetime.datetime.now().isoformat(timespec="seconds")
    a.root = os.path.realpath(os.path.join(a.workdir, "root"))
    populate(a.root)
    t0 = time.time()
    print(f"file-storm: {a.rounds} rounds; outside N={a.n_outside}, create N={a.n_create}, "
          f"modify N={a.n_modify}, latency {a.n_lat} x {a.interval_ms} ms", file=sys.stderr)
    # Warm-up, not measured: page cache, the binary, the scan of /.
    run_outside(a, "off", "warm0")
    run_outside(a, "slash", "warm1")
    run_create(a, "on", 1, "warm2")
    recs = []
    for rnd in range(a.rounds):
        plan = []
        o = ["off", "root", "slash"]
        for rep in range(a.out_reps):
            k = (rnd * a.out_reps + rep) % 3
            plan += [("outside", m, rep) for m in o[k:] + o[:k]]
            pair = ["off", "root"] if (rnd * a.out_reps + rep) % 2 == 0 else ["root", "off"]
            plan += [("sibling", m, rep) for m in pair]
        for kind in ("create1", "create2", "modify"):
            pair = ["off", "on"] if rnd % 2 == 0 else ["on", "off"]
            plan += [(kind, m, 0) for m in pair]
        plan.append(("latency", "on", 0))
        for i, (kind, mode, rep) in enumerate(plan):
            tag = f"r{rnd}x{i}"
            if kind in ("outside", "sibling"):
                r = run_outside(a, mode, tag, kind)
            elif kind.startswith("create"):
                r = run_create(a, mode, int(kind[-1]), tag)
            elif kind == "modify":
                r = run_modify(a, mode, tag)
            else:
                r = run_latency(a, tag)
            r["round"] = rnd * a.out_reps + rep if kind in ("outside", "sibling") else rnd
            r["order"] = i
            if "health" in r:
                r["health_pick"] = health_pick(r["health"])
            recs.append(r)
            progress(r)
            if a.raw:
                with open(a.raw, "a") as f:
                    f.write(json.dumps(r) + "\n")
            time.sleep(0.2)
    reset(a.root)
    report(a, recs, t0)


if __name__ == "__main__":
    main()
