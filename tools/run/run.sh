#!/usr/bin/env bash
# The whole platform on this machine (`make run` / `make stop`).
#   tools/run/run.sh up   [--state-dir DIR] [--build-dir DIR] [--guest-dir DIR] [--no-demo]
#   tools/run/run.sh down [--state-dir DIR] [--build-dir DIR]
#   tools/run/run.sh status [--state-dir DIR]
#   tools/run/run.sh start|stop [--kill] NAME [--state-dir DIR] [--build-dir DIR]
#     NAME: vm-worker, vm-worker@ID (another worker), nats, nats-<i> (a cluster node), postgres, redis
# AETHER_RUN_NATS_NODES=3: nats-server as a 3-node JetStream cluster (streams R3).
# See tools/run/README.md. Progress goes to stderr; `up` ends with a summary.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CMD=${1:-}
[[ $# -gt 0 ]] && shift
STATE=.state
BUILD=build
GUEST=""
DEMO=1
KILL=0
NAME=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --kill) KILL=1; shift ;;
    --state-dir) STATE=$2; shift 2 ;;
    --build-dir) BUILD=$2; shift 2 ;;
    --guest-dir) GUEST=$2; shift 2 ;;
    --no-demo) DEMO=0; shift ;;
    -h|--help) sed -n 2,8p "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) if [[ $CMD != start && $CMD != stop ]] || [[ -n $NAME ]]; then
         echo "run.sh: unexpected argument '$1' (see --help)" >&2; exit 2
       fi
       NAME=$1; shift ;;
  esac
done
case $CMD in up|down|status) ;; start|stop) [[ -n $NAME ]] || { echo "run.sh: $CMD needs a NAME (see --help)" >&2; exit 2; } ;;
  *) sed -n 2,8p "${BASH_SOURCE[0]}" >&2; exit 2 ;; esac

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
BUILD=$(cd "$BUILD" 2>/dev/null && pwd || echo "$ROOT/$BUILD")
GUEST=${GUEST:-${AETHER_GUEST_DIR:-$BUILD/guest}}
RUN=$STATE/run
mkdir -p "$RUN"
# The state dir and its parents must be enterable by the postgres user.
chmod o+x "$STATE" 2>/dev/null || true

DEVSTACK=$BUILD/tools/devstack/aether-devstack
API=$BUILD/services/api/aether-api
WORKER=$BUILD/services/vm-worker/aether-vm-worker
PROVISIONER=$BUILD/services/node-provisioner/aether-node-provisioner
AUTOSCALER=$BUILD/services/autoscaler/aether-autoscaler
MIGRATE=$BUILD/services/migration-runner/aether-migration-runner
AGENT=$BUILD/services/vm-agent/aether-vm-agent
CTL=$BUILD/tools/aetherctl/aetherctl
# Started in this order, stopped in the reverse one.
SERVICES=(vm-worker api autoscaler)

say() { printf '==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# --- processes: a pid counts only while /proc/<pid>/exe is the recorded program
alive() { # name
  local pidf=$RUN/$1.pid exef=$RUN/$1.exe pid exe
  [[ -f $pidf && -f $exef ]] || return 1
  pid=$(<"$pidf"); exe=$(<"$exef")
  # A rebuilt binary shows as "PATH (deleted)": still the process we started.
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) =~ ^"$exe"( \(deleted\))?$ ]]
}

stop_one() { # name
  local name=$1 pid i
  if alive "$name"; then
    pid=$(<"$RUN/$name.pid")
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do alive "$name" || break; sleep 0.1; done
    if alive "$name"; then note "$name did not stop in 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    for ((i = 0; i < 50; i++)); do alive "$name" || break; sleep 0.1; done
  fi
  rm -f "$RUN/$name.pid" "$RUN/$name.exe"
}

# --- ports: recorded in run/ports.env so a second run reuses them
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_value() { # VAR default -> env, else recorded, else default (or a free port)
  local var=$1 def=$2 val
  val=${!var:-}
  if [[ -z $val && -f $RUN/ports.env ]]; then
    val=$(sed -n "s/^$var=//p" "$RUN/ports.env")
  fi
  [[ -n $val ]] || val=${def:-$(free_port)}
  if ! [[ $val =~ ^[0-9]+$ ]] || ((val < 1 || val > 65535)); then
    die "$var='$val' is not a port (1..65535)"
  fi
  printf '%s' "$val"
}

port_user() { # port -> "program (pid N)" of a listener, empty when free
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\"\([^"]*\)\",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -1
}

check_port() { # name VAR port : fails when another process listens on it
  local user
  alive "$1" && return 0
  if ss -Hltn "sport = :$3" | grep -q .; then
    user=$(port_user "$3")
    die "port $3 for $1 is in use by ${user:-another process}; set $2 to another port (e.g. $2=$(free_port) make run)"
  fi
}

record_ports() {
  {
    echo "AETHER_HTTP_PORT=$HTTP_PORT"
    echo "AETHER_RUN_API_ADMIN_PORT=$API_ADMIN"
    echo "AETHER_RUN_WORKER_ADMIN_PORT=$WORKER_ADMIN"
    echo "AETHER_RUN_AUTOSCALER_ADMIN_PORT=$AUTOSCALER_ADMIN"
    echo "AETHER_RUN_PROVISIONER_ADMIN_PORT=$PROVISIONER_ADMIN"
  } >"$RUN/ports.env"
}

start_service() { # name admin_port program [VAR=value...] -- detached, log and pid under run/
  local name=$1 admin=$2 bin=$3 pid exe i
  shift 3
  if alive "$name"; then
    note "$name already runs (pid $(<"$RUN/$name.pid")), reused"
    return 0
  fi
  exe=$(readlink -f "$bin")
  env "$@" AETHER_ADMIN_ADDR=127.0.0.1 AETHER_ADMIN_PORT="$admin" \
    setsid "$exe" >>"$RUN/$name.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$RUN/$name.pid"
  echo "$exe" >"$RUN/$name.exe"
  # Until it has exec'd, /proc/<pid>/exe is still env or setsid.
  for ((i = 0; i < 100; i++)); do
    alive "$name" || ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.05
  done
  note "$name started (pid $pid, admin http://127.0.0.1:$admin, log $RUN/$name.log)"
}

wait_ready() { # name admin_port seconds
  local name=$1 port=$2 limit=$3 i
  for ((i = 0; i < limit * 2; i++)); do
    if ! alive "$name"; then
      tail -n 20 "$RUN/$name.log" >&2 || true
      die "$name exited during start-up (log above: $RUN/$name.log)"
    fi
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && return 0
    ((i % 10 == 9)) && note "waiting for $name /readyz ($((i / 2 + 1)) s)"
    sleep 0.5
  done
  die "$name not ready after $limit s (log: $RUN/$name.log)"
}

# Workers added with `start vm-worker@ID`, recorded as run/vm-worker@ID.{pid,exe,log}.
extra_workers() {
  local f
  for f in "$RUN"/vm-worker@*.pid; do [[ -e $f ]] && basename "$f" .pid; done
  return 0
}

# VMMs (QEMU, Firecracker) whose command line names a path under the state dir:
# the VMs of a worker that was SIGKILLed (its VMMs run in their own session and
# outlive it). A worker stopped normally leaves none.
stray_vmms() {
  local d pid exe
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    [[ $exe == */qemu-system-* || $exe == */firecracker* ]] || continue
    tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF "$STATE/" && echo "$pid"
  done
  return 0
}

down() {
  local w pids
  stop_one autoscaler
  stop_one api
  for w in $(extra_workers); do stop_one "$w"; done
  stop_one vm-worker
  pids=$(stray_vmms)
  if [[ -n $pids ]]; then
    say "stopping VMs left by killed workers (pids ${pids//$'\n'/ })"
    # shellcheck disable=SC2086 # one word per pid
    kill -KILL $pids 2>/dev/null || true
  fi
  if [[ -x $DEVSTACK && -f $STATE/stack.json ]]; then
    say "stopping the stack (nats-server, PostgreSQL, Redis, OTLP sink)"
    "$DEVSTACK" down --state-dir "$STATE" >&2
  fi
  say "stopped; data and ports kept under $STATE (rm -rf it for a clean start)"
}

status() {
  local s rc=0
  for s in "${SERVICES[@]}" $(extra_workers); do
    if alive "$s"; then echo "$s: running (pid $(<"$RUN/$s.pid"))"; elif [[ -f $RUN/$s.pid ]]; then echo "$s: stopped"; rc=1; fi
  done
  if [[ -x $DEVSTACK ]]; then "$DEVSTACK" status --state-dir "$STATE" || rc=1; fi
  return "$rc"
}

start_worker() { # name worker-id admin_port
  start_service "$1" "$3" "$WORKER" AETHER_WORKER_ID="$2" \
    AETHER_STATE_DIR="$STATE/$1" AETHER_GUEST_DIR="$GUEST" \
    AETHER_WARM_POOL_SIZE="${AETHER_WARM_POOL_SIZE:-1}"
  wait_ready "$1" "$3" 120
}

# On a recorded nats cluster every stream and bucket gets 3 replicas (fewer
# on a smaller cluster), as prod runs it: AETHER_STREAM_REPLICAS for the
# services that provision (libs/service ProvisionOptions), unless set.
stream_replicas() {
  local nodes
  nodes=$(jq '[.services[].name | select(startswith("nats-"))] | length' "$STATE/stack.json" 2>/dev/null || echo 0)
  if ((nodes > 1)) && [[ -z ${AETHER_STREAM_REPLICAS:-} ]]; then
    export AETHER_STREAM_REPLICAS=$((nodes < 3 ? nodes : 3))
  fi
  return 0
}

# --- start/stop of one part (the e2e suite's faults: e2e/targets/local.sh)
stack_field() { # server field -> its value in DIR/stack.json
  jq -r --arg n "$1" ".services[] | select(.name == \$n) | .$2" "$STATE/stack.json" 2>/dev/null
}

stop_server() { # nats|postgres|redis with its stop signal (SIGKILL with --kill); the record stays
  local name=$1 pid exe sig i
  pid=$(stack_field "$name" pid); exe=$(stack_field "$name" program); sig=$(stack_field "$name" stop_signal)
  [[ -n $pid && $pid != 0 ]] || die "$name is not in $STATE/stack.json (a cluster's nodes are nats-0, nats-1, ...)"
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || { note "$name (pid $pid) does not run"; return 0; }
  ((KILL)) && sig=9
  say "stopping $name (pid $pid, signal $sig)"
  kill "-$sig" "$pid"
  for ((i = 0; i < 150; i++)); do [[ -e /proc/$pid ]] || return 0; sleep 0.1; done
  note "$name did not stop in 15 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do [[ -e /proc/$pid ]] || return 0; sleep 0.1; done
  die "$name (pid $pid) does not stop"
}

start_one() {
  case $NAME in
    nats|nats-[0-9]*|postgres|redis)
      need "$DEVSTACK"
      say "starting $NAME (aether-devstack up --only $NAME, on its recorded port)"
      "$DEVSTACK" up --state-dir "$STATE" --only "$NAME" >/dev/null 9>&- ;;
    vm-worker|vm-worker@*)
      need "$WORKER"
      [[ -f $STATE/stack.env ]] || die "no stack runs in $STATE (run.sh up first)"
      # shellcheck disable=SC1091
      source "$STATE/stack.env"
      export NATS_URL DATABASE_URL REDIS_URL OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-}
      stream_replicas
      if [[ $NAME == vm-worker ]]; then
        start_worker vm-worker local-1 "$(port_value AETHER_RUN_WORKER_ADMIN_PORT "")"
      else
        [[ ${NAME#vm-worker@} =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || die "worker id '${NAME#vm-worker@}' is not [a-z0-9-]{1,63}"
        start_worker "$NAME" "${NAME#vm-worker@}" "$(free_port)"
      fi ;;
    *) die "start: unknown NAME '$NAME' (vm-worker, vm-worker@ID, nats, nats-<i>, postgres, redis)" ;;
  esac
}

stop_named() {
  local pid i
  case $NAME in
    nats|nats-[0-9]*|postgres|redis) stop_server "$NAME" ;;
    vm-worker|vm-worker@*|api|autoscaler)
      if ((KILL)) && alive "$NAME"; then
        pid=$(<"$RUN/$NAME.pid")
        say "killing $NAME (pid $pid, SIGKILL)"
        kill -KILL "$pid"
        for ((i = 0; i < 50; i++)); do alive "$NAME" || break; sleep 0.1; done
        rm -f "$RUN/$NAME.pid" "$RUN/$NAME.exe"
      else
        stop_one "$NAME"
      fi ;;
    *) die "stop: unknown NAME '$NAME' (vm-worker, vm-worker@ID, api, autoscaler, nats, nats-<i>, postgres, redis)" ;;
  esac
}

# --- up
need() { [[ -x $1 ]] || die "$1 is not built (make build, or --build-dir DIR)"; }

traceparent() {
  printf '00-%s-%s-01' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
}

demo() {
  local tp trace vm out
  if [[ ! -x $CTL ]]; then
    note "aetherctl is not built ($CTL): the demo is skipped"
    return 0
  fi
  export AETHER_API_URL=$API_URL AETHER_API_KEY=$KEY
  tp=$(traceparent)
  trace=$(cut -d- -f2 <<<"$tp")
  say "creating a VM (aetherctl vm create --wait; its states follow)"
  # The id from whatever create prints on stdout (states go to stderr).
  vm=$("$CTL" --traceparent "$tp" -o json vm create --wait --wait-timeout 300 |
    grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -n 1 || true)
  [[ -n $vm && $vm != null ]] || die "vm create printed no id"
  say "running a command inside it (aetherctl vm exec $vm -- ...)"
  # shellcheck disable=SC2016 # expanded by the guest's shell
  out=$("$CTL" --traceparent "$tp" vm exec "$vm" -- sh -c 'echo "hello from $(uname -n), kernel $(uname -r)"')
  echo "$out" >"$RUN/demo.out"
  cat <<EOF

  output:    $out
  VM id:     $vm
  trace id:  $trace
  the trace: grep $trace $STATE/otlp/spans.jsonl | jq -c '{service, name, span_id, parent_span_id}'

EOF
}

up() {
  local s
  need "$DEVSTACK"; need "$MIGRATE"; need "$WORKER"; need "$AGENT"
  trap 'echo >&2; say "interrupted: stopping what was started"; down; exit 130' INT TERM

  HTTP_PORT=$(port_value AETHER_HTTP_PORT 8080)
  API_ADMIN=$(port_value AETHER_RUN_API_ADMIN_PORT "")
  WORKER_ADMIN=$(port_value AETHER_RUN_WORKER_ADMIN_PORT "")
  AUTOSCALER_ADMIN=$(port_value AETHER_RUN_AUTOSCALER_ADMIN_PORT "")
  PROVISIONER_ADMIN=$(port_value AETHER_RUN_PROVISIONER_ADMIN_PORT "")
  check_port api AETHER_HTTP_PORT "$HTTP_PORT"
  check_port api AETHER_RUN_API_ADMIN_PORT "$API_ADMIN"
  check_port vm-worker AETHER_RUN_WORKER_ADMIN_PORT "$WORKER_ADMIN"
  check_port autoscaler AETHER_RUN_AUTOSCALER_ADMIN_PORT "$AUTOSCALER_ADMIN"
  record_ports

  say "guest image in $GUEST (built once, then cached)"
  "$ROOT/tools/guest/build-image.sh" --agent "$AGENT" --out "$GUEST" >&2

  say "starting the stack under $STATE${AETHER_RUN_NATS_NODES:+ (nats: a cluster of $AETHER_RUN_NATS_NODES nodes)}"
  "$DEVSTACK" up --state-dir "$STATE" ${AETHER_RUN_NATS_NODES:+--nats-nodes "$AETHER_RUN_NATS_NODES"} >"$RUN/stack.out" 9>&-
  stream_replicas
  # shellcheck disable=SC1091
  source "$STATE/stack.env"
  export NATS_URL DATABASE_URL REDIS_URL
  export OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-}

  say "migrations (aether-migration-runner up)"
  "$MIGRATE" up >>"$RUN/migrations.log" 2>&1 || { tail -n 20 "$RUN/migrations.log" >&2; die "migrations failed (log: $RUN/migrations.log)"; }

  if [[ -x $PROVISIONER ]]; then
    say "node check (aether-node-provisioner --once, emulation allowed)"
    mkdir -p "$STATE/assets"
    if env AETHER_ASSET_DIR="$STATE/assets" AETHER_GUEST_SOURCE_DIR="$GUEST" AETHER_ALLOW_EMULATION=true \
      AETHER_KUBE=off AETHER_ADMIN_ADDR=127.0.0.1 AETHER_ADMIN_PORT="$PROVISIONER_ADMIN" \
      "$PROVISIONER" --once --report text >"$RUN/node-provisioner.out" 2>"$RUN/node-provisioner.log"; then
      note "node usable: $(head -n 1 "$RUN/node-provisioner.out")"
    else
      note "node-provisioner says this node is not usable (exit $?); see $RUN/node-provisioner.out; carrying on"
    fi
  else
    note "aether-node-provisioner is not built: node check skipped"
  fi

  say "starting the services"
  start_worker vm-worker local-1 "$WORKER_ADMIN"

  if [[ -x $API ]]; then
    start_service api "$API_ADMIN" "$API" AETHER_HTTP_PORT="$HTTP_PORT"
    wait_ready api "$API_ADMIN" 60
  else
    note "aether-api is not built ($API): no REST api, no tenant, no demo"
  fi

  if [[ -x $AUTOSCALER ]]; then
    start_service autoscaler "$AUTOSCALER_ADMIN" "$AUTOSCALER" AETHER_AUTOSCALER_ACTUATOR=local \
      AETHER_AUTOSCALER_LOCAL_BINARY="$WORKER" AETHER_AUTOSCALER_LOCAL_STATE_DIR="$STATE/autoscaler" \
      AETHER_AUTOSCALER_MAX_WORKERS="${AETHER_AUTOSCALER_MAX_WORKERS:-2}" \
      AETHER_AUTOSCALER_LOCAL_ENV="AETHER_GUEST_DIR=$GUEST"
    wait_ready autoscaler "$AUTOSCALER_ADMIN" 60
  else
    note "aether-autoscaler is not built: no autoscaling"
  fi

  API_URL=http://127.0.0.1:$HTTP_PORT
  KEY=""
  if [[ -x $API ]]; then
    if [[ ! -s $RUN/tenant.key ]]; then
      say "creating tenant 'demo' (aether-api tenant create demo --operator)"
      # Exit 2: the tenant exists (its key file was lost): issue another key.
      local rc=0
      (umask 077 && "$API" tenant create demo --operator >"$RUN/tenant.key" 2>>"$RUN/tenant.log") || rc=$?
      if ((rc == 2)); then
        rc=0
        (umask 077 && "$API" tenant create demo --operator --existing >"$RUN/tenant.key" 2>>"$RUN/tenant.log") || rc=$?
      fi
      ((rc == 0)) || { rm -f "$RUN/tenant.key"; die "tenant create failed (log: $RUN/tenant.log)"; }
    fi
    KEY=$(<"$RUN/tenant.key")
    ((DEMO)) && demo
  fi
  trap - INT TERM

  for s in "${SERVICES[@]}"; do alive "$s" && note "$s: pid $(<"$RUN/$s.pid"), log $RUN/$s.log"; done
  cat <<EOF
Aether runs (stop it with: make stop).
  source $STATE/stack.env     # NATS_URL, DATABASE_URL, REDIS_URL, OTEL endpoint
  export AETHER_API_URL=$API_URL AETHER_API_KEY=${KEY:-<no api>}
  curl -H "Authorization: Bearer \$AETHER_API_KEY" \$AETHER_API_URL/v1/vms
  $CTL vm create --wait
  $CTL vm list
  $CTL vm exec <VM> -- uname -a
  metrics: curl http://127.0.0.1:$WORKER_ADMIN/metrics   traces: $STATE/otlp/spans.jsonl
EOF
}

exec 9>"$RUN/.lock"
flock 9
case $CMD in
  up) up ;;
  down) down ;;
  status) status ;;
  start) start_one ;;
  stop) stop_named ;;
esac
