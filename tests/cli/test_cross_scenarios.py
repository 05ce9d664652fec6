#!/usr/bin/env python3
"""Two "machines" against the real go, one planted difference each (issue 16's
Done-when): machine A builds with --why and saves its JSON summary; machine B
starts from a copy of A's GOCACHE (a CI restore), has its own HOME, history
and summary, and builds with --why --baseline=A's summary. For every
scenario the planted cause must be the top grouped cause of
`gox diff --format=json A B` and the first "vs the baseline" note of B's own
summary, and B's rebuilt packages carry it as their reason.

The checkout path is the same on both (a CI checkout is) unless it is the
planted difference: B's checkout replaces A's at the same path.

Speed: the scenarios start from the standard template (the sample built,
vetted and tested), -race from test_cross_diff's (with -race and -trimpath
too), Go 1.27 from a merge with Go 1.27.3's template; those whose difference rebuilds the
standard library (GOAMD64, GOOS/GOARCH, -trimpath, GOROOT) build only
internal/words, whose one standard import is unicode."""
import base64
import fcntl
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

M = "example.com/sample"
WORDS = M + "/internal/words"
SYNC, SYNC_OLD, SYNC_NEW = "golang.org/x/sync", "v0.24.0", "v0.25.0"
SYNC_SUM = {
    SYNC_OLD: f"{SYNC} {SYNC_OLD} h1:iqiDrGoDgyuvAKrhLQthUEzU/R378N78gXbBjxed7oA=\n",
    SYNC_NEW: f"{SYNC} {SYNC_NEW} h1:dJnifr0nMV8/SBnBvdo4eSGGnrc3O4FFx6IqvtLcmRs=\n",
}
SYNC_MODSUM = f"{SYNC} {{v}}/go.mod h1:sUUOizhqBxiL6pEWpqNLUiaJn1ShEbZ6BBqskPbjZm0=\n"
GOPATH = os.path.join(SCRATCH, "crossmachine-gopath")
MOD_ENV = {"GOPATH": GOPATH, "GOMODCACHE": os.path.join(GOPATH, "pkg", "mod"),
           "GOFLAGS": "-buildvcs=false -mod=mod -modcacherw"}


def crossdiff_template():
    # The same template as test_cross_diff.py's (made once for both).
    return derived_template("crossdiff", [["build", "./..."], ["build", "-race", "./..."],
                                          ["build", "-trimpath", "./..."]])


def go127_plus_126():
    """A cache that has held Go 1.26's and Go 1.27.3's builds of the sample
    (a cache key shared by both toolchains' jobs)."""
    path = os.path.join(TEMPLATES, "gocache-template-crossmachine-go127")
    with open(path + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(path, "ready")):
            shutil.rmtree(path, ignore_errors=True)
            shutil.copytree(go127_template(), path, symlinks=True)
            os.remove(os.path.join(path, "ready"))
            shutil.copytree(template_cache(), path, symlinks=True, dirs_exist_ok=True)
    return path


def goroot_copy():
    """The same Go installed in a second place: hard links of GOROOT's files
    (the same bytes, another directory)."""
    src = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
    dst = os.path.join(TEMPLATES, "crossmachine-goroot", "go")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(os.path.dirname(dst) + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(dst, "VERSION")):
            shutil.rmtree(dst, ignore_errors=True)
            subprocess.run(["cp", "-al", src, dst], check=True)
    return src, dst


class Side:
    def __init__(self, verb="build", args=(), env=None, pkgs=("./...",), path="work/app", edit=None):
        self.verb, self.args, self.env, self.pkgs, self.path, self.edit = verb, list(args), dict(env or {}), list(pkgs), path, edit


class World:
    def __init__(self, name):
        os.makedirs(SCRATCH, exist_ok=True)
        self.root = tempfile.mkdtemp(prefix=f"xmachine-{name}-", dir=SCRATCH)

    def checkout(self, side, fixture):
        d = os.path.join(self.root, side.path)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        shutil.copytree(fixture, d)
        if side.edit:
            side.edit(d)
        return d

    def run(self, machine, side, fixture, cache, gox_opts=()):
        d = self.checkout(side, fixture)
        home = os.path.join(self.root, "machine-" + machine)
        os.makedirs(home, exist_ok=True)
        summary = os.path.join(home, "summary.json")
        env = go_env(cache, dict({"HOME": home, "GOX_HISTORY": os.path.join(home, "history.db")}, **side.env))
        opts = [f"--summary={summary}", "--summary-format=json", "--no-progress", "--why"] + list(gox_opts)
        p = subprocess.run([GOX] + opts + [side.verb] + side.args + side.pkgs, cwd=d, env=env, capture_output=True)
        check(p.returncode == 0, f"gox {side.verb} on {machine}: {p.stderr.decode(errors='replace')[-3000:]}")
        with open(summary) as f:
            return summary, json.load(f), p.stderr.decode(errors="replace")

    def done(self):
        shutil.rmtree(self.root, ignore_errors=True)


def fixture_dir(name, edit=None):
    """The sample module, edited the same on both machines (a cgo package, a
    tagged file, a dependency)."""
    d = os.path.join(tempfile.mkdtemp(prefix=f"xfix-{name}-", dir=SCRATCH), "sample")
    shutil.copytree(os.path.join(tap.ROOT, "examples", "sample"), d)
    if edit:
        edit(d)
    return d


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def two_machines(name, a, b, base, edit=None, between=None):
    """Runs A then B (B's cache a copy of A's after A's run; between(world,
    b_cache, a_doc) may change it first; B with --baseline=A's summary).
    Returns (gox diff --format=json A B, B's document)."""
    w = World(name)
    fix = fixture_dir(name, edit)
    cache_a = os.path.join(w.root, "cache-a")
    shutil.copytree(base(), cache_a, symlinks=True)
    a_sum, da, _ = w.run("a", a, fix, cache_a)
    cache_b = os.path.join(w.root, "cache-b")
    shutil.copytree(cache_a, cache_b, symlinks=True)
    if between:
        between(w, cache_b, da)
    b_sum, db, _ = w.run("b", b, fix, cache_b, gox_opts=[f"--baseline={a_sum}"])
    p = gox("diff", "--format=json", a_sum, b_sum)
    check(p.returncode == 0, f"gox diff: {p.stderr.decode(errors='replace')}")
    w.done()
    shutil.rmtree(os.path.dirname(fix), ignore_errors=True)
    return json.loads(p.stdout), db


def scenario(name, reason, detail_re, a, b, base=template_cache, edit=None, between=None):
    """Two machines with one planted difference: its cause must be the top
    grouped cause of gox diff, B's first note and some rebuilt package's reason."""
    dj, db = two_machines(name, a, b, base, edit, between)
    causes = dj.get("causes")
    check(causes, f"{name}: no causes in gox diff --format=json: {json.dumps(dj)[:3000]}")
    summary = [(c["reason"], c["detail"], c["packages"]) for c in causes]
    eq(causes[0]["reason"], reason, f"{name}: the top cause of {summary}")
    check(re.search(detail_re, causes[0]["detail"]), f"{name}: the top cause's detail: {summary}")
    check(causes[0]["remedy"], f"{name}: a remedy: {causes[0]}")
    # The versioned schema: causes by packages affected; per package its
    # import path, reason and detail, the top cause's packages among them.
    eq(dj["schema_version"], 1, f"{name}: schema_version")
    eq([c["packages"] for c in causes], sorted((c["packages"] for c in causes), reverse=True), f"{name}: order")
    eq(causes[0]["packages"], len(causes[0]["import_paths"]), f"{name}: the count")
    by_reason = {}
    for p in dj["packages"]:
        check(all(k in p for k in ("import_path", "reason", "detail")), f"{name}: {p}")
        by_reason.setdefault(p["reason"], set()).add(p["import_path"])
    top = {ip.split(" [")[0] for ip in causes[0]["import_paths"]}
    check(top <= by_reason.get(reason, set()), f"{name}: the top cause's packages in packages: {by_reason}")
    # B's own summary, under --baseline: its first cross-machine note, and
    # the reasons of the packages it rebuilt.
    notes = [n for n in db["notes"] if n.startswith("vs the baseline")]
    rebuilt = {p["import_path"]: p.get("reason_detail") or "" for p in db["packages"] if p["outcome"] == "rebuilt"}
    check(rebuilt, f"{name}: B rebuilt nothing")
    check(notes, f"{name}: no 'vs the baseline' note in B's summary: {db['notes']}")
    check(re.search(detail_re, notes[0]), f"{name}: B's first note: {notes[0]}")
    check(any(re.search(detail_re, d) for d in rebuilt.values()), f"{name}: no package of B's names the cause: {rebuilt}")
    return dj, db


def scenario_same(name, a, b, base=template_cache, edit=None):
    """Both sides the same in every key: no cause, nothing rebuilt on B."""
    dj, db = two_machines(name, a, b, base, edit)
    eq(dj.get("causes"), [], f"{name}: causes")
    eq([p["import_path"] for p in db["packages"] if p["outcome"] == "rebuilt"], [], f"{name}: B rebuilt")
    return dj


# ---------------------------------------------------------------- scenarios

@test
def checkout_path():
    scenario("path", "package_dir", r"package directory differs \(.*/home/u/src/app vs .*/home/runner/work/app/app\)",
             Side(path="home/u/src/app"), Side(path="home/runner/work/app/app"))


@test
def goroot_path_without_and_with_trimpath():
    # The same Go 1.26 in two places shares every cache entry, with or
    # without -trimpath: compiles are given -trimpath $GOROOT=>$GOROOT by go,
    # cgo's C compiles and the links as well, so no key holds GOROOT's
    # directory (measured: not one action ID differs, a cgo package
    # included). gox must then name no cause, rather than the GOROOT that
    # the environments show differ.
    src, dst = goroot_copy()
    other = {"GOROOT": dst, "PATH": os.path.join(dst, "bin") + os.pathsep + os.environ.get("PATH", "")}
    dj = scenario_same("goroot", Side(), Side(env=other), edit=cgo_package)
    check({"name": "GOROOT", "a": src, "b": dst} in dj["environment"], dj["environment"])
    scenario_same("goroot-trimpath", Side(args=["-trimpath"]), Side(args=["-trimpath"], env=other),
                  base=crossdiff_template)


@test
def race_on_b():
    scenario("race", "race", r"-race only on B", Side(), Side(args=["-race"]), base=crossdiff_template)


def tagged_file(d):
    write(d, "internal/words/extra.go", "//go:build extra\n\npackage words\n\n// Extra is built with -tags=extra.\n"
          "func Extra() string { return \"extra\" }\n")


@test
def build_tags():
    scenario("tags", "build_tags", r"build tags: \(none\) vs extra", Side(), Side(args=["-tags=extra"]),
             edit=tagged_file)


@test
def cgo_enabled():
    scenario("cgo", "cgo_enabled", r"CGO_ENABLED (1|\(unset\)) vs 0", Side(), Side(env={"CGO_ENABLED": "0"}))


@test
def goamd64():
    scenario("goamd64", "arch_env", r"GOAMD64 (v1|\(unset\)) vs v3", Side(pkgs=["./internal/words"]),
             Side(pkgs=["./internal/words"], env={"GOAMD64": "v3"}))


@test
def goflags_trimpath_on_b():
    scenario("goflags", "trimpath", r"-trimpath only on B \(set through GOFLAGS on B\)",
             Side(pkgs=["./internal/words"]),
             Side(pkgs=["./internal/words"], env={"GOFLAGS": "-buildvcs=false -trimpath"}))


@test
def go_version():
    scenario("goversion", "go_version", r"Go version .*1\.26.* vs .*1\.27\.3", Side(), Side(env=GO127),
             base=go127_plus_126)


def with_sync(version):
    def edit(d):
        write(d, "go.mod", f"module example.com/sample\n\ngo 1.24\n\nrequire {SYNC} {version}\n")
        write(d, "go.sum", SYNC_SUM[version] + SYNC_MODSUM.format(v=version))
        write(d, "internal/par/par.go", 'package par\n\nimport "golang.org/x/sync/errgroup"\n\n'
              "// Run runs f in a group.\nfunc Run(f func() error) error {\n\tvar g errgroup.Group\n"
              "\tg.Go(f)\n\treturn g.Wait()\n}\n")
    return edit


@test
def dependency_one_version_back():
    scenario("modver", "module_version", re.escape(f"module {SYNC}: {SYNC_NEW} vs {SYNC_OLD}"),
             Side(env=MOD_ENV, edit=with_sync(SYNC_NEW)), Side(env=MOD_ENV, edit=with_sync(SYNC_OLD)))


def cgo_package(d):
    write(d, "internal/native/native.go", 'package native\n\n// int twice(int x) { return 2 * x; }\nimport "C"\n\n'
          "// Twice doubles x in C.\nfunc Twice(x int) int { return int(C.twice(C.int(x))) }\n")


@test
def cgo_cflags():
    scenario("cflags", "cgo_flags", r"C compiler flags differ", Side(env={"CGO_CFLAGS": "-O2 -g"}),
             Side(env={"CGO_CFLAGS": "-O2 -g -DNDEBUG"}), edit=cgo_package)


def git_commit(d, msg):
    env = dict(os.environ, GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@example.com", GIT_COMMITTER_NAME="a",
               GIT_COMMITTER_EMAIL="a@example.com", GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
               GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    if not os.path.isdir(os.path.join(d, ".git")):
        subprocess.run(["git", "init", "-q", "-b", "main", d], check=True, env=env)
    subprocess.run(["git", "-C", d, "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", d, "commit", "-q", "--allow-empty", "-m", msg], check=True, env=env)


def new_commit(d):
    git_commit(d, "one")
    write(d, "NOTES.txt", "a file outside the Go sources\n")
    git_commit(d, "two")


@test
def buildvcs_new_commit():
    vcs = {"GOFLAGS": "-buildvcs=true"}
    scenario("buildvcs", "vcs_stamp", r"VCS stamp differs", Side(env=vcs, edit=lambda d: git_commit(d, "one")),
             Side(env=vcs, edit=new_commit))


@test
def goos_goarch():
    scenario("goos", "target", r"GOARCH amd64 vs arm64|GOOS/GOARCH", Side(pkgs=["./internal/words"]),
             Side(pkgs=["./internal/words"], env={"GOARCH": "arm64"}))


def entry_files(cache, action_id):
    """The cache's files for an action ID as a summary carries it (go's
    build ID form: the base64url of the action hash's first 15 bytes)."""
    prefix = base64.urlsafe_b64decode(action_id + "=" * (-len(action_id) % 4)).hex()
    d = os.path.join(cache, prefix[:2])
    return [os.path.join(d, n) for n in os.listdir(d) if n.startswith(prefix) and n.endswith("-a")]


def delete_entries(paths):
    """Removes the action entries of A's packages in paths from B's cache."""
    def between(w, cache, da):
        gone = []
        for p in da["packages"]:
            if p["import_path"] in paths and p.get("action_id"):
                for f in entry_files(cache, p["action_id"]):
                    os.remove(f)
                    gone.append(f)
        check(gone, f"no cache entry of {paths} found")
    return between


@test
def evicted_entry():
    """B's cache is A's (copied with its mtimes) less one entry: the
    evidence says the cache was restored but lacked it, not a trim."""
    dj, db = scenario("evicted", "not_in_cache", r"same key on both: B's cache was restored \(\d+ entries from before "
                      r"its run, the newest .*\) but lacked the entry", Side(), Side(), between=delete_entries({WORDS}))
    words = [p for p in dj["packages"] if p["import_path"] == WORDS]
    check(words and re.search(r"no entry in B's cache before the run", words[0]["detail"]), f"evicted: {words}")
    ev = db.get("cache_evidence") or {}
    check(ev.get("entries_before_run", 0) > 0 and ev.get("present_before_run") == [], f"evicted: evidence {ev}")
    # The reports put the comparison first (a GitHub step summary is read
    # top down): B's Markdown and HTML, rendered from its summary.
    b_sum = os.path.join(SCRATCH, "evicted-b.json")
    with open(b_sum, "w") as f:
        json.dump(db, f)
    for fmt_, first, cache in (("markdown", "### Compared with", "### Build cache"),
                               ("html", '<h2 id="compared">Compared with', "<h2>Build cache</h2>")):
        p = gox("report", f"--format={fmt_}", b_sum)
        out = p.stdout.decode().replace("&#39;", "'")
        check(p.returncode == 0 and first in out and cache in out, f"evicted: {fmt_} report: {out[:2000]}")
        check(out.index(first) < out.index(cache), f"evicted: the comparison comes first in {fmt_}")
        check(re.search(r"same key on both: B's cache was restored", out), f"evicted: the cause in {fmt_}: {out[:3000]}")
    os.remove(b_sum)


@test
def trimmed_cache():
    """A ran six days ago (its summary says so), and go trimmed B's cache
    12 hours ago: the missing entry was trimmed."""
    import time

    def between(w, cache, da):
        delete_entries({WORDS})(w, cache, da)
        a_sum = os.path.join(w.root, "machine-a", "summary.json")
        da["command"]["started"] = time.time() - 6 * 86400
        with open(a_sum, "w") as f:
            json.dump(da, f)
        # 12 hours ago: go trims again (and rewrites trim.txt) only a day
        # after the last trim, so B's own run leaves this one in place.
        with open(os.path.join(cache, "trim.txt"), "w") as f:
            f.write(str(int(time.time() - 12 * 3600)))
    scenario("trimmed", "not_in_cache", r"same key on both: go trimmed B's cache on \d{4}-\d\d-\d\d \d\d:\d\d UTC, "
             r"after A's run", Side(), Side(), between=between)


@test
def test_job_after_lint_job():
    scenario("lint", "lint_job", r"A ran go vet only \(a lint job\): it never built what go test needs",
             Side(verb="vet"), Side(verb="test"))


PASSWORD = "hunter2-Pa55word-x9"
TOKEN = "ghp_" + "Zq8" * 12


@test
def secrets_in_key_inputs_are_never_shown():
    """A password in CGO_CFLAGS and a token in a flag that GOFLAGS carries
    (both in the key): the causes are named, the values appear in no
    summary, diff or report."""
    w = World("secrets")
    fix = fixture_dir("secrets", cgo_package)
    cache_a = os.path.join(w.root, "cache-a")
    shutil.copytree(template_cache(), cache_a, symlinks=True)
    a_sum, _, _ = w.run("a", Side(), fix, cache_a)
    cache_b = os.path.join(w.root, "cache-b")
    shutil.copytree(cache_a, cache_b, symlinks=True)
    home_b = os.path.join(w.root, "machine-b")
    reports = [os.path.join(home_b, "r" + ext) for ext in (".md", ".html", ".xml", ".json")]
    b = Side(env={"CGO_CFLAGS": f"-O2 -g -DPASSWORD={PASSWORD}",
                  "GOFLAGS": f"-buildvcs=false -ldflags=-X=main.token={TOKEN}"})
    b_sum, db, err = w.run("b", b, fix, cache_b, gox_opts=[f"--baseline={a_sum}"] + [f"--report={r}" for r in reports])
    dj = gox("diff", "--format=json", a_sum, b_sum).stdout.decode()
    dt = gox("diff", a_sum, b_sum).stdout.decode()
    reasons = {c["reason"] for c in json.loads(dj)["causes"]}
    check({"cgo_flags", "ldflags"} & reasons, f"the causes are named: {reasons}")
    texts = {"diff json": dj, "diff text": dt, "B's stderr": err}
    for f in [a_sum, b_sum] + reports:
        with open(f, errors="replace") as fh:
            texts[os.path.basename(f)] = fh.read()
    for what, text in texts.items():
        for secret in (PASSWORD, TOKEN):
            check(secret not in text, f"{secret} in {what}")
    w.done()
    shutil.rmtree(os.path.dirname(fix), ignore_errors=True)


if __name__ == "__main__":
    run()
