#!/usr/bin/env python3
"""One fuzz target as a TAP test: its committed reproducers, then a bounded run.

usage: run.py EXE TARGET SEEDS_PY SAMPLES UNIT_DATA REGRESSIONS WORK SECONDS

1. Every file in REGRESSIONS (inputs that once crashed the target) is run
   once; each must pass.
2. libFuzzer runs for SECONDS, starting from seeds cut from trace_samples/
   (SEEDS_PY) plus the corpus it kept from earlier runs in WORK/corpus. A
   crash, leak, sanitizer report, timeout or out-of-memory fails the case and
   leaves the input in WORK/ (copy it into REGRESSIONS with the fix).
"""
import glob
import os
import re
import subprocess
import sys

def main():
    exe, target, seeds_py, samples, unit_data, regressions, work, seconds = sys.argv[1:9]
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:symbolize=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    os.makedirs(work, exist_ok=True)
    print("1..2")

    repro = sorted(glob.glob(os.path.join(regressions, "*")))
    if repro:
        r = subprocess.run([exe, "-runs=1", *repro], env=env, capture_output=True, text=True, errors="replace")
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

if __name__ == "__main__":
    sys.exit(main())
