#!/usr/bin/env bash
# The fuzz targets for a fixed, seeded budget (about a minute on 2 cores): the saved corpus (tests/fuzz/corpus: seeds and
# every regression input) replayed, then 400 mutated inputs per target from seed 1. Fails on any crash, hang (20 s per
# input) or memory blow-up (1 GiB allocated by one input); findings are written to $findings for the log.
set -euo pipefail
cd "$(dirname "$0")/.."
findings="$(mktemp -d)"
start=$SECONDS
dotnet run -c Release --project tests/LightNet.Fuzz -- ci --inputs 400 --seconds 30 --seed 1 --timeout 20 --findings "$findings"
echo "fuzz budget took $((SECONDS - start)) s"
rm -rf "$findings"
