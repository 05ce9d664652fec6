#!/usr/bin/env python3
"""Fail-open: whatever goes wrong inside gox, the user's build is plain go's.

Each scenario runs plain go and gox the same way in fresh copies of the
module and the warm template GOCACHE, and checks that gox's stdout, exit
status and binary are go's and that its stderr is go's followed only by
gox's own lines (summary, warnings), which must say what went wrong:
  - analysis failing after go exited, and the model failing in the middle of
    the stream (the test hook GOX_TEST_FAULT, see src/gox/cli/wrap_cmd.cpp);
  - a summary file or history store that cannot be written: a directory
    read-only to an unprivileged user (root writes anything), and a full
    disk (a 1 MB tmpfs; skipped with a note if mounting is refused).
  - two gox runs (a build and a go test) in the same module at once: both
    recorded, each with exactly the packages of its own summary (four
    identical builds at once: test_reasons.py). Signals: test_signals.py."""
import contextlib
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403

BROKEN = "package words\n\nfunc Broken() int { return \"no\" }\n"

def note(msg):
    print("# " + msg, flush=True)

def scratch(name):
    os.makedirs(SCRATCH, exist_ok=True)
    return tempfile.mkdtemp(prefix=f"failopen-{name}-", dir=SCRATCH)

class Pair:
    """Plain go and gox, each in its own module copy and cache copy."""
    def __init__(self, name, edit=None):
        self.dirs = {}
        for tool in ("go", "gox"):
            mod = fresh_module(f"fo-{name}-{tool}")
            if edit:
                edit(mod)
            self.dirs[tool] = (mod, fresh_cache(f"fo-{name}-{tool}"))
        self.root = scratch(name)
        self.history = os.path.join(self.root, "history.db")

    def run(self, args, gox_opts=(), extra_env=None, prefix=()):
        res = {}
        for tool in ("go", "gox"):
            mod, cache = self.dirs[tool]
            env = go_env(cache, dict({"GOX_HISTORY": self.history}, **(extra_env or {})))
            argv = ["go"] if tool == "go" else [GOX, "--no-progress", *gox_opts]
            res[tool] = subprocess.run(list(prefix) + argv + list(args), cwd=mod, env=env, capture_output=True)
        go, gx = res["go"], res["gox"]
        eq(gx.returncode, go.returncode, f"exit status (gox stderr {gx.stderr[-800:]!r})")
        eq(gx.stdout, go.stdout, "stdout")
        check(gx.stderr.startswith(go.stderr), f"gox's stderr starts with go's: go {go.stderr[-500:]!r}, "
                                               f"gox {gx.stderr[-800:]!r}")
        extra = gx.stderr[len(go.stderr):].decode(errors="replace")
        return go, gx, extra

    def done(self):
        for mod, cache in self.dirs.values():
            shutil.rmtree(mod, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)

def broken(mod):
    with open(os.path.join(mod, "internal", "words", "broken.go"), "w") as f:
        f.write(BROKEN)

def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

@test
def analysis_that_throws_leaves_the_build_alone():
    fault = {"GOX_TEST_FAULT": "analysis"}
    p = Pair("throw")
    go, gx, extra = p.run(["run", "./cmd/sample", "you"], extra_env=fault)
    eq(go.stdout, b"Hello, You!\n", "the program ran")
    check("gox: warning: analysis failed: injected fault" in extra, f"the warning: {extra!r}")
    # A failing build: go's errors, go's exit status, then the warning.
    for tool in ("go", "gox"):
        broken(p.dirs[tool][0])
    go, gx, extra = p.run(["build", "./..."], extra_env=fault)
    eq(go.returncode, 1, "the broken build fails")
    check(b"cannot use" in go.stderr, go.stderr)
    check(extra.startswith("gox: warning: analysis failed"), f"gox's lines after go's: {extra!r}")
    p.done()

@test
def model_failing_mid_stream_hides_no_less_and_shows_no_more():
    # The model fails (as if out of memory) at go's 2nd stderr line: the rest
    # of the -x trace gox added must still be hidden, go's own output shown,
    # and the summary must say it is incomplete.
    p = Pair("stream", edit=broken)
    go, gx, extra = p.run(["build", "./..."], gox_opts=["--summary=stderr"],
                          extra_env={"GOX_TEST_FAULT": "stream:2"})
    eq(go.returncode, 1, "the broken build fails")
    check("analysis failed (std::bad_alloc)" in extra and "incomplete" in extra, f"the summary says so: {extra!r}")
    check("WORK=" not in extra and "/compile " not in extra, f"no trace line leaked: {extra[:500]!r}")
    # A build that works, with a binary: the same bytes as go's.
    for tool in ("go", "gox"):
        os.remove(os.path.join(p.dirs[tool][0], "internal", "words", "broken.go"))
    go, gx, extra = p.run(["build", "-o", "sample.bin", "./cmd/sample"], gox_opts=["--summary=stderr"],
                          extra_env={"GOX_TEST_FAULT": "stream:3"})
    eq(go.returncode, 0, go.stderr)
    # The binary is go's: plain go builds the same one again in gox's copy
    # (paths are embedded, so the two copies' binaries differ).
    mod, cache = p.dirs["gox"]
    subprocess.run(["go", "build", "-o", "sample.go.bin", "./cmd/sample"], cwd=mod, env=go_env(cache), check=True)
    check(digest(os.path.join(mod, "sample.bin")) == digest(os.path.join(mod, "sample.go.bin")),
          "the binary gox's go built is the one plain go builds")
    check("analysis failed" in extra, extra)
    p.done()

@test
def summary_file_in_a_read_only_dir():
    p = Pair("ro-summary")
    ro = os.path.join(p.root, "ro")
    os.makedirs(ro)
    os.chmod(p.root, 0o755)
    os.chmod(ro, 0o555)
    prefix, env = (), {}
    if os.geteuid() == 0:
        home = os.path.join(p.root, "home")
        os.makedirs(home)
        for d in (home, *p.dirs["go"], *p.dirs["gox"]):
            chown_tree(d, NOBODY)
        prefix, env = as_nobody(), {"HOME": home, "GOPATH": os.path.join(home, "go")}
    env["GOX_HISTORY"] = os.path.join(ro, "history.db")  # not writable either
    go, gx, extra = p.run(["run", "./cmd/sample", "you"], gox_opts=[f"--summary={ro}/summary.txt"],
                          extra_env=env, prefix=prefix)
    eq(gx.stdout, b"Hello, You!\n", "the program's output")
    check("cannot write summary" in extra, f"a warning about the summary: {extra!r}")
    check("history" in extra, f"a warning about the history: {extra!r}")
    check(not os.path.exists(os.path.join(ro, "summary.txt")), "no summary file")
    os.chmod(ro, 0o755)
    p.done()

@contextlib.contextmanager
def full_disk(name):
    """A 1 MB tmpfs, filled up; None if this machine refuses the mount."""
    d = scratch(name)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], capture_output=True)
    if r.returncode != 0:
        note(f"SKIP: cannot mount a tmpfs here ({r.stderr.decode(errors='replace').strip()}): full disk not tested")
        shutil.rmtree(d, ignore_errors=True)
        yield None
        return
    try:
        yield d
    finally:
        subprocess.run(["umount", d])
        shutil.rmtree(d, ignore_errors=True)

def fill(d):
    for i in range(2):  # a second file takes the last partial block
        try:
            with open(os.path.join(d, f"filler{i}"), "wb") as f:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
        except OSError:
            pass
    st = os.statvfs(d)
    eq(st.f_bavail, 0, "the disk is full")

@test
def full_disk_for_summary_and_history():
    with full_disk("full") as d:
        if d is None:
            return
        p = Pair("full")
        hist = os.path.join(d, "history.db")
        # A history with one run, then the disk fills up.
        mod, cache = p.dirs["gox"]
        env = go_env(cache, {"GOX_HISTORY": hist})
        r = subprocess.run([GOX, "--summary=off", "build", "./..."], cwd=mod, env=env, capture_output=True)
        eq(r.returncode, 0, r.stderr)
        fill(d)
        go, gx, extra = p.run(["run", "./cmd/sample", "you"], gox_opts=[f"--summary={d}/summary.json",
                                                                      "--summary-format=json"],
                              extra_env={"GOX_HISTORY": hist})
        eq(gx.stdout, b"Hello, You!\n", "the program's output")
        check("cannot write summary" in extra, f"a warning about the summary: {extra!r}")
        check("not recorded" in extra or "history" in extra, f"a warning about the history: {extra!r}")
        # The history is whole: its first run is still there, nothing
        # half-written (read with room on the disk again: SQLite needs its
        # shared-memory file even to read).
        for f in glob.glob(os.path.join(d, "filler*")):
            os.remove(f)
        con = sqlite3.connect(f"file:{hist}?mode=ro", uri=True)
        eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check")
        runs = con.execute("SELECT id FROM runs").fetchall()
        eq(len(runs), 1, "only the run before the disk filled up")
        check(con.execute("SELECT count(*) FROM packages WHERE run_id=?", runs[0]).fetchone()[0] > 0,
              "with its packages")
        con.close()
        # A failing build on a full disk: go's exit status.
        for tool in ("go", "gox"):
            broken(p.dirs[tool][0])
        fill(d)
        go, gx, extra = p.run(["build", "./..."], gox_opts=[f"--summary={d}/s.txt"], extra_env={"GOX_HISTORY": hist})
        eq(go.returncode, 1, "the broken build fails")
        check("not recorded" in extra, f"a warning about the history: {extra!r}")
        # SQLite gives back the blocks of its failed write, so the short text
        # summary may fit now: then it is whole, else there is a warning.
        if "cannot write summary" not in extra:
            with open(os.path.join(d, "s.txt")) as f:
                text = f.read()
            check(text.startswith("gox: ") and text.endswith("\n") and "failed" in text, f"the summary: {text!r}")
        p.done()

@test
def two_runs_at_once_are_both_recorded_whole():
    # test_reasons.py starts four identical builds at once; here a build and
    # a go test of the same module overlap, and each run's history rows must
    # match its own summary: every package, nothing of the other run's.
    mod = fresh_module("fo-twice")
    cache = fresh_cache("fo-twice")
    root = scratch("twice")
    env = go_env(cache, {"GOX_HISTORY": os.path.join(root, "history.db")})
    cmds = {"build": ["build", "./..."], "test": ["test", "-count=1", "./..."]}
    procs = {k: subprocess.Popen([GOX, "--summary-format=json", f"--summary={root}/{k}.json", *v], cwd=mod, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k, v in cmds.items()}
    for k, p in procs.items():
        out, err = p.communicate(timeout=600)
        eq(p.returncode, 0, f"gox {k}: {err.decode(errors='replace')[-1500:]}")
        check(b"gox: warning" not in err, err.decode(errors="replace")[-1500:])
    con = sqlite3.connect(f"file:{root}/history.db?mode=ro", uri=True)
    eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check")
    rows = dict(con.execute("SELECT r.verb, count(p.run_id) FROM runs r LEFT JOIN packages p ON p.run_id = r.id "
                            "GROUP BY r.id").fetchall())
    con.close()
    eq(sorted(rows), ["build", "test"], "both runs recorded")
    for k in cmds:
        with open(f"{root}/{k}.json") as f:
            sm = json.load(f)
        want = len(sm["packages"]) + sum(1 for t in sm["tests"] if t["status"] != "no_test_files")
        eq(rows[k], want, f"history rows of the {k} run")
    for d in (mod, cache, root):
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    run()
