#!/usr/bin/env python3
"""One fuzz target as a TAP test: its committed reproducers, then a bounded run.

usage: run.py EXE TARGET SEEDS_PY SAMPLES UNIT_DATA REGRESSIONS WORK libfuzzer SECONDS
       run.py EXE TARGET SEEDS_PY SAMPLES UNIT_DATA REGRESSIONS WORK replay MUTATIONS

1. Every file in REGRESSIONS (inputs that once crashed the target) is run
   once; each must pass.
2. libfuzzer: libFuzzer runs for SECONDS, starting from seeds cut from
   trace_samples/ (SEEDS_PY) plus the corpus it kept from earlier runs in
   WORK/corpus. A crash, leak, sanitizer report, timeout or out-of-memory
   fails the case and leaves the input in WORK/ (copy it into REGRESSIONS
   with the fix).
   replay (EXE linked with replay_main.cpp, no libFuzzer): the seeds, then
   MUTATIONS deterministic mutations of each; a failure leaves the input that
   failed in WORK/crash-input.
"""
import glob
import os
import re
import subprocess
import sys

def main():
    exe, target, seeds_py, samples, unit_data, regressions, work, mode, amount = sys.argv[1:10]
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:symbolize=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    os.makedirs(work, exist_ok=True)
    print("1..2")

    repro = sorted(glob.glob(os.path.join(regressions, "*")))
    if repro:
        once = ["-runs=1"] if mode == "libfuzzer" else []
        r = subprocess.run([exe, *once, *repro], env=env, capture_output=True, text=True, errors="replace")
        if r.returncode != 0:
            sys.stdout.write("".join("# " + l + "\n" for l in r.stderr.splitlines()[-60:]))
            print(f"not ok 1 - {target}: {len(repro)} regression inputs")
        else:
            print(f"ok 1 - {target}: {len(repro)} regression inputs")
    else:
        print(f"ok 1 - {target}: no regression inputs yet")

    seeds = os.path.join(work, "seeds")
    if not os.path.isdir(seeds):
        subprocess.run([sys.executable, seeds_py, target, samples, unit_data, seeds], check=True,
                       stdout=subprocess.DEVNULL)
    if mode == "replay":
        return replay(exe, target, env, work, seeds, amount)
    seconds = amount
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus, exist_ok=True)
    cmd = [exe, f"-max_total_time={seconds}", "-max_len=16384", "-timeout=20", "-rss_limit_mb=2048",
           "-print_final_stats=1", f"-artifact_prefix={work}/", corpus, seeds]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace")
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", r.stderr)
    execs = m.group(1) if m else "?"
    if r.returncode != 0:
        sys.stdout.write("".join("# " + l + "\n" for l in r.stderr.splitlines()[-80:]))
        arts = [a for a in glob.glob(os.path.join(work, "*")) if os.path.isfile(a)]
        print(f"# artifacts: {' '.join(arts)}")
        print(f"not ok 2 - {target}: fuzzing for {seconds} s failed after {execs} runs")
        return 1
    print(f"ok 2 - {target}: fuzzed {seconds} s, {execs} runs, no crash")
    return 0

def replay(exe, target, env, work, seeds, mutations):
    crash = os.path.join(work, "crash-input")
    r = subprocess.run([exe, f"--mutate={mutations}", f"--artifact={crash}", seeds], env=env,
                       capture_output=True, text=True, errors="replace")
    m = re.search(r"replay: (\d+) inputs, (\d+) runs", r.stdout)
    if r.returncode != 0 or not m:
        sys.stdout.write("".join("# " + l + "\n" for l in r.stderr.splitlines()[-80:]))
        print(f"# the input that failed: {crash} (or the last seed named above)")
        print(f"not ok 2 - {target}: replaying the seeds with {mutations} mutations each failed")
        return 1
    print(f"ok 2 - {target}: {m.group(1)} seeds and {mutations} mutations each, {m.group(2)} runs, no failure")
    return 0

if __name__ == "__main__":
    sys.exit(main())
