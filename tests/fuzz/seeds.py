#!/usr/bin/env python3
"""Writes the seed corpus of one fuzz target, cut from trace_samples/.

usage: seeds.py TARGET SAMPLES_DIR UNIT_DATA_DIR OUT_DIR

Whole traces are hundreds of KB, far above the fuzzing input size, so they
are cut at line boundaries into slices of at most SLICE bytes (every slice is
real go output, including the parts deep inside a trace). Action graphs are
cut into windows of consecutive actions that stay valid JSON.
"""
import glob
import hashlib
import json
import os
import sys

SLICE = 6000

def slices(text):
    out, cur = [], []
    size = 0
    for line in text.splitlines(keepends=True):
        if size + len(line) > SLICE and cur:
            out.append(b"".join(cur))
            cur, size = [], 0
        cur.append(line[:SLICE])
        size += len(cur[-1])
    if cur:
        out.append(b"".join(cur))
    return out

def write(out_dir, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(data)

def main():
    target, samples, unit_data, out_dir = sys.argv[1:5]
    os.makedirs(out_dir, exist_ok=True)
    traces = sorted(glob.glob(os.path.join(samples, "*.trace")))
    n = 0
    if target in ("fuzz_tokenizer", "fuzz_parse", "fuzz_stream"):
        # gox parse also reads CI logs: the wrapped samples of ci/ too.
        extra = sorted(glob.glob(os.path.join(samples, "ci", "*.log"))) if target == "fuzz_parse" else []
        for i, t in enumerate(traces + extra):
            with open(t, "rb") as f:
                data = f.read()
            for j, s in enumerate(slices(data)):
                if target == "fuzz_stream":
                    s = bytes([(i * 7 + j) & 0xFF]) + s  # the mode byte
                write(out_dir, s)
                n += 1
    elif target == "fuzz_hashes":
        for t in sorted(glob.glob(os.path.join(unit_data, "hash-*.txt"))):
            with open(t, "rb") as f:
                for s in slices(f.read()):
                    write(out_dir, s)
                    n += 1
    elif target == "fuzz_actiongraph":
        for t in traces:
            g = t[: -len(".trace")] + ".actiongraph.json"
            if not os.path.exists(g):
                continue
            with open(g) as f:
                actions = json.load(f)
            with open(t, "rb") as f:
                trace_slices = slices(f.read())
            for k in range(0, len(actions), 12):
                window = json.dumps(actions[k:k + 12], separators=(",", ":")).encode()
                if len(window) > SLICE:
                    continue
                ts = trace_slices[(k // 12) % len(trace_slices)]
                write(out_dir, window)
                write(out_dir, ts + b"--graph--\n" + window)
                n += 2
    else:
        sys.exit(f"seeds.py: unknown target {target}")
    print(f"{target}: {n} seeds in {out_dir}")

if __name__ == "__main__":
    main()
