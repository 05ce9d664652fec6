#!/usr/bin/env python3
"""Reports of real gox runs (go test, go build, failing builds) in every
format, checked by outside tools: the Markdown by cmark-gfm (GitHub's
renderer, Debian package cmark-gfm), the JUnit XML by xmllint against
tests/data/junit.xsd (written for gox from the documented JUnit format; a
schema fetched at test time would make the suite depend on the network),
the Chrome trace as JSON, the HTML by headless Chromium (Debian's chromium:
loads the page, dumps the DOM, takes a screenshot). Redaction: credentials,
tokens and the home directory planted in a real run appear in no format.
Hostile text (<script>, quotes, ANSI escapes) in a file name, a compiler
error and a package path is escaped and runs no script."""
import html
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

SCHEMA = os.path.join(tap.ROOT, "tests", "data", "junit.xsd")
FORMATS = {"json": "r.json", "markdown": "r.md", "html": "r.html", "junit": "r.xml", "chrome-trace": "r.trace.json",
           "text": "r.txt"}

def chromium(url, *extra):
    """Headless Chromium as root (no sandbox), offline, in a throwaway profile."""
    prof = tempfile.mkdtemp(prefix="chromium-", dir=tap.SCRATCH)
    try:
        p = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                            "--no-first-run", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--user-data-dir=" + prof, "--window-size=1200,1600"] + list(extra) + [url],
                           capture_output=True, timeout=120)
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    return p

def dump_dom(path):
    p = chromium("file://" + path, "--dump-dom")
    eq(p.returncode, 0, "chromium --dump-dom: " + p.stderr.decode(errors="replace")[-500:])
    return p.stdout.decode()

def report_args(d):
    return [f"--report={os.path.join(d, f)}" for f in FORMATS.values()]

def read_all(d):
    return {k: open(os.path.join(d, f), "rb").read().decode(errors="replace") for k, f in FORMATS.items()}

def md_to_html(md_text):
    p = subprocess.run(["cmark-gfm", "-e", "table", "-e", "strikethrough", "-e", "autolink", "--to", "html"],
                       input=md_text.encode(), capture_output=True)
    eq(p.returncode, 0, "cmark-gfm")
    return p.stdout.decode()

def gox_run(mod, cache, args, extra_env=None, **kw):
    env = go_env(cache, extra_env)
    env["GOX_HISTORY"] = os.path.join(mod, "history.db")
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run([tap.GOX, "--no-progress"] + args, cwd=mod, env=env, capture_output=True, **kw)

def break_test(mod):
    path = os.path.join(mod, "internal", "greet", "greet_test.go")
    with open(path, "a") as f:
        f.write('\nfunc TestBroken(t *testing.T) {\n\tt.Log("about to fail")\n\tt.Fatal("always fails")\n}\n')

def check_timeline(dom, doc):
    """The timeline draws the steps that ran and the critical path, in lanes
    that never hold two overlapping steps, no more lanes than steps ever ran
    at once, and no cache checks."""
    acts = doc["timing"]["actions"]
    want = [a for a in acts if a["ran"] or (a["critical"] and a["mode"] != "build check cache")]
    m = re.search(r'<svg id="lanes" data-lanes="(\d+)"', dom)
    check(m, "the lanes")
    lanes = int(m.group(1))
    rects = re.findall(r'<g class="lane" data-lane="(\d+)">|<rect class="act ([a-z ]+)" x="([\d.]+)%" y="\d+" '
                       r'width="([\d.]+)%" height="\d+"><title>([^<]*)</title>', dom)
    by_lane, lane = {}, None
    for g, cls, x, w, title in rects:
        if g:
            lane = int(g)
            continue
        by_lane.setdefault(lane, []).append((float(x), float(w), cls, title))
    drawn = [r for v in by_lane.values() for r in v]
    eq(len(drawn), len(want), "one bar per step that ran or is on the critical path")
    eq(len(by_lane), lanes, "lanes")
    check(not any(t.startswith("build check cache") for *_, t in drawn), "no cache-check bars")
    check(any("crit" in c for _, _, c, _ in drawn) == any(a["critical"] for a in want), "critical path marked")
    events = sorted([(a["start"], 1) for a in want] + [(a["start"] + a["seconds"], -1) for a in want], key=lambda e: (e[0], e[1]))
    most = cur = 0
    for _, d in events:
        cur += d
        most = max(most, cur)
    check(lanes <= max(1, most), f"{lanes} lanes for at most {most} steps at once")
    for v in by_lane.values():
        v.sort()
        for (x1, w1, *_), (x2, *_) in zip(v, v[1:]):
            check(x1 + w1 <= x2 + 0.03 or w1 <= 0.02, f"overlap in a lane: {x1}+{w1} > {x2}")
    check("build check cache" not in dom.split('id="timeline"')[1].split("</svg>")[0], "no cache check in the timeline")

@test
def test_run_reports_in_every_format():
    mod, cache = fresh_module("rep-test"), fresh_cache("rep-test")
    break_test(mod)
    out = tempfile.mkdtemp(prefix="reports-", dir=tap.SCRATCH)
    p = gox_run(mod, cache, report_args(out) + ["test", "./..."])
    plain = subprocess.run(["go", "test", "./..."], cwd=mod, env=go_env(cache), capture_output=True)
    eq(p.returncode, plain.returncode, "exit status as plain go")
    eq(p.returncode, 1, "a failing test")
    r = read_all(out)
    doc = json.loads(r["json"])
    eq(doc["schema_version"], 1, "schema")
    eq(doc["command"]["verb"], "test", "verb")
    eq(doc["command"]["args"], ["./..."], "args")
    cases = {(c["package"], c["name"]): c for c in doc["test_cases"]}
    broken = cases.get(("example.com/sample/internal/greet", "TestBroken"))
    check(broken and broken["status"] == "fail", f"test cases: {doc['test_cases']}")
    check(any("always fails" in l for l in broken["output"]), broken)
    # Markdown: renders as GitHub does, with the tables and the failure.
    html = md_to_html(r["markdown"])
    check("<table>" in html and re.search(r"<th[^>]*>packages</th>", html), "hit/miss table rendered")
    check("TestBroken" in html and "always fails" in html, "failed test shown")
    check("<script" not in html, "no script")
    check(len(r["markdown"]) <= 65000, "size")
    # JUnit: valid against the schema, the failing case is a <failure>.
    jpath = os.path.join(out, FORMATS["junit"])
    v = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, jpath], capture_output=True)
    eq(v.returncode, 0, "xmllint: " + v.stderr.decode())
    check(re.search(r'<testcase classname="example.com/sample/internal/greet" name="TestBroken"[^>]*>\s*<failure', r["junit"]),
          r["junit"])
    check(re.search(r'<testsuites [^>]*failures="1"', r["junit"]), "one failure in total")
    # Chrome trace: valid JSON with a complete event per timed action.
    t = json.loads(r["chrome-trace"])
    xs = [e for e in t["traceEvents"] if e["ph"] == "X"]
    eq(len(xs), len(doc["timing"]["actions"]), "events")
    check(any(e["name"].startswith("test run example.com/sample/internal/greet") for e in xs), "test run event")
    check(all(e["dur"] >= 0 and e["ts"] >= 0 for e in xs), "times")
    # HTML in a browser: the DOM holds the chart, the reasons and the failure.
    dom = dump_dom(os.path.join(out, FORMATS["html"]))
    check('id="hitmiss"' in dom and 'id="timeline"' in dom and 'id="failures"' in dom, "sections")
    check("TestBroken" in dom, "failed test in the page")
    check_timeline(dom, doc)
    shot = os.path.join(out, "shot.png")
    s = chromium("file://" + os.path.join(out, FORMATS["html"]), "--screenshot=" + shot)
    eq(s.returncode, 0, "screenshot")
    with open(shot, "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "a PNG")
    # Text names the failure.
    check("failed: example.com/sample/internal/greet" in r["text"], r["text"])

LONG_TEST = """
func TestLong(t *testing.T) {
	for i := 0; i < 1000; i++ {
		fmt.Println("setup step", i)
	}
	t.Error("FIRST-ERROR: the one that matters")
	for i := 0; i < 1998; i++ {
		fmt.Println("teardown step", i)
	}
	t.Fatal("LAST-ERROR")
}
"""

@test
def long_failing_test_keeps_its_first_error_in_every_format():
    mod, cache = fresh_module("rep-long"), fresh_cache("rep-long")
    with open(os.path.join(mod, "internal", "greet", "long_test.go"), "w") as f:
        f.write('package greet\n\nimport (\n\t"fmt"\n\t"testing"\n)\n' + LONG_TEST)
    out = tempfile.mkdtemp(prefix="reports-", dir=tap.SCRATCH)
    p = gox_run(mod, cache, report_args(out) + ["test", "-json", "-run=TestLong", "./internal/greet"])
    eq(p.returncode, 1, "the test fails")
    check(p.stdout.count(b"teardown step") == 1998, "go's output is whole")
    r = read_all(out)
    doc = json.loads(r["json"])
    case = [c for c in doc["test_cases"] if c["name"] == "TestLong"][0]
    check(case["output_lines"] > 3000, case.get("output_lines"))
    check(len(case["output"]) <= 40, len(case["output"]))
    markers = [l for l in case["output"] if re.fullmatch(r"… \d+ lines omitted …", l)]
    eq(len(markers), 2, case["output"])
    kept = len(case["output"]) - len(markers)
    eq(kept + sum(int(m.split()[1]) for m in markers), case["output_lines"], "kept + omitted = all lines")
    check(case["output"][-1].startswith("--- FAIL: TestLong"), case["output"][-3:])
    for fmt_ in ("markdown", "html", "junit", "text", "json"):
        body = r[fmt_] if fmt_ != "markdown" else md_to_html(r["markdown"])
        check("FIRST-ERROR: the one that matters" in body, fmt_ + ": the first error is kept")
        check("LAST-ERROR" in body, fmt_ + ": and the last lines")
        check(re.search(r"… \d+ lines omitted …", body), fmt_ + ": with the marker")
        check("setup step 500" not in body, fmt_ + ": the middle is cut")

@test
def go_test_json_gives_every_test_case_to_junit():
    mod, cache = fresh_module("rep-json"), fresh_cache("rep-json")
    out = tempfile.mkdtemp(prefix="reports-", dir=tap.SCRATCH)
    p = gox_run(mod, cache, ["--report=" + os.path.join(out, "j.xml"), "--report=" + os.path.join(out, "j.json"),
                             "test", "-json", "-count=1", "./..."])
    eq(p.returncode, 0, p.stderr.decode())
    doc = json.load(open(os.path.join(out, "j.json")))
    names = sorted(c["name"] for c in doc["test_cases"])
    check("TestHello" in names, names)
    check(all(c["status"] == "pass" for c in doc["test_cases"]), doc["test_cases"])
    x = open(os.path.join(out, "j.xml")).read()
    check('name="TestHello"' in x and 'failures="0"' in x, x)
    v = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, os.path.join(out, "j.xml")], capture_output=True)
    eq(v.returncode, 0, v.stderr.decode())

SECRET_PW = "Pr0xyPassw0rd"
TOKEN_GOFLAGS = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
TOKEN_CGO = "c0ffee" + "d15ea5e" * 4

def planted_env(home):
    return {"HOME": home, "USER": "alicetester",
            "GOPROXY": f"https://alice:{SECRET_PW}@proxy.invalid/go,direct",
            "GOFLAGS": f"-buildvcs=false -ldflags=-X=main.buildToken={TOKEN_GOFLAGS}",
            "CGO_CFLAGS": f"-O2 -g -DAPI_TOKEN={TOKEN_CGO}"}

@test
def secrets_and_home_are_redacted_in_every_format():
    home = tempfile.mkdtemp(prefix="home-", dir=tap.SCRATCH)
    mod = os.path.join(home, "src", "app")
    shutil.copytree(fresh_module("rep-secret"), mod)
    cache = os.path.join(home, ".cache", "go-build")
    shutil.copytree(fresh_cache("rep-secret"), cache, symlinks=True)
    env = planted_env(home)
    leaks = [SECRET_PW, TOKEN_GOFLAGS, TOKEN_CGO, home]
    seen_raw = False
    for name, broken in (("ok", False), ("fail", True)):
        if broken:
            with open(os.path.join(mod, "internal", "words", "words.go"), "a") as f:
                f.write("\nvar _ int = undefinedName\n")
        out = tempfile.mkdtemp(prefix="reports-", dir=tap.SCRATCH)
        summary = os.path.join(out, "step-summary.md")
        env2 = dict(env, GITHUB_STEP_SUMMARY=summary)
        p = subprocess.run([tap.GOX, "--no-progress", "--summary=off"] + report_args(out) + ["build", "./..."],
                           cwd=mod, env=dict(go_env(cache, env2), GOX_HISTORY=os.path.join(out, "h.db")),
                           capture_output=True)
        eq(p.returncode, 1 if broken else 0, p.stderr.decode())
        r = read_all(out)
        r["step-summary"] = open(summary).read()
        for fmt, text in r.items():
            for secret in leaks:
                check(secret not in text, f"{name}: {secret!r} in the {fmt} report")
        doc = json.loads(r["json"])
        eq(doc["environment"]["GOPROXY"], "https://REDACTED@proxy.invalid/go,direct", "GOPROXY")
        check("REDACTED" in doc["environment"]["GOFLAGS"] and "REDACTED" in doc["environment"]["CGO_CFLAGS"], doc["environment"])
        check(doc["environment"]["GOCACHE"] == "~/.cache/go-build", doc["environment"]["GOCACHE"])
        check(doc["environment"]["GOMOD"] == "~/src/app/go.mod", doc["environment"]["GOMOD"])
        if broken:
            check(doc["failures"] and "undefinedName" in json.dumps(doc["failures"]), doc["failures"])
        # The same run rendered without redaction does show them: the test
        # above could fail.
        raw = subprocess.run([tap.GOX, "report", "--no-redact", "--format=json"], cwd=mod, env=dict(go_env(cache, env), GOX_HISTORY=os.path.join(out, "h.db")),
                             capture_output=True)
        eq(raw.returncode, 0, raw.stderr.decode())
        seen_raw = seen_raw or (SECRET_PW in raw.stdout.decode() and TOKEN_GOFLAGS in raw.stdout.decode())
        # --redact-paths: no absolute path and no user name is left.
        rp = subprocess.run([tap.GOX, "report", "--redact-paths", "--format=json"], cwd=mod,
                            env=dict(go_env(cache, env), GOX_HISTORY=os.path.join(out, "h.db")), capture_output=True)
        eq(rp.returncode, 0, rp.stderr.decode())
        text = rp.stdout.decode()
        check("alicetester" not in text, "user name")
        check(not re.search(r'"/(tmp|usr|home|root)/', text), re.findall(r'"/[^"]*"', text)[:5])
    check(seen_raw, "--no-redact keeps the planted secrets (so their absence above means something)")

HOSTILE = "<script>document.title='PWNED'</script>"

@test
def hostile_text_is_escaped_and_runs_no_script():
    mod, cache = fresh_module("rep-hostile"), fresh_cache("rep-hostile")
    # A file name and a compiler error carrying markup, quotes and ANSI escapes.
    evil = os.path.join(mod, "internal", "words", "x'\"<b>evil.go")
    with open(evil, "w") as f:
        f.write('package words\n\nvar _ int = "' + HOSTILE.replace('"', '\\"') + '"\n'
                "var _ int = `\x1b[31mred\x1b[0m <img src=x onerror=\"document.title='PWNED2'\">`\n")
    out = tempfile.mkdtemp(prefix="reports-", dir=tap.SCRATCH)
    p = gox_run(mod, cache, report_args(out) + ["build", "./..."])
    eq(p.returncode, 1, "the build fails")
    check(b"PWNED" in p.stderr and b"\x1b[31m" in p.stderr, "go's own error carries the hostile text")
    doc = json.load(open(os.path.join(out, "r.json")))
    check(HOSTILE in json.dumps(doc["failures"]), "the failure lines hold it")
    # And a package path (go itself rejects such paths, so it is planted in
    # the saved document and rendered with gox report).
    doc["packages"][0]["import_path"] = 'example.com/"' + HOSTILE
    doc["packages"][0]["outcome"] = "rebuilt"
    doc["packages"][0]["reason_detail"] = "<img src=x onerror=\"document.title='PWNED3'\">"
    planted = os.path.join(out, "planted.json")
    json.dump(doc, open(planted, "w"))
    page2 = os.path.join(out, "planted.html")
    eq(gox("report", "-o", page2, planted).returncode, 0, "gox report")
    for page in (os.path.join(out, "r.html"), page2):
        raw = open(page, "rb").read()
        check(b"\x1b" not in raw, "no ANSI escape bytes")
        check(b"<script" not in raw and b"<img" not in raw and b"<b>" not in raw, "markup escaped")
        check(b"&lt;script&gt;" in raw, "shown as text")
        dom = dump_dom(page)
        eq(re.search(r"<title>(.*?)</title>", dom).group(1), "gox report", "the page title (a script would change it)")
        check("PWNED" in dom, "the hostile text is there, as text")
        check("<script" not in dom and "<img" not in dom, "no script or img element in the DOM")
    md = open(os.path.join(out, "r.md")).read()
    check("\x1b" not in md, "no ANSI escapes in Markdown")
    rendered = md_to_html(md)
    check("<script" not in rendered and "<img" not in rendered, "Markdown renders no markup from the error")
    x = open(os.path.join(out, "r.xml"), "rb").read()
    check(b"\x1b" not in x, "no control characters in XML")
    v = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, os.path.join(out, "r.xml")], capture_output=True)
    eq(v.returncode, 0, v.stderr.decode())
    # Control: the same check does see a script that runs.
    ctl = os.path.join(out, "control.html")
    with open(ctl, "w") as f:
        f.write("<!DOCTYPE html><html><head><title>gox report</title></head><body>" + HOSTILE + "</body></html>")
    eq(re.search(r"<title>(.*?)</title>", dump_dom(ctl)).group(1), "PWNED", "control page runs its script")

@test
def annotations_and_step_summary_add_to_go_output():
    mod, cache = fresh_module("rep-annot"), fresh_cache("rep-annot")
    with open(os.path.join(mod, "internal", "words", "words.go"), "a") as f:
        f.write("\nvar _ int = undefinedName\n")
    summary = os.path.join(tempfile.mkdtemp(prefix="step-", dir=tap.SCRATCH), "summary.md")
    env = dict(go_env(cache), GITHUB_STEP_SUMMARY=summary, GOX_HISTORY=os.path.join(mod, "h.db"))
    plain = subprocess.run(["go", "build", "./..."], cwd=mod, env=go_env(cache), capture_output=True)
    p = subprocess.run([tap.GOX, "--no-progress", "--summary=off", "--annotations=github", "build", "./..."],
                       cwd=mod, env=env, capture_output=True)
    eq(p.returncode, plain.returncode, "exit status")
    eq(p.stdout, plain.stdout, "stdout")
    check(p.stderr.startswith(plain.stderr), "go's stderr first and unchanged")
    extra = p.stderr[len(plain.stderr):].decode()
    check(re.search(r"^::error file=internal/words/words\.go,line=\d+,col=\d+,title=example\.com/sample/internal/words::"
                    r"undefined: undefinedName$", extra, re.M), extra)
    check(open(summary).read().startswith("## gox report: `go build ./...` failed"), "step summary")
    # From outside the module with go's -C: go names files from its -C dir,
    # the annotation from where the job runs.
    parent, base = os.path.split(mod)
    plain = subprocess.run(["go", "-C", base, "build", "./..."], cwd=parent, env=go_env(cache), capture_output=True)
    p = subprocess.run([tap.GOX, "--no-progress", "--summary=off", "--annotations=github", "-C", base, "build", "./..."],
                       cwd=parent, env=env, capture_output=True)
    eq(p.returncode, plain.returncode, "exit status with -C")
    check(p.stderr.startswith(plain.stderr), "go's stderr first and unchanged, with -C")
    extra = p.stderr[len(plain.stderr):].decode()
    check(re.search(r"^::error file=" + re.escape(base) + r"/internal/words/words\.go,line=\d+,", extra, re.M), extra)
    bad = gox("--annotations=gitlab", "build", "./...", cwd=mod, env=env)
    eq(bad.returncode, 125, "unknown annotations kind")
    check(b"only github" in bad.stderr, bad.stderr)

@test
def report_of_a_past_run_and_bad_inputs():
    mod, cache = fresh_module("rep-past"), fresh_cache("rep-past")
    eq(gox_run(mod, cache, ["--summary=off", "build", "./..."]).returncode, 0, "build")
    env = dict(go_env(cache), GOX_HISTORY=os.path.join(mod, "history.db"))
    p = gox("report", "--format=json", cwd=mod, env=env)
    eq(p.returncode, 0, p.stderr.decode())
    doc = json.loads(p.stdout)
    eq(doc["command"]["verb"], "build", "the last run")
    check(doc["summary"]["packages"] > 10, doc["summary"])
    eq(doc["redaction"]["secrets"], True, "redacted by default")
    check(doc["invocations"][0]["work_dir"] == "$WORK", doc["invocations"])
    eq(gox("report", "9999", cwd=mod, env=env).returncode, 125, "no such run")
    # A history from before reports were kept: the run is there, its report is not.
    import sqlite3
    db = sqlite3.connect(os.path.join(mod, "history.db"))
    db.execute("DROP TABLE reports")
    db.commit()
    db.close()
    old = gox("report", cwd=mod, env=env)
    eq(old.returncode, 125, old.stderr)
    check(b"no stored report" in old.stderr or b"no such table" in old.stderr, old.stderr)
    eq(gox_run(mod, cache, ["--summary=off", "build", "./..."]).returncode, 0, "the table comes back")
    eq(gox("report", "--format=text", cwd=mod, env=env).returncode, 0, "and the new run has its report")
    eq(gox("report", "--format=pdf", cwd=mod, env=env).returncode, 125, "bad format")
    junk = os.path.join(mod, "junk.json")
    open(junk, "w").write("[1,2]")
    q = gox("report", junk, cwd=mod, env=env)
    eq(q.returncode, 125, "not a report")
    check(b"not a gox JSON report" in q.stderr, q.stderr)
    eq(gox("--report=x.pdf", "build", "./...", cwd=mod, env=env).returncode, 125, "unknown report extension")
    eq(gox("--report=-", "--report-format=json", "build", "./...", cwd=mod, env=env).returncode, 125, "not to stdout")
    # A report that cannot be written: a warning, and go's result unchanged.
    blocker = os.path.join(mod, "not-a-dir")
    open(blocker, "w").close()
    plain = subprocess.run(["go", "build", "./..."], cwd=mod, env=go_env(cache), capture_output=True)
    w = gox("--summary=off", "--no-progress", "--report=" + os.path.join(blocker, "r.md"), "build", "./...", cwd=mod, env=env)
    eq((w.returncode, w.stdout), (plain.returncode, plain.stdout), "go's result")
    check(w.stderr.startswith(plain.stderr) and b"gox: warning: cannot write report to" in w.stderr, w.stderr)

@test
def stats_of_a_sqlite_history_of_real_runs():
    mod, cache = fresh_module("rep-stats"), fresh_cache("rep-stats")
    env = dict(go_env(cache), GOX_HISTORY=os.path.join(mod, "history.db"))
    # An empty history is an empty report; a missing one, an error.
    empty = os.path.join(mod, "empty.db")
    open(empty, "w").close()
    p = gox("stats", "--format=json", cwd=mod, env=dict(env, GOX_HISTORY=empty))
    eq(p.returncode, 0, p.stderr.decode())
    eq((json.loads(p.stdout)["runs"], json.loads(p.stdout)["by_day"]), (0, []), "empty")
    eq(gox("stats", cwd=mod, env=dict(env, GOX_HISTORY=os.path.join(mod, "none.db"))).returncode, 125, "no history")
    # Five real runs: a build, one after an edit, two go test (the second
    # from the test cache), a build that fails.
    words = os.path.join(mod, "internal", "words", "words.go")
    steps = [["build", "./..."], "edit", ["build", "./..."], ["test", "./..."], ["test", "./..."], "break", ["build", "./..."]]
    for step in steps:
        if step == "edit":
            open(words, "a").write("\nfunc Extra() int { return 42 }\n")
        elif step == "break":
            open(words, "a").write("\nvar _ int = undefinedName\n")
        else:
            gox_run(mod, cache, ["--summary=off"] + step)
    out = tempfile.mkdtemp(prefix="stats-", dir=tap.SCRATCH)
    page = os.path.join(out, "stats.html")
    p = gox("stats", "--format=json", "--report=" + page, "--report=" + os.path.join(out, "s.txt"), cwd=mod, env=env)
    eq(p.returncode, 0, p.stderr.decode())
    s = json.loads(p.stdout)
    eq(s["runs"], 5, "runs counted")
    eq([(x["project"], x["runs"]) for x in s["by_project"]], [("example.com/sample", 5)], "one project")
    eq(s["failures"]["runs"], 1, "one failed run")
    classes = [l.split()[0] for l in gox("explain", "--classes").stdout.decode().splitlines() if l.strip()]
    check(len(s["failures"]["classes"]) == 1 and s["failures"]["classes"][0]["class"] in classes, s["failures"])
    check(s["tests"]["results"] >= 2 and s["tests"]["cached"] >= 1, s["tests"])
    missed = {m["package"]: m for m in s["most_missed"]}
    check("example.com/sample/internal/words" in missed, s["most_missed"])
    check(s["packages"]["hits"] > 0 and 0 < s["packages"]["hit_rate"] < 1, s["packages"])
    check(s["reasons_by_time"] and s["slowest"], "reasons and slowest packages")
    text = open(os.path.join(out, "s.txt")).read()
    check(text.startswith("gox stats: 5 runs of every project") and "internal/words" in text, text)
    # The page in a browser: both plots and the tables, no script.
    dom = dump_dom(page)
    eq(re.search(r"<title>(.*?)</title>", dom).group(1), "gox stats", "title")
    check('id="hitrate"' in dom and 'id="timelost"' in dom and 'id="missed"' in dom, "plots and tables")
    check(len(re.findall(r'<rect class="bar"', dom)) == len(s["by_day"]) >= 1, "a bar a day")
    check(len(re.findall(r'<rect class="lost"', dom)) == len(s["reasons_by_time"]), "a bar a reason")
    check("<script" not in dom and "<link" not in dom and " src=" not in dom, "no script, no external resource")
    # Bad input: a usage error, never a crash.
    for args, msg in ((["--since=abc"], b"--since wants a duration"), (["--format=pdf"], b"unknown format"),
                      (["--report=x.pdf"], b"cannot tell the format"), (["--project=nope"], b"no run of project nope")):
        p = gox("stats", *args, cwd=mod, env=env)
        eq(p.returncode, 125, f"gox stats {args}")
        check(msg in p.stderr, p.stderr)

@test
def markdown_stays_under_the_limit_and_says_what_it_left_out():
    doc = gox_parse_json(os.path.join(tap.ROOT, "trace_samples", "go126-cold-build.trace"))
    pkgs = doc["packages"]
    doc["packages"] = [dict(pkgs[i % len(pkgs)], import_path=f"example.com/big/p{i:05d}", outcome="rebuilt",
                            standard=False, reason="no_history", reason_detail="x" * 200) for i in range(3000)]
    doc["failures"] = [{"package": f"example.com/big/f{i}", "kind": "compile", "invocation": 0,
                        "first_lines": [f"f{i}.go:{j}:1: error {'y' * 300}" for j in range(30)], "line_count": 30}
                       for i in range(100)]
    path = os.path.join(tempfile.mkdtemp(prefix="big-", dir=tap.SCRATCH), "big.json")
    json.dump(doc, open(path, "w"))
    p = gox("report", "--format=markdown", path)
    eq(p.returncode, 0, p.stderr.decode())
    md = p.stdout.decode()
    check(len(md) <= 65000, len(md))
    check("Left out to stay within the size limit" in md and "rebuilt package(s)" in md, md[-600:])
    html = md_to_html(md)
    check(html.count("<details>") == html.count("</details>"), "details balanced")

@test
def diff_fail_over_is_a_gate_on_work_time():
    doc = gox_parse_json(os.path.join(tap.ROOT, "trace_samples", "go126-cold-build.trace"),
                         "--actiongraph=" + os.path.join(tap.ROOT, "trace_samples", "go126-cold-build.actiongraph.json"))
    d = tempfile.mkdtemp(prefix="diff-", dir=tap.SCRATCH)
    a, b = os.path.join(d, "a.json"), os.path.join(d, "b.json")
    json.dump(doc, open(a, "w"))
    for p in doc["packages"]:
        if "seconds" in p:
            p["seconds"] *= 1.3
    json.dump(doc, open(b, "w"))
    over = gox("diff", "--fail-over=20", a, b)
    eq(over.returncode, 1, over.stdout.decode() + over.stderr.decode())
    check(b"(+30.0%)" in over.stdout, over.stdout)
    eq(gox("diff", "--fail-over=50%", a, b).returncode, 0, "under the limit")
    eq(gox("diff", "--fail-over=20", b, a).returncode, 0, "faster is fine")
    j = gox("diff", "--format=json", "--fail-over=20", a, b)
    eq(j.returncode, 1, "json too")
    eq(json.loads(j.stdout)["fail_over"]["exceeded"], True, "json")
    eq(gox("diff", "--fail-over=lots", a, b).returncode, 125, "bad value")

FIRST_SCREEN = """<!DOCTYPE html><html><head><title>pending</title></head><body style="margin:0">
<iframe id="f" style="width:1280px;height:800px;border:0"></iframe>
<script>
const f = document.getElementById('f');
f.onload = () => { try {
  const d = f.contentDocument, w = d.createTreeWalker(d.body, NodeFilter.SHOW_TEXT);
  let at = null;
  while (w.nextNode()) if (w.currentNode.nodeValue.includes('NEEDLE')) { at = w.currentNode.parentElement; break; }
  const r = at ? at.getBoundingClientRect() : null;
  document.title = JSON.stringify(r ? {top: r.top, bottom: r.bottom, height: d.documentElement.scrollHeight} : null);
} catch (e) { document.title = 'error: ' + e; } };
f.src = 'REPORT';
</script></body></html>"""

def first_screen_position(html_path, needle):
    """Where the first text node holding needle sits when the report is shown
    in a 1280x800 window, from Chromium's own layout: {top, bottom, height}."""
    harness = html_path + ".harness.html"
    with open(harness, "w") as f:
        f.write(FIRST_SCREEN.replace("REPORT", "file://" + html_path).replace("NEEDLE", needle))
    p = chromium("file://" + harness, "--allow-file-access-from-files", "--dump-dom")
    eq(p.returncode, 0, "chromium: " + p.stderr.decode(errors="replace")[-500:])
    m = re.search(r"<title>(.*?)</title>", p.stdout.decode())
    check(m and not m.group(1).startswith(("pending", "error")), m and m.group(1))
    return json.loads(html.unescape(m.group(1)))

@test
def a_thousand_package_failing_build_shows_the_failure_first():
    # 1,000 packages in chains of ten (p0500 imports nothing, p0501 imports
    # p0500, ...), on a current go directive, built once by plain go; then
    # p0500 stops compiling. go reuses 990, fails one and never gets to the
    # nine above it. The reports must lead with the failure: the HTML shows
    # its error on the first screen, the Markdown before any table of steps,
    # and every summary's counts add up to the 1,000.
    mod = tempfile.mkdtemp(prefix="mod-rep-1000-", dir=tap.SCRATCH)
    cache = fresh_cache("rep-1000", warm=False)
    with open(os.path.join(mod, "go.mod"), "w") as f:
        f.write("module example.com/big\n\ngo 1.24\n")
    for i in range(1000):
        d = os.path.join(mod, "p", f"p{i:04d}")
        os.makedirs(d)
        dep = f"p{i - 1:04d}"
        src = (f'package p{i:04d}\n\nimport "example.com/big/p/{dep}"\n\nfunc F() int {{ return {dep}.F() + {i} }}\n'
               if i % 10 else f"package p{i:04d}\n\nfunc F() int {{ return {i} }}\n")
        with open(os.path.join(d, "p.go"), "w") as f:
            f.write(src)
    p = subprocess.run(["go", "build", "./..."], cwd=mod, env=go_env(cache), capture_output=True)
    eq(p.returncode, 0, p.stderr.decode(errors="replace")[-500:])
    with open(os.path.join(mod, "p", "p0500", "p.go"), "a") as f:
        f.write("\nfunc G() int { return undefined_thing_x }\n")
    out = tempfile.mkdtemp(prefix="reports-", dir=tap.SCRATCH)
    p = gox_run(mod, cache, report_args(out) + ["build", "./..."])
    eq(p.returncode, 1, "go build fails")
    check(b"undefined: undefined_thing_x" in p.stderr, p.stderr[-800:])
    r = read_all(out)
    doc = json.loads(r["json"])
    s = doc["summary"]
    eq((s["packages"], s["packages_cached"], s["packages_failed"], s["packages_unknown"]), (1000, 990, 1, 9),
       "counts")
    eq(sorted(doc["diagnosis"]["skipped"]), [f"example.com/big/p/p{i:04d}" for i in range(501, 510)],
       "skipped because of the failure")
    # The text summary's first line adds up.
    head = next(l for l in p.stderr.decode().splitlines() if "package(s):" in l)
    m = re.search(r"(\d+) package\(s\): (\d+) rebuilt, (\d+) from cache, (\d+) failed, (\d+) not built", head)
    check(m, head)
    n = [int(x) for x in m.groups()]
    eq(n[1] + n[2] + n[3] + n[4], n[0], head)
    # HTML: the failure's error line within the first 800 px.
    pos = first_screen_position(os.path.join(out, FORMATS["html"]), "undefined_thing_x")
    check(pos is not None, "the HTML shows the error")
    check(0 <= pos["top"] and pos["bottom"] <= 800, f"the error is on the first screen: {pos}")
    check("not built" in r["html"] and "not built" in r["markdown"], "the nine are named for what they are")
    # Markdown: the error comes right after the counts and the diagnosis,
    # before the package table and the environment.
    md = r["markdown"]
    at = md.find("undefined_thing_x")
    check(0 <= at < md.find("### Rebuilt") and at < md.find("### Environment"), md[:1500])
    check(md[:at].count("\n") < 40, "within the first 40 lines: " + md[:at])

if __name__ == "__main__":
    run()
