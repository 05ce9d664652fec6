#!/usr/bin/env python3
"""The export formats of real gox runs, read by the observability stack's
own parsers: --report=FILE.otlp.json (an OpenTelemetry trace in OTLP/JSON)
by the opentelemetry-proto package as an ExportTraceServiceRequest, and
--report=FILE.prom (OpenMetrics) by prometheus_client's OpenMetrics parser
and its Prometheus text parser (node_exporter's textfile collector reads
that one). The scenario: examples/sample tested once, then one package
edited and a failing test added, so that the run has rebuilt packages with
reasons, cached ones, and a failed test. Checked: one span per action of
go's own -debug-actiongraph, the graph's root as the root span and every
other span its child, links only to spans of the trace, the attributes of
gox(1) OPENTELEMETRY against the JSON summary of the same run, the metrics
of gox(1) OPENMETRICS against it too, label values escaped.

The parsers come from PyPI at the versions pinned in
tests/data/export-requirements.txt, installed into a venv under the user's
cache dir keyed by those pins (made by the first run, reused after), and
this suite re-runs itself under that venv's python."""
import base64
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, "..", "data", "export-requirements.txt")


def venv_python():
    """The venv with the pinned parsers (created once per set of pins)."""
    with open(REQUIREMENTS, "rb") as f:
        pins = f.read()
    key = hashlib.sha256(pins + sys.version.encode()).hexdigest()[:16]
    root = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gox")
    venv = os.path.join(root, "export-venv-" + key)
    py = os.path.join(venv, "bin", "python")
    os.makedirs(root, exist_ok=True)
    with open(venv + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(venv, "ready")):
            subprocess.run(["rm", "-rf", venv], check=True)
            subprocess.run([sys.executable, "-m", "venv", venv], check=True, stdout=subprocess.DEVNULL)
            p = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", REQUIREMENTS],
                               capture_output=True)
            if p.returncode != 0:
                sys.stdout.write("1..1\nnot ok 1 - the venv with the pinned parsers\n")
                for line in (p.stdout + p.stderr).decode(errors="replace").splitlines()[-20:]:
                    sys.stdout.write("# " + line + "\n")
                sys.exit(1)
            open(os.path.join(venv, "ready"), "w").close()
    return py


if os.environ.get("GOX_EXPORT_VENV") != "1":
    py = venv_python()
    os.execve(py, [py, os.path.abspath(__file__)] + sys.argv[1:], dict(os.environ, GOX_EXPORT_VENV="1"))

sys.path.insert(0, HERE)
from tap import *  # noqa: F401,F403,E402
import tap  # noqa: E402

from google.protobuf import json_format  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402
from prometheus_client.openmetrics import parser as om_parser  # noqa: E402
from prometheus_client import parser as prom_parser  # noqa: E402

HEX = set("0123456789abcdef")


def gox_run(mod, cache, args):
    env = go_env(cache)
    env["GOX_HISTORY"] = os.path.join(mod, "history.db")
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run([tap.GOX, "--no-progress"] + args, cwd=mod, env=env, capture_output=True)


def hex_to_b64(obj):
    """OTLP/JSON's hex ids as the protobuf JSON mapping's base64, after
    checking their form (json_format knows only the latter)."""
    if isinstance(obj, list):
        return [hex_to_b64(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, v in obj.items():
        if k in ("traceId", "spanId", "parentSpanId"):
            want = 32 if k == "traceId" else 16
            check(isinstance(v, str) and len(v) == want and set(v) <= HEX and set(v) != {"0"}, f"{k} {v!r}")
            out[k] = base64.b64encode(bytes.fromhex(v)).decode()
        else:
            out[k] = hex_to_b64(v)
    return out


def read_otlp(path):
    """The file's one line, parsed as an ExportTraceServiceRequest; returns
    (the message, the raw JSON)."""
    with open(path) as f:
        lines = f.read().splitlines()
    eq(len(lines), 1, "one request per line, one line")
    raw = json.loads(lines[0])
    req = json_format.Parse(json.dumps(hex_to_b64(raw)), ExportTraceServiceRequest())
    return req, raw


def attrs(kvs):
    out = {}
    for kv in kvs:
        which = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, which)
    return out


def spans_of(req):
    eq(len(req.resource_spans), 1, "one resource")
    res = attrs(req.resource_spans[0].resource.attributes)
    eq(res.get("service.name"), "gox", "service.name")
    eq(len(req.resource_spans[0].scope_spans), 1, "one scope")
    return list(req.resource_spans[0].scope_spans[0].spans)


def check_tree(spans):
    """One trace; one root; every other span its child; links within the
    trace; times in order. Returns the root."""
    eq(len({s.trace_id for s in spans}), 1, "one trace id")
    ids = {s.span_id for s in spans}
    eq(len(ids), len(spans), "span ids unique")
    roots = [s for s in spans if not s.parent_span_id]
    eq(len(roots), 1, "one root span")
    root = roots[0]
    for s in spans:
        check(s is root or s.parent_span_id == root.span_id, f"{s.name}: parent is the root")
        check(0 < s.start_time_unix_nano <= s.end_time_unix_nano, f"{s.name}: times")
        check(root.start_time_unix_nano <= s.start_time_unix_nano and s.end_time_unix_nano <= root.end_time_unix_nano,
              f"{s.name}: inside the root span")
        for link in s.links:
            check(link.trace_id == s.trace_id and link.span_id in ids, f"{s.name}: link to a span of the trace")
    return root


def check_raw_encoding(raw):
    """OTLP/JSON: 64-bit integers as strings, enums as numbers, camelCase."""
    span = raw["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    check(isinstance(span["startTimeUnixNano"], str) and span["startTimeUnixNano"].isdigit(), "nanos as a string")
    check(isinstance(span["kind"], int), "kind as a number")
    ints = [a["value"]["intValue"] for a in span["attributes"] if "intValue" in a["value"]]
    check(ints and all(isinstance(i, str) for i in ints), "intValue as a string")


def metric_values(text, parser):
    fams = list(parser.text_string_to_metric_families(text))
    vals = {}
    for fam in fams:
        for s in fam.samples:
            vals[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return fams, vals


def check_prom(text, doc):
    """Both parsers take it; the figures are the JSON summary's."""
    check(text.endswith("# EOF\n"), "ends with # EOF")
    fams, om = metric_values(text, om_parser)
    _, classic = metric_values(text, prom_parser)
    eq(classic, om, "the Prometheus text parser reads the same samples")
    check(all(f.type == "gauge" for f in fams), "gauges")
    sm = doc["summary"]
    g = lambda name, **labels: om.get((name, tuple(sorted(labels.items()))))  # noqa: E731
    eq(g("gox_cache_hits"), sm["packages_cached"], "hits")
    eq(g("gox_cache_misses"), sm["packages_rebuilt"] + sm["packages_failed"], "misses")
    for outcome, key in (("rebuilt", "packages_rebuilt"), ("cache_hit", "packages_cached"), ("failed", "packages_failed"),
                         ("installed", "packages_installed"), ("unknown", "packages_unknown")):
        eq(g("gox_packages", outcome=outcome), sm[key], outcome)
    by_reason = {}
    for p in doc["packages"]:
        if p["outcome"] == "rebuilt":
            by_reason[p.get("reason") or "none"] = by_reason.get(p.get("reason") or "none", 0) + 1
    got = {dict(l)["reason"]: v for (n, l), v in om.items() if n == "gox_rebuilt_packages"}
    eq(got, by_reason, "rebuilt by reason")
    eq(sum(got.values()), sm["packages_rebuilt"], "rebuilt by reason adds up")
    steps = {dict(l)["step"]: v for (n, l), v in om.items() if n == "gox_step_seconds"}
    eq(set(steps), {m["mode"] for m in doc["timing"]["by_mode"]}, "steps")
    for m in doc["timing"]["by_mode"]:
        check(abs(steps[m["mode"]] - m["seconds"]) < 1e-9, f"seconds of {m['mode']}")
    eq(g("gox_run_failed"), 1.0 if doc["failed"] or doc["command"]["exit_code"] else 0.0, "failed")
    eq(g("gox_run_exit_code"), doc["command"]["exit_code"], "exit code")
    return om


def package_spans(spans, path):
    return [s for s in spans if attrs(s.attributes).get("go.build.package") == path]


@test
def test_test_run_exports():
    mod, cache = fresh_module("export"), fresh_cache("export")
    out = tempfile.mkdtemp(prefix="export-", dir=tap.SCRATCH)
    p = gox_run(mod, cache, ["test", "./..."])  # the history's first run
    eq(p.returncode, 0, p.stderr.decode(errors="replace")[-2000:])
    with open(os.path.join(mod, "internal", "words", "words.go"), "a") as f:
        f.write("\n// Count is new.\nfunc Count() int { return 3 }\n")
    with open(os.path.join(mod, "internal", "greet", "greet_test.go"), "a") as f:
        f.write('\nfunc TestBroken(t *testing.T) {\n\tt.Fatal("always fails")\n}\n')
    graph = os.path.join(out, "graph.json")
    otlp, prom, js = (os.path.join(out, "run" + e) for e in (".otlp.json", ".prom", ".json"))
    p = gox_run(mod, cache, [f"--report={otlp}", f"--report={prom}", f"--report={js}",
                             "test", f"-debug-actiongraph={graph}", "./..."])
    eq(p.returncode, 1, "the failing test's exit status")
    with open(js) as f:
        doc = json.load(f)
    with open(graph) as f:
        actions = json.load(f)
    req, raw = read_otlp(otlp)
    check_raw_encoding(raw)
    spans = spans_of(req)
    eq(len(spans), len(actions), "one span per action of go's action graph")
    root = check_tree(spans)
    ra = attrs(root.attributes)
    eq(ra["go.build.action.id"], 0, "the root span is the graph's root action")
    eq(ra["go.build.action.mode"], "go test", "root mode")
    eq(ra["cicd.pipeline.task.type"], "test", "task type")
    eq(ra["cicd.pipeline.task.run.result"], "failure", "task result")
    eq(ra["process.exit.code"], 1, "exit code")
    eq(ra["error.type"], doc["diagnosis"]["class"], "error.type is the failure class")
    eq(root.status.code, 2, "root status ERROR")
    eq(root.name, f"go test -debug-actiongraph={graph} ./...", "root name: the command")
    eq(ra["go.build.packages.rebuilt"], doc["summary"]["packages_rebuilt"], "rebuilt count")
    by_id = {a["ID"]: a for a in actions}
    for s in spans:
        a = attrs(s.attributes)
        act = by_id[a["go.build.action.id"]]
        eq(a.get("go.build.package", ""), act.get("Package") or "", "package of the action")
        eq(len(s.links), len(act.get("Deps") or []), f"{s.name}: one link per dependency")
    # Every rebuilt package of the summary: its build span carries outcome and reason.
    rebuilt = [q for q in doc["packages"] if q["outcome"] == "rebuilt"]
    check(rebuilt and all(q.get("reason") for q in rebuilt), f"rebuilt with reasons: {rebuilt}")
    for q in rebuilt:
        builds = [s for s in spans if attrs(s.attributes).get("go.build.cache.action_id") == q["action_id"]
                  and attrs(s.attributes)["go.build.action.mode"] == "build"]
        eq(len(builds), 1, f"the build span of {q['import_path']}")
        a = attrs(builds[0].attributes)
        eq(a["go.build.package.outcome"], "rebuilt", "outcome")
        eq(a["go.build.package.reason"], q["reason"], "reason")
        eq(a["go.build.action.ran"], True, "ran")
        eq(a["go.build.cache.hit"], False, "missed")
    words = [s for s in package_spans(spans, "example.com/sample/internal/words")
             if attrs(s.attributes)["go.build.action.mode"] == "build"]
    check(words and attrs(words[0].attributes)["go.build.package.reason"] in ("inputs_changed", "source_file_changed"),
          "the edited package's reason")
    cached = [s for s in spans if attrs(s.attributes).get("go.build.package.outcome") == "cache_hit"
              and attrs(s.attributes)["go.build.action.mode"] == "build"]
    eq(len(cached), doc["summary"]["packages_cached"], "one build span per cached package")
    check(all(attrs(s.attributes)["go.build.cache.hit"] for s in cached), "cache hits")
    # The failing test: its test run span, status and test case events.
    runs = [s for s in package_spans(spans, "example.com/sample/internal/greet")
            if attrs(s.attributes)["go.build.action.mode"] == "test run"]
    eq(len(runs), 1, "greet's test run span")
    a = attrs(runs[0].attributes)
    eq(a["test.suite.name"], "example.com/sample/internal/greet", "suite")
    eq(a["test.suite.run.status"], "failure", "suite status")
    eq(runs[0].status.code, 2, "test run status ERROR")
    cases = {attrs(e.attributes)["test.case.name"]: attrs(e.attributes)["test.case.result.status"] for e in runs[0].events}
    eq(cases.get("TestBroken"), "fail", "the failed case")
    eq(a["go.build.cache.hit"], False, "the test ran")
    eq(a["go.build.test.reason"], "test_binary_changed", "why it ran")
    others = [attrs(s.attributes) for s in spans if attrs(s.attributes)["go.build.action.mode"] == "test run" and s is not runs[0]]
    check(others and all(o["test.suite.run.status"] == "skipped" and "go.build.cache.hit" not in o for o in others),
          f"the packages without tests: {others}")
    # The OpenMetrics file (written beside under a temporary name, renamed).
    eq(sorted(f for f in os.listdir(out) if f.endswith(".tmp")), [], "no temporary file left")
    with open(prom) as f:
        text = f.read()
    om = check_prom(text, doc)
    eq(om.get(("gox_test_packages_failed", ())), 1, "one failed test package")
    eq(om.get(("gox_test_packages", (("result", "ran"),))), doc["summary"]["tests_run"], "tests ran")
    # gox report of the saved summary: the same metrics; a trace of its timeline.
    r = subprocess.run([tap.GOX, "report", "--format=openmetrics", js], capture_output=True)
    eq(r.returncode, 0, r.stderr.decode(errors="replace"))
    eq(r.stdout.decode(), text, "gox report writes the same OpenMetrics")
    saved = os.path.join(out, "saved.otlp.json")
    r = subprocess.run([tap.GOX, "report", "-o", saved, js], capture_output=True)
    eq(r.returncode, 0, r.stderr.decode(errors="replace"))
    req2, _ = read_otlp(saved)
    spans2 = spans_of(req2)
    eq(len(spans2), len(doc["timing"]["actions"]) + 1, "a saved summary: its timed actions under the command")
    check_tree(spans2)


@test
def test_build_exports():
    mod, cache = fresh_module("export-build"), fresh_cache("export-build")
    out = tempfile.mkdtemp(prefix="export-", dir=tap.SCRATCH)
    graph = os.path.join(out, "graph.json")
    otlp, prom, js = (os.path.join(out, "b" + e) for e in (".otlp.json", ".prom", ".json"))
    p = gox_run(mod, cache, [f"--report={otlp}", f"--report={prom}", f"--report={js}",
                             "build", f"-debug-actiongraph={graph}", "-o", os.path.join(out, "bin") + "/", "./..."])
    eq(p.returncode, 0, p.stderr.decode(errors="replace")[-2000:])
    with open(js) as f:
        doc = json.load(f)
    with open(graph) as f:
        actions = json.load(f)
    spans = spans_of(read_otlp(otlp)[0])
    eq(len(spans), len(actions), "one span per action")
    ra = attrs(check_tree(spans).attributes)
    eq(ra["cicd.pipeline.task.type"], "build", "task type")
    eq(ra["cicd.pipeline.task.run.result"], "success", "result")
    check("error.type" not in ra, "no error.type")
    with open(prom) as f:
        check_prom(f.read(), doc)


@test
def test_openmetrics_label_escaping():
    """Label values with a quote, a backslash, a newline and a non-ASCII letter
    (a hostile saved summary) come back unchanged from both parsers."""
    doc = {"schema_version": 1, "go_version": 'go1.26 "x"\\y\nz', "summary": {"packages": 1, "packages_rebuilt": 1},
           "failed": False, "packages": [{"import_path": "a", "outcome": "rebuilt", "reason": 'r"\\\n'}],
           "command": {"verb": "build\u00e9", "exit_code": 0, "seconds": 1.5, "args": []}}
    path = os.path.join(tempfile.mkdtemp(prefix="export-", dir=tap.SCRATCH), "hostile.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    r = subprocess.run([tap.GOX, "report", "--no-redact", "--format=openmetrics", path], capture_output=True)
    eq(r.returncode, 0, r.stderr.decode(errors="replace"))
    text = r.stdout.decode()
    for parser in (om_parser, prom_parser):
        _, vals = metric_values(text, parser)
        info = [dict(l) for (n, l), _ in vals.items() if n == "gox_run_info"]
        eq(info, [{"verb": "build\u00e9", "go_version": 'go1.26 "x"\\y\nz'}], "info labels")
        reasons = [dict(l)["reason"] for (n, l), _ in vals.items() if n == "gox_rebuilt_packages"]
        eq(reasons, ['r"\\\n'], "reason label")
    r = subprocess.run([tap.GOX, "report", "--no-redact", "--format=otlp", path], capture_output=True)
    eq(r.returncode, 0, r.stderr.decode(errors="replace"))
    spans = spans_of(json_format.Parse(json.dumps(hex_to_b64(json.loads(r.stdout))), ExportTraceServiceRequest()))
    eq(len(spans), 1, "no timeline: the root span alone")


@test
def test_formats_documented():
    """Both formats are in --help, gox report --help, the man page and every
    completion, with the other formats (tests/cli/test_docs.py checks the
    option names; this, the values)."""
    formats = ["json", "markdown", "html", "junit", "chrome-trace", "text", "otlp", "openmetrics"]
    wrap_help = subprocess.run([tap.GOX, "build", "--help"], capture_output=True).stdout.decode()
    report_help = subprocess.run([tap.GOX, "report", "--help"], capture_output=True).stdout.decode()
    with open(os.path.join(tap.ROOT, "man", "gox.1")) as f:
        man = f.read().replace("\\-", "-")
    for ext in (".otlp.json", ".prom"):
        check(ext in wrap_help, f"{ext} in gox build --help")
        check("\\fB" + ext in man or ext in man, f"{ext} in the man page")
    for name in ("OPENTELEMETRY", "OPENMETRICS"):
        check(f".SH {name}" in man, f"man section {name}")
    for text, where in ((wrap_help, "gox build --help"), (report_help, "gox report --help"), (man, "gox.1")):
        for fmt in formats:
            check(fmt in text, f"{fmt} in {where}")
    for comp in ("_gox", "gox.bash", "gox.fish"):
        with open(os.path.join(tap.ROOT, "completions", comp)) as f:
            lists = [l for l in f.read().splitlines() if "chrome-trace" in l]
        eq(len(lists), 2, f"{comp}: the --report-format and gox report --format lists")
        for l in lists:
            words = set(re.findall(r"[a-z][a-z-]*", l))
            check(all(fmt in words for fmt in formats), f"{comp}: {l}")


if __name__ == "__main__":
    run()
