#!/usr/bin/env bash
# Cross-compiles the library for linux-arm64 (`dotnet publish src/LightNet -r linux-arm64`; nothing is run): it must build
# with no warning, and the publish must carry LightNet.dll and ONNX Runtime's aarch64 native library. See docs/mobile.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
start=$SECONDS
log="$out/publish.log"
if ! dotnet publish "$root/src/LightNet" -c Release -r linux-arm64 -o "$out/publish" >"$log" 2>&1; then
  cat "$log" >&2
  echo "linux-arm64 publish of src/LightNet failed" >&2
  exit 1
fi
if grep -E "warning [A-Z]+[0-9]+" "$log" >&2; then
  echo "linux-arm64 publish of src/LightNet has warnings (above)" >&2
  exit 1
fi
test -s "$out/publish/LightNet.dll" || { echo "no LightNet.dll in the linux-arm64 publish" >&2; exit 1; }
so="$out/publish/libonnxruntime.so"
test -s "$so" || { echo "no libonnxruntime.so in the linux-arm64 publish" >&2; exit 1; }
# ELF e_machine (2 bytes at offset 18, little-endian): 0xb7 = AArch64.
machine="$(od -An -t x1 -j 18 -N 2 "$so" | tr -d ' \n')"
[ "$machine" = "b700" ] || { echo "libonnxruntime.so in the linux-arm64 publish is not AArch64 (e_machine $machine)" >&2; exit 1; }
echo "linux-arm64 publish of src/LightNet: OK, no warnings, aarch64 ONNX Runtime ($((SECONDS - start)) s)"
