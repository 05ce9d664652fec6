#!/usr/bin/env python3
"""The real-go matrix: what users build, each scenario checked the three ways
the other suites check, in one pass.

Every step runs twice from the same starting state (test_fidelity's harness:
the same module path, a fresh copy of the same template GOCACHE, the same
environment): plain `go VERB -debug-actiongraph=AG ARGS`, then
`gox --summary=FILE --summary-format=json --why VERB -debug-actiongraph=AG
ARGS`, and
  (a) fidelity: exit status, stdout and stderr byte-identical (with
      test_fidelity's normalisations: test durations, work dir names), and
      the binaries and files written identical;
  (b) summary vs action graph: gox's JSON summary of each step agrees with
      the action graph go wrote in that same run (test_summary.agree);
  (c) reasons: after a one-file edit, --why names the file (or the flag, the
      env var) for the right package (test_reasons.expect).
gox runs every step with --why (GODEBUG=gocachehash=1 under the hood), so
the fidelity check covers that mode too, and the history holds the hash
inputs the reasons are computed from.

Fixtures are written by this file, with go directives of 1.21 and later
(the older suites mostly use go 1.19 modules, which hid bugs). Templates
(warmed once per scratch dir, then copied per scenario): the standard one,
plus derived ones for -race (the standard library built with -race: one cold
build), the cover/fuzz runtime, cgo, Go 1.27.3, and the two real modules
(go-sqlite3's C amalgamation is compiled there once, twice really: the
package and its test variant).

Where go itself behaves differently across versions (1.19 / 1.26 / 1.27) the
scenario says so; the scenarios whose format differs run on 1.27.3 too."""
import json
import os
import time
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

fid = tap.helpers_of("test_fidelity")
summ = tap.helpers_of("test_summary")
rsn = tap.helpers_of("test_reasons")

GO127 = fid.GO127
FIXDIR = os.path.join(SCRATCH, "matrix-fixtures")

# ---------------------------------------------------------------- fixtures

MAIN = {
    "go.mod": "module example.com/matrix\n\ngo 1.23\n",
    "words/words.go": 'package words\n\nimport "strings"\n\n'
                      "// Title upper-cases the first letter.\n"
                      "func Title(s string) string {\n\tif s == \"\" {\n\t\treturn s\n\t}\n"
                      "\treturn strings.ToUpper(s[:1]) + s[1:]\n}\n",
    "words/words_test.go": 'package words\n\nimport "testing"\n\n'
                           'func TestTitle(t *testing.T) {\n\tif Title("go") != "Go" {\n\t\tt.Fatal(Title("go"))\n\t}\n}\n',
    # //go:embed of a directory pattern
    "greet/greet.go": 'package greet\n\nimport (\n\t"embed"\n\t"strings"\n\n\t"example.com/matrix/words"\n)\n\n'
                      "//go:embed static/*.txt\nvar static embed.FS\n\n"
                      "// Hello greets name.\nfunc Hello(name string) string {\n"
                      '\tb, _ := static.ReadFile("static/hello.txt")\n'
                      '\treturn strings.TrimSpace(string(b)) + ", " + words.Title(name) + "!"\n}\n',
    "greet/static/hello.txt": "Hello\n",
    # an external test package (package greet_test)
    "greet/greet_ext_test.go": 'package greet_test\n\nimport (\n\t"testing"\n\n\t"example.com/matrix/greet"\n)\n\n'
                               'func TestHelloExt(t *testing.T) {\n\tif got := greet.Hello("gopher"); got != "Hello, Gopher!" {\n'
                               "\t\tt.Fatal(got)\n\t}\n}\n",
    # build tags: one file or the other
    "fancy/fancy.go": "//go:build fancy\n\npackage fancy\n\n// Mode is the build mode.\nconst Mode = \"fancy\"\n",
    "fancy/plain.go": "//go:build !fancy\n\npackage fancy\n\n// Mode is the build mode.\nconst Mode = \"plain\"\n",
    # a test-only package (_test.go files only)
    "testonly/only_test.go": 'package testonly\n\nimport (\n\t"testing"\n\n\t"example.com/matrix/words"\n)\n\n'
                             'func TestOnly(t *testing.T) {\n\tif words.Title("x") != "X" {\n\t\tt.Fatal("x")\n\t}\n}\n',
    # a fuzz test with a seed corpus in testdata/fuzz
    "fz/fz.go": "package fz\n\n// Reverse reverses the bytes of s.\nfunc Reverse(s string) string {\n"
                "\tb := []byte(s)\n\tfor i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {\n\t\tb[i], b[j] = b[j], b[i]\n\t}\n"
                "\treturn string(b)\n}\n",
    "fz/fz_test.go": 'package fz\n\nimport "testing"\n\n'
                     "func FuzzReverse(f *testing.F) {\n\tf.Fuzz(func(t *testing.T, s string) {\n"
                     "\t\tif Reverse(Reverse(s)) != s {\n\t\t\tt.Fatal(s)\n\t\t}\n\t})\n}\n",
    "fz/testdata/fuzz/FuzzReverse/seed1": 'go test fuzz v1\nstring("abc")\n',
    "fz/testdata/fuzz/FuzzReverse/seed2": 'go test fuzz v1\nstring("")\n',
    # several mains
    "cmd/hello/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\n\t"example.com/matrix/fancy"\n'
                         '\t"example.com/matrix/greet"\n)\n\n'
                         'func main() {\n\tname := "world"\n\tif len(os.Args) > 1 {\n\t\tname = os.Args[1]\n\t}\n'
                         "\tfmt.Println(greet.Hello(name), fancy.Mode)\n}\n",
    "cmd/second/main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/matrix/words"\n)\n\n'
                          'func main() { fmt.Println(words.Title("second")) }\n',
}
M = "example.com/matrix"
WORDS, GREET, FANCY, HELLO = M + "/words", M + "/greet", M + "/fancy", M + "/cmd/hello"

# A go.work workspace of two modules; app imports liba without a require.
WORKSPACE = {
    "go.work": "go 1.22\n\nuse (\n\t./app\n\t./liba\n)\n",
    "liba/go.mod": "module example.com/liba\n\ngo 1.22\n",
    "liba/liba.go": 'package liba\n\nimport "strconv"\n\n// Label labels n.\nfunc Label(n int) string { return "n=" + strconv.Itoa(n) }\n',
    "liba/liba_test.go": 'package liba\n\nimport "testing"\n\nfunc TestLabel(t *testing.T) {\n'
                         '\tif Label(2) != "n=2" {\n\t\tt.Fatal(Label(2))\n\t}\n}\n',
    "app/go.mod": "module example.com/app\n\ngo 1.22\n",
    "app/cmd/app/main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/liba"\n)\n\n'
                           "func main() { fmt.Println(liba.Label(3)) }\n",
}

# A module whose dependency is vendored (`go mod vendor` of a local replace).
VENDORED = {
    "go.mod": "module example.com/vend\n\ngo 1.22\n\nrequire example.com/dep v0.0.0\n\n"
              "replace example.com/dep => ./dep\n",
    "dep/go.mod": "module example.com/dep\n\ngo 1.22\n",
    "dep/dep.go": "package dep\n\n// Answer answers.\nfunc Answer() int { return 42 }\n",
    "main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep"\n)\n\nfunc main() { fmt.Println(dep.Answer()) }\n',
    "main_test.go": 'package main\n\nimport (\n\t"testing"\n\n\t"example.com/dep"\n)\n\n'
                    "func TestAnswer(t *testing.T) {\n\tif dep.Answer() != 42 {\n\t\tt.Fatal()\n\t}\n}\n",
}

# cgo with a C file (and a header) next to the Go file.
CGOC = {
    "go.mod": "module example.com/cgoc\n\ngo 1.22\n",
    "cmath/add.h": "int gox_add(int a, int b);\n",
    "cmath/add.c": '#include "add.h"\n\nint gox_add(int a, int b) { return a + b; }\n',
    "cmath/cmath.go": 'package cmath\n\n// #include "add.h"\nimport "C"\n\n'
                      "// Add adds in C.\nfunc Add(a, b int) int { return int(C.gox_add(C.int(a), C.int(b))) }\n",
    "cmath/cmath_test.go": 'package cmath\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n'
                           "\tif Add(2, 3) != 5 {\n\t\tt.Fatal(Add(2, 3))\n\t}\n}\n",
    "main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/cgoc/cmath"\n)\n\n'
               "func main() { fmt.Println(cmath.Add(40, 2)) }\n",
}

# go vet with a failing analyzer other than printf (unusedresult).
VETFAIL = {
    "go.mod": "module example.com/vetfail\n\ngo 1.24\n",
    "bad/bad.go": 'package bad\n\nimport (\n\t"fmt"\n\n\t"example.com/vetfail/good"\n)\n\n'
                  '// Drop formats and drops the result.\nfunc Drop(n int) {\n'
                  '\tfmt.Sprintf("%d", n+good.One())\n}\n',
    "good/good.go": "package good\n\n// One is one.\nfunc One() int { return 1 }\n",
}

# The two real modules, pinned; their go.sum lines as the proxy serves them.
CHI, CHI_V = "github.com/go-chi/chi/v5", "v5.5.0"
SQLITE, SQLITE_V = "github.com/mattn/go-sqlite3", "v1.14.53"
REAL_SUM = (f"{CHI} {CHI_V} h1:xdKQ1dJmVJsmgahrXSKhUx8NyVPzpwdlyrrQFpMPJgg=\n"
            f"{CHI} {CHI_V}/go.mod h1:d1IG7GtKPSjPyBP365PH8sAGVHk3qfB/IhjFNRH1wWM=\n"
            f"{SQLITE} {SQLITE_V} h1:mnTM0owzUMrKuLo+0w51NUiB0ir2Fo7kFXlPt/l3BGs=\n"
            f"{SQLITE} {SQLITE_V}/go.mod h1:6JTjA44L93a0QCyJef5YvlPoKXntQPjzWv5gtm9sB6w=\n")
REAL = {
    "go.mod": f"module example.com/real\n\ngo 1.24\n\nrequire (\n\t{CHI} {CHI_V}\n\t{SQLITE} {SQLITE_V}\n)\n",
    "go.sum": REAL_SUM,
    "cmd/web/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"net/http/httptest"\n\n'
                       f'\t"{CHI}"\n\t"{CHI}/middleware"\n)\n\n'
                       "func main() {\n\tr := chi.NewRouter()\n\tr.Use(middleware.RequestID)\n"
                       '\tr.Get("/hi/{name}", func(w http.ResponseWriter, req *http.Request) {\n'
                       '\t\tfmt.Fprintf(w, "hi %s", chi.URLParam(req, "name"))\n\t})\n'
                       "\trec := httptest.NewRecorder()\n"
                       '\tr.ServeHTTP(rec, httptest.NewRequest("GET", "/hi/gopher", nil))\n'
                       "\tfmt.Println(rec.Code, rec.Body.String())\n}\n",
    "cmd/db/main.go": 'package main\n\nimport (\n\t"database/sql"\n\t"fmt"\n\n'
                      f'\t_ "{SQLITE}"\n)\n\n'
                      'func main() {\n\tdb, err := sql.Open("sqlite3", ":memory:")\n\tif err != nil {\n\t\tpanic(err)\n\t}\n'
                      '\tvar v string\n\tif err := db.QueryRow("select sqlite_version()").Scan(&v); err != nil {\n'
                      "\t\tpanic(err)\n\t}\n\tfmt.Println(len(v) > 0)\n}\n",
}

def fixture(name, files, base=None):
    """Writes files (over a copy of the fixture dir base) into a fixture dir of
    the scratch dir, afresh; returns its path."""
    d = os.path.join(FIXDIR, name)
    rsn.rmtree(d) if os.path.exists(d) else None
    if base:
        shutil.copytree(base, d)
    rsn.write_tree(files, d)
    # An hour old: go neither saves a test result nor a module index entry
    # while a file it read is under ~2 s old, so fresh files would make the go
    # and gox sides differ by timing alone (seen: fuzz_seed_corpus's seeds).
    old = time.time() - 3600
    for dirpath, _, names in os.walk(d):
        for n in names:
            os.utime(os.path.join(dirpath, n), (old, old))
    return d

# A module cache of this suite's own (beside the templates: a re-run does not
# fetch again), shared by the template and every scenario: the module dir is
# part of go's action IDs, so it must not move.
GOPATH = os.path.join(tap.TEMPLATES, "matrix-gopath")
REAL_ENV = {"GOPATH": GOPATH, "GOMODCACHE": os.path.join(GOPATH, "pkg", "mod"),
            "GOFLAGS": "-buildvcs=false -mod=mod -modcacherw"}

# ---------------------------------------------------------------- templates

def main_template():
    # The cover runtime and the fuzz-instrumented standard packages (-fuzz
    # recompiles most of the test's std dependencies with coverage counters).
    return derived_template("matrix-main", [["build", "./..."], ["test", "./..."], ["test", "-cover", "./..."],
                                            ["test", "-run=^$", "-fuzz=FuzzReverse", "-fuzztime=2x", "-parallel=1",
                                             "./fz"], ["vet", "./..."]],
                            source=fixture("main-src", MAIN))

def race_template():
    # -race builds every package, the standard library too, instrumented: one
    # cold build of the test closure, once.
    return derived_template("matrix-race", [["test", "-race", "./words", "./greet"],
                                            ["build", "-race", "./cmd/hello"]], source=fixture("race-src", MAIN))

def cgo_template():
    return derived_template("matrix-cgo", [["build", "./..."], ["test", "./..."]], source=fixture("cgo-src", CGOC))

def real_template():
    # go-sqlite3's C amalgamation compiled here, once for the package and
    # once for its test variant; chi, net/http and its tests.
    return derived_template("matrix-real", [["build", "./..."], ["vet", "./..."], ["test", CHI + "/..."],
                                            ["test", "-run=^TestOpen$", SQLITE]],
                            source=fixture("real-src", REAL), extra_env=REAL_ENV)

# ---------------------------------------------------------------- harness

def normal(b):
    """test_fidelity's normalisations, and -fuzz's progress lines (elapsed
    time, execs/sec and the number of new interesting inputs differ between
    two plain go runs)."""
    b = fid.work_dir(fid.test_times(b))
    b = re.sub(rb"elapsed: \d+s", b"elapsed: Ns", b)
    b = re.sub(rb"execs: \d+ \(\d+/sec\), new interesting: \d+ \(total: \d+\)",
               b"execs: N (N/sec), new interesting: N (total: N)", b)
    return b

def step(s, verb, *args, expect_rc=0, env=None, cwd=None, agree=True, with_why=True):
    """A compared step. Both sides run go with -debug-actiongraph=AG; gox also
    with --why (unless with_why is False) and a JSON summary. On the gox side
    the summary is checked against the action graph and returned (None on the
    go side).

    with_why=False where go test would print a result cached by plain go (in
    the template): GODEBUG is an input of every test result, and --why sets
    GODEBUG=gocachehash=1,gocachetest=1, so under --why that result is not
    found and the test runs."""
    n = len(s.steps)
    ag, sm = s.path(f"ag{n}.json"), s.path(f"summary{n}.json")
    pre = [] if s.tool == "go" else [f"--summary={sm}", "--summary-format=json", "--no-progress"] + \
        (["--why"] if with_why else [])
    p = s.run(*pre, verb, f"-debug-actiongraph={ag}", *args, cwd=cwd, env=env, label=" ".join((verb,) + args))
    eq(p.returncode, expect_rc, f"{s.tool} {verb} {' '.join(args)} exit status; stderr: "
                                f"{p.stderr.decode(errors='replace')[-2000:]}")
    if s.tool == "go":
        return None
    check(os.path.exists(sm), f"gox wrote no summary: {p.stderr.decode(errors='replace')[-2000:]}")
    with open(sm) as f:
        summary = json.load(f)
    eq(summary["command"]["exit_code"], expect_rc, "summary command.exit_code")
    check(summary["actiongraph_merged"], "the summary merged the action graph")
    if agree:
        with open(ag) as f:
            summ.agree(summary, json.load(f))
    return summary

def why(s, summary, path, reason, detail=None, detail_re=None, for_test=None):
    """On the gox side: path rebuilt for reason (test_reasons.expect);
    for_test="any": every variant of path that was rebuilt, at least one."""
    if s.tool != "gox":
        return
    if for_test != "any":
        rsn.expect(summary, path, reason, detail=detail, detail_re=detail_re, for_test=for_test)
        return
    variants = [p["for_test"] for p in summary["packages"] if p["import_path"] == path and p["outcome"] == "rebuilt"]
    check(variants, f"{path} was not rebuilt")
    for v in variants:
        rsn.expect(summary, path, reason, detail=detail, detail_re=detail_re, for_test=v)

def matrix(name, body, *, fixture_dir, cache, env=None, go="go", artifacts=()):
    """test_fidelity.fidelity with this suite's normalisation and a history
    file of the scenario's own (the same path on both sides)."""
    root = os.path.join(fid.FID, name)
    e = dict(env or {}, GOX_HISTORY=os.path.join(root, "history.db"))
    return fid.fidelity(name, body, fixture=fixture_dir, cache=cache, go=go, env=e, artifacts=artifacts,
                        normalize=normal)

def write(s, rel, text, mode="w"):
    s.write(rel, text, mode)

def edit_go(s, rel, extra="\n// Extra is new.\nfunc Extra() int { return 7 }\n"):
    s.write(rel, extra, "a")

def no_std_rebuilt(s, summary):
    if s.tool == "gox":
        rsn.no_std_rebuilt(summary)

def outcome(summary, path, for_test=None):
    return rsn.pkg(summary, path, for_test)["outcome"]

# ---------------------------------------------------------------- scenarios

@test
def workspace_two_modules():
    # go.work: app imports liba with no require line; patterns resolve
    # across both modules. (Go 1.18+; GOWORK is off in the other suites.)
    def body(s):
        # `./...` at the root fails: the root dir holds no module (go: "directory
        # prefix . does not contain modules listed in go.work").
        step(s, "build", "./app/...", "./liba/...")
        step(s, "test", "./app/...", "./liba/...")
        step(s, "build", "-o", s.path("bin") + "/", "./app/cmd/app")
        edit_go(s, "liba/liba.go")
        sm = step(s, "test", "./liba/...", "./app/...")
        why(s, sm, "example.com/liba", "source_file_changed", "liba.go")
        why(s, sm, "example.com/app/cmd/app", "dependency_changed", "example.com/liba")
        no_std_rebuilt(s, sm)
    g = matrix("matrix-workspace", body, fixture_dir=fixture("workspace", WORKSPACE), cache=template_cache,
               env={"GOWORK": ""}, artifacts=["bin/app"])
    check(b"ok  \texample.com/liba" in fid.step(g, 1)[1], fid.step(g, 1)[1])

@test
def vendored_dependency():
    # -mod=vendor (the default when vendor/ exists and go >= 1.14), the
    # vendor dir made by `go mod vendor` of a local replace; the edit is in
    # vendor/.
    src = fixture("vendor", VENDORED)
    p = subprocess.run(["go", "mod", "vendor"], cwd=src, env=go_env(os.path.join(SCRATCH, "matrix-vendor-cache")),
                       capture_output=True)
    eq(p.returncode, 0, f"go mod vendor: {p.stderr.decode(errors='replace')}")
    check(os.path.exists(os.path.join(src, "vendor", "example.com", "dep", "dep.go")), "vendored")
    def body(s):
        step(s, "build", "-mod=vendor", "-o", s.path("bin", "vend"), ".")
        step(s, "test", "-mod=vendor", "./...")
        edit_go(s, "vendor/example.com/dep/dep.go")
        sm = step(s, "build", "-o", s.path("bin", "vend"), ".")
        why(s, sm, "example.com/dep", "source_file_changed", "dep.go")
        why(s, sm, "example.com/vend", "dependency_changed", "example.com/dep")
        step(s, "build", "-mod=mod", "-o", s.path("bin", "vend"), ".")  # the replace dir instead: dep moves
    matrix("matrix-vendor", body, fixture_dir=src, cache=template_cache, artifacts=["bin/vend"])

@test
def race_detector():
    def body(s):
        step(s, "test", "-race", "./words", "./greet")
        step(s, "build", "-race", "-o", s.path("bin", "hello"), "./cmd/hello")
        edit_go(s, "words/words.go")
        sm = step(s, "test", "-race", "./words", "./greet")
        why(s, sm, WORDS, "source_file_changed", "words.go", for_test="any")
        why(s, sm, GREET, "dependency_changed", WORDS, for_test="any")
        no_std_rebuilt(s, sm)
    matrix("matrix-race", body, fixture_dir=fixture("race", MAIN), cache=race_template, artifacts=["bin/hello"])

@test
def cover_and_coverpkg():
    def body(s):
        step(s, "test", "-cover", "./words", "./greet", "./testonly")
        step(s, "test", "-coverpkg=./...", "-coverprofile=" + s.path("cover.out"), "./words", "./greet")
        edit_go(s, "greet/greet.go")
        sm = step(s, "test", "-coverpkg=./...", "-coverprofile=" + s.path("cover.out"), "./words", "./greet")
        why(s, sm, GREET, "source_file_changed", "greet.go", for_test="any")
    g = matrix("matrix-cover", body, fixture_dir=fixture("cover", MAIN), cache=main_template,
               artifacts=["cover.out"])
    check(re.search(rb"ok  \texample.com/matrix/words\t[0-9.]+s\tcoverage: [0-9.]+% of statements\n", fid.step(g, 0)[1]),
          fid.step(g, 0)[1])

@test
def cover_packages_without_tests():
    # Under --why the covdata run that go test -cover starts for packages
    # without tests (Go 1.22+) inherits GODEBUG=gocachehash=1 and prints HASH
    # lines on go's stdout: gox drops them (model::HashLineFilter).
    # Go 1.22+ prints `pkg  coverage: 0.0% of statements` for a package
    # without tests where 1.19-1.21 print `?  pkg  [no test files]`; go
    # computes it with `go tool covdata`.
    def body(s):
        step(s, "test", "-cover", "./...")
    g = matrix("matrix-cover-notests", body, fixture_dir=fixture("cover-notests", MAIN), cache=main_template)
    # (cmd/hello has no test files: its line comes from covdata)
    check(re.search(rb"example.com/matrix/cmd/hello\t+coverage: 0.0% of statements", fid.step(g, 0)[1]),
          fid.step(g, 0)[1])

@test
def cover_variant_reason():
    # go test -cover ./... builds greet twice: covered for its own test,
    # uncovered as a dependency of cmd/hello (run for its 0.0% line);
    # -coverpkg=./... builds it covered only. After -coverpkg, an edit, and
    # -cover again, the uncovered greet is rebuilt because of the edit alone
    # (without it, the first run's uncovered build would be a cache hit).
    # The newest record of greet is the -coverpkg run's covered build; gox
    # must compare with the last run of the same kind (analysis::run_kind),
    # or it says gcflags_changed "cover: set → ". (gox only, no fidelity
    # check: the cover scenario above has that.)
    s = rsn.Scenario("matrix-cover-variant", source=fixture("cover-variant", MAIN), caches=[main_template()])
    s.gox("test", "-cover", "./...")
    s.gox("test", "-coverpkg=./...", "./words", "./greet")
    s.write("greet/greet.go", "\n// Extra is new.\nfunc Extra() int { return 7 }\n", "a")
    sm = s.gox("test", "-cover", "./...")
    for p in sm["packages"]:
        if p["import_path"] == GREET and p["outcome"] == "rebuilt":
            rsn.note(rsn.show(p))
            eq((p["reason"], p["reason_detail"]), ("source_file_changed", "greet.go"), rsn.show(p))
    s.done()

@test
def cover_on_go127():
    # The same on 1.27.3, whose cover and test output are the newest format.
    def body(s):
        step(s, "test", "-cover", "./words", "./greet")
        step(s, "test", "-coverpkg=./...", "-coverprofile=" + s.path("cover.out"), "./words", "./greet")
    matrix("matrix-cover-127", body, fixture_dir=fixture("cover127", MAIN), cache=go127_template, env=GO127,
           artifacts=["cover.out"])

@test
def build_tags():
    def body(s):
        step(s, "build", "-tags=fancy", "-o", s.path("bin", "hello"), "./cmd/hello")
        step(s, "test", "-tags", "fancy", "./...")
        step(s, "vet", "-tags=fancy", "./...")
        edit_go(s, "fancy/fancy.go")
        sm = step(s, "build", "-tags=fancy", "-o", s.path("bin", "hello"), "./cmd/hello")
        why(s, sm, FANCY, "source_file_changed", "fancy.go")
        sm = step(s, "build", "-o", s.path("bin", "hello"), "./cmd/hello")  # tags dropped
        why(s, sm, FANCY, "source_file_added", "plain.go")
    matrix("matrix-tags", body, fixture_dir=fixture("tags", MAIN), cache=main_template, artifacts=["bin/hello"])

@test
def cgo_with_a_c_file():
    def body(s):
        step(s, "build", "-o", s.path("bin", "cgoc"), ".")
        step(s, "test", "./...")
        step(s, "vet", "./...")
        # A build again (all cached) before the edit (cgo_reason_after_vet
        # has the edit right after vet).
        step(s, "build", "-o", s.path("bin", "cgoc"), ".")
        edit_go(s, "cmath/add.c", "\nint gox_sub(int a, int b) { return a - b; }\n")
        sm = step(s, "build", "-o", s.path("bin", "cgoc"), ".")
        why(s, sm, "example.com/cgoc/cmath", "source_file_changed", "add.c")
    matrix("matrix-cgo", body, fixture_dir=fixture("cgo", CGOC), cache=cgo_template, artifacts=["bin/cgoc"])

@test
def cgo_reason_after_vet():
    # build, vet, edit the C file, build: the package is rebuilt for the
    # edit alone (the first build's entry would be a cache hit otherwise).
    # Compared with the vet run's record (forcelibrary in its action ID) gox
    # would say gcflags_changed "forcelibrary:  → "; it compares with the
    # last build. (gox only: cgo_with_a_c_file checks fidelity.)
    s = rsn.Scenario("matrix-cgo-after-vet", source=fixture("cgo-after-vet", CGOC), caches=[cgo_template()])
    s.gox("build", "./...")
    s.gox("vet", "./...")
    s.write("cmath/add.c", "\nint gox_sub(int a, int b) { return a - b; }\n", "a")
    sm = s.gox("build", "./...")
    rsn.expect(sm, "example.com/cgoc/cmath", "source_file_changed", "add.c")
    s.done()

@test
def embed_directory_pattern():
    def body(s):
        step(s, "build", "-o", s.path("bin", "hello"), "./cmd/hello")
        write(s, "greet/static/hello.txt", "Howdy\n")
        sm = step(s, "build", "-o", s.path("bin", "hello"), "./cmd/hello")
        why(s, sm, GREET, "embed_file_changed", "static/hello.txt")
        s.run("run", "./cmd/hello", "you")
    g = matrix("matrix-embed", body, fixture_dir=fixture("embed", MAIN), cache=main_template, artifacts=["bin/hello"])
    eq(fid.step(g, 2)[1], b"Howdy, You! plain\n", "the embedded file changed the output")

@test
def test_only_and_external_test_packages():
    # testonly/ has _test.go files only (`go build` of it fails, of ./...
    # skips it; `go test` builds it as the test variant); greet_test is an external test
    # package (package greet_test, built as "greet_test [greet.test]").
    def body(s):
        step(s, "test", "./testonly", "./greet")
        step(s, "build", "./testonly", expect_rc=1)  # "no non-test Go files in ..." (./... skips it)
        step(s, "build", "./...")
        step(s, "vet", "./testonly", "./greet")
        edit_go(s, "testonly/only_test.go", "\nfunc TestMore(t *testing.T) {}\n")
        edit_go(s, "greet/greet_ext_test.go", "\nfunc TestMoreExt(t *testing.T) {}\n")
        sm = step(s, "test", "./testonly", "./greet")
        why(s, sm, M + "/testonly", "source_file_changed", "only_test.go", for_test="any")
        why(s, sm, GREET + "_test", "source_file_changed", "greet_ext_test.go", for_test="any")
        if s.tool == "gox":
            eq(outcome(sm, GREET), "cache_hit", "greet itself is unchanged")
    matrix("matrix-testonly", body, fixture_dir=fixture("testonly", MAIN), cache=main_template)

@test
def test_c_to_a_directory():
    # go test -c -o DIR/ of several packages: Go 1.21+ (1.19 refuses -c with
    # more than one package).
    def body(s):
        step(s, "test", "-c", "-o", s.path("bin") + "/", "./words", "./greet", "./testonly")
        edit_go(s, "words/words.go")
        sm = step(s, "test", "-c", "-o", s.path("bin") + "/", "./words", "./greet", "./testonly")
        why(s, sm, WORDS, "source_file_changed", "words.go", for_test="any")
    matrix("matrix-test-c", body, fixture_dir=fixture("testc", MAIN), cache=main_template,
           artifacts=["bin/words.test", "bin/greet.test", "bin/testonly.test"])

@test
def fuzz_seed_corpus():
    # The seeds in testdata/fuzz run as ordinary tests; -fuzz for 20
    # executions (its progress lines carry times and counts that differ
    # between two go runs: normalised).
    def body(s):
        step(s, "test", "./fz")
        step(s, "test", "-v", "-run=FuzzReverse/seed1", "./fz")
        edit_go(s, "fz/fz.go")
        sm = step(s, "test", "./fz")
        why(s, sm, M + "/fz", "source_file_changed", "fz.go", for_test="any")
        # -fuzz last: after it (even with a plain -count=1 run between), an
        # edit was named as the fuzz instrumentation going ("fuzz:
        # ["-d=libfuzzer"] → "), the record-matching bug of
        # cgo_reason_after_vet.
        step(s, "test", "-run=^$", "-fuzz=FuzzReverse", "-fuzztime=20x", "-parallel=1", "./fz")
    g = matrix("matrix-fuzz", body, fixture_dir=fixture("fuzz", MAIN), cache=main_template)
    check(b"--- PASS: FuzzReverse/seed1" in fid.step(g, 1)[1], fid.step(g, 1)[1])

@test
def build_several_mains_to_a_directory():
    def body(s):
        step(s, "build", "-o", s.path("bin") + "/", "./...")
        edit_go(s, "words/words.go")
        sm = step(s, "build", "-o", s.path("bin") + "/", "./...")
        why(s, sm, WORDS, "source_file_changed", "words.go")
        why(s, sm, M + "/cmd/second", "dependency_changed", WORDS)
    matrix("matrix-mains", body, fixture_dir=fixture("mains", MAIN), cache=main_template,
           artifacts=["bin/hello", "bin/second"])

@test
def vet_failing_analyzer():
    def body(s):
        sm = step(s, "vet", "./...", expect_rc=1)
        if s.tool == "gox":
            eq(sm["summary"]["packages_failed"], 0, "vet failed, no package did: compiles are fine")
        step(s, "vet", "./...", expect_rc=1)  # vet results of the clean package cached
        step(s, "vet", "./good")
        edit_go(s, "good/good.go")
        sm = step(s, "vet", "./...", expect_rc=1)
        # good is compiled for bad's vet (its export data): rebuilt.
        why(s, sm, "example.com/vetfail/good", "source_file_changed", "good.go")
    g = matrix("matrix-vet", body, fixture_dir=fixture("vetfail", VETFAIL), cache=template_cache)
    check(b"result of fmt.Sprintf call not used" in fid.step(g, 0)[2], fid.step(g, 0)[2])

@test
def vet_failing_analyzer_on_go127():
    def body(s):
        step(s, "vet", "./...", expect_rc=1)
    g = matrix("matrix-vet-127", body, fixture_dir=fixture("vetfail127", VETFAIL), cache=go127_template, env=GO127)
    check(b"result of fmt.Sprintf call not used" in fid.step(g, 0)[2], fid.step(g, 0)[2])

@test
def goflags_from_the_environment():
    # GOFLAGS carries build flags (-tags) and test flags (-count is taken
    # from GOFLAGS by go test too); dropping -tags from GOFLAGS is a reason.
    flags = "-buildvcs=false -tags=fancy"
    def body(s):
        step(s, "build", "-o", s.path("bin") + "/", "./...")
        step(s, "test", "./words", "./fancy", env={"GOFLAGS": flags + " -count=1"})
        sm = step(s, "build", "-o", s.path("bin") + "/", "./...", env={"GOFLAGS": "-buildvcs=false"})
        why(s, sm, FANCY, "source_file_added", "plain.go")
        why(s, sm, HELLO, "build_tags_changed", detail_re=r"^-tags: fancy → ")
    matrix("matrix-goflags", body, fixture_dir=fixture("goflags", MAIN), cache=main_template,
           env={"GOFLAGS": flags}, artifacts=["bin/hello", "bin/second"])

@test
def toolchain_line_switches_go():
    # go.mod's toolchain line asks for go1.27.3 and GOTOOLCHAIN=auto lets the
    # local go 1.26 hand over to it (Go 1.21+; 1.19 rejects the directive).
    files = dict(MAIN, **{"go.mod": "module example.com/matrix\n\ngo 1.23\n\ntoolchain go1.27.3\n"})
    def body(s):
        sm = step(s, "build", "-o", s.path("bin") + "/", "./...")
        if s.tool == "gox":
            eq(sm["go_version"], "go1.27.3", "the toolchain the go.mod asked for ran")
        step(s, "test", "./words", "./greet")
        edit_go(s, "words/words.go")
        sm = step(s, "build", "-o", s.path("bin") + "/", "./...")
        why(s, sm, WORDS, "source_file_changed", "words.go")
    matrix("matrix-toolchain", body, fixture_dir=fixture("toolchain", files), cache=go127_template,
           env={"GOTOOLCHAIN": "auto"}, artifacts=["bin/hello", "bin/second"])

@test
def goexperiment():
    # Any experiment off its default goes into every compile's action ID,
    # so the standard library would rebuild: the module here imports only
    # unicode/utf8 and has no main (three cold compiles from an empty
    # cache). jsonv2 exists in Go 1.25-1.27.
    def body(s):
        step(s, "build", "./...")
        sm = step(s, "build", "./...", env={"GOEXPERIMENT": "jsonv2"})
        for path in rsn.TINY_PKGS:
            why(s, sm, path, "env_changed", detail_re=r"GOEXPERIMENT.*jsonv2")
        step(s, "vet", "./...", env={"GOEXPERIMENT": "jsonv2"})
    matrix("matrix-goexperiment", body, fixture_dir=fixture("tiny", rsn.TINY), cache=None)

# ---------------------------------------------------------------- real modules

@test
def real_chi_router():
    # go-chi/chi v5 through the module proxy (GOPROXY as on the machine) into
    # this suite's module cache; the library's own tests run from there.
    def body(s):
        step(s, "build", "-o", s.path("bin") + "/", "./cmd/web")
        s.run("run", "./cmd/web")
        step(s, "test", CHI + "/...", with_why=False)  # (cached): the template ran them
        step(s, "vet", "./cmd/web")
        step(s, "build", "-o", s.path("bin") + "/", "./cmd/web")  # cached; see cgo_reason_after_vet
        edit_go(s, "cmd/web/main.go")
        sm = step(s, "build", "-o", s.path("bin") + "/", "./cmd/web")
        why(s, sm, "example.com/real/cmd/web", "source_file_changed", "main.go")
        no_std_rebuilt(s, sm)
    g = matrix("matrix-chi", body, fixture_dir=fixture("real-chi", REAL), cache=real_template, env=REAL_ENV,
               artifacts=["bin/web"])
    eq(fid.step(g, 1)[1], b"200 hi gopher\n", "the chi program's output")
    eq(fid.step(g, 2)[1], f"ok  \t{CHI}\t(cached)\nok  \t{CHI}/middleware\t(cached)\n".encode(), "chi's tests")

@test
def real_chi_local_copy_edited():
    # The library itself edited: a writable copy of chi from the module
    # cache, used through a replace; one file of it changed.
    chi_dir = os.path.join(REAL_ENV["GOMODCACHE"], "github.com", "go-chi", "chi", "v5@" + CHI_V)
    real_template()  # fills the module cache
    src = fixture("real-chi-copy", {"go.mod": REAL["go.mod"] + f"\nreplace {CHI} => ./third_party/chi\n"},
                  base=fixture("real-chi-copy-base", REAL))
    shutil.copytree(chi_dir, os.path.join(src, "third_party", "chi"))
    for dirpath, dirs, files in os.walk(os.path.join(src, "third_party")):
        for n in dirs + files:
            os.chmod(os.path.join(dirpath, n), 0o755 if n in dirs else 0o644)
    def body(s):
        step(s, "test", CHI + "/...")
        # The reasons are checked on a build after a build: after go test of
        # chi/..., edit, go test again, gox named "forcelibrary:  → " for chi
        # (the record-matching bug of cgo_reason_after_vet).
        step(s, "build", "-o", s.path("bin") + "/", "./cmd/web")
        edit_go(s, "third_party/chi/chain.go")
        sm = step(s, "build", "-o", s.path("bin") + "/", "./cmd/web")
        why(s, sm, CHI, "source_file_changed", "chain.go")
        why(s, sm, CHI + "/middleware", "dependency_changed", CHI)
        no_std_rebuilt(s, sm)
        step(s, "test", CHI + "/...")
    matrix("matrix-chi-copy", body, fixture_dir=src, cache=real_template, env=REAL_ENV, artifacts=["bin/web"])

@test
def real_sqlite_cgo():
    # mattn/go-sqlite3 (cgo, the SQLite C amalgamation): the C is compiled
    # once in the template; here it comes from the cache.
    def body(s):
        step(s, "build", "-o", s.path("bin") + "/", "./cmd/db")
        s.run("run", "./cmd/db")
        # Its own tests (a subset: the whole suite runs for seconds), run
        # again (-count=1): the test binary links the cached C objects.
        step(s, "test", "-count=1", "-run=^TestOpen$", SQLITE)
        step(s, "vet", "./cmd/db")
        step(s, "build", "-o", s.path("bin") + "/", "./cmd/db")  # cached; see cgo_reason_after_vet
        edit_go(s, "cmd/db/main.go")
        sm = step(s, "build", "-o", s.path("bin") + "/", "./cmd/db")
        why(s, sm, "example.com/real/cmd/db", "source_file_changed", "main.go")
        if s.tool == "gox":
            eq(outcome(sm, SQLITE), "cache_hit", "the C amalgamation is not compiled again")
        no_std_rebuilt(s, sm)
    g = matrix("matrix-sqlite", body, fixture_dir=fixture("real-sqlite", REAL), cache=real_template, env=REAL_ENV,
               artifacts=["bin/db"])
    eq(fid.step(g, 1)[1], b"true\n", "the sqlite program's output")

if __name__ == "__main__":
    try:
        shutil.rmtree(os.path.join(fid.FID, ".trash"), ignore_errors=True)
        run()
    finally:
        fid._trash.join()
