#!/usr/bin/env python3
"""Why a test ran instead of "(cached)": gox test twice with one change in
between, against the real go, and the reason in the second run's JSON
summary. Also gox diff over two saved JSON summaries."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

MOD = {
    "go.mod": "module example.com/tr\n\ngo 1.19\n",
    "p/p.go": "package p\n\nfunc Two() int { return 2 }\n",
    "p/p_test.go": (
        'package p\n\nimport (\n\t"os"\n\t"testing"\n)\n\n'
        'func TestEnvAndFile(t *testing.T) {\n'
        '\t_ = os.Getenv("GOX_TR_VAR")\n'
        '\tif _, err := os.ReadFile("testdata/in.txt"); err != nil {\n\t\tt.Fatal(err)\n\t}\n'
        '\tif Two() != 2 {\n\t\tt.Fatal("two")\n\t}\n}\n'),
    "p/testdata/in.txt": "one\n",
}

def setup(name):
    mod = os.path.join(SCRATCH, "tr-" + name)
    subprocess.run(["rm", "-rf", mod])
    for path, text in MOD.items():
        full = os.path.join(mod, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    # go does not cache a test result that read a file modified in the last
    # few seconds ("modified too recently"): make the fixture old.
    for dirpath, _, files in os.walk(mod):
        for fn in files:
            os.utime(os.path.join(dirpath, fn), (1_600_000_000, 1_600_000_000))
    cache = fresh_cache("tr-" + name)
    hist = os.path.join(mod, "..", f"tr-{name}-history.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(hist + suffix):
            os.remove(hist + suffix)
    return mod, cache, hist

def gox_test(mod, cache, hist, *flags, extra_env=None, args=("./p",), summary=None):
    out = summary or os.path.join(mod, "summary.json")
    env = go_env(cache, dict(extra_env or {}, GOX_HISTORY=hist))
    p = subprocess.run([GOX, f"--summary={out}", "--summary-format=json", *flags, "test", *args],
                       cwd=mod, env=env, capture_output=True)
    check(p.returncode == 0, f"gox test failed: {p.stdout.decode()} {p.stderr.decode()}")
    with open(out) as f:
        return json.load(f)

def test_of(summary, pkg="example.com/tr/p"):
    for t in summary["tests"]:
        if t["package"] == pkg:
            return t
    raise AssertionError(f"no test result for {pkg}: {summary['tests']}")

@sanitize
@test
def count_1_is_an_uncacheable_flag():
    mod, cache, hist = setup("count")
    gox_test(mod, cache, hist)
    t = test_of(gox_test(mod, cache, hist, args=("-count=1", "./p")))
    eq(t["cached"], False, "ran")
    eq(t["reason"], "uncacheable_flag", "reason")
    eq(t["reason_detail"], "-count=1", "detail")

@test
def source_edit_changes_the_test_binary():
    mod, cache, hist = setup("edit")
    gox_test(mod, cache, hist)
    eq(test_of(gox_test(mod, cache, hist))["cached"], True, "second run cached")
    with open(os.path.join(mod, "p", "p.go"), "a") as f:
        f.write("\nfunc Three() int { return Two() + 1 }\n\nvar _ = Three()\n")
    t = test_of(gox_test(mod, cache, hist))
    eq(t["cached"], False, "ran")
    eq(t["reason"], "test_binary_changed", "reason")

@sanitize
@test
def env_var_read_by_the_test_is_named_with_why():
    mod, cache, hist = setup("env")
    gox_test(mod, cache, hist, "--why", extra_env={"GOX_TR_VAR": "a"})
    t = test_of(gox_test(mod, cache, hist, "--why", extra_env={"GOX_TR_VAR": "b"}))
    eq(t["cached"], False, "ran")
    eq(t["reason"], "test_env_changed", "reason")
    eq(t["reason_detail"], "GOX_TR_VAR", "detail")

@test
def testdata_file_read_by_the_test_is_named_with_why():
    mod, cache, hist = setup("file")
    gox_test(mod, cache, hist, "--why")
    path = os.path.join(mod, "p", "testdata", "in.txt")
    with open(path, "w") as f:
        f.write("two\n")
    os.utime(path, (1_600_000_100, 1_600_000_100))  # changed, but not "too recently"
    t = test_of(gox_test(mod, cache, hist, "--why"))
    eq(t["cached"], False, "ran")
    eq(t["reason"], "test_file_changed", "reason")
    check(t["reason_detail"].endswith("in.txt"), t["reason_detail"])

@test
def cleaned_test_cache_is_a_missing_result_with_why():
    mod, cache, hist = setup("clean")
    gox_test(mod, cache, hist, "--why")
    subprocess.run(["go", "clean", "-testcache"], cwd=mod, env=go_env(cache), check=True)
    t = test_of(gox_test(mod, cache, hist, "--why"))
    eq(t["cached"], False, "ran")
    eq(t["reason"], "test_result_missing", "reason")

@test
def gox_test_without_why_leaves_go_test_caching_alone():
    # GODEBUG is a test input: gox must not change it unless asked (--why).
    mod, cache, hist = setup("nogodebug")
    p = subprocess.run(["go", "test", "./p"], cwd=mod, env=go_env(cache), capture_output=True)
    eq(p.returncode, 0, "go test")
    t = test_of(gox_test(mod, cache, hist))
    eq(t["cached"], True, "gox test reuses plain go test's cached result")
    p = subprocess.run(["go", "test", "./p"], cwd=mod, env=go_env(cache), capture_output=True)
    check(b"(cached)" in p.stdout, f"plain go test after gox: {p.stdout!r}")

@sanitize
@test
def diff_of_two_saved_summaries_names_the_environment_difference():
    mod, cache, hist = setup("diff")
    a = os.path.join(mod, "a.json")
    b = os.path.join(mod, "b.json")
    gox_test(mod, cache, hist, summary=a)
    gox_test(mod, cache, hist, extra_env={"GOFLAGS": "-buildvcs=false -tags=gox_tr"}, summary=b)
    p = gox("diff", "--format=json", a, b)
    eq(p.returncode, 0, p.stderr.decode())
    d = json.loads(p.stdout)
    names = {e["name"]: (e["a"], e["b"]) for e in d["environment"]}
    check("GOFLAGS" in names, f"environment differences: {names}")
    check("-tags=gox_tr" in names["GOFLAGS"][1], names["GOFLAGS"])

if __name__ == "__main__":
    run()
