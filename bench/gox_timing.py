#!/usr/bin/env python3
"""gox's own CPU per step (GOX_TIMING=1) on a no-op build, for one or more
gox binaries run alternately, with the CPU of the whole process tree and of
go alone (plain, and with -x -debug-actiongraph) for comparison. Prints the
median of each step's CPU ms per binary.

usage: bench/gox_timing.py --dir PROJECT_DIR [--reps 7] [--pkgs ./...]
                           [--history-copy DB] LABEL=GOX [LABEL=GOX ...]
Run it with the environment the project builds in (GOCACHE warm,
GOMODCACHE, GOFLAGS, ...). Each binary gets its own GOX_HISTORY (seeded
from --history-copy, e.g. one with 200 runs, to measure the steady state)
and XDG_CACHE_HOME.
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile


def cpu_of(cmd, env, cwd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--pkgs", default="./...")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--history-copy")
    ap.add_argument("tools", nargs="+", metavar="LABEL=GOX")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gox-timing-")
    tools = dict(t.split("=", 1) for t in a.tools)
    graph = os.path.join(work, "graph.json")
    runs = {"go": ["go", "build", a.pkgs], "go -x -debug-actiongraph": ["go", "build", "-x", f"-debug-actiongraph={graph}", a.pkgs]}
    envs = {}
    for label, gox in tools.items():
        d = os.path.join(work, re.sub(r"\W", "_", label))
        os.makedirs(d)
        hist = os.path.join(d, "history.db")
        if a.history_copy:
            shutil.copy(a.history_copy, hist)
        envs[label] = dict(os.environ, GOX_TIMING="1", GOX_HISTORY=hist, XDG_CACHE_HOME=os.path.join(d, "xdg"))
        runs[label] = [os.path.abspath(gox), "build", a.pkgs]
        cpu_of(runs[label], envs[label], a.dir)  # untimed: fingerprint and history warm
    steps, cpus = {}, {}
    order = list(runs)
    for i in range(a.reps):
        for label in order if i % 2 == 0 else reversed(order):
            c, err = cpu_of(runs[label], envs.get(label, os.environ), a.dir)
            cpus.setdefault(label, []).append(c)
            m = re.search(r"gox: timing: (.*)", err)
            if m:
                for name, ms in re.findall(r"([\w ()]+?) [\d.]+ ms \(cpu ([\d.]+)\)", m.group(1)):
                    steps.setdefault(label, {}).setdefault(name.strip().lstrip(", "), []).append(float(ms))
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"{a.reps} runs each, alternating; load average at the end {load}")
    print("process-tree CPU, median ms: " + ", ".join(f"{k} {statistics.median(v) * 1000:.0f}" for k, v in cpus.items()))
    names = []
    for per in steps.values():
        names += [n for n in per if n not in names]
    print("| step | " + " | ".join(steps) + " |")
    print("|---|" + "---|" * len(steps))
    for n in names:
        print(f"| {n} | " + " | ".join(f"{statistics.median(steps[t][n]):.1f}" if n in steps[t] else "—" for t in steps) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
