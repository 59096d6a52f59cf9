#!/usr/bin/env bash
# Packs the LightNet packages, checks what they hold and their sizes, then builds and runs fresh console apps that
# take LightNet from a local folder feed exactly as `dotnet add package LightNet` would:
#   default     LightNet alone: cpu-simd and ort-cpu run, ONNX Runtime's CPU build is loaded, no Android/iOS natives
#   gpu-linux   + `dotnet add package Microsoft.ML.OnnxRuntime.Gpu.Linux` (the README's one line): the GPU build is
#               loaded, and ort-cuda names the CUDA driver or library it lacks instead of "not in this build"
#   quickstart  the README's C# quick start (and the package README's), pasted into Program.cs as a user would
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/packages"
rm -rf "$out"
for project in LightNet LightNet.Cli LightNet.BenchmarkDotNet LightNet.Extensions.Hosting; do
  [ -f "$root/src/$project/$project.csproj" ] || continue
  dotnet pack "$root/src/$project/$project.csproj" -c Release -o "$out" --nologo -v q
done
pkg="$(ls "$out"/LightNet.[0-9]*.nupkg | head -n 1)"
version="$(basename "$pkg" .nupkg)"; version="${version#LightNet.}"
echo "packed version $version:"
ls -l "$out" | awk 'NR > 1 { printf "  %-52s %6.1f MB\n", $9, $5 / 1048576 }'

python3 - "$out" "$version" <<'PY'
import sys, zipfile, os
out, version = sys.argv[1], sys.argv[2]
def check(pkg, need, nuspec_has=(), max_mb=None):
    path = os.path.join(out, f"{pkg}.{version}.nupkg")
    z = zipfile.ZipFile(path)
    names = set(z.namelist())
    missing = [n for n in need + ["README.md", "LICENSE", "icon.png", f"{pkg}.nuspec"] if n not in names]
    if missing:
        sys.exit(f"{pkg} lacks {missing}; it has {sorted(names)}")
    nuspec = z.read(f"{pkg}.nuspec").decode()
    for want in ["<license type=\"expression\">MIT</license>", "<readme>README.md</readme>", "<icon>icon.png</icon>",
                 "<repository type=\"git\"", *nuspec_has]:
        if want not in nuspec:
            sys.exit(f"{pkg}.nuspec lacks {want}")
    readme = z.read("README.md").decode()
    for line in readme.splitlines():
        if "](" in line and "](http" not in line and "](#" not in line:
            sys.exit(f"{pkg}'s README has a relative link, which breaks on the package page: {line.strip()}")
    if not os.path.exists(os.path.join(out, f"{pkg}.{version}.snupkg")):
        sys.exit(f"{pkg} has no symbol package")
    mobile = [n for n in names if n.startswith(("tools/", "runtimes/")) and ("/android/" in n or "/ios/" in n)]
    if mobile:
        sys.exit(f"{pkg} carries mobile natives: {mobile[:3]}")
    size = os.path.getsize(path) / 1048576
    if max_mb and size > max_mb:
        sys.exit(f"{pkg} is {size:.1f} MB, over {max_mb} MB")
    print(f"{pkg}: contents OK ({size:.1f} MB)")
check("LightNet", ["lib/net10.0/LightNet.dll", "lib/net10.0/LightNet.xml", "buildTransitive/LightNet.targets"],
      ["Microsoft.ML.OnnxRuntime.Managed", "Microsoft.ML.OnnxRuntime\"", "Google.Protobuf"])
check("LightNet.Cli", [], max_mb=60)
check("LightNet.BenchmarkDotNet", ["lib/net10.0/LightNet.BenchmarkDotNet.dll"])
if os.path.exists(os.path.join(out, f"LightNet.Extensions.Hosting.{version}.nupkg")):
    check("LightNet.Extensions.Hosting", ["lib/net10.0/LightNet.Extensions.Hosting.dll"])
PY

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A package of the same version cached by an earlier run would hide this build's package.
for id in lightnet lightnet.cli lightnet.benchmarkdotnet lightnet.extensions.hosting; do
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/$id"
done
source "$root/.ci/local-feed.sh"
local_feed "$work" "$out"

# consumer NAME PROGRAM ARG [PACKAGE VERSION]...: a new console app with LightNet (and the packages named) running
# PROGRAM with ARG (none when empty).
consumer() {
  local name="$1" program="$2" arg="$3"; shift 3
  echo "== consumer: $name"
  (
    cd "$work"
    dotnet new console -n "$name" -o "$name" --framework net10.0 >/dev/null
    cd "$name"
    cp "$program" Program.cs
    dotnet add package LightNet --version "$version" >/dev/null
    while [ $# -gt 0 ]; do dotnet add package "$1" --version "$2" >/dev/null; shift 2; done
    dotnet build -c Release --nologo -v q -warnaserror
    echo "$name: build output $(du -sm bin/Release/net10.0 | cut -f1) MB"
    dotnet bin/Release/net10.0/"$name".dll ${arg:+"$arg"}
  )
}

consumer Default "$root/tests/PackageConsumer/Program.cs" default
consumer GpuLinux "$root/tests/PackageConsumer/Program.cs" gpu-linux Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0
rm -rf "$work/GpuLinux" # 400 MB of CUDA natives

# The quick starts, as written: the first C# block of each README.
for readme in README.md src/LightNet/README.md; do
  awk '/^```csharp$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$root/$readme" > "$work/quickstart.cs"
  test -s "$work/quickstart.cs" || { echo "$readme has no C# block" >&2; exit 1; }
  consumer "QuickStart$(echo "$readme" | tr -cd '[:alnum:]')" "$work/quickstart.cs" ""
done
echo "package consumers OK"
