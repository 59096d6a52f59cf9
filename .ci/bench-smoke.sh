#!/usr/bin/env bash
# CI smoke run of the BenchmarkDotNet suites: ONE small case (ZooInferenceBenchmarks, squeezenet1_1 on ort-cpu,
# one thread) with the --quick job, out of process as BenchmarkDotNet normally runs, to prove the suite still
# builds, sets up, runs and reports with LightNet's columns. It asserts nothing about times: it fails only when
# BenchmarkDotNet reports an error or no measured result for the case.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
log="$out/bench.log"

# '"*' after ort-cpu leaves out "ort-cpu:opt=none".
status=0
dotnet run -c Release --project bench/LightNet.Benchmarks -- \
  --filter '*ZooInferenceBenchmarks.Inference*squeezenet1_1*"ort-cpu"*' --quick \
  --exporters json --artifacts "$out/artifacts" >"$log" 2>&1 || status=$?
sed -n '/^| Method/,/^$/p' "$log"

fail() { echo "bench-smoke: FAILED: $*" >&2; tail -n 60 "$log" >&2; exit 1; }
[ "$status" -eq 0 ] || fail "the benchmark program exited with $status"
grep -q 'executed benchmarks: 1' "$log" || fail "expected exactly one executed benchmark"
if grep -qE '^// ERROR|Benchmarks with issues' "$log"; then fail "BenchmarkDotNet reported an error"; fi

python3 - "$out/artifacts/results" <<'PY'
import glob, json, sys
files = glob.glob(sys.argv[1] + "/*.json")
if not files:
    sys.exit("bench-smoke: FAILED: no JSON report")
benchmarks = [b for f in files for b in json.load(open(f))["Benchmarks"]]
if len(benchmarks) != 1:
    sys.exit(f"bench-smoke: FAILED: expected 1 benchmark in the report, found {len(benchmarks)}")
stats = benchmarks[0].get("Statistics") or {}
if not stats.get("N"):
    sys.exit("bench-smoke: FAILED: the benchmark has no measurements")
print(f"bench-smoke: OK ({benchmarks[0]['FullName']}, {stats['N']} measurements; times not checked)")
PY
