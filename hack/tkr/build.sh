#!/usr/bin/env bash
# Builds the Tanzu Kubernetes Release node image for one Kubernetes version
# (default v1.36.3) into build/tkr/<version>/, from source: the Go module
# proxy and Debian's mirrors are the only sources. Needs root (debootstrap)
# and debootstrap (installed with apt-get when missing). Steps that are up
# to date are skipped: a second run takes seconds.
#
#   hack/tkr/build.sh [VERSION] [builder flags, see: go run ./hack/tkr -h]
set -euo pipefail

cd "$(dirname "$0")/../.."
version=${1:-v1.36.3}
[ $# -gt 0 ] && shift

if [ "$(id -u)" -ne 0 ]; then
	echo "hack/tkr/build.sh: run as root (debootstrap needs it)" >&2
	exit 1
fi
if ! command -v debootstrap >/dev/null; then
	apt-get install -y debootstrap >/dev/null
fi
mkdir -p bin
go build -o bin/tkr-builder ./hack/tkr
exec bin/tkr-builder -kubernetes "$version" "$@"
