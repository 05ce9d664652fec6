#!/usr/bin/env python3
"""gox parse against traces produced right now by the real go command, and
its command-line contract (errors, formats, messy input)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden"))
from tap import *  # noqa: F401,F403
import tap
from check_samples import check_actiongraph

def run_go_x(mod, cache, args, version="1.26", extra_env=None):
    ag = os.path.join(mod, "actiongraph.json")
    p = subprocess.run([go_binary(version)] + args[:1] + ["-x", f"-debug-actiongraph={ag}"] + args[1:],
                       cwd=mod, env=go_env(cache, extra_env), capture_output=True)
    trace = os.path.join(mod, "trace.txt")
    with open(trace, "wb") as f:
        f.write(p.stderr)
    return p, trace, ag

@test
def build_after_edit_agrees_with_actiongraph():
    mod, cache = fresh_module("edit"), fresh_cache("edit")
    path = os.path.join(mod, "internal", "words", "words.go")
    with open(path, "a") as f:
        f.write("\nfunc Extra() int { return 7 }\n")
    p, trace, ag = run_go_x(mod, cache, ["build", "-o", os.path.join(mod, "bin", "sample"), "./cmd/sample"])
    eq(p.returncode, 0, "go build")
    model = gox_parse_json(trace)
    ok, diag = check_actiongraph(model, ag)
    check(ok, diag)
    outcomes = {q["import_path"]: q["outcome"] for q in model["packages"]}
    eq(outcomes.get("example.com/sample/internal/words"), "rebuilt", "edited package")
    eq(outcomes.get("example.com/sample/cmd/sample"), "rebuilt", "main (its dependency's export data changed)")
    check(outcomes.get("fmt") == "cache_hit", f"fmt should come from the warm cache: {outcomes.get('fmt')}")
    eq(model["summary"]["link"], 1, "one link")
    eq(model["failed"], False, "failed")

@test
def actiongraph_merge_completes_a_noop_build():
    mod, cache = fresh_module("noop"), fresh_cache("noop")
    run_go_x(mod, cache, ["build", "./..."])
    p, trace, ag = run_go_x(mod, cache, ["build", "./..."])
    eq(p.returncode, 0, "go build")
    bare = gox_parse_json(trace)
    eq(bare["summary"]["packages_rebuilt"], 0, "nothing rebuilt")
    merged = gox_parse_json(trace, f"--actiongraph={ag}")
    graph = json.load(open(ag))
    builds = [a for a in graph if a["Mode"] == "build" and a.get("Package")]
    eq(merged["summary"]["packages"], len(builds), "package count from the graph")
    eq(merged["summary"]["packages_cached"], len(builds), "all cached")

@test
def test_run_and_cached_test():
    mod, cache = fresh_module("test"), fresh_cache("test")
    p, trace, ag = run_go_x(mod, cache, ["test", "-count=1", "./internal/greet"])
    eq(p.returncode, 0, "go test")
    model = gox_parse_json(trace)
    ok, diag = check_actiongraph(model, ag)
    check(ok, diag)
    eq(model["summary"]["test_run"], 1, "one test binary ran")
    tests = [q for q in model["packages"] if q["import_path"].endswith(".test")]
    eq(len(tests), 1, "one test main")

@test
def compile_error_is_a_failure_with_package():
    mod, cache = fresh_module("broken"), fresh_cache("broken")
    with open(os.path.join(mod, "internal", "words", "words.go"), "a") as f:
        f.write("\nfunc Broken() int { return \"no\" }\n")
    p, trace, ag = run_go_x(mod, cache, ["build", "./..."])
    check(p.returncode != 0, "go build should fail")
    model = gox_parse_json(trace)
    eq(model["failed"], True, "failed")
    kinds = {(f["package"], f["kind"]) for f in model["failures"]}
    check(("example.com/sample/internal/words", "compile") in kinds, f"failures: {kinds}")
    ok, diag = check_actiongraph(model, ag)
    check(ok, diag)

@test
def go119_build_reports_installed_std():
    if not os.path.exists(GO119):
        raise AssertionError(f"{GO119} missing: scripts/bootstrap installs golang-1.19-go")
    mod, cache = fresh_module("go119"), fresh_cache("go119", version="1.19", warm=False)
    p, trace, ag = run_go_x(mod, cache, ["build", "./..."], version="1.19")
    eq(p.returncode, 0, "go1.19 build")
    model = gox_parse_json(trace)
    check(model["go_version"].startswith("go1.19"), model["go_version"])
    check(model["summary"]["packages_installed"] > 10, "std from GOROOT/pkg")
    ok, diag = check_actiongraph(model, ag)
    check(ok, diag)

@test
def missing_file_is_one_line_and_nonzero():
    p = gox("parse", "/nonexistent/trace.txt")
    eq(p.returncode, 125, "exit status")
    err = p.stderr.decode()
    eq(err.count("\n"), 1, "one line")
    check("No such file" in err and "/nonexistent/trace.txt" in err, err)

@test
def directory_and_bad_options():
    p = gox("parse", "/tmp")
    eq(p.returncode, 125, "directory")
    check("directory" in p.stderr.decode(), p.stderr)
    p = gox("parse", "--format=xml", "x")
    eq(p.returncode, 125, "bad format")
    p = gox("parse")
    eq(p.returncode, 125, "no input")
    # A word that is no gox command goes to go unchanged (gox is a drop-in
    # for go), so a typo of "parse" gets go's own answer and exit status.
    p = gox("prase", "x")
    g = subprocess.run(["go", "prase", "x"], capture_output=True)
    eq((p.returncode, p.stderr), (g.returncode, g.stderr), "typo: go's answer")

@test
def stdin_input_and_text_format():
    sample = os.path.join(tap.ROOT, "trace_samples", "go126-edit-string.trace")
    with open(sample, "rb") as f:
        p = gox("parse", "-", stdin=f)
    eq(p.returncode, 0, "stdin")
    check(b"rebuilt" in p.stdout, p.stdout)

@test
def messy_blog_post_trace_does_not_crash():
    # A trace as pasted in a blog post or ticket: prompt, comments, wrapped
    # and elided lines, CRLF, a heredoc whose end was cut away, garbage.
    sample = os.path.join(tap.ROOT, "trace_samples", "go126-edit-string.trace")
    lines = open(sample, "rb").read().splitlines()
    messy = [b"$ go build -x ./...", b"# (author) here is the output:"]
    for i, l in enumerate(lines):
        if i % 7 == 3:
            messy.append(l[:40])          # wrapped
            messy.append(l[40:])
        elif i % 11 == 5:
            messy.append(b"...")          # elided
        else:
            messy.append(l)
    messy += [b"cat >/tmp/go-build1/b001/importcfg << 'EOF' # internal", b"packagefile fmt=/x/fmt.a",
              b"\x00\xff\xfe garbage", b"mkdir -p $WORK/b002/", b"\x1b[31mred\x1b[0m", b"a" * 3_000_000]
    path = os.path.join(SCRATCH, "messy.trace")
    os.makedirs(SCRATCH, exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\r\n".join(messy))
    model = gox_parse_json(path)
    check(model["summary"]["unrecognized_lines"] > 0, "elisions and prose are counted")
    check(model["summary"]["compile"] > 0, "compiles still found")
    eq(model["summary"]["heredocs_cut"], 1, "the cut heredoc")
    eq(model["summary"]["lines"], len(messy), "every line counted")

if __name__ == "__main__":
    run()
