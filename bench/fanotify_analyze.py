#!/usr/bin/env python3
"""fanotify_analyze.py - runs and analyses the fanotify marking benchmark (stdlib only).

Called by bench/fanotify-marks.sh, which builds bench/fanbench.c and makes the temporary
watched/ and sibling/ directories; see bench/FANOTIFY.md for what is measured.

For ROUNDS rounds, every configuration (below) runs once, in an order rotated every round:
start `fanbench watch ...`, wait for "ready", run `fanbench storm --dir DIR -n N`, send
SIGTERM to the reader (it drains its queue, then prints its counters) and collect both JSON
lines. Each figure is then given per configuration as median [min..max; IQR q1..q3] over
the rounds; ratios are taken against configuration (a) of the same round.
"""
import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys

# name, description, mark, reader, storm directory ("watched" or "sibling"), ignore sibling?
CONFIGS = [
    ("a", "no fanotify (baseline)", "none", "event", "sibling", False),
    ("b", "fs mark, event reader", "fs", "event", "sibling", False),
    ("c", "fs mark, batch reader", "fs", "batch", "sibling", False),
    ("d", "fs mark + ignore mark on sibling, event reader", "fs", "event", "sibling", True),
    ("e", "inode mark on watched, event reader", "inode", "event", "sibling", False),
    ("f", "inode mark on watched, event reader", "inode", "event", "watched", False),
    ("g", "inode mark on watched, batch reader", "inode", "batch", "watched", False),
]


def run_one(fanbench, cfg, root, n):
    name, _, mark, reader, where, ignore = cfg
    watched = os.path.join(root, "watched")
    sibling = os.path.join(root, "sibling")
    cmd = [fanbench, "watch", "--mark", mark, "--reader", reader, "--dir", watched]
    if ignore:
        cmd += ["--ignore-sibling", sibling]
    watch = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = watch.stdout.readline()
    if line.strip() != "ready":
        watch.kill()
        watch.wait()
        sys.exit(f"fanotify-marks: reader for ({name}) did not start: {line!r}")
    storm_dir = watched if where == "watched" else sibling
    out = subprocess.run([fanbench, "storm", "--dir", storm_dir, "-n", str(n)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    storm = json.loads(out)
    watch.send_signal(signal.SIGTERM)
    rest, _ = watch.communicate(timeout=60)
    if watch.returncode != 0:
        sys.exit(f"fanotify-marks: reader for ({name}) exited {watch.returncode}")
    reader_out = json.loads(rest.strip().splitlines()[-1])
    return {"config": name, "storm": storm, "reader": reader_out}


def derive(run):
    s, r = run["storm"], run["reader"]
    ops = s["ops"]
    return {
        "cpu_per_op": (s["cpu_us"] + r["cpu_since_ready_us"]) / ops,
        "storm_cpu_per_op": s["cpu_us"] / ops,
        "reader_cpu_per_op": r["cpu_since_ready_us"] / ops,
        "ops_per_s": ops / s["wall_s"],
        "events": r["events"],
        "overflows": r["overflows"],
        "malformed": r["malformed"],
        "reads": r["reads"],
        "ignore": r["ignore"],
    }


def spread(values, fmt="{:.2f}", pct=False):
    """median [min..max; IQR q1..q3]"""
    f = (lambda v: fmt.format(v * 100) + "%") if pct else (lambda v: fmt.format(v))
    v = sorted(values)
    med = statistics.median(v)
    if len(v) >= 4:
        q = statistics.quantiles(v, n=4, method="inclusive")
        return f"{f(med)} [{f(v[0])}..{f(v[-1])}; IQR {f(q[0])}..{f(q[2])}]"
    return f"{f(med)} [{f(v[0])}..{f(v[-1])}]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fanbench", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--command", default="bench/fanotify-marks.sh")
    ap.add_argument("--fstype", default="?")
    a = ap.parse_args()

    load_start = open("/proc/loadavg").read().split()[:3]
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    # Unmeasured warm-up: page cache, dentry cache, the binary itself.
    for cfg in CONFIGS[:2]:
        run_one(a.fanbench, cfg, a.root, a.n)

    per = {c[0]: [] for c in CONFIGS}
    with open(a.raw, "w") as raw:
        for rnd in range(a.rounds):
            k = rnd % len(CONFIGS)
            order = CONFIGS[k:] + CONFIGS[:k]
            got = {}
            for cfg in order:
                run = run_one(a.fanbench, cfg, a.root, a.n)
                run["round"] = rnd
                raw.write(json.dumps(run) + "\n")
                got[cfg[0]] = derive(run)
            base = got["a"]
            for name, d in got.items():
                d["cpu_ratio"] = d["cpu_per_op"] / base["cpu_per_op"]
                d["rate_ratio"] = d["ops_per_s"] / base["ops_per_s"]
                per[name].append(d)
            print(f"fanotify-marks: round {rnd + 1}/{a.rounds} done "
                  f"(order {''.join(c[0] for c in order)})", file=sys.stderr)
    load_end = open("/proc/loadavg").read().split()[:3]
    ended = datetime.datetime.now().strftime("%H:%M:%S")

    lines = []
    lines.append(f"# fanotify marking benchmark, {started}–{ended}")
    lines.append("")
    lines.append(f"Command: `{a.command}` (ROUNDS={a.rounds}, N={a.n} file operations per run; "
                 f"one operation = open(O_CREAT|O_TRUNC) + write 100 B + close + unlink).")
    lines.append(f"Load average (1/5/15 min) at start: {' '.join(load_start)}; "
                 f"at end: {' '.join(load_end)}. Kernel {os.uname().release}; "
                 f"temp tree on `{a.root}` ({a.fstype}).")
    lines.append("")
    lines.append("Every figure: median [min..max; IQR q1..q3] over the rounds. Ratios are "
                 "against (a) of the same round. CPU = storm CPU + reader CPU since `ready`.")
    lines.append("")
    lines.append("| cfg | what | storm in | CPU/op µs | CPU/op vs (a) | storm CPU/op µs | "
                 "reader CPU/op µs | ops/s vs (a) | events read | overflows |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for cfg in CONFIGS:
        name, desc, _, _, where, _ = cfg
        d = per[name]
        ign = d[0]["ignore"]
        if ign != "none":
            desc += f" ({ign})"
        ratio = "–" if name == "a" else spread([x["cpu_ratio"] for x in d], "{:.2f}")
        rate = "–" if name == "a" else spread([x["rate_ratio"] for x in d], "{:.2f}")
        ev = spread([x["events"] for x in d], "{:.0f}")
        ov = sum(x["overflows"] for x in d)
        mal = sum(x["malformed"] for x in d)
        ovs = f"{ov}" + (f" (malformed {mal})" if mal else "")
        lines.append(
            f"| {name} | {desc} | {where} | "
            f"{spread([x['cpu_per_op'] for x in d])} | {ratio} | "
            f"{spread([x['storm_cpu_per_op'] for x in d])} | "
            f"{spread([x['reader_cpu_per_op'] for x in d], '{:.3f}')} | {rate} | {ev} | {ovs} |")
    lines.append("")
    lines.append("Baseline rate (a): " + spread([x["ops_per_s"] for x in per["a"]], "{:.0f}")
                 + " ops/s. Overflows are summed over all rounds.")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(a.out, "w") as f:
        f.write(text)
    print(f"fanotify-marks: wrote {a.out} and {a.raw}", file=sys.stderr)


if __name__ == "__main__":
    main()
