#!/usr/bin/env python3
"""Sums a long fuzz run (long_run.sh) per target: CPU, executions, coverage,
corpus size, crashes (artifacts). usage: summary.py OUT"""
import glob
import os
import re
import sys
os.chdir(sys.argv[1] if len(sys.argv) > 1 else ".")
tot_cpu = tot_exec = 0
print("| target | slices | CPU (min) | executions | exec/s (CPU) | final cov / ft | corpus files (KB) | crashes, leaks, timeouts, OOM | slow units (> 10 s) |")
print("|---|---|---|---|---|---|---|---|---|")
for t in ["fuzz_tokenizer", "fuzz_stream", "fuzz_parse", "fuzz_hashes", "fuzz_actiongraph"]:
    cpu = execs = n = 0
    cov = ""
    for log in sorted(glob.glob(f"{t}/log.*"), key=lambda p: int(p.rsplit(".", 1)[1])):
        k = log.rsplit(".", 1)[1]
        tf = f"{t}/time.{k}"
        if not os.path.exists(tf):
            continue
        words = open(tf).read().split()
        if len(words) < 2:
            continue
        try:
            cpu += float(words[-2]) + float(words[-1])
        except ValueError:
            continue
        n += 1
        text = open(log, errors="replace").read()
        m = re.search(r"stat::number_of_executed_units: (\d+)", text)
        if m:
            execs += int(m.group(1))
        else:
            runs = re.findall(r"^#(\d+)\s", text, re.M)
            if runs:
                execs += int(runs[-1])
        c = re.findall(r"cov: (\d+) ft: (\d+)", text)
        if c:
            cov = f"{c[-1][0]} / {c[-1][1]}"
    corpus = glob.glob(f"{t}/corpus/*")
    kb = sum(os.path.getsize(f) for f in corpus) // 1024
    arts = [os.path.basename(a) for a in glob.glob(f"{t}/artifacts/*")]
    slow = sum(a.startswith("slow-unit-") for a in arts)
    crashes = len(arts) - slow
    tot_cpu += cpu
    tot_exec += execs
    eps = f"{execs / cpu:.0f}" if cpu else "-"
    print(f"| {t} | {n} | {cpu / 60:.1f} | {execs} | {eps} | {cov} | {len(corpus)} ({kb}) | {crashes} | {slow} |")
print(f"| total | | {tot_cpu / 60:.1f} | {tot_exec} | | | | | |")
