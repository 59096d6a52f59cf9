#!/usr/bin/env bash
# NativeAOT check of cpu-simd's instruction-set choice (issue 15): runs samples/AotIsa under the JIT, publishes it with
# NativeAOT for the x86-64 level that matches the ISA the JIT picked (avx512 → x86-64-v4, avx2 → x86-64-v3, else the
# default baseline), runs the native binary and fails unless both pick the same ISA. NativeAOT never enables an ISA
# above the one it was compiled for (docs/performance.md, "NativeAOT"), so this also proves that the published level
# reaches the kernels. Prints both MobileNetV2 medians (1 thread) and their ratio; the times are a report, not a gate.
# Needs clang (or clang-N) and a linker, as every NativeAOT publish on Linux does.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
runs="${AOT_ISA_RUNS:-30}"

fail() { echo "aot-isa: FAILED: $*" >&2; exit 1; }
[ "$(uname -m)" = "x86_64" ] || { echo "aot-isa: skipped (not x86-64)"; exit 0; }
cc=""
for c in clang clang-20 clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
  if command -v "$c" >/dev/null 2>&1; then cc="$c"; break; fi
done
[ -n "$cc" ] || fail "no clang on PATH (NativeAOT links with it)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

jit="$(dotnet run -c Release --project samples/AotIsa -- "$runs" | tail -n 1)"
echo "JIT: $jit"
isa="$(sed -n 's/.*isa=\([a-z0-9]*\).*/\1/p' <<<"$jit")"
case "$isa" in
  avx512) level="x86-64-v4" ;;
  avx2) level="x86-64-v3" ;;
  *) level="" ;;
esac

args=(-c Release -r linux-x64 -p:PublishAot=true -p:TreatWarningsAsErrors=false -p:CppCompilerAndLinker="$cc" -o "$out/aot")
[ -n "$level" ] && args+=(-p:IlcInstructionSet="$level")
dotnet publish samples/AotIsa "${args[@]}" >"$out/publish.log" 2>&1 || { tail -n 40 "$out/publish.log" >&2; fail "dotnet publish -p:PublishAot=true failed"; }
aot="$("$out/aot/AotIsa" "$runs" | tail -n 1)"
echo "AOT (IlcInstructionSet=${level:-default}): $aot"
aot_isa="$(sed -n 's/.*isa=\([a-z0-9]*\).*/\1/p' <<<"$aot")"
grep -q 'aot=true' <<<"$aot" || fail "the published binary does not report NativeAOT"
[ "$aot_isa" = "$isa" ] || fail "JIT picked '$isa' but the NativeAOT binary picked '$aot_isa'"
python3 - "$jit" "$aot" <<'PY'
import re, sys
jit, aot = (float(re.search(r"median_ms=([0-9.]+)", s).group(1)) for s in sys.argv[1:3])
print(f"aot-isa: same ISA; MobileNetV2 median JIT {jit:.2f} ms, NativeAOT {aot:.2f} ms (AOT/JIT {aot / jit:.2f})")
PY
