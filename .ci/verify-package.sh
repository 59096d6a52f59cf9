#!/usr/bin/env bash
# Packs LightNet, checks what the .nupkg holds, then builds and runs a fresh console app that takes the
# package from a local folder feed exactly as `dotnet add package LightNet` would.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/packages"
rm -rf "$out"
dotnet pack "$root/src/LightNet/LightNet.csproj" -c Release -o "$out" --nologo
pkg="$(ls "$out"/LightNet.*.nupkg | grep -v '\.symbols\.' | head -n 1)"
version="$(basename "$pkg" .nupkg)"; version="${version#LightNet.}"
echo "packed $pkg (version $version)"

python3 - "$pkg" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["README.md", "LICENSE", "lib/net10.0/LightNet.dll", "lib/net10.0/LightNet.xml", "LightNet.nuspec"]
missing = [n for n in need if n not in names]
if missing:
    sys.exit(f"package lacks {missing}; it has {sorted(names)}")
nuspec = zipfile.ZipFile(sys.argv[1]).read("LightNet.nuspec").decode()
for want in ["<license type=\"expression\">MIT</license>", "<readme>README.md</readme>", "Google.Protobuf"]:
    if want not in nuspec:
        sys.exit(f"nuspec lacks {want}")
print("package contents OK")
PY

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A package of the same version cached by an earlier run would hide this build's package.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/lightnet"
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$out" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cd "$work"
dotnet new console -n Consumer -o Consumer --framework net10.0 >/dev/null
cd Consumer
cp "$root/tests/PackageConsumer/Program.cs" Program.cs
dotnet add package LightNet --version "$version"
dotnet run -c Release
