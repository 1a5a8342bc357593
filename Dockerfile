# The operator's image (the default, last stage `operator`) and the K3 emulator's (target
# `emulator`, used by test/e2e/kind.sh). Needs BuildKit (Docker 20.10+; the default since 23).
#
#   docker build -t k3-operator .
#   docker build --target emulator -t k3-operator-emulator .
#
# Behind a TLS-intercepting proxy, pass its CA certificates as a build secret: they are
# mounted for `npm ci` only and never stored in a layer.
#   docker build --secret id=extra-ca,src=/path/to/ca-bundle.pem -t k3-operator .
#
# The base is Node 24 on Debian bookworm slim, pinned by tag and digest (the multi-platform
# index). NODE_IMAGE points the build at another base: `npm run e2e:image` makes one offline.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:2fe369e969550cde8e867afc3fe370b260140cab4a23d467074295b42163d553

# Every dependency, dev ones included (TypeScript). Install scripts are skipped: none is
# needed to compile (they fetch the `node` package's binary, buf's and esbuild's).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=secret,id=extra-ca \
    if [ -s /run/secrets/extra-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra-ca; fi; \
    npm ci --no-audit --no-fund --ignore-scripts

# Runtime dependencies only, without what Node never loads: type declarations, source maps
# of the packages (nothing enables them) and their markdown: half of the folder's 108 MB.
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund --ignore-scripts \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# dist-operator: src/main.ts and what it imports, nothing else (no emulator, no control-plane
# builder, no tests). dist: all of src, for the emulator image.
RUN printf '{"extends":"./tsconfig.build.json","compilerOptions":{"outDir":"dist-operator"},"include":[],"files":["src/main.ts"]}' > tsconfig.operator.json \
 && node node_modules/typescript/bin/tsc -p tsconfig.operator.json \
 && test -f dist-operator/main.js && test ! -e dist-operator/emulator && test ! -e dist-operator/controlplane \
 && node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && printf '%s\n' 'import { main } from "./cli.js";' 'process.exitCode = await main(process.argv.slice(2));' > dist/emulator/main.js

FROM ${NODE_IMAGE} AS emulator
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The emulator serves gRPC reflection from the .proto files.
COPY proto ./proto
COPY package.json ./
USER 65532:65532
EXPOSE 50051
ENTRYPOINT ["node", "dist/emulator/main.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "50051"]

FROM ${NODE_IMAGE} AS operator
WORKDIR /app
ENV NODE_ENV=production
# Heap caps measured with `npm run bench:scale` (bench/README.md); the chart sets the same.
ENV NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8"
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist-operator ./dist
COPY package.json ./
USER 65532:65532
ENTRYPOINT ["node", "dist/main.js"]
