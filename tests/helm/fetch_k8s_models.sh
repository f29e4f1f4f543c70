#!/usr/bin/env bash
# Puts the Kubernetes object schemas at DIR/node_modules, for validate_objects.js: npm's
# kubernetes-models carries a validator per API type (generated from Kubernetes' OpenAPI
# schemas: types, required fields, enums and formats), and @kubernetes-models/prometheus-operator
# the same for ServiceMonitor and PrometheusRule. Debian packages no Kubernetes schema for a
# release that has gRPC probes. Fetched once at test time, cached in the build tree like helm;
# a different pinned set replaces the cached one. The 4.x line runs on Debian 12's node 18.
set -euo pipefail
dir=${1:?DIR}
packages=(kubernetes-models@4.5.1 @kubernetes-models/prometheus-operator@4.4.4)
want="${packages[*]}"
if [ -f "$dir/VERSION" ] && [ "$(cat "$dir/VERSION")" = "$want" ]; then
  exit 0
fi
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.new"
mkdir -p "$dir.new"
npm install --silent --no-save --no-audit --no-fund --ignore-scripts --prefix "$dir.new" \
  "${packages[@]}" >/dev/null
echo "$want" >"$dir.new/VERSION"
# Publish only a complete fetch, so an interrupted one is redone instead of taken for the cache.
rm -rf "$dir"
mv "$dir.new" "$dir"
