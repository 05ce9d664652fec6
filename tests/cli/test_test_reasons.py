#!/usr/bin/env python3
"""Why a test ran instead of "(cached)", against the real go: a sequence of
gox test runs with one change before each, and the reason each test gets in
the JSON summary. Also gox diff over two saved JSON summaries.

The sequence runs once per toolchain (Go 1.19, 1.26, 1.27.3) over two
modules at once, one whose go.mod says `go 1.19` and one `go 1.21`, joined by
a go.work so that one go command tests both (half the links; the workspace
plays no part in test caching, and neither does the go directive:
cmd/go/internal/test/test.go is the same for every directive). The issue's
three runs are also checked on a plain `go 1.21` module, no workspace.

What go does differently, version by version, is asserted as such:
GODEBUG is a test input from Go 1.23 (golang/go#66213), so a GODEBUG change
(and the GODEBUG that --why sets) re-runs tests on 1.26 and 1.27 but not on
1.19. Everything else below is the same in the three."""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

OLD = 1_600_000_000  # an mtime go does not find "too new" (2 s, modTimeCutoff)

# The fixture's test: reads APP_MODE, testdata/in.txt and (optionally) testdata/opt.txt;
# the same as the unit tests' recorded runs.
TEST = open(os.path.join(tap.ROOT, "tests", "unit", "data", "testcache", "store_test.go.in")).read()

SOURCE = 'package store\n\nvar Version = "%s"\n\nfunc Two() int { return len(Version) + 1 }\n'

def module_files(directive, path):
    return {
        "go.mod": f"module {path}\n\ngo {directive}\n",
        "store/store.go": "package store\n\nfunc Two() int { return 2 }\n",
        "store/store_test.go": TEST,
        "store/testdata/in.txt": "one\n",
        "store/testdata/opt.txt": "x\n",
    }

def write(path, text, mtime=OLD):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.utime(path, (mtime, mtime))

def set_mtime(path, mtime):
    os.utime(path, (mtime, mtime))

def history_path(name):
    hist = os.path.join(SCRATCH, f"tr-{name}-history.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(hist + suffix):
            os.remove(hist + suffix)
    return hist

def cache_for(version):
    """A warm GOCACHE copy for the toolchain ("1.19", "1.26" or "1.27")."""
    if version != "1.27":
        return fresh_cache("tr-" + version, version)
    tmpl = go127_template()  # the one Go 1.27 template of every suite (tap.py)
    dst = os.path.join(SCRATCH, "cache-tr-1.27")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(tmpl, dst, symlinks=True)
    return dst

class Scenario:
    """Modules, a cache and a history for one toolchain."""
    def __init__(self, name, version, modules):
        self.version = version
        self.root = os.path.join(SCRATCH, "tr-" + name)
        shutil.rmtree(self.root, ignore_errors=True)
        for sub, (directive, path) in modules.items():
            for rel, text in module_files(directive, path).items():
                write(os.path.join(self.root, sub, rel), text)
        self.work = None
        if len(modules) > 1:
            self.work = os.path.join(self.root, "go.work")
            write(self.work, "go 1.21\n\nuse (\n" + "".join(f"\t./{m}\n" for m in modules) + ")\n")
        self.cache = cache_for(version)
        self.hist = history_path(name)
        self.summary = os.path.join(self.root, "summary.json")
        self.go = ["--go=" + tap.GO119] if version == "1.19" else []

    def path(self, *p):
        return os.path.join(self.root, *p)

    def env(self, extra=None):
        e = go_env(self.cache, {"GOX_HISTORY": self.hist})
        e.pop("APP_MODE", None)
        if self.version == "1.27":
            e.update(GO127)
        if self.work:
            e["GOWORK"] = self.work
        e.update(extra or {})
        return e

    def test(self, *args, why=True, env=None, exit_code=0):
        """gox [--why] test ARGS; the summary's tests by package."""
        flags = [f"--summary={self.summary}", "--summary-format=json", *self.go] + (["--why"] if why else [])
        p = subprocess.run([GOX, *flags, "test", *args], cwd=self.root, env=self.env(env), capture_output=True)
        check(p.returncode == exit_code,
              f"gox test {args} exited {p.returncode}: {p.stdout.decode()} {p.stderr.decode()[-3000:]}")
        with open(self.summary) as f:
            return {t["package"]: t for t in json.load(f)["tests"]}

    def go_cmd(self, *args):
        go = tap.GO119 if self.version == "1.19" else "go"
        subprocess.run([go, *args], cwd=self.root, env=self.env(), check=True, capture_output=True)

MODS = {"m119": ("1.19", "example.com/tr119"), "m121": ("1.21", "example.com/tr121")}
PKGS = ("./m119/store", "./m121/store")

def expect(tests, reason, detail=None, endswith=None, contains=None, step=""):
    """Every package of the sequence ran for reason (or, reason "cached", came from the cache)."""
    for pkg in ("example.com/tr119/store", "example.com/tr121/store"):
        check(pkg in tests, f"{step}: no test result for {pkg}: {tests}")
        t = tests[pkg]
        where = f"{step} {pkg}: {t}"
        if reason == "cached":
            eq(t["cached"], True, where)
            continue
        eq(t["cached"], False, where)
        eq(t.get("reason"), reason, where)
        d = t.get("reason_detail", "")
        if detail is not None:
            eq(d, detail, where)
        if endswith is not None:
            check(d.endswith(endswith), f"{where}: detail should end with {endswith!r}")
        if contains is not None:
            check(contains in d, f"{where}: detail should contain {contains!r}")

def sequence(version):
    s = Scenario("seq-" + version, version, MODS)
    godebug_is_input = version != "1.19"  # Go 1.23+ (golang/go#66213)
    mods = [s.path(m, "store") for m in MODS]
    def each(rel, fn):
        for m in mods:
            fn(os.path.join(m, rel))

    expect(s.test(*PKGS, env={"APP_MODE": "a"}), "no_history", step="first run")
    expect(s.test(*PKGS, env={"APP_MODE": "a"}), "cached", step="same again")
    # The issue's three runs: go printed two test IDs for this run and one
    # for the cached one before it; the reason is the env var all the same.
    expect(s.test(*PKGS, env={"APP_MODE": "b"}), "test_env_changed", detail="APP_MODE", step="APP_MODE a -> b")
    expect(s.test(*PKGS), "test_env_changed", detail="APP_MODE", step="APP_MODE unset")
    each("testdata/in.txt", lambda p: write(p, "two\n", OLD + 100))
    expect(s.test(*PKGS), "test_file_changed", endswith="/testdata/in.txt", step="in.txt changed")
    each("testdata/opt.txt", os.remove)
    expect(s.test(*PKGS), "test_file_changed", endswith="/testdata/opt.txt", step="opt.txt removed")
    each("testdata/opt.txt", lambda p: write(p, "y\n", OLD + 50))
    expect(s.test(*PKGS), "test_file_changed", endswith="/testdata/opt.txt", step="opt.txt added")
    # An mtime in the future is too new however slow the machine: go
    # neither looks the result up nor saves it.
    each("testdata/in.txt", lambda p: write(p, "three\n", time.time() + 3600))
    expect(s.test(*PKGS), "test_file_too_new", endswith="/testdata/in.txt", step="in.txt too new")
    each("testdata/in.txt", lambda p: set_mtime(p, OLD + 300))
    expect(s.test(*PKGS), "test_file_changed", endswith="/testdata/in.txt", step="in.txt old again")
    # Two reads Version: the linker keeps it, so the test binary changes (an
    # unused variable can leave the binary as it was; go then sees no change).
    each("store.go", lambda p: write(p, SOURCE % "b"))
    expect(s.test(*PKGS), "test_binary_changed", step="source edit")
    expect(s.test("-run=TestEnv", *PKGS), "test_args_changed", step="-run added")
    expect(s.test("-count=1", *PKGS), "uncacheable_flag", detail="-count=1", step="-count=1")
    expect(s.test(*PKGS), "cached", step="the result saved before -count=1")
    if godebug_is_input:
        expect(s.test(*PKGS, env={"GODEBUG": "asyncpreemptoff=1"}), "test_env_changed", detail="GODEBUG",
               step="GODEBUG set")
    else:
        expect(s.test(*PKGS, env={"GODEBUG": "asyncpreemptoff=1"}), "cached", step="GODEBUG set (Go 1.19: not an input)")
    each("tag.go", lambda p: write(p, "//go:build gox_tr\n\npackage store\n\nvar Tagged = true\n"))
    tags = {"GOFLAGS": "-buildvcs=false -tags=gox_tr"}
    expect(s.test(*PKGS, env=tags), "test_binary_changed", contains="GOFLAGS", step="GOFLAGS -tags")
    s.go_cmd("clean", "-testcache")
    expect(s.test(*PKGS, env=tags), "test_result_missing", detail="go clean -testcache", step="go clean -testcache")
    fail = dict(tags, APP_MODE="fail")
    expect(s.test(*PKGS, env=fail, exit_code=1), "test_env_changed", detail="APP_MODE", step="test fails")
    expect(s.test(*PKGS, env=fail, exit_code=1), "test_not_cached_before", step="fails again")
    # A new test binary whose first run reads a file too new to save the result.
    each("store.go", lambda p: write(p, SOURCE % "c"))
    each("testdata/in.txt", lambda p: write(p, "four\n", time.time() + 3600))
    expect(s.test(*PKGS, env=tags), "test_binary_changed", contains="result not cached: ", step="new binary, file too new")
    each("testdata/in.txt", lambda p: set_mtime(p, OLD + 400))
    after = s.test(*PKGS, env=tags)
    expect(after, "test_file_too_new", endswith="/testdata/in.txt", step="after the unsaved run")
    check(all(t["reason_detail"].startswith("previous run: ") for t in after.values()), f"{after}")
    # Without --why: gox leaves GODEBUG alone, which is itself a change for
    # Go 1.23+ (--why had added gocachetest=1), and says what it can see.
    if godebug_is_input:
        expect(s.test(*PKGS, why=False, env=tags), "test_env_changed", contains="GODEBUG", step="without --why")
    else:
        expect(s.test(*PKGS, why=False, env=tags), "cached", step="without --why (Go 1.19: GODEBUG not an input)")
    expect(s.test(*PKGS, why=False, env=dict(tags, APP_MODE="c")), "test_inputs_changed", step="env, no --why")
    expect(s.test(*PKGS, why=False, env=dict(tags, APP_MODE="c")), "cached", step="same, no --why")
    expect(s.test("-count=1", *PKGS, why=False, env=tags), "uncacheable_flag", detail="-count=1", step="-count=1, no --why")

@test
def every_test_reason_on_go119_and_go121_modules_with_go119():
    check(os.path.exists(tap.GO119), f"{tap.GO119} missing: scripts/bootstrap installs golang-1.19-go")
    sequence("1.19")

@test
def every_test_reason_on_go119_and_go121_modules_with_go126():
    sequence("1.26")

@test
def every_test_reason_on_go119_and_go121_modules_with_go127():
    sequence("1.27")

def three_runs(version):
    # The issue, as a user runs it: one plain module, go 1.21, no workspace.
    s = Scenario("plain-" + version, version, {".": ("1.21", "example.com/plain")})
    pkg = "example.com/plain/store"
    eq(s.test("./store", env={"APP_MODE": "a"})[pkg]["reason"], "no_history", "first run")
    eq(s.test("./store", env={"APP_MODE": "a"})[pkg]["cached"], True, "second run")
    t = s.test("./store", env={"APP_MODE": "b"})[pkg]
    eq((t["cached"], t["reason"], t["reason_detail"]), (False, "test_env_changed", "APP_MODE"), "third run")

@test
def issue_three_runs_on_a_go121_module_with_go126():
    three_runs("1.26")

@test
def issue_three_runs_on_a_go121_module_with_go127():
    three_runs("1.27")

@test
def gox_test_without_why_leaves_go_test_caching_alone():
    # GODEBUG is a test input: gox must not change it unless asked (--why).
    s = Scenario("nogodebug", "1.26", {".": ("1.21", "example.com/plain")})
    env = s.env()
    p = subprocess.run(["go", "test", "./store"], cwd=s.root, env=env, capture_output=True)
    eq(p.returncode, 0, "go test")
    eq(s.test("./store", why=False)["example.com/plain/store"]["cached"], True,
       "gox test reuses plain go test's cached result")
    p = subprocess.run(["go", "test", "./store"], cwd=s.root, env=env, capture_output=True)
    check(b"(cached)" in p.stdout, f"plain go test after gox: {p.stdout!r}")

@test
def diff_of_two_saved_summaries_names_the_environment_difference():
    s = Scenario("diff", "1.26", {".": ("1.21", "example.com/plain")})
    a = os.path.join(s.root, "a.json")
    b = os.path.join(s.root, "b.json")
    for out, extra in ((a, None), (b, {"GOFLAGS": "-buildvcs=false -tags=gox_tr"})):
        p = subprocess.run([GOX, f"--summary={out}", "--summary-format=json", "test", "./store"],
                           cwd=s.root, env=s.env(extra), capture_output=True)
        eq(p.returncode, 0, p.stderr.decode())
    p = gox("diff", "--format=json", a, b)
    eq(p.returncode, 0, p.stderr.decode())
    d = json.loads(p.stdout)
    names = {e["name"]: (e["a"], e["b"]) for e in d["environment"]}
    check("GOFLAGS" in names, f"environment differences: {names}")
    check("-tags=gox_tr" in names["GOFLAGS"][1], names["GOFLAGS"])

if __name__ == "__main__":
    run()
