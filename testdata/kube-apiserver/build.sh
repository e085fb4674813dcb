#!/usr/bin/env bash
# Builds a real kube-apiserver (v1.37.2) from the Go module proxy, for the `fwcheck nodes` e2e
# test. k8s.io/kubernetes cannot be `go install`ed (its go.mod has replace directives); this
# wrapper module (go.mod, go.sum beside this script) repeats them. About 10 minutes of CPU the
# first time; the binary is cached in OUTDIR and later runs skip the build.
# usage: build.sh OUTDIR     (writes OUTDIR/kube-apiserver)
set -euo pipefail
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
[ -x "$out/kube-apiserver" ] && exit 0
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/go.mod" "$here/go.sum" "$work/"
cd "$work"
GOFLAGS=-mod=mod go build -o "$out/kube-apiserver.tmp" \
  -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
  k8s.io/kubernetes/cmd/kube-apiserver
mv "$out/kube-apiserver.tmp" "$out/kube-apiserver"
