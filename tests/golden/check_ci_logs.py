#!/usr/bin/env python3
"""CI logs as downloaded read like the bare traces they hold.

For every real trace of trace_samples/ (captured by capture.sh) and every CI
prefix style of trace_samples/wrap_ci_logs.py, the wrapped log (and its
wrapped stdout) must give `gox parse --format=json` the same model as the
bare trace: summary counts, packages with their outcomes, failures, tests,
invocations, diagnosis class; and log_format names the style. Two traces
interleaved as BuildKit steps must give both invocations, each with the
packages of its own trace. The logs checked in under trace_samples/ci/ must
be what the script writes now, and their parse must equal
tests/golden/ci/<name>.json (regenerate with GOX_UPDATE_GOLDEN=1, then review
the diff). Prints TAP.
"""
import importlib.util
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap_results import print_tap  # noqa: E402
import tempfile

# Counts that the CI system's own lines change (its banner, the echoed
# command): every other summary key must be equal.
NOISE = {"lines", "user_lines", "unrecognized_lines"}


def load_wrapper(samples):
    spec = importlib.util.spec_from_file_location("wrap_ci_logs", os.path.join(samples, "wrap_ci_logs.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def parse(gox, path, stdout=None):
    cmd = [gox, "parse", "--format=json"]
    if stdout:
        cmd.append("--stdout=" + stdout)
    p = subprocess.run(cmd + [path], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"gox parse {path}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    return json.loads(p.stdout)


def model(doc, inv_offset=0):
    """What must not change when a trace is wrapped: counts and ids."""
    summary = {k: v for k, v in doc["summary"].items() if k not in NOISE}
    return {
        "summary": summary,
        "failed": doc["failed"],
        "failures": sorted((f["package"] or "", f["kind"]) for f in doc["failures"]),
        "packages": [(p["import_path"], p["for_test"], p["objdir"], p["outcome"], p["invocation"] - inv_offset)
                     for p in doc["packages"]],
        "tests": [(t["package"], t["status"], t["cached"]) for t in doc["tests"]],
        "invocations": [(i["work_dir"], i["go_version"], i["gocache"]) for i in doc["invocations"]],
        "diagnosis": doc["diagnosis"]["class"] if doc["diagnosis"] else None,
    }


def diff(a, b):
    out = []
    for k in a:
        if a[k] != b.get(k):
            if isinstance(a[k], dict):
                for kk in a[k]:
                    if a[k][kk] != b[k].get(kk):
                        out.append(f"{k}.{kk}: bare {a[k][kk]!r}, wrapped {b[k].get(kk)!r}")
            else:
                out.append(f"{k}: bare {str(a[k])[:300]}, wrapped {str(b.get(k))[:300]}")
    return "\n".join(out)


def main():
    gox, samples, golden = sys.argv[1], sys.argv[2], sys.argv[3]
    update = os.environ.get("GOX_UPDATE_GOLDEN") == "1"
    wrapper = load_wrapper(samples)
    ids = sorted(f[:-6] for f in os.listdir(samples) if f.endswith(".trace"))
    results = []
    with tempfile.TemporaryDirectory(prefix="gox-ci-logs-") as tmp:
        for sid in ids:
            trace = os.path.join(samples, sid + ".trace")
            out = os.path.join(samples, sid + ".stdout")
            out = out if os.path.exists(out) else None
            want = model(parse(gox, trace, out))
            for style in wrapper.STYLES:
                crlf = style == "jenkins"  # one style with CRLF line ends (a Windows agent)
                log = os.path.join(tmp, f"{sid}.{style}.log")
                with open(log, "wb") as f:
                    f.write(wrapper.wrap(style, [trace], crlf))
                wout = None
                if out:
                    wout = os.path.join(tmp, f"{sid}.{style}.stdout")
                    with open(wout, "wb") as f:
                        f.write(wrapper.wrap(style, [out], crlf))
                doc = parse(gox, log, wout)
                got = model(doc)
                fmt = (doc.get("log_format") or {}).get("format")
                expect_fmt = "gitlab" if style == "gitlab_timestamps" else style
                d = diff(want, got)
                if fmt != expect_fmt:
                    d += f"\nlog_format {fmt!r}, want {expect_fmt!r}"
                results.append((not d, f"{sid} as {style}{' (CRLF)' if crlf else ''}: same model as the bare trace", d))

        # Two steps at once: each trace's packages in its own invocation.
        pairs = [("go126-test-build-error", "go126-install"), ("go126-cgo-build", "go127-cgo-build"),
                 ("go119-test", "go126-test")]
        for a, b in pairs:
            log = os.path.join(tmp, f"{a}+{b}.buildkit.log")
            with open(log, "wb") as f:
                f.write(wrapper.wrap("buildkit", [os.path.join(samples, a + ".trace"),
                                                  os.path.join(samples, b + ".trace")]))
            doc = parse(gox, log)
            wa, wb = (parse(gox, os.path.join(samples, x + ".trace")) for x in (a, b))
            na = len(wa["invocations"])
            problems = []
            if len(doc["invocations"]) != na + len(wb["invocations"]):
                problems.append(f"{len(doc['invocations'])} invocations, want {na} + {len(wb['invocations'])}")
            ma, mb = model(wa), model(wb)
            # The steps are listed in the order they started: find each
            # trace's invocations by their work dir.
            works = [i["work_dir"] for i in doc["invocations"]]
            ia = works.index(wa["invocations"][0]["work_dir"]) if wa["invocations"][0]["work_dir"] in works else -1
            ib = works.index(wb["invocations"][0]["work_dir"]) if wb["invocations"][0]["work_dir"] in works else -1
            if ia < 0 or ib < 0:
                problems.append(f"work dirs of the steps not among the invocations: {works}")
            nb = len(wb["invocations"])
            got_a = model({**doc, "packages": [p for p in doc["packages"] if ia <= p["invocation"] < ia + na]}, ia)
            got_b = model({**doc, "packages": [p for p in doc["packages"] if ib <= p["invocation"] < ib + nb]}, ib)
            if got_a["packages"] != ma["packages"]:
                problems.append(f"step 1 packages differ from {a}'s")
            if got_b["packages"] != mb["packages"]:
                problems.append(f"step 2 packages differ from {b}'s")
            for k in ("compile", "link", "cgo", "cc", "vet", "test_run", "cache_store", "packages_rebuilt",
                      "packages_cached", "packages_failed", "packages_unknown", "heredocs_cut"):
                if doc["summary"][k] != ma["summary"][k] + mb["summary"][k]:
                    problems.append(f"summary.{k}: {doc['summary'][k]}, want {ma['summary'][k]} + {mb['summary'][k]}")
            lf = doc.get("log_format") or {}
            if lf.get("format") != "buildkit" or lf.get("streams") != 2:
                problems.append(f"log_format {lf}")
            results.append((not problems, f"{a} and {b} interleaved as two BuildKit steps: two invocations",
                            "\n".join(problems)))

        # The checked-in logs: as the script writes them, and golden.
        cidir = os.path.join(samples, "ci")
        gdir = os.path.join(golden, "ci")
        if update:
            os.makedirs(gdir, exist_ok=True)
        for name, style, sids, crlf in wrapper.CHECKED_IN:
            path = os.path.join(cidir, name + ".log")
            fresh = wrapper.wrap(style, [os.path.join(samples, s + ".trace") for s in sids], crlf)
            try:
                with open(path, "rb") as f:
                    same = f.read() == fresh
            except FileNotFoundError:
                same = False
            results.append((same, f"ci/{name}.log is what wrap_ci_logs.py writes",
                            "run python3 trace_samples/wrap_ci_logs.py --regenerate"))
            sout = os.path.join(cidir, name + ".stdout")
            p = subprocess.run([gox, "parse", "--format=json"] + (["--stdout=" + sout] if os.path.exists(sout) else []) +
                               [path], capture_output=True)
            gpath = os.path.join(gdir, name + ".json")
            if update and p.returncode == 0:
                with open(gpath, "wb") as f:
                    f.write(p.stdout)
            if p.returncode != 0 or not os.path.exists(gpath):
                results.append((False, f"ci/{name}: golden", p.stderr.decode(errors="replace") or f"missing {gpath}"))
                continue
            with open(gpath) as f:
                want = json.load(f)
            got = json.loads(p.stdout)
            results.append((got == want, f"ci/{name}: golden",
                            "\n".join(f"key {k!r} differs" for k in want if got.get(k) != want.get(k))))

    return print_tap(results)


if __name__ == "__main__":
    sys.exit(main())
