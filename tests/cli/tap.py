"""A tiny TAP test harness for the integration suites, plus shared helpers
for running the real go command with a warm, per-test copy of a template
GOCACHE (cold-cache Go 1.20+ builds compile the standard library; doing that
once per test run keeps the suite fast)."""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

_tests = []
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Absolute: the suites run go (and gox) in other directories.
GOX = os.path.abspath(os.environ.get("GOX", os.path.join(ROOT, "build", "gox")))
SCRATCH = os.environ.get("GOX_TEST_SCRATCH", os.path.join(tempfile.gettempdir(), "gox-tests"))
GO119 = "/usr/lib/go-1.19/bin/go"
# Warmed template GOCACHEs (template_cache, derived_template) live here; scripts/test
# keeps them across runs, keyed by the go toolchains and the test sources.
TEMPLATES = os.environ.get("GOX_TEMPLATE_DIR") or SCRATCH

def test(fn):
    _tests.append(fn)
    return fn

def xfail(why):
    """Marks a test as a known gox bug (why says which): a failure prints
    `not ok N - name # TODO why` (TAP's expected failure) and does not fail
    the suite; a pass prints `ok N - name # TODO why` and a note to remove
    the mark."""
    def mark(fn):
        fn.xfail = why
        return fn
    return mark

def run():
    """Runs the registered scenarios (those named on the command line, or
    all) as TAP."""
    only = set(sys.argv[1:])
    tests = [t for t in _tests if not only or t.__name__ in only]
    print(f"1..{len(tests)}", flush=True)
    fails = 0
    for i, fn in enumerate(tests, 1):
        t0 = time.monotonic()
        todo = getattr(fn, "xfail", None)
        try:
            fn()
            print(f"ok {i} - {fn.__name__}" + (f" # TODO {todo}" if todo else ""), flush=True)
            if todo:
                print(f"# {fn.__name__} passes now: remove its xfail mark", flush=True)
        except Exception:
            fails += 0 if todo else 1
            print(f"not ok {i} - {fn.__name__}" + (f" # TODO {todo}" if todo else ""), flush=True)
            for line in traceback.format_exc().splitlines():
                print("# " + line, flush=True)
        print(f"# {fn.__name__}: {time.monotonic() - t0:.1f}s", flush=True)
    sys.exit(1 if fails else 0)

def helpers_of(suite):
    """Imports another suite (a module of this directory) for its helpers,
    without registering its tests in this run."""
    import importlib
    n = len(_tests)
    mod = importlib.import_module(suite)
    del _tests[n:]
    return mod

def check(cond, msg=""):
    if not cond:
        raise AssertionError(msg)

def eq(got, want, msg=""):
    if got != want:
        raise AssertionError(f"{msg}: got {got!r}, want {want!r}")

def go_env(gocache, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOX_")}
    env.update({"GOCACHE": gocache, "GOTOOLCHAIN": "local", "GOFLAGS": "-buildvcs=false",
                "GOTMPDIR": "", "GOWORK": "off"})
    env.pop("GOTMPDIR")
    # The history record before gox exits: tests read the history and remove
    # it right after (test_fixedcost.py runs the detached writer on purpose).
    env["GOX_HISTORY_SYNC"] = "1"
    if extra:
        env.update(extra)
    return env

def go_binary(version="1.26"):
    return GO119 if version == "1.19" else "go"

def template_cache(version="1.26"):
    """A GOCACHE warmed by building and testing examples/sample, made once per
    template dir (tests run in parallel: a file lock keeps it single)."""
    os.makedirs(TEMPLATES, exist_ok=True)
    path = os.path.join(TEMPLATES, f"gocache-template-{version}")
    with open(path + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(path, "ready")):
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path)
            mod = fresh_module("template-" + version)
            env = go_env(path)
            for args in (["build", "./..."], ["vet", "./..."], ["test", "-count=1", "./..."]):
                subprocess.run([go_binary(version)] + args, cwd=mod, env=env, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            open(os.path.join(path, "ready"), "w").close()
    return path

def derived_template(key, steps, base="1.26", source=os.path.join(ROOT, "examples", "sample"),
                     extra_env=None, go="go"):
    """A template GOCACHE for scenarios the standard one does not cover (another
    toolchain, another GOOS): a copy of template_cache(base) (of base() when it
    is a function returning a template, an empty cache if base is None), warmed further by `go <args>` for each args in steps, run in
    a fresh copy of source with go_env(cache, extra_env). Made once per
    template dir, like template_cache. Raises AssertionError with go's stderr if a step
    fails (e.g. a toolchain that cannot be downloaded)."""
    os.makedirs(TEMPLATES, exist_ok=True)
    path = os.path.join(TEMPLATES, f"gocache-template-{key}")
    with open(path + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(path, "ready")):
            shutil.rmtree(path, ignore_errors=True)
            if base is None:
                os.makedirs(path)
            else:
                shutil.copytree(base() if callable(base) else template_cache(base), path, symlinks=True)
                os.remove(os.path.join(path, "ready"))
            mod = fresh_module("template-" + key, source)
            env = go_env(path, extra_env)
            for args in steps:
                p = subprocess.run([go] + list(args), cwd=mod, env=env, capture_output=True)
                if p.returncode != 0:
                    raise AssertionError(f"warming {key}: go {' '.join(args)} exited {p.returncode}: "
                                         + p.stderr.decode(errors="replace")[-2000:])
            shutil.rmtree(mod, ignore_errors=True)
            open(os.path.join(path, "ready"), "w").close()
    return path

GO127 = {"GOTOOLCHAIN": "go1.27.3"}

def go127_template():
    """examples/sample built, tested and vetted by Go 1.27.3 from an empty
    cache: the one Go 1.27 template every suite copies (each cold standard
    library build costs about half a minute)."""
    return derived_template("go1.27.3-sample", [["build", "./..."], ["test", "./..."], ["vet", "./..."]],
                            base=None, extra_env=GO127)

def fresh_cache(name, version="1.26", warm=True):
    dst = tempfile.mkdtemp(prefix=f"cache-{name}-", dir=SCRATCH)
    if warm:
        shutil.rmtree(dst)
        shutil.copytree(template_cache(version), dst, symlinks=True)
    return dst

def fresh_module(name, source=os.path.join(ROOT, "examples", "sample")):
    os.makedirs(SCRATCH, exist_ok=True)
    dst = tempfile.mkdtemp(prefix=f"mod-{name}-", dir=SCRATCH)
    shutil.rmtree(dst)
    shutil.copytree(source, dst)
    return dst

NOBODY = 65534

def as_nobody():
    """Command prefix that runs as the unprivileged user nobody (root ignores
    file permissions, so permission faults are tested as nobody)."""
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]

def chown_tree(path, uid):
    for dirpath, dirs, files in os.walk(path):
        os.chown(dirpath, uid, uid)
        for f in files:
            os.lchown(os.path.join(dirpath, f), uid, uid)

def gox(*args, **kw):
    return subprocess.run([GOX] + list(args), capture_output=True, **kw)

def gox_parse_json(trace_path, *extra):
    p = gox("parse", "--format=json", *extra, trace_path)
    check(p.returncode == 0, f"gox parse failed: {p.stderr.decode(errors='replace')}")
    return json.loads(p.stdout)


def writer_lock_held(db):
    """Whether a detached history writer holds the writer lock of the
    history db now (history/deferred.hpp); False when there is no lock file."""
    if not os.path.exists(db + ".writer-lock"):
        return False
    with open(db + ".writer-lock") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False
