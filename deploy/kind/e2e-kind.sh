#!/usr/bin/env bash
# make e2e-kind: Kind cluster, images loaded, overlays/kind applied, wait for
# readiness, then the e2e suite against the api. Needs docker and kind (not
# available on the project's build machines: there the e2e suite runs against
# the local stack and the podman images).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
for t in kind kubectl docker; do
  command -v "$t" >/dev/null || { echo "e2e-kind: $t is missing" >&2; exit 2; }
done
kind get clusters | grep -qx aether || kind create cluster --config deploy/kind/cluster.yaml
mapfile -t images <build/images.txt
for i in "${images[@]}"; do kind load docker-image --name aether "$i"; done
tag=${images[0]##*:}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r deploy/kustomize "$work/"
# the overlay pins the release version; point it at the images just built
sed -i "s/newTag: [0-9.]*$/newTag: $tag/" "$work/kustomize/overlays/kind/kustomization.yaml"
kubectl kustomize "$work/kustomize/overlays/kind" | kubectl apply -f -
kubectl -n aether wait --for=condition=complete job/migrate --timeout=300s
kubectl -n aether rollout status deployment/api --timeout=300s
kubectl -n aether-node rollout status daemonset/node-provisioner --timeout=300s
kubectl -n aether-node rollout status daemonset/vm-worker --timeout=600s
kubectl -n aether port-forward svc/api 18080:80 >"$work/pf.log" 2>&1 &
pf=$!
trap 'kill $pf; rm -rf "$work"' EXIT
AETHER_API_URL=http://127.0.0.1:18080 e2e/run.sh
