#!/usr/bin/env bash
# The local target of the e2e suite (e2e/README.md, "The target interface"):
# the whole platform as processes on this machine, through tools/run/run.sh.
#   local.sh up    STATE_DIR     start it on free ports, write STATE_DIR/e2e.env
#   local.sh down  STATE_DIR     stop everything up started
#   local.sh fault STATE_DIR VERB [ARGS]   inject a fault (exit 3: not possible here)
# Build dir: $AETHER_E2E_BUILD_DIR, else <repo>/build.
# AETHER_E2E_NATS_NODES=3: nats-server as a 3-node JetStream cluster, streams R3
# (run.sh's AETHER_RUN_NATS_NODES); the nats-*-node verbs act on its nodes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$ROOT/e2e/targets/local.sh
RUNSH=$ROOT/tools/run/run.sh
# shellcheck source=e2e/targets/common.sh
source "$ROOT/e2e/targets/common.sh"
BUILD=${AETHER_E2E_BUILD_DIR:-$ROOT/build}
CMD=${1:-}
STATE=${2:-}
[[ -n $CMD && -n $STATE ]] || { sed -n 2,8p "${BASH_SOURCE[0]}" >&2; exit 2; }
shift 2

die() { printf 'local.sh: %s\n' "$*" >&2; exit 1; }
cannot() { printf 'local.sh: %s\n' "$*" >&2; exit 3; }
# A free port below the kernel's ephemeral range (32768+), where the free
# ports other processes ask the kernel for (bind to 0) cannot land on it
# between our pick and the service's bind.
free_port() {
  python3 -c '
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'
}
run() { "$RUNSH" "$@" --state-dir "$STATE" --build-dir "$BUILD"; }

# The workers run.sh recorded: vm-worker is local-1, vm-worker@ID is ID.
worker_ids() {
  local f n
  for f in "$STATE"/run/vm-worker.pid "$STATE"/run/vm-worker@*.pid; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .pid)
    if [[ $n == vm-worker ]]; then echo local-1; else echo "${n#vm-worker@}"; fi
  done
}
worker_name() { if [[ $1 == local-1 ]]; then echo vm-worker; else echo "vm-worker@$1"; fi; }

# The nats cluster's node indices aether-devstack recorded (none: one nats-server).
nats_nodes() { jq -r '.services[].name | select(startswith("nats-")) | ltrimstr("nats-")' "$STATE/stack.json"; }
nats_node() { # verb index -> run.sh's name for that node, or exit 3 / 1
  local nodes
  nodes=$(nats_nodes)
  [[ -n $nodes ]] || cannot "$1: the local target runs one nats-server, not a cluster (AETHER_E2E_NATS_NODES=3)"
  grep -qx -- "${2:-}" <<<"$nodes" || die "$1: no nats node '${2:-}' (nats-node-list: $(tr '\n' ' ' <<<"$nodes"))"
  echo "nats-$2"
}

up() {
  local key
  mkdir -p "$STATE"
  chmod 755 "$STATE"
  # Free ports for everything, so a `make run` on this machine is not disturbed.
  export AETHER_HTTP_PORT=${AETHER_HTTP_PORT:-$(free_port)}
  export AETHER_RUN_API_ADMIN_PORT=${AETHER_RUN_API_ADMIN_PORT:-$(free_port)}
  export AETHER_RUN_WORKER_ADMIN_PORT=${AETHER_RUN_WORKER_ADMIN_PORT:-$(free_port)}
  export AETHER_RUN_AUTOSCALER_ADMIN_PORT=${AETHER_RUN_AUTOSCALER_ADMIN_PORT:-$(free_port)}
  export AETHER_RUN_PROVISIONER_ADMIN_PORT=${AETHER_RUN_PROVISIONER_ADMIN_PORT:-$(free_port)}
  # Creates beyond the warm pool stay few in the suite; one warm VM is enough.
  export AETHER_WARM_POOL_SIZE=${AETHER_WARM_POOL_SIZE:-1}
  if [[ -n ${AETHER_E2E_NATS_NODES:-} ]]; then
    [[ $AETHER_E2E_NATS_NODES =~ ^[1-7]$ ]] || die "AETHER_E2E_NATS_NODES='$AETHER_E2E_NATS_NODES' is not a node count 1..7"
    export AETHER_RUN_NATS_NODES=$AETHER_E2E_NATS_NODES
  fi
  # Detached, in its own session: the services outlive this script.
  if ! setsid "$RUNSH" up --no-demo --state-dir "$STATE" --build-dir "$BUILD" \
      >"$STATE/up.out" 2>"$STATE/up.err" </dev/null; then
    tail -n 30 "$STATE/up.err" >&2
    die "run.sh up failed (log: $STATE/up.err)"
  fi
  [[ -s $STATE/run/tenant.key ]] || die "run.sh up left no tenant key (is aether-api built?)"
  key=$(<"$STATE/run/tenant.key")
  # shellcheck disable=SC1091
  source "$STATE/stack.env"
  # The OTLP sink answers the Jaeger query API on its own port (when it does).
  e2e_write_env "$STATE/e2e.env" local "http://127.0.0.1:$AETHER_HTTP_PORT" "$key" "$NATS_URL" \
    "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" "$SELF fault $STATE"
}

down() {
  [[ -d $STATE/run ]] || return 0
  run down >/dev/null 2>"$STATE/down.err" || { cat "$STATE/down.err" >&2; die "run.sh down failed"; }
}

fault() {
  local verb=${1:-} id
  [[ $# -gt 0 ]] && shift
  case $verb in
    worker-list) worker_ids ;;
    worker-kill)
      id=${1:-any}
      if [[ $id == any ]]; then
        id=$(worker_ids | shuf -n 1)
        [[ -n $id ]] || die "worker-kill: no worker runs"
      fi
      # Only workers this target started (the autoscaler's own are its business).
      # (grep reads a here-string: grep -q on a pipe would SIGPIPE worker_ids under pipefail)
      grep -qx -- "$id" <<<"$(worker_ids)" || die "worker-kill: no worker '$id' runs here (worker-list: $(worker_ids | tr '\n' ' '))"
      run stop --kill "$(worker_name "$id")" 2>>"$STATE/faults.log"
      echo "$id" ;;
    worker-start)
      id=${1:-local-1}
      run start "$(worker_name "$id")" 2>>"$STATE/faults.log" ;;
    nats-restart)
      if [[ -n $(nats_nodes) ]]; then
        # A cluster: every node in turn, each caught up before the next.
        for id in $(nats_nodes); do
          run stop "nats-$id" 2>>"$STATE/faults.log"
          run start "nats-$id" 2>>"$STATE/faults.log"
        done
      else
        run stop nats 2>>"$STATE/faults.log"
        run start nats 2>>"$STATE/faults.log"
      fi ;;
    nats-node-list)
      [[ -n $(nats_nodes) ]] || cannot "$verb: the local target runs one nats-server, not a cluster (AETHER_E2E_NATS_NODES=3)"
      nats_nodes ;;
    nats-kill-node)
      id=$(nats_node "$verb" "${1:-}")
      run stop --kill "$id" 2>>"$STATE/faults.log" ;;
    nats-start-node)
      # aether-devstack up --only nats-<i>: same ports and store; returns once
      # the node has rejoined and every stream replica on it is current.
      id=$(nats_node "$verb" "${1:-}")
      run start "$id" 2>>"$STATE/faults.log" ;;
    pg-stop) run stop postgres 2>>"$STATE/faults.log" ;;
    pg-start) run start postgres 2>>"$STATE/faults.log" ;;
    redis-stop) run stop redis 2>>"$STATE/faults.log" ;;
    redis-start) run start redis 2>>"$STATE/faults.log" ;;
    *) die "fault: unknown verb '$verb' (worker-kill|worker-start|worker-list|nats-restart|nats-node-list|nats-kill-node|nats-start-node|pg-stop|pg-start|redis-stop|redis-start)" ;;
  esac
}

case $CMD in
  up) up ;;
  down) down ;;
  fault) fault "$@" ;;
  *) sed -n 2,8p "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
