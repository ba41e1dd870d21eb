#!/usr/bin/env bash
# Fetches the Wisconsin Diagnostic Breast Cancer data (UCI, CC BY 4.0) from Debian's python3-sklearn
# package into data/real/breast_cancer.csv. Idempotent; needs only Debian's package mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
target=data/real/breast_cancer.csv
[ -s "$target" ] && exit 0
mkdir -p data/real
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && { apt-get download python3-sklearn >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download python3-sklearn >/dev/null; }; } )
dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
cp "$tmp/x/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv" "$target"
echo "fetched $target"
