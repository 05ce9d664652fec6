#!/usr/bin/env bash
# capture.sh: regenerate the real `go … -x` trace samples in trace_samples/.
#
# Usage: bash trace_samples/capture.sh [--only ID]... [--list]
#
# Every sample is captured from a real go command run on a fixture module:
#   trace_samples/<id>.trace             go's stderr, byte-exact (the -x trace and user output)
#   trace_samples/<id>.stdout            go's stdout, only when it is not empty
#   trace_samples/<id>.actiongraph.json  -debug-actiongraph=FILE of the same run
#   trace_samples/README.md              the index (regenerated; rows of ids that are not
#                                        re-captured are kept from the old README)
#
# Scenarios are grouped in chains. A chain starts from a FRESH build cache
# (/tmp/gox-capture/cache-<chain>, deleted and re-created) and a fresh copy of the
# fixture modules (/tmp/gox-capture/<chain>/), and its later ("warm") steps reuse that
# cache. `--only ID` still runs the earlier steps of ID's chain (without recording them),
# so a warm sample is always captured on the cache state it describes.
# The user's own build cache (~/.cache/go-build) is never used: GOCACHE is always set.
#
# Toolchains: Go 1.26 = the `go` on PATH (GOTOOLCHAIN=local); Go 1.19 = Debian's
# golang-1.19-go (/usr/lib/go-1.19, installed with apt-get if missing); Go 1.27.3 =
# GOTOOLCHAIN=go1.27.3 (downloaded through the module proxy by the go command).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUT=$HERE
ROOT=/tmp/gox-capture
GO119_ROOT=/usr/lib/go-1.19
GO127_TOOLCHAIN=go1.27.3
COMMON_GOFLAGS=-buildvcs=false

log() { printf '%s capture: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 2; }

# ---------------------------------------------------------------------------
# The scenarios: "id|chain|description", in capture order. Chains run in the
# order of their first id. The commands are in run_step below.
SCENARIOS=(
  "go126-cold-build|go126-main|Cold build (empty GOCACHE) of the multi-package module: std closure + all module packages compiled, binary linked."
  "go126-warm-noop|go126-main|Same command again: everything cached and the binary up to date (no link)."
  "go126-edit-string|go126-main|The string constant Style in internal/greet changed (\"plain\" → \"loud\"): greet and cmd/sample recompiled, binary relinked."
  "go126-edit-comment|go126-main|A comment appended to internal/words/words.go: words recompiled, same content ID, dependents and link cached."
  "go126-build-all|go126-main|Multi-package \`go build ./...\` on a warm cache (results discarded)."
  "go126-test|go126-main|\`go test ./...\`, test results not cached yet: test variants, external test package, test mains, link, vet, test runs."
  "go126-test-cached|go126-main|Same \`go test ./...\` again: test results cached (\`(cached)\` on stdout)."
  "go126-install|go126-main|\`go install\` of cmd/sample with GOBIN in the capture dir (packages cached, binary linked and installed)."
  "go126-run|go126-main|\`go run ./cmd/sample\` (packages cached, executable linked and stored in GOCACHE)."
  "go126-run-cached|go126-main|Same \`go run\` again: the executable comes from GOCACHE."
  "go126-gcflags-m|go126-main|\`-gcflags=<words>=-m\`: words recompiled with optimisation diagnostics, printed as a \`# <pkg>\` block on stderr."
  "go126-gcflags-m-cached|go126-main|Same command again: words is a cache hit and its stored compiler output is replayed (\`cat …-d  # internal\`)."
  "go126-rebuild-a|go126-main|\`go build -a\`: every package recompiled, the standard library included."
  "go126-cross-windows|go126-cross|Cross-compile for windows/amd64 (cold cache)."
  "go126-cross-darwin|go126-cross|Cross-compile for darwin/arm64 in the same cache after the windows build (std compiled again for the new target)."
  "go126-cgo-build|go126-misc|Cold build of a module with a cgo package (tiny C function): runtime/cgo, gcc flag probes, cgo steps."
  "go126-cgo-test|go126-misc|\`go test ./...\` of the cgo module after its build (cgo package cached; test variant and vet)."
  "go126-compile-error|go126-misc|\`go build ./...\` of a module whose library has a type error; the main package importing it is skipped."
  "go126-test-build-error|go126-misc|\`go test ./...\`: one package's _test.go has a type error (\`[build failed]\`), another package passes."
  "go126-test-fail|go126-misc|\`go test ./...\`: the test builds and runs but fails (\`--- FAIL\` on stdout)."
  "go126-vet-error|go126-misc|\`go test ./...\`: the package compiles but vet finds a Printf format mismatch, so the test fails at vet."
  "go119-cold-build|go119|Go 1.19 cold build of the multi-package module (std from the precompiled GOROOT/pkg archives)."
  "go119-cgo-build|go119|Go 1.19 build of the cgo module (gcc flag probes printed on every cgo build in 1.19)."
  "go119-compile-error|go119|Go 1.19 \`go build ./...\` of the module with a type error (exit status 2 in 1.19)."
  "go119-test|go119|Go 1.19 \`go test ./...\` of the multi-package module, after its build."
  "go127-cold-build|go127|Go 1.27.3 cold build of the multi-package module."
  "go127-warm-noop|go127|Go 1.27.3, same command again: everything cached, binary up to date."
  "go127-cgo-build|go127|Go 1.27.3 build of the cgo module (runtime/cgo and the cgo package compiled; std cached)."
  "go127-test|go127|Go 1.27.3 \`go test ./...\` of the multi-package module, after its build."
)

declare -A CHAIN_OF DESC_OF
ALL_IDS=()
CHAINS=()
for row in "${SCENARIOS[@]}"; do
  IFS='|' read -r id chain desc <<<"$row"
  ALL_IDS+=("$id")
  CHAIN_OF[$id]=$chain
  DESC_OF[$id]=$desc
  case " ${CHAINS[*]-} " in *" $chain "*) ;; *) CHAINS+=("$chain") ;; esac
done

# ---------------------------------------------------------------------------
# Options.
declare -A SELECTED
ONLY=0
while (($#)); do
  case $1 in
    --only)
      (($# >= 2)) || die "--only needs an id"
      [[ -n ${CHAIN_OF[$2]-} ]] || die "unknown id '$2' (try --list)"
      SELECTED[$2]=1; ONLY=1; shift 2 ;;
    --only=*)
      v=${1#--only=}
      [[ -n ${CHAIN_OF[$v]-} ]] || die "unknown id '$v' (try --list)"
      SELECTED[$v]=1; ONLY=1; shift ;;
    --list)
      for id in "${ALL_IDS[@]}"; do printf '%-24s %s\n' "$id" "${CHAIN_OF[$id]}"; done
      exit 0 ;;
    -h|--help)
      sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (usage: capture.sh [--only ID]... [--list])" ;;
  esac
done
if ((ONLY == 0)); then
  for id in "${ALL_IDS[@]}"; do SELECTED[$id]=1; done
fi
chain_selected() {
  local id
  for id in "${ALL_IDS[@]}"; do
    [[ ${CHAIN_OF[$id]} == "$1" && -n ${SELECTED[$id]-} ]] && return 0
  done
  return 1
}

# ---------------------------------------------------------------------------
# Toolchains.
ensure_go126() {
  GO126=$(command -v go) || die "no go on PATH (Go 1.26 expected)"
  local v
  v=$(env -u GOROOT GOCACHE="$ROOT/cache-probe" GOTOOLCHAIN=local "$GO126" env GOVERSION)
  [[ $v == go1.26* ]] || die "the go on PATH ($GO126) is $v, Go 1.26 expected"
}

ensure_go119() {
  local go=$GO119_ROOT/bin/go
  [[ -x $go ]] && return 0
  # Another apt-get/dpkg may be installing it right now: wait for it, never run two.
  local waited=0
  while pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null || pgrep -x apt >/dev/null; do
    [[ -x $go ]] && return 0
    ((waited % 30 == 0)) && log "waiting for a running apt-get/dpkg to finish ($waited s)"
    sleep 5; waited=$((waited + 5))
    ((waited > 1800)) && die "apt-get/dpkg still running after 30 min"
  done
  [[ -x $go ]] && return 0
  log "installing golang-1.19-go with apt-get"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get install -y golang-1.19-go >&2 \
    || { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y golang-1.19-go >&2; }
  [[ -x $go ]] || die "$go still missing after apt-get install"
}

ensure_go127() {
  # Downloads the toolchain into GOMODCACHE through GOPROXY (not into any GOCACHE).
  env -u GOROOT GOCACHE="$ROOT/cache-probe" GOTOOLCHAIN=$GO127_TOOLCHAIN "$GO126" version >/dev/null \
    || die "cannot get $GO127_TOOLCHAIN through the module proxy"
}

# ---------------------------------------------------------------------------
# Chain state, set by start_chain.
CHAIN=""        # chain name
WS=""           # workspace: /tmp/gox-capture/<chain>
GOCMD=()        # how the go command is invoked (as recorded)
CHAIN_ENV=()    # NAME=value for every step of the chain (as recorded)
GOVERSION_LINE=""
# Variables that would change the build if inherited from the caller's environment.
UNSET_ENV=(GOOS GOARCH GOROOT GOBIN GOEXPERIMENT GODEBUG GOAMD64 GOARM64
  CGO_ENABLED CC CXX CGO_CFLAGS CGO_CPPFLAGS CGO_CXXFLAGS CGO_LDFLAGS GOWORK GOTMPDIR
  GOCOVERDIR GO111MODULE GOMAXPROCS GOGC GOTOOLCHAIN GOFLAGS GOCACHE GOCACHEPROG)
UNSET_ARGS=()
for v in "${UNSET_ENV[@]}"; do UNSET_ARGS+=(-u "$v"); done

start_chain() {
  CHAIN=$1
  WS=$ROOT/$CHAIN
  local cache=$ROOT/cache-$CHAIN
  log "chain $CHAIN: fresh GOCACHE $cache, fresh workspace $WS"
  rm -rf "$cache" "$WS"
  mkdir -p "$cache" "$WS/bin"
  cp -R "$REPO/examples/sample" "$WS/sample"
  local f
  for f in "$HERE"/fixtures/*/; do
    f=${f%/}; cp -R "$f" "$WS/$(basename "$f")"
  done
  case $CHAIN in
    go126-*) ensure_go126
             GOCMD=(go)
             CHAIN_ENV=(GOCACHE=$cache GOFLAGS=$COMMON_GOFLAGS GOTOOLCHAIN=local) ;;
    go119)   ensure_go119
             GOCMD=("$GO119_ROOT/bin/go")
             CHAIN_ENV=(GOROOT=$GO119_ROOT GOCACHE=$cache GOFLAGS=$COMMON_GOFLAGS) ;;
    go127)   ensure_go126; ensure_go127
             GOCMD=(go)
             CHAIN_ENV=(GOCACHE=$cache GOFLAGS=$COMMON_GOFLAGS GOTOOLCHAIN=$GO127_TOOLCHAIN) ;;
    *) die "no setup for chain $CHAIN" ;;
  esac
  GOVERSION_LINE=$(cd "$WS" && env "${UNSET_ARGS[@]}" "${CHAIN_ENV[@]}" "${GOCMD[@]}" version)
  log "chain $CHAIN: $GOVERSION_LINE"
}

# Quote a word for the recorded command only when the shell needs it.
shq() {
  if [[ $1 =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then printf '%s' "$1"; else printf '%q' "$1"; fi
}

# capture ID DIR [NAME=value...] -- SUBCOMMAND ARGS...
# Runs the go command of the chain in DIR with the chain env, the step env and
# -debug-actiongraph inserted after the subcommand. Records the sample if ID is selected.
declare -A ROW_OF
capture() {
  local id=$1 dir=$2; shift 2
  local step_env=()
  while [[ $1 != -- ]]; do step_env+=("$1"); shift; done
  shift
  local sub=$1; shift
  local ag=$WS/$id.actiongraph.json
  local args=("$sub" -debug-actiongraph="$ag" "$@")
  local record=${SELECTED[$id]-}
  local tmp_out=$WS/$id.stdout tmp_err=$WS/$id.stderr
  rm -f "$ag" "$tmp_out" "$tmp_err"
  local t0=$SECONDS rc=0
  if [[ -n $record ]]; then log "[$id] capturing"; else log "[$id] running (setup, not recorded)"; fi
  (cd "$dir" && exec env "${UNSET_ARGS[@]}" "${CHAIN_ENV[@]}" ${step_env[@]+"${step_env[@]}"} \
      "${GOCMD[@]}" "${args[@]}") >"$tmp_out" 2>"$tmp_err" || rc=$?
  log "[$id] exit $rc after $((SECONDS - t0)) s, stderr $(wc -c <"$tmp_err") bytes"
  [[ -n $record ]] || return 0

  cp "$tmp_err" "$OUT/$id.trace"
  if [[ -s $tmp_out ]]; then cp "$tmp_out" "$OUT/$id.stdout"; else rm -f "$OUT/$id.stdout"; fi
  if [[ -f $ag ]]; then cp "$ag" "$OUT/$id.actiongraph.json"
  else rm -f "$OUT/$id.actiongraph.json"; log "[$id] warning: no action graph written"; fi

  # The command as run (the environment is the caller's minus UNSET_ENV, plus these).
  local cmd w
  cmd="cd $(shq "$dir") &&"
  for w in "${CHAIN_ENV[@]}" ${step_env[@]+"${step_env[@]}"} "${GOCMD[@]}" "${args[@]}"; do
    cmd+=" $(shq "$w")"
  done
  local osarch host target
  host=$(cd "$dir" && env "${UNSET_ARGS[@]}" "${CHAIN_ENV[@]}" "${GOCMD[@]}" env GOHOSTOS GOHOSTARCH | paste -sd/)
  target=$(cd "$dir" && env "${UNSET_ARGS[@]}" "${CHAIN_ENV[@]}" ${step_env[@]+"${step_env[@]}"} \
    "${GOCMD[@]}" env GOOS GOARCH | paste -sd/)
  osarch=$host; [[ $target == "$host" ]] || osarch="$host → $target"
  ROW_OF[$id]="| \`$id\` | \`$cmd\` | $GOVERSION_LINE | $osarch | ${DESC_OF[$id]} | $rc |"
}

# edit FILE SED-EXPR: change a workspace file, failing if nothing changed.
edit() {
  local before; before=$(cksum <"$1")
  sed -i -e "$2" "$1"
  [[ $(cksum <"$1") != "$before" ]] || die "edit of $1 changed nothing"
}

# ---------------------------------------------------------------------------
# The steps. $WS is the chain workspace; module copies are $WS/sample (examples/sample)
# and $WS/<fixture> (trace_samples/fixtures/<fixture>).
run_step() {
  local id=$1 S=$WS/sample
  case $id in
    go126-cold-build|go126-warm-noop|go119-cold-build|go127-cold-build|go127-warm-noop)
      capture "$id" "$S" -- build -x -o "$WS/bin/sample" ./cmd/sample ;;
    go126-edit-string)
      edit "$S/internal/greet/greet.go" 's/const Style = "plain"/const Style = "loud"/'
      capture "$id" "$S" -- build -x -o "$WS/bin/sample" ./cmd/sample ;;
    go126-edit-comment)
      printf '\n// Title does not know about Unicode title case.\n' >>"$S/internal/words/words.go"
      capture "$id" "$S" -- build -x -o "$WS/bin/sample" ./cmd/sample ;;
    go126-build-all)
      capture "$id" "$S" -- build -x ./... ;;
    go126-test|go126-test-cached|go119-test|go127-test)
      capture "$id" "$S" -- test -x ./... ;;
    go126-install)
      capture "$id" "$S" GOBIN="$WS/gobin" -- install -x ./cmd/sample ;;
    go126-run|go126-run-cached)
      capture "$id" "$S" -- run -x ./cmd/sample ;;
    go126-gcflags-m|go126-gcflags-m-cached)
      capture "$id" "$S" -- build -x -gcflags=example.com/sample/internal/words=-m -o "$WS/bin/sample" ./cmd/sample ;;
    go126-rebuild-a)
      capture "$id" "$S" -- build -a -x -o "$WS/bin/sample" ./cmd/sample ;;
    go126-cross-windows)
      capture "$id" "$S" GOOS=windows GOARCH=amd64 -- build -x -o "$WS/bin/sample.exe" ./cmd/sample ;;
    go126-cross-darwin)
      capture "$id" "$S" GOOS=darwin GOARCH=arm64 -- build -x -o "$WS/bin/sample-darwin-arm64" ./cmd/sample ;;
    go126-cgo-build|go119-cgo-build|go127-cgo-build)
      capture "$id" "$WS/cgo" -- build -x -o "$WS/bin/cgosample" . ;;
    go126-cgo-test)
      capture "$id" "$WS/cgo" -- test -x ./... ;;
    go126-compile-error|go119-compile-error)
      capture "$id" "$WS/compile-error" -- build -x ./... ;;
    go126-test-build-error)
      capture "$id" "$WS/test-build-error" -- test -x ./... ;;
    go126-test-fail)
      capture "$id" "$WS/test-fail" -- test -x ./... ;;
    go126-vet-error)
      capture "$id" "$WS/vet-error" -- test -x ./... ;;
    *) die "no step for $id" ;;
  esac
}

# ---------------------------------------------------------------------------
# README.md: intro + one table row per id (new rows for captured ids, old rows kept).
write_readme() {
  local readme=$OUT/README.md old=""
  [[ -f $readme ]] && old=$(cat "$readme")
  local host gccv
  host=$( (. /etc/os-release 2>/dev/null && printf '%s' "$PRETTY_NAME") || uname -s)
  gccv=$(gcc --version 2>/dev/null | head -1 || echo "gcc not found")
  {
    cat <<EOF
# Real \`go -x\` trace samples

Every file here is real, unedited output of a go command, captured by
[\`capture.sh\`](capture.sh). Re-run it on a Debian machine to regenerate all
samples, or a subset:

    bash trace_samples/capture.sh [--only ID...]    # --list shows the ids

For each id: \`<id>.trace\` is go's stderr byte for byte (the \`-x\` trace plus
user-facing output), \`<id>.stdout\` is go's stdout (only when not empty), and
\`<id>.actiongraph.json\` is the \`-debug-actiongraph\` file of the same run.
Scenarios run in chains; each chain starts with a fresh GOCACHE
(\`/tmp/gox-capture/cache-<chain>\`) and fresh copies of the modules in
\`/tmp/gox-capture/<chain>/\` (\`sample\` = [\`examples/sample\`](../examples/sample),
the others = [\`fixtures/\`](fixtures)); later steps of a chain reuse its cache.
The environment is the caller's with the go variables that change a build
unset, plus the variables shown in each command (GOPROXY is left as the machine
has it). Hashes, build IDs and the \`WORK=\` directory differ between runs;
everything else should be stable. [\`FORMAT-NOTES.md\`](FORMAT-NOTES.md)
compares these traces with the trace-format spec.

Fixture modules (all \`go 1.19\`, so every toolchain builds them):
\`examples/sample\` (\`example.com/sample\`: \`cmd/sample\` → \`internal/greet\`
with a \`//go:embed\` file, an in-package test and an external \`greet_test\`
example → \`internal/words\`), \`fixtures/cgo\` (a package with a tiny C
function, and a main package), \`fixtures/compile-error\` (type error in a
library imported by a main package), \`fixtures/test-build-error\` (type error
in a \`_test.go\`, plus a passing package), \`fixtures/test-fail\` (a failing
test), \`fixtures/vet-error\` (a Printf verb mismatch that vet rejects during
\`go test\`). A full capture takes about a minute on 2 cores (the cold builds
compile the standard library).

Last captured on: $host, $gccv.

| id | command as run | Go version | OS/arch | scenario | exit |
|---|---|---|---|---|---|
EOF
    local id row
    for id in "${ALL_IDS[@]}"; do
      row=${ROW_OF[$id]-}
      if [[ -z $row && -n $old ]]; then
        row=$(grep -F -- "| \`$id\` |" <<<"$old" | head -1 || true)
      fi
      [[ -n $row ]] && printf '%s\n' "$row"
    done
  } >"$readme.tmp"
  mv "$readme.tmp" "$readme"
}

# ---------------------------------------------------------------------------
main() {
  local t0=$SECONDS chain id last i
  mkdir -p "$ROOT"
  for chain in "${CHAINS[@]}"; do
    chain_selected "$chain" || continue
    # Run the chain up to its last selected id.
    local ids=()
    for id in "${ALL_IDS[@]}"; do [[ ${CHAIN_OF[$id]} == "$chain" ]] && ids+=("$id"); done
    last=-1
    for i in "${!ids[@]}"; do [[ -n ${SELECTED[${ids[$i]}]-} ]] && last=$i; done
    start_chain "$chain"
    for ((i = 0; i <= last; i++)); do run_step "${ids[$i]}"; done
  done
  write_readme
  log "done in $((SECONDS - t0)) s; samples in $OUT ($(du -sh "$OUT" | cut -f1))"
}
main
