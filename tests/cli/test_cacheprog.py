#!/usr/bin/env python3
"""gox cacheprog against the real go: with GOCACHEPROG="gox cacheprog", go
build and go test give go's own output, exit code and binaries; plain go
then gets every hit from the same GOCACHE; and in front of a real remote
cache (bradfitz/go-tool-cache's go-cacher and go-cacher-server, built by
scripts/go-tool-cache at a pinned version) the record splits hits between
the local tier and the upstream correctly."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

def module(name, n):
    """examples/sample with one file added to internal/words, which the
    other packages import, so that the module's packages miss every template
    cache while the standard library hits."""
    mod = fresh_module(name)
    with open(os.path.join(mod, "internal", "words", "zz_cacheprog_edit.go"), "w") as f:
        f.write(f"package words\n\n// Added by test_cacheprog.\nconst cacheprogEdit = {n}\n")
    return mod

def copy_cache(template, name):
    dst = os.path.join(SCRATCH, f"cache-cacheprog-{name}-{os.getpid()}")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(template, dst, symlinks=True)
    return dst

def run_go(args, mod, cache, extra=None):
    # gox cacheprog records each go command in the history: a scratch one,
    # never the user's.
    env = go_env(cache, dict({"GOX_HISTORY": os.path.join(SCRATCH, f"history-cacheprog-{os.getpid()}.db")}, **(extra or {})))
    return subprocess.run(["go"] + args, cwd=mod, env=env, capture_output=True)

def normal(b):
    # go test's durations differ from run to run; nothing else may.
    return re.sub(rb"\b\d+\.\d+s\b", b"T", b)

def records(path):
    out = []
    for line in open(path):
        out.append(json.loads(line))
    return out

def requests(path):
    return [r for r in records(path) if r["event"] == "request"]

def problems(path):
    return [r["message"] for r in records(path) if r["event"] == "problem"]

def prog(record, *args):
    return " ".join([tap.GOX, "cacheprog", "--record=" + record] + list(args))

def plain_go_gets_every_hit(mod, cache, extra=None):
    """Plain go without GOCACHEPROG after a build and test through the
    cache program: everything from the same GOCACHE."""
    p = run_go(["build", "-x", "-o", os.path.join(mod, "out-again") + "/", "./..."], mod, cache, extra)
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    compiled = [l for l in p.stderr.decode().splitlines() if "/compile " in l or l.startswith("compile ")]
    eq(compiled, [], "plain go compiled after the cache program's build")
    p = run_go(["test", "./..."], mod, cache, extra)
    eq(p.returncode, 0, p.stdout.decode())
    lines = [l for l in p.stdout.decode().splitlines() if l.startswith("ok")]
    check(lines and all("(cached)" in l for l in lines), f"plain go test after: {lines}")

def same_as_plain_go(name, template, extra=None):
    """go build -o and go test through gox cacheprog give plain go's output,
    exit status and binary; afterwards plain go compiles nothing."""
    mod = module(name, 1)
    plain, viaprog = copy_cache(template, name + "-plain"), copy_cache(template, name + "-prog")
    record = os.path.join(viaprog, "record.jsonl")
    env = dict(extra or {}, GOCACHEPROG=prog(record))
    for args in (["build", "-o", "bin.out", "./..."], ["test", "./..."]):
        if args[0] == "build":
            args = ["build", "-o", os.path.join(mod, "out-plain") + "/", "./..."]
        a = run_go(args, mod, plain, extra)
        if args[0] == "build":
            args = ["build", "-o", os.path.join(mod, "out-prog") + "/", "./..."]
        b = run_go(args, mod, viaprog, env)
        eq(b.returncode, a.returncode, f"go {args[0]} exit status")
        eq(normal(b.stdout), normal(a.stdout), f"go {args[0]} stdout")
        eq(normal(b.stderr), normal(a.stderr), f"go {args[0]} stderr")
    bins = sorted(os.listdir(os.path.join(mod, "out-plain")))
    check(bins, "go build -o wrote binaries")
    eq(sorted(os.listdir(os.path.join(mod, "out-prog"))), bins, "binaries")
    for b in bins:
        eq(open(os.path.join(mod, "out-prog", b), "rb").read(), open(os.path.join(mod, "out-plain", b), "rb").read(),
           f"binary {b}")
    reqs = requests(record)
    gets = [r for r in reqs if r["cmd"] == "get"]
    puts = [r for r in reqs if r["cmd"] == "put"]
    check(len(gets) > 20 and len(puts) > 3, f"{len(gets)} gets, {len(puts)} puts")
    check(any(r["outcome"] == "hit" for r in gets) and any(r["outcome"] == "miss" for r in gets), "hits and misses")
    eq([r for r in reqs if r["outcome"] == "error"], [], "errors")
    eq(problems(record), [], "problems")
    check(all(r.get("source") == "local" for r in gets if r["outcome"] == "hit"), "every hit is local")
    plain_go_gets_every_hit(mod, viaprog, extra)
    p = run_go(["clean", "-cache"], mod, viaprog, extra)
    eq(p.returncode, 0, "go clean -cache")
    shutil.rmtree(plain, ignore_errors=True)
    shutil.rmtree(viaprog, ignore_errors=True)
    shutil.rmtree(mod, ignore_errors=True)

@test
def go_1_26_through_gox_cacheprog_is_plain_go():
    same_as_plain_go("go126", template_cache())

@test
def go_1_27_through_gox_cacheprog_is_plain_go():
    same_as_plain_go("go127", go127_template(), GO127)

def go_tool_cache():
    p = subprocess.run(["bash", os.path.join(tap.ROOT, "scripts", "go-tool-cache")], capture_output=True, text=True)
    check(p.returncode == 0, "scripts/go-tool-cache: " + p.stderr[-2000:])
    return p.stdout.strip()

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

class CacheServer:
    """go-cacher-server on 127.0.0.1, a free port and an empty directory;
    stopped by its PID."""
    def __init__(self, tools, name):
        self.dir = os.path.join(SCRATCH, f"go-cacher-server-{name}-{os.getpid()}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen([os.path.join(tools, "go-cacher-server"), f"--listen=127.0.0.1:{self.port}",
                                      "--cache-dir=" + os.path.join(self.dir, "data")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                check(self.proc.poll() is None and time.monotonic() < deadline,
                      "go-cacher-server did not start: " + open(self.log.name).read()[-1000:])
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

def build_through(tools, server, mod, cache, record, name):
    """go build ./... with gox cacheprog in front of go-cacher (its own disk
    tier empty: a new machine); the record's module-package gets split by
    where they were served from."""
    cacher_dir = os.path.join(SCRATCH, f"go-cacher-{name}-{os.getpid()}")
    shutil.rmtree(cacher_dir, ignore_errors=True)
    upstream = f"{os.path.join(tools, 'go-cacher')} --cache-dir={cacher_dir} --cache-server=http://127.0.0.1:{server.port}"
    if os.path.exists(record):
        os.remove(record)
    p = run_go(["build", "./..."], mod, cache, {"GOCACHEPROG": prog(record, f"'--upstream={upstream}'")})
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    eq(p.stderr, b"", "go's stderr")
    shutil.rmtree(cacher_dir, ignore_errors=True)
    reqs = requests(record)
    gets = [r for r in reqs if r["cmd"] == "get"]
    split = {"local": 0, "upstream": 0, "miss": 0, "upstream_asked": 0, "upstream_puts": 0}
    for r in gets:
        if r["outcome"] == "hit":
            split[r["source"]] += 1
        else:
            split["miss"] += 1
        if "upstream" in r:
            split["upstream_asked"] += 1
            check(r["local"]["outcome"] != "hit", f"a local hit reached the upstream: {r}")
    for r in reqs:
        if r["cmd"] == "put":
            eq(r["outcome"], "stored", f"put {r}")
            eq(r.get("upstream", {}).get("outcome"), "stored", f"upstream put {r}")
            split["upstream_puts"] += 1
    eq([r for r in gets if r.get("upstream", {}).get("outcome") == "error"], [], "upstream errors")
    split["missed"] = {r["action_id"] for r in gets if r["outcome"] != "hit"}
    split["put"] = {r["action_id"] for r in reqs if r["cmd"] == "put"}
    split["from_upstream"] = {r["action_id"] for r in gets if r.get("source") == "upstream"}
    return split

@test
def in_front_of_go_cacher_cold_warm_and_after_the_server_restarted_empty():
    tools = go_tool_cache()
    template = template_cache()
    mod = module("gocacher", 2)
    server = CacheServer(tools, "a")
    try:
        # Cold: the standard library hits locally (the template), the
        # module's packages miss both tiers and are put to both.
        cold_cache = copy_cache(template, "gocacher-cold")
        record = os.path.join(cold_cache, "record.jsonl")
        cold = build_through(tools, server, mod, cold_cache, record, "cold")
        check(cold["local"] > 20 and cold["upstream"] == 0 and cold["miss"] > 0, f"cold: {cold}")
        eq(cold["upstream_asked"], cold["miss"], f"cold: every local miss asked the upstream: {cold}")
        check(cold["upstream_puts"] > 0, f"cold puts: {cold}")
        # Warm, on a new machine (another copy of the template): the
        # module's packages come from the upstream, and are kept locally.
        warm_cache = copy_cache(template, "gocacher-warm")
        record = os.path.join(warm_cache, "record.jsonl")
        warm = build_through(tools, server, mod, warm_cache, record, "warm")
        # What misses now is what nobody put (go asks for some ids, such as
        # a main package's link, only now and then, and never puts them).
        eq(warm["missed"] & cold["put"], set(), "warm: misses of what the cold build put")
        check(warm["from_upstream"] and warm["from_upstream"] <= cold["put"], "warm: upstream hits are the cold build's puts")
        # Again on that machine: every hit is local, the upstream is not asked.
        again = build_through(tools, server, mod, warm_cache, record, "again")
        eq(again["upstream"], 0, f"again: {again}")
        # (go asks for some ids only now and then: a miss is one nobody put.)
        eq(again["missed"] & (cold["put"] | warm["put"]), set(), "again: misses of what was put")
        # The server restarted empty, a new machine: cold again.
        server.stop()
        server = CacheServer(tools, "b")
        empty_cache = copy_cache(template, "gocacher-empty")
        record = os.path.join(empty_cache, "record.jsonl")
        empty = build_through(tools, server, mod, empty_cache, record, "empty")
        eq(empty["upstream"], 0, f"after the restart: {empty}")
        check(empty["missed"] & cold["put"] and empty["put"], f"after the restart: the module's packages miss and are put again: {empty}")
        eq(empty["upstream_asked"], empty["miss"], "after the restart: every local miss asked the upstream")
        for c in (cold_cache, warm_cache, empty_cache):
            shutil.rmtree(c, ignore_errors=True)
    finally:
        server.stop()
        shutil.rmtree(mod, ignore_errors=True)


FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_cacheprog.py")

def through_fake(name, fake_args, store, mod, no_local=False):
    """go build and go test through gox cacheprog in front of the fake
    upstream: go's output and exit status are plain go's. The record's
    requests."""
    plain, viaprog = copy_cache(template_cache(), name + "-plain"), copy_cache(template_cache(), name + "-prog")
    record = os.path.join(viaprog, "record.jsonl")
    upstream = " ".join([sys.executable, FAKE, store] + fake_args)
    env = {"GOCACHEPROG": prog(record, f"'--upstream={upstream}'", *(["--no-local"] if no_local else []))}
    for args in (["build", "./..."], ["test", "./..."]):
        a = run_go(args, mod, plain)
        b = run_go(args, mod, viaprog, env)
        eq(b.returncode, a.returncode, f"{name}: go {args[0]} exit status: {b.stderr.decode(errors='replace')}")
        # (A test result the fake's store kept from an earlier build is cached.)
        eq(normal(b.stdout).replace(b"(cached)", b"T"), normal(a.stdout), f"{name}: go {args[0]} stdout")
        eq(normal(b.stderr), normal(a.stderr), f"{name}: go {args[0]} stderr")
    reqs, probs = requests(record), problems(record)
    for d in (plain, viaprog):
        shutil.rmtree(d, ignore_errors=True)
    return reqs, probs

def upstream_errors(reqs):
    return [r["upstream"]["error"] for r in reqs if r.get("upstream", {}).get("outcome") == "error"]

@test
def a_faulty_upstream_keeps_gos_output_and_records_why():
    store = os.path.join(SCRATCH, f"fake-store-{os.getpid()}")
    shutil.rmtree(store, ignore_errors=True)
    # One module for all (action ids depend on its directory), so the fake's
    # store has its outputs after the first builds.
    mod = module("faults", 3)
    # Errors on every third get: misses for go, each error recorded.
    reqs, probs = through_fake("errors", ["--fail-gets=3"], store, mod)
    errs = upstream_errors(reqs)
    check(errs and all(e == "fake upstream: injected get failure" for e in errs), errs)
    check(all(r["outcome"] == "miss" and r["error"] == r["upstream"]["error"] for r in reqs
              if r.get("upstream", {}).get("outcome") == "error"), "an upstream error is a miss for go, with its text")
    # Slow answers: recorded as the upstream's latency.
    reqs, probs = through_fake("slow", ["--slow-ms=150"], store, mod)
    slow = [r for r in reqs if r["cmd"] == "get" and "upstream" in r]
    check(slow and all(r["upstream"]["latency_us"] >= 150000 for r in slow), "slow gets' latency")
    # The store now has the module's outputs: a DiskPath that is gone is a
    # miss, recorded with the path.
    reqs, probs = through_fake("vanish", ["--vanish"], store, mod)
    errs = upstream_errors(reqs)
    check(errs and all(e.startswith("upstream DiskPath: read ") and "vanished-" in e for e in errs), errs)
    # An upstream that dies mid-build: the rest are errors naming its exit.
    reqs, probs = through_fake("dies", ["--die-after=4"], store, mod)
    errs = upstream_errors(reqs)
    check(errs and any("upstream exited: exit status 3" in e for e in errs), errs)
    # Pass-through: go gets the upstream's errors, which it takes as misses.
    # (seeded with the template, so the standard library is not compiled)
    reqs, probs = through_fake("passthrough", ["--fail-gets=5", "--seed=" + template_cache()], store, mod, no_local=True)
    check(any(r["outcome"] == "error" and r["error"] == "fake upstream: injected get failure" for r in reqs),
          "pass-through errors")
    check(all("local" not in r for r in reqs), "pass-through: no local tier")
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(mod, ignore_errors=True)

@test
def usage_errors_are_gox_usage_errors():
    p = gox("cacheprog", "--no-local")
    eq(p.returncode, 125, p.stderr)
    check(b"--no-local needs --upstream" in p.stderr, p.stderr)
    p = gox("cacheprog", "extra")
    eq(p.returncode, 125, p.stderr)

if __name__ == "__main__":
    run()
