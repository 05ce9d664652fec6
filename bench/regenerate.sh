#!/usr/bin/env bash
# Regenerates the results tables of bench/README.md: the parser on a 1 GB
# trace (3 runs each) and the wrapper on golang.org/x/tools with the peers
# (5 runs per scenario, 3 cold) and the fixed cost of a run on caddy and the
# sample module (fixed_cost.py). Prints markdown; paste it into the README.
# Needs a built gox (ninja -C build; the README's figures use
# `meson setup build -Dbuildtype=release`), go on PATH and the module proxy.
# usage: bench/regenerate.sh [--skip-cold]   (cold builds are the slow part)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Machine: $(nproc) cores, $(uname -srm); $(go version); gox $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(date -u +%F)"
echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### Parser throughput"
echo
bash bench/parser_throughput.sh 1024 3
echo
echo "### Wrapper overhead and peers"
echo
python3 bench/wrapper_overhead.py --reps 5 --cold-reps 3 "$@"
echo
echo "### Fixed cost of a run"
echo
python3 bench/fixed_cost.py --reps 10 --edit-reps 5 --cold-reps 1 "$@"
echo
echo "### gox --cacheprog against go and go with go-cacher"
echo
python3 bench/cacheprog_overhead.py --reps 10 --edit-reps 3 "$@"
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
