#!/usr/bin/env python3
"""Hostile and odd input: gox never crashes, never hangs, never loses or
changes the user's output, and its memory stays bounded.

Two paths are fed each input: `gox parse` (a saved trace: a CI log, a ticket
attachment), and the wrapper, with a stand-in go (--go) that prints the input
on stderr and exits with a chosen code; there gox's stderr must be exactly the
lines plain go would have shown (the input without the -x trace lines gox
asked for) and its exit code go's. Where the odd input can come from the real
go (a WORK dir with spaces, quotes inside env prefixes), the real go makes it.
Peak memory is each gox process's maxrss (wait4), reported as TAP comments."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403

SAMPLES = os.path.join(ROOT, "trace_samples")
MB = 1 << 20

def note(msg):
    print("# " + msg, flush=True)

def scratch(name):
    os.makedirs(SCRATCH, exist_ok=True)
    return tempfile.mkdtemp(prefix=f"hostile-{name}-", dir=SCRATCH)

def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()

def asan_env(env=None):
    """An ASan build keeps up to 256 MB of freed memory in quarantine, which
    would hide what gox itself keeps: make the quarantine small (no effect on
    a normal build)."""
    env = dict(os.environ if env is None else env)
    opts = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "quarantine_size_mb=4:malloc_context_size=4"
    return env

class Run:
    def __init__(self, rc, out, err, rss_mb, secs):
        self.rc, self.out, self.err, self.rss_mb, self.secs = rc, out, err, rss_mb, secs

def measured(argv, env=None, cwd=None, timeout=600):
    """Runs argv with stdout/stderr to files; returns a Run with its peak RSS
    (GNU time's %M: measured in a small parent, not in this Python process,
    whose pages a forked child would count until it execs)."""
    with tempfile.TemporaryFile(dir=SCRATCH) as out, tempfile.TemporaryFile(dir=SCRATCH) as err, \
            tempfile.NamedTemporaryFile(dir=SCRATCH) as rss:
        t0 = time.monotonic()
        try:
            p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *argv], stdin=subprocess.DEVNULL,
                               stdout=out, stderr=err, env=asan_env(env), cwd=cwd, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{argv[:3]} hung (no exit after {timeout}s)")
        secs = time.monotonic() - t0
        words = open(rss.name).read().split()
        rc = p.returncode
        if words and words[0] == "Command":  # "Command exited with non-zero status N" / "terminated by signal"
            rc = -int(words[-2]) if "signal" in words else int(words[5])
        out.seek(0)
        err.seek(0)
        return Run(rc, out.read(), err.read(), int(words[-1]) / 1024, secs)

def parse(data, name, *extra):
    """gox parse --format=json over data: (parsed JSON, Run). Checks exit 0,
    strictly valid JSON (UTF-8) and an empty stderr."""
    d = scratch(name)
    path = os.path.join(d, "trace")
    with open(path, "wb") as f:
        f.write(data)
    r = measured([GOX, "parse", "--format=json", *extra, path])
    shutil.rmtree(d, ignore_errors=True)
    eq(r.rc, 0, f"gox parse exit status (stderr {r.err[-500:]!r})")
    eq(r.err, b"", "gox parse stderr")
    j = json.loads(r.out.decode("utf-8"))  # strict: invalid UTF-8 would raise here
    note(f"{name}: parse {len(data)} bytes: {r.secs:.1f}s, peak RSS {r.rss_mb:.0f} MB")
    return j, r

FAKE_GO = """#!/bin/sh
# A stand-in for go: `go env -json` answers {}; anything else prints the file
# $FAKE_STDERR on stderr and exits with $FAKE_EXIT.
if [ "$1" = env ]; then echo '{}'; exit 0; fi
cat "$FAKE_STDERR" >&2
exit "${FAKE_EXIT:-0}"
"""

def wrapped(stderr_bytes, name, exit_code=0, extra_env=None):
    """gox --summary=off build with the stand-in go printing stderr_bytes."""
    d = scratch(name)
    go = os.path.join(d, "go")
    with open(go, "w") as f:
        f.write(FAKE_GO)
    os.chmod(go, 0o755)
    err_file = os.path.join(d, "stderr")
    with open(err_file, "wb") as f:
        f.write(stderr_bytes)
    env = dict(os.environ, FAKE_STDERR=err_file, FAKE_EXIT=str(exit_code))
    env.update(extra_env or {})
    r = measured([GOX, f"--go={go}", "--summary=off", "--no-progress", "--no-history", "build", "./..."],
                 env=env, cwd=d)
    shutil.rmtree(d, ignore_errors=True)
    note(f"{name}: wrapper over {len(stderr_bytes)} bytes: {r.secs:.1f}s, peak RSS {r.rss_mb:.0f} MB")
    return r

def same_bytes(got, want, what):
    if got != want:
        i = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]), min(len(got), len(want)))
        raise AssertionError(f"{what}: {len(got)} bytes, want {len(want)}; first difference at {i}: "
                             f"got {got[max(0, i - 40):i + 40]!r}, want {want[max(0, i - 40):i + 40]!r}")

# What a real cold build trace shows without -x: only the lines after "# pkg"
# headers (none in this sample); all of it is trace.
COLD = sample("go126-cold-build.trace")
COLD_PKGS = None

def cold_packages():
    global COLD_PKGS
    if COLD_PKGS is None:
        j, _ = parse(COLD, "cold-reference")
        COLD_PKGS = sorted((p["import_path"], p["outcome"]) for p in j["packages"])
        check(len(COLD_PKGS) > 20, f"the sample has packages: {COLD_PKGS}")
    return COLD_PKGS

def packages(j):
    return sorted((p["import_path"], p["outcome"]) for p in j["packages"])

@test
def empty_input():
    j, _ = parse(b"", "empty")
    eq(j["summary"]["lines"], 0, "lines")
    eq(j["packages"], [], "packages")
    r = wrapped(b"", "empty", exit_code=3)
    eq(r.rc, 3, "go's exit status")
    eq(r.err, b"", "stderr")
    eq(r.out, b"", "stdout")

@test
def only_crlf():
    data = b"\r\n" * 5000
    j, _ = parse(data, "crlf")
    eq(j["summary"]["lines"], 5000, "every line counted")
    eq(j["packages"], [], "packages")
    r = wrapped(data, "crlf", exit_code=1)
    eq(r.rc, 1, "go's exit status")
    same_bytes(r.err, data, "blank CRLF lines are go's output: passed on as they are")

def with_user_lines(trace, user_lines):
    """trace with a '# pkg' block (user output) inserted after every 100th
    line (or the first line after it outside a heredoc, where go could print
    it): returns (the whole stderr, what plain go shows)."""
    out, shown = [], []
    in_heredoc, due = False, False
    for i, l in enumerate(trace.splitlines(keepends=True)):
        out.append(l)
        if in_heredoc:
            in_heredoc = l.rstrip(b"\r\n") != b"EOF"
        elif b"<< 'EOF'" in l:
            in_heredoc = True
        due = due or i % 100 == 99
        if due and not in_heredoc:
            block = b"# example.com/odd\n" + b"".join(u + b"\n" for u in user_lines)
            out.append(block)
            shown.append(block)
            due = False
    return b"".join(out), b"".join(shown)

def odd_user_output(odd, name, exit_code):
    """The cold trace with odd user lines: parsed, the packages are all
    found; wrapped, the user lines come out byte for byte."""
    data, shown = with_user_lines(COLD, odd)
    j, _ = parse(data, name)
    eq(packages(j), cold_packages(), "the packages of the trace are all still found")
    r = wrapped(data, name, exit_code=exit_code)
    eq(r.rc, exit_code, "go's exit status")
    same_bytes(r.err, shown, f"user output ({name})")

@test
def nul_bytes():
    odd_user_output([b"./a.go:1:1: nul\x00in the middle", b"\x00\x00\x00", b"trailing nul\x00"], "nul", 1)
    # A NUL inside a trace line does not take the rest of the trace down.
    bad = COLD.replace(b"mkdir -p $WORK/b012/", b"mkdir -p $WORK/b0\x0012/", 1)
    j, _ = parse(bad, "nul-in-trace")
    eq(packages(j), cold_packages(), "packages with a NUL in one mkdir line")

@test
def invalid_utf8():
    odd_user_output([b"\xff\xfe\xfd not UTF-8", b"\xc3\x28 bad continuation", b"\xed\xa0\x80 surrogate",
                     b"\xf4\x90\x80\x80 above U+10FFFF"], "utf8", 2)
    # An import path that is not UTF-8 still gives valid JSON (parse() checks).
    bad = COLD.replace(b"-p internal/cpu ", b"-p internal/c\xffpu ")
    j, _ = parse(bad, "utf8-path")
    eq(len(j["packages"]), len(cold_packages()), "package count")
    check(any("\ufffd" in p["import_path"] for p in j["packages"]), "the bad byte shown as U+FFFD")

@test
def a_100mb_single_line():
    line = b"x" * (100 * MB)
    base = measured([GOX, "parse", "--format=json", "/dev/null"]).rss_mb
    j, r = parse(COLD + line + b"\n" + b"# example.com/x\n", "100mb")
    del line
    eq(j["summary"]["truncated_lines"], 1, "the long line is reported as cut")
    eq(j["summary"]["lines"], len(COLD.splitlines()) + 2, "lines")
    eq(packages(j), cold_packages(), "packages")
    line = b"x" * (100 * MB)
    note(f"parse: empty input peak RSS {base:.0f} MB, with a 100 MB line {r.rss_mb:.0f} MB")
    check(r.rss_mb - base < 40, f"gox parse holds a 100 MB line in memory: {r.rss_mb:.0f} MB (base {base:.0f})")
    # Through the wrapper, as go's output: every byte arrives, memory stays flat.
    data = b"# example.com/big\n" + line + b"\n"
    r = wrapped(COLD + data, "100mb", exit_code=1)
    eq(r.rc, 1, "go's exit status")
    same_bytes(r.err, data, "the 100 MB line")
    check(r.rss_mb - base < 40, f"the wrapper holds a 100 MB line in memory: {r.rss_mb:.0f} MB")
    # Without a newline at the end either.
    r = wrapped(COLD + b"# example.com/big\n" + line, "100mb-unterminated", exit_code=1)
    same_bytes(r.err, b"# example.com/big\n" + line, "the 100 MB unterminated line")

@test
def a_million_objdirs():
    # One package per objdir, the shape of a cold build: mkdir, then compile.
    # A sanitizer build (GOX_SANITIZED=1: scripts/test sets it) is ~10x slower
    # and bigger: there 10^5 objdirs.
    n = 100_000 if os.environ.get("GOX_SANITIZED") else 1_000_000
    head = b"WORK=/tmp/go-build1\n"
    body = b"".join(b"mkdir -p $WORK/b%d/\n/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b%d/_pkg_.a "
                    b"-trimpath \"$WORK/b%d=>\" -p example.com/p%d -lang=go1.26 -complete ./p.go\n" % (i, i, i, i)
                    for i in range(1, n + 1))
    data = head + body + b"# example.com/p7\n./p.go:1:1: the user's error\n"
    del body
    base = measured([GOX, "parse", "--format=json", "/dev/null"]).rss_mb
    j, r = parse(data, "objdirs")
    eq(j["summary"]["lines"], 2 * n + 3, "lines")
    eq(j["summary"]["compile"], n, "compiles")
    check(1 <= len(j["packages"]) <= n, f"{len(j['packages'])} packages")
    note(f"{n} objdirs ({len(data) // MB} MB): {len(j['packages'])} packages in the model, "
         f"peak RSS {r.rss_mb:.0f} MB (empty input: {base:.0f} MB); "
         f"{(r.rss_mb - base) * MB / n:.0f} bytes per objdir")
    r = wrapped(data, "objdirs", exit_code=1)
    eq(r.rc, 1, "go's exit status")
    same_bytes(r.err, b"# example.com/p7\n./p.go:1:1: the user's error\n", "the user's output")
    note(f"{n} objdirs through the wrapper: peak RSS {r.rss_mb:.0f} MB")

@test
def a_heredoc_that_never_ends():
    lines = COLD.splitlines(keepends=True)
    start = next(i for i, l in enumerate(lines) if l.startswith(b"cat >") and b"<< 'EOF'" in l)
    cut = b"".join(lines[:start + 2])  # the heredoc's header and first line, then nothing
    j, _ = parse(cut, "heredoc")
    eq(j["summary"]["heredocs_cut"], 1, "the cut heredoc is reported")
    check(len(j["packages"]) >= 1, "the packages before it are kept")
    # Through the wrapper: what follows an unclosed heredoc is not hidden for
    # good. Text that only looked like a heredoc is shown when the stream
    # ends without its EOF line.
    tail = b"cat >$WORK/b001/x << 'EOF' # internal\n./main.go:3:2: an error go printed\nexit status 2\n"
    r = wrapped(COLD + tail, "heredoc", exit_code=1)
    eq(r.rc, 1, "go's exit status")
    same_bytes(r.err, tail, "the lines after the unclosed heredoc")
    # A well-formed heredoc stays hidden.
    r = wrapped(COLD, "heredoc-closed")
    eq(r.err, b"", "the trace's closed heredocs are hidden")

@test
def a_trace_cut_in_the_middle_of_a_line():
    lines = COLD.splitlines(keepends=True)
    whole, _ = parse(COLD, "cut-whole")
    compile_at = max(i for i, l in enumerate(lines) if b"/compile -o" in l)
    for at in (compile_at, len(lines) - 1):
        cut = b"".join(lines[:at]) + lines[at][: len(lines[at]) // 2]
        j, _ = parse(cut, f"cut-{at}")
        eq(j["summary"]["lines"], at + 1, "the partial line is counted")
        check(len(j["packages"]) <= len(whole["packages"]), "no package invented")
        r = wrapped(cut, f"cut-{at}", exit_code=2)
        eq(r.rc, 2, "go's exit status")
        eq(r.err, b"", "a cut trace line is still trace")
    # A cut user line is shown as far as it came, without a newline added.
    r = wrapped(COLD + b"# example.com/x\n./x.go:1: no newl", "cut-user", exit_code=1)
    same_bytes(r.err, b"# example.com/x\n./x.go:1: no newl", "the cut user line")

def real_go_trace(args, cwd, env):
    p = subprocess.run(["go"] + args, cwd=cwd, env=env, capture_output=True)
    return p

@test
def work_dir_with_spaces():
    # The real go with GOTMPDIR containing spaces and quotes: WORK= and the
    # absolute heredoc paths of Go 1.20+ carry them.
    mod = fresh_module("hostile-work")
    cache = fresh_cache("hostile-work", warm=False)
    tmp = os.path.join(scratch("worktmp"), "my dir 'x'")
    os.makedirs(tmp)
    env = go_env(cache, {"GOTMPDIR": tmp})
    p = real_go_trace(["build", "-x", "./..."], mod, env)
    eq(p.returncode, 0, p.stderr[-2000:])
    check(re.search(rb"^WORK=.*my dir 'x'", p.stderr, re.M), "the real WORK= line has the spaces")
    j, _ = parse(p.stderr, "work-spaces")
    eq(j["invocations"][0]["work_dir"].startswith(tmp), True, f"work dir {j['invocations'][0]['work_dir']}")
    eq(j["summary"]["packages_rebuilt"], len(j["packages"]), "a cold build: every package rebuilt")
    objdirs = [p["objdir"] for p in j["packages"] if p.get("objdir")]
    check(len(objdirs) == len(j["packages"]), f"every package has its objdir: {j['packages'][:3]}")
    # gox itself, in that GOTMPDIR: the same output as plain go.
    shutil.rmtree(cache)
    cache = fresh_cache("hostile-work2")
    env = go_env(cache, {"GOTMPDIR": tmp, "GOX_HISTORY": os.path.join(tmp, "h.db")})
    for d in ("internal/words",):
        with open(os.path.join(mod, d, "zz.go"), "w") as f:
            f.write("package words\n\nconst Z = 1\n")
    go = subprocess.run(["go", "build", "-o", os.devnull, "./cmd/sample"], cwd=mod, env=env, capture_output=True)
    with open(os.path.join(mod, "internal/words/zz.go"), "w") as f:
        f.write("package words\n\nconst Z = 2\n")
    gx = subprocess.run([GOX, "--summary=" + os.path.join(tmp, "s.json"), "--summary-format=json", "build", "-o",
                         os.devnull, "./cmd/sample"], cwd=mod, env=env, capture_output=True)
    eq(gx.returncode, go.returncode, "exit status")
    eq(gx.stderr, go.stderr, "stderr")
    with open(os.path.join(tmp, "s.json")) as f:
        s = json.load(f)
    rebuilt = sorted(p["import_path"] for p in s["packages"] if p["outcome"] == "rebuilt")
    check("example.com/sample/internal/words" in rebuilt, f"rebuilt {rebuilt}")
    shutil.rmtree(cache)

@test
def nested_quotes_in_env_prefixes():
    # Go quoting inside shell quoting in the lines of a real cgo build.
    cgo = sample("go126-cgo-build.trace")
    j0, _ = parse(cgo, "quotes-reference")
    prefixes = (b"CGO_LDFLAGS='\"-g\" \"-L/a b/it'\\''s\"' CC=\"gcc \\\"-m64\\\"\" TERM='dumb' ",
                b"A='x'\\''\"y\"' B=\"'\" ")
    for k, prefix in enumerate(prefixes):
        odd = cgo.replace(b"TERM='dumb' CGO_LDFLAGS='' ", prefix)
        check(odd != cgo, "the sample has env prefixes")
        j, _ = parse(odd, f"quotes-{k}")
        eq(packages(j), packages(j0), f"packages with env prefix {prefix!r}")
        eq(j["summary"]["cgo"], j0["summary"]["cgo"], "cgo steps")
        eq(j["summary"]["unrecognized_lines"], j0["summary"]["unrecognized_lines"], "unrecognized lines")
    # The real go with flags that need quotes inside quotes ("-DMSG=\"a b\""
    # becomes part of the quoted cgo and gcc command lines): gox's output is
    # go's, and the cgo package is seen.
    flags = {"CGO_CFLAGS": "-g -O2 '-DMSG=\"a b\"'", "CGO_LDFLAGS": "-g -O2 \"-Wl,-rpath,/x y/it's\"",
             "CGO_ENABLED": "1"}
    res = {}
    for tool in ("go", "gox"):
        mod = fresh_module(f"hostile-quotes-{tool}", os.path.join(SAMPLES, "fixtures", "cgo"))
        c = fresh_cache(f"hostile-quotes-{tool}")
        sm = os.path.join(c, "s.json")
        e = go_env(c, dict(flags, GOX_HISTORY=os.path.join(c, "h.db")))
        argv = (["go"] if tool == "go" else [GOX, f"--summary={sm}", "--summary-format=json"])
        res[tool] = subprocess.run(argv + ["build", "-o", os.devnull, "./..."], cwd=mod, env=e, capture_output=True)
        if tool == "gox":
            with open(sm) as f:
                s = json.load(f)
        shutil.rmtree(c)
        shutil.rmtree(mod)
    eq(res["go"].returncode, 0, res["go"].stderr[-2000:])
    eq(res["gox"].returncode, 0, "exit status")
    eq(res["gox"].stderr, res["go"].stderr, "stderr")
    cadd = [p for p in s["packages"] if p["import_path"] == "example.com/cgosample/cadd"]
    check(cadd and cadd[0]["outcome"] == "rebuilt", f"the cgo package (new flags): {cadd}")
    check(s["summary"]["cgo"] >= 1, s["summary"])

@test
def interleaved_hash_lines():
    # Records of parallel actions interleave line by line; the collector's
    # unit tests shuffle real records (tests/unit/test_hashes.cpp). Here the
    # real go does it: --why on a cold -p=8 build of two toolchain-independent
    # edits, and every rebuilt package of the module gets a reason.
    mod = fresh_module("hostile-hash")
    cache = fresh_cache("hostile-hash")
    hist = os.path.join(scratch("hash"), "h.db")
    env = go_env(cache, {"GOX_HISTORY": hist})
    def run(*args):
        return subprocess.run([GOX, "--why", "--summary-format=json", "--summary=" + os.path.join(mod, "s.json"),
                               *args], cwd=mod, env=env, capture_output=True)
    p = run("build", "-p=8", "./...")
    eq(p.returncode, 0, p.stderr[-1000:])
    for f in ("internal/words/zz.go", "internal/greet/zz.go"):
        with open(os.path.join(mod, f), "w") as fh:
            fh.write(f"package {f.split('/')[1]}\n\nconst Zz = 1\n")
    p = run("build", "-p=8", "./...")
    eq(p.returncode, 0, p.stderr[-1000:])
    eq(p.stderr, b"", "no HASH line shown (gox set GODEBUG)")
    with open(os.path.join(mod, "s.json")) as f:
        s = json.load(f)
    mine = [q for q in s["packages"] if q["import_path"].startswith("example.com/sample") and q["outcome"] == "rebuilt"]
    check(len(mine) >= 2, f"the edited packages were rebuilt: {mine}")
    for q in mine:
        check(q.get("reason") and q["reason"] != "unknown", f"a reason for {q['import_path']}: {q}")
    shutil.rmtree(cache)

if __name__ == "__main__":
    run()
