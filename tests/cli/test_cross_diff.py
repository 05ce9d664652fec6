#!/usr/bin/env python3
"""gox diff across machines (issue 16), against the real go: two "machines"
build examples/sample, each with its own HOME, GOX_HISTORY and GOCACHE (B's
a copy of A's after A's run, the way a CI restore does), and save their
summaries with --why --summary-format=json. `gox diff a.json b.json` then
names, from the packages' key_inputs, why B missed what A had, grouped by
cause with counts and remedies; the assertions are on the exact lines.

Scenarios: two checkout directories with -race on B only (the standard
library misses for -race, the module's packages for the directory);
the same directory with CGO_ENABLED=0 on B (only the main package, by its
build info); two checkout directories both with -trimpath (nothing
differs); and summaries without --why (no such section). And --baseline:
a runner without history compares with the summary A saved (same path and a
cache without the module: cache_entry_missing; another path:
inputs_changed), or with a run of the history by id; a baseline that cannot
be read warns once and the build goes on.

Speed: one derived template GOCACHE holds the sample built plain, with
-race and with -trimpath, so no scenario compiles the standard library."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

M = "example.com/sample"
MODULE_PKGS = {M + "/cmd/sample", M + "/internal/greet", M + "/internal/words"}
HEADER = "why B missed what A had (the first key input that differs, by cause):"


def template():
    return derived_template("crossdiff", [["build", "./..."], ["build", "-race", "./..."],
                                          ["build", "-trimpath", "./..."]])


class World:
    """A scratch dir holding the machines' checkouts, homes, caches and summaries."""

    def __init__(self, name):
        os.makedirs(SCRATCH, exist_ok=True)
        self.root = tempfile.mkdtemp(prefix=f"crossdiff-{name}-", dir=SCRATCH)

    def checkout(self, rel):
        d = os.path.join(self.root, rel)
        if not os.path.exists(d):
            os.makedirs(os.path.dirname(d), exist_ok=True)
            shutil.copytree(os.path.join(tap.ROOT, "examples", "sample"), d)
        return d

    def cache(self, name, source):
        d = os.path.join(self.root, "cache-" + name)
        shutil.copytree(source, d, symlinks=True)
        return d

    def build(self, machine, checkout, cache, *go_args, extra_env=None, why=True, gox_opts=(), stderr=None):
        home = os.path.join(self.root, "home-" + machine)
        os.makedirs(home, exist_ok=True)
        summary = os.path.join(self.root, machine + ".json")
        env = go_env(cache, dict({"HOME": home, "GOX_HISTORY": os.path.join(home, "history.db")}, **(extra_env or {})))
        opts = [f"--summary={summary}", "--summary-format=json", "--no-progress"] + (["--why"] if why else [])
        p = subprocess.run([GOX] + opts + list(gox_opts) + ["build"] + list(go_args) + ["./..."], cwd=checkout,
                           env=env, capture_output=True)
        check(p.returncode == 0, f"gox build on {machine}: {p.stderr.decode(errors='replace')[-2000:]}")
        if stderr is not None:
            stderr.append(p.stderr.decode(errors="replace"))
        with open(summary) as f:
            return summary, json.load(f)

    def done(self):
        shutil.rmtree(self.root, ignore_errors=True)


def diff_text(a, b):
    p = gox("diff", a, b)
    check(p.returncode == 0, f"gox diff: {p.stderr.decode(errors='replace')}")
    return p.stdout.decode()


def section(text):
    """The lines of the cross-machine section: after its header, up to the work time line."""
    lines = text.splitlines()
    check(HEADER in lines, f"no cross-machine section in:\n{text}")
    rest = lines[lines.index(HEADER) + 1:]
    end = next(i for i, l in enumerate(rest) if l.startswith("work time:"))
    return rest[:end]


def differing(da, db):
    """Packages in both documents whose action IDs differ: import path -> standard."""
    ids = {p["import_path"]: p.get("action_id") for p in da["packages"] if not p.get("for_test")}
    out = {}
    for p in db["packages"]:
        ip = p["import_path"]
        if p.get("for_test") or ip not in ids or not ids[ip] or not p.get("action_id"):
            continue
        if ids[ip] != p["action_id"]:
            out[ip] = p["standard"]
    return out


def names_line(line):
    check(line.startswith("    "), f"not a names line: {line!r}")
    return set(n for n in line.strip().split(", ") if not n.startswith("…"))


@test
def checkout_path_and_race_on_b():
    w = World("race")
    a_dir, b_dir = w.checkout("home/u/src/app"), w.checkout("home/runner/work/app/app")
    cache_a = w.cache("a", template())
    a, da = w.build("a", a_dir, cache_a)
    b, db = w.build("b", b_dir, w.cache("b", cache_a), "-race")
    # Every package carries its key inputs, with no path of either machine.
    for d, root in ((da, a_dir), (db, b_dir)):
        for p in d["packages"]:
            check(p.get("action_id"), f"{p['import_path']}: no action_id")
            ki = p.get("key_inputs")
            check(isinstance(ki, list) and len(ki) > 5, f"{p['import_path']}: key_inputs {ki!r}")
            check(all(isinstance(e, str) and e.count("\t") >= 2 for e in ki), f"{p['import_path']}: {ki[:3]}")
            check(w.root not in json.dumps(ki), f"{p['import_path']}: a machine path in {ki}")
    diff = differing(da, db)
    std = sorted(ip for ip, s in diff.items() if s)
    mine = {ip for ip, s in diff.items() if not s}
    eq(mine, MODULE_PKGS, "the module's packages differ")
    check(len(std) >= 40 and "fmt" in std and "runtime" in std, f"standard packages that differ: {std}")
    lines = section(diff_text(a, b))
    eq(len(lines), 4, f"two groups, each with its names:\n" + "\n".join(lines))
    eq(lines[0], f"  {len(std)} standard-library packages: -race only on B → give the race job its own cache key",
       "largest group")
    eq(lines[2], f"  3 packages: package directory differs ({a_dir} vs {b_dir}) → build with -trimpath", "second group")
    eq(names_line(lines[3]), MODULE_PKGS, "the directory group's packages")
    check(names_line(lines[1]) <= set(std), f"the race group names standard packages: {lines[1]}")
    # The same causes in gox diff --format=json.
    p = gox("diff", "--format=json", a, b)
    check(p.returncode == 0, p.stderr.decode(errors="replace"))
    causes = json.loads(p.stdout)["causes"]
    eq([(c["reason"], c["detail"], c["packages"], c["standard"]) for c in causes],
       [("race", "-race only on B", len(std), len(std)),
        ("package_dir", f"package directory differs ({a_dir} vs {b_dir})", 3, 0)], "causes")
    eq(sorted(causes[0]["import_paths"]), std, "the race cause's packages")
    eq(set(causes[1]["import_paths"]), MODULE_PKGS, "the directory cause's packages")
    eq(causes[1]["remedy"], "build with -trimpath", "remedy")
    # B's own summary with --baseline=A: the causes of what B rebuilt (its
    # -race standard library came from the restored cache).
    _, dbb = w.build("b2", b_dir, w.cache("b2", cache_a), "-race", gox_opts=[f"--baseline={a}"])
    got = reasons(dbb)
    eq(set(got), MODULE_PKGS, "B rebuilt the module's packages")
    for ip, (reason, detail) in got.items():
        check(reason in ("inputs_changed", "dependency_changed") and
              detail.startswith(f"package directory differs ({a_dir} vs {b_dir})"), f"{ip}: {reason}: {detail}")
    eq([n for n in dbb["notes"] if n.startswith("vs the baseline")],
       [f"vs the baseline (A; this run is B): 3 packages: package directory differs ({a_dir} vs {b_dir}) → "
        "build with -trimpath"], "the cause in B's notes")
    w.done()


@test
def same_directory_cgo_disabled_on_b():
    w = World("cgo")
    d = w.checkout("work/app")
    cache_a = w.cache("a", template())
    a, da = w.build("a", d, cache_a)
    b, db = w.build("b", d, w.cache("b", cache_a), extra_env={"CGO_ENABLED": "0"})
    eq(set(differing(da, db)), {M + "/cmd/sample"}, "only the main package differs")
    eq(section(diff_text(a, b)),
       ["  1 package: CGO_ENABLED 1 vs 0 → use the same CGO_ENABLED on both, or give each its own cache key",
        "    " + M + "/cmd/sample"], "the cause")
    w.done()


@test
def two_checkouts_with_trimpath_agree():
    w = World("trimpath")
    cache_a = w.cache("a", template())
    a, da = w.build("a", w.checkout("home/u/src/app"), cache_a, "-trimpath")
    b, db = w.build("b", w.checkout("home/runner/work/app/app"), w.cache("b", cache_a), "-trimpath")
    eq(differing(da, db), {}, "with -trimpath the checkout path is not in any key")
    both = {p["import_path"] for p in da["packages"]} & {p["import_path"] for p in db["packages"]}
    eq(section(diff_text(a, b)), [f"  every package compared ({len(both)}) has the same key on both"], "no cause")
    w.done()


@test
def without_why_there_is_no_section():
    w = World("nowhy")
    cache_a = w.cache("a", template())
    a, da = w.build("a", w.checkout("a/app"), cache_a, why=False)
    b, db = w.build("b", w.checkout("b/app"), w.cache("b", cache_a), why=False)
    check(all("key_inputs" not in p for p in da["packages"] + db["packages"]), "key_inputs without --why")
    text = diff_text(a, b)
    check(HEADER not in text, text)
    p = gox("diff", "--format=json", a, b)
    check("causes" not in json.loads(p.stdout), "causes without key_inputs")
    check("packages: " in text and "work time:" in text, text)
    w.done()


def reasons(doc):
    """The module's rebuilt packages: import path -> (reason, detail)."""
    return {p["import_path"]: (p.get("reason"), p.get("reason_detail")) for p in doc["packages"]
            if p["import_path"] in MODULE_PKGS and p["outcome"] == "rebuilt" and not p.get("for_test")}


@test
def baseline_from_another_machine():
    """--baseline: a runner with no history compares with the summary another
    machine saved, instead of calling every package no_history."""
    w = World("baseline")
    a_dir = w.checkout("home/u/src/app")
    a, da = w.build("a", a_dir, w.cache("a", template()), why=False)
    eq(set(reasons(da)), MODULE_PKGS, "A rebuilt the module (the template built it elsewhere)")
    # B: the same checkout path, but the cache it got is the template, which
    # never held the module's packages at this path: same action IDs as A's,
    # missing entries. Without the baseline B knows nothing.
    _, plain = w.build("b0", a_dir, w.cache("b0", template()), why=False)
    eq(set(r for r, _ in reasons(plain).values()), {"no_history"}, "no history, no baseline")
    err = []
    _, db = w.build("b", a_dir, w.cache("b", template()), why=False, gox_opts=[f"--baseline={a}"], stderr=err)
    got = reasons(db)
    eq(set(got), MODULE_PKGS, "B rebuilt the module too")
    for ip, (reason, detail) in got.items():
        eq(reason, "cache_entry_missing", ip)
        check(detail.endswith(" as the baseline") and "same action ID" in detail, f"{ip}: {detail}")
    check(any(n.startswith(f"package reasons compare with the baseline {a}") for n in db["notes"]), db["notes"])
    check("warning" not in err[0], err[0])
    # C: another checkout path (no -trimpath): other action IDs than A's.
    _, dc = w.build("c", w.checkout("home/runner/work/app/app"), w.cache("c", template()), why=False,
                    gox_opts=[f"--baseline={a}"])
    got = reasons(dc)
    eq(set(got), MODULE_PKGS, "C rebuilt the module")
    # A package's own inputs (its directory), or for the main package perhaps
    # a dependency's new output first: never "no history" or "entry missing".
    eq(got[M + "/internal/words"][0], "inputs_changed", "a leaf package of another directory")
    check({r for r, _ in got.values()} <= {"inputs_changed", "dependency_changed"}, got)
    # A run of the history named by its id: A's own first run, from A's history.
    home_a = os.path.join(w.root, "home-a")
    env = go_env(w.cache("d", template()), {"HOME": home_a, "GOX_HISTORY": os.path.join(home_a, "history.db")})
    summary = os.path.join(w.root, "d.json")
    p = subprocess.run([GOX, f"--summary={summary}", "--summary-format=json", "--baseline=1", "build", "./..."],
                       cwd=a_dir, env=env, capture_output=True)
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    with open(summary) as f:
        dd = json.load(f)
    eq({r for r, _ in reasons(dd).values()}, {"cache_entry_missing"}, "--baseline=1: A's run from the history")
    check(any(n.startswith("package reasons compare with the baseline run 1") for n in dd["notes"]), dd["notes"])
    w.done()


@test
def unreadable_baseline_warns_and_builds():
    w = World("badbaseline")
    d = w.checkout("app")
    bad = os.path.join(w.root, "not-a-summary.json")
    with open(bad, "w") as f:
        f.write('{"hello": 1}')
    for arg, why in ((os.path.join(w.root, "missing.json"), "cannot read it"), (bad, "not a gox JSON summary"),
                     ("12345", "no history to find it in")):
        err = []
        opts = [f"--baseline={arg}"] + (["--no-history"] if arg == "12345" else [])
        _, doc = w.build("x", d, w.cache("x" + str(len(err)) + os.path.basename(arg), template()), why=False,
                         gox_opts=opts, stderr=err)
        lines = [l for l in err[0].splitlines() if l.startswith("gox: warning: --baseline")]
        eq(len(lines), 1, err[0])
        check(why in lines[0] and "compared with this machine's previous run instead" in lines[0], lines[0])
        check(not any("baseline" in n for n in doc["notes"]), doc["notes"])
    w.done()


if __name__ == "__main__":
    run()
