#!/usr/bin/env bash
# End-to-end on kind, the user's path: images -> kind cluster -> Helm install -> examples Ready.
# Needs a Docker engine (with BuildKit), kind, kubectl and helm on the PATH, and base images
# from a registry. Not run in CI: kind's node image cannot be had here (no container
# registry); `npm run e2e:image` runs the same images on a real apiserver, and
# `npm run e2e:cluster` installs the chart with helm into a local cluster with a node instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLUSTER=${CLUSTER:-k3-operator-e2e}
IMAGE=${IMAGE:-k3-operator:e2e}
EMULATOR_IMAGE=${EMULATOR_IMAGE:-k3-operator-emulator:e2e}
NS=k3-system
SECRET=${EMULATOR_SECRET:-e2e-secret}

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "e2e needs $tool on the PATH" >&2; exit 1; }
done

# Extra CA certificates of a TLS-intercepting proxy reach `npm ci` as a build secret.
ca_args=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then ca_args=(--secret "id=extra-ca,src=$NODE_EXTRA_CA_CERTS"); fi
DOCKER_BUILDKIT=1 docker build "${ca_args[@]}" -t "$IMAGE" .
DOCKER_BUILDKIT=1 docker build "${ca_args[@]}" --target emulator -t "$EMULATOR_IMAGE" .
kind get clusters | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --wait 120s
kind load docker-image "$IMAGE" "$EMULATOR_IMAGE" --name "$CLUSTER"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -

# The K3 emulator stands in for the service (its own image, the Dockerfile's emulator target).
kubectl -n "$NS" apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: { name: k3-emulator }
spec:
  selector: { matchLabels: { app: k3-emulator } }
  template:
    metadata: { labels: { app: k3-emulator } }
    spec:
      containers:
        - name: emulator
          image: $EMULATOR_IMAGE
          imagePullPolicy: IfNotPresent
          args: ["serve", "--host", "0.0.0.0", "--port", "50051", "--secret", "$SECRET", "--time-scale", "0.05"]
          ports: [{ containerPort: 50051 }]
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities: { drop: ["ALL"] }
            seccompProfile: { type: RuntimeDefault }
---
apiVersion: v1
kind: Service
metadata: { name: k3-emulator }
spec:
  selector: { app: k3-emulator }
  ports: [{ port: 50051, targetPort: 50051 }]
YAML
TOKEN=$(npx k3-emulator token --secret "$SECRET" --tenant e2e --ttl 24h)
kubectl -n "$NS" create secret generic k3-operator-token --from-literal=token="$TOKEN" \
  --dry-run=client -o yaml | kubectl apply -f -

helm upgrade --install k3-operator deploy/helm/k3-operator -n "$NS" \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" \
  --set k3.endpoint=k3-emulator.$NS.svc:50051 --set k3.insecure=true \
  --set "networkPolicy.k3.ports={50051}" --wait

# The examples of every kind with a controller (scripts/local/examples.ts readyKinds).
kubectl create namespace e2e --dry-run=client -o yaml | kubectl apply -f -
npx tsx scripts/e2e/ready-examples.ts | kubectl -n e2e apply -f -
kubectl -n e2e wait --for=condition=Ready k3 --all --timeout=180s
kubectl get k3 -A
echo "e2e passed"
