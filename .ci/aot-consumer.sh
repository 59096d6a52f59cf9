#!/usr/bin/env bash
# Publishes a NativeAOT consumer app (tests/AotConsumer) against the LightNet package that .ci/verify-package.sh packed
# into artifacts/packages, checks the publish has no trimming/AOT warning from LightNet, runs the native executable and
# `dotnet run` (JIT) on a test photo, and requires the same output. Needs clang (Debian's clang package).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/packages"
pkg="$(ls "$out"/LightNet.[0-9]*.nupkg 2>/dev/null | head -n 1)"
[ -n "$pkg" ] || { echo "no LightNet package in $out: run .ci/verify-package.sh first" >&2; exit 1; }
version="$(basename "$pkg" .nupkg)"; version="${version#LightNet.}"
if ! command -v clang >/dev/null 2>&1; then
  sudo_cmd=""; if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends clang zlib1g-dev
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$root/.ci/local-feed.sh"
local_feed "$work" "$out"
mkdir "$work/AotConsumer"
cp "$root/tests/AotConsumer/Program.cs" "$work/AotConsumer/"
cat > "$work/AotConsumer/AotConsumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="LightNet" Version="$version" />
  </ItemGroup>
</Project>
XML
cd "$work/AotConsumer"
photo="$root/tests/TestImages/cat.jpg"
start=$SECONDS
dotnet publish -c Release -r linux-x64 -o "$work/publish" --nologo 2>&1 | tee "$work/publish.log"
echo "NativeAOT publish took $((SECONDS - start)) s; executable $(du -m "$work/publish/AotConsumer" | cut -f1) MB"
if grep -E "warning (IL|SYSLIB)[0-9]+" "$work/publish.log" | grep -i "lightnet" ; then
  echo "the NativeAOT publish warns about LightNet code (above)" >&2; exit 1
fi
"$work/publish/AotConsumer" "$photo" > "$work/aot.txt"
dotnet run -c Release --no-launch-profile -p:PublishAot=false -- "$photo" > "$work/jit.txt"
echo "--- NativeAOT:"; cat "$work/aot.txt"
if ! diff -u "$work/jit.txt" "$work/aot.txt"; then
  echo "NativeAOT and JIT outputs differ (above)" >&2; exit 1
fi
echo "NativeAOT consumer OK: same output as the JIT"
