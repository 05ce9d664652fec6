#!/usr/bin/env python3
"""gox cacheprog on its own (GOCACHEPROG="gox cacheprog" exported, as in a
shell or a CI job) against the real go 1.26 (and 1.27.3 for the main
scenario, with GOTOOLCHAIN): every go command that starts
it becomes one run of the history, marked as recorded by the cache program,
with go's verb and arguments and an unknown exit status; its packages come
from the action IDs an earlier gox run recorded, with hits and rebuilds as
go's own -x shows them; gox report renders it with the record's counts; go's
stdout, stderr and exit status are the same with and without the recording;
a `go build 2>&1 | cat` pipe ends while the detached writer still waits;
a run under the wrapper (gox build, gox --cacheprog build) is recorded
once, by the wrapper; and on a PostgreSQL history (a real server) the
packages come from the server's records, and a record made while the
server is stopped is spooled and sent by the next go command."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

cp = helpers_of("test_cacheprog")


class Setup:
    """A module, a warm cache copy, a history and a record of their own;
    GOCACHEPROG is gox cacheprog recording into the record file."""

    def __init__(self, name, n, cache=None, extra=None):
        self.name = name
        self.mod = cp.module("sa-" + name, n)
        self.cache = cache or cp.copy_cache(template_cache(), "sa-" + name)
        self.state = os.path.join(tap.SCRATCH, f"sa-state-{name}-{os.getpid()}")
        shutil.rmtree(self.state, ignore_errors=True)
        os.makedirs(self.state)
        self.db = os.path.join(self.state, "history.db")
        self.record = os.path.join(self.state, "record.jsonl")
        self.env = go_env(self.cache, {"GOX_HISTORY": self.db,
                                       "GOCACHEPROG": f"{tap.GOX} cacheprog --record={self.record}",
                                       **(extra or {})})

    def go(self, *args, extra=None):
        """Plain go; returns (process, the requests its cache program recorded)."""
        before = len(cp.requests(self.record)) if os.path.exists(self.record) else 0
        p = subprocess.run(["go"] + list(args), cwd=self.mod, env=dict(self.env, **(extra or {})),
                           capture_output=True)
        return p, cp.requests(self.record)[before:] if os.path.exists(self.record) else []

    def gox(self, *args, extra=None):
        return subprocess.run([tap.GOX] + list(args), cwd=self.mod, env=dict(self.env, **(extra or {})),
                              capture_output=True)

    def runs(self):
        p = self.gox("history", "--format=json")
        eq(p.returncode, 0, p.stderr.decode(errors="replace"))
        return json.loads(p.stdout)

    def report(self, run_id):
        p = self.gox("report", str(run_id), "--format=json", "--no-redact")
        eq(p.returncode, 0, p.stderr.decode(errors="replace"))
        return json.loads(p.stdout)

    def done(self):
        for d in (self.mod, self.cache, self.state):
            shutil.rmtree(d, ignore_errors=True)


def counts(reqs):
    """The totals of what go got, as the cache_program object has them."""
    gets = [r for r in reqs if r["cmd"] == "get"]
    puts = [r for r in reqs if r["cmd"] == "put"]
    return {"gets": len(gets), "hits": sum(r["outcome"] == "hit" for r in gets),
            "misses": sum(r["outcome"] == "miss" for r in gets), "errors": sum(r["outcome"] == "error" for r in gets),
            "puts": len(puts), "bytes_read": sum(r["bytes"] for r in gets if r["outcome"] == "hit"),
            "bytes_written": sum(r["bytes"] for r in puts if r["outcome"] != "error")}


def standalone_run(s, before, verb, args, reqs):
    """The one new run since `before` runs: recorded by the cache program,
    with go's verb and args; its report's cache_program counts are the
    record's. Returns (run, report)."""
    runs = s.runs()
    eq(len(runs), before + 1, f"{s.name}: one run per go command: {runs}")
    r = runs[0]
    eq(r["recorded_by"], "gox cacheprog", f"{s.name}: marked")
    eq((r["verb"], r["args"]), (verb, args), f"{s.name}: command")
    eq(r["exit_code"], None, f"{s.name}: exit status unknown")
    eq(r["module_root"], s.mod, f"{s.name}: module root")
    doc = s.report(r["id"])
    c = doc["cache_program"]
    want = counts(reqs)
    check(want["gets"] > 0, f"{s.name}: the record has gets")
    eq({k: c[k] for k in want}, want, f"{s.name}: cache_program against the record")
    eq(c["attributed_gets"] + c["unattributed_gets"], c["gets"], f"{s.name}: every get counted once")
    eq(doc["command"]["verb"], verb, f"{s.name}: report command")
    check("exit_code" not in doc["command"], f"{s.name}: no exit status in the report")
    return r, doc


def compiled(stderr):
    """The import paths go -x compiled (-p; main packages are -p main)."""
    out = []
    for line in stderr.decode(errors="replace").splitlines():
        if "/compile " in line or line.startswith("compile "):
            m = re.search(r" -p (\S+)", line)
            if m:
                out.append(m.group(1))
    return out


def outcomes(doc):
    return {p["import_path"]: p["outcome"] for p in doc["packages"] if not p["for_test"]}


def recorded_and_agree_with_go(s, go_version):
    """Plain go in s, from a fresh history: each command one run, recorded
    with go_version (the toolchain GOTOOLCHAIN chose); after the wrapper's
    run, the packages' outcomes are those go's -x shows (no-op, an edit, an
    empty cache). Leaves 5 runs."""
    # A fresh history: nothing to attribute the gets to.
    p, reqs = s.go("build", "./...")
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    r, doc = standalone_run(s, 0, "build", ["./..."], reqs)
    eq(r["go_version"], go_version, f"{s.name}: the go that ran")
    c = doc["cache_program"]
    eq(c["attributed_gets"], 0, "fresh history: nothing attributed")
    check(c["unattributed_gets"] > 0, f"fresh history: unattributed gets {c}")
    eq(doc["packages"], [], "fresh history: no packages")
    text = s.gox("history").stdout.decode()
    first = text.splitlines()[0]
    check("go build" in first and "exit ?" in first and "(recorded by gox cacheprog)" in first, text)
    check("exit status unknown" in s.gox("report", "--format=text").stdout.decode(), "text report")

    # The wrapper with GOCACHEPROG exported: one run, the wrapper's.
    summary = os.path.join(s.state, "summary.json")
    p = s.gox("--summary=" + summary, "--summary-format=json", "build", "./...")
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    runs = s.runs()
    eq(len(runs), 2, f"gox build: one run: {runs}")
    eq(runs[0]["recorded_by"], None, "the wrapper's run")
    eq(runs[0]["exit_code"], 0, "the wrapper's exit status")
    wrapped = {p["import_path"]: p for p in json.load(open(summary))["packages"] if not p["for_test"]}
    check(len(wrapped) > 20, "the wrapper's packages")

    # No-op: every package of the wrapper's run is a hit.
    p, reqs = s.go("build", "./...")
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    _, doc = standalone_run(s, 2, "build", ["./..."], reqs)
    got = outcomes(doc)
    eq(sorted(got), sorted(wrapped), "no-op: the wrapper's packages")
    eq(set(got.values()), {"cache_hit"}, "no-op: all hits")
    eq({p["import_path"]: p["action_id"] for p in doc["packages"]},
       {k: v["action_id"] for k, v in wrapped.items()}, "no-op: action IDs")

    # An edit of one package: it and what imports it get new action IDs (not
    # attributed, go -x compiles exactly those); the rest are hits.
    with open(os.path.join(s.mod, "internal", "greet", "zz_edit.go"), "w") as f:
        f.write("package greet\n\nconst standaloneEdit = 1\n")
    p, reqs = s.go("build", "-x", "./...")
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    runs_before_edit = 3
    edit_run, doc = standalone_run(s, runs_before_edit, "build", ["-x", "./..."], reqs)
    built = compiled(p.stderr)
    check("example.com/sample/internal/greet" in built, f"edit: go compiled {built}")
    got = outcomes(doc)
    eq(set(got.values()), {"cache_hit"}, "edit: the packages attributed are hits")
    eq(set(got) & set(built), set(), "edit: what go compiled is not among the hits")
    eq(sorted(got), sorted(k for k in wrapped if k not in built and not (wrapped[k]["main"] and "main" in built)),
       "edit: every other package a hit")
    check(doc["cache_program"]["unattributed_gets"] > 0, "edit: unattributed gets")
    # Each package go compiled missed on an action ID no run named: the
    # misses are counted, and the reports say so under the table.
    un = doc["cache_program"]["unattributed_misses"]
    check(un >= len(built), f"edit: {un} unattributed misses for {len(built)} compiled packages")
    for fmt_, want in (("markdown", f"of them misses, not tied to a package"), ("html", 'id="cacheprog-unattributed"')):
        q = s.gox("report", str(edit_run["id"]), f"--format={fmt_}")
        out = q.stdout.decode(errors="replace")
        check(q.returncode == 0 and want in out and f"{un} of them misses" in out,
              f"edit: the {fmt_} report tells the {un} unattributed misses: {out[-1500:]}")

    # An empty cache: every package go compiles is one the wrapper recorded:
    # each a miss and then a put, rebuilt, as -x shows.
    empty = os.path.join(s.state, "empty-cache")
    os.remove(os.path.join(s.mod, "internal", "greet", "zz_edit.go"))
    p, reqs = s.go("build", "-x", "./...", extra={"GOCACHE": empty})
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    _, doc = standalone_run(s, 4, "build", ["-x", "./..."], reqs)
    built = compiled(p.stderr)
    got = outcomes(doc)
    eq(set(got.values()), {"rebuilt"}, "empty cache: all rebuilt")
    eq(sorted(got), sorted(wrapped), "empty cache: the wrapper's packages")
    eq(sorted(k for k in got if not wrapped[k]["main"]), sorted(b for b in built if b != "main"),
       "empty cache: rebuilt as go -x compiled")
    eq(len(got), len(built), "empty cache: as many as go compiled")


@test
def plain_go_runs_are_recorded_and_agree_with_go():
    s = Setup("plain", 31)
    env = dict(s.env, GOCACHEPROG="")
    local = subprocess.run(["go", "env", "GOVERSION"], env=env, capture_output=True, text=True).stdout.strip()
    recorded_and_agree_with_go(s, local)

    # gox --cacheprog build: one run, the wrapper's.
    p = s.gox("--cacheprog", "build", "./...")
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    runs = s.runs()
    eq(len(runs), 6, f"gox --cacheprog build: one run: {[(r['id'], r['recorded_by']) for r in runs]}")
    eq(runs[0]["recorded_by"], None, "gox --cacheprog build: the wrapper's run")
    # Opting out: no run.
    for extra, args in (({"GOX_CACHEPROG_NO_HISTORY": "1"}, []),
                        ({"GOCACHEPROG": f"{tap.GOX} cacheprog --no-history"}, [])):
        p, _ = s.go("build", "./...", extra=extra)
        eq(p.returncode, 0, p.stderr.decode(errors="replace"))
        eq(len(s.runs()), 6, f"opted out ({extra}): no run")
    # go -C DIR from elsewhere: the command after -C, the module of DIR.
    p = subprocess.run(["go", "-C", s.mod, "build", "./..."], cwd=s.state, env=s.env, capture_output=True)
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    r = s.runs()[0]
    eq((r["verb"], r["args"], r["module_root"], r["recorded_by"]), ("build", ["./..."], s.mod, "gox cacheprog"),
       "go -C")
    s.done()


@test
def go_1_27_runs_are_recorded_and_agree_with_go():
    # GOTOOLCHAIN=go1.27.3: the go on PATH runs the 1.27.3 toolchain in its
    # place, which starts the cache program.
    s = Setup("plain127", 35, cache=cp.copy_cache(go127_template(), "sa-plain127"), extra=GO127)
    recorded_and_agree_with_go(s, "go1.27.3")
    s.done()


@test
def go_output_is_the_same_with_and_without_the_recording():
    a = Setup("same-rec", 32)
    b = Setup("same-off", 32)
    b.env["GOX_CACHEPROG_NO_HISTORY"] = "1"
    broken = "package words\n\nfunc Broken() int { return \"not an int\" }\n"
    for step in ("test", "vet", "broken"):
        for s in (a, b):
            if step == "broken":
                open(os.path.join(s.mod, "internal", "words", "zz_broken.go"), "w").write(broken)
        args = {"test": ["test", "./..."], "vet": ["vet", "./..."], "broken": ["build", "./..."]}[step]
        pa, _ = a.go(*args)
        pb, _ = b.go(*args)
        eq(pa.returncode, pb.returncode, f"{step}: exit status")
        eq(cp.normal(pa.stdout), cp.normal(pb.stdout), f"{step}: stdout")
        eq(cp.normal(pa.stderr), cp.normal(pb.stderr), f"{step}: stderr")
        if step == "broken":
            check(pa.returncode != 0 and b"not an int" in pa.stderr, "the broken build failed")
    eq([r["verb"] for r in a.runs()], ["build", "vet", "test"], "recorded")
    eq(os.path.exists(b.db), False, "not recorded")
    a.done()
    b.done()


def rows(db):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


@test
def a_pipe_of_gos_output_ends_before_the_detached_writer_writes():
    s = Setup("pipe", 33)
    for k in ("GOX_HISTORY_SYNC", "CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "JENKINS_URL",
              "TF_BUILD", "TEAMCITY_VERSION"):
        s.env.pop(k, None)
    # The detached writer sleeps 3 s with the lock held before it writes: the
    # pipe must have ended (every writer of it gone) while no run is recorded.
    env = dict(s.env, GOX_TEST_WRITER_DELAY_MS="3000")
    p = subprocess.run(["sh", "-c", "go build ./... 2>&1 | cat; echo piped"], cwd=s.mod, env=env,
                       capture_output=True, timeout=600)
    eq(p.stdout, b"piped\n", p.stderr.decode(errors="replace"))
    eq(rows(s.db), 0, "the pipe ended before the record was written")
    check(tap.writer_lock_held(s.db), "the detached writer holds the lock")
    runs = s.runs()  # waits for the writer
    eq([(r["verb"], r["recorded_by"]) for r in runs], [("build", "gox cacheprog")], "then recorded")
    s.done()


@test
def on_a_postgresql_history_and_spooled_while_it_is_away():
    from pgserver import PgServer
    with PgServer() as pg:
        url = pg.new_db("standalone")
        s = Setup("pg", 34)
        s.env.update({"GOX_HISTORY": url, "GOX_HISTORY_SPOOL": os.path.join(s.state, "spool.jsonl")})
        p = s.gox("--no-progress", "build", "./...")
        eq(p.returncode, 0, p.stderr.decode(errors="replace"))
        # A no-op: the packages from the server's record of the wrapper's run.
        p, reqs = s.go("build", "./...")
        eq((p.returncode, p.stderr), (0, b""), "go unchanged")
        r, doc = standalone_run(s, 1, "build", ["./..."], reqs)
        got = outcomes(doc)
        check(len(got) > 20 and set(got.values()) == {"cache_hit"}, f"hits from the server's record: {got}")
        # The server stopped: go unchanged, the record spooled.
        pg.stop()
        p, _ = s.go("vet", "./...")
        eq((p.returncode, p.stderr), (0, b""), "go unchanged with the server away")
        with open(s.env["GOX_HISTORY_SPOOL"]) as f:
            eq(len([l for l in f if l.strip()]), 1, "the record is spooled")
        pg.start()
        # The next go command that reaches the server sends it first.
        p, _ = s.go("build", "./...")
        eq(p.returncode, 0, p.stderr.decode(errors="replace"))
        runs = s.runs()
        eq([(x["verb"], x["recorded_by"]) for x in runs[:3]],
           [("build", "gox cacheprog"), ("vet", "gox cacheprog"), ("build", "gox cacheprog")], "drained in order")
        with open(s.env["GOX_HISTORY_SPOOL"]) as f:
            eq(f.read().strip(), "", "the spool is empty")
        s.done()


if __name__ == "__main__":
    run()
