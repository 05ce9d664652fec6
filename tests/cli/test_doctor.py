#!/usr/bin/env python3
"""gox doctor against the real go: no problem on a healthy setup, and each
injected fault reported as that fault (permission faults as an unprivileged
user, since the tests run as root)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403

def doctor(env_changes=None, unset=(), user=None):
    env = dict(os.environ)
    for k in unset:
        env.pop(k, None)
    env.update(env_changes or {})
    cmd = [GOX, "doctor", "--format=json"]
    if user:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    p = subprocess.run(cmd, env=env, capture_output=True)
    j = json.loads(p.stdout)
    return p.returncode, {c["id"]: c for c in j["checks"]}

def scratch_dir(name, mode=0o777):
    # Under /tmp, not the build dir: the unprivileged user must be able to
    # reach it whatever the permissions of the checkout's parents.
    d = tempfile.mkdtemp(prefix=f"gox-doctor-{name}-", dir="/tmp")
    os.chmod(d, mode)
    _made.append(d)
    return d

_made = []

@test
def healthy_setup_has_no_problem():
    cache = scratch_dir("healthy")
    code, checks = doctor({"GOCACHE": cache})
    eq(code, 0, f"exit: {checks}")
    for cid in ("go", "goroot", "gocache", "tmpdir", "goflags"):
        eq(checks[cid]["status"], "ok", cid)

@test
def gocache_off_is_a_problem():
    code, checks = doctor({"GOCACHE": "off"})
    eq(code, 1, "exit")
    eq(checks["gocache"]["status"], "fail", "gocache")
    check("GOCACHE=off" in checks["gocache"]["detail"], checks["gocache"])

@test
def relative_gocache_is_a_problem():
    code, checks = doctor({"GOCACHE": "relative/path"})
    eq(code, 1, "exit")
    check("not an absolute path" in checks["gocache"]["detail"], checks["gocache"])

@test
def no_home_and_no_gocache_is_a_problem():
    code, checks = doctor(unset=("HOME", "GOCACHE", "XDG_CACHE_HOME"))
    eq(code, 1, "exit")
    check("no build cache location" in checks["gocache"]["detail"], checks["gocache"])

@test
def unwritable_gocache_is_a_problem_for_another_user():
    cache = scratch_dir("ro", 0o755)  # root's, read-only for nobody
    code, checks = doctor({"GOCACHE": cache, "HOME": "/tmp"}, user="nobody")
    eq(code, 1, "exit")
    check("not writable" in checks["gocache"]["detail"], checks["gocache"])

@test
def unreadable_and_foreign_entries_are_reported():
    cache = scratch_dir("entries")
    os.makedirs(os.path.join(cache, "ab"))
    path = os.path.join(cache, "ab", "ab" + "0" * 62 + "-d")
    with open(path, "w") as f:
        f.write("x")
    os.chmod(path, 0o600)  # root's and unreadable for nobody
    code, checks = doctor({"GOCACHE": cache, "HOME": "/tmp"}, user="nobody")
    eq(code, 1, "exit")
    eq(checks["gocache_permissions"]["status"], "fail", "permissions")
    os.chmod(path, 0o644)
    code, checks = doctor({"GOCACHE": cache, "HOME": "/tmp"}, user="nobody")
    eq(checks["gocache_owner"]["status"], "warn", "another user's entries")

def run_on_a_terminal(cmd, env):
    """cmd with stderr (and stdout) on a pseudo-terminal; returns (exit status,
    everything written)."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(cmd[0], cmd, env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out

@test
def verify_cache_shows_progress_on_a_terminal_and_erases_it():
    # A real cache (the warmed template: go built and tested the sample
    # module into it). On a terminal, --verify-cache draws a status line
    # while it hashes every file and erases it before the result; off a
    # terminal (and with CI set) nothing but the result.
    import hashlib
    cache = fresh_cache("doctor-progress")
    env = dict(os.environ, GOCACHE=cache, GOFLAGS="-buildvcs=false", GOTOOLCHAIN="local")
    env.pop("CI", None)
    files = [os.path.join(d, f) for d, _, fs in os.walk(cache) for f in fs if f.endswith("-d")]
    check(len(files) > 50, len(files))
    code, out = run_on_a_terminal([GOX, "doctor", "--verify-cache"], env)
    text = out.decode(errors="replace")
    eq(code, 0, text[-800:])
    check(f"checking cache files against their hashes: 0 of {len(files)}" in text, text[:800])
    at = text.rfind("checking cache files")
    erase = text.find("\r\x1b[K", at)
    check(erase > at, "the status line is erased: " + repr(text[at:at + 200]))
    check("match their content hashes" in text[erase:], "the result comes after it: " + text[erase:][:400])
    # Off a terminal, and on one under CI: no status line.
    p = subprocess.run([GOX, "doctor", "--verify-cache"], env=env, capture_output=True)
    check(b"checking cache files" not in p.stderr + p.stdout, p.stderr)
    code, out = run_on_a_terminal([GOX, "doctor", "--verify-cache"], dict(env, CI="true"))
    check(b"checking cache files" not in out, out[:400])
    # A damaged file is still found with the status line drawn.
    victim = sorted(files)[0]
    with open(victim, "ab") as f:
        f.write(b"x")
    check(hashlib.sha256(open(victim, "rb").read()).hexdigest() != os.path.basename(victim)[:64], "damaged")
    code, out = run_on_a_terminal([GOX, "doctor", "--verify-cache"], env)
    eq(code, 1, out[-400:])
    check(b"do not match their content hash" in out, out[-600:])

@test
def unusable_gotmpdir_is_a_problem():
    code, checks = doctor({"GOTMPDIR": "/nonexistent/gox-doctor"})
    eq(code, 1, "exit")
    eq(checks["tmpdir"]["status"], "fail", "tmpdir")

@test
def goflags_with_a_is_a_warning():
    code, checks = doctor({"GOFLAGS": "-a"})
    eq(checks["goflags"]["status"], "warn", "goflags")

if __name__ == "__main__":
    try:
        run()
    finally:
        for d in _made:
            shutil.rmtree(d, ignore_errors=True)
