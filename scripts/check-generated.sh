#!/usr/bin/env bash
# Regenerates src/grpc/gen and src/api/gen and fails when the committed copies differ.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s generate
if ! git diff --exit-code --stat -- src/grpc/gen src/api/gen || [ -n "$(git status --porcelain -- src/grpc/gen src/api/gen)" ]; then
  echo "generated code is stale: run 'npm run generate' and commit the result" >&2
  git status --short -- src/grpc/gen src/api/gen >&2
  exit 1
fi
