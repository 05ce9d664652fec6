#!/usr/bin/env python3
"""Signals: gox ends the way go ends, and leaves nothing running.

Each scenario runs plain go and gox --summary=off the same way (own session,
so a "group" signal is what ^C in a terminal does: the whole foreground
process group gets it; a "process" signal is `kill PID`), waits until the
build is really under way (a compile, or the test binary, is running), sends
the signal, and compares exit status, stdout and stderr. Every process of a
run carries its own GOCACHE path in its environment; after gox has exited,
/proc must show none of them (zombies aside). Plain go is not held to that:
what it leaves behind is reported as a TAP comment (and then killed here).
gox's history (its own GOX_HISTORY per scenario) must pass SQLite's
integrity checks afterwards, with no run recorded without its packages."""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403

SLEEP_TEST = """package slow

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestSlow(t *testing.T) {
	ms, _ := strconv.Atoi(os.Getenv("SLOW_MS"))
	time.Sleep(time.Duration(ms) * time.Millisecond)
}
"""

def note(msg):
    print("# " + msg, flush=True)

def procs(marker):
    """Live processes (not zombies) whose environment or command line has marker."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
            if stat[stat.rindex(b")") + 2:][:1] in (b"Z", b"X"):
                continue
            with open(f"/proc/{d}/environ", "rb") as f:
                env = f.read()
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read()
        except (OSError, ValueError):
            continue
        if marker in env or marker in cmd:
            out.append((int(d), cmd.replace(b"\0", b" ")[:160].decode(errors="replace")))
    return out

def wait_until(pred, timeout, what):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")

def clean_up(marker):
    """Kills what a plain go run left running (this test started it)."""
    for pid, _ in procs(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

class Outcome:
    def __init__(self, rc, out, err, left, secs):
        self.rc, self.out, self.err, self.left, self.secs = rc, out, err, left, secs

    def __repr__(self):
        return f"exit {self.rc} after {self.secs:.1f}s, stdout {self.out[-200:]!r}, stderr {self.err[-300:]!r}"

def signalled_run(tool, args, cwd, env, sig, target, ready, delay=0.3, ignore=None, timeout=120):
    """Runs `go args` (tool "go") or `gox --summary=off args`, sends sig to the
    process or its group once ready(marker) holds, and returns an Outcome with
    the processes of the run still alive right after it exited."""
    marker = env["GOCACHE"].encode()
    argv = (["go"] if tool == "go" else [GOX, "--summary=off"]) + list(args)
    pre = (lambda: signal.signal(ignore, signal.SIG_IGN)) if ignore else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             start_new_session=True, preexec_fn=pre)
        try:
            wait_until(lambda: ready(marker), 60, f"{tool}: the build to get under way")
            time.sleep(delay)
            check(p.poll() is None, f"{tool} ended before the signal")
            if target == "group":
                os.killpg(p.pid, sig)
            else:
                os.kill(p.pid, sig)
            rc = p.wait(timeout=timeout)
        except BaseException:
            p.kill()
            p.wait()
            clean_up(marker)
            raise
        left = procs(marker)
        out.seek(0)
        err.seek(0)
        return Outcome(rc, out.read(), err.read(), left, time.monotonic() - t0)

def durations(b):
    return re.sub(rb"\t\d+\.\d+s\b", b"\tN.NNNs", b)  # ok  \tpkg\t2.004s

def compiling(marker):
    return [p for p in procs(marker) if "/compile " in p[1]]

def test_binary_running(marker):
    # The test binary itself, not the link that writes it (`link -o
    # .../slow.test ...`): a signal during the link comes before go test
    # has its handler, and on a loaded machine the link takes long enough.
    return [p for p in procs(marker) if p[1].split(" ", 1)[0].endswith(".test")]

def compare(name, args, cwd, sig, target, ready, extra_env=None, cold=False, racy_stdout=False, **kw):
    """The scenario for plain go, then for gox, each with its own copy of the
    cache (the marker). Returns (go Outcome, gox Outcome)."""
    res = {}
    for tool in ("go", "gox"):
        cache = fresh_cache(f"sig-{name}-{tool}", warm=not cold)
        env = go_env(cache, extra_env)
        hist = os.path.join(cache, "history.db")
        if tool == "gox":
            env["GOX_HISTORY"] = hist
        o = signalled_run(tool, args, cwd, env, sig, target, ready, **kw)
        res[tool] = o
        if tool == "gox":
            history_is_whole(hist)
        if tool == "go":
            if o.left:
                note(f"plain go left {len(o.left)} process(es) running: " + "; ".join(c for _, c in o.left))
            clean_up(env["GOCACHE"].encode())
        shutil.rmtree(cache, ignore_errors=True)
    g, x = res["go"], res["gox"]
    note(f"go:  {g!r}")
    note(f"gox: {x!r}")
    check(not x.left, f"processes of the gox run still running after it exited: {x.left}")
    eq(x.rc, g.rc, "exit status (negative: killed by that signal)")
    if racy_stdout:
        # go's action loop picks at random between "next action ready" and
        # "interrupted" (a select in work.(*Builder).Do), so whether go test
        # still prints a package's result line after an interrupt varies
        # between two plain go runs too. Each line must be one go prints.
        allowed = {b"", b"signal: interrupt", b"FAIL", b"ok  \texample.com/sample/slow\tN.NNNs",
                   b"FAIL\texample.com/sample/slow\tN.NNNs"}
        for o in (g, x):
            bad = [l for l in durations(o.out).split(b"\n") if l not in allowed]
            check(not bad, f"unexpected stdout lines {bad}")
    else:
        eq(durations(x.out), durations(g.out), "stdout")
    eq(x.err, g.err, "stderr")
    return g, x

def history_is_whole(path):
    """After a signal: the history gox wrote, if any, passes SQLite's checks
    and every run in it has its packages (one transaction, never half)."""
    if not os.path.exists(path):
        note("no history written")
        return
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "history integrity_check")
        eq(con.execute("PRAGMA foreign_key_check").fetchall(), [], "history foreign_key_check")
        runs = con.execute("SELECT r.id, r.exit_code, count(p.run_id) FROM runs r "
                           "LEFT JOIN packages p ON p.run_id = r.id GROUP BY r.id").fetchall()
    finally:
        con.close()
    note(f"history: runs (id, exit code, packages): {runs}")
    check(len(runs) <= 1, f"one run at most: {runs}")
    for _, _, n in runs:
        check(n > 0, f"a run recorded without its packages: {runs}")

_made = []  # module copies, removed when the suite ends

def slow_module():
    mod = fresh_module("sig-slow")
    _made.append(mod)
    os.makedirs(os.path.join(mod, "slow"))
    with open(os.path.join(mod, "slow", "slow_test.go"), "w") as f:
        f.write(SLEEP_TEST)
    return mod

SAMPLE_MOD = None

def sample():
    global SAMPLE_MOD
    if SAMPLE_MOD is None:
        SAMPLE_MOD = fresh_module("sig-build")
        _made.append(SAMPLE_MOD)
    return SAMPLE_MOD

# -a with an empty cache: the standard library compiles for several seconds.
BUILD_A = ["build", "-a", "-o", os.devnull, "./cmd/sample"]

@test
def build_sigint_to_gox():
    g, _ = compare("b-int-p", BUILD_A, sample(), signal.SIGINT, "process", compiling, cold=True)
    eq(g.rc, -signal.SIGINT, "go is killed by SIGINT")

@test
def build_sigterm_to_gox():
    g, _ = compare("b-term-p", BUILD_A, sample(), signal.SIGTERM, "process", compiling, cold=True)
    eq(g.rc, -signal.SIGTERM, "go is killed by SIGTERM")

@test
def build_sighup_to_gox():
    # The terminal went away (ssh dropped): go dies of SIGHUP, and so must gox.
    g, _ = compare("b-hup-p", BUILD_A, sample(), signal.SIGHUP, "process", compiling, cold=True)
    eq(g.rc, -signal.SIGHUP, "go is killed by SIGHUP")

@test
def build_ctrl_c_to_the_group():
    g, _ = compare("b-int-g", BUILD_A, sample(), signal.SIGINT, "group", compiling, cold=True)
    eq(g.rc, -signal.SIGINT, "go is killed by SIGINT")

@test
def build_sigterm_to_the_group():
    compare("b-term-g", BUILD_A, sample(), signal.SIGTERM, "group", compiling, cold=True)

TEST_SLOW = ["test", "-count=1", "./slow"]

@test
def test_sigterm_to_gox_stops_the_test_binary():
    # Plain go dies and leaves the test binary running (see the comment);
    # gox must not leave it.
    g, _ = compare("t-term-p", TEST_SLOW, slow_module(), signal.SIGTERM, "process", test_binary_running,
                   extra_env={"SLOW_MS": "60000"})
    eq(g.rc, -signal.SIGTERM, "go is killed by SIGTERM")

@test
def test_ctrl_c_to_the_group():
    g, x = compare("t-int-g", TEST_SLOW, slow_module(), signal.SIGINT, "group", test_binary_running,
                   extra_env={"SLOW_MS": "60000"}, racy_stdout=True)
    check(x.secs < 30, f"gox did not wait for the 60 s test: {x!r}")

@test
def test_sigint_to_gox_alone_waits_like_go():
    # go test ignores an interrupt aimed at it alone (a terminal's ^C also
    # reaches the test binary): it waits for the test, then fails.
    g, x = compare("t-int-p", TEST_SLOW, slow_module(), signal.SIGINT, "process", test_binary_running,
                   extra_env={"SLOW_MS": "2500"}, racy_stdout=True)
    check(g.secs >= 2.5 and x.secs >= 2.5, f"both waited for the test: go {g!r}, gox {x!r}")

@test
def ignored_sighup_stays_ignored():
    # nohup: SIGHUP ignored from the start. go inherits that and carries on;
    # gox must not turn it into "forward SIGHUP to go".
    g, _ = compare("t-hup-ign", TEST_SLOW, slow_module(), signal.SIGHUP, "group", test_binary_running,
                   extra_env={"SLOW_MS": "2000"}, ignore=signal.SIGHUP)
    eq(g.rc, 0, "go ignores SIGHUP and the test passes")
    check(g.out.startswith(b"ok  \texample.com/sample/slow\t"), g.out)

SLOW_TOOL = """#!/bin/sh
# -toolexec: every tool run takes 1.5 s longer.
sleep 1.5
exec "$@"
"""

@test
def ignored_sigint_stays_ignored():
    # A background job of a non-interactive shell starts with SIGINT ignored;
    # go build keeps it so (and so do the tools it runs) and completes.
    mod = sample()
    tool = os.path.join(mod, "slowtool.sh")
    with open(tool, "w") as f:
        f.write(SLOW_TOOL)
    os.chmod(tool, 0o755)
    args = ["build", "-a", "-p=1", f"-toolexec={tool}", "-o", os.devnull, "./internal/words"]
    g, _ = compare("b-int-ign", args, mod, signal.SIGINT, "group", compiling, cold=True, ignore=signal.SIGINT)
    eq(g.rc, 0, "go ignores SIGINT and the build completes")

@test
def go_test_reacts_to_an_ignored_sigint_like_go():
    # go test (like go run) asks for SIGINT itself, ignored or not, and fails
    # the test it interrupts.
    compare("t-int-ign", TEST_SLOW, slow_module(), signal.SIGINT, "group", test_binary_running,
            extra_env={"SLOW_MS": "2000"}, ignore=signal.SIGINT, racy_stdout=True)

if __name__ == "__main__":
    try:
        run()
    finally:
        for d in _made:
            shutil.rmtree(d, ignore_errors=True)
