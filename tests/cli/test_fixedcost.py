#!/usr/bin/env python3
"""The fixed cost of a wrapped run, as behaviour (speed itself is measured in
bench/fixed_cost.py, never here):

  the environment fingerprint is reused from $XDG_CACHE_HOME/gox/
  env-fingerprint.json while its inputs are unchanged, and asked from go env
  again when the go.mod, an environment variable go reads, or the go.mod
  files on the way up from the build's dir change (the dir and -C are part
  of the key too): each is proved by planting a marker value in the stored entry and
  seeing whether the summary's environment carries it;
  the fingerprint asked while go builds sees the user's environment, not the
  GODEBUG gox gives go for --why;
  GOX_TIMING=1 adds exactly one line of step times on stderr, and nothing
  else changes (stdout and go's stderr byte for byte as without it);
  the history record is written by a detached child after gox has exited
  (history/deferred.hpp): gox's pipes reach EOF while the child still holds
  the writer lock, the next `gox history` waits for it and lists the run,
  records of runs in a row land in order, what the child could not write is
  told by the next gox, and on CI (CI=true) the record is written before gox
  exits."""
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

MARKER = "go0.0-planted"


class Mod:
    def __init__(self, name):
        self.mod = fresh_module("fc-" + name)
        self.cache = fresh_cache("fc-" + name)
        self.xdg = tempfile.mkdtemp(prefix="xdg-fc-", dir=tap.SCRATCH)
        self.env = go_env(self.cache, {"XDG_CACHE_HOME": self.xdg})
        self.store = os.path.join(self.xdg, "gox", "env-fingerprint.json")
        self.n = 0

    def gox(self, *args, extra_env=None, cwd=None, opts=()):
        self.n += 1
        summary = os.path.join(self.xdg, f"summary{self.n}.json")
        env = dict(self.env, **(extra_env or {}))
        p = subprocess.run([GOX, f"--summary={summary}", "--summary-format=json", "--no-history"] + list(opts)
                           + list(args), cwd=cwd or self.mod, env=env, capture_output=True, timeout=600)
        eq(p.returncode, 0, f"gox {' '.join(args)}: {p.stderr.decode(errors='replace')[-1500:]}")
        with open(summary) as f:
            return json.load(f)["environment"], p

    def plant(self):
        """Puts the marker into every stored entry's GOVERSION."""
        with open(self.store) as f:
            j = json.load(f)
        check(len(j["entries"]) >= 1, "a stored fingerprint")
        for e in j["entries"]:
            e["env"]["GOVERSION"] = MARKER
        with open(self.store, "w") as f:
            json.dump(j, f)

    def done(self):
        for d in (self.mod, self.cache, self.xdg):
            shutil.rmtree(d, ignore_errors=True)


def go_version(env):
    return subprocess.run(["go", "env", "GOVERSION"], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@test
def fingerprint_reused_while_inputs_unchanged():
    m = Mod("reuse")
    real = go_version(m.env)
    env, _ = m.gox("build", "./...")
    eq(env["GOVERSION"], real, "first run asks go env")
    check(os.path.exists(m.store), "the fingerprint is stored")
    with open(m.store) as f:
        eq(len(json.load(f)["entries"]), 1, "stored entries")

    m.plant()
    env, _ = m.gox("build", "./...")
    eq(env["GOVERSION"], MARKER, "unchanged inputs: the stored fingerprint is used")
    eq(env["GOMOD"], os.path.join(m.mod, "go.mod"), "GOMOD of the reused fingerprint")

    # go.mod changed (its toolchain or go line can change GOVERSION).
    st = os.stat(os.path.join(m.mod, "go.mod"))
    os.utime(os.path.join(m.mod, "go.mod"), (st.st_atime, st.st_mtime + 2))
    env, _ = m.gox("build", "./...")
    eq(env["GOVERSION"], real, "go.mod touched: go env asked again")

    # A variable go reads.
    m.plant()
    env, _ = m.gox("build", "./...", extra_env={"CGO_ENABLED": "0"})
    eq(env["GOVERSION"], real, "CGO_ENABLED set: go env asked again")
    eq(env["CGO_ENABLED"], "0", "CGO_ENABLED of the new fingerprint")
    # Both entries are kept: back to the first environment reuses the
    # (planted) first one.
    m.plant()
    env, _ = m.gox("build", "./...")
    eq(env["GOVERSION"], MARKER, "the earlier environment's entry is still there")

    # A go.mod appearing between the dir and the module root (here: the
    # build's dir becomes a module of its own) is seen.
    sub = os.path.join(m.mod, "internal", "words")
    env, _ = m.gox("build", ".", cwd=sub)
    with open(os.path.join(sub, "go.mod"), "w") as f:
        f.write("module example.com/words\n\ngo 1.19\n")
    m.plant()
    env, _ = m.gox("build", ".", cwd=sub)
    eq(env["GOVERSION"], real, "a new go.mod on the way up: go env asked again")
    eq(env["GOMOD"], os.path.join(sub, "go.mod"), "GOMOD is the new module's")
    m.done()


@test
def fingerprint_sees_users_godebug_not_gox_why():
    m = Mod("why")
    env, _ = m.gox("build", "./...", opts=("--why",), extra_env={"GODEBUG": "panicnil=1"})
    eq(env["GODEBUG"], "panicnil=1", "GODEBUG in the fingerprint (asked while go ran with gocachehash=1)")
    m.done()


@test
def timing_adds_one_line_only():
    m = Mod("timing")
    go_run = subprocess.run(["go", "build", "./..."], cwd=m.mod, env=m.env, capture_output=True)
    _, plain = m.gox("build", "./...")
    _, timed = m.gox("build", "./...", extra_env={"GOX_TIMING": "1"})
    eq(plain.stdout, go_run.stdout, "stdout")
    eq(timed.stdout, go_run.stdout, "stdout with GOX_TIMING")
    lines = timed.stderr.decode().splitlines()
    timing = [line for line in lines if line.startswith("gox: timing:")]
    eq(len(timing), 1, "timing lines")
    eq([line for line in lines if not line.startswith("gox: timing:")], plain.stderr.decode().splitlines(),
       "the rest of stderr")
    # Every step has its wall and CPU milliseconds; the total after go is last.
    parts = [p.strip() for p in timing[0][len("gox: timing:"):].split(",")]
    steps = [re.fullmatch(r"(.+) ([0-9.]+) ms \(cpu ([0-9.]+)\)", p) for p in parts]
    check(all(steps), f"steps: {parts}")
    names = [m.group(1) for m in steps]
    check("go" in names, f"a go step: {names}")
    eq(names[-1], "after go", "the last step")
    after = sum(float(m.group(2)) for m in steps[names.index("go") + 1:-1])
    check(abs(after - float(steps[-1].group(2))) < 0.5 + 0.01 * after, f"after go is the sum of the steps after go: {parts}")
    m.done()


class Hist:
    """A module, a warm cache and a history of its own; gox as a user runs it
    (no GOX_HISTORY_SYNC, which scripts/test sets for every other suite)."""

    def __init__(self, name):
        self.mod = fresh_module("fh-" + name)
        self.cache = fresh_cache("fh-" + name)
        self.state = tempfile.mkdtemp(prefix="state-fh-", dir=tap.SCRATCH)
        self.db = os.path.join(self.state, "history.db")
        env = go_env(self.cache, {"GOX_HISTORY": self.db})
        for k in ("GOX_HISTORY_SYNC", "CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "JENKINS_URL",
                  "TF_BUILD", "TEAMCITY_VERSION"):
            env.pop(k, None)
        self.env = env

    def run(self, *args, extra_env=None):
        env = dict(self.env, **(extra_env or {}))
        return subprocess.run([GOX] + list(args), cwd=self.mod, env=env, capture_output=True, timeout=600)

    def lock_held(self):
        return tap.writer_lock_held(self.db)

    def runs(self):
        p = self.run("history", "--format=json")
        eq(p.returncode, 0, p.stderr.decode(errors="replace"))
        return json.loads(p.stdout), p

    def done(self):
        # A detached writer may still be at work: wait for it first.
        self.runs()
        for d in (self.mod, self.cache, self.state):
            shutil.rmtree(d, ignore_errors=True)


@test
def history_written_after_gox_exits():
    h = Hist("after")
    tmp = tempfile.mkdtemp(prefix="tmp-fh-", dir=tap.SCRATCH)
    # The writer sleeps 3 s before it writes: gox itself must be gone by then,
    # with its stdout and stderr closed (capture_output reads to EOF).
    p = h.run("build", "./...", extra_env={"GOX_TEST_WRITER_DELAY_MS": "3000", "TMPDIR": tmp})
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    check(h.lock_held(), "the detached writer holds the lock after gox and its pipes are done")
    check(any(n.startswith("gox-") for n in os.listdir(tmp)), f"gox's temp dir is the writer's to remove: {os.listdir(tmp)}")
    runs, q = h.runs()  # waits for the writer
    check(not h.lock_held(), "the writer is done once gox history has answered")
    eq(os.listdir(tmp), [], "the writer removed gox's temp dir")
    shutil.rmtree(tmp)
    eq(len(runs), 1, f"runs recorded: {runs}")
    eq(runs[0]["verb"], "build")
    eq(q.stderr, b"", "no warnings")
    h.done()


@test
def history_records_in_order_and_reports_child_failures():
    h = Hist("order")
    for args in (["build", "./..."], ["vet", "./..."], ["test", "./..."]):
        p = h.run(*args, extra_env={"GOX_TEST_WRITER_DELAY_MS": "300"})
        check(p.returncode in (0, 1), p.stderr.decode(errors="replace"))
    runs, _ = h.runs()
    verbs = [r["verb"] for r in runs]
    # gox history lists the newest first.
    eq([v for v in verbs if v in ("build", "test")], ["test", "build"], f"order of {verbs}")
    p = h.run("build", "./...", extra_env={"GOX_TEST_FAULT": "history"})
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    check(b"injected fault" not in p.stderr, "the failing writer's message is not on the run's own stderr")
    _, q = h.runs()
    err = q.stderr.decode()
    check("injected fault (GOX_TEST_FAULT=history)" in err and "this run was not recorded" in err,
          f"the next gox tells what the writer could not do: {err!r}")
    _, q = h.runs()
    eq(q.stderr, b"", "told once")
    h.done()


@test
def history_written_before_exit_on_ci():
    h = Hist("ci")
    p = h.run("build", "./...", extra_env={"CI": "true", "GOX_TEST_WRITER_DELAY_MS": "3000"})
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    check(not h.lock_held(), "on CI no writer outlives gox")
    with __import__("sqlite3").connect(f"file:{h.db}?mode=ro", uri=True) as con:
        eq(con.execute("SELECT count(*) FROM runs").fetchone()[0], 1, "recorded before gox exited")
    h.done()


if __name__ == "__main__":
    run()
