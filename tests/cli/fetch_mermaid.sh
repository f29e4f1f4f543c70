#!/usr/bin/env bash
# Puts Mermaid's browser bundle at DIR/mermaid.min.js (its version in DIR/VERSION), so the
# mermaid form of `claimsctl graph` is checked by the library that renders it for readers.
# Debian does not package Mermaid; the npm tarball carries the self-contained UMD bundle. A
# different pinned version replaces the cached one.
set -euo pipefail
dir=${1:?DIR}
# 10.x has the strictest grammar of the lines in use: it rejects, for one, a ':' inside a
# transition label, which 11.17 and 12 accept, so a diagram it takes needs no newer grammar.
version=10.9.5
if [ -f "$dir/mermaid.min.js" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/pack"
mkdir -p "$dir/pack"
cd "$dir/pack"
npm pack --silent "mermaid@$version" >/dev/null
tar xzf "mermaid-$version.tgz" package/dist/mermaid.min.js
# Publish the bundle and its version together, and only once both are complete, so an
# interrupted fetch is redone instead of being taken for the cache.
mv package/dist/mermaid.min.js "$dir/mermaid.min.js.new"
echo "$version" > "$dir/VERSION.new"
mv "$dir/mermaid.min.js.new" "$dir/mermaid.min.js"
mv "$dir/VERSION.new" "$dir/VERSION"
rm -rf "$dir/pack"
