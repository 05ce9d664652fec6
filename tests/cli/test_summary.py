#!/usr/bin/env python3
"""gox's after-run summary against go's own account of the same run: each
scenario runs `gox --summary=FILE --summary-format=json <verb>
-debug-actiongraph=AG ...` and checks the summary against AG:

  rebuilt + cached + installed (+ failed) = the number of `build` actions
  with a Package in AG, and nothing is "unknown";
  the rebuilt (+ failed) packages are exactly the build actions whose Cmd is
  non-null (a command ran), as a multiset of import paths and, where the
  summary knows it, by objdir;
  (go 1.26 leaves Failed unset in the graph, so a failed compile is a build
  action that ran; the failed package is checked against go's stderr.)
  Packages that go never reached because a dependency failed (no command, no
  action ID in AG) are not counted as cached.
The module is built once in its fresh directory before an edit is measured
(the package dir is part of go's action ID, so a new module path rebuilds
the module's packages however warm the cache is)."""
import collections
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

FIXTURES = os.path.join(tap.ROOT, "trace_samples", "fixtures")

def objdir_num(d):
    if not d:
        return None
    base = d.rstrip("/").rsplit("/", 1)[-1]
    return int(base[1:]) if base.startswith("b") and base[1:].isdigit() else None

_made = []  # module and cache copies, removed when the suite ends

class Case:
    def __init__(self, name, source=os.path.join(tap.ROOT, "examples", "sample"), cache="warm", version="1.26",
                 extra_env=None):
        self.name = name
        self.mod = fresh_module("sum-" + name, source)
        if cache == "warm":
            self.cache = fresh_cache("sum-" + name, version=version)
        elif cache == "cold":
            self.cache = fresh_cache("sum-" + name, warm=False)
        else:  # a template path
            self.cache = fresh_cache("sum-" + name, warm=False)
            shutil.rmtree(self.cache)
            shutil.copytree(cache, self.cache, symlinks=True)
        self.version = version
        self.env = go_env(self.cache, extra_env)
        self.n = 0
        _made.extend([self.mod, self.cache])

    def gox(self, verb, *args, expect_rc=0):
        """Runs gox with a JSON summary and an action graph of its own;
        returns (summary, action graph, completed process)."""
        self.n += 1
        summary = os.path.join(self.mod, f"summary{self.n}.json")
        ag = os.path.join(self.mod, f"ag{self.n}.json")
        opts = [f"--summary={summary}", "--summary-format=json"]
        if self.version == "1.19":
            opts.append(f"--go={GO119}")
        p = subprocess.run([GOX] + opts + [verb, f"-debug-actiongraph={ag}"] + list(args), cwd=self.mod,
                           env=self.env, capture_output=True, timeout=600)
        eq(p.returncode, expect_rc, f"gox {verb} {' '.join(args)} exit status; stderr: "
                                    f"{p.stderr.decode(errors='replace')[-2000:]}")
        check(os.path.exists(summary), f"no summary written: {p.stderr.decode(errors='replace')}")
        with open(summary) as f:
            s = json.load(f)
        with open(ag) as f:
            g = json.load(f)
        eq(s["command"]["verb"], verb, "summary command.verb")
        eq(s["command"]["exit_code"], expect_rc, "summary command.exit_code")
        check(s["actiongraph_merged"], "the summary merged the action graph")
        return s, g, p

def agree(s, g):
    """The checks of the module docstring. Returns the sets for further checks."""
    builds = [a for a in g if a.get("Mode") == "build" and a.get("Package")]
    ran = [a for a in builds if a.get("Cmd")]
    # Never reached (a dependency failed): no command, no action ID.
    skipped = [a for a in builds if not a.get("Cmd") and not a.get("ActionID") and not a.get("BuildID")]
    sm = s["summary"]
    counted = sm["packages_rebuilt"] + sm["packages_cached"] + sm["packages_installed"] + sm["packages_failed"]
    eq(counted + len(skipped), len(builds), "rebuilt + cached + installed + failed (+ never reached) = build "
                                            f"actions with a Package (summary: {sm})")
    eq(sm["packages"], len(builds), "packages")
    eq(sm["packages_unknown"], len(skipped), "packages of unknown outcome = never reached")

    pk = s["packages"]
    done = [p for p in pk if p["outcome"] in ("rebuilt", "failed")]
    eq(collections.Counter(p["import_path"] for p in done), collections.Counter(a["Package"] for a in ran),
       "rebuilt+failed packages = build actions with a command")
    eq(len([p for p in pk if p["outcome"] == "rebuilt"]), sm["packages_rebuilt"], "rebuilt list vs count")
    eq(collections.Counter(p["import_path"] for p in pk if p["outcome"] == "unknown"),
       collections.Counter(a["Package"] for a in skipped), "unknown = never reached")
    # By objdir where the summary knows it ($WORK/bNNN): same package there.
    by_objdir = {objdir_num(a.get("Objdir")): a for a in builds}
    for p in pk:
        n = objdir_num(p["objdir"])
        if n is None or n not in by_objdir:
            continue
        a = by_objdir[n]
        eq(p["import_path"], a["Package"], f"package at objdir b{n:03d}")
        eq(p["outcome"] in ("rebuilt", "failed"), bool(a.get("Cmd")), f"{a['Package']} b{n:03d} outcome {p['outcome']}")
    return {p["import_path"] for p in pk if p["outcome"] == "rebuilt"}

@test
def cold_build_rebuilds_everything():
    c = Case("cold", cache="cold")
    s, g, _ = c.gox("build", "-o", os.path.join(c.mod, "bin", "sample"), "./cmd/sample")
    rebuilt = agree(s, g)
    sm = s["summary"]
    eq(sm["packages_cached"], 0, "nothing from an empty cache")
    eq(sm["packages_rebuilt"], sm["packages"], "all rebuilt")
    check({"runtime", "fmt", "example.com/sample/internal/words"} <= rebuilt, rebuilt)

@test
def warm_noop_build_is_all_cached():
    c = Case("noop")
    out = os.path.join(c.mod, "bin", "sample")
    c.gox("build", "-o", out, "./cmd/sample")
    s, g, _ = c.gox("build", "-o", out, "./cmd/sample")
    agree(s, g)
    sm = s["summary"]
    eq(sm["packages_rebuilt"], 0, "nothing rebuilt")
    eq(sm["packages_cached"], sm["packages"], "all cached")
    check(sm["packages"] > 20, f"the std closure is counted: {sm}")
    s, g, _ = c.gox("build", "./...")
    agree(s, g)
    eq(s["summary"]["packages_rebuilt"], 0, "build ./... nothing rebuilt")

def built_once(name):
    c = Case(name)
    c.gox("build", "-o", os.path.join(c.mod, "bin", "sample"), "./cmd/sample")
    return c

@test
def one_file_edit_rebuilds_the_dependents():
    c = built_once("edit")
    with open(os.path.join(c.mod, "internal", "words", "words.go"), "a") as f:
        f.write("\nfunc Extra() int { return 7 }\n")
    s, g, _ = c.gox("build", "-o", os.path.join(c.mod, "bin", "sample"), "./cmd/sample")
    rebuilt = agree(s, g)
    check("example.com/sample/internal/words" in rebuilt, rebuilt)
    check(not any("." not in p.split("/")[0] for p in rebuilt), f"no std package rebuilt: {rebuilt}")
    eq(s["summary"]["link"], 1, "one link")

@test
def comment_edit_rebuilds_one_package():
    c = built_once("comment")
    with open(os.path.join(c.mod, "internal", "words", "words.go"), "a") as f:
        f.write("\n// a comment changes no export data\n")
    s, g, _ = c.gox("build", "-o", os.path.join(c.mod, "bin", "sample"), "./cmd/sample")
    rebuilt = agree(s, g)
    eq(rebuilt, {"example.com/sample/internal/words"}, "rebuilt")
    eq(s["summary"]["link"], 0, "no link: the binary is up to date")

@test
def go_test_counts_test_variants():
    c = Case("test")
    with open(os.path.join(c.mod, "internal", "words", "words.go"), "a") as f:
        f.write("\nfunc Extra() int { return 7 }\n")
    s, g, p = c.gox("test", "./...")
    rebuilt = agree(s, g)
    check("example.com/sample/internal/greet.test" in rebuilt, rebuilt)
    eq(s["summary"]["tests_run"], 1, f"one test binary ran: {s['tests']}")
    s, g, p = c.gox("test", "./...")
    agree(s, g)
    eq(s["summary"]["packages_rebuilt"], 0, "second go test: nothing rebuilt")
    eq(s["summary"]["tests_cached"], 1, f"second go test: result cached: {s['tests']}")
    check(b"(cached)" in p.stdout, p.stdout)

@test
def go_install_and_run():
    gobin = os.path.join(SCRATCH, "sum-gobin")
    _made.append(gobin)
    c = Case("install", extra_env={"GOBIN": gobin})
    s, g, _ = c.gox("install", "./cmd/sample")
    agree(s, g)
    s, g, p = c.gox("run", "./cmd/sample", "you")
    agree(s, g)
    eq(p.stdout, b"Hello, You!\n", "program output")

@test
def compile_error_is_failed_not_rebuilt():
    c = Case("broken", source=os.path.join(FIXTURES, "compile-error"))
    s, g, p = c.gox("build", "./...", expect_rc=1)
    agree(s, g)
    check(b"# example.com/broken/lib\n" in p.stderr, p.stderr)
    eq([q["import_path"] for q in s["packages"] if q["outcome"] == "failed"], ["example.com/broken/lib"], "failed")
    outcome = {q["import_path"]: q["outcome"] for q in s["packages"]}
    check(outcome.get("example.com/broken/cmd/app") not in ("cache_hit", "rebuilt"),
          f"cmd/app was never built (its dependency failed): {outcome.get('example.com/broken/cmd/app')}")

@test
def test_build_error_leaves_the_test_main_unbuilt():
    c = Case("testbroken", source=os.path.join(FIXTURES, "test-build-error"))
    s, g, p = c.gox("test", "./...", expect_rc=1)
    agree(s, g)
    mains = [q["outcome"] for q in s["packages"] if q["import_path"] == "example.com/testbroken/calc.test"]
    eq(mains, ["unknown"], "the test main of the broken test (never built, not a cache hit)")
    check(b"FAIL\texample.com/testbroken/calc [build failed]" in p.stdout, p.stdout)

@test
def go119_counts_installed_std():
    check(os.path.exists(GO119), f"{GO119} missing: scripts/bootstrap installs golang-1.19-go")
    c = Case("go119", cache="cold", version="1.19")
    s, g, _ = c.gox("build", "-o", os.path.join(c.mod, "bin", "sample"), "./cmd/sample")
    agree(s, g)
    check(s["summary"]["packages_installed"] > 10, f"std from GOROOT/pkg: {s['summary']}")

if __name__ == "__main__":
    try:
        run()
    finally:
        for d in _made:
            shutil.rmtree(d, ignore_errors=True)
