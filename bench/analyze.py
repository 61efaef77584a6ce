#!/usr/bin/env python3
"""analyze.py - runs and analyses the foothold exec-storm benchmarks (stdlib only).

Called by bench/exec-storm.sh and bench/chunk-size.sh, which build the workload, snapshot the
foothold binary and prepare the executables; see bench/README.md for what is measured.

Subcommands:
  storm   interleaved rounds of {no monitor, procs --json, procs --json --wakeup batch}
  rss     one long run with --grace 3600; VmRSS/VmHWM and the table size
  chunk   interleaved rounds of --chunk-size values (plus a no-monitor baseline)
"""
import argparse
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Workload description


class Variant:
    def __init__(self, name, exe, argc=0, arglen=0):
        self.name = name
        self.exe = exe
        self.argc = argc
        self.arglen = arglen
        self.real = os.path.realpath(exe)
        # The extra arguments, exactly as bench/execstorm.c builds them.
        self.extra = [
            "".join(ALPHABET[(j + k) % 36] for k in range(arglen)) for j in range(argc)
        ]

    def expected_args(self, marker):
        return [self.exe, marker] + self.extra

    def storm_cmd(self, execstorm, n, workers, prefix):
        cmd = [execstorm, "-n", str(n), "-w", str(workers), "-e", self.exe, "-m", prefix]
        if self.argc:
            cmd += ["-a", str(self.argc), "-l", str(self.arglen)]
        return cmd


def make_variants(a):
    return {
        "plain": Variant("plain", a.exe),
        "args50x100": Variant("args50x100", a.exe, 50, 100),
        "path3000": Variant("path3000", a.long_exe or a.exe),
    }


# ---------------------------------------------------------------------------------------------
# Process accounting


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
    fields = s[s.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "VmSize", "VmData", "RssAnon", "RssFile", "RssShmem"):
                out[k + "_kib"] = int(v.split()[0])
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def other_footholds(own):
    """PIDs of foothold processes not started by this benchmark (they add eBPF load)."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == own:
            continue
        try:
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip() == "foothold":
                    pids.append(int(p))
        except OSError:
            pass
    return pids


# ---------------------------------------------------------------------------------------------
# foothold's stderr counters


def parse_counters(lines):
    """'foothold: drops: ring_full 0 events_lost 0 ...' -> {'drops.ring_full': 0, ...}."""
    c = {}
    for line in lines:
        m = re.match(r"foothold: (\w+)(?: \w+)?: (.*)$", line.strip())
        if not m:
            continue
        sec, rest = m.group(1), m.group(2)
        if sec == "sensor":
            m2 = re.search(r"events printed (\d+)", rest)
            if m2:
                c["printed"] = int(m2.group(1))
            continue
        toks = rest.split()
        for i in range(0, len(toks) - 1, 2):
            if toks[i + 1].isdigit():
                c[f"{sec}.{toks[i]}"] = int(toks[i + 1])
    return c


LOSS_KEYS = [
    "drops.ring_full",
    "drops.events_lost",
    "drops.recursion",
    "drops.read_failed",
    "chunks.malformed",
    "chunks.lost",
    "chunks.orphans",
    "chunks.expired",
    "chunks.evicted",
    "events.incomplete",
]


# ---------------------------------------------------------------------------------------------
# Output scanning


class Scanner:
    """Reads foothold's JSON output incrementally; checks every exec event of this run."""

    def __init__(self, path, variant, prefix):
        self.f = open(path, "rb")
        self.tail = b""
        self.v = variant
        self.prefix = prefix
        self.needle = ('"' + prefix + "-").encode()
        self.exe_needle = json.dumps(variant.real).encode()
        self.seen = {}
        self.events = 0  # marker exec events, duplicates included
        self.inexact = 0
        self.inexact_unflagged = 0  # inexact without foothold.incomplete: a silent error
        self.flagged = 0  # marker events foothold flagged incomplete
        self.foreign = 0  # exec of our executable whose argv[1] is not a marker of this run
        self.foreign_unflagged = 0
        self.bad_json = 0
        self.examples = []
        self.lines = 0

    def poll(self):
        got = False
        while self._poll_chunk():
            got = True
        return got

    def _poll_chunk(self):
        data = self.f.read(1 << 26)
        if not data:
            return False
        data = self.tail + data
        lines = data.split(b"\n")
        self.tail = lines.pop()
        for line in lines:
            self.lines += 1
            if b'"action":"exec"' not in line:
                continue
            if self.needle not in line and self.exe_needle not in line:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                self.bad_json += 1
                continue
            self.check(ev)
        return True

    def check(self, ev):
        if ev.get("event", {}).get("action") != "exec":
            return
        p = ev.get("process", {})
        args = p.get("args") or []
        marker = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        if marker is None or not marker.startswith(self.prefix + "-"):
            if p.get("executable") == self.v.real:
                self.foreign += 1
                self.foreign_unflagged += not ev.get("foothold", {}).get("incomplete")
                self.example("foreign", ev)
            return
        self.events += 1
        self.seen[marker] = self.seen.get(marker, 0) + 1
        exp = self.v.expected_args(marker)
        ok = (
            args == exp
            and p.get("executable") == self.v.real
            and p.get("args_count", len(args)) == len(exp)
        )
        flagged = bool(ev.get("foothold", {}).get("incomplete"))
        self.flagged += flagged
        if not ok:
            self.inexact += 1
            self.inexact_unflagged += not flagged
            self.example("inexact", ev, exp)

    def example(self, kind, ev, exp=None):
        if len(self.examples) >= 3:
            return
        p = ev.get("process", {})
        e = {"kind": kind, "pid": p.get("pid"), "executable": p.get("executable")[:80],
             "foothold": {k: v for k, v in ev.get("foothold", {}).items()
                          if k in ("incomplete", "args_bytes")}}
        args = p.get("args") or []
        e["args_count"] = p.get("args_count")
        e["args_len"] = len(args)
        e["args_head"] = [a[:80] for a in args[:3]]
        if exp is not None:
            e["exe_expected"] = self.v.real[:80] + "..." if len(self.v.real) > 80 else self.v.real
            diff = [i for i in range(max(len(args), len(exp))) if i >= len(args) or
                    i >= len(exp) or args[i] != exp[i]]
            e["args_first_diff"] = diff[:5]
            if diff and diff[0] < len(args):
                e["got"] = args[diff[0]][:120]
                e["want"] = exp[diff[0]][:120] if diff[0] < len(exp) else None
        self.examples.append(e)

    def close(self):
        self.f.close()


# ---------------------------------------------------------------------------------------------
# One run


def run_storm(a, variant, n, prefix):
    r = subprocess.run(variant.storm_cmd(a.execstorm, n, a.workers, prefix),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        w = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        sys.exit(f"execstorm failed (rc {r.returncode}): {r.stdout} {r.stderr}")
    if w["failed"] or w["bad_workers"]:
        sys.exit(f"execstorm: {w['failed']} execs failed: {r.stderr.strip()}")
    return w


def run_one(a, variant, mode, fh_args, n, tag, keep_status=False):
    """mode 'base' runs the workload alone; anything else runs it under foothold fh_args."""
    prefix = f"fhb{os.getpid()}{tag}"
    rec = {"variant": variant.name, "mode": mode, "n": n, "prefix": prefix,
           "load_start": loadavg()}
    if mode == "base":
        rec["other_footholds"] = len(other_footholds(0))
        rec["workload"] = run_storm(a, variant, n, prefix)
        rec["load_end"] = loadavg()
        return rec

    outpath = os.path.join(a.workdir, f"out-{tag}.json")
    errlines = []
    with open(outpath, "wb") as outf:
        fh = subprocess.Popen([a.foothold, "procs", "--json"] + fh_args, stdout=outf,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    ready = threading.Event()

    def read_err():
        for raw in fh.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            errlines.append(line)
            if line.strip() == "foothold: ready":
                ready.set()

    t = threading.Thread(target=read_err, daemon=True)
    t.start()
    if not ready.wait(60):
        fh.kill()
        fh.wait()
        sys.exit("foothold did not become ready: " + "\n".join(errlines))
    rec["other_footholds"] = len(other_footholds(fh.pid))
    t_ready = time.monotonic()
    ns0, tk0 = cpu_ns(fh.pid), cpu_ticks(fh.pid)
    rec["status_ready"] = proc_status(fh.pid)

    rec["workload"] = run_storm(a, variant, n, prefix)
    t_done = time.monotonic()

    # Wait until every marker was printed, or no new one came for a.settle seconds.
    sc = Scanner(outpath, variant, prefix)
    execs = rec["workload"]["execs"]
    last_new = time.monotonic()
    last_count = -1
    while True:
        sc.poll()
        now = time.monotonic()
        if len(sc.seen) >= execs:
            break
        if len(sc.seen) != last_count:
            last_count = len(sc.seen)
            last_new = now
        if now - last_new > a.settle or now - t_done > a.timeout:
            break
        time.sleep(0.05)
    rec["drain_s"] = time.monotonic() - t_done
    rec["seen_before_stop"] = len(sc.seen)
    ns1, tk1 = cpu_ns(fh.pid), cpu_ticks(fh.pid)
    rec["status_end"] = proc_status(fh.pid)
    rec["fh_window_s"] = time.monotonic() - t_ready
    fh.send_signal(signal.SIGINT)
    try:
        _, status, ru = os.wait4(fh.pid, 0)
        fh.returncode = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        ru = None
    t.join(10)
    while sc.poll():
        pass
    if sc.tail.strip():
        sc.bad_json += 1  # a last line without its newline
    sc.close()

    rec["fh_rc"] = fh.returncode
    rec["fh_cpu_ns"] = ns1 - ns0
    rec["fh_cpu_ticks"] = tk1 - tk0
    if ru:
        rec["fh_rusage_total_s"] = ru.ru_utime + ru.ru_stime
        rec["fh_maxrss_kib"] = ru.ru_maxrss
    rec["counters"] = parse_counters(errlines)
    rec["stderr_other"] = [l for l in errlines if not re.match(
        r"foothold: (ready|sensor|kernel|drops|chunks|events|table)", l)][:10]
    rec["seen"] = len(sc.seen)
    rec["marker_events"] = sc.events
    rec["duplicates"] = sc.events - len(sc.seen)
    rec["inexact"] = sc.inexact
    rec["inexact_unflagged"] = sc.inexact_unflagged
    rec["flagged_incomplete"] = sc.flagged
    rec["foreign"] = sc.foreign
    rec["foreign_unflagged"] = sc.foreign_unflagged
    rec["bad_json"] = sc.bad_json
    rec["examples"] = sc.examples
    rec["lines"] = sc.lines
    rec["out_bytes"] = os.path.getsize(outpath)
    rec["load_end"] = loadavg()
    if not a.keep:
        os.unlink(outpath)
    return rec


def derive(rec):
    """Adds the per-run figures the tables use."""
    w = rec["workload"]
    e = w["execs"]
    rec["rate"] = w["execs_per_s"]
    fh_s = rec.get("fh_cpu_ns", 0) / 1e9
    rec["cpu_per_exec_us"] = (w["cpu_s"] + fh_s) / e * 1e6
    rec["wl_cpu_per_exec_us"] = w["cpu_s"] / e * 1e6
    if rec["mode"] != "base":
        c = rec["counters"]
        rec["fh_ms_per_1000"] = fh_s * 1e3 / e * 1000
        rec["completeness"] = rec["seen"] / e
        rec["exactness"] = (rec["marker_events"] - rec["inexact"]) / rec["marker_events"] \
            if rec["marker_events"] else 0.0
        rec["losses"] = sum(c.get(k, 0) for k in LOSS_KEYS)
        rec["records_per_exec"] = c.get("kernel.records", 0) / e
        kexec = c.get("kernel.exec", 0)
        data = c.get("kernel.records", 0) - c.get("kernel.fork", 0) - kexec \
            - c.get("kernel.exit", 0)
        rec["data_records_per_exec_event"] = data / kexec if kexec else 0.0
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
    return {"median": statistics.median(xs), "min": xs[0], "max": xs[-1], "q1": q1, "q3": q3,
            "n": len(xs)}


def fmt(s, nd=1, pct=False):
    if s is None:
        return "-"
    u = "%" if pct else ""
    f = f"{{:.{nd}f}}"
    return (f"{f.format(s['median'])}{u} [{f.format(s['min'])}..{f.format(s['max'])}; "
            f"IQR {f.format(s['q1'])}..{f.format(s['q3'])}]")


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def env_report(a):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:
            return "?"

    lines = [
        f"- started: {a.started}",
        f"- host: {os.uname().nodename}, kernel {os.uname().release}, {os.cpu_count()} CPUs",
        f"- foothold: snapshot of {a.foothold_src} (sha256 {sh('sha256sum ' + a.foothold).split()[0][:16]}), "
        f"repo HEAD {sh('git -C ' + a.repo + ' rev-parse --short HEAD')}, "
        f"{len(sh('git -C ' + a.repo + ' status --porcelain').splitlines())} uncommitted paths",
        f"- load average when the report was written: {sh('cat /proc/loadavg')}",
        "- busiest processes (ps %CPU, lifetime average) when the report was written: "
        + "; ".join(sh("ps -eo pcpu=,comm= --sort=-pcpu | head -4").splitlines()),
    ]
    return "\n".join(lines)


def write_results(a, title, body):
    text = f"# {title}\n\n{body}\n"
    print(text)
    if a.md:
        os.makedirs(os.path.dirname(a.md), exist_ok=True)
        with open(a.md, "w") as f:
            f.write(text)
        print(f"(written to {a.md}; raw runs in {a.raw})")


def save_raw(a, recs):
    if a.raw:
        os.makedirs(os.path.dirname(a.raw), exist_ok=True)
        with open(a.raw, "a") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")


def progress(rec):
    w = rec["workload"]
    s = f"  {rec['variant']:<11} {rec['mode']:<12} {w['execs']:>6} execs {w['execs_per_s']:8.1f}/s"
    s += f" cpu/exec {rec['cpu_per_exec_us']:7.1f}us"
    if rec["mode"] != "base":
        s += (f" fh {rec['fh_ms_per_1000']:6.2f}ms/1k seen {rec['seen']}/{w['execs']}"
              f" inexact {rec['inexact']} (unflagged {rec['inexact_unflagged']}) losses "
              f"{rec['losses']} drain {rec['drain_s']:.1f}s")
    s += f" load {rec['load_start']:.2f}"
    print(s, file=sys.stderr, flush=True)


def loss_summary(rs):
    tot = {}
    for r in rs:
        for k in LOSS_KEYS + ["drops.argv_truncated", "drops.path_truncated",
                              "chunks.duplicates"]:
            tot[k] = tot.get(k, 0) + r["counters"].get(k, 0)
    nz = {k: v for k, v in tot.items() if v}
    return ", ".join(f"{k} {v}" for k, v in nz.items()) or "none"


def storm_tables(recs, modes):
    rows, notes = [], []
    for vname in dict.fromkeys(r["variant"] for r in recs):
        base = {r["round"]: r for r in recs if r["variant"] == vname and r["mode"] == "base"}
        for mode in modes:
            rs = [r for r in recs if r["variant"] == vname and r["mode"] == mode]
            rate = spread([r["rate"] for r in rs])
            cpu = spread([r["cpu_per_exec_us"] for r in rs])
            wl = spread([r["wl_cpu_per_exec_us"] for r in rs])
            if mode == "base":
                rows.append([vname, mode, fmt(rate, 0), "-", fmt(cpu, 0), "-", fmt(wl, 0), "-",
                             "-", "-", "-"])
                continue
            ro = spread([(1 - r["rate"] / base[r["round"]]["rate"]) * 100 for r in rs
                         if r["round"] in base])
            co = spread([(r["cpu_per_exec_us"] / base[r["round"]]["cpu_per_exec_us"] - 1) * 100
                         for r in rs if r["round"] in base])
            fhms = spread([r["fh_ms_per_1000"] for r in rs])
            execs = sum(r["workload"]["execs"] for r in rs)
            seen = sum(r["seen"] for r in rs)
            ev = sum(r["marker_events"] for r in rs)
            inex = sum(r["inexact"] for r in rs)
            unfl = sum(r["inexact_unflagged"] for r in rs)
            comp = spread([r["completeness"] * 100 for r in rs])
            rows.append([
                vname, mode, fmt(rate, 0), fmt(ro, 1, True), fmt(cpu, 0), fmt(co, 1, True),
                fmt(wl, 0), fmt(fhms, 2),
                f"{seen}/{execs} (worst run {comp['min']:.2f}%)",
                f"{ev - inex}/{ev} exact" + (f" ({inex - unfl} inexact flagged incomplete, "
                                             f"{unfl} unflagged)" if inex else ""),
                loss_summary(rs),
            ])
            for r in rs:
                if r["inexact"] or r["foreign"] or r["bad_json"] or r["duplicates"] or \
                        r["seen"] < r["workload"]["execs"] or r["stderr_other"] or \
                        loss_summary([r]) != "none":
                    notes.append(f"- {vname}/{mode} round {r['round']}: seen {r['seen']}/"
                                 f"{r['workload']['execs']} (before SIGINT "
                                 f"{r['seen_before_stop']}), inexact {r['inexact']} "
                                 f"(unflagged {r['inexact_unflagged']}), flagged incomplete "
                                 f"{r['flagged_incomplete']}, "
                                 f"duplicates {r['duplicates']}, foreign {r['foreign']} "
                                 f"(unflagged {r['foreign_unflagged']}), "
                                 f"bad lines {r['bad_json']}, counters: "
                                 f"{loss_summary([r])}; examples {json.dumps(r['examples'])}; "
                                 f"stderr {r['stderr_other']}")
    head = ["variant", "mode", "execs/s", "exec-rate overhead", "CPU/exec (us, workload+foothold)",
            "CPU/exec overhead", "workload-only CPU/exec (us)", "foothold CPU ms/1000 execs",
            "complete (markers seen)", "exact", "drop/truncation counters (sum; any process)"]
    return md_table(head, rows), notes


# ---------------------------------------------------------------------------------------------
# Subcommands


def cmd_storm(a):
    variants = make_variants(a)
    modes = ["base", "event", "batch"]
    fh_args = {"event": [], "batch": ["--wakeup", "batch"]}
    recs = []
    t0 = time.time()
    print(f"exec-storm: {a.rounds} rounds x {len(a.variants)} variants x {len(modes)} modes, "
          f"N={a.n}, {a.workers} workers", file=sys.stderr)
    warm(a, variants)
    for rnd in range(a.rounds):
        for vname in a.variants:
            v = variants[vname]
            order = modes[rnd % 3:] + modes[:rnd % 3]
            for mode in order:
                rec = run_one(a, v, mode, fh_args.get(mode, []), a.n,
                              f"r{rnd}{vname[:2]}{mode[:2]}")
                rec["round"] = rnd
                rec["order"] = order.index(mode)
                recs.append(derive(rec))
                progress(rec)
                time.sleep(a.pause)
    save_raw(a, recs)
    table, notes = storm_tables(recs, modes)
    other = max(r["other_footholds"] for r in recs)
    nother = sum(1 for r in recs if r["other_footholds"])
    loads = [r["load_start"] for r in recs]
    body = (
        f"Command: `{a.cmdline}`\n\n{env_report(a)}\n"
        f"- load average (1 min) at run starts: median {statistics.median(loads):.2f}, "
        f"max {max(loads):.2f}\n- other foothold instances (not ours) running at the start of "
        f"{nother} of {len(recs)} runs (up to {other} at once): their eBPF programs also "
        f"load the workload, baseline included\n"
        f"- duration: {(time.time() - t0) / 60:.1f} min\n\n"
        f"Medians over {a.rounds} interleaved rounds (order rotated each round), "
        f"[min..max; IQR q1..q3]. N={a.n} execs per run, {a.workers} workers. Overheads are "
        f"per round against that round's no-monitor run: exec-rate overhead = "
        f"1 - rate/rate_base (positive = slower); CPU/exec overhead = "
        f"cpu/cpu_base - 1. The machine is noisy (±5-15% per sample) and shared with other "
        f"jobs.\n\n{table}\n"
    )
    if notes:
        body += ("\nRuns with missing, duplicate or inexact marker events, or non-zero "
                 "drop/truncation counters (which count every process on the machine):\n\n"
                 + "\n".join(notes) + "\n")
    write_results(a, "foothold exec-storm benchmark", body)


def warm(a, variants):
    for vname in a.variants:
        run_storm(a, variants[vname], min(a.n, 500), f"fhbwarm{os.getpid()}")


def cmd_rss(a):
    v = make_variants(a)["plain"]
    a.variants = ["plain"]
    warm(a, {"plain": v})
    rec = derive(run_one(a, v, "event", ["--grace", "3600"] + a.fh_args, a.n, "rss"))
    progress(rec)
    save_raw(a, [rec])
    c = rec["counters"]
    st0, st1 = rec["status_ready"], rec["status_end"]
    mib = lambda k: k / 1024
    rows = [
        ["foothold procs --json --grace 3600" + (" " + " ".join(a.fh_args) if a.fh_args else ""),
         rec["workload"]["execs"], f"{rec['rate']:.0f}",
         c.get("table.entries", "?"), c.get("table.live", "?"),
         f"{c.get('table.bytes', 0) / 1048576:.1f}",
         f"{mib(st0['VmRSS_kib']):.1f}", f"{mib(st1['VmRSS_kib']):.1f}",
         f"{mib(st1['VmHWM_kib']):.1f}", f"{mib(rec.get('fh_maxrss_kib', 0)):.1f}",
         f"{mib(st0['RssAnon_kib']):.1f}/{mib(st0['RssFile_kib']):.1f}/"
         f"{mib(st0['RssShmem_kib']):.1f}",
         f"{mib(st1['RssAnon_kib']):.1f}/{mib(st1['RssFile_kib']):.1f}/"
         f"{mib(st1['RssShmem_kib']):.1f}",
         f"{rec['seen']}/{rec['workload']['execs']}", f"{rec['marker_events'] - rec['inexact']}"
         f"/{rec['marker_events']}", loss_summary([rec]),
         f"{rec['fh_ms_per_1000']:.2f}"],
    ]
    head = ["command", "execs", "execs/s", "table entries", "live", "table MiB (own count)",
            "VmRSS at ready MiB", "VmRSS end MiB", "VmHWM MiB",
            "ru_maxrss after exit MiB", "anon/file/shmem at ready MiB",
            "anon/file/shmem end MiB", "complete", "exact",
            "drop/truncation counters (any process)", "foothold CPU ms/1000"]
    body = (f"Command: `{a.cmdline}`\n\n{env_report(a)}\n\nOne run of {a.n} execs (plain "
            f"variant, {a.workers} workers). VmRSS/VmHWM read from /proc/PID/status just "
            f"before SIGINT; ru_maxrss from wait4 (includes the shutdown); table figures from foothold's "
            f"'table:' counter line (its own estimate of the table's heap bytes).\n\n"
            f"{md_table(head, rows)}\n")
    if rec["examples"] or rec["stderr_other"]:
        body += f"\nexamples: {json.dumps(rec['examples'])}\nstderr: {rec['stderr_other']}\n"
    write_results(a, "foothold RSS with a full process table", body)


def cmd_chunk(a):
    variants = make_variants(a)
    sizes = [int(s) for s in a.sizes.split(",")]
    modes = ["base"] + [f"chunk{s}" for s in sizes]
    recs = []
    t0 = time.time()
    print(f"chunk-size: {a.rounds} rounds x {len(a.variants)} variants x {len(modes)} runs, "
          f"N={a.n}", file=sys.stderr)
    warm(a, variants)
    for rnd in range(a.rounds):
        for vname in a.variants:
            v = variants[vname]
            k = rnd % len(modes)
            order = modes[k:] + modes[:k]
            for mode in order:
                args = [] if mode == "base" else ["--chunk-size", mode[5:]] + a.fh_args
                rec = run_one(a, v, mode, args, a.n, f"r{rnd}{vname[:2]}{mode}")
                rec["round"] = rnd
                recs.append(derive(rec))
                progress(rec)
                time.sleep(a.pause)
    save_raw(a, recs)
    rows, notes = [], []
    for vname in a.variants:
        base = {r["round"]: r for r in recs if r["variant"] == vname and r["mode"] == "base"}
        for mode in modes:
            rs = [r for r in recs if r["variant"] == vname and r["mode"] == mode]
            cpu = spread([r["cpu_per_exec_us"] for r in rs])
            if mode == "base":
                rows.append([vname, "no monitor", "-", fmt(cpu, 0), "-", "-", "-", "-", "-"])
                continue
            co = spread([(r["cpu_per_exec_us"] / base[r["round"]]["cpu_per_exec_us"] - 1) * 100
                         for r in rs])
            execs = sum(r["workload"]["execs"] for r in rs)
            seen = sum(r["seen"] for r in rs)
            ev = sum(r["marker_events"] for r in rs)
            inex = sum(r["inexact"] for r in rs)
            rows.append([
                vname, mode[5:], fmt(spread([r["fh_ms_per_1000"] for r in rs]), 2),
                fmt(cpu, 0), fmt(co, 1, True),
                fmt(spread([r["records_per_exec"] for r in rs]), 2),
                fmt(spread([r["data_records_per_exec_event"] for r in rs]), 2),
                f"{seen}/{execs}, exact {ev - inex}/{ev}", loss_summary(rs),
            ])
            for r in rs:
                if r["inexact"] or r["duplicates"] or r["seen"] < r["workload"]["execs"]:
                    notes.append(f"- {vname}/{mode} round {r['round']}: seen {r['seen']}/"
                                 f"{r['workload']['execs']}, inexact {r['inexact']}, "
                                 f"duplicates {r['duplicates']}, counters "
                                 f"{loss_summary([r])}; examples {json.dumps(r['examples'])}")
    head = ["variant", "--chunk-size", "foothold CPU ms/1000 execs",
            "CPU/exec (us, workload+foothold)", "CPU/exec vs no monitor", "records/exec (all)",
            "DATA records per exec event", "complete, exact",
            "drop/truncation counters (sum; any process)"]
    loads = [r["load_start"] for r in recs]
    body = (f"Command: `{a.cmdline}`\n\n{env_report(a)}\n"
            f"- load average (1 min) at run starts: median {statistics.median(loads):.2f}, "
            f"max {max(loads):.2f}\n- duration: {(time.time() - t0) / 60:.1f} min\n\n"
            f"Medians over {a.rounds} interleaved rounds (order rotated each round) "
            f"[min..max; IQR q1..q3]; N={a.n}, {a.workers} workers, wakeup event. "
            f"records/exec = the kernel 'records' counter / execs performed (includes the FORK "
            f"and EXIT records and other processes on the machine). The machine is noisy and "
            f"shared.\n\n{md_table(head, rows)}\n")
    if notes:
        body += "\nRuns with missing, duplicate or inexact events:\n\n" + "\n".join(notes) + "\n"
    write_results(a, "foothold --chunk-size sweep", body)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["storm", "rss", "chunk"])
    p.add_argument("--foothold", required=True)
    p.add_argument("--foothold-src", default="")
    p.add_argument("--execstorm", required=True)
    p.add_argument("--exe", required=True, help="the copy of /bin/true")
    p.add_argument("--long-exe", default="", help="the copy under a 3000-char path")
    p.add_argument("--workdir", required=True)
    p.add_argument("--repo", default=".")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--n", type=int, default=4000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--variants", default="plain,args50x100,path3000")
    p.add_argument("--sizes", default="256,512,1024,2048,4096")
    p.add_argument("--fh-args", default="", help="extra foothold arguments, space-separated")
    p.add_argument("--settle", type=float, default=3.0,
                   help="stop waiting when no new marker for this long")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--pause", type=float, default=0.5)
    p.add_argument("--keep", action="store_true", help="keep foothold's output files")
    p.add_argument("--md", default="")
    p.add_argument("--raw", default="")
    p.add_argument("--cmdline", default="")
    a = p.parse_args()
    a.variants = a.variants.split(",")
    a.fh_args = a.fh_args.split()
    a.started = datetime.datetime.now().isoformat(timespec="seconds")
    {"storm": cmd_storm, "rss": cmd_rss, "chunk": cmd_chunk}[a.cmd](a)


if __name__ == "__main__":
    main()
