#!/usr/bin/env bash
# Regenerates every generated tree (see generate.sh) and fails when the committed copies differ.
# Rendering deploy/manifests needs helm (`npm run control-plane -- build`): here it is required,
# since a skipped render would pass a stale file.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=(src/grpc/gen src/api/gen deploy/helm/k3-operator/crds deploy/manifests deploy/argocd/argocd-cm-health.yaml)
K3_REQUIRE_HELM=true npm run -s generate
if ! git diff --exit-code --stat -- "${generated[@]}" || [ -n "$(git status --porcelain -- "${generated[@]}")" ]; then
  echo "generated code is stale: run 'npm run generate' and commit the result" >&2
  git status --short -- "${generated[@]}" >&2
  exit 1
fi
