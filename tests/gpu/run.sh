#!/usr/bin/env bash
# GPU check of the cudnn backend: every zoo model at 224×224 on cudnn and cudnn:fp16, outputs compared with cpu-simd
# (FP32: allclose rtol 1e-3 / atol 1e-4; FP16: cosine ≥ 0.999), then a latency table cpu-simd vs cudnn vs cudnn:fp16
# with speed-ups over the CPU (the seed study's "plain = 1" figure). Two steps, because the GPU machine has no .NET:
#
#   bash tests/gpu/run.sh publish   # here, with the .NET SDK: a self-contained, trimmed linux-x64 build in artifacts/gpu/lightnet
#   bash tests/gpu/run.sh check     # on the GPU machine, from the repository root, with artifacts/gpu/lightnet copied along
#
# (In a LightNet session: run(command="bash tests/gpu/run.sh check", carry=["artifacts/gpu/lightnet"]).)
# The check writes gpu-results.md (date, device, driver, both tables) to $OUT when it is set, else to
# artifacts/gpu/results/; commit it as docs/gpu-results.md. It exits non-zero when a check fails or cudnn cannot run.
# cuDNN 9 and cuBLAS may live only inside a Python package folder (PyTorch's site-packages/nvidia/*/lib): when
# LIGHTNET_CUDA_PATH is not set, the check looks for such folders itself and names them in LIGHTNET_CUDA_PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
app="artifacts/gpu/lightnet"

publish() {
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  rm -rf "$app"
  # TrimMode=partial trims only the framework and libraries marked trimmable; LightNet itself is kept whole.
  # ImageSharp 2.x is not trim-annotated, so its analysis warnings are not errors here.
  dotnet publish src/LightNet.Cli -c Release -r linux-x64 --self-contained \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:TreatWarningsAsErrors=false -p:SuppressTrimAnalysisWarnings=true \
    -p:DebugType=none -p:GenerateDocumentationFile=false -p:SatelliteResourceLanguages=en -o "$app" >/dev/null
  # Debugger, tracing and standalone-GC libraries the check does not load: keeps the folder under 64 MiB.
  rm -f "$app"/createdump "$app"/libmscordaccore.so "$app"/libmscordbi.so "$app"/libcoreclrtraceptprovider.so \
        "$app"/libclrgc.so "$app"/libclrgcexp.so "$app"/*.pdb "$app"/*.xml
  "$app/LightNet.Cli" backends >/dev/null   # the trimmed build starts and lists its backends
  echo "published $(du -sm "$app" | cut -f1) MiB to $app"
}

find_cuda_libraries() {
  [ -n "${LIGHTNET_CUDA_PATH:-}" ] && return 0
  local dirs=() sp
  for sp in $(python3 -c 'import site; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null) \
            /usr/local/lib/python3*/dist-packages /usr/local/lib/python3*/site-packages /usr/lib/python3/dist-packages \
            /opt/conda/lib/python3*/site-packages; do
    [ -d "$sp/nvidia" ] && dirs+=("$sp/nvidia/*/lib")
  done
  if [ "${#dirs[@]}" -gt 0 ]; then
    LIGHTNET_CUDA_PATH="$(IFS=:; echo "${dirs[*]}")"
    export LIGHTNET_CUDA_PATH
  fi
}

check() {
  [ -x "$app/LightNet.Cli" ] || { echo "no $app/LightNet.Cli: run 'bash tests/gpu/run.sh publish' first and copy $app along" >&2; exit 2; }
  local out="${OUT:-artifacts/gpu/results}"
  mkdir -p "$out"
  find_cuda_libraries
  echo "LIGHTNET_CUDA_PATH=${LIGHTNET_CUDA_PATH:-(not set)}"
  local device="unknown (nvidia-smi not found)"
  if command -v nvidia-smi >/dev/null 2>&1; then
    device="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n 1)"
  fi
  "$app/LightNet.Cli" backends --probe | tee "$out/backends.txt"

  local status=0
  "$app/LightNet.Cli" verify -m "$(models)" -b cudnn,cudnn:fp16 --reference cpu-simd --md "$out/verify.md" || status=$?
  "$app/LightNet.Cli" compare -m "$(models)" -b cpu-simd,cudnn,cudnn:fp16 --baseline cpu-simd \
    --runs 30 --min-time 1 --max-time 10 --md "$out/latency.md" || status=$?

  {
    echo "# cudnn backend on a GPU"
    echo
    echo "Measured $(date -u +%Y-%m-%d) by \`bash tests/gpu/run.sh check\` at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo "Device: ${device} (name, driver, memory). CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores."
    echo "Libraries: LIGHTNET_CUDA_PATH=${LIGHTNET_CUDA_PATH:-(not set; default library path)}."
    echo
    echo "## Outputs against cpu-simd (every zoo model, 224×224, seeded inputs)"
    echo
    cat "$out/verify.md" 2>/dev/null || echo "(verify did not run)"
    echo
    echo "## Latency: cpu-simd = 1"
    echo
    cat "$out/latency.md" 2>/dev/null || echo "(compare did not run)"
  } > "$out/gpu-results.md"
  echo "wrote $out/gpu-results.md"
  exit "$status"
}

# Every zoo network ('lightnet zoo list'), each at its default resolution (224×224; Inception v3 299×299).
models() {
  echo "mobilenet_v1,mobilenet_v2,mobilenet_v3_small,mobilenet_v3_large,squeezenet1_0,squeezenet1_1,shufflenet_v2_x1_0,densenet121,resnet18,resnet50,vgg16,alexnet,googlenet,inception_v3"
}

case "${1:-}" in
  publish) publish ;;
  check) check ;;
  *) echo "usage: bash tests/gpu/run.sh publish|check" >&2; exit 2 ;;
esac
