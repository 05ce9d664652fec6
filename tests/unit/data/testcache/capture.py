#!/usr/bin/env python3
"""Records what the real go command says about a test's cache across a
sequence of runs (GODEBUG=gocachetest=1,gocachehash=1, as `gox --why test`
sets it), for the unit tests of analysis::decide_test_reasons.

    python3 tests/unit/data/testcache/capture.py GO_BINARY OUT_DIR

Writes OUT_DIR/NN-name.run per run: a header of "key: value" lines (args,
env, the test binary's link action ID and build ID from -debug-actiongraph,
the reason the unit test expects), then "--- stdout", go's stdout, then
"--- stderr", go's stderr reduced to the testcache lines and the testInputs
hash records (with the getenv/open/stat records nested in them). Module
paths are rewritten to /MOD so that the files do not depend on where they
were made. The fixture module says `go 1.21`; go.mod's go directive does
not change any of this (checked by tests/cli/test_test_reasons.py)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# The test of the fixture (shared with tests/cli/test_test_reasons.py).
TEST = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "store_test.go.in")).read()
OLD = 1_600_000_000  # an mtime go does not find "too new"


def main():
    go, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="gox-testcache-")
    mod = os.path.join(work, "m")
    cache = os.path.join(work, "cache")
    os.makedirs(os.path.join(mod, "store", "testdata"))
    if os.environ.get("CAPTURE_SEED_CACHE"):  # a warm GOCACHE to start from (saves a cold build)
        shutil.copytree(os.environ["CAPTURE_SEED_CACHE"], cache)

    def write(path, text, mtime=OLD):
        full = os.path.join(mod, path)
        with open(full, "w") as f:
            f.write(text)
        if mtime is not None:
            os.utime(full, (mtime, mtime))

    write("go.mod", "module example.com/tr\n\ngo 1.21\n")
    write("store/store.go", "package store\n\nfunc Two() int { return 2 }\n")
    write("store/store_test.go", TEST)
    write("store/testdata/in.txt", "one\n")
    write("store/testdata/opt.txt", "x\n")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    base_env.update({"GOCACHE": cache, "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "local"),
                     "GOFLAGS": "-buildvcs=false", "GOWORK": "off", "GOPATH": os.path.join(work, "gopath"),
                     "GOMODCACHE": os.environ.get("GOMODCACHE", os.path.join(os.path.expanduser("~"), "go", "pkg", "mod"))})
    base_env.pop("APP_MODE", None)
    n = [0]

    def run(name, expect, args=("./store",), env=None, unset=(), godebug=""):
        e = dict(base_env)
        e.update(env or {})
        for k in unset:
            e.pop(k, None)
        gd = ",".join(x for x in (godebug, "gocachehash=1", "gocachetest=1") if x)
        e["GODEBUG"] = gd
        ag = os.path.join(work, "ag.json")
        p = subprocess.run([go, "test", "-debug-actiongraph=" + ag, *args], cwd=mod, env=e, capture_output=True)
        link = build = ""
        with open(ag) as f:
            for a in json.load(f):
                if a.get("Mode") == "link" and a.get("Package") == "example.com/tr/store.test":
                    link, build = a.get("ActionID") or "", a.get("BuildID") or ""
        keep = []
        for line in p.stderr.decode().splitlines():
            if line.startswith("testcache:") or line.startswith(("HASH[testInputs]", "HASH[getenv]", "HASH[open]", "HASH[stat]")):
                keep.append(line.replace(mod, "/MOD").replace(cache, "/CACHE"))
        n[0] += 1
        path = os.path.join(out, f"{n[0]:02d}-{name}.run")
        with open(path, "w") as f:
            f.write(f"args: {json.dumps(list(args))}\n")
            f.write(f"goflags: {e.get('GOFLAGS', '')}\n")
            f.write(f"godebug: {gd}\n")
            f.write(f"app_mode: {e.get('APP_MODE', '(unset)')}\n")
            f.write(f"link: {link}\nbuild: {build}\n")
            f.write(f"exit: {p.returncode}\n")
            f.write(f"expect: {expect}\n")
            f.write("--- stdout\n" + p.stdout.decode().replace(mod, "/MOD"))
            f.write("--- stderr\n" + "\n".join(keep) + "\n")
        print(path, p.stdout.decode().strip().splitlines()[-1:] if p.stdout else p.stderr.decode()[-300:])

    version = subprocess.run([go, "env", "GOVERSION"], env=base_env, capture_output=True, text=True).stdout.strip()
    minor = int(version.split(".")[1])
    run("first", "no_history", env={"APP_MODE": "a"})
    run("cached", "cached", env={"APP_MODE": "a"})
    run("env-changed", "test_env_changed APP_MODE", env={"APP_MODE": "b"})
    run("cached-b", "cached", env={"APP_MODE": "b"})
    run("env-unset", "test_env_changed APP_MODE")
    write("store/testdata/in.txt", "two\n", OLD + 100)
    run("file-changed", "test_file_changed /MOD/store/testdata/in.txt")
    os.remove(os.path.join(mod, "store/testdata/opt.txt"))
    run("file-removed", "test_file_changed /MOD/store/testdata/opt.txt")
    write("store/testdata/opt.txt", "y\n", OLD + 50)
    run("file-added", "test_file_changed /MOD/store/testdata/opt.txt")
    # An mtime in the future is "too new" however long the run takes (go
    # compares time.Since(mtime) with 2 s): no lookup, no save.
    write("store/testdata/in.txt", "three\n", time.time() + 3600)
    run("file-too-new", "test_file_too_new /MOD/store/testdata/in.txt")
    os.utime(os.path.join(mod, "store/testdata/in.txt"), (OLD + 300, OLD + 300))
    run("after-too-new", "test_file_changed /MOD/store/testdata/in.txt")
    run("cached-2", "cached")
    write("store/store.go", "package store\n\nfunc Two() int { return 2 }\n\nvar Version = \"b\"\n")
    run("binary-changed", "test_binary_changed")
    run("args-changed", "test_args_changed", args=("-run=TestEnv", "./store"))
    run("count-1", "uncacheable_flag -count=1", args=("-count=1", "./store"))
    run("cached-after-count", "cached")
    # GODEBUG is a test input from Go 1.23 on (golang/go#66213); 1.19 reuses the result.
    run("godebug-changed", "test_env_changed GODEBUG" if minor >= 23 else "cached", godebug="asyncpreemptoff=1")
    write("store/tag.go", "//go:build gox_tr\n\npackage store\n\nvar Tagged = true\n")
    run("goflags-tags", "test_binary_changed", env={"GOFLAGS": "-buildvcs=false -tags=gox_tr"})
    subprocess.run([go, "clean", "-testcache"], cwd=mod, env=base_env, check=True)
    run("testcache-cleaned", "test_result_missing", env={"GOFLAGS": "-buildvcs=false -tags=gox_tr"})
    run("fail", "test_env_changed APP_MODE", env={"APP_MODE": "fail", "GOFLAGS": "-buildvcs=false -tags=gox_tr"})
    run("fail-again", "test_not_cached_before", env={"APP_MODE": "fail", "GOFLAGS": "-buildvcs=false -tags=gox_tr"})
    subprocess.run([go, "clean", "-cache"], cwd=mod, env=base_env, check=True)
    tags = {"GOFLAGS": "-buildvcs=false -tags=gox_tr"}
    run("cache-cleaned", "test_result_missing", env=tags)
    write("store/store.go", "package store\n\nfunc Two() int { return 2 }\n\nvar Version = \"c\"\n")
    run("fail-new-binary", "test_binary_changed", env=dict(tags, APP_MODE="fail"))
    run("fail-new-binary-again", "test_not_cached_before", env=dict(tags, APP_MODE="fail"))
    # An edit of an unused variable: the link's action ID changes, but the
    # linker drops the variable, so the test binary's content ID (go's second
    # lookup key) is the previous, failed run's: go sees the same test, and
    # the previous run failed. Its file is too new to save this result; the
    # next run says why.
    write("store/store.go", "package store\n\nfunc Two() int { return 2 }\n\nvar Version = \"d\"\n")
    write("store/testdata/in.txt", "four\n", time.time() + 3600)
    run("new-binary-file-too-new", "test_not_cached_before", env=tags)
    os.utime(os.path.join(mod, "store/testdata/in.txt"), (OLD + 400, OLD + 400))
    run("after-unsaved-too-new", "test_file_too_new previous run: /MOD/store/testdata/in.txt", env=tags)
    run("cached-3", "cached", env=tags)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
