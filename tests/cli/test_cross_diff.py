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
differs); and summaries without --why (no such section).

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

    def build(self, machine, checkout, cache, *go_args, extra_env=None, why=True):
        home = os.path.join(self.root, "home-" + machine)
        os.makedirs(home, exist_ok=True)
        summary = os.path.join(self.root, machine + ".json")
        env = go_env(cache, dict({"HOME": home, "GOX_HISTORY": os.path.join(home, "history.db")}, **(extra_env or {})))
        opts = [f"--summary={summary}", "--summary-format=json", "--no-progress"] + (["--why"] if why else [])
        p = subprocess.run([GOX] + opts + ["build"] + list(go_args) + ["./..."], cwd=checkout, env=env,
                           capture_output=True)
        check(p.returncode == 0, f"gox build on {machine}: {p.stderr.decode(errors='replace')[-2000:]}")
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


if __name__ == "__main__":
    run()
