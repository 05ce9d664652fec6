#!/usr/bin/env python3
"""Writes a synthetic -debug-actiongraph file of a large build: N packages
(default 6,500) on W workers (default 8), each with a "build check cache"
step that runs no command, a "build" step that runs the compiler, every
twentieth a cgo package with a "cgo run" and per-file "cgo compile" steps
named by work-dir paths, as Go 1.26 writes them, plus a vet step for every
third package and links at the end: about 10,000 actions that ran. The
schedule is a list schedule (each action starts when a worker is free and its
dependencies are done), so lanes and the critical path are those of a real
build of that shape. Deterministic (seeded).

usage: bench/make_big_actiongraph.py OUT [PACKAGES] [WORKERS]
"""
import datetime
import heapq
import json
import random
import sys

def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 6500
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    rnd = random.Random(14)
    t0 = datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=datetime.timezone.utc).timestamp()
    free = [0.0] * workers  # heap of times a worker becomes free
    heapq.heapify(free)
    actions = []

    def add(mode, pkg, objdir, deps, seconds, ran):
        ready = max([actions[d]["_done"] for d in deps], default=0.0)
        if ran:
            w = heapq.heappop(free)
            start = max(w, ready)
            heapq.heappush(free, start + seconds)
        else:
            start = ready
        a = {"ID": len(actions), "Mode": mode, "Package": pkg, "Objdir": objdir, "Deps": deps,
             "_start": start, "_done": start + seconds, "Cmd": ["x"] if ran else None}
        if mode == "build":
            a["ActionID"] = f"A{len(actions):019d}"
            a["BuildID"] = a["ActionID"] + f"/C{len(actions):019d}"
        actions.append(a)
        return a["ID"]

    builds = []
    for i in range(n):
        pkg = f"example.com/big/p{i:05d}"
        objdir = f"/tmp/go-build1234/b{i + 2:03d}/"
        deps = rnd.sample(builds, min(len(builds), rnd.randint(0, 3))) if builds else []
        chk = add("build check cache", pkg, objdir, deps, 0.0003 + rnd.random() * 0.002, False)
        pre = [chk]
        if i % 20 == 7:  # a cgo package: its C steps come before its build
            run = add("cgo run", pkg, objdir, [chk], 0.02 + rnd.random() * 0.05, True)
            pre = [add(f"cgo compile {objdir}file{k}.cgo2.c", pkg, objdir, [run], 0.1 + rnd.random() * 1.5, True)
                   for k in range(3)]
            pre = [add("collect cgo", "", objdir, pre, 0.00001, False)]
        b = add("build", pkg, objdir, pre, rnd.lognormvariate(-2.5, 1.0), True)
        builds.append(b)
        if i % 3 == 0:
            add("vet", pkg, objdir, [b], rnd.lognormvariate(-3, 0.8), True)
    for k in range(50):
        add("link", f"example.com/big/cmd{k}", f"/tmp/go-build1234/b9{k:03d}/", rnd.sample(builds, 20), 0.5 + rnd.random(), True)

    def rfc3339(x):
        return datetime.datetime.fromtimestamp(t0 + x, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    for a in actions:
        a["TimeStart"], a["TimeDone"] = rfc3339(a.pop("_start")), rfc3339(a.pop("_done"))
    with open(out, "w") as f:
        json.dump(actions, f)
    ran = sum(1 for a in actions if a["Cmd"])
    print(f"{out}: {len(actions)} actions, {ran} ran, {workers} workers", file=sys.stderr)

if __name__ == "__main__":
    main()
