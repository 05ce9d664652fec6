#!/usr/bin/env python3
"""Fixed cost of a gox run: what `gox build` adds to plain `go build` when
there is little or nothing to build, split into what go's extra flags cost
and what gox itself adds.

Projects (each fetched through the module proxy into a bench-scoped
GOMODCACHE, or taken from this repository):
  caddy   github.com/caddyserver/caddy/v2 at a pinned version, `./caddyconfig/...`
          (about 1,000 packages in the build)
  sample  examples/sample of this repository, `./...` (3 packages)

Rows, each a series of alternating runs (the order reverses every repetition,
so drift hits every tool alike), each tool with its own GOCACHE seeded from
one warm cache:
  noop  nothing changed since the last build. Tools:
          go                        plain go
          go -x                     plain go with the trace gox adds
          go -debug-actiongraph     plain go with the action graph gox adds
          go -x -debug-actiongraph  both: what go costs under gox
          gox                       gox build (summary on stderr, history on): a
                                    repeated no-op reuses the action graph the
                                    one before kept (cli/graph_reuse.hpp), so
                                    go runs with -x only
          gox (graph each run)      GOX_GRAPH_REUSE=0: go writes its graph every run
          gox --why                 with GODEBUG=gocachehash=1
          gox (no reuse)            gox with its env-fingerprint cache removed
                                    before every run: go env runs alongside go
          gox (history sync)        GOX_HISTORY_SYNC=1: the history record
                                    written before gox exits, as on CI
  edit  one file of a low-level package edited, then the build (go, gox, gox --why)
  cold  empty GOCACHE (go, gox, gox --why); few repetitions, caddy's are long

For each tool: median wall time and median CPU time (user+sys of the whole
process tree: go, its compilers, gox and what gox starts, including the
detached history writer, which this script adopts as a subreaper and waits
for after the wall time is taken), the ratio to plain
go, and the median of the per-repetition differences. The no-op overhead is
split into the flags' part (go -x -debug-actiongraph minus go) and gox's own
part (gox minus go -x -debug-actiongraph).

--history-runs N first records N no-op runs into the histories of `gox` and
`gox (history sync)` (the
steady state of a user's history is 200-220 runs of a project: bench/README.md).

usage: bench/fixed_cost.py [--gox build/gox] [--projects caddy,sample] [--reps 10]
                           [--edit-reps 5] [--cold-reps 1] [--skip-cold]
                           [--warm-cache caddy=GOCACHE] [--history-runs N] [--out FILE]
"""
import ctypes
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PROJECTS = {
    # name: (module@version or None for this repository's example, packages, file to edit)
    "caddy": ("github.com/caddyserver/caddy/v2@v2.11.9", "./caddyconfig/...", "caddy.go"),
    "sample": (None, "./...", "internal/words/words.go"),
}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def reap_orphans():
    """Waits for every child adopted as a subreaper (gox's history writer)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gox", default=os.path.join(ROOT, "build", "gox"))
    ap.add_argument("--projects", default="caddy,sample")
    ap.add_argument("--reps", type=int, default=10, help="no-op repetitions (pairs)")
    ap.add_argument("--edit-reps", type=int, default=5)
    ap.add_argument("--cold-reps", type=int, default=1)
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--warm-cache", action="append", default=[], metavar="PROJECT=DIR",
                    help="seed the warm cache of PROJECT from DIR (a GOCACHE that built it) instead of building")
    ap.add_argument("--modcache", help="use this GOMODCACHE (e.g. one a previous run filled) instead of a new one")
    ap.add_argument("--src", action="append", default=[], metavar="PROJECT=DIR",
                    help="use the copy of PROJECT in DIR (edited in place) instead of a fresh one; with "
                         "--modcache and --warm-cache from the run that built it, no package is rebuilt: "
                         "go's action IDs include the source dirs")
    ap.add_argument("--history-runs", type=int, default=0,
                    help="record this many no-op runs into the histories of gox and gox (history sync) first")
    ap.add_argument("--out")
    a = ap.parse_args()
    # PR_SET_CHILD_SUBREAPER: gox's detached history writer becomes our child
    # when gox exits, so its CPU time is counted (reap_orphans).
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    gox = os.path.abspath(a.gox)
    root = tempfile.mkdtemp(prefix="gox-fixed-cost-")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GOX_")}
    base_env.update(GOMODCACHE=a.modcache or os.path.join(root, "modcache"), GOFLAGS="-buildvcs=false", GOTOOLCHAIN="local",
                    GOWORK="off", XDG_CACHE_HOME=os.path.join(root, "xdg-cache"))
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
             f"Go: {sh(['go', 'version'], capture_output=True, text=True).stdout.strip()}; "
             f"reps: noop {a.reps}, edit {a.edit_reps}, cold {'skipped' if a.skip_cold else a.cold_reps}",
             f"Load average at start: {loadavg()}"]
    try:
        for name in a.projects.split(","):
            lines += bench_project(name, gox, root, base_env, a)
    finally:
        if not a.modcache:
            subprocess.run(["chmod", "-R", "u+w", root], stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    lines += ["", f"Load average at end: {loadavg()}"]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


def bench_project(name, gox, root, env, a):
    module, pkgs, edit_file = PROJECTS[name]
    work = os.path.join(root, name)
    os.makedirs(work)
    proj = os.path.join(work, "proj")
    srcs = dict(x.split("=", 1) for x in a.src)
    if name in srcs:
        proj = os.path.abspath(srcs[name])
    elif module:
        print(f"fetching {module} …", file=sys.stderr)
        out = sh(["go", "mod", "download", "-json", module], env=env, capture_output=True, text=True,
                 cwd=work).stdout
        shutil.copytree(json.loads(out)["Dir"], proj)
        sh(["chmod", "-R", "u+w", proj])
        sh(["go", "mod", "download"], env=env, cwd=proj)
    else:
        shutil.copytree(os.path.join(ROOT, "examples", name), proj)
    npk = len(sh(["go", "list", "-deps", pkgs], env=env, cwd=proj, capture_output=True,
                 text=True).stdout.split())
    print(f"{name}: {npk} packages in `go build {pkgs}`", file=sys.stderr)
    graph = os.path.join(work, "actiongraph.json")
    fp_file = os.path.join(env["XDG_CACHE_HOME"], "gox", "env-fingerprint.json")
    commands = {
        "go": ["go", "build"],
        "go -x": ["go", "build", "-x"],
        "go -debug-actiongraph": ["go", "build", f"-debug-actiongraph={graph}"],
        "go -x -debug-actiongraph": ["go", "build", "-x", f"-debug-actiongraph={graph}"],
        "gox": [gox, "build"],
        "gox --why": [gox, "--why", "build"],
        "gox (graph each run)": [gox, "build"],
        "gox (no reuse)": [gox, "build"],
        "gox (history sync)": [gox, "build"],
    }

    def run(tool, cache):
        hist = "history-" + "".join(c for c in tool if c.isalnum() or c == "-")
        e = dict(env, GOCACHE=cache, GOX_HISTORY=os.path.join(work, hist), GOX_HISTORY_SYNC="0")
        if tool == "gox (no reuse)" and os.path.exists(fp_file):
            os.remove(fp_file)
        if tool == "gox (history sync)":
            e["GOX_HISTORY_SYNC"] = "1"
        if tool == "gox (graph each run)":
            e["GOX_GRAPH_REUSE"] = "0"
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(commands[tool] + [pkgs], env=e, cwd=proj, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        reap_orphans()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)

    # The no-op rows share one warm cache (a no-op writes nothing to it);
    # the edit and cold rows give each tool its own.
    warm = os.path.join(work, "cache-warm")
    caches = {t: warm for t in commands}
    own = {t: os.path.join(work, "cache-" + t.replace(" ", "")) for t in ("go", "gox", "gox --why")}
    results = {}  # row -> tool -> [(wall, cpu)]

    def series(row, tools, reps, before_rep=lambda i: None, before_run=lambda tool: None):
        for i in range(reps):
            before_rep(i)
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                before_run(tool)
                w, c = run(tool, caches[tool])
                results.setdefault(row, {}).setdefault(tool, []).append((w, c))
                print(f"  {name} {row:5} {tool:26} {w:7.3f}s  cpu {c:7.3f}s", file=sys.stderr)

    build_tools = ("go", "gox", "gox --why")
    if not a.skip_cold:
        caches.update(own)
        series("cold", build_tools, a.cold_reps, before_run=lambda t: shutil.rmtree(caches[t], ignore_errors=True))
    caches.update({t: warm for t in commands})
    seeds = dict(w.split("=", 1) for w in a.warm_cache)
    if name in seeds:
        shutil.copytree(seeds[name], warm)
    sh(["go", "build", pkgs], env=dict(env, GOCACHE=warm), cwd=proj)
    for t in commands:
        run(t, caches[t])  # untimed: the history and gox's own caches start warm too
    if a.history_runs:
        print(f"{name}: recording {a.history_runs} runs into each gox history …", file=sys.stderr)
        for t in ("gox", "gox (history sync)"):  # the rows whose history step differs
            for _ in range(a.history_runs):
                run(t, caches[t])
    series("noop", tuple(commands), a.reps)
    for t in build_tools:
        shutil.rmtree(own[t], ignore_errors=True)
        shutil.copytree(warm, own[t])
    caches.update(own)
    edit = os.path.join(proj, edit_file)

    def do_edit(i):
        with open(edit, "a") as f:
            f.write(f"\nvar benchEdit{i} = {i}\n")
    series("edit", build_tools, a.edit_reps, before_rep=do_edit)

    out = ["", f"### {name}: `go build {pkgs}` ({module or 'examples/' + name}, {npk} packages)", "",
           "| row | tool | median wall s (min–max) | ratio to go | median paired diff | median CPU s | CPU ratio |",
           "|---|---|---|---|---|---|---|"]
    for row in ("cold", "noop", "edit"):
        if row not in results:
            continue
        base = results[row]["go"]
        gw = statistics.median(w for w, _ in base)
        gc = statistics.median(c for _, c in base)
        for tool, rs in results[row].items():
            ws = [w for w, _ in rs]
            m = statistics.median(ws)
            c = statistics.median(cc for _, cc in rs)
            if tool == "go":
                ratio = diff = cratio = "—"
            else:
                d = statistics.median(x[0] - y[0] for x, y in zip(rs, base))
                ratio = f"{m / gw:.3f}"
                diff = f"{d * 1000:+.0f} ms"
                cratio = f"{c / gc:.3f}"
            out.append(f"| {row} | {tool} | {m:.3f} ({min(ws):.3f}–{max(ws):.3f}) | {ratio} | {diff} "
                       f"| {c:.3f} | {cratio} |")
    noop = results["noop"]

    def paired(t1, t0, k):
        return statistics.median(x[k] - y[k] for x, y in zip(noop[t1], noop[t0]))
    g = statistics.median(w for w, _ in noop["go"])
    # A repeated no-op under gox runs go with -x alone (the kept graph
    # stands in for -debug-actiongraph); with GOX_GRAPH_REUSE=0 with both.
    flags_w, own_w = paired("go -x", "go", 0), paired("gox", "go -x", 0)
    flags_c, own_c = paired("go -x", "go", 1), paired("gox", "go -x", 1)
    total = paired("gox", "go", 0)
    total_g = paired("gox (graph each run)", "go", 0)
    out += ["", f"No-op overhead of gox over plain go (median of paired differences): **{total * 1000:+.0f} ms "
            f"({(total / g) * 100:+.1f} %, {1 + total / g:.3f}×)**; of which go's extra flag "
            f"(-x) {flags_w * 1000:+.0f} ms wall / {flags_c * 1000:+.0f} ms CPU and gox's own part "
            f"{own_w * 1000:+.0f} ms wall / {own_c * 1000:+.0f} ms CPU. "
            f"With the graph asked of go every run (GOX_GRAPH_REUSE=0): {total_g * 1000:+.0f} ms "
            f"({1 + total_g / g:.3f}×), of which -x -debug-actiongraph "
            f"{paired('go -x -debug-actiongraph', 'go', 0) * 1000:+.0f} ms (-debug-actiongraph alone "
            f"{paired('go -debug-actiongraph', 'go', 0) * 1000:+.0f} ms) and gox's own part "
            f"{paired('gox (graph each run)', 'go -x -debug-actiongraph', 0) * 1000:+.0f} ms wall / "
            f"{paired('gox (graph each run)', 'go -x -debug-actiongraph', 1) * 1000:+.0f} ms CPU; without the env-fingerprint reuse gox's "
            f"own part is {paired('gox (no reuse)', 'go -x -debug-actiongraph', 0) * 1000:+.0f} ms wall / "
            f"{paired('gox (no reuse)', 'go -x -debug-actiongraph', 1) * 1000:+.0f} ms CPU; with the history "
            f"record written before exit (GOX_HISTORY_SYNC=1) it is "
            f"{paired('gox (history sync)', 'go -x -debug-actiongraph', 0) * 1000:+.0f} ms wall / "
            f"{paired('gox (history sync)', 'go -x -debug-actiongraph', 1) * 1000:+.0f} ms CPU."]
    return out


if __name__ == "__main__":
    main()
