#!/usr/bin/env python3
"""The wrapper is invisible: every scenario runs the same steps twice from the
same starting state (module re-created at the same path, a fresh copy of the
same template GOCACHE, the same environment and stdin), once with plain
`go <verb> ...` and once with `gox --summary=off <verb> ...`, and requires the
same exit status, stdout bytes and stderr bytes for every step, and the same
bytes in every binary written (-o, go install to a GOBIN in the scenario dir).

The only normalisations are of what plain go does not reproduce between two
of its own runs either, and only in the scenarios that print it: test
durations (`ok  pkg 0.004s`, `--- PASS: T (0.00s)`, -json Time/Elapsed); the
random work dir name /tmp/go-buildNNN where go itself prints it (the user's
-x or -work, a -exec program's path); the external linker's /tmp/go-link-NNN
in its warnings. With -x, go's order of parallel actions varies between its
own runs, so those scenarios use -p=1.

Two scenarios are about timing rather than bytes: a prompt without a newline
reaches the terminal before the program waits for input, and gox ends when
go does even if a process the program started keeps stdout/stderr open."""
import difflib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import queue
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

FID = os.path.join(SCRATCH, "fidelity")
SAMPLE = os.path.join(tap.ROOT, "examples", "sample")
FIXTURES = os.path.join(tap.ROOT, "trace_samples", "fixtures")

# ---------------------------------------------------------------- programs

EXIT3 = """package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("to stdout", os.Args[1:])
	// The program's own stderr, shaped like go's -x trace: it must all show.
	fmt.Fprintln(os.Stderr, "WORK=/tmp/go-build123")
	fmt.Fprintln(os.Stderr, "mkdir -p $WORK/b001/")
	fmt.Fprintln(os.Stderr, "cd /tmp")
	fmt.Fprintln(os.Stderr, "/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p main ./x.go")
	fmt.Fprintln(os.Stderr, "cat >/tmp/go-build123/b001/importcfg << 'EOF' # internal")
	fmt.Fprintln(os.Stderr, "# example.com/fake")
	fmt.Fprint(os.Stderr, "no newline at the end")
	os.Exit(3)
}
"""

CAT = """package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(data)
	fmt.Fprintf(os.Stderr, "%d bytes read\\n", len(data))
}
"""

PROMPT = """package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	fmt.Fprint(os.Stderr, "name? ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\\n')
	fmt.Printf("hello %s", line)
}
"""

BACKGROUND = """package main

import (
	"fmt"
	"os"
	"os/exec"
)

// Starts a child that outlives the program and shares its stdout and stderr,
// as a program that spawns a server or daemon does.
func main() {
	cmd := exec.Command("sleep", os.Args[1])
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	fmt.Println("started")
}
"""

LINKERR = """package main

import _ "unsafe"

// A body-less function pulled from a symbol nobody defines: compiles, fails to link.
//
//go:linkname missing example.com/nowhere.missing
func missing()

func main() { missing() }
"""

NOISY_TEST = """package noisy

import (
	"fmt"
	"os"
	"testing"
)

func TestNoisy(t *testing.T) {
	fmt.Fprintln(os.Stderr, "to stderr: mkdir -p $WORK/b001/")
	fmt.Fprintln(os.Stderr, "WORK=/tmp/go-build1")
	fmt.Fprintln(os.Stdout, "to stdout")
	t.Log("logged")
}
"""

CGO_WARNING = """package cadd

/*
#warning gox fidelity: a C compiler warning
static int add(int a, int b) { return a + b; }
*/
import "C"

// Add returns a+b, computed in C.
func Add(a, b int) int {
	return int(C.add(C.int(a), C.int(b)))
}
"""

# A C function the linker warns about (glibc's gets): a warning at every
# link of C objects, the cgo dynimport probe's included.
CGO_GETS = """package cadd

/*
char *gets(char *s);
static int add(int a, int b) { return a + b; }
void gox_never(void) { char b[8]; gets(b); }
*/
import "C"

// Add returns a+b, computed in C.
func Add(a, b int) int {
	return int(C.add(C.int(a), C.int(b)))
}
"""

# A type error in a cgo package: the compiler names cgo's generated
# identifiers (_Cfunc_add, _Ctype_int); go 1.27 spells them C.add, C.int,
# except under -x.
CGO_TYPE_ERROR = """package cadd

/*
static int add(int a, int b) { return a + b; }
*/
import "C"

// Add is broken on purpose.
func Add(a, b int) int {
	var s string = C.add(C.int(a), C.int(b))
	return len(s)
}
"""

# ---------------------------------------------------------------- harness

class Side:
    """One side of a scenario: plain go, or gox --summary=off, in the scenario's
    fixed directory (FID/<name>/: mod/, gocache/, bin/, gobin/ ...)."""

    def __init__(self, name, tool, go):
        self.tool, self.go = tool, go
        self.root = os.path.join(FID, name)
        self.mod = os.path.join(self.root, "mod")
        self.cache = os.path.join(self.root, "gocache")
        self.env = {}
        self.steps = []  # (label, exit code, stdout, stderr)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def argv(self, args, gox_opts=("--summary=off",)):
        if self.tool == "go":
            return [self.go] + list(args)
        return [GOX] + list(gox_opts) + ([f"--go={self.go}"] if self.go != "go" else []) + list(args)

    def environ(self, env=None):
        return go_env(self.cache, {**self.env, **(env or {})})

    def run(self, *args, cwd=None, env=None, stdin=b"", label=None, gox_opts=("--summary=off",)):
        """A compared step: `go args...` or `gox --summary=off args...` (gox_opts:
        the gox options instead of --summary=off; none for the verbs gox
        passes through)."""
        p = subprocess.run(self.argv(args, gox_opts), cwd=cwd or self.mod, env=self.environ(env), input=stdin,
                           capture_output=True, timeout=600)
        self.steps.append((label or " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def write(self, rel, text, mode="w"):
        path = os.path.join(self.mod, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(text)

_trash = queue.Queue()

def _empty_trash():
    while True:
        path = _trash.get()
        shutil.rmtree(path, ignore_errors=True)
        _trash.task_done()

threading.Thread(target=_empty_trash, daemon=True).start()

def discard(path):
    """Removes a scenario dir: renamed away at once, deleted in the background
    (deleting a GOCACHE copy takes longer than making one)."""
    if os.path.exists(path):
        os.makedirs(os.path.join(FID, ".trash"), exist_ok=True)
        dst = tempfile.mkdtemp(dir=os.path.join(FID, ".trash"))
        os.rename(path, os.path.join(dst, "x"))
        _trash.put(dst)

def show_diff(what, a, b):
    a_lines = a.decode(errors="replace").splitlines(keepends=True)
    b_lines = b.decode(errors="replace").splitlines(keepends=True)
    diff = "".join(difflib.unified_diff(a_lines, b_lines, "go", "gox", n=2))
    if len(diff) > 4000:
        diff = diff[:4000] + "\n... (diff cut)\n"
    return f"{what} differs:\n{diff or repr((a[-300:], b[-300:]))}"

def artifact_form(rel, data):
    """What must be equal in an artifact. A coverage profile written for
    several test binaries (-coverprofile with -coverpkg or several packages)
    holds each binary's blocks in the order the binaries finished, which
    differs between two runs of plain go: its block lines are compared as a
    sorted list, its mode line as written."""
    if rel.endswith(".out") and data.startswith(b"mode: "):
        head, _, body = data.partition(b"\n")
        return head, sorted(body.splitlines())
    return data

def fidelity(name, body, *, fixture=SAMPLE, cache=lambda: template_cache("1.26"), go="go", env=None,
             artifacts=(), normalize=None):
    """Runs body(side) for plain go, then for gox, from identical state, and
    compares. cache: a function returning the template GOCACHE to copy, or None
    for an empty one. Returns the go side (its steps) for scenario checks."""
    template = cache() if cache else None
    sides = []
    for tool in ("go", "gox"):
        s = Side(name, tool, go)
        discard(s.root)
        os.makedirs(s.root)
        shutil.copytree(fixture, s.mod)
        if template:
            shutil.copytree(template, s.cache, symlinks=True)
        else:
            os.makedirs(s.cache)
        s.env = dict(env or {})
        body(s)
        s.artifacts = {}
        for rel in artifacts:
            p = s.path(rel)
            s.artifacts[rel] = open(p, "rb").read() if os.path.exists(p) else None
        sides.append(s)
        if tool == "go":
            discard(s.root)  # the gox side gets the same paths, afresh
    g, x = sides
    norm = normalize or (lambda b: b)
    eq(len(x.steps), len(g.steps), "number of steps")
    for (label, grc, gout, gerr), (_, xrc, xout, xerr) in zip(g.steps, x.steps):
        check(xrc == grc, f"[{label}] exit status: gox {xrc}, go {grc}\ngo stderr: {gerr[-1500:]!r}\n"
                          f"gox stderr: {xerr[-1500:]!r}")
        check(norm(xout) == norm(gout), f"[{label}] " + show_diff("stdout", norm(gout), norm(xout)))
        check(norm(xerr) == norm(gerr), f"[{label}] " + show_diff("stderr", norm(gerr), norm(xerr)))
    for rel in artifacts:
        check(g.artifacts[rel] is not None, f"go wrote no {rel}")
        check(x.artifacts[rel] is not None, f"gox wrote no {rel}")
        check(artifact_form(rel, x.artifacts[rel]) == artifact_form(rel, g.artifacts[rel]),
              f"{rel} differs between go and gox")
    discard(x.root)
    return g

def step(side, i):
    """(exit code, stdout, stderr) of step i, for checking that a scenario does what it claims."""
    _, rc, out, err = side.steps[i]
    return rc, out, err

def test_times(b):
    b = re.sub(rb"(\t|\\t)\d+\.\d+s\b", rb"\1N.NNNs", b)       # ok  \tpkg\t0.004s (also JSON-escaped)
    b = re.sub(rb"\(\d+\.\d+s\)", b"(N.NNs)", b)                # --- PASS: TestX (0.00s)
    b = re.sub(rb'"Time":"[^"]*"', b'"Time":"T"', b)            # -json events
    b = re.sub(rb'"Elapsed":[0-9.e+-]+', b'"Elapsed":0', b)
    return b

def work_dir(b):
    return re.sub(rb"/tmp/go-build\d+", b"/tmp/go-buildN", b)

def link_dirs(b):
    return re.sub(rb"/tmp/go-link-\d+", b"/tmp/go-linkN", b)  # the external linker's temp dir, new every run

def edit_words(s):
    s.write("internal/words/words.go", "\nfunc Extra() int { return 7 }\n", "a")

def fixture(name):
    return os.path.join(FIXTURES, name)

def cache_for(key, steps, **kw):
    return lambda: derived_template(key, steps, **kw)

# ---------------------------------------------------------------- build

@test
def build_success_after_edit():
    def body(s):
        edit_words(s)
        s.run("build", "-o", s.path("bin", "sample"), "./cmd/sample")
        s.run("build", "./...")
    g = fidelity("build-success", body, artifacts=["bin/sample"])
    eq(step(g, 0), (0, b"", b""), "go build output")

@test
def build_noop_rebuild():
    def body(s):
        for _ in range(2):
            s.run("build", "-o", s.path("bin", "sample"), "./cmd/sample")
        s.run("build", "./...")
    fidelity("build-noop", body, artifacts=["bin/sample"])

@test
def build_compile_error():
    def body(s):
        s.run("build", "./...")
        s.run("build", "-o", s.path("bin", "app"), "./cmd/app")
        s.run("vet", "-p=1", "./...")  # compile and vet report separately: -p=1 fixes their order
    g = fidelity("compile-error", body, fixture=fixture("compile-error"))
    rc, _, err = step(g, 0)
    eq(rc, 1, "go build exit status")
    check(b"# example.com/broken/lib\n" in err and b"lib/lib.go:6:9" in err, err)

@test
def build_link_error():
    def body(s):
        s.write("cmd/linkerr/main.go", LINKERR)
        s.run("build", "-o", s.path("bin", "linkerr"), "./cmd/linkerr")
        s.run("run", "./cmd/linkerr")
    g = fidelity("link-error", body)
    rc, _, err = step(g, 0)
    eq(rc, 1, "go build exit status")
    check(b"relocation target example.com/nowhere.missing not defined" in err, err)

@test
def build_output_flag():
    def body(s):
        edit_words(s)
        s.run("build", "-o", s.path("bin", "named"), "./cmd/sample")
        s.run("build", "-o", s.path("bin") + "/", "./cmd/...")       # -o DIR/
        s.run("build", "-o", "/dev/null", "./cmd/sample")
    fidelity("output-flag", body, artifacts=["bin/named", "bin/sample"])

@test
def build_chdir_flag():
    def body(s):
        s.run("build", "-C", "mod", "-o", "../bin/sample", "./cmd/sample", cwd=s.root)
        s.run("test", "-C", "mod", "./...", cwd=s.root)
        s.run("build", "-C", "nonexistent", "./...", cwd=s.root)
    g = fidelity("chdir", body, artifacts=["bin/sample"], normalize=test_times)
    check(step(g, 2)[0] != 0, "-C to a missing dir fails")

PASS = ()  # no gox options: the verb runs as go itself

@test
def chdir_before_the_verb():
    # go -C dir VERB: -C first, before the verb (go 1.20+), with gox's
    # options before it; go's -C in all four spellings.
    def body(s):
        edit_words(s)
        s.run("-C", "mod", "build", "./...", cwd=s.root)
        s.run("-C", "mod/cmd/sample", "vet", ".", cwd=s.root)
        s.run("-C", "mod", "vet", "./...", cwd=s.root, gox_opts=("--summary=off", "--why"))
        s.run("-C=mod", "test", "./...", cwd=s.root)
        s.run("--C", "mod", "build", "-o", "../bin/sample", "./cmd/sample", cwd=s.root)
        s.run("build", "--C=mod", "./...", cwd=s.root)
        s.run("build", "-C=mod", "./...", cwd=s.root)
    g = fidelity("chdir-first", body, artifacts=["bin/sample"], normalize=test_times)
    for i in range(len(g.steps)):
        eq(step(g, i)[0], 0, f"step {i} exit status")

@test
def chdir_where_go_rejects_it():
    # What go refuses, gox passes on for go to refuse in its own words:
    # -C after another flag, -C twice, -C without a verb or without a value.
    def body(s):
        s.run("build", "-o", "/dev/null", "-C", "mod", "./cmd/sample", cwd=s.root)
        # No verb where go looks for one: passed through (gox options would be refused).
        s.run("-C", "mod", "-C", "mod", "build", "./...", cwd=s.root, gox_opts=PASS)
        s.run("-C", "mod", "build", "-C", "mod", "./...", cwd=s.root)
        s.run("-C", "mod", cwd=s.root, gox_opts=PASS)
        s.run("-C", cwd=s.root, gox_opts=PASS)
        s.run("build", "-C", cwd=s.root)
        s.run("-C", "nonexistent", "build", "./...", cwd=s.root)
        s.run("build", ".", "-C", "mod", cwd=s.root)
    g = fidelity("chdir-rejected", body, cache=None)  # nothing gets built
    for i in range(len(g.steps)):
        check(step(g, i)[0] != 0, f"go accepted step {i}: {g.steps[i][0]}")
    check(b"-C flag must be first flag" in step(g, 0)[2], step(g, 0)[2])


# ---------------------------------------------------------------- verbs gox does not wrap

@test
def passthrough_list_mod_env_version_tool():
    def body(s):
        s.run("list", "-json", "./...", gox_opts=PASS)
        s.run("list", "-f", "{{.ImportPath}} {{.Stale}}", "./...", gox_opts=PASS)
        s.write("go.mod", "\n// tidy me\n", "a")
        s.run("mod", "tidy", gox_opts=PASS)
        s.run("env", "GOCACHE", gox_opts=PASS)
        s.run("env", "-json", "GOCACHE", "GOOS", gox_opts=PASS)
        s.run("version", gox_opts=PASS)
        s.run("tool", "cover", "-h", gox_opts=PASS)
        s.run("help", "build", gox_opts=PASS)
        s.run("-C", "mod", "list", "./...", cwd=s.root, gox_opts=PASS)
        s.run("mod", "-C", "mod", "edit", "-json", cwd=s.root, gox_opts=PASS)
        s.run("clean", "-n", gox_opts=PASS)
        s.run("fmt", "-n", "./...", gox_opts=PASS)
    g = fidelity("passthrough", body, artifacts=["mod/go.mod"])
    eq(step(g, 0)[0], 0, "go list exit")
    check(b'"ImportPath": "example.com/sample/cmd/sample"' in step(g, 0)[1], step(g, 0)[1][:300])
    check(step(g, 3)[1].endswith(b"/passthrough/gocache\n"), step(g, 3)[1])
    check(step(g, 5)[1].startswith(b"go version go1."), step(g, 5)[1])
    eq(step(g, 6)[0], 2, "go tool cover -h exit status")

@test
def passthrough_unknown_verb():
    def body(s):
        s.run("frobnicate", "./...", gox_opts=PASS)
        s.run("biuld", "./...", gox_opts=PASS)
        s.run("-x", "build", "./...", gox_opts=PASS)
    g = fidelity("passthrough-unknown", body, cache=None)  # nothing gets built
    eq(step(g, 0)[0], 2, "go frobnicate exit status")
    check(b"unknown command" in step(g, 0)[2], step(g, 0)[2])

@test
def passthrough_with_go_flag_and_go119():
    # --go=PATH picks the go that runs the passed-through verb too.
    check(os.path.exists(GO119), f"{GO119} missing: scripts/bootstrap installs golang-1.19-go")
    def body(s):
        s.run("version", gox_opts=PASS)
        s.run("env", "GOVERSION", gox_opts=PASS)
        s.run("list", "./...", gox_opts=PASS)
        # Go 1.19 has no -C (1.20 added it): it rejects it, through gox too.
        s.run("-C", "mod", "build", "./...", cwd=s.root)
        s.run("build", "-C", "mod", "./...", cwd=s.root)
    g = fidelity("passthrough-go119", body, go=GO119, cache=lambda: template_cache("1.19"))
    check(step(g, 0)[1].startswith(b"go version go1.19"), step(g, 0)[1])
    for i in (3, 4):
        eq(step(g, i)[0], 2, f"go1.19 exit status of step {i}")
        check(b"flag provided but not defined: -C" in step(g, i)[2], step(g, i)[2])

@test
def passthrough_is_exec():
    # gox becomes go (exec): the same pid, stdin, exit status and arguments.
    fake = os.path.join(FID, "fake-go")
    os.makedirs(FID, exist_ok=True)
    with open(fake, "w") as f:
        f.write('#!/bin/sh\necho "pid=$$"\nprintf "[%s]" "$@"\necho\ncat\nexit 7\n')
    os.chmod(fake, 0o755)
    p = subprocess.Popen([GOX, f"--go={fake}", "list", "-f", "{{.Dir}}", "", "a b"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(b"from stdin\n", timeout=60)
    eq(p.returncode, 7, "exit status")
    eq(err, b"", "stderr")
    eq(out, f"pid={p.pid}\n[list][-f][{{{{.Dir}}}}][][a b]\nfrom stdin\n".encode(), "stdout")
    p = subprocess.run([GOX, "list"], env=dict(os.environ, GOX_GO=fake), input=b"", capture_output=True)
    eq(p.returncode, 7, "GOX_GO exit status")

@test
def gox_options_before_a_passed_through_verb():
    for opts, verb in ((["--summary=off"], ["list", "./..."]), (["--why"], ["mod", "tidy"]),
                       (["--go=go", "--report=x.json"], ["env", "GOCACHE"]),
                       (["--why"], ["-C", "mod", "list"])):
        p = subprocess.run([GOX] + opts + verb, capture_output=True)
        eq(p.returncode, 125, f"gox {opts} {verb}")
        eq(p.stdout, b"", "stdout")
        name = opts[-1].split("=")[0]
        check(p.stderr.startswith(f"gox: {name} applies to build, test, install, run and vet".encode()), p.stderr)
        check(f"go {verb[2] if verb[0] == '-C' else verb[0]} runs unchanged".encode() in p.stderr, p.stderr)
    # gox's option after go's -C belongs before it.
    p = subprocess.run([GOX, "-C", "mod", "--why", "vet", "."], capture_output=True)
    eq(p.returncode, 125, "gox -C mod --why vet")
    check(p.stderr.startswith(b"gox: --why is gox's option"), p.stderr)
    # A mistyped gox option is named as such, whatever follows.
    p = subprocess.run([GOX, "--sumary=off", "list"], capture_output=True)
    eq(p.returncode, 125, "mistyped option")
    check(b"Did you mean --summary?" in p.stderr, p.stderr)

@test
def help_is_gox_for_gox_commands_and_go_for_go_topics():
    for args in ([], ["parse"], ["doctor"]):
        p = subprocess.run([GOX, "help"] + args, capture_output=True)
        eq(p.returncode, 0, f"gox help {args}")
        check(p.stdout.startswith(b"usage: gox"), p.stdout[:200])
    g = subprocess.run(["go", "help", "build"], capture_output=True)
    x = subprocess.run([GOX, "help", "build"], capture_output=True)
    eq((x.returncode, x.stdout, x.stderr), (g.returncode, g.stdout, g.stderr), "gox help build is go help build")
    p = subprocess.run([GOX, "build", "--help"], capture_output=True)
    eq(p.returncode, 0, "gox build --help")
    check(p.stdout.startswith(b"usage: gox [gox options]"), p.stdout[:200])

@test
def build_missing_package():
    def body(s):
        s.run("build", "./nonexistent")
        s.run("test", "./nonexistent")
        s.run("build", "example.com/sample/nope")
        s.run("vet", "./nonexistent")
    g = fidelity("missing-package", body)
    rc, _, err = step(g, 0)
    eq(rc, 1, "go build exit status")
    check(b"nonexistent" in err, err)

@test
def bad_flag():
    def body(s):
        for verb in ("build", "test", "vet", "run", "install"):
            s.run(verb, "-notaflag", "./cmd/sample")
    g = fidelity("bad-flag", body)
    rc, _, err = step(g, 0)
    eq(rc, 2, "go build exit status")
    check(b"flag provided but not defined: -notaflag" in err, err)

@test
def build_n_dry_run():
    def body(s):
        edit_words(s)
        s.run("build", "-n", "-o", s.path("bin", "sample"), "./cmd/sample")
    g = fidelity("dry-run", body)
    check(b"mkdir -p $WORK/b001/" in step(g, 0)[2], "-n prints the commands")

@test
def build_json():
    def body(s):
        edit_words(s)
        s.run("build", "-json", "-o", s.path("bin", "sample"), "./cmd/sample")
        s.write("internal/words/words.go", "\nfunc Broken() int { return \"no\" }\n", "a")
        s.run("build", "-json", "./...")
    g = fidelity("build-json", body, artifacts=["bin/sample"])
    rc, out, _ = step(g, 1)
    eq(rc, 1, "exit status")
    check(b'"Action":"build-output"' in out and b'"Action":"build-fail"' in out, out)

@test
def gcflags_output_and_cached_replay():
    def body(s):
        for _ in range(2):  # the second build replays the compiler output from the cache
            s.run("build", "-gcflags=example.com/sample/internal/words=-m", "-o", s.path("bin", "sample"),
                  "./cmd/sample")
    g = fidelity("gcflags-m", body, artifacts=["bin/sample"])
    check(b"# example.com/sample/internal/words\n" in step(g, 1)[2], step(g, 1)[2])

@test
def install_to_gobin():
    def body(s):
        edit_words(s)
        s.run("install", "./cmd/sample")
        s.run("install", "./cmd/sample")
        s.run("install", "./internal/...")
    fidelity("install", body, env={"GOBIN": os.path.join(FID, "install", "gobin")},
             artifacts=["gobin/sample"])

@test
def cgo_package():
    def body(s):
        s.run("build", "-o", s.path("bin", "cgosample"), ".")
        s.run("test", "./...")
        s.run("vet", "./...")
        s.run("run", ".")
    fidelity("cgo", body, fixture=fixture("cgo"), artifacts=["bin/cgosample"], normalize=test_times)

@test
def cgo_compiler_warning_and_replay():
    def body(s):
        s.write("cadd/cadd.go", CGO_WARNING)
        for _ in range(2):
            s.run("build", "-o", s.path("bin", "cgosample"), ".")
    g = fidelity("cgo-warning", body, fixture=fixture("cgo"), artifacts=["bin/cgosample"])
    check(b"gox fidelity: a C compiler warning" in step(g, 0)[2], step(g, 0)[2])

# The cross builds start from a cache already warmed for the target (once per
# scratch dir), so only the module's packages compile and link for it here.
WINDOWS = {"GOOS": "windows", "GOARCH": "amd64"}
DARWIN = {"GOOS": "darwin", "GOARCH": "arm64"}

@test
def cgo_linker_warning():
    # Plain go shows the external link's warning once (# example.com/cgosample).
    def body(s):
        s.write("cadd/cadd.go", CGO_GETS)
        s.run("build", "-o", s.path("bin", "cgosample"), ".")
        s.run("build", "-o", s.path("bin", "cgosample2"), ".")  # packages cached, linked again
    g = fidelity("cgo-ld-warning", body, fixture=fixture("cgo"), normalize=link_dirs)
    check(b"# example.com/cgosample\n" in step(g, 0)[2] and b"`gets' function is dangerous" in step(g, 0)[2],
          step(g, 0)[2])

@test
def cgo_compile_error():
    def body(s):
        s.write("cadd/cadd.go", CGO_TYPE_ERROR)
        s.run("build", "./...")
        s.run("test", "./...")
        s.run("vet", "-p=1", "./...")  # compile and vet report separately: -p=1 fixes their order
    g = fidelity("cgo-compile-error", body, fixture=fixture("cgo"))
    check(b"cadd/cadd.go:10:17: cannot use" in step(g, 0)[2], step(g, 0)[2])

@test
def build_verbose():
    def body(s):
        edit_words(s)
        s.run("build", "-v", "./...")
        s.run("build", "-v", "-o", s.path("bin", "sample"), "./cmd/sample")
    g = fidelity("build-v", body, artifacts=["bin/sample"])
    check(b"example.com/sample/internal/words\n" in step(g, 0)[2], step(g, 0)[2])

@test
def cross_compile_windows():
    def body(s):
        edit_words(s)
        s.run("build", "-o", s.path("bin", "sample.exe"), "./cmd/sample")
        s.run("vet", "./...")
    fidelity("cross-windows", body, env=WINDOWS, artifacts=["bin/sample.exe"],
             cache=cache_for("windows-amd64", [["build", "./..."], ["vet", "./..."]], extra_env=WINDOWS))

@test
def cross_compile_darwin():
    def body(s):
        edit_words(s)
        s.run("build", "-o", s.path("bin", "sample"), "./cmd/sample")
        s.run("vet", "./...")
    fidelity("cross-darwin", body, env=DARWIN, artifacts=["bin/sample"],
             cache=cache_for("darwin-arm64", [["build", "./..."], ["vet", "./..."]], extra_env=DARWIN))

# ---------------------------------------------------------------- test

@test
def test_pass():
    def body(s):
        edit_words(s)
        s.run("test", "./...")
    g = fidelity("test-pass", body, normalize=test_times)
    rc, out, _ = step(g, 0)
    eq(rc, 0, "exit status")
    check(b"ok  \texample.com/sample/internal/greet\t" in out, out)

@test
def test_fail():
    def body(s):
        s.run("test", "./...")
        s.run("test", "-v", "./...")
    g = fidelity("test-fail", body, fixture=fixture("test-fail"), normalize=test_times)
    rc, out, _ = step(g, 0)
    eq(rc, 1, "exit status")
    check(b"--- FAIL: TestHours" in out, out)

@test
def test_build_error():
    def body(s):
        s.run("test", "./...")
    g = fidelity("test-build-error", body, fixture=fixture("test-build-error"), normalize=test_times)
    check(b"[build failed]" in step(g, 0)[1], step(g, 0)[1])

@test
def test_vet_failure():
    def body(s):
        s.run("test", "./...")
    g = fidelity("test-vet-failure", body, fixture=fixture("vet-error"), normalize=test_times)
    rc, _, err = step(g, 0)
    eq(rc, 1, "exit status")
    check(b"fmt.Printf format %d has arg" in err, err)

@test
def test_cached_second_run():
    def body(s):
        edit_words(s)
        s.run("test", "./...")
        s.run("test", "./...")
    g = fidelity("test-cached", body, normalize=test_times)
    check(b"(cached)" not in step(g, 0)[1], "first run not cached")
    check(b"ok  \texample.com/sample/internal/greet\t(cached)" in step(g, 1)[1], step(g, 1)[1])

@test
def test_count_1_runs_again():
    def body(s):
        s.run("test", "-count=1", "./...")
        s.run("test", "-count=1", "./...")
    g = fidelity("test-count1", body, normalize=test_times)
    check(b"(cached)" not in step(g, 1)[1], step(g, 1)[1])

@test
def test_verbose():
    def body(s):
        s.run("test", "-v", "-count=1", "./...")
        s.run("test", "-v", "-count=1", cwd=os.path.join(s.mod, "internal", "greet"))  # local dir mode
    g = fidelity("test-v", body, normalize=test_times)
    check(b"=== RUN   TestHello" in step(g, 0)[1], step(g, 0)[1])

@test
def test_json():
    def body(s):
        s.run("test", "-json", "-count=1", "./...")
    g = fidelity("test-json", body, normalize=test_times)
    check(b'"Action":"pass"' in step(g, 0)[1], step(g, 0)[1])

@test
def test_json_build_error():
    def body(s):
        s.run("test", "-json", "./...")
    g = fidelity("test-json-build-error", body, fixture=fixture("test-build-error"), normalize=test_times)
    check(b'"Action":"build-output"' in step(g, 0)[1], step(g, 0)[1])

@test
def test_writes_to_stderr():
    def body(s):
        s.write("internal/noisy/noisy_test.go", NOISY_TEST)
        s.run("test", "./internal/noisy")
        s.run("test", "-v", "./internal/noisy")
        s.run("test", "-count=1", cwd=os.path.join(s.mod, "internal", "noisy"))  # streamed, local dir mode
    g = fidelity("test-stderr", body, normalize=test_times)
    check(b"to stderr: mkdir -p $WORK/b001/" in step(g, 1)[1], step(g, 1)[1])

@test
def test_coverage():
    def body(s):
        s.run("test", "-cover", "./...")
        s.run("test", "-coverprofile", s.path("cover.out"), "./internal/...")
    g = fidelity("test-cover", body, normalize=test_times, artifacts=["cover.out"])
    check(b"coverage: " in step(g, 0)[1], step(g, 0)[1])

@test
def test_compiled_binary():
    def body(s):
        s.run("test", "-c", "-o", s.path("bin", "greet.test"), "./internal/greet")
    fidelity("test-c", body, artifacts=["bin/greet.test"])

# ---------------------------------------------------------------- run, vet

@test
def run_output_and_exit_code():
    def body(s):
        s.write("cmd/exit3/main.go", EXIT3)
        s.run("run", "./cmd/exit3", "a", "-x", "b")
        s.run("run", "./cmd/exit3")  # the executable now comes from the cache
    g = fidelity("run-exit3", body)
    rc, out, err = step(g, 0)
    eq(rc, 1, "go run exit status")
    eq(out, b"to stdout [a -x b]\n", "stdout")
    check(err.endswith(b"no newline at the endexit status 3\n") and b"WORK=/tmp/go-build123\n" in err, err)

@test
def run_reads_stdin():
    data = b"line one\nline two\n\x00\xff binary\r\n" * 5000
    def body(s):
        s.write("cmd/cat/main.go", CAT)
        s.run("run", "./cmd/cat", stdin=data)
        s.run("run", "./cmd/cat", stdin=b"")
    g = fidelity("run-stdin", body)
    eq(step(g, 0)[1], data, "stdout is stdin")

@test
def vet_clean_and_failing():
    def body(s):
        s.run("vet", "./...")
    fidelity("vet-clean", body)
    g = fidelity("vet-fail", body, fixture=fixture("vet-error"))
    rc, _, err = step(g, 0)
    eq(rc, 1, "go vet exit status")
    check(b"fmt.Printf format %d has arg" in err, err)

def file_proxy():
    """A module proxy on disk (GOPROXY=file://...) serving example.com/dep v1.0.0."""
    root = os.path.join(FID, "proxy")
    at = os.path.join(root, "example.com", "dep", "@v")
    if not os.path.exists(os.path.join(at, "v1.0.0.zip")):
        os.makedirs(at, exist_ok=True)
        mod = "module example.com/dep\n\ngo 1.19\n"
        with open(os.path.join(at, "list"), "w") as f:
            f.write("v1.0.0\n")
        with open(os.path.join(at, "v1.0.0.info"), "w") as f:
            json.dump({"Version": "v1.0.0", "Time": "2024-01-01T00:00:00Z"}, f)
        with open(os.path.join(at, "v1.0.0.mod"), "w") as f:
            f.write(mod)
        with zipfile.ZipFile(os.path.join(at, "v1.0.0.zip.tmp"), "w") as z:
            z.writestr("example.com/dep@v1.0.0/go.mod", mod)
            z.writestr("example.com/dep@v1.0.0/dep.go", "package dep\n\n// Answer answers.\nfunc Answer() int { return 42 }\n")
        os.rename(os.path.join(at, "v1.0.0.zip.tmp"), os.path.join(at, "v1.0.0.zip"))
    return "file://" + root

DEP_MAIN = """package main

import (
	"fmt"

	"example.com/dep"
)

func main() { fmt.Println(dep.Answer()) }
"""

@test
def module_download():
    # go: downloading ... (go's own message) amid what -x adds for it.
    def body(s):
        s.write("go.mod", "\nrequire example.com/dep v1.0.0\n", "a")
        s.write("cmd/dep/main.go", DEP_MAIN)
        s.run("build", "-o", s.path("bin", "dep"), "./cmd/dep")
        s.run("run", "./cmd/dep")
    env = {"GOPROXY": file_proxy(), "GOSUMDB": "off", "GOFLAGS": "-buildvcs=false -mod=mod -modcacherw",
           "GOMODCACHE": os.path.join(FID, "module-download", "modcache")}
    g = fidelity("module-download", body, env=env, artifacts=["bin/dep", "mod/go.sum"])
    eq(step(g, 0)[2], b"go: downloading example.com/dep v1.0.0\n", "go build stderr")

# ---------------------------------------------------------------- the user's own -x

@test
def user_x_shows_the_same_trace():
    # The trace is go's own output then. The work dir name is random in every
    # go run, so it is normalised; -p=1 makes go's action order deterministic
    # (with parallel actions two plain go runs do not agree either). gox's
    # added -debug-actiongraph=<tmp> is not printed by go, so nothing else is
    # normalised.
    def body(s):
        edit_words(s)
        s.run("build", "-x", "-p=1", "-o", s.path("bin", "sample"), "./cmd/sample")
        s.run("test", "-p=1", "-count=1", "./internal/greet", "-x")  # -x after the packages
        s.run("build", "-p=1", "./...", env={"GOFLAGS": "-buildvcs=false -x"})  # -x from GOFLAGS
        s.run("vet", "-x", "-p=1", "./...")
        # -x after a flag whose value is the next argument
        s.run("build", "-debug-actiongraph", s.path("ag.json"), "-x", "-p=1", "./...")
    g = fidelity("user-x", body, artifacts=["bin/sample"], normalize=lambda b: work_dir(test_times(b)))
    check(b"\nWORK=/tmp/go-build" in b"\n" + step(g, 0)[2], "go printed the trace")
    check(b"compile -o" in step(g, 0)[2], "the trace has the compiles")

@test
def work_flag_prints_the_work_dir():
    # -work makes go print WORK=<dir> (without the rest of the trace); the dir
    # name is new in every go run.
    def body(s):
        edit_words(s)
        s.run("build", "-work", "./...")
        s.run("test", "-work", "./internal/...")
        s.run("build", "./...", env={"GOFLAGS": "-buildvcs=false -work"})
    g = fidelity("work", body, normalize=lambda b: work_dir(test_times(b)))
    check(step(g, 0)[2].startswith(b"WORK=/tmp/go-build"), step(g, 0)[2])

EXEC_WRAPPER = """#!/bin/sh
echo "exec wrapper: $*" >&2
exec "$@"
"""

@test
def exec_wrapper_for_run_and_test():
    # go run -exec / go test -exec: the program runs behind a wrapper of the
    # user's; its output is the user's (the program path in it names the
    # work dir, new in every go run).
    def body(s):
        s.write("wrap.sh", EXEC_WRAPPER)
        os.chmod(os.path.join(s.mod, "wrap.sh"), 0o755)
        s.write("cmd/exit3/main.go", EXIT3)
        s.run("run", "-exec", "./wrap.sh", "./cmd/sample", "you")
        s.run("run", "-exec=./wrap.sh", "./cmd/exit3")
        s.run("test", "-exec", os.path.join(s.mod, "wrap.sh"), "-count=1", "./...")
    g = fidelity("exec-wrapper", body, normalize=lambda b: work_dir(test_times(b)))
    check(b"exec wrapper: /tmp/go-build" in step(g, 0)[2], step(g, 0)[2])

LOG_TOOL = """#!/bin/sh
# A -toolexec program that logs each tool command line it runs.
echo "toolexec: $*" >&2
exec "$@"
"""

@test
def toolexec_program_output():
    # The tools' stderr (here a log line that names the tool and its flags,
    # the link's -o $WORK/b001/exe/a.out among them) is shown by go in
    # `# pkg` blocks; under -x the trace has the same commands behind the
    # program. -p=1: go's order of parallel actions varies between runs.
    def body(s):
        s.write("logtool.sh", LOG_TOOL)
        os.chmod(os.path.join(s.mod, "logtool.sh"), 0o755)
        edit_words(s)
        # (an absolute path here: go prints it as ./logtool.sh after `cd <module>`)
        s.run("build", "-p=1", "-toolexec=" + os.path.join(s.mod, "logtool.sh"), "-o", s.path("bin", "sample"),
              "./cmd/sample")
        s.run("test", "-p=1", "-toolexec", "./logtool.sh", "-count=1", "./internal/greet")
        s.run("run", "-p=1", "-toolexec=./logtool.sh", "./cmd/sample")
    g = fidelity("toolexec", body, artifacts=["bin/sample"], normalize=test_times)
    check(b"\ntoolexec: /" in step(g, 0)[2], step(g, 0)[2])

# ---------------------------------------------------------------- other toolchains

@test
def go119_build_success():
    check(os.path.exists(GO119), f"{GO119} missing: scripts/bootstrap installs golang-1.19-go")
    def body(s):
        edit_words(s)
        s.run("build", "-o", s.path("bin", "sample"), "./cmd/sample")
        s.run("test", "./...")
        s.run("vet", "./...")
    fidelity("go119-build", body, go=GO119, cache=lambda: template_cache("1.19"), artifacts=["bin/sample"],
             normalize=test_times)

@test
def go119_compile_error_exit_2():
    check(os.path.exists(GO119), f"{GO119} missing: scripts/bootstrap installs golang-1.19-go")
    def body(s):
        s.run("build", "./...")
    g = fidelity("go119-compile-error", body, fixture=fixture("compile-error"), go=GO119,
                 cache=lambda: template_cache("1.19"))
    eq(step(g, 0)[0], 2, "go1.19 exit status")

@test
def go119_cgo_linker_warning():
    # Go 1.19-1.21 also print the dynimport probe's linker output, but only
    # under -x (# example.com/cgosample/cadd): plain go shows just the link's.
    check(os.path.exists(GO119), f"{GO119} missing: scripts/bootstrap installs golang-1.19-go")
    def body(s):
        s.write("cadd/cadd.go", CGO_GETS)
        s.run("build", "-o", s.path("bin", "cgosample"), ".")
        s.run("test", "./...")
    g = fidelity("go119-cgo-ld-warning", body, fixture=fixture("cgo"), go=GO119,
                 cache=lambda: template_cache("1.19"), normalize=lambda b: link_dirs(test_times(b)))
    check(b"`gets' function is dangerous" in step(g, 0)[2], step(g, 0)[2])

@test
def go127_build_success():
    # The toolchain comes through GOTOOLCHAIN (the module proxy, or the module
    # cache when it is already there). If it cannot be had, this fails, with
    # go's reason (derived_template raises with go's stderr).
    cache = go127_template
    v = subprocess.run(["go", "version"], env=go_env(cache(), GO127), capture_output=True, cwd=SCRATCH)
    check(v.returncode == 0 and v.stdout.startswith(b"go version go1.27.3 "),
          f"GOTOOLCHAIN=go1.27.3 go version: exit {v.returncode}: {v.stdout!r} {v.stderr.decode(errors='replace')}")
    def body(s):
        edit_words(s)
        s.run("build", "-o", s.path("bin", "sample"), "./cmd/sample")
        s.run("test", "./...")
        s.run("vet", "./...")
        # go -C with a toolchain switch (go selects it after the chdir), and
        # passed-through verbs on the selected toolchain.
        s.run("-C", "mod", "vet", "./...", cwd=s.root)
        s.run("-C", "mod", "version", cwd=s.root, gox_opts=PASS)
        s.run("env", "GOVERSION", gox_opts=PASS)
    g = fidelity("go127-build", body, env=GO127, cache=cache, artifacts=["bin/sample"], normalize=test_times)
    check(step(g, 4)[1].startswith(b"go version go1.27.3 "), step(g, 4)[1])
    eq(step(g, 5)[1], b"go1.27.3\n", "go env GOVERSION under GOTOOLCHAIN=go1.27.3")

@test
def go127_cgo_compile_error():
    # 1.27 rewrites _Ctype_int to C.int in a cgo package's compiler output,
    # but not under -x (which gox adds): gox must show the rewritten text.
    cache = cache_for("go1.27.3-cgo", [["build", "./..."], ["test", "./..."], ["vet", "./..."]], base=go127_template,
                      source=fixture("cgo"), extra_env=GO127)
    def body(s):
        s.write("cadd/cadd.go", CGO_TYPE_ERROR)
        s.run("build", "./...")
        s.run("test", "./...")
        s.run("vet", "-p=1", "./...")  # vet's own report of the error is not rewritten (-p=1: see above)
    g = fidelity("go127-cgo-compile-error", body, fixture=fixture("cgo"), env=GO127, cache=cache,
                 normalize=test_times)
    check(b"(value of int32 type C.int)" in step(g, 0)[2], step(g, 0)[2])

# ---------------------------------------------------------------- timing-sensitive fidelity

def plain_env(cache):
    return go_env(cache)

@test
def run_prompt_shows_before_input():
    # A prompt without a newline on stderr must reach the terminal before the
    # program blocks reading stdin, as it does with plain go.
    root = os.path.join(FID, "prompt")
    discard(root)
    os.makedirs(root)
    mod = os.path.join(root, "mod")
    shutil.copytree(SAMPLE, mod)
    os.makedirs(os.path.join(mod, "cmd", "prompt"))
    with open(os.path.join(mod, "cmd", "prompt", "main.go"), "w") as f:
        f.write(PROMPT)
    cache = os.path.join(root, "gocache")
    shutil.copytree(template_cache("1.26"), cache)
    results = {}
    for name, argv in (("go", ["go", "run", "./cmd/prompt"]), ("gox", [GOX, "--summary=off", "run", "./cmd/prompt"])):
        p = subprocess.Popen(argv, cwd=mod, env=plain_env(cache), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        seen, t0 = b"", time.time()
        while b"name? " not in seen and time.time() - t0 < 20:
            r, _, _ = select.select([p.stderr], [], [], 0.2)
            if r:
                chunk = os.read(p.stderr.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        prompted = b"name? " in seen
        p.stdin.write(b"bob\n")
        p.stdin.close()
        out, err = p.stdout.read(), seen + p.stderr.read()
        results[name] = (prompted, p.wait(), out, err)
    check(results["go"][0], f"plain go showed no prompt: {results['go']}")
    check(results["gox"][0], f"gox held the prompt back until input came: {results['gox']}")
    eq(results["gox"][1:], results["go"][1:], "exit status, stdout, stderr")
    discard(root)

def kill_marked(marker):
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker in open(f"/proc/{pid}/cmdline", "rb").read():
                    os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass

@test
def run_ends_when_the_program_ends():
    # A program whose child outlives it and keeps stdout/stderr open: plain go
    # exits as soon as the program does; so must gox.
    root = os.path.join(FID, "background")
    discard(root)
    os.makedirs(root)
    mod = os.path.join(root, "mod")
    shutil.copytree(SAMPLE, mod)
    os.makedirs(os.path.join(mod, "cmd", "bg"))
    with open(os.path.join(mod, "cmd", "bg", "main.go"), "w") as f:
        f.write(BACKGROUND)
    cache = os.path.join(root, "gocache")
    shutil.copytree(template_cache("1.26"), cache)
    marker = "17.4321"  # the child's sleep duration, unique enough to find it again
    try:
        took = {}
        for name, argv in (("go", ["go", "run", "./cmd/bg", marker]),
                           ("gox", [GOX, "--summary=off", "run", "./cmd/bg", marker])):
            with open(os.path.join(root, name + ".out"), "wb") as out:
                t0 = time.time()
                p = subprocess.run(argv, cwd=mod, env=plain_env(cache), stdout=out, stderr=subprocess.STDOUT,
                                   timeout=60)
                took[name] = time.time() - t0
            eq(p.returncode, 0, f"{name} exit status")
            eq(open(os.path.join(root, name + ".out"), "rb").read(), b"started\n", f"{name} output")
        check(took["go"] < 10, f"plain go waited for the child: {took}")
        check(took["gox"] < took["go"] + 5, f"gox waited for the program's child to exit: {took}")
    finally:
        kill_marked(marker.encode())
    discard(root)

if __name__ == "__main__":
    try:
        shutil.rmtree(os.path.join(FID, ".trash"), ignore_errors=True)
        run()
    finally:
        _trash.join()
