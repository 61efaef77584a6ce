#!/usr/bin/env python3
"""deny_analyze.py - runs and analyses foothold's pre-emptive deny benchmark (stdlib only).

Called by bench/deny-bench.sh, which builds bench/denybench.c (twice: denybench, which no rule
allows, and denybench-allowed, which the rule `allow exe=... type=cron-d` allows), snapshots
the foothold binary and writes the two configurations; see bench/DENY.md for what is
measured and why.

Every round runs these groups, in an order rotated every round:
  lat_on   one daemon (lockdown = cron-d): N write opens by denybench (refused) and N read
           opens by denybench, in an order alternated every round; then the daemon is
           stopped and its deny counters checked against the writers' own counts
  lat_off  no daemon: the same N write opens and N read opens (the baseline)
  paced    one daemon: N_PACED write opens by denybench-allowed, one every INTERVAL_US
  burst    one daemon: N_BURST write opens by denybench-allowed, back to back
  contend  one daemon: N_CONTEND write opens by denybench-allowed and as many by denybench,
           both back to back, at the same time: the refused writer must see EPERM every time
  storm    STORM_REPS times {no daemon, lockdown daemon, daemon without lockdown}: N_STORM
           open/read/close of 100 files in DIR/var/tmp/x, which foothold neither watches nor
           protects; CPU per operation, workload + daemon
In every group with a daemon, a writer that has not finished after HANG_S is a hang: the
daemon's threads are inspected, a probe reader tries one protected file, then the daemon is
killed (the kernel allows the pending opens when the group goes) and the writer finishes.
"""
import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from filestorm_analyze import (cpu_ns, cpu_ticks, fmt, loadavg, md_table,  # noqa: E402
                               other_fanotify, pct, spread)

EPERM = 1
N_CRON = 200


# ---------------------------------------------------------------------------------------------
# The tree


def populate(root, n_cron):
    os.makedirs(f"{root}/etc/cron.d", exist_ok=True)
    os.makedirs(f"{root}/var/tmp", exist_ok=True)
    with open(f"{root}/etc/passwd", "w") as f:
        f.write("root:x:0:0:root:/root:/bin/bash\n")
    for i in range(n_cron):
        with open(f"{root}/etc/cron.d/job-{i:03d}", "w") as f:
            f.write(f"# job {i}\n* * * * * root /bin/true\n")


def cron_state(root):
    """Names and sizes in cron.d: nothing the benchmark does may change them."""
    d = f"{root}/etc/cron.d"
    return sorted((n, os.stat(os.path.join(d, n)).st_size) for n in os.listdir(d))


# ---------------------------------------------------------------------------------------------
# The daemon


def task_states(pid):
    """Each thread of pid: comm, state, wchan, and the syscall it is in (number, first args)."""
    out = []
    try:
        tids = sorted(os.listdir(f"/proc/{pid}/task"), key=int)
    except OSError:
        return out
    for t in tids:
        base = f"/proc/{pid}/task/{t}"
        rec = {"tid": int(t)}
        for k, fn in (("comm", "comm"), ("wchan", "wchan"), ("syscall", "syscall")):
            try:
                with open(f"{base}/{fn}") as f:
                    rec[k] = " ".join(f.read().split()[:4])
            except OSError as e:
                rec[k] = f"? {e.strerror}"
        try:
            with open(f"{base}/stat") as f:
                s = f.read()
            rec["state"] = s[s.rindex(")") + 2]
        except OSError:
            rec["state"] = "?"
        out.append(rec)
    return out


class Daemon:
    """One `foothold run --json` with its output in a file."""

    def __init__(self, a, conf, tag):
        self.a = a
        self.out = os.path.join(a.workdir, f"out-{tag}.json")
        self.cmd = [a.foothold, "run", "-c", conf, "--root", a.root, "--json", "--log-file",
                    "none", "--no-journald"]
        self.errlines = []
        ready = threading.Event()
        with open(self.out, "wb") as outf:
            self.p = subprocess.Popen(self.cmd, stdout=outf, stderr=subprocess.PIPE,
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
            sys.exit("deny-bench: foothold did not become ready:\n" + "\n".join(self.errlines))
        self.ready_s = time.monotonic() - t0
        self.ns0, self.tk0 = cpu_ns(self.p.pid), cpu_ticks(self.p.pid)
        self.killed = None

    def cpu(self):
        return cpu_ns(self.p.pid)

    def kill_hung(self):
        """The daemon does not answer: SIGTERM, then SIGKILL. Returns what it took."""
        self.ns1 = cpu_ns(self.p.pid)
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(2)
            self.killed = "SIGTERM"
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            self.killed = "SIGKILL (SIGTERM ignored for 2 s)"
        return self.killed

    def stop(self):
        if self.killed is None:
            self.ns1, tk1 = cpu_ns(self.p.pid), cpu_ticks(self.p.pid)
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.killed = "SIGKILL (no exit 30 s after SIGINT)"
                self.p.kill()
                self.p.wait()
        else:
            tk1 = self.tk0
        self.t.join(10)
        metrics, denied_alerts, bad = [], 0, 0
        with open(self.out, "rb") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                kind = ev.get("event", {}).get("kind")
                if kind == "metric":
                    metrics.append(ev)
                elif kind == "alert" and ev["event"].get("outcome") == "denied":
                    denied_alerts += 1
        if not self.a.keep:
            os.unlink(self.out)
        stop = [m for m in metrics if m["event"].get("action") == "stop"]
        health = stop[-1]["foothold"]["health"] if stop else {}
        return {
            "fh_cpu_ns": self.ns1 - self.ns0, "fh_cpu_ticks": tk1 - self.tk0,
            "fh_rc": self.p.returncode, "ready_s": self.ready_s, "killed": self.killed,
            "deny": health.get("deny", {}), "fan_events": health.get("fanotify", {})
            .get("events"), "stop_record": bool(stop), "denied_alerts": denied_alerts,
            "bad_lines": bad,
            "stderr_other": [x for x in self.errlines if x.strip() != "foothold: ready"
                             and "need a filesystem-wide watch" not in x][:10],
        }


# ---------------------------------------------------------------------------------------------
# The workload


def denybench(exe, args):
    """Starts denybench; finish() collects its JSON line."""
    return subprocess.Popen([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(p, what, timeout):
    out, err = p.communicate(timeout=timeout)
    try:
        w = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        sys.exit(f"deny-bench: {what} failed (rc {p.returncode}): {out} {err}")
    w["open_mode"] = w.pop("mode", None)
    w.pop("cmd", None)
    if p.returncode or w["other_err"]:
        sys.exit(f"deny-bench: {what}: rc {p.returncode}, {w['other_err']} opens failed "
                 f"otherwise than EPERM: {err.strip()}")
    return w


def read_lat(path):
    ns, errs = [], []
    with open(path) as f:
        for line in f:
            x, e = line.split("\t")
            ns.append(int(x))
            errs.append(int(e))
    os.unlink(path)
    return ns, errs


def probe_read(a):
    """Can another process still read a protected item? (cat, 2 s at most)"""
    t0 = time.monotonic()
    p = subprocess.Popen(["cat", f"{a.root}/etc/cron.d/job-{N_CRON - 1:03d}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(2)
        return f"read in {(time.monotonic() - t0) * 1000:.1f} ms (rc {p.returncode})"
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return "blocked for 2 s (killed)"


def lat_run(a, exe, mode, n, tag, interval_us=0, d=None, hang_s=None):
    """One timed-open run. With d and hang_s, a writer still running after hang_s is a hang:
    the daemon is inspected and killed, and the writer left to finish."""
    latf = os.path.join(a.workdir, f"lat-{tag}")
    args = ["lat", "--dir", f"{a.root}/etc/cron.d", "-n", str(n), "--mode", mode, "--lat", latf]
    if interval_us:
        args += ["--interval-us", str(interval_us)]
    c0 = d.cpu() if d else 0
    p = denybench(exe, args)
    hang = None
    if hang_s is None:
        hang_s = 120
    try:
        p.wait(hang_s)
    except subprocess.TimeoutExpired:
        hang = {"after_s": hang_s, "writer_wchan": task_states(p.pid)[:1],
                "daemon_threads": task_states(d.p.pid) if d else []}
        hang["probe_reader"] = probe_read(a)
        if d:
            hang["daemon_stopped_by"] = d.kill_hung()
    w = finish(p, f"denybench {' '.join(args)}", 60)
    c1 = d.cpu() if d and d.killed is None else c0
    ns, errs = read_lat(latf)
    w.update({"lat_ns": ns, "n_eperm": sum(1 for e in errs if e == EPERM),
              "fh_cpu_ns": c1 - c0, "hang": hang,
              "hang_op": max(range(len(ns)), key=ns.__getitem__) if hang else None})
    return w


# ---------------------------------------------------------------------------------------------
# The runs


def rec0(kind, mode):
    return {"kind": kind, "mode": mode, "load_start": loadavg(), "others": other_fanotify()}


def group_lat_on(a, rnd, tag):
    """Refused writes and reads under one daemon, then its counters."""
    d = Daemon(a, a.config, tag)
    time.sleep(0.2)
    recs = []
    modes = ["denied", "read"] if rnd % 2 == 0 else ["read", "denied"]
    for m in modes:
        r = rec0("lat", m)
        r.update(lat_run(a, a.denied_exe, "write" if m == "denied" else "read", a.n, f"{tag}{m}",
                         d=d, hang_s=a.hang_s))
        recs.append(r)
        time.sleep(0.1)
    dr = rec0("daemon", "lat_on")
    dr.update(d.stop())
    dr["writers_eperm"] = sum(r["n_eperm"] for r in recs)
    dr["reads_eperm"] = sum(r["n_eperm"] for r in recs if r["mode"] == "read")
    dr["opens"] = sum(r["ops"] for r in recs)
    dr["reads"] = sum(r["ops"] for r in recs if r["mode"] == "read")
    dr["hung"] = any(r["hang"] for r in recs)
    return recs + [dr]


def group_lat_off(a, rnd, tag):
    recs = []
    modes = ["none_write", "none_read"] if rnd % 2 == 0 else ["none_read", "none_write"]
    for m in modes:
        r = rec0("lat", m)
        r.update(lat_run(a, a.denied_exe, "write" if m == "none_write" else "read", a.n,
                         f"{tag}{m}"))
        recs.append(r)
    return recs


def group_allowed(a, mode, tag):
    """The allowed writer, paced or in a burst, under a daemon of its own."""
    d = Daemon(a, a.config, tag)
    time.sleep(0.2)
    r = rec0("lat", mode)
    if mode == "allowed_paced":
        r.update(lat_run(a, a.allowed_exe, "write", a.n_paced, tag, interval_us=a.interval_us,
                         d=d, hang_s=a.n_paced * a.interval_us / 1e6 + a.hang_s))
    else:
        r.update(lat_run(a, a.allowed_exe, "write", a.n_burst, tag, d=d, hang_s=a.hang_s))
    time.sleep(0.3)  # the close-write events of the last opens
    dr = rec0("daemon", mode)
    dr.update(d.stop())
    dr["writers_eperm"] = r["n_eperm"]
    dr["reads_eperm"] = 0
    dr["opens"] = r["ops"]
    dr["reads"] = 0
    dr["hung"] = bool(r["hang"])
    return [r, dr]


def group_contend(a, tag):
    """The refused writer while the allowed writer runs its burst, under one daemon: every
    one of the refused writer's opens must still fail."""
    d = Daemon(a, a.config, tag)
    time.sleep(0.2)
    out = [rec0("lat", "allowed_contend"), rec0("lat", "denied_contend")]
    res = [None, None]

    def run(i, exe):
        res[i] = lat_run(a, exe, "write", a.n_contend, f"{tag}c{i}", d=None, hang_s=a.hang_s)

    ts = [threading.Thread(target=run, args=(i, exe))
          for i, exe in enumerate((a.allowed_exe, a.denied_exe))]
    c0 = d.cpu()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    c1 = d.cpu()
    for r, w in zip(out, res):
        r.update(w)
        r["fh_cpu_ns"] = (c1 - c0) / 2
    time.sleep(0.3)
    dr = rec0("daemon", "contend")
    dr.update(d.stop())
    dr["writers_eperm"] = sum(r["n_eperm"] for r in out)
    dr["reads_eperm"] = 0
    dr["opens"] = sum(r["ops"] for r in out)
    dr["reads"] = 0
    dr["hung"] = any(r["hang"] for r in out)
    dr["refused_writer_ok"] = out[1]["ok"]
    return out + [dr]


def storm_run(a, mode, tag):
    r = rec0("storm", mode)
    d = None
    if mode != "off":
        d = Daemon(a, a.config if mode == "lockdown" else a.config_nolock, tag)
    p = denybench(a.denied_exe, ["storm", "--dir", a.storm_dir, "-n", str(a.n_storm)])
    w = finish(p, "denybench storm", 600)
    r.update(w)
    fh = 0
    if d:
        r["daemon"] = d.stop()
        fh = r["daemon"]["fh_cpu_ns"]
    r["wl_ns_per_op"] = w["cpu_us"] * 1000 / w["ops"]
    r["fh_ns_per_op"] = fh / w["ops"]
    r["ns_per_op"] = r["wl_ns_per_op"] + r["fh_ns_per_op"]
    r["ops_per_s"] = w["ops"] / w["wall_s"]
    return r


# ---------------------------------------------------------------------------------------------
# Report


def lat_stats(rs):
    pooled = [x for r in rs for x in r["lat_ns"]]
    return {
        "n": len(pooled), "p50": pct(pooled, 50) / 1000, "p99": pct(pooled, 99) / 1000,
        "max": max(pooled) / 1000 if pooled else float("nan"),
        "r_p50": spread([pct(r["lat_ns"], 50) / 1000 for r in rs]),
        "r_p99": spread([pct(r["lat_ns"], 99) / 1000 for r in rs]),
        "r_max": spread([max(r["lat_ns"]) / 1000 for r in rs]),
    }


def report(a, recs, t0):
    lat = lambda m: [r for r in recs if r["kind"] == "lat" and r["mode"] == m]
    base = {m: {r["round"]: r for r in lat(m)} for m in ("none_write", "none_read")}
    sections = []

    # 1. latency
    rows = []
    labels = [("none_write", "none_write", "write open (O_WRONLY|O_APPEND), no daemon"),
              ("none_read", "none_read", "read open (O_RDONLY), no daemon"),
              ("allowed_paced", "none_write",
               f"(a) allowed writer, paced 1 per {a.interval_us} µs"),
              ("allowed_burst", "none_write",
               f"(a) allowed writer, back to back ({a.n_burst} opens)"),
              ("denied", "none_write", "(b) refused writer (EPERM expected)"),
              ("allowed_contend", "none_write",
               f"(a) allowed writer's burst ({a.n_contend} opens), with (b) at the same time"),
              ("denied_contend", "none_write",
               f"(b) refused writer ({a.n_contend} opens), at the same time as (a)'s burst "
               "(EPERM expected)"),
              ("read", "none_read", "(c) read open by the refused binary")]
    for m, b, label in labels:
        rs = [r for r in lat(m) if not r["hang"]]
        hung = [r for r in lat(m) if r["hang"]]
        if not rs and not hung:
            continue
        ok = sum(r["ok"] for r in lat(m))
        eperm = sum(r["n_eperm"] for r in lat(m))
        opens = sum(r["ops"] for r in lat(m))
        if not rs:
            rows.append([label, f"{len(hung)}/{len(lat(m))}", "-", "-", "-", "-", "-", "-",
                         f"{ok} ok, {eperm} EPERM of {opens}"])
            continue
        s = lat_stats(rs)
        if m == b:
            d50 = d99 = "–"
        else:
            d50 = fmt(spread([pct(r["lat_ns"], 50) / 1000 - pct(base[b][r["round"]]["lat_ns"], 50)
                              / 1000 for r in rs if r["round"] in base[b]]), 1)
            d99 = fmt(spread([pct(r["lat_ns"], 99) / 1000 - pct(base[b][r["round"]]["lat_ns"], 99)
                              / 1000 for r in rs if r["round"] in base[b]]), 1)
        cpu = spread([(r["cpu_us"] * 1000 + r["fh_cpu_ns"]) / r["ops"] / 1000 for r in rs])
        rows.append([label, f"{len(hung)}/{len(lat(m))}",
                     f"{s['p50']:.1f}", f"**{s['p99']:.1f}**", f"{s['max']:.1f}",
                     fmt(s["r_p99"], 1), d50, d99, f"{ok} ok, {eperm} EPERM of {opens}; "
                     f"CPU/open {fmt(cpu, 1)} µs"])
    sections.append(
        "## 1. open(2) latency on protected files (DIR/etc/cron.d, 200 files)\n\n"
        f"N = {a.n} opens per run ({a.n_paced} for the paced run, {a.n_burst} for the bursts),"
        " each timed alone "
        "(CLOCK_MONOTONIC before and after open). p50/p99/max pooled over the rounds "
        "(nearest rank, runs that hung left out); per-round p99 and the difference to the "
        "same round's no-daemon baseline (write opens for (a)/(b), read opens for (c)) as "
        "median [min..max; IQR]. All times in µs. CPU/open = workload + foothold.\n\n"
        + md_table(["mode", "runs hung", "p50", "p99", "max", "per-round p99",
                    "Δp50 vs baseline", "Δp99 vs baseline", "opens; CPU"], rows))

    # 2. storm
    rows = []
    offs = {(r["round"], r["rep"]): r for r in recs if r["kind"] == "storm" and r["mode"] == "off"}
    for m, label in [("off", "no daemon"), ("lockdown", "foothold, lockdown = cron-d"),
                     ("nolock", "foothold, no lockdown (no permission marks)")]:
        rs = [r for r in recs if r["kind"] == "storm" and r["mode"] == m]
        if not rs:
            continue
        cpu = spread([r["ns_per_op"] / 1000 for r in rs])
        wl = spread([r["wl_ns_per_op"] / 1000 for r in rs])
        if m == "off":
            rows.append([label, fmt(cpu, 3), "–", fmt(wl, 3), "–", "–", "–"])
            continue
        ratio = spread([(r["ns_per_op"] / offs[(r["round"], r["rep"])]["ns_per_op"] - 1) * 100
                        for r in rs if (r["round"], r["rep"]) in offs])
        fh = spread([r["fh_ns_per_op"] / 1000 for r in rs])
        fan = sum(r["daemon"].get("fan_events") or 0 for r in rs)
        dev = sum(r["daemon"]["deny"].get("events") or 0 for r in rs)
        rows.append([label, fmt(cpu, 3), f"**{fmt(ratio, 1, pct=True)}**", fmt(wl, 3),
                     fmt(fh, 4), str(fan), str(dev)])
    n_pairs = len(offs)
    sections.append(
        f"## 2. Unrelated opens: {a.n_storm} × open/read/close in DIR/var/tmp/x (100 files)\n\n"
        f"{n_pairs} runs per mode ({a.storm_reps} per round). CPU per operation = workload "
        "(getrusage) + foothold (schedstat, ready → SIGINT), µs; overhead per run against the "
        "no-daemon run of the same round and rep.\n\n"
        + md_table(["daemon", "CPU/op µs", "overhead vs none", "workload CPU/op µs",
                    "foothold CPU/op µs", "fanotify.events (sum)", "deny.events (sum)"], rows))

    # 3. counters
    rows, problems = [], []
    for r in recs:
        if r["kind"] != "daemon":
            continue
        dn = r["deny"]
        ok = (not r["hung"] and r["stop_record"] and dn.get("denied") == r["writers_eperm"]
              and dn.get("answer_errors") == 0 and r["denied_alerts"] == dn.get("denied"))
        if (not ok or r["reads_eperm"] or dn.get("flags_unknown") or dn.get("deadline_missed")
                or r.get("refused_writer_ok")):
            problems.append(r)
    for m in ("lat_on", "allowed_paced", "allowed_burst", "contend"):
        rs = [r for r in recs if r["kind"] == "daemon" and r["mode"] == m]
        done = [r for r in rs if r["stop_record"]]
        if not rs:
            continue
        sm = lambda k: sum(r["deny"].get(k) or 0 for r in done)
        rows.append([m, f"{len(done)}/{len(rs)}", sum(r["opens"] for r in done), sm("events"),
                     sm("allowed_reads"), sum(r["reads"] for r in done), sm("denied"),
                     sum(r["writers_eperm"] for r in done), sum(r["denied_alerts"] for r in done),
                     sm("flags_unknown"), sm("deadline_missed"), sm("denials_lost"),
                     sm("answer_errors"),
                     sum(r["reads_eperm"] for r in rs),
                     sum(r.get("refused_writer_ok", 0) for r in rs)])
    sections.append(
        "## 3. The daemon's deny counters (stop health record), summed over its runs\n\n"
        + md_table(["daemon", "stopped cleanly", "opens by the writers", "deny.events",
                    "deny.allowed_reads", "read opens", "deny.denied", "EPERM seen by writers",
                    "denied alerts", "deny.flags_unknown", "deny.deadline_missed",
                    "deny.denials_lost", "deny.answer_errors", "reads refused (EPERM)",
                    "refused writer's opens that succeeded"], rows))

    # hangs
    hung = [r for r in recs if r["kind"] == "lat" and r["hang"]]
    if hung:
        lines = []
        for r in hung:
            h = r["hang"]
            lines.append(f"- round {r['round']} {r['mode']}: writer still in open() after "
                         f"{h['after_s']:.1f} s, at op {r['hang_op']} of {r['ops']} "
                         f"(wchan {h['writer_wchan'][0].get('wchan') if h['writer_wchan'] else '?'}"
                         f"); probe reader: {h['probe_reader']}; daemon threads: "
                         + "; ".join(f"{t['comm']}/{t['tid']} {t['state']} {t['wchan']} "
                                     f"syscall [{t['syscall']}]" for t in h["daemon_threads"])
                         + f"; stopped by {h.get('daemon_stopped_by')}")
        sections.append("## Hangs\n\n" + "\n".join(lines))
    if problems:
        sections.append("## Daemon runs with a mismatch, a refused read, unknown flags, a missed "
                        "deadline or a refused writer let through\n\n" +
                        "\n".join(f"- round {r['round']} {r['mode']}: deny {r['deny']}, "
                                  f"EPERM seen {r['writers_eperm']} (reads {r['reads_eperm']}), "
                                  f"denied alerts {r['denied_alerts']}, hung {r['hung']}, "
                                  f"stopped by {r['killed'] or 'SIGINT'}, stderr "
                                  f"{r['stderr_other']}" for r in problems))

    loads = [r["load_start"] for r in recs]
    others = [r["others"] for r in recs]
    sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    env = "\n".join([
        f"- started: {a.started}; duration {(time.time() - t0) / 60:.1f} min",
        f"- host: {os.uname().nodename}, kernel {os.uname().release}, {os.cpu_count()} CPUs, "
        f"work dir {a.workdir} on {sh('findmnt -n -o FSTYPE -T ' + a.workdir)}",
        f"- foothold: snapshot of {a.foothold_src} (sha256 {sh('sha256sum ' + a.foothold)[:16]}),"
        f" repo HEAD {sh('git -C ' + a.repo + ' rev-parse --short HEAD')}, "
        f"{len(sh('git -C ' + a.repo + ' status --porcelain').splitlines())} uncommitted paths",
        f"- load average (1 min) at run starts: median {statistics.median(loads):.2f}, max "
        f"{max(loads):.2f}; other fanotify groups seen: max {max(o['groups'] for o in others)}"
        f" (other footholds: max {max(o['footholds'] for o in others)})",
    ])
    text = (f"# foothold deny benchmark\n\nCommand: `{a.cmdline}`\n\n{env}\n\n{a.rounds} rounds; "
            "every spread is median [min..max; IQR q1..q3] over the runs.\n\n"
            + "\n\n".join(sections) + "\n")
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)
        print(f"(written to {a.md}; raw runs in {a.raw})")


def progress(r):
    s = f"  r{r['round']} {r['kind']:<6} {r['mode']:<13}"
    if r["kind"] == "lat":
        ns = r["lat_ns"]
        s += (f" p50 {pct(ns, 50) / 1000:8.1f} p99 {pct(ns, 99) / 1000:8.1f} max "
              f"{max(ns) / 1000:10.1f} us ok {r['ok']} eperm {r['n_eperm']}")
        if r["hang"]:
            s += f" HUNG at op {r['hang_op']}"
    elif r["kind"] == "storm":
        s += f" {r['ns_per_op'] / 1000:6.3f} us/op (fh {r['fh_ns_per_op'] / 1000:.4f})"
    else:
        s += (f" deny {r['deny']} eperm seen {r['writers_eperm']} alerts {r['denied_alerts']}"
              f" stopped by {r['killed'] or 'SIGINT'}")
    print(s + f" load {r['load_start']:.2f}", file=sys.stderr, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    for k in ("foothold", "denied-exe", "allowed-exe", "workdir", "config", "config-nolock"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--foothold-src", default="")
    p.add_argument("--repo", default=".")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--n-paced", type=int, default=300)
    p.add_argument("--n-burst", type=int, default=400)
    p.add_argument("--n-contend", type=int, default=50)
    p.add_argument("--interval-us", type=int, default=10000)
    p.add_argument("--hang-s", type=float, default=120.0)
    p.add_argument("--n-storm", type=int, default=100000)
    p.add_argument("--storm-reps", type=int, default=3)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--md", default="")
    p.add_argument("--raw", default="")
    p.add_argument("--cmdline", default="")
    a = p.parse_args()
    a.started = datetime.datetime.now().isoformat(timespec="seconds")
    a.root = os.path.realpath(os.path.join(a.workdir, "root"))
    a.storm_dir = f"{a.root}/var/tmp/x"
    populate(a.root, N_CRON)
    before = cron_state(a.root)
    t0 = time.time()
    print(f"deny-bench: {a.rounds} rounds; N={a.n}, paced {a.n_paced} x {a.interval_us} us, "
          f"storm {a.storm_reps} x {a.n_storm}", file=sys.stderr)
    # Warm-up, not measured: the storm files, the page cache, the binaries.
    storm_run(a, "off", "warm0")
    group_lat_off(a, 0, "warm1")
    for r in group_lat_on(a, 0, "warm2"):
        if r["kind"] == "daemon" and r["hung"]:
            print("deny-bench: the warm-up daemon hung", file=sys.stderr)
    recs = []
    groups = ["lat_on", "lat_off", "paced", "burst", "contend", "storm"]
    for rnd in range(a.rounds):
        k = rnd % len(groups)
        for gi, g in enumerate(groups[k:] + groups[:k]):
            tag = f"r{rnd}g{gi}"
            if g == "lat_on":
                out = group_lat_on(a, rnd, tag)
            elif g == "lat_off":
                out = group_lat_off(a, rnd, tag)
            elif g in ("paced", "burst"):
                out = group_allowed(a, "allowed_" + g, tag)
            elif g == "contend":
                out = group_contend(a, tag)
            else:
                out = []
                o = ["off", "lockdown", "nolock"]
                for rep in range(a.storm_reps):
                    j = (rnd * a.storm_reps + rep) % 3
                    for m in o[j:] + o[:j]:
                        r = storm_run(a, m, f"{tag}s{rep}{m}")
                        r["rep"] = rep
                        out.append(r)
            for r in out:
                r["round"] = rnd
                r["group_order"] = gi
                progress(r)
                if a.raw:
                    with open(a.raw, "a") as f:
                        f.write(json.dumps(r) + "\n")
                recs.append(r)
            time.sleep(0.2)
    after = cron_state(a.root)
    if after != before:
        print(f"deny-bench: cron.d changed: {len(before)} -> {len(after)} entries",
              file=sys.stderr)
    report(a, recs, t0)


if __name__ == "__main__":
    main()
