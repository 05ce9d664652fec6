#!/usr/bin/env python3
"""The man page, --help and the code's tables agree: every reason id, every
outcome and every option that gox prints is documented in man/gox.1."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

MAN = open(os.path.join(tap.ROOT, "man", "gox.1")).read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")

def section(name):
    m = re.search(r"^\.SH " + re.escape(name) + r"\b(.*?)(?=^\.SH )", MAN, re.M | re.S)
    check(m, f"man page has no {name} section")
    return m.group(1)

@test
def every_reason_id_is_in_the_man_page():
    p = gox("explain", "--reasons")
    eq(p.returncode, 0, "gox explain --reasons")
    ids = [l.split()[0] for l in p.stdout.decode().splitlines() if l.strip()]
    check(len(ids) >= 20, f"reason table: {ids}")
    reasons = section("REASONS")
    missing = [i for i in ids if f"\n.B {i}\n" not in reasons]
    eq(missing, [], "reason ids missing from REASONS")

@test
def every_outcome_is_in_the_man_page():
    out = section("OUTCOMES")
    for o in ("rebuilt", "cache_hit", "installed", "failed", "unknown"):
        check(f".B {o}" in out, o)

@test
def every_option_in_help_is_in_the_man_page():
    texts = []
    for args in (["--help"], ["build", "--help"], ["parse", "--help"], ["explain", "--help"], ["diff", "--help"], ["history", "--help"]):
        p = gox(*args)
        eq(p.returncode, 0, f"gox {' '.join(args)}")
        texts.append(p.stdout.decode())
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", "\n".join(texts)))
    check(len(opts) >= 10, f"options found: {sorted(opts)}")
    missing = sorted(o for o in opts if o not in MAN)
    eq(missing, [], "options in --help but not in man/gox.1")

@test
def man_page_renders():
    p = subprocess.run(["man", "-l", os.path.join(tap.ROOT, "man", "gox.1")], capture_output=True,
                       env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
    eq(p.returncode, 0, p.stderr.decode())
    text = re.sub(rb".\x08", b"", p.stdout)  # overstrike bold/underline
    check(b"SYNOPSIS" in text and b"REASONS" in text, "rendered sections")

if __name__ == "__main__":
    run()
