#!/usr/bin/env bash
# make e2e-kind: the e2e suite against a Kind cluster. The cluster, the
# images, overlays/kind and the port-forwards are e2e/targets/kind.sh's job
# (the e2e target interface, e2e/README.md); this name is kept for habit.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/e2e/run.sh" kind "$@"
