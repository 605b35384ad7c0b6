#!/usr/bin/env bash
# make_run_itest BUILD_DIR: run.sh up detached in a temp state dir, check the
# demo's output came from inside the microVM, run the README's marked commands
# against it (readme_check.sh), run.sh down, then check that no process it
# started and no port it recorded is left.
set -euo pipefail
BUILD=$(cd "${1:?usage: make_run_itest.sh BUILD_DIR}" && pwd)
RUNSH=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/run.sh
for bin in services/api/aether-api tools/aetherctl/aetherctl; do
  if [[ ! -x $BUILD/$bin ]]; then
    echo "SKIP: $BUILD/$bin is not built (make_run_itest needs the api and aetherctl)"
    exit 77
  fi
done

STATE=$(mktemp -d /tmp/aether-make-run.XXXXXX)
chmod 755 "$STATE"
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() { "$RUNSH" down --state-dir "$STATE" --build-dir "$BUILD" >/dev/null 2>&1 || true; rm -rf "$STATE"; }
trap cleanup EXIT

# Free ports for everything, so a `make run` on this machine is not disturbed.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export AETHER_HTTP_PORT
AETHER_HTTP_PORT=$(port)

# Detached, as a user leaves it: its own session, output to a file.
setsid "$RUNSH" up --state-dir "$STATE" --build-dir "$BUILD" >"$STATE/up.out" 2>"$STATE/up.err" </dev/null &
rc=0; wait $! || rc=$?
((rc == 0)) || { cat "$STATE/up.err" >&2; fail "run.sh up exited $rc"; }
cat "$STATE/up.out"

# The command ran in the guest: its host name is the VM's, not ours.
out=$(<"$STATE/run/demo.out")
[[ $out == "hello from "* ]] || fail "demo output is '$out'"
[[ $out != "hello from $(uname -n),"* ]] || fail "demo output came from the host: '$out'"
grep -q "^  VM id:" "$STATE/up.out" || fail "no VM id printed"
trace=$(sed -n 's/^  trace id:  //p' "$STATE/up.out")
[[ $trace =~ ^[0-9a-f]{32}$ ]] || fail "no trace id printed"

# Every README command marked for it works as written against this stack
# (issue 13): tools/run/tests/readme_check.sh, in a fresh shell's environment.
"$(dirname "${BASH_SOURCE[0]}")/readme_check.sh" "$STATE" "$BUILD" || fail "a README command does not work as written"

# A second up reuses what runs: same pids.
pids_before=$(cat "$STATE"/run/*.pid | sort)
"$RUNSH" up --state-dir "$STATE" --build-dir "$BUILD" --no-demo >/dev/null 2>"$STATE/up2.err" ||
  { cat "$STATE/up2.err" >&2; fail "second up failed"; }
[[ $(cat "$STATE"/run/*.pid | sort) == "$pids_before" ]] || fail "second up started new processes"

# Everything it started, and every port it opened, for after down.
pids=$(cat "$STATE"/run/*.pid "$STATE"/*/*.pid 2>/dev/null | sort -u)
ports=$(sed 's/.*=//' "$STATE/run/ports.env"; jq -r '.. | objects | .ports? // empty | .[]?' "$STATE/stack.json" 2>/dev/null || true)

"$RUNSH" down --state-dir "$STATE" --build-dir "$BUILD" 2>"$STATE/down.err" || { cat "$STATE/down.err" >&2; fail "down failed"; }
for p in $pids; do
  [[ ! -e /proc/$p ]] || [[ $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) == Z ]] || fail "pid $p ($(readlink "/proc/$p/exe")) still runs after down"
done
for p in $ports; do
  [[ $p =~ ^[0-9]+$ ]] || continue
  if ss -Hltn "sport = :$p" | grep -q .; then fail "port $p still listened on after down"; fi
done
echo "PASS: microVM said '$out'; trace $trace; nothing left after down"
