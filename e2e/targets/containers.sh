#!/usr/bin/env bash
# The e2e target "containers": the platform from the images `make images`
# builds, under podman on this machine (e2e/README.md, the target interface).
#   e2e/targets/containers.sh up     STATE_DIR   start it, write STATE_DIR/e2e.env
#   e2e/targets/containers.sh down   STATE_DIR   remove its containers and volumes (logs kept)
#   e2e/targets/containers.sh status STATE_DIR   its containers and their state
#   e2e/targets/containers.sh fault  STATE_DIR VERB [ARGS]   exit 0 done, 3 not possible here
# Fault verbs: worker-kill <id|any>, worker-start [id], worker-list, nats-restart,
# pg-stop, pg-start, redis-stop, redis-start (nats-node-list/-kill-node/-start-node: 3).
#
# Every container runs with --network host, bound to 127.0.0.1 on ports
# picked free at `up`: nats-server, PostgreSQL and Redis from the aether/stack
# image (Debian's packages on the images' base; `make images-stack`), then
# migration-runner (a run to completion, as the Job), node-provisioner --once
# (the node check; assets into a volume), AETHER_E2E_WORKERS vm-workers
# (default 1; /dev/kvm passed when present, else QEMU in TCG), the api and
# the autoscaler (actuator dry-run: its container cannot start workers).
# The OTLP sink (Jaeger's query API for the suite) is the host's
# build/tools/otlp-sink/aether-otlp-sink, as Jaeger is no Debian package.
# Environment: AETHER_CONTAINER_ENGINE (podman), AETHER_IMAGE_TAG (default: the
# tags in build/images.txt), AETHER_E2E_BUILD_DIR (build; for the sink and
# images.txt), AETHER_E2E_WORKERS, AETHER_WARM_POOL_SIZE (0).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$ROOT/e2e/targets/containers.sh
# shellcheck source=e2e/targets/common.sh
source "$ROOT/e2e/targets/common.sh"
ENGINE=${AETHER_CONTAINER_ENGINE:-podman}
BUILD=${AETHER_E2E_BUILD_DIR:-${AETHER_BUILD_DIR:-$ROOT/build}}

say() { printf 'containers: %s\n' "$*" >&2; }
die() { printf 'containers: %s\n' "$*" >&2; exit 1; }
usage() { sed -n 4,9p "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -ge 2 ]] || usage
CMD=$1 STATE=$2
shift 2
case $CMD in up | down | status | fault) ;; *) usage ;; esac
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
CONF=$STATE/containers.env
LOGS=$STATE/logs
mkdir -p "$LOGS"
command -v "$ENGINE" >/dev/null || die "$ENGINE not found (make images-setup installs podman)"

# the engine, without the lock's fd 9 (conmon would keep it, and the lock, forever)
eng() { "$ENGINE" "$@" 9>&-; }

# A free port below the kernel's ephemeral range (32768+), so that a port
# another process asks the kernel for cannot land on it between the pick and
# the container's bind (as targets/local.sh does); never one picked before
# for this state dir (STATE/.ports), as nothing holds them until the bind.
free_port() {
  python3 - "$STATE/.ports" <<'PY'
import random, socket, sys
try:
    taken = set(open(sys.argv[1]).read().split())
except FileNotFoundError:
    taken = set()
for _ in range(200):
    p = random.randint(20000, 32000)
    if str(p) in taken:
        continue
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p))
    except OSError:
        continue
    finally:
        s.close()
    open(sys.argv[1], "a").write(f"{p}\n")
    print(p)
    break
else:
    sys.exit("no free port in 20000-32000")
PY
}

image_of() { # service -> image reference (AETHER_IMAGE_TAG, else build/images.txt)
  local ref
  if [[ -n ${AETHER_IMAGE_TAG:-} ]]; then ref=aether/$1:$AETHER_IMAGE_TAG
  else ref=$(grep -m1 "^aether/$1:" "$BUILD/images.txt" 2>/dev/null || true); fi
  [[ -n $ref ]] || die "no image of $1 in $BUILD/images.txt (make images; the stack: make images-stack)"
  eng image exists "$ref" || die "image $ref does not exist (make images; the stack: make images-stack)"
  printf '%s' "$ref"
}

# --- containers: all named $RUN_ID-<role>, labelled aether.e2e.run=$RUN_ID
name() { printf '%s-%s' "$RUN_ID" "$1"; }
running() { [[ $(eng inspect --format '{{.State.Running}}' "$(name "$1")" 2>/dev/null) == true ]]; }

run_detached() { # role image [podman args...] -- [container args...]
  local role=$1 image=$2 args=() cargs=()
  shift 2
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  cargs=("$@")
  eng rm -f "$(name "$role")" >/dev/null 2>&1 || true
  eng run -d --pull=never --name "$(name "$role")" --label "aether.e2e.run=$RUN_ID" \
    --network host "${args[@]}" "$image" "${cargs[@]}" >/dev/null
}

wait_for() { # what seconds command...: until the command succeeds
  local what=$1 limit=$2 i
  shift 2
  for ((i = 0; i < limit * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what not ready after $limit s"
}

wait_ready() { # role admin_port seconds: /readyz, failing early when the container exited
  local role=$1 port=$2 limit=$3 i
  for ((i = 0; i < limit * 2; i++)); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && return 0
    if ! running "$role"; then
      eng logs --tail 20 "$(name "$role")" >&2 2>&1 || true
      die "$role exited during start-up (its log above)"
    fi
    sleep 0.5
  done
  eng logs --tail 20 "$(name "$role")" >&2 2>&1 || true
  die "$role not ready on http://127.0.0.1:$port/readyz after $limit s (its log above)"
}

load_conf() {
  [[ -f $CONF ]] || die "$STATE holds no containers target (run: $SELF up $STATE)"
  # shellcheck disable=SC1090
  source "$CONF"
}

common_env() { # the settings every Aether service gets, as podman -e args
  printf '%s\n' -e "NATS_URL=nats://127.0.0.1:$NATS_PORT" -e AETHER_ADMIN_ADDR=127.0.0.1 \
    -e "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT" -e AETHER_LOG_FORMAT=json
}

# --- workers: ids ctr-N, admin port and volume per id, recorded in workers/
start_worker() { # id
  local id=$1 port dev=() env=() common=()
  mkdir -p "$STATE/workers"
  if [[ -f $STATE/workers/$id.port ]]; then port=$(<"$STATE/workers/$id.port")
  else port=$(free_port); echo "$port" >"$STATE/workers/$id.port"; fi
  if eng container exists "$(name "worker-$id")"; then
    eng start "$(name "worker-$id")" >/dev/null # a restarted pod: same id, same state
  else
    # /dev/kvm when the host has it (then QEMU's accelerator is auto); else TCG
    if [[ -c /dev/kvm ]]; then dev=(--device /dev/kvm); else env=(-e AETHER_QEMU_ACCEL=tcg); fi
    mapfile -t common < <(common_env)
    run_detached "worker-$id" "$WORKER_IMAGE" "${dev[@]}" "${common[@]}" "${env[@]}" \
      -e "AETHER_WORKER_ID=$id" -e "AETHER_NODE_NAME=$id" -e "AETHER_ADMIN_PORT=$port" \
      -e AETHER_RUNTIME=qemu -e AETHER_NETWORK=off -e "AETHER_WARM_POOL_SIZE=${AETHER_WARM_POOL_SIZE:-0}" \
      -v "$(name "worker-$id"):/var/lib/aether/vm-worker" --label aether.e2e.worker="$id"
  fi
  wait_ready "worker-$id" "$port" 180
}

worker_ids() { # running workers' ids
  eng ps --filter "label=aether.e2e.run=$RUN_ID" --filter label=aether.e2e.worker \
    --format '{{index .Labels "aether.e2e.worker"}}' | sort
}

up_failed() {
  local rc=$?
  trap - EXIT
  if ((rc != 0)); then say "up failed: removing what it started"; down; fi
  exit "$rc"
}

up() {
  if [[ -f $CONF ]]; then
    load_conf
    if running nats && running pg && running redis && running api && [[ -f $STATE/e2e.env ]]; then
      say "already up ($RUN_ID), reused"
      return 0
    fi
    say "a stale run ($RUN_ID) in $STATE: removing it first"
    down
  fi
  local stack migrate provisioner api autoscaler sink
  stack=$(image_of stack); migrate=$(image_of migration-runner); provisioner=$(image_of node-provisioner)
  api=$(image_of api); autoscaler=$(image_of autoscaler)
  WORKER_IMAGE=$(image_of vm-worker)
  sink=$BUILD/tools/otlp-sink/aether-otlp-sink
  [[ -x $sink ]] || die "$sink is not built (cmake --build $BUILD --target aether-otlp-sink)"

  rm -rf "$STATE/workers" "$STATE/.ports"
  RUN_ID=aether-e2e-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  NATS_PORT=$(free_port) NATS_MON=$(free_port) PG_PORT=$(free_port) REDIS_PORT=$(free_port)
  HTTP_PORT=$(free_port) API_ADMIN=$(free_port) AUTOSCALER_ADMIN=$(free_port) SINK_PORT=$(free_port)
  cat >"$CONF" <<EOF
RUN_ID=$RUN_ID
WORKER_IMAGE=$WORKER_IMAGE
NATS_PORT=$NATS_PORT
NATS_MON=$NATS_MON
PG_PORT=$PG_PORT
REDIS_PORT=$REDIS_PORT
HTTP_PORT=$HTTP_PORT
API_ADMIN=$API_ADMIN
AUTOSCALER_ADMIN=$AUTOSCALER_ADMIN
SINK_PORT=$SINK_PORT
EOF
  trap up_failed EXIT

  say "$RUN_ID: OTLP sink on 127.0.0.1:$SINK_PORT (host process, spans in $STATE/otlp/spans.jsonl)"
  mkdir -p "$STATE/otlp"
  setsid "$sink" --port "$SINK_PORT" --out "$STATE/otlp/spans.jsonl" >"$LOGS/otlp-sink.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/otlp-sink.pid"
  wait_for "the OTLP sink" 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SINK_PORT"

  say "nats-server, PostgreSQL, Redis from $stack"
  run_detached nats "$stack" -v "$(name nats):/data" -- nats "$NATS_PORT" "$NATS_MON"
  # SIGINT: PostgreSQL's fast shutdown; on SIGTERM it waits for the api's pooled connections to close
  run_detached pg "$stack" --stop-signal SIGINT -v "$(name pg):/data" -- postgres "$PG_PORT"
  run_detached redis "$stack" -v "$(name redis):/data" -- redis "$REDIS_PORT"
  wait_for nats-server 60 curl -fsS "http://127.0.0.1:$NATS_MON/healthz?js-enabled-only=true"
  wait_for PostgreSQL 120 eng exec "$(name pg)" pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  wait_for Redis 60 eng exec "$(name redis)" redis-cli -p "$REDIS_PORT" ping
  local db=postgresql://aether:aether@127.0.0.1:$PG_PORT/aether common=()
  mapfile -t common < <(common_env)

  say "migrations ($migrate up)"
  eng run --rm --pull=never --network host --read-only "${common[@]}" -e "DATABASE_URL=$db" \
    "$migrate" up >"$LOGS/migrations.log" 2>&1 || { tail -n 20 "$LOGS/migrations.log" >&2; die "migrations failed"; }

  say "node check ($provisioner --once, emulation allowed)"
  if eng run --rm --pull=never --network host "${common[@]}" -e AETHER_KUBE=off \
    -e AETHER_ALLOW_EMULATION=true -e "AETHER_ADMIN_PORT=$(free_port)" -e AETHER_NODE_NAME=ctr \
    -v "$(name assets):/var/lib/aether" --label "aether.e2e.run=$RUN_ID" \
    "$provisioner" --once --report text >"$LOGS/node-provisioner.out" 2>"$LOGS/node-provisioner.log"; then
    say "node usable: $(head -n 1 "$LOGS/node-provisioner.out")"
  else
    say "node-provisioner says the node is not usable (see $LOGS/node-provisioner.out); carrying on"
  fi

  local i
  for ((i = 1; i <= ${AETHER_E2E_WORKERS:-1}; i++)); do
    say "vm-worker ctr-$i ($WORKER_IMAGE)"
    start_worker "ctr-$i"
  done

  say "api ($api) on http://127.0.0.1:$HTTP_PORT"
  run_detached api "$api" --read-only "${common[@]}" -e "DATABASE_URL=$db" \
    -e "REDIS_URL=redis://127.0.0.1:$REDIS_PORT" -e AETHER_HTTP_ADDR=127.0.0.1 \
    -e "AETHER_HTTP_PORT=$HTTP_PORT" -e "AETHER_ADMIN_PORT=$API_ADMIN"
  wait_ready api "$API_ADMIN" 60

  say "autoscaler ($autoscaler, actuator dry-run)"
  run_detached autoscaler "$autoscaler" --read-only "${common[@]}" -e AETHER_AUTOSCALER_ACTUATOR=dry-run \
    -e "AETHER_ADMIN_PORT=$AUTOSCALER_ADMIN"
  wait_ready autoscaler "$AUTOSCALER_ADMIN" 60

  say "operator tenant (aether-api tenant create e2e --operator)"
  local key
  key=$(eng run --rm --pull=never --network host --read-only "${common[@]}" -e "DATABASE_URL=$db" \
    "$api" tenant create "e2e-$RUN_ID" --operator 2>>"$LOGS/tenant.log")
  [[ -n $key ]] || die "tenant create printed no key (log: $LOGS/tenant.log)"
  trap - EXIT

  e2e_write_env "$STATE/e2e.env" containers "http://127.0.0.1:$HTTP_PORT" "$key" \
    "nats://127.0.0.1:$NATS_PORT" "http://127.0.0.1:$SINK_PORT" "$SELF fault $STATE"
  say "up: $STATE/e2e.env"
}

save_logs() {
  local c
  for c in $(eng ps -a --filter "label=aether.e2e.run=$RUN_ID" --format '{{.Names}}'); do
    eng logs "$c" >"$LOGS/${c#"$RUN_ID"-}.log" 2>&1 || true
  done
}

down() {
  load_conf
  local role pid
  save_logs
  # the reverse of up: autoscaler, api, workers (SIGTERM: they stop their VMs), then the stack
  for role in autoscaler api; do eng stop -t 30 "$(name "$role")" >/dev/null 2>&1 || true; done
  for role in $(worker_ids); do eng stop -t 60 "$(name "worker-$role")" >/dev/null 2>&1 || true; done
  save_logs
  mapfile -t cs < <(eng ps -a --filter "label=aether.e2e.run=$RUN_ID" --format '{{.Names}}')
  [[ ${#cs[@]} -eq 0 ]] || eng rm -f -t 10 "${cs[@]}" >/dev/null
  mapfile -t vs < <(eng volume ls --format '{{.Name}}' | grep "^$RUN_ID-" || true)
  [[ ${#vs[@]} -eq 0 ]] || eng volume rm -f "${vs[@]}" >/dev/null
  if [[ -f $STATE/otlp-sink.pid ]]; then
    pid=$(<"$STATE/otlp-sink.pid")
    # only the sink this target started (its exe), never a reused pid
    if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */aether-otlp-sink ]]; then kill "$pid" 2>/dev/null || true; fi
    rm -f "$STATE/otlp-sink.pid"
  fi
  rm -f "$CONF" "$STATE/e2e.env"
  say "down: $RUN_ID removed (logs in $LOGS)"
}

status() {
  load_conf
  eng ps -a --filter "label=aether.e2e.run=$RUN_ID" --format '{{.Names}} {{.Status}}'
}

not_here() { echo "containers: $1" >&2; exit 3; }

fault() {
  load_conf
  [[ $# -ge 1 ]] || usage
  local verb=$1 id
  shift
  case $verb in
    worker-list) worker_ids ;;
    worker-kill)
      [[ $# -eq 1 ]] || die "worker-kill needs a worker id or 'any'"
      id=$1
      [[ $id == any ]] && id=$(worker_ids | head -n 1)
      [[ -n $id ]] || die "no worker runs"
      eng container exists "$(name "worker-$id")" || die "no worker '$id' in this run (worker-list names the running ones)"
      running "worker-$id" || { say "worker $id is not running (already stopped)"; return 0; }
      eng kill -s KILL "$(name "worker-$id")" >/dev/null
      say "worker $id killed (SIGKILL)"
      ;;
    worker-start)
      [[ $# -le 1 ]] || die "worker-start takes at most one worker id"
      id=${1:-}
      if [[ -z $id ]]; then
        local n=1
        while [[ -f $STATE/workers/ctr-$n.port ]]; do n=$((n + 1)); done
        id=ctr-$n
      fi
      [[ $id =~ ^[A-Za-z0-9_-]+$ ]] || die "worker id '$id' is not [A-Za-z0-9_-]+"
      running "worker-$id" && { say "worker $id already runs"; return 0; }
      start_worker "$id"
      echo "$id"
      ;;
    nats-restart)
      eng restart -t 10 "$(name nats)" >/dev/null
      wait_for nats-server 60 curl -fsS "http://127.0.0.1:$NATS_MON/healthz?js-enabled-only=true"
      ;;
    pg-stop) eng stop -t 30 "$(name pg)" >/dev/null ;;
    pg-start)
      eng start "$(name pg)" >/dev/null
      wait_for PostgreSQL 120 eng exec "$(name pg)" pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
      ;;
    redis-stop) eng stop -t 10 "$(name redis)" >/dev/null ;;
    redis-start)
      eng start "$(name redis)" >/dev/null
      wait_for Redis 60 eng exec "$(name redis)" redis-cli -p "$REDIS_PORT" ping
      ;;
    nats-node-list | nats-kill-node | nats-start-node) not_here "$verb: this target runs one nats-server, not a cluster" ;;
    *) not_here "unknown fault '$verb'" ;;
  esac
}

exec 9>"$STATE/.containers.lock"
flock 9
case $CMD in
  up) up ;;
  down) down ;;
  status) status ;;
  fault) fault "$@" ;;
esac
