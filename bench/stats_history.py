#!/usr/bin/env python3
"""gox stats, with content and at scale.

(a) A history of real runs: --runs (default 220) `gox build`/`gox test`/
`gox vet` runs with real go on a generated fixture module (example.com/fleet:
14 packages in layers, one large generated package, tests), each after a
seeded change: a file edited (its package and the packages above it miss),
an edit reverted (the cache still has it), a file touched (go hashes
contents: hits), -gcflags or -tags changed, GOAMD64 changed, a test run
again (cached) or made to fail, a compile error now and then. The runs are
labelled with three hosts and three CI jobs (GOX_HOST, GOX_JOB). They all
run within minutes, so afterwards their start times are spread evenly over
the last --spread-days days (one UPDATE of runs.started, in order) to give
the per-day figures something to show. Prints `gox stats` (text) and writes
the HTML page (--html).

(b) 10,000 synthetic runs (--synthetic; 60 package records each, 30% with
test results, 3% failed; 5 projects, 4 jobs, 8 hosts, over 30 days; the same
seeded rows) inserted straight into a SQLite file and into a PostgreSQL 15
database (tests/cli/pgserver.py: started on 127.0.0.1 and stopped by the
script), then `gox stats --since=30d` timed on each (--reps, medians, text
and JSON).

usage: bench/stats_history.py [--gox build/gox] [--runs 220] [--synthetic 10000]
                              [--reps 5] [--html stats.html] [--skip-real] [--skip-synthetic]"""
import argparse
import io
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cli"))
from pgserver import BIN, PASSWORD, PgServer  # noqa: E402

MOD = "example.com/fleet"
# package: the packages it imports (of the module)
LAYERS = {
    "internal/base": [], "internal/text": [], "internal/gen": [],
    "internal/util": ["internal/base"], "internal/store": ["internal/base", "internal/util"],
    "internal/model": ["internal/util", "internal/text"], "internal/codec": ["internal/model"],
    "internal/auth": ["internal/util"], "internal/api": ["internal/model", "internal/codec", "internal/auth"],
    "internal/svc": ["internal/api", "internal/store", "internal/gen"], "internal/jobs": ["internal/svc"],
    "internal/web": ["internal/api", "internal/text"], "cmd/app": ["internal/svc", "internal/web"],
    "cmd/tool": ["internal/jobs"],
}
TESTED = ["internal/util", "internal/model", "internal/svc", "internal/text"]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make_module(root):
    write(os.path.join(root, "go.mod"), f"module {MOD}\n\ngo 1.22\n")
    for pkg, deps in LAYERS.items():
        name = "main" if pkg.startswith("cmd/") else pkg.rsplit("/", 1)[1]
        imports = "".join(f'\t"{MOD}/{d}"\n' for d in deps) + '\t"fmt"\n\t"strings"\n'
        uses = "".join(f"\t_ = {d.rsplit('/', 1)[1]}.Name()\n" for d in deps)
        body = f"package {name}\n\nimport (\n{imports})\n\n"
        body += f"func Name() string {{\n{uses}\treturn strings.ToUpper(fmt.Sprint(\"{pkg}\"))\n}}\n"
        if name == "main":
            body += "\nfunc main() { fmt.Println(Name()) }\n"
        write(os.path.join(root, pkg, name + ".go"), body)
        # A second file per package: the one the edits go to.
        write(os.path.join(root, pkg, "extra.go"), f"package {name}\n\nfunc extra0() int {{ return 0 }}\n")
    # The large package: many functions, the slowest compile.
    funcs = "".join(f"func F{i}(x int) int {{ s := 0; for j := 0; j < x; j++ {{ s += j * {i} % 7 }}; return s }}\n"
                    for i in range(2500))
    write(os.path.join(root, "internal/gen/big.go"), "package gen\n\n" + funcs)
    for pkg in TESTED:
        name = pkg.rsplit("/", 1)[1]
        write(os.path.join(root, pkg, name + "_test.go"),
              f"package {name}\n\nimport \"testing\"\n\nfunc TestName(t *testing.T) {{\n"
              f"\tif Name() == \"\" {{\n\t\tt.Fatal(\"empty\")\n\t}}\n}}\n")


def real_history(a, gox, work, env0):
    """(a): the real runs; returns the history file."""
    mod = os.path.join(work, "fleet")
    make_module(mod)
    db = os.path.join(work, "history.db")
    env0 = dict(env0, GOX_HISTORY=db)
    rng = random.Random(18)
    pkgs = list(LAYERS)
    edits = {}  # package -> number of functions appended to extra.go
    hosts = ["ci-1", "ci-2", "laptop"]
    jobs = {"ci-1": "build", "ci-2": "test", "laptop": ""}
    broken = None
    counts = {}
    t0 = time.monotonic()

    def extra_file(p):
        return os.path.join(mod, p, "extra.go")

    def set_edits(p, n):
        name = "main" if p.startswith("cmd/") else p.rsplit("/", 1)[1]
        body = f"package {name}\n\nfunc extra0() int {{ return 0 }}\n"
        body += "".join(f"func extra{i}() int {{ return {i} }}\n" for i in range(1, n + 1))
        write(extra_file(p), body)
        edits[p] = n

    for i in range(a.runs):
        host = hosts[i % 3] if rng.random() < 0.7 else rng.choice(hosts)
        env = dict(env0, GOX_HOST=host, GOX_JOB=jobs[host], GOX_JOB_ID=f"{host}-{i}" if jobs[host] else "",
                   GOX_BRANCH="main" if rng.random() < 0.8 else "feature")
        verb, flags = "build", []
        if broken:  # the compile error is fixed by the next run
            set_edits(broken, edits.get(broken, 0))
            broken = None
            kind = "fix"
        else:
            r = rng.random()
            if r < 0.35:
                kind = "edit"
                p = rng.choice(pkgs)
                set_edits(p, edits.get(p, 0) + 1)
            elif r < 0.45:
                kind = "revert"
                p = rng.choice(pkgs)
                set_edits(p, max(0, edits.get(p, 0) - 1))
            elif r < 0.55:
                kind = "touch"
                os.utime(extra_file(rng.choice(pkgs)))
            elif r < 0.62:
                kind = "gcflags"
                flags = [f"-gcflags={MOD}/...=-l" if rng.random() < 0.5 else f"-gcflags={MOD}/internal/...=-N -l"]
            elif r < 0.66:
                kind = "tags"
                flags = ["-tags=fleet_extra"]
            elif r < 0.68:
                kind = "goamd64"
                env["GOAMD64"] = "v2"
            elif r < 0.71:
                kind = "broken"
                broken = rng.choice(pkgs)
                write(extra_file(broken), open(extra_file(broken)).read() + "\nfunc broken() int { return \"x\" }\n")
            else:
                kind = "same"
        if kind != "broken" and rng.random() < 0.3:
            verb = "test"
            if rng.random() < 0.1:
                flags = flags + ["-run=TestName", "-count=1"]
        elif kind != "broken" and rng.random() < 0.05:
            verb = "vet"
        counts[f"{verb}/{kind}"] = counts.get(f"{verb}/{kind}", 0) + 1
        p = subprocess.run([gox, "--no-progress", "--summary=off", verb, *flags, "./..."], cwd=mod, env=env,
                           capture_output=True, text=True)
        if p.returncode != 0 and kind != "broken":
            print(f"# run {i} ({verb} {kind}) exited {p.returncode}: {p.stderr[-300:]}", file=sys.stderr)
    took = time.monotonic() - t0
    print(f"(a) {a.runs} real runs in {took:.0f} s ({1000 * took / a.runs:.0f} ms each)")
    print("    changes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    # Their start times, spread over the last days (in order).
    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("SELECT id FROM runs ORDER BY id")]
    now = time.time()
    span = a.spread_days * 86400
    for k, rid in enumerate(ids):
        con.execute("UPDATE runs SET started=? WHERE id=?", (now - span + span * (k + 0.5) / len(ids), rid))
    con.commit()
    con.close()
    return db


def synthetic_rows(n, seed=18):
    """The same runs and packages for both backends: (runs, packages) lists."""
    rng = random.Random(seed)
    now = time.time()
    projects = [f"example.com/team{i}/svc" for i in range(5)]
    jobs = ["build", "test", "lint", "release"]
    hosts = [f"runner-{i}" for i in range(8)]
    std = ["fmt", "strings", "os", "io", "sort", "sync", "time", "errors", "bytes", "bufio", "strconv",
           "unicode", "math", "reflect", "context", "net/http", "encoding/json", "path/filepath",
           "runtime", "internal/abi", "internal/bytealg", "internal/cpu", "sync/atomic", "unicode/utf8",
           "math/bits", "io/fs", "syscall", "internal/poll", "internal/syscall/unix", "internal/fmtsort",
           "internal/itoa", "internal/oserror", "internal/race", "internal/reflectlite", "internal/testlog",
           "internal/goarch", "internal/goos", "slices", "maps", "iter", "cmp", "log", "flag", "regexp",
           "regexp/syntax", "container/list", "hash", "hash/crc32", "compress/flate", "compress/gzip"]
    reasons = ["source_file_changed"] * 6 + ["dependency_changed"] * 8 + ["no_history"] * 2 + \
        ["not_in_cache"] * 2 + ["flags_changed", "env_changed", "go_version_changed"]
    classes = ["compile_error", "test_failure", "cache_corrupt", "link_error"]
    runs, pkgs = [], []
    for rid in range(1, n + 1):
        project = rng.choice(projects)
        own = [f"{project}/internal/p{i:02d}" for i in range(10)]
        failed = rng.random() < 0.03
        started = now - 30 * 86400 + 30 * 86400 * rid / (n + 1)
        job = rng.choice(jobs)
        runs.append((rid, started, "/src/" + project, "/src/" + project, "test" if job == "test" else "build",
                     '["./..."]', "go1.26.8", "{}", 1 if failed else 0, rng.uniform(2, 40), project,
                     rng.choice(hosts), job, f"{job}-{rid}", "main", rng.choice(classes) if failed else ""))
        miss = rng.uniform(0.02, 0.35)
        for k, path in enumerate(own + std):
            r = rng.random()
            base = 0.05 + 0.4 * ((zlib.crc32(path.encode()) % 97) / 97.0) + (0.8 if path.endswith("p07") else 0)
            if r < miss:
                outcome, reason = ("failed", "source_file_changed") if failed and k == 0 else \
                    ("rebuilt", rng.choice(reasons))
                secs = base * rng.uniform(0.8, 1.3) * (1 + 0.4 * rid / n)
            else:
                outcome, reason, secs = "cache_hit", "", -1
            pkgs.append((rid, path, "", f"{rid:x}{k:x}a", f"{k:x}c", outcome, reason, "", secs, ""))
        if job == "test":
            for path in own[:6]:
                outcome = "cached" if rng.random() < 0.6 else ("fail" if failed else "ok")
                pkgs.append((rid, path, "(test result)", "", "", outcome, "", "", -1, ""))
    return runs, pkgs


RUN_COLS = ("id, started, cwd, module_root, verb, args, go_version, env, exit_code, seconds, project, host, job, "
            "job_id, branch, failure_class")
PKG_COLS = "run_id, import_path, variant, action_id, content_id, outcome, reason, detail, seconds, inputs"


def fill_sqlite(gox, path, runs, pkgs, env):
    open(path, "w").close()
    subprocess.run([gox, "stats"], env=dict(env, GOX_HISTORY=path), check=True, capture_output=True)  # the schema
    con = sqlite3.connect(path)
    con.executemany(f"INSERT INTO runs({RUN_COLS}) VALUES({','.join('?' * 16)})", runs)
    con.executemany(f"INSERT INTO packages({PKG_COLS}) VALUES({','.join('?' * 10)})", pkgs)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def copy_text(rows):
    out = io.StringIO()
    for r in rows:
        out.write("\t".join(str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") for v in r) + "\n")
    return out.getvalue()


def fill_pg(gox, pg, url, runs, pkgs, env):
    subprocess.run([gox, "stats"], env=dict(env, GOX_HISTORY=url), check=True, capture_output=True)  # the schema
    penv = dict(os.environ, PGPASSWORD=PASSWORD)
    base = [f"{BIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "gox",
            "-d", "stats"]
    for table, cols, rows in (("runs", RUN_COLS, runs), ("packages", PKG_COLS, pkgs)):
        subprocess.run(base + ["-c", f"COPY {table}({cols}) FROM STDIN"], input=copy_text(rows), text=True,
                       env=penv, check=True)
    pg.psql("SELECT setval(pg_get_serial_sequence('runs','id'), (SELECT max(id) FROM runs))", db="stats")
    pg.psql("ANALYZE", db="stats")


def time_stats(gox, env, reps):
    out = {}
    for fmt in ("text", "json"):
        ms = []
        for _ in range(reps):
            t0 = time.monotonic()
            p = subprocess.run([gox, "stats", "--since=30d", f"--format={fmt}"], env=env, capture_output=True, text=True)
            ms.append((time.monotonic() - t0) * 1000)
            if p.returncode != 0:
                raise RuntimeError(p.stderr)
            if fmt == "json":
                out["runs"] = json.loads(p.stdout)["runs"]
        out[fmt] = (statistics.median(ms), min(ms), max(ms))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gox", default=os.path.join(HERE, "..", "build", "gox"))
    ap.add_argument("--runs", type=int, default=220)
    ap.add_argument("--spread-days", type=float, default=7)
    ap.add_argument("--synthetic", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--html", default="")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    a = ap.parse_args()
    gox = os.path.abspath(a.gox)
    work = tempfile.mkdtemp(prefix="gox-statsbench-")
    env0 = {k: v for k, v in os.environ.items() if not k.startswith("GOX_") and not k.startswith("GITHUB_")}
    env0.update(GOCACHE=os.path.join(work, "gocache"), GOFLAGS="-buildvcs=false", GOTOOLCHAIN="local",
                GOWORK="off", XDG_CACHE_HOME=os.path.join(work, "xdg"),
                GOX_HISTORY_SPOOL=os.path.join(work, "spool"), CI="")
    try:
        if not a.skip_real:
            db = real_history(a, gox, work, env0)
            env = dict(env0, GOX_HISTORY=db)
            args = ["stats", f"--since={a.spread_days + 1:g}d"] + (["--report=" + os.path.abspath(a.html)] if a.html else [])
            p = subprocess.run([gox] + args, env=env, capture_output=True, text=True)
            print(f"\n$ gox {' '.join(args)}\n" + p.stdout + p.stderr)
        if not a.skip_synthetic:
            t0 = time.monotonic()
            runs, pkgs = synthetic_rows(a.synthetic)
            print(f"(b) {len(runs)} synthetic runs, {len(pkgs)} package records (made in {time.monotonic() - t0:.1f} s)")
            sq = os.path.join(work, "synthetic.db")
            fill_sqlite(gox, sq, runs, pkgs, env0)
            with PgServer() as pg:
                url = pg.new_db("stats")
                fill_pg(gox, pg, url, runs, pkgs, env0)
                res = {"sqlite": time_stats(gox, dict(env0, GOX_HISTORY=sq), a.reps),
                       "postgresql": time_stats(gox, dict(env0, GOX_HISTORY=url), a.reps)}
            print(f"gox stats --since=30d over {a.synthetic} runs, {a.reps} reps, wall ms median (min–max):")
            print("| backend | runs counted | text | json |")
            print("|---|---|---|---|")
            for name, r in res.items():
                cell = lambda m: f"{m[0]:.0f} ({m[1]:.0f}–{m[2]:.0f})"  # noqa: E731
                print(f"| {name} | {r['runs']} | {cell(r['text'])} | {cell(r['json'])} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
