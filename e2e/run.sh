#!/usr/bin/env bash
# The e2e suite against one target (e2e/README.md):
#   e2e/run.sh TARGET [--keep] [--state-dir DIR] [catch2 args...]
# TARGET: local | containers | kind (e2e/targets/TARGET.sh). The target brings
# the platform up and writes DIR/e2e.env; aether-e2e runs with that env only;
# then the target takes the platform down (unless --keep).
# The binary: $AETHER_E2E_BIN, else $AETHER_E2E_BUILD_DIR/e2e/aether-e2e
# (build dir default <repo>/build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${1:-}
[[ -n $TARGET ]] || { sed -n 2,8p "${BASH_SOURCE[0]}" >&2; exit 2; }
shift
SCRIPT=$ROOT/e2e/targets/$TARGET.sh
[[ -x $SCRIPT ]] || { echo "e2e/run.sh: unknown target '$TARGET' (no $SCRIPT)" >&2; exit 2; }
KEEP=0
STATE=""
ARGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --keep) KEEP=1; shift ;;
    --state-dir) STATE=$2; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
export AETHER_E2E_BUILD_DIR=${AETHER_E2E_BUILD_DIR:-$ROOT/build}
BIN=${AETHER_E2E_BIN:-$AETHER_E2E_BUILD_DIR/e2e/aether-e2e}
[[ -x $BIN ]] || { echo "e2e/run.sh: $BIN is not built (cmake --build build --target aether-e2e)" >&2; exit 2; }
if [[ -z ${AETHER_E2E_AETHERCTL:-} && -x $AETHER_E2E_BUILD_DIR/tools/aetherctl/aetherctl ]]; then
  export AETHER_E2E_AETHERCTL=$AETHER_E2E_BUILD_DIR/tools/aetherctl/aetherctl
fi
MADE=0
if [[ -z $STATE ]]; then
  STATE=$(mktemp -d /tmp/aether-e2e.XXXXXX)
  MADE=1
fi
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)

# shellcheck disable=SC2317 # called by the EXIT trap
finish() {
  if ((KEEP)); then
    echo "e2e/run.sh: the platform stays up (--keep): source $STATE/e2e.env; $SCRIPT down $STATE" >&2
  elif ! "$SCRIPT" down "$STATE"; then
    echo "e2e/run.sh: $TARGET down failed (state kept in $STATE)" >&2
  elif ((MADE && rc == 0)); then
    rm -rf "$STATE"
  else
    echo "e2e/run.sh: logs kept in $STATE" >&2
  fi
}
rc=1
trap finish EXIT

echo "e2e/run.sh: bringing up target $TARGET in $STATE" >&2
start=$SECONDS
"$SCRIPT" up "$STATE"
echo "e2e/run.sh: up in $((SECONDS - start)) s; running $BIN" >&2
rc=0
# Only the interface's environment (and the path to aetherctl) reaches the suite.
(
  # shellcheck disable=SC1091
  source "$STATE/e2e.env"
  exec env -i PATH="$PATH" HOME="${HOME:-/root}" TMPDIR="${TMPDIR:-/tmp}" \
    AETHER_API_URL="$AETHER_API_URL" AETHER_API_KEY="$AETHER_API_KEY" NATS_URL="$NATS_URL" \
    AETHER_JAEGER_URL="$AETHER_JAEGER_URL" AETHER_E2E_TARGET="$AETHER_E2E_TARGET" \
    AETHER_E2E_CONTROL="$AETHER_E2E_CONTROL" AETHER_E2E_AETHERCTL="${AETHER_E2E_AETHERCTL:-}" \
    AETHER_E2E_CHAOS_CREATES="${AETHER_E2E_CHAOS_CREATES:-}" \
    "$BIN" "${ARGS[@]}"
) || rc=$?
echo "e2e/run.sh: aether-e2e exited $rc after $((SECONDS - start)) s" >&2
exit "$rc"
