#!/usr/bin/env python3
"""Golden reports: for a representative set of the real traces in
trace_samples/ (a cold build, a no-op, an edit, cgo, a compile error, a vet
error, a failing test, a test that does not build, a cached and an uncached
go test, Go 1.19 and 1.27), `gox parse --format=json` (with the sample's
action graph and stdout) is rendered by `gox report` as Markdown, HTML, JUnit
XML, Chrome trace and text (and JSON for three of them), and each must equal tests/golden/reports/<id>.<ext>
(regenerate with GOX_UPDATE_GOLDEN=1, then review the diff). HOME and USER
are fixed so that path redaction is deterministic. Prints TAP.
"""
import difflib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap_results import print_tap  # noqa: E402
import tempfile

SAMPLES = ["go126-cold-build", "go126-warm-noop", "go126-edit-string", "go126-cgo-build", "go126-compile-error",
           "go126-vet-error", "go126-test-fail", "go126-test-build-error", "go126-test-cached", "go126-test",
           "go119-test", "go127-cold-build"]
FORMATS = [("markdown", "md"), ("html", "html"), ("junit", "xml"), ("chrome-trace", "trace.json"), ("text", "txt")]
# The JSON report (the parse document path-normalised and redacted) is large:
# kept for three samples only.
JSON_SAMPLES = {"go126-compile-error", "go126-test-fail", "go126-edit-string"}

def otlp_matches_graph(gox, samples, sid, env):
    graph = os.path.join(samples, sid + ".actiongraph.json")
    p = subprocess.run([gox, "parse", "--format=otlp", "--actiongraph=" + graph, os.path.join(samples, sid + ".trace")],
                       capture_output=True, env=env)
    if p.returncode != 0 or p.stdout.count(b"\n") != 1:
        return False, p.stderr.decode(errors="replace")
    spans = json.loads(p.stdout)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    with open(graph) as f:
        n = len(json.load(f))
    ids = {s["spanId"] for s in spans}
    roots = [s for s in spans if "parentSpanId" not in s]
    bad = [s["name"] for s in spans if s not in roots and s.get("parentSpanId") != roots[0]["spanId"]] if len(roots) == 1 else ["roots"]
    bad += [s["name"] for s in spans for l in s.get("links", []) if l["spanId"] not in ids]
    return len(spans) == n and len(ids) == n and not bad, f"{len(spans)} spans, {n} actions, wrong parents or links: {bad[:5]}"

def main():
    gox, samples, golden = sys.argv[1], sys.argv[2], os.path.join(sys.argv[3], "reports")
    update = os.environ.get("GOX_UPDATE_GOLDEN") == "1"
    env = dict(os.environ, HOME="/nonexistent-home", USER="nobody-in-particular")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for sid in SAMPLES:
            cmd = [gox, "parse", "--format=json"]
            for opt, suffix in (("--actiongraph=", ".actiongraph.json"), ("--stdout=", ".stdout")):
                if os.path.exists(os.path.join(samples, sid + suffix)):
                    cmd.append(opt + os.path.join(samples, sid + suffix))
            p = subprocess.run(cmd + [os.path.join(samples, sid + ".trace")], capture_output=True, env=env)
            if p.returncode != 0:
                results.append((False, f"{sid}: gox parse", p.stderr.decode(errors="replace")))
                continue
            doc = os.path.join(tmp, sid + ".json")
            with open(doc, "wb") as f:
                f.write(p.stdout)
            for fmt, ext in FORMATS + ([("json", "json")] if sid in JSON_SAMPLES else []):
                r = subprocess.run([gox, "report", "--format=" + fmt, doc], capture_output=True, env=env)
                name = f"{sid}: {fmt} report"
                if r.returncode != 0:
                    results.append((False, name, r.stderr.decode(errors="replace")))
                    continue
                gpath = os.path.join(golden, f"{sid}.{ext}")
                if update:
                    os.makedirs(golden, exist_ok=True)
                    with open(gpath, "wb") as f:
                        f.write(r.stdout)
                if not os.path.exists(gpath):
                    results.append((False, name, f"missing {gpath} (run with GOX_UPDATE_GOLDEN=1)"))
                    continue
                with open(gpath, "rb") as f:
                    want = f.read()
                diag = ""
                if want != r.stdout:
                    diag = "".join(list(difflib.unified_diff(want.decode(errors="replace").splitlines(True),
                                                             r.stdout.decode(errors="replace").splitlines(True),
                                                             "golden", "got"))[:40])
                results.append((want == r.stdout, name, diag))
            # The Chrome trace holds one complete event per timed action.
            model = json.loads(p.stdout)
            r = subprocess.run([gox, "report", "--format=chrome-trace", doc], capture_output=True, env=env)
            trace = json.loads(r.stdout)
            xs = [e for e in trace["traceEvents"] if e["ph"] == "X"]
            want_n = len(model.get("timing", {}).get("actions", []))
            results.append((len(xs) == want_n and want_n > 0, f"{sid}: chrome trace has one event per action",
                            f"{len(xs)} events, {want_n} actions"))
            # gox parse --format=otlp: one span per action of the graph, the
            # root's children (tests/cli/test_export.py reads live ones with
            # opentelemetry-proto).
            ok, why = otlp_matches_graph(gox, samples, sid, env)
            results.append((ok, f"{sid}: OTLP trace has one span per action of the graph", why))
    return print_tap(results)

if __name__ == "__main__":
    sys.exit(main())
