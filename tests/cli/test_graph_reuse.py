#!/usr/bin/env python3
"""A repeated no-op without go's action graph (cli/graph_reuse.hpp), against
the real go: after a run that built nothing, the next identical run with
every input unchanged gets no -debug-actiongraph (seen in go's argv through
a logging wrapper given as --go), and says what the run before it said:
the same packages with the same outcomes and action IDs, the same test
results, the same stdout. Anything that may change what go would say takes
a fresh graph again: an edited source file, a file of a go.work use dir,
`go clean -cache`, --why. A package go compiles anyway under a kept graph is
checked against it through the action ID in its -buildid: the same ID (its
cache entry was removed) keeps the kept graph and the reason
cache_entry_missing; another ID (an -overlay file outside the module
changed) drops it for that run with a note, and the next run takes a fresh
one. Fixtures use a current go directive and a workspace, not only the
sample's go 1.19."""
import base64
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

FLAG = "-debug-actiongraph"


class Mod:
    """A copy of examples/sample with a `go 1.26` directive, a fresh GOCACHE
    and history, its own XDG_CACHE_HOME (where graphs are kept) and a go
    that logs each command line before it execs the real one."""

    def __init__(self, name, go_directive="1.26"):
        self.root = tempfile.mkdtemp(prefix=f"reuse-{name}-", dir=tap.SCRATCH)
        self.mod = os.path.join(self.root, "mod")
        shutil.copytree(os.path.join(ROOT, "examples", "sample"), self.mod)
        self.set_go_directive(go_directive)
        self.cache = fresh_cache("reuse-" + name)
        self.xdg = os.path.join(self.root, "xdg")
        self.log = os.path.join(self.root, "argv.log")
        self.go = os.path.join(self.root, "go")
        real = shutil.which("go")
        with open(self.go, "w") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{self.log}"\nexec "{real}" "$@"\n')
        os.chmod(self.go, 0o755)
        self.env = go_env(self.cache, {"XDG_CACHE_HOME": self.xdg,
                                       "GOX_HISTORY": os.path.join(self.root, "history.db")})
        self.n = 0

    def set_go_directive(self, v):
        p = os.path.join(self.mod, "go.mod")
        with open(p) as f:
            text = f.read()
        with open(p, "w") as f:
            f.write(re.sub(r"(?m)^go [0-9.]+$", f"go {v}", text))

    def gox(self, *args, opts=(), env=None, cwd=None):
        """Runs gox; returns (summary JSON, process, whether go got the graph flag)."""
        self.n += 1
        summary = os.path.join(self.root, f"summary{self.n}.json")
        before = self.argv_lines()
        e = dict(self.env, **(env or {}))
        p = subprocess.run([GOX, f"--go={self.go}", f"--summary={summary}", "--summary-format=json",
                            "--no-progress"] + list(opts) + list(args),
                           cwd=cwd or self.mod, env=e, capture_output=True, timeout=600)
        err = p.stderr.decode(errors="replace")
        eq(p.returncode, 0, f"gox {' '.join(args)}: {err[-2000:]}")
        check("gox: warning" not in err, f"gox warned: {err[-2000:]}")
        builds = [l for l in self.argv_lines()[len(before):] if not l.startswith("env ")]
        eq(len(builds), 1, f"one go build command: {builds}")
        with open(summary) as f:
            return json.load(f), p, FLAG in builds[0]

    def argv_lines(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()

    def kept(self):
        return glob.glob(os.path.join(self.xdg, "gox", "noop-graphs", "*.json"))

    def done(self):
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.cache, ignore_errors=True)


def outcomes(sm):
    return sorted((p["import_path"], p.get("for_test", ""), p["outcome"], p.get("action_id", ""))
                  for p in sm["packages"])


def pkg(sm, path):
    found = [p for p in sm["packages"] if p["import_path"] == path and not p.get("for_test")]
    eq(len(found), 1, f"one package {path}")
    return found[0]


def settle(m, *args):
    """Runs until a no-op has kept its graph: the first run builds the
    module for its go directive, the second keeps its graph. Returns the
    second run's summary."""
    m.gox(*args)
    sm, _, flag = m.gox(*args)
    check(flag, "a no-op with nothing kept asks go for the graph")
    check("actiongraph_reused" not in sm, "go's own graph")
    eq(sm["summary"]["packages_rebuilt"], 0, "the second run is a no-op")
    eq(len(m.kept()), 1, "its graph is kept")
    return sm


@test
def repeated_noop_build_reuses_the_graph_and_says_the_same():
    m = Mod("build")
    before = settle(m, "build", "./...")
    for _ in range(2):
        sm, p, flag = m.gox("build", "./...")
        check(not flag, "go runs without -debug-actiongraph")
        eq(sm.get("actiongraph_reused"), True, "the summary says the graph was reused")
        eq(outcomes(sm), outcomes(before), "same packages, outcomes and action IDs")
        eq(sm["summary"]["packages_cached"], before["summary"]["packages_cached"], "cached count")
        check(sm["summary"]["packages_cached"] > 50, "the standard library's packages are listed too")
        eq(sm["timing"]["wall_seconds"], 0, "a kept graph has no timings")
    # gox --cacheprog joins the cache program's gets to the kept graph:
    # every package's get agrees with its outcome.
    sm, _, flag = m.gox("build", "./...", opts=["--cacheprog"])
    check(not flag, "--cacheprog: the kept graph")
    cp = sm["cache_program"]
    eq(cp["packages_agree"], before["summary"]["packages_cached"], f"gets agree with the kept graph: {cp}")
    eq((cp["packages_missed"], cp["packages_without_get"], cp["unattributed_misses"]), (0, 0, 0), f"{cp}")
    # --why needs go's own graph (and its hash lines), every time.
    sm, _, flag = m.gox("build", "./...", opts=["--why"])
    check(flag, "--why asks go for the graph")
    check("actiongraph_reused" not in sm, "--why: go's graph")
    # GOX_GRAPH_REUSE=0 turns it off.
    _, _, flag = m.gox("build", "./...", env={"GOX_GRAPH_REUSE": "0"})
    check(flag, "GOX_GRAPH_REUSE=0 asks go for the graph")
    m.done()


@test
def repeated_noop_test_keeps_test_results_and_stdout():
    m = Mod("test")
    before = settle(m, "test", "./...")
    _, p0, _ = m.gox("test", "./...")  # reused: stdout as go printed it for cached results
    sm, p, flag = m.gox("test", "./...")
    check(not flag, "go test runs without -debug-actiongraph")
    eq(sm.get("actiongraph_reused"), True, "reused")
    eq(outcomes(sm), outcomes(before), "same packages and IDs")
    key = lambda t: (t["package"], t["status"], t["cached"])
    eq(sorted(map(key, sm["tests"])), sorted(map(key, before["tests"])), "same test results")
    check(any(t["cached"] for t in sm["tests"]), "cached test results")
    plain = subprocess.run(["go", "test", "./..."], cwd=m.mod, env=m.env, capture_output=True)
    eq(p.stdout, plain.stdout, "stdout is go's")
    eq(p0.stdout, plain.stdout, "stdout is go's")
    m.done()


def library(m, name, importer, old, new):
    """A module example.com/lib in m.root/name, imported by the module's
    file importer (old text replaced by new)."""
    lib = os.path.join(m.root, name)
    os.makedirs(lib)
    with open(os.path.join(lib, "go.mod"), "w") as f:
        f.write("module example.com/lib\n\ngo 1.26\n")
    with open(os.path.join(lib, "lib.go"), "w") as f:
        f.write('package lib\n\nfunc Name() string { return "lib" }\n')
    path = os.path.join(m.mod, importer)
    with open(path) as f:
        src = f.read()
    check(old in src, f"{old!r} in {importer}")
    with open(path, "w") as f:
        f.write(src.replace(old, new, 1))
    return lib


def edit_library(m, lib, what):
    """An edit of the library outside the module: the next run asks go for its graph."""
    with open(os.path.join(lib, "lib.go"), "a") as f:
        f.write("\nfunc More() int { return 2 }\n")
    sm, _, flag = m.gox("build", "./...")
    check(flag, f"an edited file of {what}: go's graph")
    eq(pkg(sm, "example.com/lib")["outcome"], "rebuilt", "lib rebuilt")
    m.done()


@test
def an_edit_or_a_workspace_change_takes_a_fresh_graph():
    m = Mod("edit")
    # A workspace: the module and a library beside it that the command uses.
    lib = library(m, "lib", "cmd/sample/main.go", "func main() {", "func main() {\n\t_ = lib.Name()")
    main = os.path.join(m.mod, "cmd", "sample", "main.go")
    with open(main) as f:
        src = f.read()
    with open(main, "w") as f:
        f.write(src.replace("import (", 'import (\n\t"example.com/lib"', 1))
    with open(os.path.join(m.root, "go.work"), "w") as f:
        f.write("go 1.26\n\nuse (\n\t./mod\n\t./lib // the library\n)\n")
    m.env.pop("GOWORK")
    settle(m, "build", "./...")
    _, _, flag = m.gox("build", "./...")
    check(not flag, "reused in the workspace")
    # An edit in the module.
    words = os.path.join(m.mod, "internal", "words", "words.go")
    with open(words, "a") as f:
        f.write("\nfunc Extra() int { return 1 }\n")
    sm, _, flag = m.gox("build", "./...")
    check(flag, "an edited file: go's graph")
    check("example.com/sample/internal/words" in [p["import_path"] for p in sm["packages"]
                                                  if p["outcome"] == "rebuilt"], "words rebuilt")
    sm, _, flag = m.gox("build", "./...")
    check(flag and sm["summary"]["packages_rebuilt"] == 0, "the no-op after it keeps a new graph")
    _, _, flag = m.gox("build", "./...")
    check(not flag, "and the next run reuses that")
    # An edit in the use dir outside the module.
    edit_library(m, lib, "a go.work use dir")


@test
def a_local_replace_dir_counts_as_source():
    m = Mod("replace")
    lib = library(m, "vendorlib", "internal/words/words.go", 'import "unicode"',
                  'import (\n\t"unicode"\n\n\t"example.com/lib"\n)\n\nvar _ = lib.Name')
    with open(os.path.join(m.mod, "go.mod"), "a") as f:
        f.write("\nrequire example.com/lib v0.0.0\n\nreplace (\n\texample.com/lib v0.0.0 => ../vendorlib // local\n)\n")
    settle(m, "build", "./...")
    _, _, flag = m.gox("build", "./...")
    check(not flag, "reused with a replace dir")
    edit_library(m, lib, "a replace dir")


@test
def a_damaged_kept_graph_is_said_and_forgotten():
    m = Mod("damaged")
    settle(m, "build", "./...")
    graphs = glob.glob(os.path.join(m.xdg, "gox", "noop-graphs", "*.graph"))
    eq(len(graphs), 1, "one kept graph")
    with open(graphs[0], "r+") as f:
        f.truncate(100)
    sm, _, flag = m.gox("build", "./...")
    check(not flag, "the kept graph was planned")
    check(any(n.startswith("no action graph") for n in sm["notes"]), f"a note names the problem: {sm['notes']}")
    eq(len(m.kept()), 0, "and it is forgotten")
    sm, _, flag = m.gox("build", "./...")
    check(flag and len(sm["packages"]) > 50, "the next run asks go and lists every package")
    # The user's own -x (another command line: kept for itself): the trace
    # is there to check a kept graph against.
    _, _, flag = m.gox("build", "-x", "./...")
    check(flag, "-x: a command line of its own")
    sm, p, flag = m.gox("build", "-x", "./...")
    check(not flag and sm.get("actiongraph_reused"), "reused under the user's -x")
    check(b"WORK=" in p.stderr, "the user's -x trace is shown")
    m.done()


def cache_files(gocache, action_id):
    """The action entry and the output file of a 20-character action ID."""
    hexid = base64.urlsafe_b64decode(action_id + "=" * (-len(action_id) % 4)).hex()
    found = glob.glob(os.path.join(gocache, hexid[:2], hexid + "*-a"))
    eq(len(found), 1, f"cache entry of {action_id}")
    with open(found[0]) as f:
        out = f.read().split()[2]
    return found[0], os.path.join(gocache, out[:2], out + "-d")


@test
def cache_cleaned_or_entry_gone_under_a_kept_graph():
    m = Mod("gone")
    before = settle(m, "build", "./...")
    words = pkg(before, "example.com/sample/internal/words")
    # One output removed: go compiles words again, with the kept graph's ID.
    _, output = cache_files(m.cache, words["action_id"])
    os.remove(output)
    sm, _, flag = m.gox("build", "./...")
    check(not flag, "inputs unchanged: the kept graph")
    eq(sm.get("actiongraph_reused"), True, "the compile's -buildid agrees with the kept graph")
    w = pkg(sm, "example.com/sample/internal/words")
    eq(w["outcome"], "rebuilt", "words rebuilt")
    eq(w.get("reason"), "cache_entry_missing", f"reason: {w}")
    check(words["action_id"] in (w.get("reason_detail") or ""), f"same action ID named: {w}")
    eq(len(m.kept()), 0, "a run that compiled forgets the kept graph")
    # go clean -cache: the next runs take go's graph, and say why.
    _, _, flag = m.gox("build", "./...")
    check(flag, "the run after that asks go for the graph")
    eq(len(m.kept()), 1, "and keeps it")
    subprocess.run(["go", "clean", "-cache"], cwd=m.mod, env=m.env, check=True)
    sm, _, flag = m.gox("build", "./...")
    check(flag, "after go clean -cache: go's graph")
    eq(pkg(sm, "example.com/sample/internal/words").get("reason"), "cache_entry_missing", "reason")
    m.done()


@test
def a_compile_with_another_action_id_drops_the_kept_graph():
    m = Mod("overlay")
    # An -overlay file outside the module: its content is an input gox does
    # not watch, so only the -buildid check can notice it changed.
    odir = tempfile.mkdtemp(prefix="reuse-overlay-", dir=tap.SCRATCH)
    words = os.path.join(m.mod, "internal", "words", "words.go")
    repl = os.path.join(odir, "words.go")
    shutil.copy(words, repl)
    ov = os.path.join(odir, "overlay.json")
    with open(ov, "w") as f:
        json.dump({"Replace": {words: repl}}, f)
    args = ("build", f"-overlay={ov}", "./...")
    settle(m, *args)
    with open(repl, "a") as f:
        f.write("\nfunc Overlaid() int { return 3 }\n")
    sm, _, flag = m.gox(*args)
    check(not flag, "nothing gox watches changed: the kept graph was planned")
    check("actiongraph_reused" not in sm, "but not used")
    check(any("action IDs than the kept graph" in n for n in sm["notes"]), f"a note says why: {sm['notes']}")
    eq(pkg(sm, "example.com/sample/internal/words")["outcome"], "rebuilt", "words rebuilt")
    eq(len(m.kept()), 0, "the kept graph is forgotten")
    sm, _, flag = m.gox(*args)
    check(flag, "the next run asks go again")
    check(len(sm["packages"]) > 50, "and lists every package")
    shutil.rmtree(odir, ignore_errors=True)
    m.done()


@test
def sources_too_many_to_walk_are_left_alone_for_a_day():
    m = Mod("big")
    data = os.path.join(m.mod, "data")
    os.makedirs(data)
    for i in range(10010):
        open(os.path.join(data, f"f{i}.txt"), "w").close()
    m.gox("build", "./...")
    skips = lambda: glob.glob(os.path.join(m.xdg, "gox", "noop-graphs", "*.skip"))
    for i in range(2):
        sm, _, flag = m.gox("build", "./...")
        eq(sm["summary"]["packages_rebuilt"], 0, "a no-op")
        check(flag, f"run {i}: a tree past 10,000 entries is not kept, go gives the graph")
        eq(len(m.kept()), 0, "nothing kept")
        eq(len(skips()), 1, "the command is marked as too big to walk")
    # A day later, with the tree small again, the walk is tried and the graph kept.
    os.utime(skips()[0], (0, 0))
    shutil.rmtree(data)
    m.gox("build", "./...")
    eq(len(m.kept()), 1, "kept once the tree is small")
    _, _, flag = m.gox("build", "./...")
    check(not flag, "and reused")
    m.done()


@test
def go_1_27_repeated_noop_reuses_the_graph():
    m = Mod("go127", go_directive="1.27.3")
    shutil.rmtree(m.cache)
    m.cache = tempfile.mkdtemp(prefix="cache-reuse127-", dir=tap.SCRATCH)
    shutil.rmtree(m.cache)
    shutil.copytree(go127_template(), m.cache, symlinks=True)
    m.env.update(GO127)
    m.env["GOCACHE"] = m.cache
    before = settle(m, "build", "./...")
    sm, _, flag = m.gox("build", "./...")
    check(not flag, "go 1.27: no -debug-actiongraph")
    eq(outcomes(sm), outcomes(before), "same packages and IDs")
    env = sm["environment"]
    check(env.get("GOVERSION", "").startswith("go1.27"), f"go 1.27 ran: {env.get('GOVERSION')}")
    m.done()


if __name__ == "__main__":
    run()
