#!/usr/bin/env python3
"""Rebuild reasons against the real go: every scenario runs go twice through
gox (the first run establishes the history, then one change, then the second
run) in its own fresh module copy, with its own fresh copy of a template
GOCACHE and its own fresh GOX_HISTORY file, and checks the reason id AND
detail that the second run's JSON summary names for the right packages
(with --why, except where the scenario is about the cheap reasons: -a, no
history, a cache entry gone).

Edits (file changed / added / removed, embedded file, comment only), flags
(-gcflags, -ldflags, -asmflags, -trimpath, -tags), go.mod's go directive,
the VCS stamp, GOAMD64, CGO_CFLAGS, the C compiler, the Go version, a module
dependency's version, the module moving, the cache cleaned or one entry of
it deleted, -a, and the first run.

Speed: scenarios that would compile the standard library cold on every run
(go clean -cache, -a, -trimpath) build a two-package library module that
needs nothing of the standard library but unicode/utf8; GOAMD64=v3, cgo, Go
1.27.3 and the uuid module use derived template caches, warmed once per
scratch dir. Go 1.27.3 comes through GOTOOLCHAIN into the usual module cache
(as in test_fidelity, whose template it shares); the uuid module goes into
module caches of the scenario's own.

Also: the history is safe (concurrent runs are all recorded; a corrupt or
unwritable history file gives a warning and leaves go's exit status and
stdout alone), `gox explain` prints the chain of an edit, and `gox diff`
names GOAMD64 among the environment differences."""
import base64
import glob
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

SAMPLE = os.path.join(tap.ROOT, "examples", "sample")
CGO = os.path.join(tap.ROOT, "trace_samples", "fixtures", "cgo")

M = "example.com/sample"
WORDS, GREET, CMD = M + "/internal/words", M + "/internal/greet", M + "/cmd/sample"
MODULE_PKGS = (WORDS, GREET, CMD)

# A library-only module for the scenarios that empty or bypass the cache: no
# main package, nothing from the standard library but unicode/utf8, so the
# cold compiles are three tiny packages, not the runtime.
TINY = {
    "go.mod": "module example.com/tiny\n\ngo 1.21\n",
    "lower/lower.go": 'package lower\n\nimport "unicode/utf8"\n\n'
                      "// Len counts runes.\nfunc Len(s string) int { return utf8.RuneCountInString(s) }\n",
    "upper/upper.go": 'package upper\n\nimport "example.com/tiny/lower"\n\n'
                      "// Twice doubles the rune count.\nfunc Twice(s string) int { return 2 * lower.Len(s) }\n",
}
TINY_PKGS = ("example.com/tiny/lower", "example.com/tiny/upper")

# A module with a real dependency, fetched through the module proxy.
UUID_SUM = ("github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\n"
            "github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=\n")
UUIDUSER = {
    "go.mod": "module example.com/uuiduser\n\ngo 1.21\n\nrequire github.com/google/uuid v1.6.0\n",
    "go.sum": UUID_SUM,
    "ids/ids.go": 'package ids\n\nimport "github.com/google/uuid"\n\n'
                  "// New returns a random UUID.\nfunc New() string { return uuid.NewString() }\n",
    "main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/uuiduser/ids"\n)\n\n'
               "func main() { fmt.Println(len(ids.New())) }\n",
}
UUID = "github.com/google/uuid"

def note(msg):
    print("# " + msg, flush=True)

def write_tree(files, where=None):
    d = where or tempfile.mkdtemp(prefix="reasons-src-", dir=SCRATCH)
    for rel, text in files.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    return d

def rmtree(path):
    # Module caches are read-only unless -modcacherw.
    def onerror(fn, p, _):
        os.chmod(os.path.dirname(p), 0o755)
        if os.path.isdir(p):
            os.chmod(p, 0o755)
        fn(p)
    shutil.rmtree(path, onerror=onerror)

# ---------------------------------------------------------------- templates

def cgo_template():
    return derived_template("reasons-cgo", [["build", "./..."]], source=CGO)

def goamd64_template():
    # The sample's std closure compiled for GOAMD64=v3 on top of the v1 one.
    return derived_template("reasons-goamd64-v3", [["build", "./..."]], extra_env={"GOAMD64": "v3"})

def uuid_env(gopath):
    return {"GOPATH": gopath, "GOMODCACHE": os.path.join(gopath, "pkg", "mod"),
            "GOFLAGS": "-buildvcs=false -mod=mod -modcacherw"}

def uuid_template():
    # net, crypto/... for both uuid versions; the module cache it fills is the
    # template's own (in the scratch dir), never the global one.
    src = write_tree(UUIDUSER)
    try:
        return derived_template("reasons-uuid", [["build", "./..."], ["get", UUID + "@v1.5.0"], ["build", "./..."]],
                                source=src, extra_env=uuid_env(os.path.join(SCRATCH, "reasons-uuid-gopath")))
    finally:
        rmtree(src)

# ---------------------------------------------------------------- scenario

def clone_cache(src, dst, link=True):
    """Copies the GOCACHE src into dst (merging with what is there). With
    link, output files (<hex>-d: named by their content's hash, never
    rewritten by go unless corrupt, only unlinked) are hard links to the
    template's; the action entries (<hex>-a), which go rewrites in place,
    and everything else are copied."""
    for dirpath, dirs, files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            a, b = os.path.join(dirpath, f), os.path.join(dst, rel, f)
            if os.path.lexists(b):
                os.remove(b)
            if link and f.endswith("-d"):
                try:
                    os.link(a, b)
                    continue
                except OSError:
                    pass
            shutil.copy2(a, b)

class Scenario:
    """A fresh module copy, a fresh copy of a template GOCACHE (or of several,
    merged: cache entries are content-addressed) and a fresh GOX_HISTORY.
    link_cache=False: no hard links into the template (when the test changes
    the owner of the cache's files)."""

    def __init__(self, name, source=SAMPLE, caches=None, extra_env=None, link_cache=True):
        self.root = tempfile.mkdtemp(prefix=f"reasons-{name}-", dir=SCRATCH)
        self.mod = os.path.join(self.root, "mod")
        if isinstance(source, dict):
            write_tree(source, self.mod)
        else:
            shutil.copytree(source, self.mod)
        self.cache = os.path.join(self.root, "gocache")
        os.makedirs(self.cache)
        for c in caches if caches is not None else [template_cache()]:
            clone_cache(c, self.cache, link=link_cache)
        self.history = os.path.join(self.root, "history.db")
        self.env = go_env(self.cache, extra_env)
        self.env["GOX_HISTORY"] = self.history
        self.n = 0

    def path(self, *parts):
        return os.path.join(self.mod, *parts)

    def write(self, rel, text, mode="w"):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, mode) as f:
            f.write(text)

    def gox(self, verb, *args, why=True, env=None, expect_rc=0, cwd=None):
        """gox [--why] --summary=FILE --summary-format=json VERB ARGS: the summary."""
        self.n += 1
        summary = os.path.join(self.root, f"summary{self.n}.json")
        opts = [f"--summary={summary}", "--summary-format=json", "--no-progress"] + (["--why"] if why else [])
        e = dict(self.env, **(env or {}))
        p = subprocess.run([GOX] + opts + [verb] + list(args), cwd=cwd or self.mod, env=e, capture_output=True,
                           timeout=600)
        err = p.stderr.decode(errors="replace")
        eq(p.returncode, expect_rc, f"gox {verb} {' '.join(args)} exit status; stderr: {err[-3000:]}")
        check("gox: warning" not in err, f"gox warned: {err[-3000:]}")
        with open(summary) as f:
            return json.load(f)

    def go(self, *args, env=None):
        p = subprocess.run(["go"] + list(args), cwd=self.mod, env=dict(self.env, **(env or {})),
                           capture_output=True, timeout=600)
        eq(p.returncode, 0, f"go {' '.join(args)}: {p.stderr.decode(errors='replace')[-3000:]}")
        return p

    def cmd(self, *args, cwd=None):
        """A gox history command (explain, diff, history) in the module."""
        p = subprocess.run([GOX] + list(args), cwd=cwd or self.mod, env=self.env, capture_output=True, timeout=120)
        eq(p.returncode, 0, f"gox {' '.join(args)}: {p.stderr.decode(errors='replace')}")
        return p.stdout.decode()

    def done(self):
        """Removes the scenario's directory (kept when a check failed)."""
        rmtree(self.root)

def pkgs(summary):
    return {(p["import_path"], p["for_test"]): p for p in summary["packages"]}

def pkg(summary, path, for_test=None):
    got = pkgs(summary).get((path, for_test))
    check(got is not None, f"{path} is not in the summary: {sorted(k[0] for k in pkgs(summary))}")
    return got

def rebuilt(summary):
    return {p["import_path"] for p in summary["packages"] if p["outcome"] == "rebuilt"}

def show(p):
    return (f"{p['import_path']}: outcome={p['outcome']} reason={p.get('reason')!r} "
            f"detail={p.get('reason_detail')!r} output_unchanged={p.get('output_unchanged')}")

def expect(summary, path, reason, detail=None, detail_re=None, for_test=None):
    """path was rebuilt for reason; detail equal to detail, or matching the
    regular expression detail_re."""
    p = pkg(summary, path, for_test)
    note(show(p))
    eq(p["outcome"], "rebuilt", show(p))
    eq(p.get("reason"), reason, show(p))
    if detail is not None:
        eq(p.get("reason_detail") or "", detail, show(p))
    if detail_re is not None:
        check(re.search(detail_re, p.get("reason_detail") or ""), f"detail should match {detail_re!r}: {show(p)}")
    return p

def cached(summary, *paths):
    for path in paths:
        p = pkg(summary, path)
        eq(p["outcome"], "cache_hit", show(p))

def no_std_rebuilt(summary):
    std = {p["import_path"] for p in summary["packages"] if p["standard"] and p["outcome"] != "cache_hit"}
    eq(std, set(), "standard packages not from the cache")

def edit_words(s):
    s.write("internal/words/words.go", "\nfunc Extra() int { return 7 }\n", "a")

def cache_files(gocache, action_id):
    """The action entry (<hex>-a) of a 20-character action ID, and the output
    file (<hex>-d) it names."""
    hexid = base64.urlsafe_b64decode(action_id + "=" * (-len(action_id) % 4)).hex()
    found = glob.glob(os.path.join(gocache, hexid[:2], hexid + "*-a"))
    eq(len(found), 1, f"cache entry of action {action_id} ({hexid}…)")
    with open(found[0]) as f:
        fields = f.read().split()
    out = fields[2]
    return found[0], os.path.join(gocache, out[:2], out + "-d")

# ---------------------------------------------------------------- 1-3: sources

@test
def no_history_on_the_first_run():
    s = Scenario("first")
    sm = s.gox("build", "./...")
    for path in MODULE_PKGS:
        expect(sm, path, "no_history", detail="")
    no_std_rebuilt(sm)
    runs = json.loads(s.cmd("history", "--format=json"))
    eq(len(runs), 1, "runs recorded")
    s.done()

@test
def edited_file_and_its_dependents():
    s = Scenario("edit")
    s.gox("build", "./...")
    edit_words(s)
    sm = s.gox("build", "./...")
    expect(sm, WORDS, "source_file_changed", "words.go")
    expect(sm, GREET, "dependency_changed", WORDS)
    expect(sm, CMD, "dependency_changed", GREET)
    no_std_rebuilt(sm)
    # gox explain follows the chain from the command down to the file.
    out = s.cmd("explain")
    chain = (f"{CMD} rebuilt ← dependency_changed: {GREET} rebuilt ← dependency_changed: {WORDS} "
             "rebuilt ← source_file_changed: words.go")
    check(chain in out, f"gox explain should print\n{chain}\ngot:\n{out}")
    j = json.loads(s.cmd("explain", "--format=json", CMD))
    eq(j["packages"][0]["chain"], chain, "gox explain --format=json chain")
    s.done()

@test
def chdir_flag_reasons_and_history():
    # go's -C: run from outside the module, -C before the verb (after gox's
    # options) and right after it, then from inside: one module, one history,
    # and the reasons of each run against the one before.
    s = Scenario("chdir")
    s.gox("-C", "mod", "build", "./...", cwd=s.root)
    edit_words(s)
    sm = s.gox("-C", "mod", "build", "./...", cwd=s.root)
    eq(sm["command"]["args"], ["-C", "mod", "./..."], "the recorded command: go build -C mod ./...")
    # go env ran in go's directory (-C first, before env's own flags).
    eq(sm["environment"].get("GOMOD"), os.path.join(s.mod, "go.mod"), "GOMOD of the env fingerprint")
    check(sm["environment"].get("GOVERSION", "").startswith("go1."), sm["environment"])
    expect(sm, WORDS, "source_file_changed", "words.go")
    expect(sm, GREET, "dependency_changed", WORDS)
    s.write("internal/greet/greet.go", "\nfunc Extra() int { return 8 }\n", "a")
    sm = s.gox("build", "-C=mod/cmd", "-o", os.devnull, "./sample", cwd=s.root)
    expect(sm, GREET, "source_file_changed", "greet.go")
    runs = json.loads(s.cmd("history", "--format=json"))
    eq(len(runs), 3, "runs of the module, recorded from outside it")
    eq({r["module_root"] for r in runs}, {s.mod}, "module root")
    out = s.cmd("explain", CMD)
    check(f"{CMD} rebuilt ← dependency_changed: {GREET} rebuilt ← source_file_changed: greet.go" in out, out)
    s.done()

@test
def comment_edit_stops_at_the_package():
    s = Scenario("comment")
    s.gox("build", "./...")
    s.write("internal/words/words.go", "\n// a comment changes no export data\n", "a")
    sm = s.gox("build", "./...")
    p = expect(sm, WORDS, "source_file_changed", "words.go")
    eq(p["output_unchanged"], True, show(p))
    cached(sm, GREET, CMD)
    eq(rebuilt(sm), {WORDS}, "rebuilt")
    s.done()

@test
def added_file():
    s = Scenario("added")
    s.gox("build", "./...")
    s.write("internal/words/extra.go", "package words\n\n// Extra is new.\nfunc Extra() int { return 7 }\n")
    sm = s.gox("build", "./...")
    expect(sm, WORDS, "source_file_added", "extra.go")
    expect(sm, GREET, "dependency_changed", WORDS)
    s.done()

@test
def removed_file():
    s = Scenario("removed")
    s.write("internal/words/extra.go", "package words\n\n// Extra goes away.\nfunc Extra() int { return 7 }\n")
    s.gox("build", "./...")
    os.remove(s.path("internal/words/extra.go"))
    sm = s.gox("build", "./...")
    expect(sm, WORDS, "source_file_removed", "extra.go")
    s.done()

@test
def embedded_file_changed():
    s = Scenario("embed")
    s.gox("build", "./...")
    s.write("internal/greet/greeting.txt", "Howdy\n")
    sm = s.gox("build", "./...")
    expect(sm, GREET, "embed_file_changed", "greeting.txt")
    cached(sm, WORDS)
    s.done()

# ---------------------------------------------------------------- 4-6: flags, tags, env

@test
def gcflags_changed():
    # -gcflags=-N applies to the packages named (./...: the module's), so the
    # standard library stays cached; all=-N would recompile it.
    s = Scenario("gcflags")
    s.gox("build", "./...")
    sm = s.gox("build", "-gcflags=-N", "./...")
    for path in (WORDS, GREET):
        expect(sm, path, "gcflags_changed", detail_re=r"→ .*-N")
    # The main package's build info records -gcflags, before the compile flags.
    expect(sm, CMD, "gcflags_changed", detail_re=r"-gcflags.*→ .*-N")
    no_std_rebuilt(sm)
    s.done()

@test
def ldflags_and_asmflags_changed():
    # Both are inputs of the main package's build info only (the module has
    # no assembly, and -asmflags without a pattern applies to the packages
    # named): nothing else is rebuilt.
    s = Scenario("ldflags")
    s.gox("build", "./...")
    sm = s.gox("build", "-ldflags=-X=main.v=1", "./...")
    expect(sm, CMD, "ldflags_changed", detail_re=r"^-ldflags: .*→ -X=main\.v=1$")
    eq(rebuilt(sm), {CMD}, "rebuilt")
    sm = s.gox("build", "-ldflags=-X=main.v=1", "-asmflags=-D=GOX", "./...")
    expect(sm, CMD, "asmflags_changed", detail_re=r"^-asmflags: .*→ -D=GOX$")
    eq(rebuilt(sm), {CMD}, "rebuilt")
    s.done()

@test
def trimpath_changed():
    # -trimpath applies to every package (the tiny module: no runtime to
    # recompile). go then hashes a package's module@version instead of its
    # directory, and "trimpath" for the standard ones.
    s = Scenario("trimpath", source=TINY)
    s.gox("build", "./...")
    sm = s.gox("build", "-trimpath", "./...")
    for path in TINY_PKGS:
        expect(sm, path, "gcflags_changed", "-trimpath: off → on")
    s.done()
    # And back, in a new module dir (the first run's entries are still cached).
    s = Scenario("trimpath-off", source=TINY)
    s.gox("build", "-trimpath", "./...")
    sm = s.gox("build", "./...")
    for path in TINY_PKGS:
        expect(sm, path, "gcflags_changed", "-trimpath: on → off")
    s.done()

@test
def go_directive_changed():
    s = Scenario("godirective")
    s.gox("build", "./...")
    s.write("go.mod", "module example.com/sample\n\ngo 1.21\n")
    sm = s.gox("build", "./...")
    for path in MODULE_PKGS:
        expect(sm, path, "go_directive_changed", "1.19 → 1.21")
    no_std_rebuilt(sm)
    s.done()

@test
def vcs_stamp_changed():
    # With -buildvcs, a new commit (no file changed) changes the main
    # package's build info: the module's version is stamped from the commit
    # (a pseudo-version), then vcs.revision and vcs.time.
    s = Scenario("vcs")
    def git(*args):
        subprocess.run(["git", "-c", "user.email=gox@example.com", "-c", "user.name=gox", "-c", "commit.gpgsign=false"]
                       + list(args), cwd=s.mod, check=True, capture_output=True)
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    vcs = {"GOFLAGS": "-buildvcs=true"}
    s.gox("build", "./...", env=vcs)
    git("commit", "-q", "--allow-empty", "-m", "two")
    sm = s.gox("build", "./...", env=vcs)
    expect(sm, CMD, "vcs_stamp_changed", detail_re=r"^mod: example\.com/sample\tv0\.0\.0-\d+-[0-9a-f]{12}\t* → ")
    eq(rebuilt(sm), {CMD}, "rebuilt")
    s.done()

FOO_GO = """//go:build foo

package words

// Foo exists with -tags=foo.
func Foo() string { return "foo" }
"""

@test
def build_tags_changed():
    # The file that joins with -tags=foo is a new input of its package (go
    # hashes the file list, not the tags); the main package's build info
    # records -tags.
    s = Scenario("tags")
    s.write("internal/words/foo.go", FOO_GO)
    s.gox("build", "./...")
    sm = s.gox("build", "-tags=foo", "./...")
    expect(sm, WORDS, "source_file_added", "foo.go")
    expect(sm, GREET, "dependency_changed", WORDS)
    expect(sm, CMD, "build_tags_changed", detail_re=r"^-tags: .*→ foo$")
    no_std_rebuilt(sm)
    s.done()

@test
def goamd64_changed():
    s = Scenario("goamd64", caches=[goamd64_template()])
    s.gox("build", "./...")
    sm = s.gox("build", "./...", env={"GOAMD64": "v3"})
    for path in (WORDS, GREET):
        expect(sm, path, "env_changed", detail_re=r"^GOAMD64: v1 → v3$")
    expect(sm, CMD, "env_changed", detail_re=r"GOAMD64.*v3")
    no_std_rebuilt(sm)  # from the template: v3 is in the cache
    # gox diff names the variable among the environment differences.
    d = json.loads(s.cmd("diff", "--format=json"))
    envd = {e["name"]: (e["a"], e["b"]) for e in d["environment"]}
    eq(envd.get("GOAMD64"), ("v1", "v3"), f"gox diff environment: {d['environment']}")
    s.done()

@test
def cgo_cflags_changed():
    s = Scenario("cgoflags", source=CGO, caches=[cgo_template()])
    s.gox("build", "./...")
    sm = s.gox("build", "./...", env={"CGO_CFLAGS": "-O2 -g -DGOX_REASONS=1"})
    p = expect(sm, "example.com/cgosample/cadd", "env_changed", detail_re=r"CGO flags of CC: .*-DGOX_REASONS=1")
    check("→" in p["reason_detail"], show(p))
    # runtime/cgo is a cgo package too, rebuilt for the same flags. But the
    # history keeps no hash inputs of a standard package that came from the
    # cache (only of the module's packages and of what was rebuilt), so
    # there is nothing to compare with: the cheap reason stays.
    expect(sm, "runtime/cgo", "inputs_changed")
    expect(sm, "example.com/cgosample", "env_changed", detail_re=r"^CGO_CFLAGS: .*-DGOX_REASONS=1")
    s.done()

# A C compiler whose version line (what go hashes as the compiler's ID) comes
# from a file next to it: a compiler upgrade under the same name.
CC_WRAPPER = """#!/bin/sh
case "$1" in "-###") echo "gcc version $(cat "$(dirname "$0")/version") (gox test wrapper)";; esac
exec gcc "$@"
"""

@test
def c_compiler_changed():
    s = Scenario("cc", source=CGO, caches=[cgo_template()])
    cc = os.path.join(s.root, "bin", "cc")
    write_tree({"cc": CC_WRAPPER, "version": "12.0.1"}, os.path.dirname(cc))
    os.chmod(cc, 0o755)
    s.env["CC"] = cc
    s.gox("build", "./...")
    with open(os.path.join(s.root, "bin", "version"), "w") as f:
        f.write("12.0.2")
    sm = s.gox("build", "./...")
    expect(sm, "example.com/cgosample/cadd", "cgo_toolchain_changed",
           detail_re=r"^gcc version 12\.0\.1 \(gox test wrapper\) → gcc version 12\.0\.2 ")
    # Another compiler command: the toolchain again, not the CGO flags.
    sm = s.gox("build", "./...", env={"CC": "gcc-12"})
    expect(sm, "example.com/cgosample/cadd", "cgo_toolchain_changed", f'CC: ["{cc}"] → ["gcc-12"]')
    s.done()

# ---------------------------------------------------------------- 7-8: toolchain, modules

@test
def toolchain_changed():
    # go 1.27.3 comes through GOTOOLCHAIN (the module proxy, or the module
    # cache if it is already there); if it cannot, the template fails with
    # go's message. Both templates merged: the std of both versions is cached.
    s = Scenario("toolchain", caches=[template_cache(), go127_template()])
    s.gox("build", "./...")
    sm = s.gox("build", "./...", env=GO127)
    eq(sm["go_version"], "go1.27.3", "second run's go version")
    for path in MODULE_PKGS:
        expect(sm, path, "toolchain_changed", detail_re=r"^go1\.26\.\d+ → go1\.27\.3$")
    no_std_rebuilt(sm)
    s.done()

@test
def module_version_rolled_back():
    s = Scenario("uuid", source=UUIDUSER, caches=[template_cache(), uuid_template()])
    gopath = os.path.join(s.root, "gopath")
    s.env.update(uuid_env(gopath))
    s.gox("build", "./...")
    s.go("get", UUID + "@v1.5.0")
    with open(s.path("go.mod")) as f:
        check("github.com/google/uuid v1.5.0" in f.read(), "go get rolled go.mod back")
    sm = s.gox("build", "./...")
    expect(sm, UUID, "module_version_changed", detail=f"{UUID} v1.6.0 → v1.5.0")
    expect(sm, "example.com/uuiduser/ids", "dependency_changed", UUID)
    # The main package's build info lists the dependency's version first.
    expect(sm, "example.com/uuiduser", "module_version_changed", detail_re=r"v1\.6\.0.*→.*v1\.5\.0")
    no_std_rebuilt(sm)
    s.done()

# ---------------------------------------------------------------- 9: the module moves

@test
def module_moved():
    s = Scenario("moved")
    s.gox("build", "./...")
    old = s.mod
    s.mod = os.path.join(s.root, "moved")
    os.rename(old, s.mod)
    sm = s.gox("build", "./...")
    for path in MODULE_PKGS:
        expect(sm, path, "package_dir_changed", detail_re=r"/mod/.* → .*/moved/")
    no_std_rebuilt(sm)
    runs = json.loads(s.cmd("history", "--format=json", "--all"))
    eq([r["module_root"] for r in runs], [s.mod, old], "both runs recorded, each with its module root")
    # gox diff in the new directory compares with the run before the move.
    d = json.loads(s.cmd("diff", "--format=json"))
    roots = {e["name"]: (e["a"], e["b"]) for e in d["environment"]}
    eq(roots.get("(module root)"), (old, s.mod), "diff across the move")
    # Another module (another module path) in another directory is not
    # compared with them.
    other = os.path.join(s.root, "tiny")
    write_tree(TINY, other)
    sm = s.gox("build", "./...", cwd=other)
    for path in TINY_PKGS:
        expect(sm, path, "no_history", "")
    s.done()

# ---------------------------------------------------------------- 10-13: the cache

@test
def cache_cleaned():
    s = Scenario("clean", source=TINY)
    first = s.gox("build", "./...", why=False)
    eq(rebuilt(first), set(TINY_PKGS), "first run rebuilt")
    s.go("clean", "-cache")
    check(not glob.glob(os.path.join(s.cache, "??", "*-a")), "go clean -cache emptied the test's cache")
    sm = s.gox("build", "./...", why=False)
    for path in TINY_PKGS + ("unicode/utf8",):
        expect(sm, path, "cache_entry_missing", detail_re=r"same action ID \S+ as the previous run")
    # With --why it is the same: nothing changed in the inputs.
    s.go("clean", "-cache")
    sm = s.gox("build", "./...")
    for path in TINY_PKGS:
        expect(sm, path, "cache_entry_missing")
    s.done()

@test
def one_cache_entry_deleted():
    s = Scenario("entry")
    first = s.gox("build", "./...")
    entry, output = cache_files(s.cache, pkg(first, WORDS)["action_id"])
    check(os.path.exists(output), f"output file {output} of words")
    os.remove(output)
    sm = s.gox("build", "./...")
    expect(sm, WORDS, "cache_entry_missing", detail=f"same action ID {pkg(first, WORDS)['action_id']} "
                                                   "as the previous run")
    cached(sm, GREET, CMD)
    eq(rebuilt(sm), {WORDS}, "rebuilt")
    s.done()

@test
def forced_with_a():
    s = Scenario("forced", source=TINY)
    s.gox("build", "./...", why=False)
    sm = s.gox("build", "-a", "./...", why=False)
    for path in TINY_PKGS + ("unicode/utf8",):
        expect(sm, path, "forced", detail="")
    # --why does not override it: -a is the reason, whatever else changed.
    sm = s.gox("build", "-a", "./...")
    for path in TINY_PKGS:
        expect(sm, path, "forced", detail="")
    s.done()

# ---------------------------------------------------------------- the history is safe

@test
def concurrent_runs_are_all_recorded():
    s = Scenario("concurrent")
    n = 4
    procs = [subprocess.Popen([GOX, "--summary=off", "--why", "build", "./..."], cwd=s.mod, env=s.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(n)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        eq(p.returncode, 0, f"concurrent gox: {err.decode(errors='replace')[-2000:]}")
        check(b"gox: warning" not in err, err.decode(errors="replace")[-2000:])
    runs = json.loads(s.cmd("history", "--format=json"))
    eq(len(runs), n, f"runs recorded: {runs}")
    eq(sorted(r["exit_code"] for r in runs), [0] * n, "exit codes")
    # And the next run is compared with them.
    edit_words(s)
    sm = s.gox("build", "./...")
    expect(sm, WORDS, "source_file_changed", "words.go")
    s.done()

def plain_and_gox(s, args, prefix=(), env=None):
    e = dict(s.env, **(env or {}))
    go = subprocess.run(list(prefix) + ["go"] + args, cwd=s.mod, env=e, capture_output=True, timeout=600)
    gx = subprocess.run(list(prefix) + [GOX, "--summary=off"] + args, cwd=s.mod, env=e, capture_output=True,
                        timeout=600)
    eq(gx.returncode, go.returncode, f"exit status of {args}; gox stderr: {gx.stderr.decode(errors='replace')}")
    eq(gx.stdout, go.stdout, f"stdout of {args}")
    for line in gx.stderr.decode(errors="replace").splitlines():
        if line.startswith("gox: warning"):
            note(line)
    return go, gx

BROKEN = "package words\n\nfunc Broken() int { return \"no\" }\n"

@test
def corrupt_history_warns_only():
    s = Scenario("corrupt")
    garbage = b"this is not a database\n" * 200
    with open(s.history, "wb") as f:
        f.write(garbage)
    _, gx = plain_and_gox(s, ["run", "./cmd/sample", "you"])
    eq(gx.stdout, b"Hello, You!\n", "program output")
    err = gx.stderr.decode(errors="replace")
    check(re.search(r"gox: warning: .*history", err), f"a warning about the history: {err}")
    s.write("internal/words/broken.go", BROKEN)
    go, gx = plain_and_gox(s, ["build", "./..."])
    eq(go.returncode, 1, "the broken build fails")
    check(b"gox: warning" in gx.stderr, gx.stderr)
    with open(s.history, "rb") as f:
        eq(f.read(), garbage, "the corrupt file is left as it was")
    s.done()

@test
def unwritable_history_warns_only():
    # As an unprivileged user (root writes anything: then setpriv to nobody):
    # a history that user can read but not write, and one in a directory it
    # cannot create.
    s = Scenario("readonly", link_cache=False)
    ro = os.path.join(s.root, "ro")
    os.makedirs(ro)
    s.env["GOX_HISTORY"] = s.history = os.path.join(ro, "history.db")
    s.gox("build", "./...")  # a valid history with one run
    os.chmod(s.history, 0o444)
    os.chmod(ro, 0o555)
    os.chmod(s.root, 0o755)
    env, prefix = {}, []
    if os.geteuid() == 0:
        home = os.path.join(s.root, "home")
        os.makedirs(home)
        for d in (s.mod, s.cache, home):
            chown_tree(d, NOBODY)
        env, prefix = {"HOME": home, "GOPATH": os.path.join(home, "go")}, as_nobody()
    for hist in (s.history, os.path.join(ro, "sub", "history.db")):
        _, gx = plain_and_gox(s, ["run", "./cmd/sample", "you"], prefix=prefix, env=dict(env, GOX_HISTORY=hist))
        eq(gx.stdout, b"Hello, You!\n", "program output")
        err = gx.stderr.decode(errors="replace")
        check(re.search(r"gox: warning: .*history", err) or "not recorded" in err,
              f"a warning about the history {hist}: {err}")
    s.write("internal/words/broken.go", BROKEN)
    if prefix:
        chown_tree(s.mod, NOBODY)
    go, gx = plain_and_gox(s, ["build", "./..."], prefix=prefix, env=env)
    eq(go.returncode, 1, "the broken build fails")
    check(b"gox: warning" in gx.stderr, gx.stderr)
    runs = json.loads(s.cmd("history", "--format=json"))
    eq(len(runs), 1, "nothing recorded by the unprivileged runs")
    os.chmod(ro, 0o755)
    s.done()

if __name__ == "__main__":
    run()
