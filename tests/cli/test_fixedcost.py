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
  else changes (stdout and go's stderr byte for byte as without it)."""
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


if __name__ == "__main__":
    run()
