#!/usr/bin/env bash
# Parser throughput: `gox parse` on a large trace built from the real samples,
# against `wc -l` and `grep -c` over the same file (the practical I/O and
# matching limits), each run REPS times; medians, MB/s, ratios and gox's peak
# RSS. Wall time is the figure; CPU time (user+sys) is shown too, since on a
# shared machine the wall time of every tool stretches with the load.
# usage: bench/parser_throughput.sh [SIZE_MB=1024] [REPS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1024}; reps=${2:-3}
gox=${GOX:-build/gox}
[ -x "$gox" ] || { echo "build gox first (ninja -C build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (scripts/bootstrap installs it)" >&2; exit 1; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
trace=$dir/big.trace
python3 bench/make_big_trace.py "$trace" "$size" >&2
bytes=$(stat -c %s "$trace")
cat "$trace" > /dev/null   # warm the page cache
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() { # name, command...
  local name=$1; shift
  local times=() cpus=() rss=0
  for _ in $(seq "$reps"); do
    # Not > /dev/null: GNU grep stops at the first match when output is /dev/null.
    /usr/bin/time -f '%e %U %S %M' -o "$dir/t" "$@" > "$dir/out"
    read -r t u s m < "$dir/t"; times+=("$t"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  local med; med=$(printf '%s\n' "${times[@]}" | median)
  local min max; min=$(printf '%s\n' "${times[@]}" | sort -n | head -1); max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
  local cpu; cpu=$(printf '%s\n' "${cpus[@]}" | median)
  echo "$name $med $min $max $rss $cpu"
}
{
  measure wc wc -l "$trace"
  measure grep grep -c 'compile' "$trace"
  measure gox-text "$gox" parse "$trace"
  measure gox-json "$gox" parse --format=json "$trace"
} > "$dir/results"
echo "| tool | median wall s (min–max) | MB/s | median CPU s (user+sys) | peak RSS MB |"
echo "|---|---|---|---|---|"
while read -r name med min max rss cpu; do
  mbs=$(awk -v b="$bytes" -v t="$med" 'BEGIN {printf "%.0f", b/1e6/t}')
  printf '| %s | %s (%s–%s) | %s | %s | %s |\n' "$name" "$med" "$min" "$max" "$mbs" "$cpu" "$((rss / 1024))"
done < "$dir/results"
col() { awk -v n="$1" -v c="$2" '$1==n{print $c}' "$dir/results"; }
for f in text json; do
  awk -v g="$(col grep 2)" -v w="$(col wc 2)" -v x="$(col gox-$f 2)" -v gc="$(col grep 6)" -v xc="$(col gox-$f 6)" -v s="$bytes" -v f="$f" \
    'BEGIN {printf "\ntrace %.0f MB; gox parse --format=%s throughput = %.2f × grep -c (CPU time: %.2f), %.2f × wc -l\n", s/1e6, f, g/x, gc/xc, w/x}'
done
