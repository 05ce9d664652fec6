#!/usr/bin/env python3
"""Builds a large trace from the real samples in trace_samples/: each copy is
a new invocation (its own WORK= dir), with objdir numbers and cache entry
hashes renumbered so the model sees new packages, until the file reaches the
requested size. Interleaves a few gocachehash-style HASH lines per copy.

usage: bench/make_big_trace.py OUT SIZE_MB
"""
import hashlib
import os
import re
import sys

def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trace_samples")
    samples = [open(os.path.join(root, f), "rb").read() for f in sorted(os.listdir(root)) if f.endswith(".trace")]
    target = size_mb * 1024 * 1024
    work_re = re.compile(rb"/tmp/go-build\d+")
    hex_re = re.compile(rb"/([0-9a-f]{2})/([0-9a-f]{64})-d")
    written = 0
    n = 0
    with open(out, "wb") as f:
        while written < target:
            for s in samples:
                n += 1
                work = b"/tmp/go-build%d" % (1000000000 + n)
                t = work_re.sub(work, s)
                salt = b"%d" % n
                def rehash(m):
                    h = hashlib.sha256(m.group(2) + salt).hexdigest().encode()
                    return b"/" + h[:2] + b"/" + h + b"-d"
                t = hex_re.sub(rehash, t)
                t += b'HASH[build example.com/bench%d]\nHASH[build example.com/bench%d]: "go1.26.8"\n' % (n, n)
                t += b"HASH[build example.com/bench%d]: %s\n" % (n, hashlib.sha256(salt).hexdigest().encode())
                f.write(t)
                written += len(t)
                if written >= target:
                    break
    print(f"{out}: {written / 1e6:.0f} MB, {n} invocations")

if __name__ == "__main__":
    main()
