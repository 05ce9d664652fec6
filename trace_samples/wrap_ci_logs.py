#!/usr/bin/env python3
"""Wrap real traces (captured by capture.sh) as CI systems show them.

A CI job's log holds go's stderr behind the CI system's line prefix, with the
CI system's own lines around it. This script writes such logs from the bare
traces in this directory, deterministically (the timestamps count up from a
fixed time), so anyone can re-run it and `gox parse` can be checked against
the bare trace it came from (tests/golden/check_ci_logs.py):

    python3 trace_samples/wrap_ci_logs.py STYLE TRACE [OUT]   # one log to OUT or stdout
    python3 trace_samples/wrap_ci_logs.py --interleave TRACE_A TRACE_B [OUT]
                                       # two BuildKit steps that ran at once
    python3 trace_samples/wrap_ci_logs.py --regenerate        # the logs in ci/

STYLE: github_actions, gitlab, gitlab_timestamps, jenkins, buildkit,
github_actions+buildkit (a docker build run by a GitHub Actions job).
--crlf writes CRLF line ends (a Windows agent). A TRACE's stdout
(<id>.stdout) is wrapped the same way by wrapping that file.
"""
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STYLES = ["github_actions", "gitlab", "gitlab_timestamps", "jenkins", "buildkit", "github_actions+buildkit"]

# The checked-in logs of ci/: (name, style, trace id(s), crlf).
CHECKED_IN = [
    ("github_actions-go126-test-fail", "github_actions", ["go126-test-fail"], False),
    ("gitlab-go126-vet-error", "gitlab", ["go126-vet-error"], False),
    ("gitlab_timestamps-go119-cgo-build", "gitlab_timestamps", ["go119-cgo-build"], False),
    ("jenkins-go126-edit-string", "jenkins", ["go126-edit-string"], True),
    ("buildkit-interleaved", "buildkit", ["go126-test-build-error", "go126-install"], False),
    ("github_actions+buildkit-go126-compile-error", "github_actions+buildkit", ["go126-compile-error"], False),
]

BASE = 1796396400 * 10**7  # 2026-12-04T15:00:00Z, in units of 100 ns
ESC = "\x1b"


def iso(t, digits):
    """An ISO 8601 UTC time with `digits` fractional digits (t in 100 ns)."""
    import datetime
    d = datetime.datetime.fromtimestamp(t // 10**7, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + "." + f"{t % 10**7:07d}"[:digits] + "Z"


class Clock:
    def __init__(self, start=BASE):
        self.t = start

    def tick(self, dt=13_000):  # 1.3 ms
        self.t += dt
        return self.t

    def seconds(self, since):
        return (self.t - since) / 10**7


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8", errors="surrogateescape")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def buildkit_lines(steps, clock, stage="build"):
    """Plain progress of a docker build whose RUN steps print the given traces.
    steps: [(step number, lines)]; several steps interleave in chunks."""
    rng = random.Random(13)
    out = ['#0 building with "default" instance using docker driver', "",
           "#1 [internal] load build definition from Dockerfile",
           "#1 transferring dockerfile: 312B done", "#1 DONE 0.0s", ""]
    start = {n: clock.t for n, _ in steps}
    for k, (n, _) in enumerate(steps):
        out.append(f"#{n} [{stage}{'' if len(steps) == 1 else '-' + str(k + 1)} 3/3] RUN go build -x ./...")
    pos = {n: 0 for n, _ in steps}
    live = [n for n, _ in steps]
    by = dict(steps)
    while live:
        n = live[rng.randrange(len(live))]
        chunk = rng.randint(1, 7)
        for line in by[n][pos[n]:pos[n] + chunk]:
            clock.tick()
            out.append(f"#{n} {clock.seconds(start[n]):.3f} {line}")
        pos[n] += chunk
        if pos[n] >= len(by[n]):
            live.remove(n)
            out.append(f"#{n} DONE {clock.seconds(start[n]):.1f}s")
            out.append("")
    return out


def wrap(style, traces, crlf=False):
    clock = Clock()
    lines = [read_lines(p) for p in traces]
    body = lines[0]
    out = []
    if style == "buildkit":
        return finish(buildkit_lines([(8 + k, l) for k, l in enumerate(lines)], clock), crlf)
    if style == "github_actions+buildkit":
        body = buildkit_lines([(8 + k, l) for k, l in enumerate(lines)], clock)
        style = "github_actions"
        command = "docker build --progress=plain ."
    else:
        command = "go build -x ./..."
    if style == "github_actions":
        def gh(line):
            out.append(iso(clock.tick(), 7) + " " + line if line else iso(clock.tick(), 7))
        gh("##[group]Run " + command)
        gh(f"{ESC}[36;1m{command}{ESC}[0m")
        gh("shell: /usr/bin/bash -e {0}")
        gh("env:")
        gh("  GOTOOLCHAIN: local")
        gh("##[endgroup]")
        for line in body:
            gh(line)
        gh("##[error]Process completed with exit code 1.")
        gh("Post job cleanup.")
        out[0] = "\ufeff" + out[0]
    elif style in ("gitlab", "gitlab_timestamps"):
        stamped = style == "gitlab_timestamps"

        def gl(line, stream="00O"):
            out.append(iso(clock.tick(), 6) + f" {stream} " + line if stamped else line)
        gl(f"{ESC}[0KRunning with gitlab-runner 17.5.0 (a1b2c3d4){ESC}[0;m")
        gl(f"{ESC}[0K  on docker-runner abcd1234, system ID: s_0123456789ab{ESC}[0;m")
        t = clock.t // 10**7
        gl(f"section_start:{t}:prepare_executor\r{ESC}[0K{ESC}[0K{ESC}[36;1mPreparing the \"docker\" executor{ESC}[0;m")
        gl(f"{ESC}[0KUsing Docker executor with image golang:1.26 ...{ESC}[0;m")
        gl(f"section_end:{t}:prepare_executor\r{ESC}[0K")
        gl(f"section_start:{t}:step_script\r{ESC}[0K{ESC}[0K{ESC}[36;1mExecuting \"step_script\" stage of the job script{ESC}[0;m")
        gl(f"{ESC}[32;1m$ {command}{ESC}[0;m")
        for line in body:
            gl(line, "01E")
        gl(f"section_end:{clock.t // 10**7}:step_script\r{ESC}[0K")
        gl(f"section_start:{clock.t // 10**7}:cleanup_file_variables\r{ESC}[0K{ESC}[0K{ESC}[36;1mCleaning up project directory and file based variables{ESC}[0;m")
        gl(f"section_end:{clock.t // 10**7}:cleanup_file_variables\r{ESC}[0K")
        gl(f"{ESC}[31;1mERROR: Job failed: exit code 1{ESC}[0;m")
    elif style == "jenkins":
        out.append("Started by user admin")
        out.append("[Pipeline] Start of Pipeline")

        def jk(line):
            out.append(f"[{iso(clock.tick(), 3)}] " + line)
        jk("[Pipeline] node")
        jk("Running on agent-1 in /var/lib/jenkins/workspace/app")
        jk("[Pipeline] {")
        jk("[Pipeline] timestamps")
        jk("[Pipeline] {")
        jk("[Pipeline] sh")
        jk("+ " + command)
        for line in body:
            jk(line)
        jk("[Pipeline] }")
        jk("[Pipeline] // timestamps")
        jk("[Pipeline] }")
        jk("[Pipeline] // node")
        jk("[Pipeline] End of Pipeline")
        out.append("Finished: SUCCESS")
    else:
        raise SystemExit(f"unknown style {style!r} (want one of {', '.join(STYLES)})")
    return finish(out, crlf)


def finish(lines, crlf):
    nl = "\r\n" if crlf else "\n"
    return (nl.join(lines) + nl).encode("utf-8", errors="surrogateescape")


def write(data, path):
    if path in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def regenerate():
    d = os.path.join(HERE, "ci")
    os.makedirs(d, exist_ok=True)
    for name, style, ids, crlf in CHECKED_IN:
        traces = [os.path.join(HERE, i + ".trace") for i in ids]
        write(wrap(style, traces, crlf), os.path.join(d, name + ".log"))
        outs = [os.path.join(HERE, i + ".stdout") for i in ids]
        if len(ids) == 1 and os.path.exists(outs[0]):
            write(wrap(style, outs, crlf), os.path.join(d, name + ".stdout"))


def main(argv):
    crlf = "--crlf" in argv
    argv = [a for a in argv if a != "--crlf"]
    if argv == ["--regenerate"]:
        regenerate()
        return 0
    if argv and argv[0] == "--interleave" and len(argv) in (3, 4):
        write(wrap("buildkit", argv[1:3], crlf), argv[3] if len(argv) == 4 else None)
        return 0
    if len(argv) in (2, 3) and argv[0] in STYLES:
        write(wrap(argv[0], [argv[1]], crlf), argv[2] if len(argv) == 3 else None)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
