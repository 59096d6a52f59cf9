#!/usr/bin/env bash
# CI conformance check: runs the ONNX backend test cases in ../shared/onnx-backend-tests (relative to the repository
# root; override with CONFORMANCE_DATA) on cpu-simd and ONNX Runtime, each case isolated in a worker process, and
# fails (exit 1) when a backend passes fewer cases than its floor in .ci/conformance-floor.txt, when any case crashes
# or times out, or when cpu-simd is wrong or crashes on a case ONNX Runtime passes. The Markdown report is written to
# CONFORMANCE_MD (default: a temporary file, printed as a path).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

data="${CONFORMANCE_DATA:-../shared/onnx-backend-tests}"
if [ ! -d "$data" ]; then
  echo "conformance: test data '$data' not found (set CONFORMANCE_DATA)" >&2
  exit 1
fi

floor_args=()
while IFS= read -r line; do
  line="${line%%#*}"
  line="$(tr -d '[:space:]' <<<"$line")"
  [ -n "$line" ] && floor_args+=(--min-pass "$line")
done < .ci/conformance-floor.txt

md="${CONFORMANCE_MD:-$(mktemp --suffix=.md)}"
start=$SECONDS
status=0
dotnet run -c Release --project src/LightNet.Cli -- conformance "$data" -b cpu-simd,ort-cpu --reference ort-cpu \
  "${floor_args[@]}" --fail-on-crash --fail-on-wrong-where-reference-passes --md "$md" || status=$?
echo "conformance: took $((SECONDS - start)) s; report: $md"
exit "$status"
