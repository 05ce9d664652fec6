#!/usr/bin/env python3
"""gox --cacheprog against the real go (1.26 and 1.27): go's stdout, stderr,
exit status and binaries are plain go's; the summary's per-package hits and
misses (from the cache program's record, joined through action IDs) are the
action graph's; plain go afterwards gets every hit from the same GOCACHE; in
front of bradfitz/go-tool-cache's go-cacher and its server the summary
splits local and upstream hits on a cold build, a warm one and after the
server restarted empty; and each fault (an upstream that errors, one that is
slower than compiling, one that dies, a DiskPath that vanishes, a full local
disk) is named in the summary while go's output stays plain go's."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

cp = helpers_of("test_cacheprog")
FAKE = cp.FAKE


def gox_cacheprog(args, mod, cache, name, upstream=None, extra=None, prefix=()):
    """gox --cacheprog[=upstream] --summary=FILE --summary-format=json args:
    (the completed process, the summary document)."""
    summary = os.path.join(tap.SCRATCH, f"summary-{name}-{os.getpid()}.json")
    if os.path.exists(summary):
        os.remove(summary)
    opt = "--cacheprog" + ("=" + upstream if upstream else "")
    env = go_env(cache, extra)
    if "GOX_HISTORY" not in (extra or {}):
        env["GOX_HISTORY"] = os.path.join(tap.SCRATCH, f"history-{name}-{os.getpid()}.db")
    p = subprocess.run(list(prefix) + [tap.GOX, opt, "--summary=" + summary, "--summary-format=json"] + args,
                       cwd=mod, env=env, capture_output=True)
    doc = json.load(open(summary)) if os.path.exists(summary) else None
    check(doc is not None, f"{name}: no summary; gox stderr: {p.stderr.decode(errors='replace')[-2000:]}")
    return p, doc


def same_output(name, plain, viagox):
    eq(viagox.returncode, plain.returncode, f"{name}: exit status: {viagox.stderr.decode(errors='replace')[-1500:]}")
    eq(cp.normal(viagox.stdout), cp.normal(plain.stdout), f"{name}: stdout")
    eq(cp.normal(viagox.stderr), cp.normal(plain.stderr), f"{name}: stderr")


def joined(name, doc, served_elsewhere=False):
    """The summary's per-package gets agree with the action graph's
    outcomes; returns the cache_program object. served_elsewhere: outputs
    came from the upstream's own files (not kept in GOCACHE), where the
    trace cannot tell a hit and the model says unknown: those disagreements
    are listed, and only those."""
    c = doc.get("cache_program")
    check(c, f"{name}: no cache_program in the summary")
    asked = [p for p in doc["packages"] if p.get("cache_program", {}).get("get")]
    check(asked, f"{name}: no package was looked up")
    if served_elsewhere:
        check(all(d.endswith("get hit, model unknown") for d in c["disagreements"]), c["disagreements"])
        eq(c["packages_agree"] + len(c["disagreements"]), len(asked), f"{name}: packages agree")
        return c
    eq(c["disagreements"], [], f"{name}: record against action graph")
    for p in asked:
        hit = p["cache_program"]["get"] == "hit"
        eq(hit, p["outcome"] == "cache_hit", f"{name}: {p['import_path']} {p['for_test']}: get against outcome")
        if not hit:
            check(p["outcome"] in ("rebuilt", "failed"), f"{name}: {p['import_path']}: {p['outcome']}")
    eq(c["packages_agree"], len(asked), f"{name}: packages agree")
    eq(c["packages_hit"] + c["packages_missed"], len(asked), f"{name}: hits and misses")
    eq(c["sessions"] >= 1, True, f"{name}: go started the cache program")
    return c


def causes(c):
    return {x["id"]: x for x in c["causes"]}


def module_packages(doc):
    return {p["import_path"] + "|" + (p["for_test"] or ""): p for p in doc["packages"] if not p["standard"]}


BROKEN = "package words\n\nfunc Broken() int { return \"not an int\" }\n"


def wrapped_is_plain_go(name, template, extra=None):
    mod = cp.module(name, 11)
    plain, viagox = cp.copy_cache(template, name + "-plain"), cp.copy_cache(template, name + "-gox")
    # go build -o DIR/ ./..., go test ./..., then a build that fails to compile.
    for i, step in enumerate(("build", "test", "broken")):
        args = {"build": ["build", "-o", "OUT/", "./..."], "test": ["test", "./..."], "broken": ["build", "./..."]}[step]
        broken = os.path.join(mod, "internal", "words", "zz_broken.go")
        if step == "broken":
            open(broken, "w").write(BROKEN)
        a = cp.run_go([x.replace("OUT", os.path.join(mod, "out-plain")) for x in args], mod, plain, extra)
        b, doc = gox_cacheprog([x.replace("OUT", os.path.join(mod, "out-gox")) for x in args], mod, viagox,
                               f"{name}-{step}", extra=extra)
        same_output(f"{name} {step}", a, b)
        c = joined(f"{name} {step}", doc)
        eq(c["errors"], 0, f"{name} {step}: errors")
        eq(c["causes"], [], f"{name} {step}: causes")
        if step == "build":
            check(c["packages_hit"] > 10 and c["packages_missed"] > 0, f"{name}: hits and misses: {c}")
            eq(c["upstream"]["gets"], 0, f"{name}: no upstream")
            check(c["local"]["hits"] == c["hits"] > 0, f"{name}: local hits {c['local']}")
        if step == "broken":
            check(b.returncode != 0, f"{name}: the broken build failed")
            failed = [p for p in doc["packages"] if p["outcome"] == "failed"]
            check(failed and all(p["cache_program"]["get"] == "miss" for p in failed), f"{name}: failed: {failed}")
            os.remove(broken)
    bins = sorted(os.listdir(os.path.join(mod, "out-plain")))
    check(bins, f"{name}: go build -o wrote binaries")
    eq(sorted(os.listdir(os.path.join(mod, "out-gox"))), bins, f"{name}: binaries")
    for b in bins:
        eq(open(os.path.join(mod, "out-gox", b), "rb").read(), open(os.path.join(mod, "out-plain", b), "rb").read(),
           f"{name}: binary {b}")
    # Plain go without GOCACHEPROG: every hit from the same GOCACHE.
    cp.plain_go_gets_every_hit(mod, viagox, extra)
    for d in (plain, viagox, mod):
        shutil.rmtree(d, ignore_errors=True)


@test
def go_1_26_through_gox_cacheprog_is_plain_go_and_agrees_with_the_action_graph():
    wrapped_is_plain_go("wrap126", template_cache())


@test
def go_1_27_through_gox_cacheprog_is_plain_go_and_agrees_with_the_action_graph():
    wrapped_is_plain_go("wrap127", go127_template(), GO127)


def test_results_are_tied_to_their_tests(name, template, extra=None, variants=()):
    """go test's result lookups are the cache program's gets too: each is
    tied to its test (the test ID from the link's IDs and go test's
    cacheable flags, from the command line and GOFLAGS; the output through
    its last line), and the summary says which tests were served from the
    cache, which had never passed with that binary and flags, and which had
    an input that changed (an env var the test reads)."""
    mod = cp.module(name, 14)
    with open(os.path.join(mod, "go.mod")) as f:
        gomod = f.read()
    with open(os.path.join(mod, "go.mod"), "w") as f:
        f.write(gomod.replace("\ngo 1.19\n", "\ngo 1.26\n"))
    with open(os.path.join(mod, "internal", "words", "zz_env_test.go"), "w") as f:
        f.write('package words\n\nimport (\n\t"os"\n\t"testing"\n)\n\n'
                'func TestGreetingEnv(t *testing.T) {\n\tif os.Getenv("GOX_CP_GREETING") == "" {\n'
                '\t\tt.Skip("no greeting")\n\t}\n}\n')
    cache = cp.copy_cache(template, name)
    env = dict(extra or {}, GOFLAGS="-timeout=5m", GOX_CP_GREETING="a")
    env["GOX_HISTORY"] = os.path.join(tap.SCRATCH, f"history-{name}-{os.getpid()}.db")
    args = ["test", "-short", "-run", "Test", "-v", "./..."]
    tested = ["example.com/sample/internal/greet", "example.com/sample/internal/words"]

    def run(label, **more):
        p, doc = gox_cacheprog(args, mod, cache, f"{name}-{label}", extra=dict(env, **more))
        eq(p.returncode, 0, f"{label}: {p.stderr.decode(errors='replace')[-2000:]}")
        c = joined(f"{name} {label}", doc)
        eq(c["tests_without_get"], 0, f"{label}: every test matched its gets: {c}")
        uses = {t["package"]: t for t in doc["tests"] if t["status"] == "ok"}
        eq(sorted(uses), tested, f"{label}: tests that ran or were cached")
        return c, {k: (t["cached"], t["cache_program"]) for k, t in uses.items()}, p

    c, uses, _ = run("first")
    eq((c["tests_never_passed"], c["tests_hit"], c["tests_inputs_changed"]), (2, 0, 0), f"first: {c}")
    for k, (cached, u) in uses.items():
        check(not cached and u["id_get"] == "miss" and u["result_get"] is None, f"first: {k}: {u}")
    c, uses, p = run("again")
    eq((c["tests_never_passed"], c["tests_hit"], c["tests_inputs_changed"]), (0, 2, 0), f"again: {c}")
    for k, (cached, u) in uses.items():
        check(cached and u["id_get"] == "hit" and u["result_get"] == "hit" and u["source"] == "local" and u["gets"] == 2,
              f"again: {k}: {u}")
    # The text summary on stderr says it too (a third run, cached as well).
    text_env = go_env(cache, dict(env))
    p = subprocess.run([tap.GOX, "--cacheprog"] + args, cwd=mod, env=text_env, capture_output=True)
    eq(p.returncode, 0, p.stderr.decode(errors="replace")[-2000:])
    check(b"gox: cache program: test results: 2 from the cache" in p.stderr, p.stderr.decode(errors="replace")[-1500:])
    c, uses, _ = run("env", GOX_CP_GREETING="b")
    eq((c["tests_never_passed"], c["tests_hit"], c["tests_inputs_changed"]), (0, 1, 1), f"env changed: {c}")
    cached, u = uses["example.com/sample/internal/words"]
    check(not cached and u["id_get"] == "hit" and u["result_get"] == "miss", f"env changed: words: {u}")
    eq(c["disagreements"], [], "env changed: the gets say what go printed")
    # The reports say it in a sentence.
    doc_file = os.path.join(tap.SCRATCH, f"cacheprog-tests-{name}-{os.getpid()}.json")
    with open(doc_file, "w") as f:
        json.dump({"schema_version": 1, "cache_program": c}, f)
    for fmt_ in ("markdown", "html"):
        out = gox("report", f"--format={fmt_}", doc_file).stdout.decode()
        check("Test results: 1 from the cache, 1 whose files or env vars read changed since it passed." in out,
              f"{fmt_}: {out[:3000]}")
    os.remove(doc_file)
    # The flags as go hands them to the test binary, in go's order and
    # spelling (-timeout 90s is -test.timeout=1m30s, -parallel 04 is 4):
    # each variant's tests are matched to their gets.
    for i, (flags, goflags) in enumerate(variants):
        p, doc = gox_cacheprog(["test"] + flags, mod, cache, f"{name}-variant{i}", extra=dict(env, GOFLAGS=goflags))
        eq(p.returncode, 0, f"{flags} {goflags}: {p.stderr.decode(errors='replace')[-2000:]}")
        c = doc["cache_program"]
        ran = [t for t in doc["tests"] if t["status"] == "ok"]
        eq(len(ran), 2, f"{flags}: tests")
        eq(c["tests_without_get"], 0, f"{flags} GOFLAGS={goflags}: every test's ID computed as go does: {c}")
        check(all(t["cache_program"]["id_get"] for t in ran), f"{flags}: {[t['cache_program'] for t in ran]}")
    for d in (cache, mod):
        shutil.rmtree(d, ignore_errors=True)


VARIANTS = [
    (["-json", "-timeout", "90s", "./..."], ""),
    (["-failfast", "-cpu", "1,2", "-parallel", "04", "./..."], "-vet=off"),
    (["./...", "-args", "-test.run=Test"], "-v"),
    (["--fullpath", "-skip=Nothing", "./..."], "-short -v=true -test.timeout=2m"),
]


@test
def go_1_26_test_results_are_tied_to_their_tests():
    test_results_are_tied_to_their_tests("tests126", template_cache(), variants=VARIANTS)


@test
def go_1_27_test_results_are_tied_to_their_tests():
    test_results_are_tied_to_their_tests("tests127", go127_template(), GO127)


@test
def gocacheprog_already_set_becomes_the_upstream():
    # The user's GOCACHEPROG (here the fake helper) is put behind gox's
    # local tier, not replaced; the summary names it.
    mod = cp.module("userprog", 12)
    cache = cp.copy_cache(template_cache(), "userprog")
    store = os.path.join(tap.SCRATCH, f"fake-userprog-{os.getpid()}")
    shutil.rmtree(store, ignore_errors=True)
    user = " ".join([sys.executable, FAKE, store])
    p, doc = gox_cacheprog(["build", "./..."], mod, cache, "userprog", extra={"GOCACHEPROG": user})
    eq(p.returncode, 0, p.stderr.decode(errors="replace"))
    eq(p.stderr, b"", "go's stderr")
    c = joined("userprog", doc)
    eq(c["upstream_command"], user, "the user's GOCACHEPROG is the upstream")
    check(c["upstream"]["gets"] > 0 and c["upstream"]["gets"] == c["local"]["misses"], f"upstream asked: {c}")
    for d in (cache, store, mod):
        shutil.rmtree(d, ignore_errors=True)


def reports_show_tiers(name, c):
    """The Markdown and HTML reports of the run carry the JSON's figures per tier."""
    doc_file = os.path.join(tap.SCRATCH, f"cacheprog-report-{name}-{os.getpid()}.json")
    with open(doc_file, "w") as f:
        json.dump({"schema_version": 1, "cache_program": c}, f)
    for fmt_, row in (("markdown", "| upstream | {gets} | {hits} | {misses} | {errors} | {puts} |"),
                      ("html", "<tr><td>upstream</td><td>{gets}</td><td>{hits}</td><td>{misses}</td><td>{errors}</td>"
                               "<td>{puts}</td>")):
        p = gox("report", f"--format={fmt_}", doc_file)
        out = p.stdout.decode()
        want = row.format(**c["upstream"])
        check(p.returncode == 0 and want in out, f"{name}: {fmt_} report lacks {want!r}: {out[:3000]}")
    os.remove(doc_file)


@test
def in_front_of_go_cacher_cold_warm_and_after_the_server_restarted():
    tools = cp.go_tool_cache()
    template = template_cache()
    mod = cp.module("wrapcacher", 13)
    server = cp.CacheServer(tools, "wrap-a")
    dirs = []

    def build(label):
        cache = cp.copy_cache(template, "wrapcacher-" + label)
        cacher = os.path.join(tap.SCRATCH, f"go-cacher-wrap-{label}-{os.getpid()}")
        dirs.extend([cache, cacher])
        upstream = f"{os.path.join(tools, 'go-cacher')} --cache-dir={cacher} --cache-server=http://127.0.0.1:{server.port}"
        p, doc = gox_cacheprog(["build", "./..."], mod, cache, "wrapcacher-" + label, upstream=upstream)
        eq(p.returncode, 0, p.stderr.decode(errors="replace"))
        eq(p.stderr, b"", f"{label}: go's stderr")
        c = joined(label, doc)
        eq(c["causes"], [], f"{label}: causes")
        mine = {k: v["cache_program"] for k, v in module_packages(doc).items() if v["cache_program"]["get"]}
        check(mine, f"{label}: the module's packages were looked up")
        return c, mine

    try:
        # Cold: the standard library from the local tier, the module's
        # packages missed by both tiers.
        c, mine = build("cold")
        check(c["local"]["hits"] > 10 and c["upstream"]["hits"] == 0 and c["misses"] > 0, f"cold: {c}")
        check(all(m["get"] == "miss" for m in mine.values()), f"cold: {mine}")
        check(c["upstream"]["puts"] > 0, f"cold: puts upstream: {c['upstream']}")
        # Warm, a new machine: the module's packages from the upstream.
        c, mine = build("warm")
        check(c["upstream"]["hits"] > 0, f"warm: {c}")
        reports_show_tiers("warm", c)
        check(all(m["get"] == "hit" and m["source"] == "upstream" for m in mine.values()), f"warm: {mine}")
        # The server restarted empty, a new machine: cold again.
        server.stop()
        server = cp.CacheServer(tools, "wrap-b")
        c, mine = build("restarted")
        eq(c["upstream"]["hits"], 0, f"restarted: {c}")
        check(all(m["get"] == "miss" for m in mine.values()), f"restarted: {mine}")
    finally:
        server.stop()
        for d in dirs + [mod]:
            shutil.rmtree(d, ignore_errors=True)


def mount_tiny_tmpfs():
    """A command prefix that runs the rest in a private mount namespace
    with a 96 KiB tmpfs on $GOX_TINY (None, with why, when that is not
    permitted here)."""
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=96k tmpfs $d"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return None, probe.stderr.strip()
    return ["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o size=96k tmpfs "$GOX_TINY" && exec "$@"', "sh"], ""


@test
def each_fault_is_named_and_go_is_unchanged():
    template = template_cache()
    mod = cp.module("wrapfaults", 14)
    store = os.path.join(tap.SCRATCH, f"fake-wrap-{os.getpid()}")
    shutil.rmtree(store, ignore_errors=True)
    history = os.path.join(tap.SCRATCH, f"history-wrapfaults-{os.getpid()}.db")
    for f in (history,):
        if os.path.exists(f):
            os.remove(f)
    plain_cache = cp.copy_cache(template, "wrapfaults-plain")
    plain = cp.run_go(["build", "./..."], mod, plain_cache)
    eq(plain.returncode, 0, plain.stderr.decode(errors="replace"))
    dirs = [plain_cache, store, mod]

    def fault(label, fake_args, cache=None, prefix=(), extra=None, served_elsewhere=False):
        if cache is None:
            cache = cp.copy_cache(template, "wrapfaults-" + label)
            dirs.append(cache)
        upstream = " ".join([sys.executable, FAKE, store] + fake_args)
        p, doc = gox_cacheprog(["build", "./..."], mod, cache, "wrapfaults-" + label, upstream=upstream,
                               extra=dict(extra or {}, GOX_HISTORY=history), prefix=prefix)
        same_output(label, plain, p)
        return joined(label, doc, served_elsewhere), doc

    # Cold: the module's packages are compiled (their times go to the
    # history) and put to the fake upstream's store.
    c, _ = fault("cold", [])
    eq(c["causes"], [], f"cold: {c['causes']}")
    # Slower than compiling: the upstream's hits are negative savings, with the figures.
    c, doc = fault("slow", ["--slow-ms=500"])
    neg = causes(c).get("negative_savings")
    check(neg and neg["count"] > 0 and "fetched in" in neg["detail"] and "compiled in" in neg["detail"], f"slow: {c['causes']}")
    slow = [p["cache_program"] for p in module_packages(doc).values() if p["cache_program"].get("negative_savings")]
    check(slow and all(s["source"] == "upstream" and s["wait_seconds"] > s["compile_seconds"] for s in slow), slow)
    # Errors on every second get: misses for go, named with the upstream's text.
    c, _ = fault("errors", ["--fail-gets=2"])
    e = causes(c).get("upstream_errors")
    check(e and e["detail"] == "fake upstream: injected get failure", f"errors: {c['causes']}")
    # A DiskPath that is gone: a miss, named.
    c, _ = fault("vanish", ["--vanish"])
    check("upstream_diskpath_vanished" in causes(c), f"vanish: {c['causes']}")
    # Dies on its fourth request: the rest miss, named.
    c, _ = fault("dies", ["--die-after=4"])
    d = causes(c).get("upstream_died")
    check(d and any("exit status 3" in x for x in [d["detail"]] + d["examples"]), f"dies: {c['causes']}")
    # A full local disk: the local tier on a 96 KiB tmpfs (a private mount
    # namespace), the upstream seeded with the template: outputs served from
    # the upstream, the local tier's failures named.
    prefix, why = mount_tiny_tmpfs()
    if prefix is None:
        print(f"# full local disk skipped: cannot mount a tmpfs here ({why})", flush=True)
    else:
        tiny = os.path.join(tap.SCRATCH, f"tiny-gocache-{os.getpid()}")
        os.makedirs(tiny, exist_ok=True)
        dirs.append(tiny)
        c, _ = fault("diskfull", ["--seed=" + template], cache=tiny, prefix=prefix, extra={"GOX_TINY": tiny},
                     served_elsewhere=True)
        full = causes(c).get("local_disk_full")
        check(full and "No space left" in full["detail"], f"disk full: {c['causes']}")
        check(os.listdir(tiny) == [], "the tmpfs went with its namespace")
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    if os.path.exists(history):
        os.remove(history)


@test
def cacheprog_option_forms():
    # --cacheprog needs no value, takes one, and applies to wrapped verbs only.
    for arg in ("--cacheprog", "--cacheprog=go-cacher --verbose"):
        p = gox(arg, "build", "--help")
        eq(p.returncode, 0, p.stderr)
    p = gox("--cacheprog", "list", "std")
    eq(p.returncode, 125, p.stderr)
    check(b"--cacheprog applies to build, test, install, run and vet" in p.stderr, p.stderr)


if __name__ == "__main__":
    run()
