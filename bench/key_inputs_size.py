#!/usr/bin/env python3
"""What the portable key inputs (issue 16) cost: the bytes that --why adds to
the JSON summary per package, and the time --why adds, on a real module.

The module (default golang.org/x/tools@v0.52.0, as wrapper_overhead.py) is
fetched through the module proxy into a bench-scoped GOMODCACHE, built once
to warm a bench-scoped GOCACHE, then built again (all cache hits) by
`gox --summary-format=json` with and without --why, alternating, REPS times
each. Sizes are of the summaries as gox writes them (indented JSON); the
key_inputs part is also given compact (no indentation) and per kind.

    python3 bench/key_inputs_size.py [--gox build/gox] [--module M@V] [--reps 5]
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def sh(args, **kw):
    return subprocess.run(args, check=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gox", default="build/gox")
    ap.add_argument("--module", default="golang.org/x/tools@v0.52.0")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    gox = os.path.abspath(a.gox)
    root = tempfile.mkdtemp(prefix="gox-bench-keyinputs-")
    env = dict(os.environ, GOMODCACHE=os.path.join(root, "modcache"), GOCACHE=os.path.join(root, "gocache"),
               GOFLAGS="-buildvcs=false", GOTOOLCHAIN="local", GOWORK="off",
               GOX_HISTORY=os.path.join(root, "history.db"))
    try:
        print(f"fetching {a.module} …", file=sys.stderr)
        out = sh(["go", "mod", "download", "-json", a.module], env=env, capture_output=True, text=True,
                 cwd=root).stdout
        proj = os.path.join(root, "proj")
        shutil.copytree(json.loads(out)["Dir"], proj)
        sh(["chmod", "-R", "u+w", proj])
        sh(["go", "mod", "download"], env=env, cwd=proj)
        print("warming the cache (go build ./...) …", file=sys.stderr)
        sh(["go", "build", "./..."], env=env, cwd=proj)

        def run(why, summary):
            args = [gox, "--summary-format=json", f"--summary={summary}", "--no-progress"]
            args += ["--why"] if why else []
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            sh(args + ["build", "./..."], env=env, cwd=proj, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            return wall, cpu

        times = {False: [], True: []}
        for _ in range(a.reps):
            for why in (False, True):
                times[why].append(run(why, os.path.join(root, f"summary-{int(why)}.json")))
        with open(os.path.join(root, "summary-0.json")) as f:
            plain_text = f.read()
        with open(os.path.join(root, "summary-1.json")) as f:
            why_text = f.read()
        doc = json.loads(why_text)
        pkgs = doc["packages"]
        with_ki = [p for p in pkgs if "key_inputs" in p]
        # The same document without key_inputs, written the way gox writes it.
        for p in pkgs:
            p.pop("key_inputs", None)
        bare = len(json.dumps(doc, indent=2, ensure_ascii=False).encode()) + 1
        doc = json.loads(why_text)
        compact = sum(len(json.dumps(p["key_inputs"], separators=(",", ":"), ensure_ascii=False).encode())
                      for p in doc["packages"] if "key_inputs" in p)
        inputs = sum(len(p["key_inputs"]) for p in doc["packages"] if "key_inputs" in p)
        by_kind = {}
        for p in doc["packages"]:
            for e in p.get("key_inputs", []):
                k = e.split("\t", 1)[0]
                by_kind[k] = by_kind.get(k, 0) + len(json.dumps(e, ensure_ascii=False).encode()) + 1
        n = len(pkgs)
        why_bytes = len(why_text.encode())
        sm = doc.get("summary", {})
        print(f"module {a.module}: {n} packages in the summary ({sm.get('packages_cached')} cached, "
              f"{sm.get('packages_rebuilt')} rebuilt), {len(with_ki)} with key_inputs, {inputs} inputs")
        print(f"summary without --why: {len(plain_text.encode())} bytes; with --why: {why_bytes} bytes")
        print(f"key_inputs as written (indented): {why_bytes - bare} bytes = {(why_bytes - bare) / n:.0f} bytes/package")
        print(f"key_inputs compact: {compact} bytes = {compact / n:.0f} bytes/package, "
              f"{compact / max(inputs, 1):.0f} bytes/input")
        print("compact bytes by kind: " + ", ".join(f"{k} {v / n:.0f}/pkg" for k, v in
                                                    sorted(by_kind.items(), key=lambda kv: -kv[1])[:6]))
        for why in (False, True):
            w = [t[0] for t in times[why]]
            c = [t[1] for t in times[why]]
            print(f"gox{' --why' if why else ''} build ./... (cache hits): wall median {statistics.median(w):.2f} s "
                  f"({min(w):.2f}–{max(w):.2f}), CPU median {statistics.median(c):.2f} s")
    finally:
        subprocess.run(["chmod", "-R", "u+w", root])
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
