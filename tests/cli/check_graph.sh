#!/bin/sh
# `claimsctl graph` output must render with Graphviz, to SVG and to PNG (which goes through the
# cairo and pango plugins, not the SVG path), and the mermaid form must be a state diagram;
# that Mermaid itself renders it is check_mermaid.py's job. Usage: check_graph.sh CLAIMSCTL WORKFLOW
set -eu
claimsctl=$1
workflow=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$claimsctl" graph "$workflow" > "$tmp/graph.dot"
dot -Tsvg "$tmp/graph.dot" > "$tmp/graph.svg"
grep -q "<svg" "$tmp/graph.svg"
grep -q "incentive_assessment" "$tmp/graph.svg"
dot -Tpng "$tmp/graph.dot" > "$tmp/graph.png"
[ "$(head -c 8 "$tmp/graph.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || {
  echo "dot -Tpng did not write a PNG"
  exit 1
}
"$claimsctl" graph "$workflow" --format mermaid > "$tmp/graph.mmd"
head -n 1 "$tmp/graph.mmd" | grep -qx "stateDiagram-v2"
grep -q "dispute_review --> approved : overturn (reviewer)" "$tmp/graph.mmd"
# A broken workflow gets its problems, not a diagram.
if "$claimsctl" graph "$(dirname "$0")/../workflow/testdata/bad/unknown_state.yaml" > "$tmp/bad.dot" 2>/dev/null; then
  echo "graph of a broken workflow succeeded"
  exit 1
fi
[ ! -s "$tmp/bad.dot" ]
echo "graph renders: $(wc -c < "$tmp/graph.svg") bytes of SVG, $(wc -c < "$tmp/graph.png") of PNG"
