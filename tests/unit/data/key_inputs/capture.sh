#!/bin/sh
# Captures the GODEBUG=gocachehash=1 records that tests/unit/test_key_inputs.cpp
# reads: one small module (example.com/app, one dependency module from the
# module proxy) built from two checkout directories and with one build setting
# changed at a time. Only the records of a few packages are kept (the
# module's own, its dependency, and some of the standard library), whole.
#   sh capture.sh OUTDIR        (needs go 1.26 and the module proxy)
set -eu
out=$(cd "${1:?usage: capture.sh OUTDIR}" && pwd)
top=$(mktemp -d /tmp/gox-keyinputs.XXXXXX)
trap 'chmod -R u+w "$top"; rm -rf "$top"' EXIT
export GOCACHE="$top/cache" GOMODCACHE="$top/modcache" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOAMD64=v1
unset GOOS GOARCH CGO_ENABLED
mkmod() { # dir, errgroup version
    mkdir -p "$1/lib" "$1/netuse" "$1/cmd/app"
    cat >"$1/go.mod" <<MOD
module example.com/app

go 1.22

require golang.org/x/sync $2
MOD
    cat >"$1/lib/lib.go" <<'SRC'
package lib

import (
	"context"
	"strings"

	"golang.org/x/sync/errgroup"
)

func Upper(s string) (string, error) {
	g, _ := errgroup.WithContext(context.Background())
	var r string
	g.Go(func() error { r = strings.ToUpper(s); return nil })
	return r, g.Wait()
}
SRC
    cat >"$1/lib/special.go" <<'SRC'
//go:build special

package lib

const Special = true
SRC
    cat >"$1/netuse/netuse.go" <<'SRC'
package netuse

import "net"

func Host() string { h, _, _ := net.SplitHostPort("localhost:80"); return h }
SRC
    cat >"$1/cmd/app/main.go" <<'SRC'
package main

import (
	"fmt"

	"example.com/app/lib"
	"example.com/app/netuse"
)

func main() { s, _ := lib.Upper(netuse.Host()); fmt.Println(s) }
SRC
    (cd "$1" && go mod tidy >/dev/null 2>&1 || true; cd "$1" && go get "golang.org/x/sync@$2" >/dev/null 2>&1)
}
mkmod "$top/home/u/src/app" v0.10.0
mkmod "$top/home/runner/work/app/app" v0.10.0
mkmod "$top/home/u/old/app" v0.9.0
# Keeps whole records of the packages named in the pattern.
keep='^HASH\[(build|link) (example\.com/app[^]]*|golang\.org/x/sync/errgroup|fmt|runtime|net|internal/goarch|runtime/cgo)\]'
cap() { # name dir [env...] -- go build flags
    name=$1 dir=$2; shift 2
    envs=""
    while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
    shift
    (cd "$dir" && env GODEBUG=gocachehash=1 $envs go build -p=1 -o /dev/null "$@" ./... 2>&1 >/dev/null) |
        grep -E "$keep" >"$out/$name.txt" || true
    echo "$name: $(wc -l <"$out/$name.txt") lines"
}
A="$top/home/u/src/app"; B="$top/home/runner/work/app/app"
cap a "$A" --
cap b "$B" --
cap race "$A" -- -race
cap tags "$A" -- -tags=special
cap cgo0 "$A" CGO_ENABLED=0 --
cap amd64v3 "$A" GOAMD64=v3 --
cap trimpath_a "$A" -- -trimpath
cap trimpath_b "$B" -- -trimpath
cap oldsync "$top/home/u/old/app" --
cap trimpath_oldsync "$top/home/u/old/app" -- -trimpath
# The roots the records' paths are under, for the tests.
printf 'top %s\nGOROOT %s\n' "$top" "$(go env GOROOT)" >"$out/roots.txt"
