#!/usr/bin/env bash
# The long fuzz run (see RESULTS.md): every target at nice 19 until it has
# used CPU_MINUTES of CPU or DEADLINE (epoch seconds) has passed, in slices of
# SLICE seconds, CPU measured per slice with GNU time. Targets run one after
# another, or each in its own lane with LANES=parallel (at nice 19 they only
# take CPU nobody else wants). Corpora, logs and crash inputs go to OUT;
# summary.py OUT prints the table for RESULTS.md.
#
# usage: tests/fuzz/long_run.sh BUILD_FUZZ_DIR OUT
set -u
build=$(realpath "$1") out=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
CPU_MINUTES=${CPU_MINUTES:-13}
SLICE=${SLICE:-120}
DEADLINE=${DEADLINE:-$(( $(date +%s) + 86400 ))}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$out/bin"
cd "$out"
targets=(fuzz_tokenizer fuzz_stream fuzz_parse fuzz_hashes fuzz_actiongraph)
for t in "${targets[@]}"; do cp "$build/tests/fuzz/$t" "bin/.$t" && mv "bin/.$t" "bin/$t"; done

lane() {
  local t=$1 cpu=0 n s rc
  mkdir -p "$t/corpus" "$t/artifacts"
  [ -d "$t/seeds" ] || python3 "$src/tests/fuzz/seeds.py" "$t" "$src/trace_samples" "$src/tests/unit/data" "$t/seeds" >/dev/null
  n=$(ls "$t"/log.* 2>/dev/null | wc -l)
  while [ "$cpu" -lt $((CPU_MINUTES * 60)) ] && [ "$(date +%s)" -lt "$DEADLINE" ]; do
    n=$((n + 1))
    /usr/bin/time -f "%U %S" -o "$t/time.$n" nice -n 19 "bin/$t" -max_total_time="$SLICE" -max_len=16384 \
      -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$t/artifacts/" "$t/corpus" "$t/seeds" \
      >"$t/log.$n" 2>&1
    rc=$?
    s=$(awk 'END{printf "%d", $1+$2}' "$t/time.$n")
    cpu=$((cpu + s))
    echo "$(date -u +%T) $t slice $n rc=$rc cpu+=$s total=$cpu" >>progress.log
  done
}

if [ "${LANES:-}" = parallel ]; then
  for t in "${targets[@]}"; do lane "$t" & done
  wait
else
  for t in "${targets[@]}"; do lane "$t"; done
fi
python3 "$src/tests/fuzz/summary.py" "$out"
