#!/bin/sh
# Entrypoint of the aether/stack image (Containerfile stage `stack`): the
# platform's infrastructure from Debian's packages, one server per container,
# in the foreground, its data under /data (a volume, so a restarted
# container keeps its streams, tables and keys). Used by the e2e target
# `containers` (e2e/targets/containers.sh), where Kubernetes would run the
# upstream images of deploy/kustomize.
#   aether-stack nats     PORT MONITOR_PORT   nats-server with JetStream on 127.0.0.1
#   aether-stack postgres PORT                PostgreSQL 15, role and database "aether" (password "aether")
#   aether-stack redis    PORT                redis-server, no persistence
# PostgreSQL: run its container with --stop-signal SIGINT (fast shutdown); on
# SIGTERM (smart shutdown) it waits until every client has disconnected.
set -eu
usage() { sed -n 8,10p "$0" | sed 's/^# *//' >&2; exit 2; }
port_arg() { # NAME VALUE: a port number or exit 2 naming it
  case $2 in '' | *[!0-9]*) echo "aether-stack: $1 '$2' is not a port number" >&2; exit 2 ;; esac
}
[ $# -ge 1 ] || usage
what=$1
shift
case $what in
  nats)
    [ $# -eq 2 ] || usage
    port_arg PORT "$1"; port_arg MONITOR_PORT "$2"
    mkdir -p /data/nats
    exec nats-server -a 127.0.0.1 -p "$1" -m "$2" -js -sd /data/nats
    ;;
  postgres)
    [ $# -eq 1 ] || usage
    port_arg PORT "$1"
    bin=/usr/lib/postgresql/15/bin
    # setpriv execs (runuser would stay as PID 1 and kill postgres 2 s after a SIGTERM)
    as_pg="setpriv --reuid=postgres --regid=postgres --init-groups"
    install -d -o postgres -g postgres -m 700 /data/pg
    install -d -o postgres -g postgres /data/pgrun
    if [ ! -f /data/pg/PG_VERSION ]; then
      $as_pg "$bin/initdb" -D /data/pg -U postgres --auth-local=peer \
        --auth-host=scram-sha-256 >/dev/null
      # the role and database, over the socket only, before TCP listens
      $as_pg "$bin/pg_ctl" -D /data/pg -w -l /data/pgrun/init.log \
        -o "-c listen_addresses= -k /data/pgrun" start >/dev/null
      $as_pg "$bin/psql" -h /data/pgrun -qX -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE aether LOGIN PASSWORD 'aether'" -c "CREATE DATABASE aether OWNER aether"
      $as_pg "$bin/pg_ctl" -D /data/pg -w stop >/dev/null
    fi
    exec $as_pg "$bin/postgres" -D /data/pg -p "$1" -k /data/pgrun \
      -c listen_addresses=127.0.0.1
    ;;
  redis)
    [ $# -eq 1 ] || usage
    port_arg PORT "$1"
    mkdir -p /data/redis
    exec redis-server --bind 127.0.0.1 --port "$1" --dir /data/redis --save '' --appendonly no
    ;;
  *) echo "aether-stack: unknown server '$what' (nats, postgres or redis)" >&2; usage ;;
esac
