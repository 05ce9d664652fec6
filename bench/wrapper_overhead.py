#!/usr/bin/env python3
"""Wrapper overhead: `gox build` against plain `go build` on a real project.

Fetches a real module with a few hundred packages through the module proxy
(default golang.org/x/tools), then times, alternating go and gox so drift
hits both alike:
  cold  - `build ./...` with an empty GOCACHE (the standard library too)
  noop  - the same again on the warm cache
  edit  - one file of a low-level package edited, then `build ./...`
  test  - `go test -run XXX ./internal/...` on a warm cache (test binaries built)
Runs each as plain go, gox (default) and gox --why, each with its own cache
and history. Reports median, min and max of each and the ratios to go.

usage: bench/wrapper_overhead.py [--gox build/gox] [--reps 5] [--cold-reps 3]
                                 [--module golang.org/x/tools@v0.52.0] [--out FILE]
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gox", default=os.path.join(os.path.dirname(__file__), "..", "build", "gox"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cold-reps", type=int, default=3)
    ap.add_argument("--module", default="golang.org/x/tools@v0.52.0")
    ap.add_argument("--edit", default="internal/event/label/label.go")
    ap.add_argument("--out")
    a = ap.parse_args()
    gox = os.path.abspath(a.gox)
    root = tempfile.mkdtemp(prefix="gox-bench-")
    env = dict(os.environ, GOMODCACHE=os.path.join(root, "modcache"), GOFLAGS="-buildvcs=false",
               GOTOOLCHAIN="local", GOWORK="off")
    try:
        print(f"fetching {a.module} …", file=sys.stderr)
        out = sh(["go", "mod", "download", "-json", a.module], env=env, capture_output=True, text=True,
                 cwd=root).stdout
        import json
        src = json.loads(out)["Dir"]
        proj = os.path.join(root, "proj")
        shutil.copytree(src, proj)
        sh(["chmod", "-R", "u+w", proj])
        sh(["go", "mod", "download"], env=env, cwd=proj)
        npk = len(sh(["go", "list", "./..."], env=env, cwd=proj, capture_output=True, text=True).stdout.split())
        print(f"{npk} packages in {a.module}", file=sys.stderr)

        hist = os.path.join(root, "history.db")

        def run(tool, args, cache):
            e = dict(env, GOCACHE=cache, GOX_HISTORY=hist + "-" + tool)
            cmd = {"go": ["go"], "gox": [gox], "gox --why": [gox, "--why"]}[tool] + args
            t0 = time.perf_counter()
            subprocess.run(cmd, env=e, cwd=proj, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return time.perf_counter() - t0

        tools = ("go", "gox", "gox --why")
        caches = {t: os.path.join(root, "cache-" + t.replace(" ", "")) for t in tools}
        times = {}
        def record(name, tool, secs):
            times.setdefault(name, {}).setdefault(tool, []).append(secs)
            print(f"  {name:5} {tool:9} {secs:7.3f}s", file=sys.stderr)

        for i in range(a.cold_reps):
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                shutil.rmtree(caches[tool], ignore_errors=True)
                record("cold", tool, run(tool, ["build", "./..."], caches[tool]))
        for i in range(a.reps):
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                record("noop", tool, run(tool, ["build", "./..."], caches[tool]))
        edit = os.path.join(proj, a.edit)
        for i in range(a.reps):
            with open(edit, "a") as f:
                f.write(f"\nvar benchEdit{i} = {i}\n")
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                record("edit", tool, run(tool, ["build", "./..."], caches[tool]))
        for i in range(a.reps):
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                record("test", tool, run(tool, ["test", "-count=1", "-run", "XXX_none", "./internal/event/..."], caches[tool]))

        goversion = sh(["go", "version"], capture_output=True, text=True).stdout.strip()
        lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
                 f"Go: {goversion}; project: {a.module} ({npk} packages); reps: cold {a.cold_reps}, others {a.reps}",
                 "", "| scenario | go median (min–max) | gox median (min–max) | gox/go | gox --why median (min–max) | --why/go |",
                 "|---|---|---|---|---|---|"]
        for name in ("cold", "noop", "edit", "test"):
            g, x, w = times[name]["go"], times[name]["gox"], times[name]["gox --why"]
            mg, mx, mw = statistics.median(g), statistics.median(x), statistics.median(w)
            lines.append(f"| {name} | {mg:.3f}s ({min(g):.3f}–{max(g):.3f}) | {mx:.3f}s ({min(x):.3f}–{max(x):.3f}) "
                         f"| {mx / mg:.3f} ({(mx - mg) * 1000:+.0f} ms) | {mw:.3f}s ({min(w):.3f}–{max(w):.3f}) "
                         f"| {mw / mg:.3f} ({(mw - mg) * 1000:+.0f} ms) |")
        text = "\n".join(lines) + "\n"
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
    finally:
        subprocess.run(["chmod", "-R", "u+w", root], stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)

if __name__ == "__main__":
    main()
