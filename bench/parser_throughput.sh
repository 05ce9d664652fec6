#!/usr/bin/env bash
# Parser throughput: `gox parse` on a large trace built from the real samples,
# against `wc -l` and `grep -c` over the same file (the practical I/O and
# matching limits), each run REPS times; medians, MB/s, ratios and gox's peak
# RSS. usage: bench/parser_throughput.sh [SIZE_MB=1024] [REPS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1024}; reps=${2:-3}
gox=${GOX:-build/gox}
[ -x "$gox" ] || { echo "build gox first (ninja -C build)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
trace=$dir/big.trace
python3 bench/make_big_trace.py "$trace" "$size" >&2
bytes=$(stat -c %s "$trace")
cat "$trace" > /dev/null   # warm the page cache
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() { # name, command...
  local name=$1; shift
  local times=() rss=0
  for _ in $(seq "$reps"); do
    # Not > /dev/null: GNU grep stops at the first match when output is /dev/null.
    /usr/bin/time -f '%e %M' -o "$dir/t" "$@" > "$dir/out"
    read -r t m < "$dir/t"; times+=("$t"); rss=$m
  done
  local med; med=$(printf '%s\n' "${times[@]}" | median)
  local min max; min=$(printf '%s\n' "${times[@]}" | sort -n | head -1); max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
  echo "$name $med $min $max $rss"
}
{
  measure wc wc -l "$trace"
  measure grep grep -c 'compile' "$trace"
  measure gox-text "$gox" parse "$trace"
  measure gox-json "$gox" parse --format=json "$trace"
} > "$dir/results"
echo "| tool | median s (min–max) | MB/s | peak RSS MB |"
echo "|---|---|---|---|"
while read -r name med min max rss; do
  mbs=$(awk -v b="$bytes" -v t="$med" 'BEGIN {printf "%.0f", b/1e6/t}')
  printf '| %s | %s (%s–%s) | %s | %s |\n' "$name" "$med" "$min" "$max" "$mbs" "$((rss / 1024))"
done < "$dir/results"
g=$(awk '$1=="grep"{print $2}' "$dir/results"); w=$(awk '$1=="wc"{print $2}' "$dir/results"); x=$(awk '$1=="gox-text"{print $2}' "$dir/results")
awk -v g="$g" -v w="$w" -v x="$x" -v s="$bytes" 'BEGIN {printf "\ntrace %.0f MB; gox parse (text) throughput = %.2f × grep -c, %.2f × wc -l\n", s/1e6, g/x, w/x}'
