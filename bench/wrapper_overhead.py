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
and history, and the peers on the same runs: gotestsum (gotest.tools/gotestsum,
`gotestsum -- <go test args>`) on `test`, longpole (github.com/qwer9052/longpole)
on the builds if the module proxy serves it (it did not when this was
written: the script says so in its output). Reports median, min and max of
each and the ratio to plain go in the same scenario, for wall time and for the
CPU time (user+sys) of the whole process tree, which a shared machine's load
disturbs far less.

usage: bench/wrapper_overhead.py [--gox build/gox] [--reps 5] [--cold-reps 3] [--skip-cold]
                                 [--module golang.org/x/tools@v0.52.0] [--no-peers] [--out FILE]
"""
import argparse
import os
import platform
import resource
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
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--skip-cold", action="store_true",
                    help="warm each cache with an untimed plain go build instead of timing cold builds")
    ap.add_argument("--warm-cache", help="with --skip-cold: copy this GOCACHE (warmed by go build ./... of the "
                    "same module and go) into each tool's cache instead of building")
    ap.add_argument("--gotestsum", default="gotest.tools/gotestsum@v1.13.0")
    ap.add_argument("--longpole", default="github.com/qwer9052/longpole@latest")
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

        # Peers, installed through the module proxy into the scratch dir.
        peers, notes = {}, []
        if not a.no_peers:
            gobin = os.path.join(root, "bin")
            for name, mod in (("gotestsum", a.gotestsum), ("longpole", a.longpole)):
                p = subprocess.run(["go", "install", mod], env=dict(env, GOBIN=gobin, GOFLAGS=""), cwd=root,
                                   capture_output=True, text=True)
                if p.returncode == 0:
                    peers[name] = os.path.join(gobin, name)
                else:
                    why = (p.stderr.strip().splitlines() or ["?"])[0]
                    notes.append(f"{name}: `go install {mod}` failed, not measured: {why}")
                    print(notes[-1], file=sys.stderr)

        def command(tool, args):
            if tool == "gotestsum":  # go test -json underneath, its own summary on stdout
                return [peers["gotestsum"], "--format", "pkgname", "--"] + args[1:]
            if tool == "longpole":
                return [peers["longpole"]] + args
            return {"go": ["go"], "gox": [gox], "gox --why": [gox, "--why"]}[tool] + args

        def run(tool, args, cache):
            e = dict(env, GOCACHE=cache, GOX_HISTORY=hist + "-" + tool.replace(" ", ""))
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(command(tool, args), env=e, cwd=proj, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU of the whole process tree (go waits for its compilers and linkers).
            return wall, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)

        tools = ("go", "gox", "gox --why") + (("longpole",) if "longpole" in peers else ())
        test_tools = ("go", "gox", "gox --why") + (("gotestsum",) if "gotestsum" in peers else ())
        caches = {t: os.path.join(root, "cache-" + t.replace(" ", "")) for t in tools + test_tools}
        times = {}
        cpus = {}
        def record(name, tool, result):
            secs, cpu = result
            times.setdefault(name, {}).setdefault(tool, []).append(secs)
            cpus.setdefault(name, {}).setdefault(tool, []).append(cpu)
            print(f"  {name:5} {tool:9} {secs:7.3f}s  cpu {cpu:7.3f}s", file=sys.stderr)

        for i in range(0 if a.skip_cold else a.cold_reps):
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                shutil.rmtree(caches[tool], ignore_errors=True)
                record("cold", tool, run(tool, ["build", "./..."], caches[tool]))
        if a.skip_cold:
            for tool in tools:
                if a.warm_cache:
                    shutil.copytree(a.warm_cache, caches[tool], dirs_exist_ok=True)
                run("go", ["build", "./..."], caches[tool])
        for i in range(a.reps):
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                record("noop", tool, run(tool, ["build", "./..."], caches[tool]))
        edit = os.path.join(proj, a.edit)
        for i in range(a.reps):
            with open(edit, "a") as f:
                f.write(f"\nvar benchEdit{i} = {i}\n")
            for tool in tools if i % 2 == 0 else tuple(reversed(tools)):
                record("edit", tool, run(tool, ["build", "./..."], caches[tool]))
        test_args = ["test", "-count=1", "-run", "XXX_none", "./internal/event/..."]
        for tool in test_tools:  # warm-up, not recorded: test binaries' dependencies into each cache
            if a.warm_cache and not os.path.exists(caches[tool]):
                shutil.copytree(a.warm_cache, caches[tool])
            run("go", test_args, caches[tool])
        for i in range(a.reps):
            for tool in test_tools if i % 2 == 0 else tuple(reversed(test_tools)):
                record("test", tool, run(tool, test_args, caches[tool]))

        goversion = sh(["go", "version"], capture_output=True, text=True).stdout.strip()
        lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
                 f"Go: {goversion}; project: {a.module} ({npk} packages); reps: cold "
                 f"{'skipped' if a.skip_cold else a.cold_reps}, others {a.reps}",
                 "", "| scenario | tool | median wall s (min–max) | ratio to go | median overhead | median CPU s (min–max) | CPU ratio |",
                 "|---|---|---|---|---|---|---|"]
        for name in [n for n in ("cold", "noop", "edit", "test") if n in times]:
            g = statistics.median(times[name]["go"])
            gc = statistics.median(cpus[name]["go"])
            for tool, ts in times[name].items():
                m, cs = statistics.median(ts), cpus[name][tool]
                c = statistics.median(cs)
                ratio = "—" if tool == "go" else f"{m / g:.3f}"
                over = "—" if tool == "go" else f"{(m - g) * 1000:+.0f} ms ({(m / g - 1) * 100:+.1f} %)"
                cratio = "—" if tool == "go" else f"{c / gc:.3f}"
                lines.append(f"| {name} | {tool} | {m:.3f} ({min(ts):.3f}–{max(ts):.3f}) | {ratio} | {over} "
                             f"| {c:.2f} ({min(cs):.2f}–{max(cs):.2f}) | {cratio} |")
        lines += [""] + notes
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
