#!/usr/bin/env bash
# Regenerates every generated tree from its contract:
#   proto/  -> src/grpc/gen                   (buf + ts-proto, see buf.gen.yaml)
#   proto/  -> src/grpc/gen/descriptor-set.ts (the descriptor set: emulator reflection, schema check)
#   crds/   -> src/api/gen                    (scripts/gen-crd-types.ts)
#   crds/   -> deploy/helm/k3-operator/crds   (copied: Helm installs a chart's crds/ first)
#   chart   -> deploy/manifests               (scripts/render-manifests.ts; needs the built helm,
#   health.lua -> deploy/argocd/argocd-cm-health.yaml   skipped with a message without it)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d proto/dodil ]; then
  rm -rf src/grpc/gen
  npx buf generate
  npx tsx scripts/gen-descriptor-set.ts
fi
if [ -f scripts/gen-crd-types.ts ]; then
  npx tsx scripts/gen-crd-types.ts
fi
rm -rf deploy/helm/k3-operator/crds
mkdir -p deploy/helm/k3-operator/crds
cp crds/*.yaml deploy/helm/k3-operator/crds/
npx tsx scripts/render-manifests.ts
