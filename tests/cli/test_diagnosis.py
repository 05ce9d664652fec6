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


def without_gox_lines(b):
    return b"".join(l for l in b.splitlines(keepends=True) if not l.startswith(b"gox: "))


class Scenario:
    def __init__(self, name, fixture=SAMPLE, cache="1.26", seed_repro=True):
        """seed_repro: gox's clean-cache re-run starts from a copy of the
        template cache (GOX_TEST_REPRO_SEED) instead of an empty one, which
        would compile the standard library again in every scenario; the
        headline scenario (corrupt_entry_is_cache_caused_and_evictable) keeps
        the truly empty cache."""
        self.root = tempfile.mkdtemp(prefix=f"gox-diag-{name}-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.mod = os.path.join(self.root, "mod")
        shutil.copytree(fixture, self.mod)
        self.cache = os.path.join(self.root, "cache")
        if cache:
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

    def run(self, verb, args, fault=lambda: None, gox_opts=(), go="go", chdir=None):
        """Plain go, then gox, each with the fault injected; checks fidelity
        and that gox left the cache alone. Returns gox's JSON summary.
        chdir: run from the scenario's root as `go -C chdir VERB ARGS`."""
        cwd = self.root if chdir else self.mod
        line = (["-C", chdir] if chdir else []) + [verb] + args
        fault()
        g = self.go_run(line, go, cwd=cwd)
        before = snapshot(self.cache)
        fault()
        summary = os.path.join(self.tmp, "summary.json")
        cmd = [GOX, "--summary-format=json", f"--summary={summary}"] + list(gox_opts)
        if go != "go":
            cmd.append(f"--go={go}")
        x = subprocess.run((self.user or []) + cmd + line, cwd=cwd, env=self.env,
                           capture_output=True, timeout=900)
        after = snapshot(self.cache)
        eq(x.returncode, g.returncode, f"exit status (go stderr: {g.stderr[-800:]!r})")
        eq(normalize(x.stdout), normalize(g.stdout), "stdout")
        eq(normalize(without_gox_lines(x.stderr)), normalize(g.stderr), "stderr")
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        eq(changed, [], "cache files changed by gox")
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


@sanitize
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


@sanitize
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
        target = s.export_file("./internal/greet")
        os.chmod(s.cache, 0o755)
        for dirpath, dirs, files in os.walk(s.cache):
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o644)
        os.chmod(target, 0o600)
        s.edit("cmd/sample/main.go", "\n// edited\n")
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


@sanitize
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


@sanitize
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


@sanitize
@test
def test_failure_is_not_a_build_problem():
    s = Scenario("test-fail", fixture=os.path.join(FIXTURES, "test-fail"))
    try:
        d = diagnosis(s.run("test", ["./..."]))
        eq(d["class"], "test_failure", "class")
        eq(d["repro"], None, "no re-run for a test failure")
    finally:
        s.done()


@sanitize
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


if __name__ == "__main__":
    run()
