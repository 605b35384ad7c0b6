#!/usr/bin/env bash
# ctest `images_smoke` (label images): `make images` then `make images-smoke`
# for the commit checked out, or a skip (exit 77) when neither podman nor
# docker is installed. The build reuses podman's layer cache and the host's
# ccache, so after `make build` it recompiles little (tools/images/README.md
# has the figures).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
if ! engine=$(tools/images/engine.sh); then
  echo "images_smoke: SKIP: no container engine answers (make images-setup installs podman)"
  exit 77
fi
if [ "$engine" = podman ]; then tools/images/setup-podman.sh; fi
tools/images/build.sh >/dev/null
tools/images/smoke-test.sh
