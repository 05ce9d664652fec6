#!/usr/bin/env python3
"""Fault injection with the real go command: for each fault, gox's diagnosis
names the right failure class and the clean-cache re-run the right verdict;
go's own output and exit status are unchanged; the user's GOCACHE is byte for
byte what plain go leaves (gox only reads it, and re-runs against a temporary
cache that it removes); gox doctor reports the same fault.

Each scenario first runs plain go with the fault injected, snapshots the
cache, injects the fault again the same way, runs gox, and snapshots again.
Permission faults run as the unprivileged user nobody (root ignores file
permissions)."""
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403

SAMPLE = os.path.join(ROOT, "examples", "sample")
FIXTURES = os.path.join(ROOT, "trace_samples", "fixtures")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
_mounts = []


def snapshot(cache):
    """Every file under cache with its SHA-256; action entries (-a) without
    the time go rewrites in them whenever it uses one."""
    out = {}
    if not os.path.isdir(cache):
        return out
    for dirpath, _, files in os.walk(cache):
        for f in files:
            p = os.path.join(dirpath, f)
            try:
                data = open(p, "rb").read()
            except OSError as e:
                out[os.path.relpath(p, cache)] = f"unreadable: {e.errno}"
                continue
            if f.endswith("-a"):
                data = b" ".join(data.split(b" ")[:-1])
            out[os.path.relpath(p, cache)] = hashlib.sha256(data).hexdigest()
    return out


def normalize(b):
    b = re.sub(rb"\t\d+\.\d+s\b", b"\tN.NNNs", b)  # go test's per-package times
    b = re.sub(rb"/go-build\d+", b"/go-buildN", b)
    return re.sub(rb"/go-link-\d+", b"/go-linkN", b)


def blocks(b):
    """go's stderr as a sorted list of "# pkg" blocks (header lines and what follows)."""
    out, cur, in_header = [], [], False
    for line in b.splitlines(keepends=True):
        header = line.startswith(b"# ")
        if header and not in_header and cur:
            out.append(b"".join(cur))
            cur = []
        cur.append(line)
        in_header = header
    if cur:
        out.append(b"".join(cur))
    return sorted(out)


def without_gox_lines(b):
    return b"".join(l for l in b.splitlines(keepends=True) if not l.startswith(b"gox: "))


class Scenario:
    def __init__(self, name, fixture=SAMPLE, cache="1.26", template=None, seed_repro=True):
        """cache: the version of the template GOCACHE to copy (None: an empty
        cache); template: a function returning another template to copy.
        seed_repro: gox's clean-cache re-run starts from a copy of the
        template cache (GOX_TEST_REPRO_SEED) instead of an empty one, which
        would compile the standard library again in every scenario; the
        headline scenario (corrupt_entry_is_cache_caused_and_evictable) keeps
        the truly empty cache."""
        self.root = tempfile.mkdtemp(prefix=f"gox-diag-{name}-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.mod = os.path.join(self.root, "mod")
        shutil.copytree(fixture, self.mod)
        self.cache = os.path.join(self.root, "cache")
        if template:
            shutil.copytree(template(), self.cache, symlinks=True)
            os.remove(os.path.join(self.cache, "ready"))
        elif cache:
            shutil.copytree(template_cache(cache), self.cache, symlinks=True)
        else:
            os.makedirs(self.cache)
        self.tmp = os.path.join(self.root, "tmp")
        os.makedirs(self.tmp)
        os.chmod(self.tmp, 0o1777)
        self.gopath = os.path.join(self.tmp, "gopath")
        self.env = go_env(self.cache, {"TMPDIR": self.tmp, "GOX_HISTORY": os.path.join(self.tmp, "history.db"),
                                       "GOPATH": self.gopath, "GOMODCACHE": os.path.join(self.gopath, "pkg", "mod")})
        if seed_repro:
            self.env["GOX_TEST_REPRO_SEED"] = template_cache(cache or "1.26")
        self.user = None

    def edit(self, rel, text):
        with open(os.path.join(self.mod, rel), "a") as f:
            f.write(text)

    def replace(self, rel, old, new):
        p = os.path.join(self.mod, rel)
        text = open(p).read()
        check(old in text, f"{rel} has no {old!r}")
        with open(p, "w") as f:
            f.write(text.replace(old, new, 1))

    def age(self):
        """Every file of the module an hour old: go caches a package's module
        index only once its files are a few seconds old, so after a fresh
        edit plain go and the gox run right after it would differ by that
        entry, by timing alone."""
        t = os.path.getmtime(self.mod) - 3600
        for dirpath, _, files in os.walk(self.mod):
            for f in files:
                os.utime(os.path.join(dirpath, f), (t, t))

    def shared_modcache(self):
        """Go 1.27.3 comes through GOTOOLCHAIN from the usual module cache (as
        in test_fidelity and test_reasons), not from the scenario's empty one."""
        for k in ("GOPATH", "GOMODCACHE"):
            self.env.pop(k, None)

    def go_run(self, args, go="go", cwd=None):
        return subprocess.run((self.user or []) + [go] + args, cwd=cwd or self.mod, env=self.env, capture_output=True,
                              timeout=600)

    def export_file(self, pkg, go="go"):
        """The cache file go built pkg's archive into (go list -export)."""
        p = subprocess.run([go, "list", "-export", "-f", "{{.Export}}", pkg], cwd=self.mod, env=self.env,
                           capture_output=True, check=True)
        path = p.stdout.decode().strip()
        check(path.startswith(self.cache), f"{pkg}: export file {path!r} is not in the cache")
        return path

    def run(self, verb, args, fault=lambda: None, gox_opts=(), go="go", chdir=None, twin=False, any_block_order=False):
        """Plain go, then gox, each with the fault injected; checks fidelity
        and that gox left the cache alone. twin: gox starts from the cache as
        it was before plain go ran (so it does the same work, rather than
        replay what plain go stored), and must leave it as plain go left it.
        chdir: run from the scenario's root as `go -C chdir VERB ARGS`.
        Returns gox's JSON summary (go's stderr in self.go_stderr)."""
        cwd = self.root if chdir else self.mod
        line = (["-C", chdir] if chdir else []) + [verb] + args
        if twin:
            pristine = self.cache + ".twin"
            shutil.copytree(self.cache, pristine, symlinks=True)
        fault()
        g = self.go_run(line, go, cwd=cwd)
        self.go_stderr = g.stderr.decode(errors="replace")
        before = snapshot(self.cache)
        if twin:
            shutil.rmtree(self.cache)
            os.rename(pristine, self.cache)
        fault()
        seed = self.env.get("GOX_TEST_REPRO_SEED", "")
        if self.user and seed and not seed.startswith(self.root):
            # nobody cannot read the template dir (it may be under root's
            # home): the re-run's seed is a copy it can read.
            self.env["GOX_TEST_REPRO_SEED"] = os.path.join(self.root, "seed")
            shutil.copytree(seed, self.env["GOX_TEST_REPRO_SEED"], symlinks=True)
            subprocess.run(["chmod", "-R", "a+rX", self.env["GOX_TEST_REPRO_SEED"]], check=True)
        summary = os.path.join(self.tmp, "summary.json")
        cmd = [GOX, "--summary-format=json", f"--summary={summary}"] + list(gox_opts)
        if go != "go":
            cmd.append(f"--go={go}")
        x = subprocess.run((self.user or []) + cmd + line, cwd=cwd, env=self.env,
                           capture_output=True, timeout=900)
        after = snapshot(self.cache)
        eq(x.returncode, g.returncode, f"exit status (go stderr: {g.stderr[-800:]!r})")
        eq(normalize(x.stdout), normalize(g.stdout), "stdout")
        got, want = normalize(without_gox_lines(x.stderr)), normalize(g.stderr)
        if any_block_order:  # go prints blocks of steps that run at once in the order they finish
            got, want = blocks(got), blocks(want)
        eq(got, want, "stderr")
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        eq(changed, [], "cache files gox's run left different from plain go's" if twin else "cache files changed by gox")
        left = [f for f in os.listdir(self.tmp) if f.startswith("gox-")]
        eq(left, [], "gox's temporary directories left behind")
        self.gox_stderr = x.stderr.decode(errors="replace")
        return json.load(open(summary))

    def doctor(self, *extra):
        p = subprocess.run((self.user or []) + [GOX, "doctor", "--format=json"] + list(extra), cwd=self.mod,
                           env=self.env, capture_output=True)
        return p.returncode, {c["id"]: c for c in json.loads(p.stdout)["checks"]}

    def mount_small(self, name, size="300k"):
        d = os.path.join(self.root, name)
        os.makedirs(d)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", d], capture_output=True)
        check(p.returncode == 0, f"cannot mount a small tmpfs to fill (needs root): {p.stderr!r}")
        _mounts.append(d)
        return d

    def done(self):
        for m in list(_mounts):
            if m.startswith(self.root):
                subprocess.run(["umount", m])
                _mounts.remove(m)
        subprocess.run(["chmod", "-R", "u+rwX", self.root])
        shutil.rmtree(self.root, ignore_errors=True)


def diagnosis(summary):
    d = summary.get("diagnosis")
    check(d is not None, f"no diagnosis in {json.dumps(summary)[:1500]}")
    return d


def garbage_of_same_size(path):
    size = os.path.getsize(path)
    data = hashlib.sha256(path.encode()).digest() * (size // 32 + 1)
    return data[:size]


def corruption(s, pkg, edit, go="go"):
    """The fault: pkg's cached archive overwritten with garbage of the same
    size (what go cannot notice by size); edit makes go read it."""
    target = s.export_file(pkg, go=go)
    garbage = garbage_of_same_size(target)
    s.edit(edit, "\n// edited\n")

    def fault():
        with open(target, "wb") as f:
            f.write(garbage)
    return target, fault


# ---------------------------------------------------------------- cache faults

@test
def corrupt_entry_is_cache_caused_and_evictable():
    s = Scenario("corrupt", seed_repro=False)
    try:
        target, fault = corruption(s, "./internal/greet", "cmd/sample/main.go")
        # Run from outside the module as `go -C mod build`: the clean-cache
        # re-run runs in go's directory too (else it would fail for want of
        # a go.mod and not say cache_caused).
        d = diagnosis(s.run("build", ["./..."], fault, chdir="mod"))
        eq(d["class"], "cache_corrupt", "class")
        eq(d["first_failed"], "example.com/sample/cmd/sample", "first failed")
        check(" go build -C mod -o /dev/null ./..." in d["repro"]["command"], d["repro"]["command"])
        bad = [v for v in d["verified"] if v["status"] != "ok"]
        eq([(v["package"], v["status"], v["file"]) for v in bad],
           [("example.com/sample/internal/greet", "corrupt", target)], "verified")
        r = d["repro"]
        eq(r["verdict"], "cache_caused", "verdict")
        check("example.com/sample/internal/greet" in r["suspects"], r)
        check(r["seconds"] > 0, r)
        check(target in r["evict"], r)
        check("re-running against an empty temporary cache" in s.gox_stderr, s.gox_stderr)
        code, checks = s.doctor("--verify-cache")
        eq(checks["gocache_integrity"]["status"], "fail", "doctor")
        check(target in checks["gocache_integrity"]["detail"], checks["gocache_integrity"])
        # The printed eviction fixes the build, and only that entry goes.
        subprocess.run(r["evict"], shell=True, check=True)
        eq(s.go_run(["build", "./..."]).returncode, 0, "build after eviction")
        code, checks = s.doctor("--verify-cache")
        eq(checks["gocache_integrity"]["status"], "ok", "doctor after eviction")
    finally:
        s.done()


@test
def corrupt_entry_breaks_go_test_build():
    s = Scenario("corrupt-test")
    try:
        target, fault = corruption(s, "./internal/words", "internal/greet/greet.go")
        summary = s.run("test", ["./..."], fault)
        d = diagnosis(summary)
        eq(d["class"], "cache_corrupt", "class")
        eq(d["first_failed"], "example.com/sample/internal/greet", "first failed")
        eq(d["repro"]["verdict"], "cache_caused", "verdict")
        check("-run=^$" in d["repro"]["command"], d["repro"])  # builds, runs no test
        check("example.com/sample/internal/words" in d["repro"]["suspects"], d["repro"])
    finally:
        s.done()


@test
def corrupt_entry_go119():
    s = Scenario("corrupt-119", cache="1.19")
    try:
        target, fault = corruption(s, "./internal/greet", "cmd/sample/main.go", go=GO119)
        d = diagnosis(s.run("build", ["./..."], fault, go=GO119))
        eq(d["class"], "cache_corrupt", "class")
        eq(d["repro"]["verdict"], "cache_caused", "verdict")
        check("example.com/sample/internal/greet" in d["repro"]["suspects"], d["repro"])
    finally:
        s.done()


@test
def entry_deleted_during_build_is_cache_caused():
    """A cleaner deletes greet's cached archive while go builds (simulated by a
    -toolexec that removes it just before main is compiled, but only from the
    user's cache: the clean re-run has its own)."""
    s = Scenario("deleted-during")
    try:
        target = s.export_file("./internal/greet")
        keep = open(target, "rb").read()
        s.edit("cmd/sample/main.go", "\n// edited\n")
        tx = os.path.join(s.root, "deleter.sh")
        with open(tx, "w") as f:
            f.write("#!/bin/sh\n"
                    "case \"$*\" in *'-p main '*) rm -f \"$GOX_TEST_VICTIM\" ;; esac\n"
                    "exec \"$@\"\n")
        os.chmod(tx, 0o755)
        s.env["GOX_TEST_VICTIM"] = target

        def fault():
            with open(target, "wb") as f:
                f.write(keep)
        d = diagnosis(s.run("build", ["-toolexec", tx, "./..."], fault))
        eq(d["class"], "cache_entry_missing", "class")
        eq(d["first_failed"], "example.com/sample/cmd/sample", "first failed")
        eq(d["repro"]["verdict"], "cache_caused", "verdict")
        check("example.com/sample/internal/greet" in d["repro"]["suspects"], d["repro"])
    finally:
        s.done()


@test
def entries_deleted_between_builds_rebuild_with_reason():
    s = Scenario("deleted-between")
    try:
        target = s.export_file("./internal/words")
        first = s.run("build", ["./..."])
        check(first.get("diagnosis") is None, first.get("diagnosis"))
        summary = s.run("build", ["./..."], lambda: os.path.exists(target) and os.remove(target))
        check(summary.get("diagnosis") is None, "a build that passes has no diagnosis")
        words = [p for p in summary["packages"] if p["import_path"] == "example.com/sample/internal/words"]
        eq([(p["outcome"], p["reason"]) for p in words], [("rebuilt", "cache_entry_missing")], "words")
    finally:
        s.done()


@test
def unreadable_cache_dir_is_cache_unusable():
    s = Scenario("unreadable")
    try:
        os.chmod(s.cache, 0o700)  # root's; the build runs as nobody
        s.user = NOBODY
        d = diagnosis(s.run("build", ["./..."]))
        eq(d["class"], "cache_unusable", "class")
        check(any("permission denied" in e for e in d["evidence"]), d["evidence"])
        eq(d["repro"]["verdict"], "cache_caused", "verdict")
        eq(d["repro"]["evict"], None, "nothing to evict: the setting is the fault")
        code, checks = s.doctor()
        eq(code, 1, "doctor exit")
        eq(checks["gocache"]["status"], "fail", "doctor gocache")
    finally:
        s.done()


@test
def unreadable_entries_are_rebuilt_and_reported_by_doctor():
    s = Scenario("unreadable-entries")
    try:
        s.edit("cmd/sample/main.go", "\n// edited\n")
        # The module's files old enough for go to index them, and the index
        # in the cache before nobody's runs: else plain go (files just
        # edited) skips the index and the gox run after it writes it, by
        # timing alone (go's 2 s cutoff).
        s.age()
        subprocess.run(["go", "list", "./..."], cwd=s.mod, env=s.env, capture_output=True, check=True)
        target = s.export_file("./internal/greet")
        os.chmod(s.cache, 0o755)
        for dirpath, dirs, files in os.walk(s.cache):
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o644)
        os.chmod(target, 0o600)
        s.user = NOBODY
        summary = s.run("build", ["./..."])
        check(summary.get("diagnosis") is None, summary.get("diagnosis"))
        greet = [p["outcome"] for p in summary["packages"] if p["import_path"] == "example.com/sample/internal/greet"]
        eq(greet, ["rebuilt"], "go rebuilds what it cannot read")
        code, checks = s.doctor()
        eq(code, 1, "doctor exit")
        check(checks["gocache"]["status"] == "fail" or checks.get("gocache_permissions", {}).get("status") == "fail",
              checks)
    finally:
        s.done()


@test
def unwritable_cache_dir_is_cache_unusable():
    """A cache the user can read but not write: go reads a new entry back from
    the file it could not create, and fails with a bare "permission denied"."""
    s = Scenario("unwritable")
    try:
        os.chmod(s.cache, 0o755)  # root's and readable: nobody can use it but not add to it
        s.edit("cmd/sample/main.go", "\n// edited\n")
        s.age()  # both runs index the module (else only the later gox run would, by go's 2 s cutoff)
        s.user = NOBODY
        d = diagnosis(s.run("build", ["./..."]))
        eq(d["class"], "cache_unusable", "class")
        check(any("not writable" in e for e in d["evidence"]), d["evidence"])
        eq(d["repro"]["verdict"], "cache_caused", "verdict")
        code, checks = s.doctor()
        eq(code, 1, "doctor exit")
        eq(checks["gocache"]["status"], "fail", "doctor gocache")
        check("not writable" in checks["gocache"]["detail"], checks["gocache"])
    finally:
        s.done()


def cache_setting_scenario(name, env=None, unset=()):
    s = Scenario(name)
    try:
        s.env.update(env or {})
        for k in unset:
            s.env.pop(k, None)
        d = diagnosis(s.run("build", ["./..."]))
        eq(d["class"], "cache_unusable", "class")
        eq(d["repro"]["verdict"], "cache_caused", "verdict")
        code, checks = s.doctor()
        eq(code, 1, "doctor exit")
        eq(checks["gocache"]["status"], "fail", "doctor gocache")
        return d
    finally:
        s.done()


@test
def relative_gocache():
    d = cache_setting_scenario("relative", {"GOCACHE": "relative/path"})
    check(any("not an absolute path" in e for e in d["evidence"]), d["evidence"])


@test
def gocache_and_home_unset():
    d = cache_setting_scenario("unset", unset=("GOCACHE", "HOME", "XDG_CACHE_HOME"))
    check(any("GOCACHE is not defined" in e for e in d["evidence"]), d["evidence"])


@test
def gocache_off():
    d = cache_setting_scenario("off", {"GOCACHE": "off"})
    check(any("GOCACHE=off" in e for e in d["evidence"]), d["evidence"])


# ---------------------------------------------------------------- other faults

@test
def full_gocache_filesystem_is_disk_full():
    """A cache on a full filesystem: go reports standard packages as 'not in
    std' — gox sees the directory exists and the filesystem is full."""
    s = Scenario("disk-full", cache=None)
    try:
        small = s.mount_small("small")
        s.cache = os.path.join(small, "cache")
        s.env["GOCACHE"] = s.cache
        d = diagnosis(s.run("build", ["./..."], gox_opts=["--repro-clean"]))
        eq(d["class"], "disk_full", "class")
        check(any("free" in e for e in d["evidence"]), d["evidence"])
        eq(d["repro"]["verdict"], "cache_caused", "the same build passes with a cache elsewhere")
        code, checks = s.doctor()
        check(any(c["status"] in ("fail", "warn") and "space" in cid for cid, c in checks.items()), checks)
    finally:
        s.done()


@test
def full_temp_dir_is_disk_full():
    s = Scenario("tmp-full")
    try:
        small = s.mount_small("small")
        s.env["GOTMPDIR"] = small
        s.edit("cmd/sample/main.go", "\n// edited\n")
        d = diagnosis(s.run("build", ["./..."]))
        eq(d["class"], "disk_full", "class")
        check(any("no space left on device" in e for e in d["evidence"]), d["evidence"])
        eq(d["repro"], None, "not a cache class: no re-run unless asked")
    finally:
        s.done()


@test
def missing_c_compiler_is_cgo_toolchain_and_reproducible():
    s = Scenario("no-cc", fixture=os.path.join(FIXTURES, "cgo"))
    try:
        s.env.update({"CGO_ENABLED": "1", "CC": "/nonexistent/gcc"})
        d = diagnosis(s.run("build", ["./..."], gox_opts=["--repro-clean"]))
        eq(d["class"], "cgo_toolchain", "class")
        eq(d["repro"]["verdict"], "reproducible", "verdict")
        code, checks = s.doctor()
        eq(checks["cc"]["status"], "fail", "doctor cc")
    finally:
        s.done()


@test
def compile_error_is_reproducible():
    s = Scenario("compile-error", fixture=os.path.join(FIXTURES, "compile-error"))
    try:
        summary = s.run("build", ["./..."])
        d = diagnosis(summary)
        eq(d["class"], "compile_error", "class")
        eq(d["repro"], None, "no re-run unless asked")
        check(any("cannot use" in l for f in d["failed"] for l in f["first_lines"]), d["failed"])
        d = diagnosis(s.run("build", ["./..."], gox_opts=["--repro-clean"]))
        eq(d["repro"]["verdict"], "reproducible", "verdict")
        eq(d["repro"]["clean_class"], "compile_error", "clean class")
        code, checks = s.doctor()
        eq(code, 0, f"doctor on a healthy setup: {checks}")
    finally:
        s.done()


@test
def test_failure_is_not_a_build_problem():
    s = Scenario("test-fail", fixture=os.path.join(FIXTURES, "test-fail"))
    try:
        d = diagnosis(s.run("test", ["./..."]))
        eq(d["class"], "test_failure", "class")
        eq(d["repro"], None, "no re-run for a test failure")
    finally:
        s.done()


@test
def no_repro_and_verify_suspects_options():
    s = Scenario("options")
    try:
        target, fault = corruption(s, "./internal/greet", "cmd/sample/main.go")
        d = diagnosis(s.run("build", ["./..."], fault, gox_opts=["--no-repro"]))
        eq(d["class"], "cache_corrupt", "class")
        eq(d["repro"], None, "--no-repro")
        check(any(v["status"] == "corrupt" for v in d["verified"]), d["verified"])
        p = gox("--repro-clean", "--no-repro", "build", "./...")
        eq(p.returncode, 125, "contradicting options")
    finally:
        s.done()


# ---------------------------------------------------------------- cgo

CGO = os.path.join(FIXTURES, "cgo")
CADD = "example.com/cgosample/cadd"
PREAMBLE = "static int add(int a, int b) { return a + b; }"


def cgo_template(version):
    if version == "1.27":
        # The key and steps of test_fidelity's go127_cgo_compile_error: one template for both suites.
        return lambda: derived_template("go1.27.3-cgo", [["build", "./..."], ["test", "./..."], ["vet", "./..."]],
                                        base=go127_template, source=CGO, extra_env=GO127)
    if version == "1.19":
        return lambda: template_cache("1.19")  # 1.19's std (runtime/cgo too) is installed under GOROOT/pkg
    # The key and steps of test_reasons' cgo_template.
    return lambda: derived_template("reasons-cgo", [["build", "./..."]], source=CGO)


def cgo_failure(name, version, inject, verb="build", args=("./...",)):
    """The cgo fixture broken by inject(scenario), built with go `version`
    through gox; returns (summary, diagnosis, go's stderr lines)."""
    s = Scenario(f"cgo-{name}-{version}", fixture=CGO, cache=None, template=cgo_template(version))
    try:
        s.env["CGO_ENABLED"] = "1"
        go = "go"
        if version == "1.27":
            s.env.update(GO127)
            s.shared_modcache()
        elif version == "1.19":
            go = GO119
        inject(s)
        s.age()
        summary = s.run(verb, list(args), gox_opts=["--no-repro"], go=go)
        return summary, diagnosis(summary), s.go_stderr.splitlines()
    finally:
        s.done()


def check_c_side(summary, d, go_lines, token):
    """cgo_error, attributed to cadd with the C compiler's lines (the line
    naming token among them, as go printed it), and counted as failed."""
    eq(d["class"], "cgo_error", "class")
    eq(d["first_failed"], CADD, "first failed")
    eq([(f["package"], f["kind"], f["class"]) for f in d["failed"]], [(CADD, "cgo", "cgo_error")], "failed")
    eq(d["skipped"], ["example.com/cgosample"], "skipped: the main package that imports it")
    eq(d["repro"], None, "--no-repro")
    lines = d["failed"][0]["first_lines"]
    check(any(token in l and l in go_lines for l in lines), f"{token!r} not in {lines} (go printed {go_lines})")
    check(d["evidence"] and d["evidence"][0] in go_lines and token in d["evidence"][0], d["evidence"])
    eq([(f["package"], f["kind"]) for f in summary["failures"]], [(CADD, "cgo")], "the model's failures")
    eq(summary["summary"]["packages_failed"], 1, "packages_failed")
    eq([p["evidence"] for p in summary["packages"] if p["import_path"] == CADD], ["cgo_failed"], "cadd's outcome evidence")


def preamble_error(s):
    s.replace("cadd/cadd.go", PREAMBLE, PREAMBLE + "\nstatic int f(void) { return undeclared_c_var; }")


@test
def cgo_preamble_error_is_cgo_error():
    summary, d, go_lines = cgo_failure("preamble", "1.26", preamble_error)
    check_c_side(summary, d, go_lines, "undeclared_c_var")


@test
def cgo_preamble_error_go127_and_go119():
    # gcc's lines are the same; go's trace around them is not (1.19 runs gcc
    # in the objdir, 1.27 under the module cache's toolchain).
    for version in ("1.27", "1.19"):
        summary, d, go_lines = cgo_failure("preamble", version, preamble_error)
        check_c_side(summary, d, go_lines, "undeclared_c_var")


@test
def cgo_c_file_error_is_cgo_error():
    def inject(s):
        with open(os.path.join(s.mod, "cadd", "helper.c"), "w") as f:
            f.write("int helper(void) { return missing_in_c_file; }\n")
    summary, d, go_lines = cgo_failure("cfile", "1.26", inject)
    check_c_side(summary, d, go_lines, "missing_in_c_file")
    check(d["failed"][0]["first_lines"][0].startswith("helper.c:"), d["failed"][0]["first_lines"])


@test
def cgo_missing_header_is_cgo_error():
    def inject(s):
        s.replace("cadd/cadd.go", PREAMBLE, "#include <nosuch_gox_header.h>\n" + PREAMBLE)
    summary, d, go_lines = cgo_failure("header", "1.26", inject)
    check_c_side(summary, d, go_lines, "nosuch_gox_header.h")


@test
def cgo_missing_library_is_cgo_error_at_link():
    # The library is named by cadd's #cgo LDFLAGS but missing at the main
    # package's external link (go reports it there, in 1.19 too).
    def inject(s):
        s.replace("cadd/cadd.go", "/*\n", "/*\n#cgo LDFLAGS: -lfoo_gox_missing\n")
    for version in ("1.26", "1.19"):
        summary, d, go_lines = cgo_failure("lfoo", version, inject)
        eq(d["class"], "cgo_error", f"{version}: class")
        eq([(f["package"], f["kind"], f["class"]) for f in d["failed"]],
           [("example.com/cgosample", "link", "cgo_error")], f"{version}: failed")
        check(d["evidence"][0] in go_lines and "-lfoo_gox_missing" in d["evidence"][0], d["evidence"])
        eq(summary["summary"]["packages_failed"], 0, f"{version}: the link failed, no package build did")


# ---------------------------------------------------------------- vet

VET = os.path.join(FIXTURES, "vet-error")
REPORT = "example.com/vetbroken/report"


@test
def failing_vet_is_listed_once_as_vet():
    # 1.26 `go vet` runs vet -json and prints its findings itself with no
    # "# pkg" header; `go test` prints vet's under "# P" + "# [P]". Go caches
    # a failing vet's findings: an unchanged `go vet` replays them with no vet
    # step at all (then nothing in the trace names the package).
    s = Scenario("vet", fixture=VET)
    try:
        # twin: gox's go runs vet as plain go's did, instead of replaying it.
        for verb, twin, want_pkg in (("vet", True, REPORT), ("test", True, REPORT), ("vet", False, None)):
            summary = s.run(verb, ["./..."], gox_opts=["--no-repro"], twin=twin)
            d = diagnosis(summary)
            eq(d["class"], "vet_failure", f"{verb}: class")
            eq([(f["package"], f["kind"], f["class"]) for f in d["failed"]], [(want_pkg, "vet", "vet_failure")],
               f"{verb}: failed")
            eq(summary["summary"]["packages_failed"], 0, f"{verb}: every package compiled")
    finally:
        s.done()


@test
def vet_after_a_failed_compile_is_vet():
    # A type error: the compile (for a dependent) and vet both fail, and go
    # vet prints both blocks; the second is vet's.
    s = Scenario("vet-typeerror", fixture=VET)
    try:
        os.makedirs(os.path.join(s.mod, "app"))
        with open(os.path.join(s.mod, "app", "app.go"), "w") as f:
            f.write('package app\n\nimport "example.com/vetbroken/report"\n\nfunc Run() { report.Print() }\n')
        s.edit("report/report.go", "\nfunc Bad() int { return undefinedThing }\n")
        s.age()
        # The compile and vet run at once: go prints their blocks in either order.
        d = diagnosis(s.run("vet", ["./..."], gox_opts=["--no-repro"], any_block_order=True))
        eq(d["class"], "compile_error", "class")
        eq(sorted((f["package"], f["kind"], f["class"]) for f in d["failed"]),
           [(REPORT, "compile", "compile_error"), (REPORT, "vet", "vet_failure")], "failed")
    finally:
        s.done()


# ---------------------------------------------------------------- go's environment and toolchain

def go127_binary():
    """The go1.27.3 toolchain's own go (from the usual module cache; the
    templates of test_fidelity fetch it the same way)."""
    env = go_env(SCRATCH, GO127)
    p = subprocess.run(["go", "env", "GOROOT"], env=env, capture_output=True, cwd=SCRATCH)
    check(p.returncode == 0, f"GOTOOLCHAIN=go1.27.3 go env GOROOT: {p.stderr.decode(errors='replace')}")
    return os.path.join(p.stdout.decode().strip(), "bin", "go")


def env_failure(name, env, unset=(), go="go", gomod=None):
    """A build of the sample with go's environment broken; returns the
    diagnosis and go's stderr lines."""
    s = Scenario(name)
    try:
        s.env.update(env)
        for k in unset:
            s.env.pop(k, None)
        if gomod:
            s.replace("go.mod", "go 1.19", gomod)
        d = diagnosis(s.run("build", ["./..."], go=go))
        eq(d["repro"], None, "not a cache class: no re-run")
        return d, s.go_stderr.splitlines()
    finally:
        s.done()


NO_HOME = ("HOME", "GOPATH", "GOMODCACHE", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")


@test
def no_home_with_gotoolchain_is_go_environment():
    # The issue's container: no HOME, GOTOOLCHAIN names a version, so go
    # needs the module cache to find it. The same on 1.27 (asked for 1.27.2).
    for go, want in (("go", "go1.27.3"), (go127_binary(), "go1.27.2")):
        d, go_lines = env_failure("nohome", {"GOTOOLCHAIN": want}, unset=NO_HOME, go=go)
        eq(d["class"], "go_environment", f"{go}: class")
        eq(go_lines, ["go: go: module cache not found: neither GOMODCACHE nor GOPATH is set"], f"{go}: go's message")
        eq(d["evidence"][0], go_lines[0], "evidence")
        check(d["evidence"][1].startswith("at fault: GOMODCACHE and GOPATH are unset, and so is HOME")
              and f"GOTOOLCHAIN={want}" in d["evidence"][1], d["evidence"])


@test
def newer_go_under_gotoolchain_local_is_toolchain_unavailable():
    for go, running in (("go", "1.26"), (go127_binary(), "1.27")):
        d, go_lines = env_failure("newer", {"GOTOOLCHAIN": "local"}, go=go, gomod="go 1.99.1")
        eq(d["class"], "toolchain_unavailable", f"{running}: class")
        eq(len(go_lines), 1, go_lines)
        check(go_lines[0].startswith(f"go: go.mod requires go >= 1.99.1 (running go {running}.")
              and go_lines[0].endswith("; GOTOOLCHAIN=local)"), go_lines)
        eq(d["evidence"][0], go_lines[0], "evidence")
        check(d["evidence"][1].startswith("at fault: go.mod requires go1.99.1, but GOTOOLCHAIN=local"), d["evidence"])


@test
def toolchain_download_forbidden_is_toolchain_unavailable():
    # GOPROXY=off and a module cache without the toolchain: go cannot switch.
    d, go_lines = env_failure("offline", {"GOTOOLCHAIN": "go1.27.3", "GOPROXY": "off"})
    eq(d["class"], "toolchain_unavailable", "class")
    eq(go_lines[-1], "go: download go1.27.3 for linux/amd64: toolchain not available", "go's message")
    check(d["evidence"][0] == go_lines[-1] and "GOPROXY=off" in d["evidence"][1], d["evidence"])


if __name__ == "__main__":
    run()
