#!/usr/bin/env bash
# Sourced by the package checks: local_feed DIR PACKAGES writes DIR/nuget.config with the folder PACKAGES first
# (the packages just packed) and nuget.org for their dependencies, as a user's feed setup would.
local_feed() {
  cat > "$1/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$2" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
}
