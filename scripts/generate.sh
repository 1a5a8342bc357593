#!/usr/bin/env bash
# Regenerates every generated tree from its contract:
#   proto/  -> src/grpc/gen  (buf + ts-proto, see buf.gen.yaml)
#   crds/   -> src/api/gen   (scripts/gen-crd-types.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d proto/dodil ]; then
  rm -rf src/grpc/gen
  npx buf generate
fi
if [ -f scripts/gen-crd-types.ts ]; then
  npx tsx scripts/gen-crd-types.ts
fi
