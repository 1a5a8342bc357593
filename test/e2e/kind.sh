#!/usr/bin/env bash
# End-to-end on kind, the user's path: image -> kind cluster -> Helm install -> examples Ready.
# Needs a Docker engine, kind, kubectl and helm on the PATH. Our CI machines have no Docker
# engine, so CI does not run this; the integration tests cover the same flow on a real
# kube-apiserver without containers.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLUSTER=${CLUSTER:-k3-operator-e2e}
IMAGE=${IMAGE:-k3-operator:e2e}
NS=k3-system
SECRET=${EMULATOR_SECRET:-e2e-secret}

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "e2e needs $tool on the PATH" >&2; exit 1; }
done

docker build -t "$IMAGE" .
kind get clusters | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --wait 120s
kind load docker-image "$IMAGE" --name "$CLUSTER"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -

# The K3 emulator stands in for the service (same image, other entry point).
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
          image: $IMAGE
          command: ["node", "dist/emulator/cli.js", "serve", "--host", "0.0.0.0", "--port", "50051", "--secret", "$SECRET"]
          ports: [{ containerPort: 50051 }]
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

kubectl create namespace e2e --dry-run=client -o yaml | kubectl apply -f -
kubectl -n e2e apply -f examples/k3pipeline.yaml
kubectl -n e2e wait --for=condition=Ready k3pipeline --all --timeout=120s
kubectl get k3 -A
echo "e2e passed"
