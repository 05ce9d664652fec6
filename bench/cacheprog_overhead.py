#!/usr/bin/env python3
"""What `gox --cacheprog` costs, side by side in one run with plain go:

  go              plain go, its default on-disk cache (GOCACHE)
  go+cacher       plain go with GOCACHEPROG=go-cacher (bradfitz/go-tool-cache,
                  built by scripts/go-tool-cache at its pinned version) in
                  front of a go-cacher-server on 127.0.0.1
  gox --cacheprog gox --cacheprog=<the same go-cacher command>: gox's local
                  tier (go's layout in GOCACHE) in front of go-cacher, the
                  record joined to the action graph, the summary on stderr

on caddy (github.com/caddyserver/caddy/v2 at a pinned version, fetched
through the module proxy into a bench-scoped GOMODCACHE; `./caddyconfig/...`,
about 930 packages). Each tool has its own GOCACHE, go-cacher dir and
go-cacher-server (so one tool's puts never serve another's gets).

Rows: cold (everything empty, servers restarted empty), noop (nothing
changed) and edit (one line appended to caddy.go, which most of the build
imports). The tools alternate, the order reversed every repetition. For each:
median wall and CPU time (user+sys of the process tree), the ratio to plain
go and to go+cacher, and the median paired difference to go+cacher.

usage: bench/cacheprog_overhead.py [--gox build/gox] [--reps 10] [--edit-reps 3]
                                   [--cold-reps 1] [--skip-cold] [--modcache DIR] [--out FILE]
"""
import argparse
import ctypes
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODULE = "github.com/caddyserver/caddy/v2@v2.11.9"
PKGS = "./caddyconfig/..."
EDIT = "caddy.go"
TOOLS = ("go", "go+cacher", "gox --cacheprog")


def reap_orphans(keep):
    """Waits for the children adopted as a subreaper (gox's history writer),
    not for those in keep (the servers)."""
    me = os.getpid()
    while True:
        kids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == me and int(pid) not in keep:
                kids.append(int(pid))
        if not kids:
            return
        for k in kids:
            try:
                os.waitpid(k, 0)
            except ChildProcessError:
                pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A go-cacher-server on 127.0.0.1 with its own data dir; stopped by PID."""

    def __init__(self, tools, data):
        self.tools, self.data, self.proc = tools, data, None

    def start(self, empty=False):
        self.stop()
        if empty:
            shutil.rmtree(self.data, ignore_errors=True)
        os.makedirs(self.data, exist_ok=True)
        self.port = free_port()
        self.proc = subprocess.Popen([os.path.join(self.tools, "go-cacher-server"), f"--listen=127.0.0.1:{self.port}",
                                      "--cache-dir=" + self.data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("go-cacher-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gox", default=os.path.join(ROOT, "build", "gox"))
    ap.add_argument("--reps", type=int, default=10, help="no-op repetitions")
    ap.add_argument("--edit-reps", type=int, default=3)
    ap.add_argument("--cold-reps", type=int, default=1)
    ap.add_argument("--skip-cold", action="store_true", help="warm each tool by one untimed cold build instead")
    ap.add_argument("--modcache", help="a GOMODCACHE that already holds caddy (else a new one, through the proxy)")
    ap.add_argument("--out")
    a = ap.parse_args()
    gox = os.path.abspath(a.gox)
    # PR_SET_CHILD_SUBREAPER: gox's detached history writer becomes our child
    # when gox exits, and is waited for, so that its CPU time is counted.
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    tools_dir = subprocess.run(["bash", os.path.join(ROOT, "scripts", "go-tool-cache")], check=True,
                               capture_output=True, text=True).stdout.strip()
    root = tempfile.mkdtemp(prefix="gox-cacheprog-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOX_") and k != "GOCACHEPROG"}
    env.update(GOMODCACHE=a.modcache or os.path.join(root, "modcache"), GOFLAGS="-buildvcs=false",
               GOTOOLCHAIN="local", GOWORK="off", XDG_CACHE_HOME=os.path.join(root, "xdg"),
               GOX_HISTORY=os.path.join(root, "history.db"))
    servers = {t: Server(tools_dir, os.path.join(root, "server-" + t.split()[0])) for t in TOOLS[1:]}
    try:
        text = bench(a, gox, tools_dir, root, env, servers)
    finally:
        for s in servers.values():
            s.stop()
        subprocess.run(["chmod", "-R", "u+w", root], stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


def bench(a, gox, tools_dir, root, env, servers):
    print(f"fetching {MODULE} …", file=sys.stderr)
    dl = subprocess.run(["go", "mod", "download", "-json", MODULE], env=env, cwd=root, check=True,
                        capture_output=True, text=True).stdout
    proj = os.path.join(root, "caddy")
    shutil.copytree(json.loads(dl)["Dir"], proj)
    subprocess.run(["chmod", "-R", "u+w", proj], check=True)
    subprocess.run(["go", "mod", "download"], env=env, cwd=proj, check=True)
    npk = len(subprocess.run(["go", "list", "-deps", PKGS], env=env, cwd=proj, check=True, capture_output=True,
                             text=True).stdout.split())
    cache = {t: os.path.join(root, "gocache-" + t.split()[0]) for t in TOOLS}
    cacher = {t: os.path.join(root, "go-cacher-" + t.split()[0]) for t in TOOLS[1:]}

    def upstream(t):
        return f"{os.path.join(tools_dir, 'go-cacher')} --cache-dir={cacher[t]} --cache-server=http://127.0.0.1:{servers[t].port}"

    def argv(t):
        if t == "gox --cacheprog":
            return [gox, "--cacheprog=" + upstream(t), "build", PKGS]
        return ["go", "build", PKGS]

    def run(t):
        e = dict(env, GOCACHE=cache[t])
        if t == "go+cacher":
            e["GOCACHEPROG"] = upstream(t)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(argv(t), env=e, cwd=proj, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        reap_orphans({s.proc.pid for s in servers.values() if s.proc})
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            raise SystemExit(f"{t} failed: {p.stderr.decode(errors='replace')[-2000:]}")
        return wall, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)

    def empty(t):
        shutil.rmtree(cache[t], ignore_errors=True)
        os.makedirs(cache[t])
        if t in cacher:
            shutil.rmtree(cacher[t], ignore_errors=True)
            servers[t].start(empty=True)

    results = {}

    def series(row, reps, before_rep=lambda i: None, before_run=lambda t: None):
        for i in range(reps):
            before_rep(i)
            for t in TOOLS if i % 2 == 0 else tuple(reversed(TOOLS)):
                before_run(t)
                w, c = run(t)
                results.setdefault(row, {}).setdefault(t, []).append((w, c))
                print(f"  {row:5} {t:16} {w:8.3f}s  cpu {c:8.3f}s", file=sys.stderr)

    if a.skip_cold:
        for t in TOOLS:
            empty(t)
            run(t)
    else:
        series("cold", a.cold_reps, before_run=empty)
    for t in TOOLS:
        run(t)  # untimed: the history and the fingerprint cache start warm
    series("noop", a.reps)
    edit = os.path.join(proj, EDIT)

    def do_edit(i):
        with open(edit, "a") as f:
            f.write(f"\nvar cacheprogBench{i} = {i}\n")
    series("edit", a.edit_reps, before_rep=do_edit)

    load = open("/proc/loadavg").read().split()[:3]
    out = [f"Machine: {platform.machine()}, {os.cpu_count()} cores; "
           f"{subprocess.run(['go', 'version'], capture_output=True, text=True).stdout.strip()}; load average {' '.join(load)} at the end",
           f"caddy {MODULE.split('@')[1]}, `go build {PKGS}` ({npk} packages); upstream: go-cacher + go-cacher-server on 127.0.0.1",
           "",
           "| row | tool | median wall s | × go | × go+cacher | median paired wall diff vs go+cacher | median CPU s | CPU × go+cacher |",
           "|---|---|---|---|---|---|---|---|"]
    for row in ("cold", "noop", "edit"):
        if row not in results:
            continue
        r = results[row]
        med = {t: (statistics.median(w for w, _ in r[t]), statistics.median(c for _, c in r[t])) for t in TOOLS}
        for t in TOOLS:
            diffs = [x[0] - y[0] for x, y in zip(r[t], r["go+cacher"])]
            out.append(f"| {row} | {t} | {med[t][0]:.3f} | {med[t][0] / med['go'][0]:.3f} | "
                       f"{med[t][0] / med['go+cacher'][0]:.3f} | {statistics.median(diffs) * 1000:+.0f} ms | "
                       f"{med[t][1]:.3f} | {med[t][1] / med['go+cacher'][1]:.3f} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
