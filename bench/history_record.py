#!/usr/bin/env python3
"""The time gox spends recording a run in the history (GOX_TIMING's
"history" step: opening the store is in "analysis"; the record, its report
and pruning are here), on both backends: a SQLite file, and a throwaway
PostgreSQL 15 server on 127.0.0.1 (tests/cli/pgserver.py). Also gives the
whole run's wall time with each backend. Runs `gox build ./...` on a
warm copy of examples/sample (or --dir) --reps times per backend,
alternating, and prints medians.

usage: bench/history_record.py [--gox build/gox] [--dir DIR] [--reps 15]"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cli"))
from pgserver import PgServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gox", default=os.path.join(HERE, "..", "build", "gox"))
    ap.add_argument("--dir", default=os.path.join(HERE, "..", "examples", "sample"))
    ap.add_argument("--reps", type=int, default=15)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gox-histbench-")
    mod = os.path.join(work, "mod")
    shutil.copytree(a.dir, mod)
    with PgServer() as pg:
        backends = {"sqlite": os.path.join(work, "history.db"), "postgresql": pg.new_db("bench")}
        env0 = dict(os.environ, GOX_TIMING="1", GOCACHE=os.path.join(work, "gocache"), GOFLAGS="-buildvcs=false",
                    XDG_CACHE_HOME=os.path.join(work, "xdg"), GOX_HISTORY_SPOOL=os.path.join(work, "spool"))
        gox = os.path.abspath(a.gox)
        subprocess.run([gox, "--no-progress", "build", "./..."], cwd=mod, env=dict(env0, GOX_HISTORY=backends["sqlite"]),
                       capture_output=True, check=True)  # warm go's cache and the fingerprint
        hist, wall, pkgs = {}, {}, 0
        for i in range(a.reps):
            for name in backends if i % 2 == 0 else reversed(list(backends)):
                t0 = time.monotonic()
                p = subprocess.run([gox, "--no-progress", "build", "./..."], cwd=mod,
                                   env=dict(env0, GOX_HISTORY=backends[name]), capture_output=True, text=True)
                wall.setdefault(name, []).append((time.monotonic() - t0) * 1000)
                m = re.search(r"history ([\d.]+) ms", p.stderr)
                if m:
                    hist.setdefault(name, []).append(float(m.group(1)))
                m = re.search(r"gox: (\d+) package", p.stderr)
                if m:
                    pkgs = int(m.group(1))
        print(f"{a.reps} runs per backend of gox build ./... ({pkgs} packages recorded per run), medians:")
        print("| backend | history step (ms) | whole run, wall (ms) |")
        print("|---|---|---|")
        for name in backends:
            print(f"| {name} | {statistics.median(hist.get(name, [0])):.1f} | {statistics.median(wall[name]):.0f} |")
        print("runs recorded on PostgreSQL: " + pg.psql("SELECT count(*) FROM runs", db="bench"))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
