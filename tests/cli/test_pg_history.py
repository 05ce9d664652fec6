#!/usr/bin/env python3
"""The history on a real PostgreSQL 15 server (pgserver.py: started here,
stopped by PID at the end), with real go:
  - 16 concurrent `gox build` runs from 4 simulated machines (GOX_HOST and a
    CI job id each, a checkout and a GOCACHE each, one database) are all
    recorded, exactly once each, and `gox stats` counts them exactly;
  - a second machine's run gets cross-machine reasons from the first's
    record (inputs_changed, not no_history) and a note naming that run;
  - wrong credentials, an unreachable host, a server killed while go runs
    and a statement timeout (a lock held by another session) each keep go's stdout and exit status, add exactly one warning line,
    and spool the record, which is in the database after the next run that
    reaches the server."""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
from pgserver import BIN, PgServer  # noqa: E402

PG = None
EDIT = "\nfunc Extra() int { return 42 }\n"

def note(msg):
    print("# " + msg, flush=True)

class Machine:
    """A simulated CI machine: its own checkout, GOCACHE and spool."""
    def __init__(self, name, url, job_id, branch="main", job="build"):
        self.mod = fresh_module(f"pg-{name}")
        self.cache = fresh_cache(f"pg-{name}")
        self.spool = os.path.join(self.mod, ".gox-spool.jsonl")
        self.env = go_env(self.cache, {"GOX_HISTORY": url, "GOX_HOST": name, "GOX_JOB": job,
                                       "GOX_JOB_ID": job_id, "GOX_BRANCH": branch, "GOX_HISTORY_SPOOL": self.spool})

    def gox(self, *args, extra=None):
        env = dict(self.env, **(extra or {}))
        opts = ["--no-progress"] if args and args[0] not in ("history", "diff", "explain", "report", "stats") else []
        return subprocess.run([GOX, *opts, *args], cwd=self.mod, env=env, capture_output=True)

    def go(self, *args):
        return subprocess.run(["go", *args], cwd=self.mod, env=self.env, capture_output=True)

    def edit(self, text=EDIT):
        with open(os.path.join(self.mod, "internal", "words", "words.go"), "a") as f:
            f.write(text)

    def spooled(self):
        if not os.path.exists(self.spool):
            return 0
        with open(self.spool) as f:
            return sum(1 for line in f if line.strip())

    def done(self):
        shutil.rmtree(self.mod, ignore_errors=True)
        shutil.rmtree(self.cache, ignore_errors=True)

def count(db, where="true"):
    return int(PG.psql(f"SELECT count(*) FROM runs WHERE {where}", db=db))

@test
def sixteen_concurrent_runs_from_four_machines():
    url = PG.new_db("fleet")
    machines = [Machine(f"m{i}", url, f"job-{i}", job=f"build-{i % 2}") for i in range(4)]
    results = []
    lock = threading.Lock()
    def one(m, k):
        r = m.gox("build", "./...", extra={"GOX_JOB_ID": f"{m.env['GOX_JOB_ID']}.{k}"})
        with lock:
            results.append((m, r))
    threads = [threading.Thread(target=one, args=(m, k)) for m in machines for k in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    note(f"16 concurrent runs: {time.monotonic() - t0:.1f}s")
    eq(len(results), 16)
    for m, r in results:
        eq(r.returncode, 0, f"gox build on {m.env['GOX_HOST']}: {r.stderr[-600:]!r}")
        check(b"warning" not in r.stderr, f"no warning: {r.stderr[-600:]!r}")
    eq(count("fleet"), 16, "every run recorded once")
    for i in range(4):
        eq(count("fleet", f"host='m{i}'"), 4, f"machine m{i}'s runs")
    eq(int(PG.psql("SELECT count(DISTINCT job_id) FROM runs", db="fleet")), 16, "each run its own job id")
    eq(int(PG.psql("SELECT count(DISTINCT project) FROM runs", db="fleet")), 1, "one project")
    check(int(PG.psql("SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM packages p WHERE p.run_id=r.id)",
                      db="fleet")) == 0, "every run has its packages")
    # gox history reads the server too.
    h = machines[0].gox("history", "--all", "--format=json")
    eq(h.returncode, 0, f"gox history: {h.stderr!r}")
    eq(len(json.loads(h.stdout)), 16, "gox history lists the 16 runs")
    # gox stats counts them exactly: in all, per CI job (two jobs of two
    # machines each), per host and per project, and their package records.
    st = machines[1].gox("stats", "--format=json")
    eq(st.returncode, 0, f"gox stats: {st.stderr!r}")
    s = json.loads(st.stdout)
    eq(s["schema_version"], 1, "stats schema")
    eq(s["runs"], 16, "gox stats counts the 16 runs")
    eq({j["job"]: j["runs"] for j in s["by_job"]}, {"build-0": 8, "build-1": 8}, "runs per job")
    eq({h["host"]: h["runs"] for h in s["by_host"]}, {f"m{i}": 4 for i in range(4)}, "runs per host")
    eq([(p["project"], p["runs"]) for p in s["by_project"]], [("example.com/sample", 16)], "runs per project")
    eq(sum(d["runs"] for d in s["by_day"]), 16, "runs by day")
    for key, outcomes in (("hits", "'cache_hit'"), ("misses", "'rebuilt','failed'")):
        want = int(PG.psql(f"SELECT count(*) FROM packages WHERE variant<>'(test result)' AND outcome IN ({outcomes})",
                           db="fleet"))
        eq(s["packages"][key], want, f"package {key}")
    eq(s["failures"], {"runs": 0, "classes": []}, "no failures")
    one = machines[2].gox("stats", "--format=json", "--project=example.com/sample", "--since=1h")
    eq((one.returncode, json.loads(one.stdout)["runs"]), (0, 16), f"--project, --since: {one.stderr!r}")
    bad = machines[2].gox("stats", "--project=example.com/nope")
    eq(bad.returncode, 125, "an unknown project")
    check(b"example.com/sample" in bad.stderr, f"the error lists the projects: {bad.stderr!r}")
    # Retention per project: --keep=4 leaves the project's newest 4 runs.
    r = machines[0].gox("--keep=4", "build", "./...")
    eq(r.returncode, 0, f"--keep: {r.stderr!r}")
    eq(count("fleet"), 4, "--keep=4 pruned the project to 4 runs")
    eq(count("fleet", "host='m0'"), int(PG.psql("SELECT count(*) FROM runs WHERE host='m0'", db="fleet")), "")
    for m in machines:
        m.done()

@test
def second_machine_gets_reasons_from_the_first():
    url = PG.new_db("xmachine")
    a = Machine("alpha", url, "101")
    b = Machine("beta", url, "202")
    r = a.gox("build", "./...")
    eq(r.returncode, 0, f"machine A: {r.stderr!r}")
    run_a = PG.psql("SELECT id FROM runs", db="xmachine")
    # B's checkout differs from A's (an edit), B never ran before.
    b.edit()
    summary = os.path.join(b.mod, "summary.json")
    r = b.gox("--summary-format=json", f"--summary={summary}", "build", "./...")
    eq(r.returncode, 0, f"machine B: {r.stderr!r}")
    doc = json.load(open(summary))
    words = [p for p in doc["packages"] if p["import_path"].endswith("internal/words")]
    check(words, "the edited package is in the summary")
    eq(words[0].get("reason"), "inputs_changed", f"B compared with A's record: {words[0]}")
    notes = " ".join(doc.get("notes", []))
    check(f"compare with run {run_a} (host alpha" in notes, f"a note names A's run: {notes!r}")
    a.done()
    b.done()

def failing_run(label, url, server_stop=None, extra=None):
    """Plain go and gox in twin checkouts (each edited and broken, so go
    compiles and fails): gox's stdout and exit status are go's, its stderr is
    go's plus one warning line, and its record is spooled."""
    g = Machine(f"{label}-go", url, f"{label}-go")
    x = Machine(f"{label}", url, f"{label}-1")
    x.env.update(extra or {})
    broken = EDIT + "\nfunc Broken() int { return \"no\" }\n"
    g.edit(broken)
    x.edit(broken)
    go = g.go("build", "./...")
    t0 = time.monotonic()
    if server_stop:
        # go, slowed down by a second, so that the server goes while it runs.
        slow = os.path.join(x.mod, "slowgo")
        with open(slow, "w") as f:
            f.write("#!/bin/sh\nsleep 1\nexec go \"$@\"\n")
        os.chmod(slow, 0o755)
        proc = subprocess.Popen([GOX, "--no-progress", f"--go={slow}", "build", "./..."], cwd=x.mod, env=x.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        server_stop()
        out, err = proc.communicate()
        gx = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    else:
        gx = x.gox("build", "./...")
    took = time.monotonic() - t0
    eq(gx.returncode, go.returncode, f"exit status ({gx.stderr[-600:]!r})")
    check(go.returncode != 0, "the broken build fails")
    eq(gx.stdout, go.stdout, "stdout")
    check(gx.stderr.startswith(go.stderr), f"go's stderr first: {go.stderr[-300:]!r} / {gx.stderr[-600:]!r}")
    extra = gx.stderr[len(go.stderr):].decode(errors="replace")
    warnings = [l for l in extra.splitlines() if l.startswith("gox: warning:")]
    eq(len(warnings), 1, f"one warning line: {extra!r}")
    check(x.spool in warnings[0], f"the warning names the spool: {warnings[0]!r}")
    eq(x.spooled(), 1, "the record is spooled")
    note(f"{label}: gox took {took:.1f}s; {warnings[0]}")
    g.done()
    return x, took

def drained(x, good_url, db, label):
    """The next run that reaches the server sends the spooled record first."""
    x.env["GOX_HISTORY"] = good_url
    with open(os.path.join(x.mod, "internal", "words", "words.go")) as f:
        src = f.read().replace("\nfunc Broken() int { return \"no\" }\n", "")
    with open(os.path.join(x.mod, "internal", "words", "words.go"), "w") as f:
        f.write(src)
    r = x.gox("build", "./...")
    eq(r.returncode, 0, f"next run: {r.stderr!r}")
    check(b"warning" not in r.stderr, f"no warning now: {r.stderr!r}")
    eq(count(db, f"job_id='{label}-1' AND exit_code<>0"), 1, "the spooled run is in the database")
    eq(count(db, f"job_id='{label}-1'"), 2, "and the run that sent it")
    eq(x.spooled(), 0, "the spool is empty")
    x.done()

@test
def wrong_password_keeps_the_build_and_spools():
    url = PG.new_db("badpw")
    x, _ = failing_run("badpw", PG.url("badpw", password="wrong"))
    drained(x, url, "badpw", "badpw")

@test
def unreachable_host_is_bounded_and_spools():
    PG.new_db("unreach")
    # A host that takes the connection and never answers (a listening socket
    # nobody accepts on): the connect waits for gox's own bound (1.5 s in
    # all). The server is named the libpq way: GOX_HISTORY=postgresql://
    # and PG* variables, the same URI before and after.
    import socket
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    pgenv = {"PGHOST": "127.0.0.1", "PGPORT": str(hole.getsockname()[1]), "PGUSER": "gox",
             "PGPASSWORD": "secret", "PGDATABASE": "unreach"}
    try:
        x, took = failing_run("unreach", "postgresql://", extra=pgenv)
    finally:
        hole.close()
    check(took < 8, f"bounded: {took:.1f}s")
    x.env["PGPORT"] = str(PG.port)
    drained(x, "postgresql://", "unreach", "unreach")

@test
def server_killed_mid_run_keeps_the_build_and_spools():
    url = PG.new_db("killed")
    def kill():
        time.sleep(0.5)
        PG.stop(signal.SIGQUIT) # an immediate shutdown: every connection dropped
    try:
        x, _ = failing_run("killed", url, server_stop=kill)
    finally:
        PG.start()
    drained(x, url, "killed", "killed")

@test
def statement_timeout_keeps_the_build_and_spools():
    PG.new_db("stmt")
    url = PG.url("stmt") + "?options=-c%20statement_timeout%3D700"
    pre = Machine("stmt-pre", url, "pre")
    eq(pre.gox("build", "./...").returncode, 0, "the schema made")
    pre.done()
    # Another session holds every run row locked: gox's reads wait for the
    # statement timeout.
    holder = subprocess.Popen(
        [f"{BIN}/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(PG.port), "-U", "gox", "-d", "stmt", "-c",
         "BEGIN; LOCK TABLE runs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)"],
        env=dict(os.environ, PGPASSWORD="secret"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if PG.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid=l.relation "
                       "WHERE c.relname='runs' AND l.mode='AccessExclusiveLock' AND l.granted", db="stmt") != "0":
                break
            time.sleep(0.1)
        x, took = failing_run("stmt", url)
        check(took < 15, f"bounded: {took:.1f}s")
    finally:
        # The session's backend, not only psql: pg_sleep does not notice its
        # client leaving.
        PG.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' "
                "AND pid <> pg_backend_pid()", db="stmt")
        holder.terminate()
        holder.wait()
    drained(x, url, "stmt", "stmt")

if __name__ == "__main__":
    PG = PgServer()
    try:
        run()
    finally:
        PG.close()
