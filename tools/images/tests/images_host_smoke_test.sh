#!/usr/bin/env bash
# ctest `images_smoke_host` (label images): the CI-speed image check. The
# final stages of every service image are built from the binaries and guest
# assets this build tree already holds (tools/images/build.sh with
# AETHER_IMAGE_BINARIES, Containerfile BINARIES=from-host: nothing compiled
# in the image), tagged <version>-<sha>-host, listed in
# <build>/images-host.txt, then each is smoke-tested for real
# (tools/images/smoke-test.sh). Skips (exit 77) without podman or docker.
#   images_host_smoke_test.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=$(cd "${1:?usage: images_host_smoke_test.sh BUILD_DIR}" && pwd)
if ! command -v podman >/dev/null && ! command -v docker >/dev/null; then
  echo "images_smoke_host: SKIP: neither podman nor docker is installed (make images-setup installs podman)"
  exit 77
fi
cd "$root"
if command -v podman >/dev/null; then tools/images/setup-podman.sh; fi
list=$build/images-host.txt
rm -f "$list"
t0=$(date +%s)
AETHER_IMAGE_BINARIES=$build AETHER_IMAGES_LIST=$list tools/images/build.sh >/dev/null
t1=$(date +%s)
mapfile -t images <"$list"
tools/images/smoke-test.sh "${images[@]}"
echo "images_smoke_host: build $((t1 - t0)) s, smoke $(($(date +%s) - t1)) s"
