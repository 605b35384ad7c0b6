#!/usr/bin/env bash
# The kind target of the e2e suite (e2e/README.md, "The target interface"):
# a Kind cluster from deploy/kind/cluster.yaml with the images of `make images`
# loaded and overlays/kind applied; endpoints through kubectl port-forward.
#   kind.sh up    STATE_DIR     cluster, images, apply, wait, forward, STATE_DIR/e2e.env
#   kind.sh down  STATE_DIR     stop the port-forwards (the cluster stays; AETHER_E2E_KIND_DELETE=1 deletes it)
#   kind.sh fault STATE_DIR VERB [ARGS]   faults as Kubernetes sees them (exit 3: not possible)
# Needs docker, kind and kubectl: not available on the project's build
# machines, so this target is written and shellcheck-clean but not run there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$ROOT/e2e/targets/kind.sh
# shellcheck source=e2e/targets/common.sh
source "$ROOT/e2e/targets/common.sh"
CLUSTER=${AETHER_E2E_KIND_CLUSTER:-aether}
NS=aether
NODE_NS=aether-node
CMD=${1:-}
STATE=${2:-}
[[ -n $CMD && -n $STATE ]] || { sed -n 2,9p "${BASH_SOURCE[0]}" >&2; exit 2; }
shift 2

die() { printf 'kind.sh: %s\n' "$*" >&2; exit 1; }
cannot() { printf 'kind.sh: %s\n' "$*" >&2; exit 3; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
k() { kubectl --context "kind-$CLUSTER" "$@"; }

forward() { # name namespace target remote-port -> local port (pid in STATE/pf-name.pid)
  local name=$1 ns=$2 target=$3 remote=$4 port i
  port=$(free_port)
  k -n "$ns" port-forward "$target" "$port:$remote" >"$STATE/pf-$name.log" 2>&1 &
  echo $! >"$STATE/pf-$name.pid"
  for ((i = 0; i < 50; i++)); do
    grep -q "Forwarding from" "$STATE/pf-$name.log" 2>/dev/null && { echo "$port"; return 0; }
    sleep 0.2
  done
  die "port-forward of $target did not start (log: $STATE/pf-$name.log)"
}

up() {
  local t images=() tag work api nats jaeger key
  for t in kind kubectl docker; do
    command -v "$t" >/dev/null || cannot "up: $t is missing (the kind target needs docker, kind and kubectl)"
  done
  mkdir -p "$STATE"
  cd "$ROOT"
  kind get clusters | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --config deploy/kind/cluster.yaml
  [[ -s build/images.txt ]] || die "build/images.txt is missing: make images first"
  mapfile -t images <build/images.txt
  for t in "${images[@]}"; do kind load docker-image --name "$CLUSTER" "$t"; done
  tag=${images[0]##*:}
  work=$STATE/kustomize
  rm -rf "$work"
  cp -r deploy/kustomize "$work"
  # The overlay pins the release version; point it at the images just built.
  sed -i "s/newTag: [0-9.]*$/newTag: $tag/" "$work/overlays/kind/kustomization.yaml"
  k kustomize "$work/overlays/kind" | k apply -f -
  k -n "$NS" wait --for=condition=complete job/migrate --timeout=300s
  k -n "$NS" rollout status deployment/api --timeout=300s
  k -n "$NODE_NS" rollout status daemonset/node-provisioner --timeout=300s
  k -n "$NODE_NS" rollout status daemonset/vm-worker --timeout=600s
  api=$(forward api "$NS" svc/api 80)
  nats=$(forward nats "$NS" svc/nats 4222)
  jaeger=$(forward jaeger "$NS" svc/jaeger-query 16686)
  # An operator tenant for the suite (another key when it exists already).
  key=$(k -n "$NS" exec deploy/api -- aether-api tenant create e2e --operator 2>/dev/null ||
    k -n "$NS" exec deploy/api -- aether-api tenant create e2e --operator --existing)
  e2e_write_env "$STATE/e2e.env" kind "http://127.0.0.1:$api" "$key" "nats://127.0.0.1:$nats" \
    "http://127.0.0.1:$jaeger" "$SELF fault $STATE"
}

down() {
  local f
  for f in "$STATE"/pf-*.pid; do
    [[ -e $f ]] || continue
    kill "$(<"$f")" 2>/dev/null || true
    rm -f "$f"
  done
  if [[ ${AETHER_E2E_KIND_DELETE:-0} == 1 ]]; then kind delete cluster --name "$CLUSTER"; fi
}

worker_pod() { # worker id (= node name) -> its vm-worker pod
  k -n "$NODE_NS" get pods -l app.kubernetes.io/name=vm-worker \
    --field-selector "spec.nodeName=$1" -o jsonpath='{.items[0].metadata.name}'
}

scale() { # kind/name replicas
  k -n "$NS" scale "$1" --replicas="$2"
  if (($2 == 0)); then
    k -n "$NS" wait --for=delete pod -l "app.kubernetes.io/name=${1#*/}" --timeout=120s || true
  else
    k -n "$NS" rollout status "$1" --timeout=300s
  fi
}

fault() {
  local verb=${1:-} id pod
  [[ $# -gt 0 ]] && shift
  case $verb in
    worker-list)
      k -n "$NODE_NS" get pods -l app.kubernetes.io/name=vm-worker -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' ;;
    worker-kill)
      id=${1:-any}
      [[ $id != any ]] || id=$(fault worker-list | shuf -n 1)
      pod=$(worker_pod "$id")
      [[ -n $pod ]] || die "worker-kill: no vm-worker pod on node '$id'"
      # SIGKILL, no grace: as close to a crash as the API allows.
      k -n "$NODE_NS" delete pod "$pod" --grace-period=0 --force >/dev/null
      echo "$id" ;;
    worker-start)
      # The DaemonSet brings a killed worker back by itself: wait for it.
      k -n "$NODE_NS" rollout status daemonset/vm-worker --timeout=300s ;;
    nats-restart)
      k -n "$NS" delete pod -l app.kubernetes.io/name=nats --wait=true
      k -n "$NS" rollout status statefulset/nats --timeout=300s ;;
    pg-stop) scale statefulset/postgres 0 ;;
    pg-start) scale statefulset/postgres 1 ;;
    redis-stop) scale deployment/redis 0 ;;
    redis-start) scale deployment/redis 1 ;;
    nats-node-list|nats-kill-node|nats-start-node)
      cannot "$verb: overlays/kind runs one nats replica (the nats-cluster component is not in it)" ;;
    *) die "fault: unknown verb '$verb'" ;;
  esac
}

case $CMD in
  up) up ;;
  down) down ;;
  fault) fault "$@" ;;
  *) sed -n 2,9p "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
