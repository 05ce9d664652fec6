#!/usr/bin/env python3
"""Golden and action-graph checks over every trace in trace_samples/.

For each sample <id>.trace:
  golden      `gox parse --format=json` equals tests/golden/<id>.json
              (regenerate with GOX_UPDATE_GOLDEN=1, then review the diff);
  actiongraph per-package outcomes read from the trace agree with
              <id>.actiongraph.json captured by the same go run: a build
              action whose Cmd is null did not run (cache hit), one with a
              Cmd did (rebuilt), and every build action that ran a command
              shows up as rebuilt (or failed) in the trace model.
Prints TAP.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap_results import print_tap  # noqa: E402

def main():
    gox, samples, golden = sys.argv[1], sys.argv[2], sys.argv[3]
    update = os.environ.get("GOX_UPDATE_GOLDEN") == "1"
    ids = sorted(f[:-6] for f in os.listdir(samples) if f.endswith(".trace"))
    results = []  # (ok, name, diag)
    for sid in ids:
        trace = os.path.join(samples, sid + ".trace")
        cmd = [gox, "parse", "--format=json"]
        out = os.path.join(samples, sid + ".stdout")
        if os.path.exists(out):
            cmd.append("--stdout=" + out)
        p = subprocess.run(cmd + [trace], capture_output=True)
        if p.returncode != 0:
            results.append((False, f"{sid}: gox parse exits 0", p.stderr.decode(errors="replace")))
            continue
        got = json.loads(p.stdout)
        gpath = os.path.join(golden, sid + ".json")
        if update:
            with open(gpath, "wb") as f:
                f.write(p.stdout)
        if not os.path.exists(gpath):
            results.append((False, f"{sid}: golden", f"missing {gpath} (run with GOX_UPDATE_GOLDEN=1)"))
        else:
            with open(gpath) as f:
                want = json.load(f)
            diag = ""
            if got != want:
                for k in want:
                    if got.get(k) != want.get(k):
                        diag += f"key {k!r} differs\n"
            results.append((got == want, f"{sid}: golden", diag))
        agp = os.path.join(samples, sid + ".actiongraph.json")
        if os.path.exists(agp):
            ok, diag = check_actiongraph(got, agp)
            results.append((ok, f"{sid}: outcomes agree with the action graph", diag))
    return print_tap(results)

def objdir_num(d):
    d = d.rstrip("/\\")
    base = d.replace("\\", "/").rsplit("/", 1)[-1]
    return int(base[1:]) if base.startswith("b") and base[1:].isdigit() else None

def check_actiongraph(model, path):
    with open(path) as f:
        try:
            graph = json.load(f)
        except json.JSONDecodeError as e:
            return False, f"bad action graph: {e}"
    builds = [a for a in graph if a.get("Mode") == "build" and a.get("Package")]
    by_objdir = {objdir_num(a.get("Objdir") or ""): a for a in builds}
    problems = []
    pkgs = [p for p in model["packages"] if p["invocation"] == len(model["invocations"]) - 1]
    checked = 0
    for p in pkgs:
        od = p["objdir"]
        n = int(od.rsplit("b", 1)[1]) if od else None
        if p["outcome"] in ("rebuilt", "failed"):
            a = by_objdir.get(n)
            if a is None or not a.get("Cmd"):
                problems.append(f"{p['import_path']} {od}: trace says {p['outcome']}, graph has no build command there")
            checked += 1
        elif p["outcome"] in ("cache_hit", "installed"):
            if n is not None and n in by_objdir:
                if by_objdir[n].get("Cmd"):
                    problems.append(f"{p['import_path']} {od}: trace says cache hit, graph ran {by_objdir[n]['Cmd'][0][:60]}")
            else:
                cands = [a for a in builds if a["Package"] == p["import_path"]]
                if not cands:
                    problems.append(f"{p['import_path']}: trace says {p['outcome']}, graph has no build action for it")
                elif all(a.get("Cmd") for a in cands):
                    problems.append(f"{p['import_path']}: trace says {p['outcome']}, every graph build action for it ran")
            checked += 1
    rebuilt = {int(p["objdir"].rsplit("b", 1)[1]) for p in pkgs if p["objdir"] and p["outcome"] in ("rebuilt", "failed")}
    for a in builds:
        if a.get("Cmd") and objdir_num(a.get("Objdir") or "") not in rebuilt:
            problems.append(f"graph ran a build for {a['Package']} in {a.get('Objdir')} that the trace model lacks")
    if checked == 0 and builds:
        cached_graph = [a for a in builds if not a.get("Cmd")]
        # A fully cached run may print nothing about its packages: that is
        # only consistent if the graph ran nothing either.
        if len(cached_graph) != len(builds):
            problems.append("trace model has no packages but the graph ran builds")
    return not problems, "\n".join(problems)

if __name__ == "__main__":
    sys.exit(main())
