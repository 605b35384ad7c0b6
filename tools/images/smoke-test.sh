#!/usr/bin/env bash
# Runs each image `make images` built (build/images.txt, or the tags given):
# --version names the release, --check-config passes and a bad value fails,
# the admin port answers /healthz and /readyz against a real nats-server
# (and, for migration-runner, `up` migrates a real PostgreSQL), non-root where
# the image should be, labels with version and git sha, guest assets verify.
#   tools/images/smoke-test.sh [IMAGE...]
# Prints one line per check and 'N passed, N failed'; exit 1 on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
engine=$("$(dirname "$0")/engine.sh") || exit 2
run=("$engine" run --pull=never)
if [ $# -gt 0 ]; then images=("$@"); else mapfile -t images <"$root/build/images.txt"; fi
[ ${#images[@]} -gt 0 ] || { echo "smoke: no images (run make images first)" >&2; exit 2; }

passed=0 failed=0
check() { # check WHAT CMD...
  local what=$1; shift
  if "$@" >"$tmp/out" 2>&1; then echo "ok     $what"; passed=$((passed + 1))
  else echo "FAILED $what"; sed 's/^/         /' "$tmp/out" | tail -15; failed=$((failed + 1)); fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # wait_http URL: up to 60 s (an emulated guest probe is slow)
  for _ in $(seq 120); do curl -fsS -o /dev/null "$1" && return 0; sleep 0.5; done; curl -fsS "$1"
}

tmp=$(mktemp -d /tmp/aether-smoke.XXXXXX)
chmod 755 "$tmp"
containers=()
cleanup() {
  for c in "${containers[@]}"; do "$engine" rm -f "$c" >/dev/null 2>&1 || true; done
  [ -n "${nats_pid:-}" ] && kill "$nats_pid" 2>/dev/null
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null
  [ -d "$tmp/pg" ] && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

nats_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$tmp/js" >"$tmp/nats.log" 2>&1 &
nats_pid=$!
nats_url=nats://127.0.0.1:$nats_port

start_postgres() {
  pg_port=$(free_port)
  install -d -o postgres "$tmp/pg" "$tmp/pgrun"
  runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$tmp/pg" -A trust -U postgres >/dev/null
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$tmp/pg" -w -l "$tmp/pgrun/pg.log" \
    -o "-p $pg_port -k $tmp/pgrun -c listen_addresses=127.0.0.1" start >/dev/null
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE ROLE aether LOGIN PASSWORD 'aether'" -c "CREATE DATABASE aether OWNER aether"
}

# aether/stack (e2e target containers): each server starts from its volume and
# answers; PostgreSQL takes the aether role's password over TCP
smoke_stack() {
  local image=$1 n m p r
  n=$(free_port) m=$(free_port) p=$(free_port) r=$(free_port)
  containers+=("aether-smoke-nats-$$" "aether-smoke-pg-$$" "aether-smoke-redis-$$")
  "${run[@]}" -d --name "aether-smoke-nats-$$" --network host "$image" nats "$n" "$m" >/dev/null
  "${run[@]}" -d --name "aether-smoke-pg-$$" --network host --stop-signal SIGINT "$image" postgres "$p" >/dev/null
  "${run[@]}" -d --name "aether-smoke-redis-$$" --network host "$image" redis "$r" >/dev/null
  check "stack: nats-server with JetStream answers" wait_http "http://127.0.0.1:$m/healthz?js-enabled-only=true"
  check "stack: PostgreSQL takes role aether over TCP" sh -c "for i in \$(seq 120); do
      PGPASSWORD=aether psql -h 127.0.0.1 -p $p -U aether -d aether -qAtc 'select 1' 2>/dev/null | grep -qx 1 && exit 0; sleep 0.5; done; exit 1"
  check "stack: Redis answers PING" sh -c "for i in \$(seq 60); do
      $engine exec aether-smoke-redis-$$ redis-cli -p $r ping 2>/dev/null | grep -qx PONG && exit 0; sleep 0.5; done; exit 1"
  check "stack: a bad port is refused with exit 2" sh -c "${run[*]} --rm $image redis 12ab; test \$? = 2"
  check "stack: PostgreSQL stops on SIGINT (fast shutdown) with exit 0" sh -c \
    "$engine stop -t 30 aether-smoke-pg-$$ >/dev/null && test \"\$($engine inspect --format '{{.State.ExitCode}}' aether-smoke-pg-$$)\" = 0"
}

for image in "${images[@]}"; do
  svc=${image##*/}; svc=${svc%%:*}
  tag=${image##*:}
  version=${tag%%-*}
  # the git sha the tag names; a -host tag (AETHER_IMAGE_BINARIES) is that
  # commit's tree built on the host
  revision=${tag#*-}; revision=${revision%-host}
  echo "== $image"
  if [ "$svc" = stack ]; then smoke_stack "$image"; continue; fi
  check "$svc --version names $version" sh -c "${run[*]} --rm $image --version | grep -F '$version'"
  check "$svc labels: version and revision" sh -c \
    "$engine image inspect --format '{{index .Labels \"org.opencontainers.image.version\"}} {{index .Labels \"org.opencontainers.image.revision\"}}' $image | grep -Fx '$version $revision'"
  case $svc in
    vm-worker | node-provisioner) ;;
    *) check "$svc runs as uid 65532" sh -c "$engine image inspect --format '{{.Config.User}}' $image | grep -Fx 65532:65532" ;;
  esac
  env_args=(-e "NATS_URL=$nats_url")
  case $svc in
    vm-worker) env_args+=(-e AETHER_RUNTIME=qemu -e AETHER_QEMU_ACCEL=tcg -e AETHER_NETWORK=off
      -e AETHER_STATE_DIR=/tmp/state -e AETHER_PROVISION=true) ;;
  esac
  check "$svc --check-config" "${run[@]}" --rm "${env_args[@]}" "$image" --check-config
  # exit 3: invalid configuration, the code every Aether binary shares (libs/config)
  check "$svc --check-config refuses AETHER_LOG_LEVEL=loud with exit 3" sh -c \
    "${run[*]} --rm -e AETHER_LOG_LEVEL=loud $image --check-config; test \$? = 3"

  if [ "$svc" = api ]; then
    # /readyz needs a migrated PostgreSQL and Redis: the migration-runner
    # image of the same tag migrates it, Redis is the host's redis-server
    [ -n "${pg_port:-}" ] || start_postgres
    db="postgresql://aether:aether@127.0.0.1:$pg_port/aether"
    check "api: the schema by aether/migration-runner:$tag" "${run[@]}" --rm --network host \
      -e "DATABASE_URL=$db" -e "NATS_URL=$nats_url" "${image%/*}/migration-runner:$tag" up
    if [ -z "${redis_pid:-}" ]; then
      redis_port=$(free_port)
      redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
      redis_pid=$!
    fi
    env_args+=(-e "DATABASE_URL=$db" -e "REDIS_URL=redis://127.0.0.1:$redis_port"
      -e AETHER_HTTP_ADDR=127.0.0.1 -e "AETHER_HTTP_PORT=$(free_port)")
  fi
  if [ "$svc" = migration-runner ]; then
    [ -n "${pg_port:-}" ] || start_postgres
    db="postgresql://aether:aether@127.0.0.1:$pg_port/aether"
    check "migration-runner up migrates a real PostgreSQL" "${run[@]}" --rm --network host --read-only \
      -e "DATABASE_URL=$db" -e "NATS_URL=$nats_url" "$image" up
    check "migration-runner status after up: nothing pending, at the latest version" sh -c \
      "${run[*]} --rm --network host --read-only -e DATABASE_URL='$db' $image status --json |
       python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (d[\"pending\"] in (0, []) and d[\"current_version\"] == d[\"latest_version\"] > 0))'"
    continue
  fi
  if [ "$svc" = vm-worker ]; then
    check "vm-worker guest assets match their sums" "${run[@]}" --rm --entrypoint /bin/sh "$image" \
      -c 'cd /var/lib/aether/guest && sha256sum -c SHA256SUMS'
  fi
  admin=$(free_port)
  name=aether-smoke-$svc-$$
  containers+=("$name")
  "${run[@]}" -d --name "$name" --network host --read-only --tmpfs /tmp \
    "${env_args[@]}" -e "AETHER_ADMIN_PORT=$admin" -e AETHER_ADMIN_ADDR=127.0.0.1 "$image" >/dev/null
  failed_before=$failed
  check "$svc admin port answers /healthz" wait_http "http://127.0.0.1:$admin/healthz"
  check "$svc /readyz is ready with NATS up" wait_http "http://127.0.0.1:$admin/readyz"
  if [ "$failed" -gt "$failed_before" ]; then "$engine" logs "$name" 2>&1 | tail -20 | sed 's/^/         log: /'; fi
  check "$svc stops on SIGTERM with exit 0" sh -c "$engine stop -t 30 $name >/dev/null && test \"\$($engine inspect --format '{{.State.ExitCode}}' $name)\" = 0"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
